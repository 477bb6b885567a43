/**
 * Tensors in and out of onnxruntime sessions, below transformers.js: int64 inputs, outputs read
 * back to the CPU as float32, runs that feed only the inputs a graph declares, and the key/value
 * caches passes leave (shared-context.ts and chunked-pass.ts build on these).
 */
import { Tensor, type PreTrainedModel } from '@huggingface/transformers';
import type { OrtSession } from './token-stats.js';

/** The cache a forward pass leaves, as the next pass takes it (`past_key_values.<layer>.<key|value>`). */
export type PastKeyValues = Record<string, Tensor>;

/** A cache tensor's values: float32, or float16 as 16-bit words. */
export type TensorData = Float32Array | Uint16Array;

/** Logits as float32 on the CPU, whatever the device and the graph's output type (fp16 models give float16). */
export async function logitsData(logits: Tensor): Promise<Float32Array> {
  const cpu = logits.location === 'cpu' ? logits : new Tensor(logits.type, await cpuData(logits), logits.dims);
  return (cpu.type === 'float32' ? cpu.data : cpu.to('float32').data) as Float32Array;
}

export function int64(values: ArrayLike<number>, dims: number[]): Tensor {
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]!);
  return new Tensor('int64', data, dims);
}

/** A tensor's values on the CPU (WebGPU may leave outputs in GPU buffers). */
export async function cpuData(tensor: Tensor): Promise<TensorData> {
  return (tensor.location === 'cpu' ? tensor.data : await tensor.ort_tensor.getData()) as TensorData;
}

/** The model's own onnxruntime session. */
export function modelSession(model: PreTrainedModel): OrtSession {
  return (model as unknown as { sessions: Record<string, OrtSession> }).sessions.model!;
}

/** Runs an onnxruntime session on `feeds`, fetching only `fetches`. */
export async function runSession(
  session: OrtSession,
  feeds: Record<string, Tensor>,
  fetches: readonly string[],
): Promise<Record<string, Tensor>> {
  // onnxruntime-web refuses an input the graph does not declare (onnxruntime-node ignores it):
  // only declared inputs are fed (num_logits_to_keep and position_ids are not in every export).
  const declared = new Set(session.inputNames);
  const ortFeeds = Object.fromEntries(
    Object.entries(feeds)
      .filter(([name]) => declared.has(name))
      .map(([name, t]) => [name, t.ort_tensor]),
  );
  const output = await session.run(ortFeeds, fetches);
  const wrap = Tensor as unknown as new (ortTensor: unknown) => Tensor;
  return Object.fromEntries(fetches.map((name) => [name, new wrap(output[name])]));
}

/** The cache a pass left (`present.*`), named as the next pass takes it. */
export function pastFrom(output: Record<string, Tensor>): PastKeyValues {
  const past: PastKeyValues = {};
  for (const [name, tensor] of Object.entries(output)) {
    if (name.startsWith('present')) past[name.replace(/^present/, 'past_key_values')] = tensor;
  }
  return past;
}

export function disposePast(past: PastKeyValues): void {
  for (const tensor of Object.values(past)) tensor.dispose();
}

export const disposeAll = (...maps: Record<string, Tensor>[]) => {
  for (const map of maps) for (const tensor of Object.values(map)) tensor.dispose();
};
