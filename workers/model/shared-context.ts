/**
 * Context sharing: a context is run through the model once, and every response paired with it
 * continues from that pass's key/value cache, in batches. The estimator pairs each context with
 * dozens of responses (its own, mismatched ones, the policy's and the golden), and contexts are
 * long while responses are short, so this skips most of the reference algorithm's work (a full
 * forward pass over context + response for every pair) and gives the same log-probs. The prefix
 * runs in chunks (chunked-pass.ts); tensors go in and out of sessions through ort-io.ts.
 */
import { Tensor, type PreTrainedModel } from '@huggingface/transformers';
import { FUSED_STATS, type OrtSession } from './token-stats.js';
import { chunkTokens, runChunked } from './chunked-pass.js';
import {
  cpuData,
  disposeAll,
  disposePast,
  int64,
  logitsData,
  modelSession,
  runSession,
  type PastKeyValues,
  type TensorData,
} from './ort-io.js';

export { chunkTokens, PASS_LOGIT_FLOATS } from './chunked-pass.js';
export type { PastKeyValues } from './ort-io.js';

/** A context's shared prefix, run once: its cache, which every suffix batch continues from. */
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

/** Frees a prefix's cache and its repeats. */
export function disposePrefix(prefix: PrefixPass): void {
  disposePast(prefix.past);
  if (prefix.tiled) disposePast(prefix.tiled.past);
}
