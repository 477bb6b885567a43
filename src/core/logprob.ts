/**
 * Numerically stable log-softmax over one row of logits.
 *
 * log_softmax(z)_k = z_k − logsumexp(z), with logsumexp(z) = m + log Σ_j exp(z_j − m), m = max z.
 * Subtracting the max keeps exp() in range for any logits; the result is in nats.
 * A row containing NaN yields NaN (never a silently finite number).
 */
import type { Nats } from './units.js';

/** logsumexp of `row[offset .. offset+length)`, in nats. −Infinity for an all −Infinity row. */
export function logSumExp(row: ArrayLike<number>, offset = 0, length = row.length - offset): number {
  let max = -Infinity;
  for (let j = 0; j < length; j++) {
    const v = row[offset + j]!;
    if (v > max || Number.isNaN(v)) max = v;
  }
  if (Number.isNaN(max)) return NaN;
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let j = 0; j < length; j++) sum += Math.exp(row[offset + j]! - max);
  return max + Math.log(sum);
}

/** Full log-softmax of one row (a new Float64Array of the row's length). */
export function logSoftmax(row: ArrayLike<number>): Float64Array {
  const lse = logSumExp(row);
  const out = new Float64Array(row.length);
  for (let j = 0; j < row.length; j++) out[j] = row[j]! - lse;
  return out;
}

/** Sum and mean of per-token log-probs, in nats. The mean of an empty span is NaN, not 0. */
export function summarizeLogProbs(logProbs: ArrayLike<number>): {
  sumLogProb: Nats;
  meanLogProb: Nats;
} {
  let sum = 0;
  for (let i = 0; i < logProbs.length; i++) sum += logProbs[i]!;
  return { sumLogProb: sum as Nats, meanLogProb: (logProbs.length ? sum / logProbs.length : NaN) as Nats };
}

export interface TokenStats {
  readonly logProb: Nats;
  readonly entropy: Nats;
  readonly rank: number;
}

/**
 * At one row of logits (flattened, `vocabSize` wide) and one token: its log-probability
 * z_t − logsumexp(z); the entropy of the next-token distribution, H = −Σ p log p =
 * logsumexp(z) − Σ p_k z_k (p = softmax(z)); and its rank (1 = the most likely; ties share the
 * better rank). Two passes over the row (the max, then one exp per entry for all three). The
 * model service computes these natively (workers/model/token-stats.ts); this is its fallback and the
 * reference it is tested against.
 */
export function tokenStats(
  logits: ArrayLike<number>,
  rowIndex: number,
  vocabSize: number,
  tokenId: number,
): TokenStats {
  if (tokenId < 0 || tokenId >= vocabSize) {
    throw new RangeError(`token id ${tokenId} is outside the vocabulary (size ${vocabSize})`);
  }
  const offset = rowIndex * vocabSize;
  const target = logits[offset + tokenId]!;
  let max = -Infinity;
  for (let j = 0; j < vocabSize; j++) {
    const v = logits[offset + j]!;
    if (v > max || Number.isNaN(v)) max = v;
  }
  if (Number.isNaN(max)) return { logProb: NaN as Nats, entropy: NaN as Nats, rank: NaN };
  let sum = 0;
  let weighted = 0;
  let larger = 0;
  for (let j = 0; j < vocabSize; j++) {
    const z = logits[offset + j]!;
    if (z > target) larger++;
    if (z === -Infinity) continue; // p = 0 contributes nothing (and 0 · −∞ would be NaN)
    const e = Math.exp(z - max);
    sum += e;
    weighted += e * (z - max);
  }
  const logSum = Math.log(sum);
  return {
    logProb: (target - max - logSum) as Nats,
    entropy: Math.max(0, logSum - weighted / sum) as Nats,
    rank: larger + 1,
  };
}
