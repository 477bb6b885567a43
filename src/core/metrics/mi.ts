/**
 * Mutual-information estimators over one category's scores, EMI and R-EMID (docs/method.md section 3).
 * A score s(x, y) is the estimator's mean per-token log-probability of response y given context x,
 * in nats per token, so every MI here is in nats per token.
 */
import { logSumExp } from '../logprob.js';
import { nats, type Nats } from '../units.js';
import type { SamplePair } from './pairs.js';

export interface ScoredPair extends SamplePair {
  /** s(x_i, y_j) in nats per token. */
  readonly score: number;
}

function mean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/**
 * The reference (CLUB-style) estimator:
 *   MI = mean_i s(x_i, y_i) − mean_{(i,j) ∈ S} s(x_i, y_j).
 * `matched[i]` is s(x_i, y_i). NaN when there are no matched scores or no mismatched pairs.
 */
export function miReference(matched: readonly number[], mismatched: readonly ScoredPair[]): Nats {
  return nats(mean(matched) - mean(mismatched.map((p) => p.score)));
}

/**
 * The mixture estimator (an alternative, closer to the true pointwise MI):
 *   MI = mean_i [ s(x_i, y_i) − log mean_{k ∈ K_i} exp s(x_k, y_i) ],
 * where K_i holds context i itself and the other contexts y_i was scored under (`mismatched`
 * pairs with j = i). A sample without any other context is left out.
 */
export function miMixture(matched: readonly number[], mismatched: readonly ScoredPair[]): Nats {
  const others = new Map<number, number[]>();
  for (const p of mismatched) (others.get(p.j) ?? others.set(p.j, []).get(p.j)!).push(p.score);
  const terms: number[] = [];
  matched.forEach((own, i) => {
    const alt = others.get(i);
    if (!alt) return;
    const all = [own, ...alt];
    terms.push(own - (logSumExp(all) - Math.log(all.length)));
  });
  return nats(mean(terms));
}

/**
 * The null-prompt estimator (domain-conditional PMI):
 *   MI = mean_i [ s(x_i, y_i) − s(∅, y_i) ],
 * with `nullScores[i]` the score of y_i under an empty or generic context.
 */
export function miNullPrompt(matched: readonly number[], nullScores: readonly number[]): Nats {
  if (matched.length !== nullScores.length) throw new RangeError('matched and null scores differ in length');
  return nats(mean(matched.map((s, i) => s - nullScores[i]!)));
}

/** EMI(category; θ) = MI(x, ŷ_θ) − MI(x, y*): the model's responses' MI beyond the golden ones'. */
export function emi(miModel: Nats, miGold: Nats): Nats {
  return nats(miModel - miGold);
}

/** R-EMID(shift; θ) = EMI(reference; θ) − EMI(shift; θ): positive = information lost under the shift. */
export function remid(emiReference: Nats, emiShift: Nats): Nats {
  return nats(emiReference - emiShift);
}
