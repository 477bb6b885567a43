/**
 * One sequence through a session in chunks, each continuing from the last one's key/value cache:
 * how a context's prefix is run once (shared-context.ts), and how a row-coupled model's sequence
 * is scored alone. A graph without `num_logits_to_keep` returns logits for every position it runs,
 * so chunks bound how many one pass holds.
 */
import { Tensor } from '@huggingface/transformers';
import { FUSED_STATS, type OrtSession } from './token-stats.js';
import { disposePast, int64, logitsData, pastFrom, runSession, type PastKeyValues } from './ort-io.js';

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

/** Statistics wanted from position `from` of `length` tokens on, to be filled in chunk by chunk. */
function emptyStats(length: number, from: number): SequenceStats {
  const wanted = Math.max(0, length - from);
  return {
    logProbs: new Float32Array(wanted),
    entropies: new Float32Array(wanted),
    larger: new Float32Array(wanted),
  };
}

/**
 * Copies a chunk's fused statistics into `stats`: kept position j (sequence position first + j)
 * predicts token first + j + 1, of which those from `from` on, before `length`, are wanted.
 */
function keepStats(
  stats: SequenceStats,
  output: Record<string, Tensor>,
  window: { first: number; kept: number; from: number; length: number },
): void {
  const { first, kept, from, length } = window;
  const data = (name: string) => output[name]!.data as Float32Array;
  for (let j = 0; j < kept; j++) {
    const target = first + j + 1;
    if (target < from || target >= length) continue;
    stats.logProbs[target - from] = data(FUSED_STATS.logProb)[j]!;
    stats.entropies[target - from] = data(FUSED_STATS.entropy)[j]!;
    stats.larger[target - from] = data(FUSED_STATS.larger)[j]!;
  }
}

/**
 * Runs `ids` through `session` in chunks of `chunk` tokens (all at once when the graph keeps only
 * its last logits), each continuing from the last one's cache, and keeps the cache. On a session
 * with the fused statistics, `statsFrom` asks for the statistics of every token from that
 * position on (each predicted by the position before it); otherwise the last position's logits
 * are kept. Null where the session's inputs do not say the cache's shape.
 */
export async function runChunked(
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
  const stats = options.statsFrom === undefined ? null : emptyStats(ids.length, from);
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
    if (stats) keepStats(stats, output, { first, kept, from, length: ids.length });
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
