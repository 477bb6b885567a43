import { describe, expect, it } from 'vitest';
import { planBatches, type BatchBudget } from '../../../src/core/index.js';

const budget = (over: Partial<BatchBudget> = {}): BatchBudget => ({
  maxPaddedTokens: 1000,
  maxLogitFloats: 1e9,
  vocabSize: 10,
  canKeepLastLogits: true,
  maxBatchSize: 8,
  ...over,
});

describe('planBatches', () => {
  it('sorts longest first and covers every item exactly once', () => {
    const items = [10, 50, 30, 20].map((length) => ({ length, keepLast: 5 }));
    const batches = planBatches(items, budget({ maxPaddedTokens: 100 }));
    // 50×2 = 100 fits [50, 30]; then [20, 10] (2×20 = 40).
    expect(batches.map((b) => b.indices)).toEqual([
      [1, 2],
      [3, 0],
    ]);
    expect(batches.map((b) => b.paddedLength)).toEqual([50, 20]);
    expect(batches.flatMap((b) => b.indices).sort()).toEqual([0, 1, 2, 3]);
  });

  it('keeps enough logit rows for the member whose response starts earliest', () => {
    // Lengths 50 and 30, each needing its last 5 positions: padded to 50, the 30-token row needs
    // positions 25..29, i.e. the last 50 − 25 = 25 rows.
    const [batch] = planBatches(
      [
        { length: 50, keepLast: 5 },
        { length: 30, keepLast: 5 },
      ],
      budget(),
    );
    expect(batch!.keepLast).toBe(25);
  });

  it('limits the logits materialized, and keeps everything when the graph cannot slice', () => {
    const items = [40, 40, 40].map((length) => ({ length, keepLast: 4 }));
    // 2 rows × 4 kept × 10 vocab = 80 floats fits a budget of 80; 3 rows do not.
    expect(planBatches(items, budget({ maxLogitFloats: 80 })).map((b) => b.indices.length)).toEqual([2, 1]);
    const full = planBatches(items, budget({ maxLogitFloats: 800, canKeepLastLogits: false }));
    expect(full.map((b) => b.indices.length)).toEqual([2, 1]); // 2 × 40 × 10 = 800
    expect(full[0]!.keepLast).toBe(0);
  });

  it('still schedules an item larger than the budget, alone', () => {
    const batches = planBatches(
      [
        { length: 5000, keepLast: 1 },
        { length: 10, keepLast: 1 },
      ],
      budget(),
    );
    expect(batches.map((b) => b.indices)).toEqual([[0], [1]]);
  });
});
