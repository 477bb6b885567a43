/** Per-sample contributions to EMI against hand-computed pointwise information. */
import { describe, expect, it } from 'vitest';
import { sampleContributions } from '../../../../src/core/analysis/contributions.js';
import type { PairRecord } from '../../../../src/core/pipeline/types.js';

const pair = (policy: string, i: number, j: number, meanLogProb: number): PairRecord => ({
  policy,
  category: 'c',
  i,
  j,
  meanLogProb,
  tokens: 3,
});

describe('sampleContributions', () => {
  it('ranks samples by pmi(ŷ) − pmi(y*), computed by hand', () => {
    const pairs = [
      // gold: pmi_0 = −1 − mean(−3) = 2; pmi_1 = −2 − mean(−2.5, −3.5) = 1; pmi_2 = −1 − (−1.5) = 0.5
      pair('gold', 0, 0, -1),
      pair('gold', 1, 0, -3),
      pair('gold', 1, 1, -2),
      pair('gold', 0, 1, -2.5),
      pair('gold', 2, 1, -3.5),
      pair('gold', 2, 2, -1),
      pair('gold', 0, 2, -1.5),
      // policy: pmi_0 = −2 − (−2) = 0; pmi_1 = −1 − (−4) = 3; pmi_2 has no mismatched pair
      pair('p', 0, 0, -2),
      pair('p', 2, 0, -2),
      pair('p', 1, 1, -1),
      pair('p', 2, 1, -4),
      pair('p', 2, 2, -1),
      pair('other', 0, 0, 99),
      { ...pair('p', 1, 0, -9), category: 'elsewhere' },
    ];
    const out = sampleContributions(pairs, 'p', 'c', 3);
    expect(out.map((c) => c.index)).toEqual([1, 0, 2]);
    expect(out[0]).toEqual({ index: 1, pmiModel: 3, pmiGold: 1, contribution: 2, otherContext: 2 });
    expect(out[1]).toEqual({ index: 0, pmiModel: 0, pmiGold: 2, contribution: -2, otherContext: 2 });
    expect(out[2]!.pmiModel).toBeNaN();
    expect(out[2]!.pmiGold).toBe(0.5);
    expect(out[2]!.otherContext).toBe(0);
  });
});
