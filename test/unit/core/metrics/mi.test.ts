import { describe, expect, it } from 'vitest';
import { emi, miMixture, miNullPrompt, miReference, remid, type ScoredPair } from '../../../../src/core/metrics/mi.js';
import { DEFAULT_MAX_PAIRS, mismatchedPairs } from '../../../../src/core/metrics/pairs.js';
import { nats } from '../../../../src/core/units.js';

describe('mismatchedPairs', () => {
  it('lists all N(N-1) ordered pairs when there are few enough', () => {
    expect(mismatchedPairs(3, 1000, 1)).toEqual([
      { i: 0, j: 1 },
      { i: 0, j: 2 },
      { i: 1, j: 0 },
      { i: 1, j: 2 },
      { i: 2, j: 0 },
      { i: 2, j: 1 },
    ]);
    expect(mismatchedPairs(1, 1000, 1)).toEqual([]);
  });

  it('draws min(N(N-1), 1000) distinct off-diagonal pairs, seeded', () => {
    const pairs = mismatchedPairs(50, DEFAULT_MAX_PAIRS, 42);
    expect(pairs).toHaveLength(1000);
    expect(new Set(pairs.map((p) => `${p.i},${p.j}`)).size).toBe(1000);
    for (const p of pairs) {
      expect(p.i).not.toBe(p.j);
      expect(p.i >= 0 && p.i < 50 && p.j >= 0 && p.j < 50).toBe(true);
    }
    expect(mismatchedPairs(50, 1000, 42)).toEqual(pairs);
    expect(mismatchedPairs(50, 1000, 43)).not.toEqual(pairs);
    // Every context is used: 1000 of 2450 pairs leave no row empty with overwhelming probability.
    expect(new Set(pairs.map((p) => p.i)).size).toBe(50);
  });
});

const matched = [-1, -2, -3];
// s(x_i, y_j) for the six ordered pairs of three samples.
const mismatched: ScoredPair[] = [
  { i: 0, j: 1, score: -4 },
  { i: 0, j: 2, score: -5 },
  { i: 1, j: 0, score: -3 },
  { i: 1, j: 2, score: -6 },
  { i: 2, j: 0, score: -2 },
  { i: 2, j: 1, score: -4 },
];

describe('MI estimators', () => {
  it('reference: matched mean minus mismatched mean', () => {
    // mean(-1,-2,-3) = -2; mean(-4,-5,-3,-6,-2,-4) = -4.
    expect(miReference(matched, mismatched)).toBe(2);
    expect(Number.isNaN(miReference(matched, []))).toBe(true);
  });

  it('mixture: own score minus the log-mean-exp over the contexts a response was scored under', () => {
    // y_0 under x_0 (-1) and x_1 (-3); y_1 under x_1 (-2) and x_0 (-2.5):
    // ((-1 - ln((e^-1 + e^-3)/2)) + (-2 - ln((e^-2 + e^-2.5)/2))) / 2, computed in Python.
    const pairs: ScoredPair[] = [
      { i: 1, j: 0, score: -3 },
      { i: 0, j: 1, score: -2.5 },
    ];
    expect(miMixture([-1, -2], pairs)).toBeCloseTo(0.3926446829484056, 14);
  });

  it('null prompt: mean of own minus empty-context scores', () => {
    expect(miNullPrompt([-1, -2], [-3, -3.5])).toBe(1.75);
    expect(() => miNullPrompt([-1], [])).toThrow(RangeError);
  });

  it('EMI and R-EMID are differences in the documented order', () => {
    expect(emi(nats(0.5), nats(0.2))).toBeCloseTo(0.3, 15);
    // Reference EMI 0.3, shifted EMI -0.1: the model lost 0.4 nats/token under the shift.
    expect(remid(nats(0.3), nats(-0.1))).toBeCloseTo(0.4, 15);
  });
});
