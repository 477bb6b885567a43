/**
 * The model and the encoder behind the store: each text is embedded once per encoder fingerprint, in order, and
 * a changed fingerprint (another encoder, or its files changed) never reuses a vector.
 */
import { describe, expect, it } from 'vitest';
import { cachedEncoder, cachedModel, memoryStore } from '../../../../src/core/pipeline/cached.js';
import type { TextEncoder } from '../../../../src/core/pipeline/bound-stage.js';

const fingerprint = { modelId: 'enc', filesHash: 'a'.repeat(64), dtype: 'fp32', deviceClass: 'cpu' } as const;

/** A fake encoder: the vector of a text is [its length, 1], and every call is logged. */
function fakeEncoder(): TextEncoder & { calls: string[][] } {
  return {
    id: 'fake',
    calls: [],
    async embed(texts) {
      this.calls.push([...texts]);
      return texts.map((t) => Float32Array.from([t.length, 1]));
    },
  };
}

describe('cachedEncoder', () => {
  it('embeds only the texts it has not seen, and returns vectors in order', async () => {
    const store = memoryStore();
    const raw = fakeEncoder();
    const counters = { hits: 0, computed: 0 };
    const encoder = cachedEncoder(raw, fingerprint, store, counters);
    expect(await encoder.embed(['a', 'bbb'])).toEqual([Float32Array.from([1, 1]), Float32Array.from([3, 1])]);
    expect(await encoder.embed(['cc', 'bbb', 'a'])).toEqual([
      Float32Array.from([2, 1]),
      Float32Array.from([3, 1]),
      Float32Array.from([1, 1]),
    ]);
    expect(raw.calls).toEqual([['a', 'bbb'], ['cc']]);
    expect(counters).toEqual({ hits: 2, computed: 3 });
    await encoder.embed(['a', 'cc']);
    expect(raw.calls).toHaveLength(2);

    const other = fakeEncoder();
    await cachedEncoder(other, { ...fingerprint, filesHash: 'b'.repeat(64) }, store).embed(['a']);
    expect(other.calls).toEqual([['a']]);
  });
});

describe('cachedModel', () => {
  it('computes a pair asked twice in one call once, so a rerun from the store gives the same numbers', async () => {
    let calls = 0;
    // A scorer whose result depends on the batch (as padding does in the last digits).
    const model = {
      id: 'm',
      async score(groups: readonly { responses: readonly string[] }[]) {
        calls++;
        return groups.map((g) => g.responses.map((_, r) => ({ meanLogProb: -1 - r * 1e-7, tokens: 2 })));
      },
      async generate(): Promise<never> {
        throw new Error('no');
      },
    };
    const store = memoryStore();
    const cached = cachedModel(model, fingerprint, store, 'rp-v1');
    const context = [{ role: 'user' as const, content: 'x' }];
    const cold = await cached.score([{ context, responses: ['a', 'b', 'a'] }]);
    expect(cold[0]![2]).toEqual(cold[0]![0]);
    const warm = await cached.score([{ context, responses: ['a', 'b', 'a'] }]);
    expect(warm).toEqual(cold);
    expect(calls).toBe(1);
  });
});
