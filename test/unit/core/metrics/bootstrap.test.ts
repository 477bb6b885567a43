import { describe, expect, it } from 'vitest';
import {
  estimateMi,
  quantile,
  remidWithIntervals,
  weightedMi,
  weightedMixtureMi,
  weightedNullPromptMi,
  type CategoryScores,
} from '../../../../src/core/metrics/bootstrap.js';
import { miNullPrompt, type ScoredPair } from '../../../../src/core/metrics/mi.js';
import { createRng } from '../../../../src/core/random.js';

const pairsOf3 = (scores: number[]): ScoredPair[] =>
  [
    [0, 1],
    [0, 2],
    [1, 0],
    [1, 2],
    [2, 0],
    [2, 1],
  ].map(([i, j], k) => ({ i: i!, j: j!, score: scores[k]! }));

describe('weightedMi', () => {
  it('weights matched scores by w_i and pairs by w_i w_j', () => {
    const matched = [-1, -2, -3];
    const pairs = pairsOf3([-4, -5, -3, -6, -2, -4]);
    expect(weightedMi(matched, pairs, [1, 1, 1])).toBe(2);
    // w = [2, 0, 1]: own = (2·-1 + 1·-3)/3 = -5/3; pairs (0,2) and (2,0) weigh 2 each: (-5·2 + -2·2)/4 = -3.5.
    expect(weightedMi(matched, pairs, [2, 0, 1])).toBeCloseTo(-5 / 3 + 3.5, 14);
    expect(Number.isNaN(weightedMi(matched, pairs, [3, 0, 0]))).toBe(true);
  });
});

describe('weightedMixtureMi', () => {
  const pairs: ScoredPair[] = [
    { i: 1, j: 0, score: -3 },
    { i: 0, j: 1, score: -2.5 },
  ];
  it('equals the plain mixture estimator with unit weights', () => {
    expect(weightedMixtureMi([-1, -2], pairs, [1, 1])).toBeCloseTo(0.3926446829484056, 14);
  });
  it('weights other contexts by w_k and samples by w_i (hand-computed in Python)', () => {
    // w = [1, 2]: ((-1 - ln((e^-1 + 2e^-3)/3)) + 2(-2 - ln((e^-2 + e^-2.5)/2))) / 3.
    expect(weightedMixtureMi([-1, -2], pairs, [1, 2])).toBeCloseTo(0.4324026384019673, 14);
    expect(Number.isNaN(weightedMixtureMi([-1, -2], pairs, [1, 0]))).toBe(true);
  });
});

describe('weightedNullPromptMi', () => {
  const matched = [-1, -2, -3, -1.5];
  const nullScores = [-3, -2.5, -4.25, -2];
  it('equals miNullPrompt with unit weights', () => {
    // ((−1 − −3) + (−2 − −2.5) + (−3 − −4.25) + (−1.5 − −2)) / 4 = (2 + 0.5 + 1.25 + 0.5) / 4 = 1.0625.
    expect(weightedNullPromptMi(matched, nullScores, [1, 1, 1, 1])).toBe(1.0625);
    expect(miNullPrompt(matched, nullScores)).toBe(1.0625);
  });
  it('with integer weights equals miNullPrompt on the explicitly duplicated samples', () => {
    const w = [2, 0, 3, 1];
    const dup = (xs: number[]) => xs.flatMap((x, i) => new Array<number>(w[i]!).fill(x));
    // (2·2 + 0·0.5 + 3·1.25 + 1·0.5) / 6 = 8.25 / 6 = 1.375.
    expect(weightedNullPromptMi(matched, nullScores, w)).toBeCloseTo(1.375, 14);
    expect(weightedNullPromptMi(matched, nullScores, w)).toBeCloseTo(miNullPrompt(dup(matched), dup(nullScores)), 14);
  });
  it('leaves out unscorable samples and is NaN when none is left', () => {
    // Sample 1's null score and sample 3's own score are missing: (2 + 1.25) / 2.
    expect(weightedNullPromptMi([-1, -2, -3, NaN], [-3, NaN, -4.25, -2], [1, 1, 1, 1])).toBe(1.625);
    expect(Number.isNaN(weightedNullPromptMi([NaN, -1], [-2, NaN], [1, 1]))).toBe(true);
    expect(Number.isNaN(weightedNullPromptMi(matched, nullScores, [0, 0, 0, 0]))).toBe(true);
    expect(() => weightedNullPromptMi([-1], [], [1])).toThrow(RangeError);
  });
  it('is chosen by estimateMi, which needs the null scores', () => {
    expect(estimateMi('null-prompt', { matched, mismatched: [], nullScores }, [1, 1, 1, 1])).toBe(1.0625);
    expect(() => estimateMi('null-prompt', { matched, mismatched: [] }, [1, 1, 1, 1])).toThrow(/nullScores/);
  });
});

describe('quantile', () => {
  it('interpolates linearly (numpy default)', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 0.025)).toBeCloseTo(1.075, 14);
    expect(quantile([5], 0.9)).toBe(5);
  });
});

/** A category whose MI for the model and the gold is set by constants (every replicate agrees). */
function flat(n: number, modelOwn: number, modelCross: number, goldOwn: number, goldCross: number): CategoryScores {
  const cross = (score: number): ScoredPair[] =>
    Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => ({ i, j, score })))
      .flat()
      .filter((p) => p.i !== p.j);
  return {
    n,
    model: { matched: Array(n).fill(modelOwn), mismatched: cross(modelCross) },
    gold: { matched: Array(n).fill(goldOwn), mismatched: cross(goldCross) },
  };
}

describe('remidWithIntervals', () => {
  it('computes R-EMID per category and the sample-weighted family mean by hand', () => {
    // EMI: IDTest (−2 − −3) − (−1 − −3) = −1; a: (−2 − −2.5) − (−1 − −3) = −1.5; b: (−2 − −4) − (−1 − −3) = 0.
    const categories = {
      IDTest: flat(4, -2, -3, -1, -3),
      a: flat(4, -2, -2.5, -1, -3),
      b: flat(12, -2, -4, -1, -3),
    };
    const result = remidWithIntervals({
      categories,
      shifts: [
        { tag: 'a', reference: 'IDTest' },
        { tag: 'b', reference: 'IDTest' },
      ],
      families: { user: ['a', 'b'] },
      replicates: 200,
      seed: 1,
    });
    expect(result.emi).toEqual({ IDTest: -1, a: -1.5, b: 0 });
    // R-EMID a = −1 − −1.5 = 0.5; b = −1 − 0 = −1; family = (4·0.5 + 12·−1)/16 = −0.625.
    expect(result.byCategory.a).toEqual({ estimate: 0.5, low: 0.5, high: 0.5 });
    expect(result.byCategory.b).toEqual({ estimate: -1, low: -1, high: -1 });
    expect(result.byFamily.user!.estimate).toBeCloseTo(-0.625, 14);
    expect(result.byFamily.user!.low).toBeCloseTo(-0.625, 14);
  });

  it('reproduces one replicate from the seeded resampling, recomputed independently', () => {
    const noisy = (n: number, seed: number, shift: number): CategoryScores => {
      const rng = createRng(seed);
      const m = Array.from({ length: n }, () => -2 + rng.next());
      const g = Array.from({ length: n }, () => -1.5 + rng.next());
      const pairs = (base: number) =>
        Array.from({ length: n }, (_, i) =>
          Array.from({ length: n }, (_, j) => ({ i, j, score: base + shift * rng.next() })),
        )
          .flat()
          .filter((p) => p.i !== p.j);
      return { n, model: { matched: m, mismatched: pairs(-3) }, gold: { matched: g, mismatched: pairs(-3.2) } };
    };
    const categories = { IDTest: noisy(6, 1, 1), x: noisy(5, 2, 2) };
    const result = remidWithIntervals({
      categories,
      shifts: [{ tag: 'x', reference: 'IDTest' }],
      replicates: 1,
      seed: 9,
      level: 0,
    });

    // The same draw by hand: categories in sorted order (IDTest, x), N draws each.
    const rng = createRng(9);
    const emiOf = (c: CategoryScores) => {
      const w = new Array(c.n).fill(0);
      for (let k = 0; k < c.n; k++) w[rng.int(c.n)]++;
      const mi = (own: readonly number[], cross: readonly ScoredPair[]) => {
        const a = own.reduce((s, v, i) => s + w[i] * v, 0) / w.reduce((s, v) => s + v, 0);
        const pw = cross.map((p) => w[p.i] * w[p.j]);
        const b = cross.reduce((s, p, k) => s + pw[k]! * p.score, 0) / pw.reduce((s, v) => s + v, 0);
        return a - b;
      };
      return mi(c.model.matched, c.model.mismatched) - mi(c.gold.matched, c.gold.mismatched);
    };
    const expected = emiOf(categories.IDTest) - emiOf(categories.x);
    expect(result.byCategory.x!.low).toBeCloseTo(expected, 12);
    expect(result.byCategory.x!.high).toBeCloseTo(expected, 12);
  });

  it('uses the null-prompt estimator: estimate by hand, one replicate recomputed on duplicated samples', () => {
    const withNull = (matched: number[], nulls: number[], goldNulls: number[]): CategoryScores => ({
      n: matched.length,
      model: { matched, mismatched: [], nullScores: nulls },
      gold: { matched: matched.map(() => -1), mismatched: [], nullScores: goldNulls },
    });
    const categories = {
      // MI model = mean(−2 − −2.5, −2 − −3) = 0.75; gold = mean(2, 1) = 1.5; EMI = −0.75.
      IDTest: withNull([-2, -2], [-2.5, -3], [-3, -2]),
      // MI model = mean(0.25, 0.5, 0.75) = 0.5; gold = mean(2, 1.5, 2.5) = 2; EMI = −1.5; R-EMID = 0.75.
      x: withNull([-2, -1.5, -3], [-2.25, -2, -3.75], [-3, -2.5, -3.5]),
    };
    const request = { categories, shifts: [{ tag: 'x', reference: 'IDTest' }], seed: 7, level: 0 } as const;
    const result = remidWithIntervals({ ...request, replicates: 1, estimator: 'null-prompt' });
    expect(result.emi.IDTest).toBeCloseTo(-0.75, 14);
    expect(result.emi.x).toBeCloseTo(-1.5, 14);
    expect(result.byCategory.x!.estimate).toBeCloseTo(0.75, 14);
    // The same draw by hand (categories in sorted order), each sample repeated w_i times. Seed 7
    // draws w = [2, 0] and [0, 1, 2]: EMI IDTest = 0.5 − 2 = −1.5, x = 2/3 − 6.5/3 = −1.5, R-EMID 0.
    const rng = createRng(7);
    const emiOf = (c: CategoryScores) => {
      const w = new Array<number>(c.n).fill(0);
      for (let k = 0; k < c.n; k++) w[rng.int(c.n)]!++;
      const dup = (xs: readonly number[]) => xs.flatMap((x, i) => new Array<number>(w[i]!).fill(x));
      const mi = (r: CategoryScores['model']) => miNullPrompt(dup(r.matched), dup(r.nullScores!));
      return mi(c.model) - mi(c.gold);
    };
    const expected = emiOf(categories.IDTest) - emiOf(categories.x);
    expect(expected).toBeCloseTo(0, 12);
    expect(result.byCategory.x!.low).toBeCloseTo(expected, 12);
    expect(() =>
      remidWithIntervals({
        ...request,
        replicates: 1,
        estimator: 'null-prompt',
        categories: { IDTest: flat(2, -1, -2, -1, -2), x: flat(2, -1, -2, -1, -2) },
      }),
    ).toThrow(/nullScores/);
  });

  it('gives intervals around the estimate that are deterministic per seed and narrow with more samples', () => {
    const noisy = (n: number, seed: number): CategoryScores => {
      const rng = createRng(seed);
      const own = () => Array.from({ length: n }, () => -2 + 2 * rng.next());
      const cross = () =>
        Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => ({ i, j, score: -3 + 2 * rng.next() })))
          .flat()
          .filter((p) => p.i !== p.j);
      return { n, model: { matched: own(), mismatched: cross() }, gold: { matched: own(), mismatched: cross() } };
    };
    const run = (n: number, seed: number) =>
      remidWithIntervals({
        categories: { IDTest: noisy(n, 1), s: noisy(n, 2) },
        shifts: [{ tag: 's', reference: 'IDTest' }],
        replicates: 300,
        seed,
      }).byCategory.s!;
    const small = run(10, 5);
    expect(run(10, 5)).toEqual(small);
    expect(small.low).toBeLessThan(small.estimate);
    expect(small.high).toBeGreaterThan(small.estimate);
    const large = run(60, 5);
    expect(large.high - large.low).toBeLessThan((small.high - small.low) / 1.5);
  });

  it('refuses unknown categories and families that list non-shifts', () => {
    const c = flat(3, -1, -2, -1, -2);
    expect(() =>
      remidWithIntervals({ categories: { IDTest: c }, shifts: [{ tag: 'z', reference: 'IDTest' }] }),
    ).toThrow(/no scores/);
    expect(() =>
      remidWithIntervals({
        categories: { IDTest: c, z: c },
        shifts: [{ tag: 'z', reference: 'IDTest' }],
        families: { user: ['IDTest'] },
      }),
    ).toThrow(/not a shift/);
  });
});
