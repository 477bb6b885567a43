/**
 * Validation of the bound as the EMI paper does it (docs/method.md section 4): across the (policy,
 * shifted category) pairs of a run, the Pearson and Spearman correlations between R-EMID and the
 * bound, with two-sided p-values, and whether R-EMID ≤ bound held for every pair.
 *
 * Both p-values use the t statistic t = r √((n − 2)/(1 − r²)) with n − 2 degrees of freedom:
 * exact for Pearson's r under bivariate normality, and the usual large-sample approximation for
 * Spearman's ρ (what SciPy's pearsonr and spearmanr report). The t CDF is
 * @stdlib/stats-base-dists-t-cdf: a single-purpose, typed, actively maintained module of the
 * stdlib numerical library, computed through the regularized incomplete beta function and
 * tested against reference values (jStat, the other common choice, ships no types and is barely
 * maintained).
 */
import tCdf from '@stdlib/stats-base-dists-t-cdf';

/** One (policy, shifted category) pair: its measured R-EMID and its bound (both in nats per token). */
export interface BoundPoint {
  readonly policy: string;
  readonly category: string;
  readonly remid: number;
  /** The bound to check, normally BoundTerms.published (the scale-adjusted sum has no constants). */
  readonly bound: number;
}

/** A pair where R-EMID exceeded the bound, by `excess` = remid − bound > 0. */
export interface BoundViolation extends BoundPoint {
  readonly excess: number;
}

/** The results file's `boundValidation`. */
export interface BoundValidation {
  /** Number of pairs. */
  readonly n: number;
  /** NaN with fewer than 2 pairs or when either variable is constant. */
  readonly pearson: number;
  /** Two-sided; NaN with fewer than 3 pairs. 0 when |r| = 1. */
  readonly pearsonP: number;
  /** Pearson's r of the ranks, ties given their average rank. */
  readonly spearman: number;
  readonly spearmanP: number;
  /** R-EMID ≤ bound for every pair (true for no pairs). */
  readonly held: boolean;
  /** The pairs where it did not, in input order. */
  readonly violations: readonly BoundViolation[];
}

/** Pearson's correlation coefficient; NaN for fewer than 2 values or a constant variable. */
export function pearson(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new RangeError(`x and y differ in length (${x.length} vs ${y.length})`);
  const n = x.length;
  if (n < 2) return NaN;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return NaN;
  // Rounding can push |r| a hair past 1 for perfectly (anti)correlated data.
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** Ranks 1..n, tied values sharing the average of the ranks they span. */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const ranks = new Array<number>(values.length);
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    while (end < order.length && order[end]!.v === order[start]!.v) end++;
    const rank = (start + 1 + end) / 2; // mean of ranks start+1 .. end
    for (let k = start; k < end; k++) ranks[order[k]!.i] = rank;
    start = end;
  }
  return ranks;
}

/** Spearman's ρ: Pearson's r of the average ranks. */
export function spearman(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new RangeError(`x and y differ in length (${x.length} vs ${y.length})`);
  return pearson(averageRanks(x), averageRanks(y));
}

/**
 * Two-sided p-value of a correlation r over n pairs against r = 0, from t = r √((n−2)/(1−r²))
 * with n − 2 degrees of freedom: 2 · F_t(−|t|). NaN for n < 3 or r NaN; 0 for |r| = 1.
 */
export function correlationPValue(r: number, n: number): number {
  if (!(n >= 3) || Number.isNaN(r)) return NaN;
  if (Math.abs(r) >= 1) return 0;
  const t = Math.abs(r) * Math.sqrt((n - 2) / (1 - r * r));
  return Math.min(1, 2 * tCdf(-t, n - 2));
}

/**
 * Correlations between R-EMID and the bound across pairs, and where the bound failed. Throws a
 * RangeError for a pair whose R-EMID or bound is not finite (leave such pairs out first).
 */
export function validateBound(points: readonly BoundPoint[]): BoundValidation {
  points.forEach((p) => {
    if (!Number.isFinite(p.remid) || !Number.isFinite(p.bound))
      throw new RangeError(`${p.policy} / ${p.category}: R-EMID and bound must be finite`);
  });
  const remids = points.map((p) => p.remid);
  const bounds = points.map((p) => p.bound);
  const r = pearson(remids, bounds);
  const rho = spearman(remids, bounds);
  const violations = points.filter((p) => p.remid > p.bound).map((p) => ({ ...p, excess: p.remid - p.bound }));
  return {
    n: points.length,
    pearson: r,
    pearsonP: correlationPValue(r, points.length),
    spearman: rho,
    spearmanP: correlationPValue(rho, points.length),
    held: violations.length === 0,
    violations,
  };
}
