/**
 * The mismatched pairs S of the reference MI estimator (docs/method.md section 3): a uniform random
 * sample, with a fixed seed, of min(N(N−1), maxPairs) ordered pairs (i, j), i ≠ j, drawn
 * without replacement from one category's N samples.
 */
import { createRng } from '../random.js';

export interface SamplePair {
  /** Index of the sample whose context x_i is used. */
  readonly i: number;
  /** Index of the sample whose response y_j is scored under x_i. */
  readonly j: number;
}

/** The default (and the paper's) number of mismatched pairs per category. */
export const DEFAULT_MAX_PAIRS = 1000;

/**
 * Ordered pairs k ∈ [0, N(N−1)) map to (i, j) with i = ⌊k / (N−1)⌋ and j the (k mod (N−1))-th
 * index other than i. All pairs (in that order) when N(N−1) ≤ maxPairs, else a seeded draw,
 * sorted so that pairs sharing a context sit together (they can share a forward pass later).
 */
export function mismatchedPairs(n: number, maxPairs: number, seed: number): SamplePair[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(maxPairs) || maxPairs < 0)
    throw new RangeError(`maxPairs must be a non-negative integer, got ${maxPairs}`);
  const total = n * (n - 1);
  const toPair = (k: number): SamplePair => {
    const i = Math.floor(k / (n - 1));
    const r = k % (n - 1);
    return { i, j: r < i ? r : r + 1 };
  };
  if (total <= maxPairs) return Array.from({ length: total }, (_, k) => toPair(k));
  const rng = createRng(seed);
  const chosen = new Set<number>();
  // Rejection is cheap here: at most maxPairs draws are kept from a larger space.
  while (chosen.size < maxPairs) chosen.add(rng.int(total));
  return [...chosen].sort((a, b) => a - b).map(toPair);
}
