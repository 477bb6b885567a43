/**
 * The two runtimes alone, with nothing of ours around them: a bundled model's graph with the fused
 * token statistics (workers/model/token-stats.ts) run on identical feeds, a suffix batch as the engine
 * runs one (4 rows × 100 tokens continuing a 284-token context), by onnxruntime-node (native CPU,
 * the copy transformers.js loads) and by onnxruntime-web's wasm build (the build Chromium runs,
 * here in Node's V8 on as many threads as the browser had). No tokenizer, no feeds built per
 * pass: the ratio is a floor under the browser-vs-native one, set by the runtimes' kernels.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as ortWeb from 'onnxruntime-web';
import { FUSED_STATS, withTokenStats } from '../../workers/model/token-stats.js';
import { BUNDLED_MODELS_DIR } from '../../node/model-host.js';

type Ort = typeof ortWeb;

export interface KernelRun {
  readonly model: string;
  readonly batch: string;
  readonly nativeMs: number;
  readonly wasmMs: number;
  readonly wasmThreads: number;
  readonly ratio: number;
}

const ROWS = 4;
const SUFFIX_TOKENS = 100;
const CONTEXT_TOKENS = 284;
const PASSES = 30;

/** The suffix batch's feeds, from the session's own input shapes ([batch, heads, past, head size] caches). */
function feeds(ort: Ort, session: ortWeb.InferenceSession): Record<string, ortWeb.Tensor> {
  const int64 = (n: number, value: (i: number) => number, dims: number[]) =>
    new ort.Tensor(
      'int64',
      BigInt64Array.from({ length: n }, (_, i) => BigInt(value(i))),
      dims,
    );
  const total = CONTEXT_TOKENS + SUFFIX_TOKENS;
  const out: Record<string, ortWeb.Tensor> = {
    input_ids: int64(ROWS * SUFFIX_TOKENS, (i) => 3 + ((i * 7919) % 8000), [ROWS, SUFFIX_TOKENS]),
    attention_mask: int64(ROWS * total, () => 1, [ROWS, total]),
    position_ids: int64(ROWS * SUFFIX_TOKENS, (i) => CONTEXT_TOKENS + (i % SUFFIX_TOKENS), [ROWS, SUFFIX_TOKENS]),
    num_logits_to_keep: int64(1, () => SUFFIX_TOKENS, []),
    [FUSED_STATS.targets]: int64(ROWS * SUFFIX_TOKENS, (i) => (i * 31) % 8000, [ROWS, SUFFIX_TOKENS, 1]),
  };
  for (const meta of session.inputMetadata) {
    if (!meta.name.startsWith('past_key_values.') || !meta.isTensor) continue;
    const dims = meta.shape.map((d) => (typeof d === 'number' ? d : d === 'batch_size' ? ROWS : CONTEXT_TOKENS));
    const size = dims.reduce((a, b) => a * b, 1);
    out[meta.name] = new ort.Tensor(
      'float32',
      Float32Array.from({ length: size }, (_, i) => Math.sin(i) / 10),
      dims,
    );
  }
  return out;
}

async function msPerPass(ort: Ort, graph: Uint8Array, provider: string): Promise<number> {
  const session = await ort.InferenceSession.create(graph, { executionProviders: [provider] });
  const input = feeds(ort, session);
  const fetches = [FUSED_STATS.logProb, FUSED_STATS.entropy, FUSED_STATS.larger];
  for (let i = 0; i < 3; i++) await session.run(input, fetches);
  const started = performance.now();
  for (let i = 0; i < PASSES; i++) await session.run(input, fetches);
  const ms = (performance.now() - started) / PASSES;
  await session.release();
  return ms;
}

export async function measureKernels(modelId: string, wasmThreads: number): Promise<KernelRun> {
  const graph = withTokenStats(new Uint8Array(readFileSync(path.join(BUNDLED_MODELS_DIR, modelId, 'onnx/model.onnx'))));
  if (!graph) throw new Error(`${modelId}: its graph cannot take the fused statistics`);
  const fromTransformers = createRequire(createRequire(import.meta.url).resolve('@huggingface/transformers'));
  const ortNode = fromTransformers('onnxruntime-node') as Ort;
  ortWeb.env.wasm.numThreads = wasmThreads;
  const nativeMs = await msPerPass(ortNode, graph, 'cpu');
  const wasmMs = await msPerPass(ortWeb, graph, 'wasm');
  return {
    model: modelId,
    batch: `${ROWS} rows × ${SUFFIX_TOKENS} tokens after ${CONTEXT_TOKENS}`,
    nativeMs,
    wasmMs,
    wasmThreads,
    ratio: wasmMs / nativeMs,
  };
}
