/**
 * Each sample's share of a category's EMI, for the drill-down: which samples make a policy's
 * responses carry more (or less) information about their context than the golden responses do.
 *
 * For a responder (a policy or "gold") and response i, the pointwise information is
 *   pmi_i = s(x_i, y_i) − mean_{k ∈ K_i} s(x_k, y_i)          (nats per token)
 * with K_i the other contexts y_i was scored under (the mismatched pairs (k, i)). Averaged over
 * the samples this is the reference estimator's MI up to how pairs are spread over responses, so
 * a sample's contribution to EMI is pmi_i(ŷ) − pmi_i(y*).
 */
import type { PairRecord } from '../pipeline/types.js';

export interface SampleContribution {
  /** The sample's index in its category (the pairs' i and j). */
  readonly index: number;
  /** pmi of the policy's response; NaN when it has no scored matched and mismatched pair. */
  readonly pmiModel: number;
  readonly pmiGold: number;
  /** pmiModel − pmiGold: positive where the policy's response carries more information than the golden one. */
  readonly contribution: number;
  /** A mismatched context its response was scored under (−1 when none), for token-level views. */
  readonly otherContext: number;
}

function pointwise(pairs: readonly PairRecord[], responder: string, category: string, n: number) {
  const own = new Array<number>(n).fill(NaN);
  const sums = new Array<number>(n).fill(0);
  const counts = new Array<number>(n).fill(0);
  const other = new Array<number>(n).fill(-1);
  for (const p of pairs) {
    if (p.policy !== responder || p.category !== category || p.i < 0 || p.j >= n) continue;
    if (p.i === p.j) own[p.j] = p.meanLogProb;
    else {
      sums[p.j]! += p.meanLogProb;
      counts[p.j]!++;
      if (other[p.j] === -1) other[p.j] = p.i;
    }
  }
  return { pmi: own.map((s, j) => (counts[j]! > 0 ? s - sums[j]! / counts[j]! : NaN)), other };
}

/** Every sample of `category`, most positive contribution first; samples without one last. */
export function sampleContributions(
  pairs: readonly PairRecord[],
  policy: string,
  category: string,
  n: number,
): SampleContribution[] {
  const model = pointwise(pairs, policy, category, n);
  const gold = pointwise(pairs, 'gold', category, n);
  const rows = Array.from({ length: n }, (_, index) => ({
    index,
    pmiModel: model.pmi[index]!,
    pmiGold: gold.pmi[index]!,
    contribution: model.pmi[index]! - gold.pmi[index]!,
    otherContext: model.other[index] !== -1 ? model.other[index]! : gold.other[index]!,
  }));
  const key = (c: SampleContribution) => (Number.isFinite(c.contribution) ? c.contribution : -Infinity);
  return rows.sort((a, b) => key(b) - key(a) || a.index - b.index);
}
