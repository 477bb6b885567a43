import { describe, expect, it } from 'vitest';
import {
  averageRanks,
  correlationPValue,
  pearson,
  spearman,
  validateBound,
  type BoundPoint,
} from '../../../../src/core/bound/validation.js';

// Under r = 0 the two-sided p-value of t = r √((n−2)/(1−r²)) on n − 2 df has closed forms for
// small n (substituting t into the t CDF of 1, 2, 3, 4 degrees of freedom):
//   n = 3: p = 1 − (2/π) asin|r|
//   n = 4: p = 1 − |r|
//   n = 5: p = 1 − (2/π) (asin|r| + |r| √(1 − r²))
//   n = 6: p = 1 − (3/2)|r| + |r|³/2

describe('pearson and its p-value', () => {
  it('matches a textbook example (n = 5)', () => {
    // x̄ = 3, ȳ = 4; Σdxdy = 4 + 0 + 0 + 0 + 2 = 6, Σdx² = 10, Σdy² = 6: r = 6/√60 ≈ 0.7745966692.
    const x = [1, 2, 3, 4, 5];
    const y = [2, 4, 5, 4, 5];
    const r = pearson(x, y);
    expect(r).toBeCloseTo(6 / Math.sqrt(60), 14);
    // r² = 0.6: p = 1 − (2/π)(asin √0.6 + √0.6 · √0.4) ≈ 0.12403 (t = √4.5 ≈ 2.121 on 3 df).
    const expected = 1 - (2 / Math.PI) * (Math.asin(Math.sqrt(0.6)) + Math.sqrt(0.6 * 0.4));
    expect(correlationPValue(r, 5)).toBeCloseTo(expected, 10);
    expect(correlationPValue(r, 5)).toBeCloseTo(0.1240270626575546, 10); // SciPy's pearsonr
  });

  it('matches the closed forms for n = 3 and n = 4', () => {
    // n = 3: dx = (−1, 0, 1), dy = (−1, 1, 0): r = 1/2, p = 1 − (2/π)(π/6) = 2/3.
    const r3 = pearson([1, 2, 3], [1, 3, 2]);
    expect(r3).toBeCloseTo(0.5, 14);
    expect(correlationPValue(r3, 3)).toBeCloseTo(2 / 3, 10);
    // n = 4: dx = (−1.5, −0.5, 0.5, 1.5), dy = (−1.5, 0.5, −0.5, 1.5): r = 4/5, p = 0.2.
    const r4 = pearson([1, 2, 3, 4], [1, 3, 2, 4]);
    expect(r4).toBeCloseTo(0.8, 14);
    expect(correlationPValue(r4, 4)).toBeCloseTo(0.2, 10);
    expect(correlationPValue(-r4, 4)).toBeCloseTo(0.2, 10);
  });

  it('is NaN for fewer than 2 values or a constant variable; p is NaN below 3 and 0 at |r| = 1', () => {
    expect(pearson([1], [2])).toBeNaN();
    expect(pearson([1, 2, 3], [5, 5, 5])).toBeNaN();
    expect(pearson([1, 2], [3, 1])).toBeCloseTo(-1, 14);
    expect(correlationPValue(-1, 2)).toBeNaN();
    expect(correlationPValue(NaN, 10)).toBeNaN();
    expect(correlationPValue(1, 5)).toBe(0);
    expect(correlationPValue(0, 7)).toBeCloseTo(1, 14);
    expect(() => pearson([1, 2], [1])).toThrow(RangeError);
  });
});

describe('spearman', () => {
  it('gives ties their average rank', () => {
    // Sorted: 1 1 2 3 4 5 5 6 9 → ranks 1.5 1.5 3 4 5 6.5 6.5 8 9.
    expect(averageRanks([3, 1, 4, 1, 5, 9, 2, 6, 5])).toEqual([4, 1.5, 5, 1.5, 6.5, 9, 3, 8, 6.5]);
  });

  it('is Pearson of the average ranks, with ties (n = 4)', () => {
    // Ranks x = (1, 2.5, 2.5, 4), y = (1, 2, 3, 4); dx = (−1.5, 0, 0, 1.5), dy = (−1.5, −0.5, 0.5, 1.5):
    // ρ = 4.5/√(4.5 · 5) = 0.9486832981, p = 1 − ρ (n = 4) ≈ 0.0513167 (SciPy's spearmanr agrees).
    const rho = spearman([1, 2, 2, 3], [10, 20, 30, 40]);
    expect(rho).toBeCloseTo(4.5 / Math.sqrt(22.5), 14);
    expect(correlationPValue(rho, 4)).toBeCloseTo(1 - 4.5 / Math.sqrt(22.5), 10);
  });

  it('is 1 for a monotone but nonlinear relation, where Pearson is not', () => {
    const x = [1, 2, 3, 4, 5];
    const y = x.map((v) => v ** 3);
    expect(spearman(x, y)).toBeCloseTo(1, 14);
    expect(pearson(x, y)).toBeLessThan(0.99);
  });
});

describe('validateBound', () => {
  const remid = [0.1, 0.5, 0.2, 0.9, 0.4, 0.3];
  const bound = [1.0, 2.5, 1.1, 3.0, 1.4, 2.0];
  const points: BoundPoint[] = remid.map((r, i) => ({
    policy: i < 3 ? 'sft' : 'rl',
    category: `c${i}`,
    remid: r,
    bound: bound[i]!,
  }));

  it('reports both correlations with p-values, and that the bound held', () => {
    const v = validateBound(points);
    expect(v.n).toBe(6);
    expect(v.pearson).toBeCloseTo(0.9029068493972809, 12); // SciPy's pearsonr
    expect(v.pearsonP).toBeCloseTo(1 - 1.5 * v.pearson + v.pearson ** 3 / 2, 10);
    expect(v.pearsonP).toBeCloseTo(0.013682967396999254, 10); // SciPy
    // Ranks remid (1, 5, 2, 6, 4, 3), bound (1, 5, 2, 6, 3, 4): Σd² = 2, ρ = 1 − 6·2/(6·35) = 33/35.
    expect(v.spearman).toBeCloseTo(33 / 35, 14);
    const rho = 33 / 35;
    expect(v.spearmanP).toBeCloseTo(1 - 1.5 * rho + rho ** 3 / 2, 10); // ≈ 0.0048047
    expect(v.held).toBe(true);
    expect(v.violations).toEqual([]);
  });

  it('lists the pairs where R-EMID exceeded the bound, in input order', () => {
    const broken = points.map((p, i) => (i === 1 ? { ...p, remid: 3 } : i === 4 ? { ...p, bound: 0.25 } : p));
    const v = validateBound(broken);
    expect(v.held).toBe(false);
    expect(v.violations.map((p) => p.category)).toEqual(['c1', 'c4']);
    expect(v.violations[0]!.excess).toBeCloseTo(0.5, 14);
    expect(v.violations[1]!.excess).toBeCloseTo(0.15, 14);
    // R-EMID equal to the bound is not a violation.
    expect(validateBound([{ policy: 'p', category: 'c', remid: 1, bound: 1 }]).held).toBe(true);
  });

  it('has NaN p-values below 3 pairs and rejects non-finite values', () => {
    const two = validateBound(points.slice(0, 2));
    expect(two.pearson).toBeCloseTo(1, 14);
    expect(two.pearsonP).toBeNaN();
    expect(two.spearmanP).toBeNaN();
    const none = validateBound([]);
    expect(none.pearson).toBeNaN();
    expect(none.held).toBe(true);
    expect(() => validateBound([{ ...points[0]!, remid: NaN }])).toThrow(/sft \/ c0/);
  });
});
