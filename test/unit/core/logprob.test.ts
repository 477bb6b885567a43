import { describe, expect, it } from 'vitest';
import { logSoftmax, logSumExp, summarizeLogProbs, tokenStats } from '../../../src/core/index.js';

describe('logSumExp / logSoftmax', () => {
  it('matches hand-computed values', () => {
    // log(e^1 + e^2 + e^3) = 3 + log(1 + e^-1 + e^-2) = 3.40760596444438
    expect(logSumExp([1, 2, 3])).toBeCloseTo(3.40760596444438, 12);
    const ls = logSoftmax([1, 2, 3]);
    expect(ls[0]).toBeCloseTo(1 - 3.40760596444438, 12);
    expect(ls[2]).toBeCloseTo(-0.40760596444438, 12);
    // Uniform logits: every token has log(1/4).
    for (const v of logSoftmax([7, 7, 7, 7])) expect(v).toBeCloseTo(Math.log(0.25), 12);
  });

  it('stays finite for huge and tiny logits, where a naive exp would overflow', () => {
    expect(logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.LN2, 10);
    expect(logSumExp([-1000, -1001])).toBeCloseTo(-1000 + Math.log(1 + Math.exp(-1)), 10);
    const ls = logSoftmax([1e4, 0]);
    expect(ls[0]).toBeCloseTo(0, 12);
    expect(ls[1]).toBeCloseTo(-1e4, 6);
  });

  it('propagates NaN and handles all −Infinity', () => {
    expect(logSumExp([1, NaN, 2])).toBeNaN();
    expect(logSumExp([-Infinity, -Infinity])).toBe(-Infinity);
  });

  it('reads one row of a flattened [rows, vocab] buffer', () => {
    const logits = new Float32Array([0, 0, 0, /* row 1: */ 0, Math.log(3), 0]);
    // Row 1 is proportional to [1, 3, 1]: p(token 1) = 3/5.
    expect(tokenStats(logits, 1, 3, 1).logProb).toBeCloseTo(Math.log(3 / 5), 6);
    expect(tokenStats(logits, 0, 3, 2).logProb).toBeCloseTo(Math.log(1 / 3), 6);
    expect(() => tokenStats(logits, 0, 3, 3)).toThrow(RangeError);
  });

  it('ranks tokens with 1 for the most likely', () => {
    const logits = [0.5, 2, -1, 2, 1];
    expect(tokenStats(logits, 0, 5, 1).rank).toBe(1);
    expect(tokenStats(logits, 0, 5, 3).rank).toBe(1); // tie with token 1
    expect(tokenStats(logits, 0, 5, 4).rank).toBe(3);
    expect(tokenStats(logits, 0, 5, 2).rank).toBe(5);
  });

  it('summarizes sum and mean, with NaN for an empty span', () => {
    const s = summarizeLogProbs([-1, -2, -3.5]);
    expect(s.sumLogProb).toBeCloseTo(-6.5, 12);
    expect(s.meanLogProb).toBeCloseTo(-6.5 / 3, 12);
    expect(summarizeLogProbs([]).meanLogProb).toBeNaN();
  });
});

describe('tokenStats: entropy', () => {
  it('equals −Σ p log p computed by hand', () => {
    // Row 1 of two: logits [0, ln 2, ln 3] → p = [1/6, 2/6, 3/6].
    const logits = [9, 9, 9, 0, Math.log(2), Math.log(3)];
    const p = [1 / 6, 2 / 6, 3 / 6];
    const expected = -p.reduce((s, q) => s + q * Math.log(q), 0);
    expect(tokenStats(logits, 1, 3, 0).entropy).toBeCloseTo(expected, 12);
  });
  it('is ln V for a flat row, 0 for a certain one, and ignores −Infinity logits', () => {
    expect(tokenStats([5, 5, 5, 5], 0, 4, 0).entropy).toBeCloseTo(Math.log(4), 12);
    expect(tokenStats([0, -Infinity, -Infinity], 0, 3, 0).entropy).toBe(0);
    expect(tokenStats([1000, 1000, -Infinity], 0, 3, 0).entropy).toBeCloseTo(Math.log(2), 12);
  });
  it('is NaN for a row with NaN', () => {
    expect(tokenStats([0, NaN, 1], 0, 3, 0).entropy).toBeNaN();
  });
});

describe('tokenStats', () => {
  it('equals log-softmax, −Σ p log p and a count of larger logits on every token of random rows', () => {
    const vocab = 50;
    const rows = 4;
    let state = 7;
    const next = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 20 - 10;
    const logits = Float32Array.from({ length: rows * vocab }, next);
    logits[3] = -Infinity;
    for (let r = 0; r < rows; r++) {
      const row = logits.subarray(r * vocab, (r + 1) * vocab);
      const ls = logSoftmax(row);
      const entropy = -Array.from(ls).reduce((sum, l) => sum + (l === -Infinity ? 0 : Math.exp(l) * l), 0);
      for (let t = 0; t < vocab; t++) {
        const s = tokenStats(logits, r, vocab, t);
        expect(s.logProb).toBeCloseTo(ls[t]!, 12);
        expect(s.entropy).toBeCloseTo(entropy, 12);
        expect(s.rank).toBe(1 + row.filter((z) => z > row[t]!).length);
      }
    }
    expect(tokenStats(logits, 0, vocab, 3).logProb).toBe(-Infinity);
  });

  it('is NaN for a row with NaN and refuses a token outside the vocabulary', () => {
    expect(tokenStats([0, NaN, 1], 0, 3, 0).logProb).toBeNaN();
    expect(() => tokenStats([0, 1], 0, 2, 2)).toThrow(RangeError);
  });
});
