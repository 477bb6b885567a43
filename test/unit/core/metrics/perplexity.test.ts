/**
 * The estimator's perplexity of the golden responses, against values computed by hand: the
 * estimate, NaN scores left out, the family's sample weighting, and intervals that contain the
 * estimate and swap ends (a higher log-prob is a lower perplexity).
 */
import { describe, expect, it } from 'vitest';
import { goldenPerplexity } from '../../../../src/core/metrics/perplexity.js';

describe('goldenPerplexity', () => {
  it('is exp of minus the mean matched golden score, unscorable responses left out', () => {
    // mean(−1, −2, −3) = −2 → e²; the NaN response is not a sample of the mean.
    const result = goldenPerplexity({ matched: { a: [-1, -2, NaN, -3] }, replicates: 0, seed: 1 });
    expect(result.byCategory.a!.estimate).toBeCloseTo(Math.exp(2), 12);
    expect(result.byCategory.a!.low).toBeNaN();
  });

  it("weights a family's categories by their sizes", () => {
    // a: 2 samples of mean −1; b: 6 samples of mean −3 → (2·(−1) + 6·(−3)) / 8 = −2.5.
    const result = goldenPerplexity({
      matched: { a: [-1, -1], b: [-3, -3, -3, -3, -3, -3] },
      families: { user: ['a', 'b'] },
      replicates: 50,
      seed: 7,
    });
    expect(result.byFamily.user!.estimate).toBeCloseTo(Math.exp(2.5), 12);
    // Every sample of a category has the same score, so every resample gives the same family mean.
    expect(result.byFamily.user!.low).toBeCloseTo(Math.exp(2.5), 12);
    expect(result.byFamily.user!.high).toBeCloseTo(Math.exp(2.5), 12);
  });

  it('gives an interval around the estimate, low perplexity from high log-probs', () => {
    const scores = [-0.5, -1, -1.5, -2, -2.5, -3, -3.5, -4];
    const { estimate, low, high } = goldenPerplexity({ matched: { a: scores }, replicates: 400, seed: 3 }).byCategory
      .a!;
    expect(estimate).toBeCloseTo(Math.exp(2.25), 12);
    expect(low).toBeLessThan(estimate);
    expect(high).toBeGreaterThan(estimate);
    // A resampled mean lies between the smallest and the largest score.
    expect(low).toBeGreaterThanOrEqual(Math.exp(0.5));
    expect(high).toBeLessThanOrEqual(Math.exp(4));
  });

  it('is reproducible from its seed', () => {
    const request = { matched: { a: [-1, -2, -4, -0.5, -3] }, replicates: 200, seed: 11 };
    expect(goldenPerplexity(request)).toEqual(goldenPerplexity(request));
  });
});
