import { describe, expect, it } from 'vitest';
import { createRng, sampleWithoutReplacement, shuffled } from '../../../src/core/random.js';

describe('createRng (mulberry32)', () => {
  it('matches an independent implementation (Python, unsigned 32-bit arithmetic)', () => {
    const rng = createRng(42);
    expect([rng.next(), rng.next(), rng.next()]).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
    const zero = createRng(0);
    expect([zero.next(), zero.next()]).toEqual([0.26642920868471265, 0.0003297457005828619]);
  });

  it('is deterministic per seed and different across seeds', () => {
    const a = Array.from(
      { length: 5 },
      (
        (r) => () =>
          r.next()
      )(createRng(7)),
    );
    const b = Array.from(
      { length: 5 },
      (
        (r) => () =>
          r.next()
      )(createRng(7)),
    );
    const c = Array.from(
      { length: 5 },
      (
        (r) => () =>
          r.next()
      )(createRng(8)),
    );
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('int(n) stays in [0, n) and rejects bad n', () => {
    const rng = createRng(1);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[rng.int(3)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(850);
    expect(() => rng.int(0)).toThrow(RangeError);
    expect(() => rng.int(2.5)).toThrow(RangeError);
  });
});

describe('shuffled / sampleWithoutReplacement', () => {
  it('permutes without losing or duplicating items', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const out = shuffled(items, createRng(3));
    expect(out).not.toEqual(items);
    expect([...out].sort((a, b) => a - b)).toEqual(items);
    expect(items[0]).toBe(0);
  });

  it('draws distinct items, all of them when asked for more', () => {
    const picked = sampleWithoutReplacement(['a', 'b', 'c', 'd'], 2, createRng(5));
    expect(new Set(picked).size).toBe(2);
    expect(sampleWithoutReplacement(['a', 'b'], 5, createRng(5)).sort()).toEqual(['a', 'b']);
  });
});
