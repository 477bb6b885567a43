/**
 * The estimator's perplexity of the golden responses: how well the scorer q predicts what the
 * benchmark says the agent should reply. It measures the estimator, not the policy: a better
 * estimator gives the golden responses more probability, so its perplexity is lower (the paper's
 * ablation of its estimator training is reported this way). Two estimators can then be compared
 * on the same benchmark, category by category.
 *
 * Per category, PPL = exp(−mean_i s(x_i, y*_i)), the mean over samples of the golden response's
 * mean per-token log-probability after its own context (responses that could not be scored, NaN,
 * are left out). Per shift family it is exp of minus the sample-weighted mean of its categories'
 * means, as a family's R-EMID is weighted. Intervals are percentile bootstrap intervals over
 * samples (resampled with replacement), from their own seeded stream so that adding them leaves
 * every R-EMID interval unchanged.
 */
import { createRng } from '../random.js';
import { familyMean, quantile, resampleWeights } from './bootstrap.js';

export interface PerplexityInterval {
  readonly estimate: number;
  /** Percentile bounds; NaN when no replicate could be computed. */
  readonly low: number;
  readonly high: number;
}

export interface PerplexityRequest {
  /** Category tag → the golden responses' matched scores s(x_i, y*_i), nats per token. */
  readonly matched: Readonly<Record<string, readonly number[]>>;
  /** Shift family → its categories. */
  readonly families?: Readonly<Record<string, readonly string[]>>;
  readonly replicates: number;
  readonly seed: number;
  /** Confidence level of the interval (default 0.95). */
  readonly level?: number;
}

export interface PerplexityResult {
  readonly byCategory: Readonly<Record<string, PerplexityInterval>>;
  readonly byFamily: Readonly<Record<string, PerplexityInterval>>;
}

/** Weighted mean of the finite scores; NaN when none has weight. */
function weightedMeanScore(scores: readonly number[], weights: ArrayLike<number>): number {
  let sum = 0;
  let weight = 0;
  scores.forEach((s, i) => {
    if (!Number.isFinite(s)) return;
    sum += weights[i]! * s;
    weight += weights[i]!;
  });
  return weight > 0 ? sum / weight : NaN;
}

/** Perplexity of the golden responses per category and per family, with bootstrap intervals. */
export function goldenPerplexity(request: PerplexityRequest): PerplexityResult {
  const { matched, families = {}, replicates, seed, level = 0.95 } = request;
  const tags = Object.keys(matched).sort();
  const sizes = Object.fromEntries(tags.map((t) => [t, { n: matched[t]!.length }]));
  const means = (weightsOf: (tag: string) => ArrayLike<number>) =>
    Object.fromEntries(tags.map((t) => [t, weightedMeanScore(matched[t]!, weightsOf(t))]));
  const full = means((t) => new Uint32Array(matched[t]!.length).fill(1));

  const rng = createRng(seed);
  const draws: Record<string, number[]> = {};
  const familyDraws: Record<string, number[]> = {};
  for (let b = 0; b < replicates; b++) {
    const resampled = means((t) => resampleWeights(matched[t]!.length, rng));
    for (const t of tags) if (Number.isFinite(resampled[t])) (draws[t] ??= []).push(resampled[t]!);
    for (const [family, members] of Object.entries(families)) {
      const v = familyMean(resampled, members, sizes);
      if (Number.isFinite(v)) (familyDraws[family] ??= []).push(v);
    }
  }
  const alpha = (1 - level) / 2;
  // A higher mean log-prob is a lower perplexity, so the interval's ends swap.
  const interval = (meanScore: number, values: number[] = []): PerplexityInterval => {
    const sorted = values.sort((a, b) => a - b);
    return {
      estimate: Math.exp(-meanScore),
      low: Math.exp(-quantile(sorted, 1 - alpha)),
      high: Math.exp(-quantile(sorted, alpha)),
    };
  };
  return {
    byCategory: Object.fromEntries(tags.map((t) => [t, interval(full[t]!, draws[t])])),
    byFamily: Object.fromEntries(
      Object.entries(families).map(([f, members]) => [f, interval(familyMean(full, members, sizes), familyDraws[f])]),
    ),
  };
}
