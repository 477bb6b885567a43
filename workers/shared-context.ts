/**
 * Context sharing: a context is run through the model once, and every response paired with it
 * continues from that pass's key/value cache, in batches. The estimator pairs each context with
 * dozens of responses (its own, mismatched ones, the policy's and the golden), and contexts are
 * long while responses are short, so this skips most of the reference algorithm's work (a full
 * forward pass over context + response for every pair) and gives the same log-probs.
 */
import { Tensor, type PreTrainedModel } from '@huggingface/transformers';
import { FUSED_STATS, type OrtSession } from './token-stats.js';

/** The cache a forward pass leaves, as the next pass takes it (`past_key_values.<layer>.<key|value>`). */
export type PastKeyValues = Record<string, Tensor>;

export interface PrefixPass {
  /** Tokens in the shared prefix. */
  readonly length: number;
  /**
   * The logits after the prefix's last token (they predict the first token after it); null from
   * the fused session, whose suffix rows hand back every response token's statistics.
   */
  readonly lastLogits: Float32Array | null;
  /** Batch of one. */
  readonly past: PastKeyValues;
  /** The cache repeated for as many rows as a batch has had, kept for the next batch (tiledPast). */
  tiled?: { readonly rows: number; readonly past: PastKeyValues };
}

/** Whether the graph takes a key/value cache and explicit positions (every transformers.js decoder export does). */
export function canShareContext(model: PreTrainedModel): boolean {
  const session = (model as unknown as { sessions: Record<string, { inputNames: string[]; outputNames: string[] }> })
    .sessions.model;
  if (!session) return false;
  return (
    session.inputNames.includes('position_ids') &&
    session.inputNames.some((n) => n.startsWith('past_key_values.')) &&
    session.outputNames.some((n) => n.startsWith('present.')) &&
    !session.inputNames.includes('use_cache_branch')
  );
}

/** Tokens every sequence starts with, at most `cap`. */
export function commonPrefixLength(sequences: readonly (readonly number[])[], cap: number): number {
  const first = sequences[0];
  if (!first) return 0;
  let length = 0;
  while (length < cap && sequences.every((ids) => ids[length] !== undefined && ids[length] === first[length])) length++;
  return length;
}

/** Logits as float32 on the CPU, whatever the device and the graph's output type (fp16 models give float16). */
export async function logitsData(logits: Tensor): Promise<Float32Array> {
  const cpu = logits.location === 'cpu' ? logits : new Tensor(logits.type, await cpuData(logits), logits.dims);
  return (cpu.type === 'float32' ? cpu.data : cpu.to('float32').data) as Float32Array;
}

function int64(values: ArrayLike<number>, dims: number[]): Tensor {
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]!);
  return new Tensor('int64', data, dims);
}

type TensorData = Float32Array | Uint16Array;

/** A tensor's values on the CPU (WebGPU may leave outputs in GPU buffers). */
async function cpuData(tensor: Tensor): Promise<TensorData> {
  return (tensor.location === 'cpu' ? tensor.data : await tensor.ort_tensor.getData()) as TensorData;
}

/**
 * The empty cache a first pass takes, from the session's input shapes: batch 1, past length 0
 * (`past_key_values.<layer>.<key|value>` [batch_size, heads, past_sequence_length, head_size]).
 * Null when a shape has a dimension of another kind.
 */
function emptyPast(session: OrtSession): PastKeyValues | null {
  const past: PastKeyValues = {};
  for (const { name, type, shape } of session.inputMetadata ?? []) {
    if (!name.startsWith('past_key_values.')) continue;
    const dims = shape.map((d) => (typeof d === 'number' ? d : d === 'batch_size' ? 1 : /past/.test(d) ? 0 : NaN));
    if (dims.some(Number.isNaN) || (type !== 'float32' && type !== 'float16')) return null;
    past[name] = new Tensor(type, type === 'float32' ? new Float32Array(0) : new Uint16Array(0), dims);
  }
  return Object.keys(past).length > 0 ? past : null;
}

/** A first pass's inputs over `ids` (batch of one), keeping the last position's logits. */
function prefixFeeds(ids: readonly number[]): Record<string, Tensor> {
  const n = ids.length;
  return {
    input_ids: int64(ids, [1, n]),
    attention_mask: int64(new Array<number>(n).fill(1), [1, n]),
    position_ids: int64(
      Array.from({ length: n }, (_, p) => p),
      [1, n],
    ),
    num_logits_to_keep: new Tensor('int64', [1n], []),
  };
}

/** The cache a pass left (`present.*`), named as the next pass takes it. */
function pastFrom(output: Record<string, Tensor>): PastKeyValues {
  const past: PastKeyValues = {};
  for (const [name, tensor] of Object.entries(output)) {
    if (name.startsWith('present')) past[name.replace(/^present/, 'past_key_values')] = tensor;
  }
  return past;
}

/**
 * Runs the shared prefix on the session with the fused token statistics, keeping only its cache.
 * The suffixes run on that session too: onnxruntime's CPU threads spin for a while after a run,
 * so alternating with the model's own session left its threads spinning against this one's on
 * the same cores. Null where the session's inputs do not say the cache's shape.
 */
export async function runPrefixFused(session: OrtSession, ids: readonly number[]): Promise<PrefixPass | null> {
  const empty = emptyPast(session);
  if (!empty) return null;
  const feeds = { ...prefixFeeds(ids), [FUSED_STATS.targets]: new Tensor('int64', [0n], [1, 1, 1]), ...empty };
  const presents = Object.keys(empty).map((name) => name.replace(/^past_key_values/, 'present'));
  const output = await runSession(session, feeds, presents);
  disposeAll(feeds);
  return { length: ids.length, lastLogits: null, past: pastFrom(output) };
}

/** Runs the shared prefix alone, keeping only its last position's logits. */
export async function runPrefix(model: PreTrainedModel, ids: readonly number[]): Promise<PrefixPass> {
  const output = (await model(prefixFeeds(ids))) as Record<string, Tensor>;
  const logits = output.logits!;
  const lastLogits = (await logitsData(logits)).slice(-logits.dims.at(-1)!);
  logits.dispose();
  return { length: ids.length, lastLogits, past: pastFrom(output) };
}

/**
 * The prefix's cache repeated for `rows` sequences. The batch is the outer dimension of every
 * cache tensor (also where it is folded into the heads), so repeating the whole buffer is right,
 * and the first rows of a longer repeat are its start: a context's batches (most as many rows as
 * the first) share one copy, which the prefix keeps until it is disposed of.
 */
async function tiledPast(prefix: PrefixPass, rows: number): Promise<PastKeyValues> {
  if (!prefix.tiled || prefix.tiled.rows < rows) {
    if (prefix.tiled) disposePast(prefix.tiled.past);
    const past: PastKeyValues = {};
    for (const [name, tensor] of Object.entries(prefix.past)) {
      const data = await cpuData(tensor);
      // float16 caches (q4f16 and fp16 models) come as 16-bit words: copied as they are.
      const out = new (data.constructor as new (length: number) => TensorData)(data.length * rows);
      for (let r = 0; r < rows; r++) out.set(data, r * data.length);
      past[name] = new Tensor(tensor.type as 'float32', out, [tensor.dims[0]! * rows, ...tensor.dims.slice(1)]);
    }
    prefix.tiled = { rows, past };
  }
  const { tiled } = prefix;
  const view: PastKeyValues = {};
  for (const [name, tensor] of Object.entries(tiled.past)) {
    const data = tensor.data as TensorData;
    const perRow = data.length / tiled.rows;
    view[name] = new Tensor(tensor.type as 'float32', data.subarray(0, perRow * rows), [
      (tensor.dims[0]! / tiled.rows) * rows,
      ...tensor.dims.slice(1),
    ]);
  }
  return view;
}

/**
 * The feeds of a right-padded batch of suffixes (each sequence's tokens after the prefix)
 * continuing from the prefix's cache, keeping the logits of the last `keepLast` padded positions
 * of each row (0: all).
 */
async function suffixFeeds(
  prefix: PrefixPass,
  suffixes: readonly (readonly number[])[],
  paddedLength: number,
  keepLast: number,
  padId: number,
): Promise<Record<string, Tensor>> {
  const rows = suffixes.length;
  const total = prefix.length + paddedLength;
  const ids = new Array<number>(rows * paddedLength).fill(padId);
  const mask = new Array<number>(rows * total).fill(0);
  const positions = new Array<number>(rows * paddedLength).fill(0);
  suffixes.forEach((suffix, r) => {
    for (let p = 0; p < prefix.length; p++) mask[r * total + p] = 1;
    for (let t = 0; t < paddedLength; t++) {
      positions[r * paddedLength + t] = prefix.length + t;
      if (t < suffix.length) {
        ids[r * paddedLength + t] = suffix[t]!;
        mask[r * total + prefix.length + t] = 1;
      }
    }
  });
  return {
    input_ids: int64(ids, [rows, paddedLength]),
    attention_mask: int64(mask, [rows, total]),
    position_ids: int64(positions, [rows, paddedLength]),
    num_logits_to_keep: new Tensor('int64', [BigInt(keepLast)], []),
    ...(await tiledPast(prefix, rows)),
  };
}

const disposeAll = (...maps: Record<string, Tensor>[]) => {
  for (const map of maps) for (const tensor of Object.values(map)) tensor.dispose();
};

/**
 * Runs suffixes as one batch continuing from the prefix's cache. Returns the logits of the last
 * `keepLast` padded positions of each row (0: all), row-major [rows, kept, vocabulary].
 */
export async function runSuffixBatch(
  model: PreTrainedModel,
  prefix: PrefixPass,
  suffixes: readonly (readonly number[])[],
  paddedLength: number,
  keepLast: number,
  padId: number,
): Promise<{ logits: Float32Array; keptRows: number; dispose: () => void }> {
  const feeds = await suffixFeeds(prefix, suffixes, paddedLength, keepLast, padId);
  // Straight to the session, fetching the logits alone: the cache this pass extends (rows copies
  // of prefix + suffix) is never used again, and copying it out would cost more than the pass.
  const session = (model as unknown as { sessions: Record<string, OrtSession> }).sessions.model!;
  const output = await runSession(session, feeds, ['logits']);
  const logits = output.logits!;
  const data = await logitsData(logits);
  return { logits: data, keptRows: logits.dims[1]!, dispose: () => disposeAll(output, feeds) };
}

/** Per kept position of each row, row-major [rows, kept]: the statistics of the token after it. */
export interface SuffixStats {
  readonly logProbs: Float32Array;
  readonly entropies: Float32Array;
  /** Tokens with a larger logit than the target (rank − 1). */
  readonly larger: Float32Array;
  readonly keptRows: number;
}

/**
 * Runs suffixes as one batch on a session whose graph also computes the token statistics
 * (token-stats.ts, withTokenStats): the target of each kept position is the suffix's next token,
 * and only the statistics come back, never the logits.
 */
export async function runSuffixStats(
  session: OrtSession,
  prefix: PrefixPass,
  suffixes: readonly (readonly number[])[],
  paddedLength: number,
  keepLast: number,
  padId: number,
): Promise<SuffixStats> {
  const feeds = await suffixFeeds(prefix, suffixes, paddedLength, keepLast, padId);
  const keep = keepLast || paddedLength;
  const targets = new Array<number>(suffixes.length * keep).fill(0);
  suffixes.forEach((suffix, r) => {
    for (let j = 0; j < keep; j++) targets[r * keep + j] = suffix[paddedLength - keep + j + 1] ?? 0;
  });
  feeds[FUSED_STATS.targets] = int64(targets, [suffixes.length, keep, 1]);
  const output = await runSession(session, feeds, [FUSED_STATS.logProb, FUSED_STATS.entropy, FUSED_STATS.larger]);
  try {
    const data = (name: string) => output[name]!.data as Float32Array;
    return {
      logProbs: data(FUSED_STATS.logProb),
      entropies: data(FUSED_STATS.entropy),
      larger: data(FUSED_STATS.larger),
      keptRows: keep,
    };
  } finally {
    disposeAll(output, feeds);
  }
}

/** Runs an onnxruntime session on `feeds`, fetching only `fetches`. */
async function runSession(
  session: OrtSession,
  feeds: Record<string, Tensor>,
  fetches: readonly string[],
): Promise<Record<string, Tensor>> {
  const ortFeeds = Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, t.ort_tensor]));
  const output = await session.run(ortFeeds, fetches);
  const wrap = Tensor as unknown as new (ortTensor: unknown) => Tensor;
  return Object.fromEntries(fetches.map((name) => [name, new wrap(output[name])]));
}

function disposePast(past: PastKeyValues): void {
  for (const tensor of Object.values(past)) tensor.dispose();
}

/** Frees a prefix's cache and its repeats. */
export function disposePrefix(prefix: PrefixPass): void {
  disposePast(prefix.past);
  if (prefix.tiled) disposePast(prefix.tiled.past);
}
