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

/**
 * Whether the graph takes a key/value cache and knows where new tokens sit after it: explicit
 * positions (Optimum exports), or GroupQueryAttention, which rotates each new token by its place
 * after the cache (onnxruntime-genai's CPU builds take no position_ids). `ops` are the graph's
 * operators where its file could be read.
 */
export function canShareContext(model: PreTrainedModel, ops: ReadonlySet<string> | null): boolean {
  const session = (model as unknown as { sessions: Record<string, { inputNames: string[]; outputNames: string[] }> })
    .sessions.model;
  if (!session) return false;
  return (
    (session.inputNames.includes('position_ids') || Boolean(ops?.has('GroupQueryAttention'))) &&
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

/**
 * A pass's inputs over `ids` (batch of one) at positions `first` … continuing from a cache of
 * `first` tokens, keeping the last position's logits where the graph can.
 */
function prefixFeeds(ids: readonly number[], first = 0): Record<string, Tensor> {
  const n = ids.length;
  return {
    input_ids: int64(ids, [1, n]),
    attention_mask: int64(new Array<number>(first + n).fill(1), [1, first + n]),
    position_ids: int64(
      Array.from({ length: n }, (_, p) => first + p),
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

/** Logits one pass may hold (floats): a graph that cannot keep only its last logits runs in chunks. */
export const PASS_LOGIT_FLOATS = 16 * 1024 * 1024;

/**
 * Tokens per pass over a long sequence for a graph without `num_logits_to_keep`: such a graph
 * returns logits for every position it runs (prefix length × vocabulary: 1 GiB per 1,000 tokens
 * at Gemma 3's 262,144 words), so it runs in chunks, each continuing from the last one's cache.
 */
export function chunkTokens(vocab: number): number {
  return Math.max(1, Math.floor(PASS_LOGIT_FLOATS / vocab));
}

/** The statistics of the tokens a chunked pass predicted, from position `from` on ([n − from]). */
export interface SequenceStats {
  readonly logProbs: Float32Array;
  readonly entropies: Float32Array;
  readonly larger: Float32Array;
}

/**
 * Runs `ids` through `session` in chunks of `chunk` tokens (all at once when the graph keeps only
 * its last logits), each continuing from the last one's cache, and keeps the cache. On a session
 * with the fused statistics, `statsFrom` asks for the statistics of every token from that
 * position on (each predicted by the position before it); otherwise the last position's logits
 * are kept. Null where the session's inputs do not say the cache's shape.
 */
async function runChunked(
  session: OrtSession,
  ids: readonly number[],
  options: { fused: boolean; chunk: number; statsFrom?: number },
): Promise<{ past: PastKeyValues; lastLogits: Float32Array | null; stats: SequenceStats | null } | null> {
  const empty = emptyPast(session);
  if (!empty) return null;
  const keepsLast = session.inputNames.includes('num_logits_to_keep');
  const chunk = keepsLast && options.statsFrom === undefined ? ids.length : options.chunk;
  const presents = Object.keys(empty).map((name) => name.replace(/^past_key_values/, 'present'));
  const from = options.statsFrom ?? ids.length;
  const wanted = Math.max(0, ids.length - from);
  const stats =
    options.statsFrom === undefined
      ? null
      : {
          logProbs: new Float32Array(wanted),
          entropies: new Float32Array(wanted),
          larger: new Float32Array(wanted),
        };
  let past: PastKeyValues = empty;
  let lastLogits: Float32Array | null = null;
  for (let first = 0; first < ids.length; first += chunk) {
    const piece = ids.slice(first, first + chunk);
    const feeds: Record<string, Tensor> = { ...prefixFeeds(piece, first), ...past };
    // Statistics wanted in this chunk, or only its last logits: a graph that keeps its last
    // logits alone runs every position only when asked for statistics.
    const keepAll = stats !== null || !keepsLast;
    if (keepAll) feeds.num_logits_to_keep = new Tensor('int64', [0n], []);
    const kept = keepAll ? piece.length : 1;
    const fetches = [...presents];
    if (options.fused) {
      // Each kept position's target is the token after it (the last one's, when the sequence
      // ends there, is never read).
      const targets = Array.from({ length: kept }, (_, j) => ids[first + piece.length - kept + j + 1] ?? 0);
      feeds[FUSED_STATS.targets] = int64(targets, [1, kept, 1]);
      if (stats) fetches.push(FUSED_STATS.logProb, FUSED_STATS.entropy, FUSED_STATS.larger);
    } else if (first + chunk >= ids.length) fetches.push('logits');
    const output = await runSession(session, feeds, fetches);
    if (stats) {
      const data = (name: string) => output[name]!.data as Float32Array;
      // Kept position j (sequence position first + j) predicts token first + j + 1.
      for (let j = 0; j < kept; j++) {
        const target = first + j + 1;
        if (target < from || target >= ids.length) continue;
        stats.logProbs[target - from] = data(FUSED_STATS.logProb)[j]!;
        stats.entropies[target - from] = data(FUSED_STATS.entropy)[j]!;
        stats.larger[target - from] = data(FUSED_STATS.larger)[j]!;
      }
    }
    if (output.logits) {
      const logits = await logitsData(output.logits);
      lastLogits = logits.slice(logits.length - output.logits.dims.at(-1)!);
    }
    for (const name of Object.keys(feeds)) if (!name.startsWith('past_key_values.')) feeds[name]!.dispose();
    if (past !== empty) disposePast(past);
    for (const [name, tensor] of Object.entries(output)) if (!name.startsWith('present')) tensor.dispose();
    past = pastFrom(output);
  }
  return { past, lastLogits, stats };
}

/**
 * Runs the shared prefix on the session with the fused token statistics, keeping only its cache.
 * The suffixes run on that session too: onnxruntime's CPU threads spin for a while after a run,
 * so alternating with the model's own session left its threads spinning against this one's on
 * the same cores. Null where the session's inputs do not say the cache's shape.
 */
export async function runPrefixFused(
  session: OrtSession,
  ids: readonly number[],
  vocab: number,
): Promise<PrefixPass | null> {
  const run = await runChunked(session, ids, { fused: true, chunk: chunkTokens(vocab) });
  return run && { length: ids.length, lastLogits: null, past: run.past };
}

/** Runs the shared prefix alone on the model's own session, keeping only its last position's logits. */
export async function runPrefix(
  model: PreTrainedModel,
  ids: readonly number[],
  vocab: number,
): Promise<PrefixPass | null> {
  const run = await runChunked(modelSession(model), ids, { fused: false, chunk: chunkTokens(vocab) });
  return run && { length: ids.length, lastLogits: run.lastLogits, past: run.past };
}

/**
 * One sequence alone, in chunks (runChunked), on a session with the fused statistics: the
 * statistics of its tokens from `from` on. Used for graphs whose scores depend on what else runs
 * in the same pass (dynamic int8: one quantization scale per pass), so that a sequence's scores
 * depend on the sequence alone.
 */
export async function runSequenceStats(
  session: OrtSession,
  ids: readonly number[],
  from: number,
  vocab: number,
): Promise<SequenceStats | null> {
  const run = await runChunked(session, ids, { fused: true, chunk: chunkTokens(vocab), statsFrom: from });
  if (!run) return null;
  disposePast(run.past);
  return run.stats;
}

/** The model's own onnxruntime session. */
export function modelSession(model: PreTrainedModel): OrtSession {
  return (model as unknown as { sessions: Record<string, OrtSession> }).sessions.model!;
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
  const output = await runSession(modelSession(model), feeds, ['logits']);
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
  // A graph without num_logits_to_keep computes (and so compares with targets) every position.
  const keep = session.inputNames.includes('num_logits_to_keep') ? keepLast || paddedLength : paddedLength;
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

function disposePast(past: PastKeyValues): void {
  for (const tensor of Object.values(past)) tensor.dispose();
}

/** Frees a prefix's cache and its repeats. */
export function disposePrefix(prefix: PrefixPass): void {
  disposePast(prefix.past);
  if (prefix.tiled) disposePast(prefix.tiled.past);
}
