/**
 * R-EMID per shifted category and per shift family with percentile bootstrap confidence
 * intervals (docs/method.md section 3). Each replicate resamples every category's samples with
 * replacement (once, so a reference shared by several shifts is resampled consistently) and
 * re-estimates MI with the pairs whose two samples were drawn, weighted by their multiplicities:
 *   MI_w = Σ_i w_i s_ii / Σ_i w_i − Σ_{(i,j)∈S} w_i w_j s_ij / Σ_{(i,j)∈S} w_i w_j.
 * With every w_i = 1 this is the reference estimator. The mixture and null-prompt alternatives
 * are weighted the same way (weightedMixtureMi, weightedNullPromptMi). Scores are mean per-token
 * log-probabilities, so every MI here is in nats per token.
 */
import { createRng, type Rng } from '../random.js';
import { nats, type Nats } from '../units.js';
import { emi, remid, type ScoredPair } from './mi.js';

/** One responder's scores in one category (nats per token). */
export interface ResponderScores {
  /** s(x_i, y_i), NaN where y_i could not be scored; length N. */
  readonly matched: readonly number[];
  readonly mismatched: readonly ScoredPair[];
  /**
   * s(∅, y_i), the score of y_i after the null context, NaN where it could not be scored;
   * length N. Needed by the null-prompt estimator only.
   */
  readonly nullScores?: readonly number[];
}

/** Scores of one category for one policy: its own responses' and the golden responses'. */
export interface CategoryScores {
  /** Number of samples N; `matched` (and `nullScores`) arrays have this length. */
  readonly n: number;
  readonly model: ResponderScores;
  readonly gold: ResponderScores;
}

export interface Interval {
  readonly estimate: Nats;
  /** Percentile bounds; NaN when no replicate could be computed. */
  readonly low: Nats;
  readonly high: Nats;
}

export interface RemidRequest {
  readonly categories: Readonly<Record<string, CategoryScores>>;
  /** Each shifted category and the in-distribution category it is compared with. */
  readonly shifts: readonly { readonly tag: string; readonly reference: string }[];
  /** Shift family → its categories; a family's R-EMID is their sample-weighted mean. */
  readonly families?: Readonly<Record<string, readonly string[]>>;
  readonly replicates?: number;
  readonly seed?: number;
  /** Confidence level of the interval (default 0.95). */
  readonly level?: number;
  /** The MI estimator (default the reference one). */
  readonly estimator?: MiEstimatorKind;
}

export interface RemidResult {
  readonly byCategory: Readonly<Record<string, Interval>>;
  readonly byFamily: Readonly<Record<string, Interval>>;
  /** EMI per category at the full sample (no resampling). */
  readonly emi: Readonly<Record<string, Nats>>;
}

export const DEFAULT_BOOTSTRAP_REPLICATES = 1000;

/**
 * The multiplicity-weighted reference estimator (weights all 1: the plain estimator). Matched
 * scores that are NaN (responses that could not be scored) are left out.
 */
export function weightedMi(
  matched: readonly number[],
  mismatched: readonly ScoredPair[],
  weights: ArrayLike<number>,
): number {
  let own = 0;
  let ownWeight = 0;
  matched.forEach((s, i) => {
    if (!Number.isFinite(s)) return; // a response that could not be scored (e.g. empty)
    own += weights[i]! * s;
    ownWeight += weights[i]!;
  });
  let cross = 0;
  let crossWeight = 0;
  for (const p of mismatched) {
    const w = weights[p.i]! * weights[p.j]!;
    cross += w * p.score;
    crossWeight += w;
  }
  return ownWeight > 0 && crossWeight > 0 ? own / ownWeight - cross / crossWeight : NaN;
}

/**
 * The multiplicity-weighted mixture estimator: each sample i with at least one drawn other
 * context k (a pair (k, i)) contributes
 *   s_ii − log[(e^{s_ii} + Σ_k w_k e^{s_ki}) / (1 + Σ_k w_k)],
 * averaged with weights w_i. With every w = 1 this is miMixture (mi.ts).
 */
export function weightedMixtureMi(
  matched: readonly number[],
  mismatched: readonly ScoredPair[],
  weights: ArrayLike<number>,
): number {
  const others = new Map<number, ScoredPair[]>();
  for (const p of mismatched) if (weights[p.i]! > 0) (others.get(p.j) ?? others.set(p.j, []).get(p.j)!).push(p);
  let sum = 0;
  let weight = 0;
  matched.forEach((own, i) => {
    const alt = others.get(i);
    if (!alt || !Number.isFinite(own) || weights[i]! === 0) return;
    // log-mean-exp with multiplicities, shifted by the maximum for stability.
    const max = Math.max(own, ...alt.map((p) => p.score));
    let total = Math.exp(own - max);
    let count = 1;
    for (const p of alt) {
      total += weights[p.i]! * Math.exp(p.score - max);
      count += weights[p.i]!;
    }
    sum += weights[i]! * (own - (max + Math.log(total / count)));
    weight += weights[i]!;
  });
  return weight > 0 ? sum / weight : NaN;
}

/**
 * The multiplicity-weighted null-prompt estimator (domain-conditional PMI):
 *   MI_w = Σ_i w_i (s_ii − s_∅i) / Σ_i w_i,
 * with s_∅i = s(∅, y_i) the score of y_i after the null context, in nats per token. Samples
 * whose own or null score is NaN (unscorable) are left out; NaN when none is left. With every
 * w = 1 (and every score finite) this is miNullPrompt (mi.ts). A bootstrap replicate in which
 * sample i was drawn w_i times counts its difference w_i times, exactly as a list holding it
 * w_i times would.
 */
export function weightedNullPromptMi(
  matched: readonly number[],
  nullScores: readonly number[],
  weights: ArrayLike<number>,
): number {
  if (matched.length !== nullScores.length) throw new RangeError('matched and null scores differ in length');
  let sum = 0;
  let weight = 0;
  matched.forEach((own, i) => {
    const none = nullScores[i]!;
    if (!Number.isFinite(own) || !Number.isFinite(none)) return;
    sum += weights[i]! * (own - none);
    weight += weights[i]!;
  });
  return weight > 0 ? sum / weight : NaN;
}

/**
 * The MI estimators the pipeline offers (docs/method.md section 3): the reference (CLUB-style) one,
 * the default; the mixture one; and the null-prompt one, which needs each response's score
 * after the null context.
 */
export type MiEstimatorKind = 'reference' | 'mixture' | 'null-prompt';

/** The weighted MI of one responder's scores with the chosen estimator. */
export function estimateMi(kind: MiEstimatorKind, scores: ResponderScores, weights: ArrayLike<number>): number {
  switch (kind) {
    case 'mixture':
      return weightedMixtureMi(scores.matched, scores.mismatched, weights);
    case 'null-prompt':
      if (!scores.nullScores) throw new RangeError('the null-prompt estimator needs null-context scores (nullScores)');
      return weightedNullPromptMi(scores.matched, scores.nullScores, weights);
    case 'reference':
      return weightedMi(scores.matched, scores.mismatched, weights);
  }
}

function categoryEmi(scores: CategoryScores, weights: ArrayLike<number>, kind: MiEstimatorKind): number {
  return emi(nats(estimateMi(kind, scores.model, weights)), nats(estimateMi(kind, scores.gold, weights)));
}

/**
 * One bootstrap resample of n samples as multiplicities: n draws with replacement from `rng`,
 * weights[i] = how often sample i was drawn. Uses exactly n calls of rng.int(n).
 */
export function resampleWeights(n: number, rng: Rng): Uint32Array {
  const weights = new Uint32Array(n);
  for (let k = 0; k < n; k++) weights[rng.int(n)]!++;
  return weights;
}

/** Linear-interpolation quantile of sorted values (type 7, as numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** The sample-weighted mean of `values` over a family's categories (weights: each category's n). */
export function familyMean(
  values: Readonly<Record<string, number>>,
  tags: readonly string[],
  categories: Readonly<Record<string, { readonly n: number }>>,
): number {
  let sum = 0;
  let n = 0;
  for (const tag of tags) {
    sum += values[tag]! * categories[tag]!.n;
    n += categories[tag]!.n;
  }
  return sum / n;
}

export function remidWithIntervals(request: RemidRequest): RemidResult {
  const {
    categories,
    shifts,
    families = {},
    replicates = DEFAULT_BOOTSTRAP_REPLICATES,
    seed = 0,
    level = 0.95,
    estimator: kind = 'reference',
  } = request;
  for (const { tag, reference } of shifts) {
    for (const t of [tag, reference]) if (!categories[t]) throw new RangeError(`no scores for category "${t}"`);
  }
  for (const [family, tags] of Object.entries(families)) {
    for (const t of tags)
      if (!shifts.some((s) => s.tag === t))
        throw new RangeError(`family "${family}" lists "${t}", which is not a shift`);
  }
  const tags = Object.keys(categories).sort();
  const ones = (n: number) => new Uint32Array(n).fill(1);

  const remids = (emis: Record<string, number>) =>
    Object.fromEntries(shifts.map(({ tag, reference }) => [tag, remid(nats(emis[reference]!), nats(emis[tag]!))]));
  const fullEmi = Object.fromEntries(tags.map((t) => [t, categoryEmi(categories[t]!, ones(categories[t]!.n), kind)]));
  const full = remids(fullEmi);

  const rng = createRng(seed);
  const draws: Record<string, number[]> = {};
  const familyDraws: Record<string, number[]> = {};
  for (let b = 0; b < replicates; b++) {
    const emis: Record<string, number> = {};
    for (const t of tags) emis[t] = categoryEmi(categories[t]!, resampleWeights(categories[t]!.n, rng), kind);
    const values = remids(emis);
    for (const [t, v] of Object.entries(values)) if (Number.isFinite(v)) (draws[t] ??= []).push(v);
    for (const [family, members] of Object.entries(families)) {
      const v = familyMean(values, members, categories);
      if (Number.isFinite(v)) (familyDraws[family] ??= []).push(v);
    }
  }
  const alpha = (1 - level) / 2;
  const interval = (estimate: number, values: number[] = []): Interval => {
    const sorted = values.sort((a, b) => a - b);
    return { estimate: nats(estimate), low: nats(quantile(sorted, alpha)), high: nats(quantile(sorted, 1 - alpha)) };
  };
  return {
    byCategory: Object.fromEntries(shifts.map(({ tag }) => [tag, interval(full[tag]!, draws[tag])])),
    byFamily: Object.fromEntries(
      Object.entries(families).map(([f, members]) => [
        f,
        interval(familyMean(full, members, categories), familyDraws[f]),
      ]),
    ),
    emi: Object.fromEntries(tags.map((t) => [t, nats(fullEmi[t]!)])),
  };
}
