/**
 * The bound stage on a tiny synthetic run whose embeddings are unit vectors chosen so that every
 * divergence is a closed form (0 for identical sets, ln 2 for orthogonal ones): the bound's terms,
 * Ĥ, both forms and the shares equal the hand-computed values.
 */
import { describe, expect, it } from 'vitest';
import type { BenchmarkSample } from '../../../../src/core/benchmark/format.js';
import { boundStage, inputTexts, type TextEncoder } from '../../../../src/core/pipeline/bound-stage.js';
import type { PairRecord, ResultRow } from '../../../../src/core/pipeline/types.js';
import { nats } from '../../../../src/core/units.js';

const sample = (id: string, category: string, character: string, golden: string): BenchmarkSample =>
  ({
    id,
    category,
    userPersona: '',
    agentCharacter: character,
    dialogue: [{ role: 'user', text: 'Hello?' }],
    goldenResponse: golden,
  }) as unknown as BenchmarkSample;

const id = [sample('a', 'IDTest', 'A sailor.', 'Ahoy.'), sample('b', 'IDTest', 'A sailor.', 'Ahoy there.')];
const fr = [sample('c', 'french', 'Un marin.', 'Salut.'), sample('d', 'french', 'Un marin.', 'Bonjour.')];
const responses = { p: { a: 'Ahoy.', b: 'Ahoy there.', c: 'Hi.', d: 'Hello.' } };

/** Unit vector e_k in 8 dimensions. */
const e = (k: number) => Float32Array.from({ length: 8 }, (_, j) => (j === k ? 1 : 0));
const table = new Map<string, Float32Array>([
  // Same personas and dialogues in both categories: their terms are 0.
  [inputTexts(id[0]!).user, e(0)],
  [inputTexts(id[0]!).dialogue, e(1)],
  // Characters (and so whole inputs) on orthogonal axes: ln 2.
  [inputTexts(id[0]!).character, e(2)],
  [inputTexts(fr[0]!).character, e(3)],
  [inputTexts(id[0]!).joint, e(4)],
  [inputTexts(fr[0]!).joint, e(5)],
  // The policy matches gold in the reference (0) and is orthogonal to it in the shift (ln 2).
  ['Ahoy.', e(6)],
  ['Ahoy there.', e(6)],
  ['Salut.', e(7)],
  ['Bonjour.', e(7)],
  ['Hi.', e(0)],
  ['Hello.', e(0)],
]);
const encoder: TextEncoder & { calls: string[][] } = {
  id: 'fake',
  calls: [],
  async embed(texts) {
    this.calls.push([...texts]);
    return texts.map((t) => {
      const v = table.get(t);
      if (!v) throw new Error(`no vector for ${JSON.stringify(t)}`);
      return v;
    });
  },
};

const row = (category: string, reference: string | null, remid: number | null): ResultRow => ({
  policy: 'p',
  category,
  shift: reference ? 'user' : 'none',
  reference,
  n: 2,
  miModel: nats(0),
  miGold: nats(0),
  emi: nats(0),
  remid: remid === null ? null : nats(remid),
  remidCi: null,
});

// Estimator entropies over the golden responses (matched gold pairs), by category and index.
const goldPair = (category: string, i: number, meanEntropy: number): PairRecord => ({
  policy: 'gold',
  category,
  i,
  j: i,
  meanLogProb: -1,
  tokens: 3,
  meanEntropy,
});
const pairs = [
  goldPair('IDTest', 0, 1),
  goldPair('IDTest', 1, 2),
  goldPair('french', 0, 1.5),
  goldPair('french', 1, 0.5),
];
const policyEntropies = { p: { a: 0.5, b: 0.25, c: 1, d: 3 } };

describe('boundStage', () => {
  it('gives the hand-computed terms, Ĥ, forms and shares', async () => {
    const out = await boundStage({
      rows: [row('IDTest', null, null), row('french', 'IDTest', 0.3)],
      samples: new Map([
        ['IDTest', id],
        ['french', fr],
      ]),
      responses,
      pairs,
      policyEntropies,
      encoder,
    });
    expect(out.rows[0]!.bound).toBeUndefined();
    const bound = out.rows[1]!.bound!;
    const ln2 = Math.log(2);
    expect(bound.inputTerms.user).toBeCloseTo(0, 10);
    expect(bound.inputTerms.dialogue).toBeCloseTo(0, 10);
    expect(bound.inputTerms.character).toBeCloseTo(ln2, 10);
    expect(bound.inputTerms.joint).toBeCloseTo(ln2, 10);
    expect(bound.outputTerms.reference).toBeCloseTo(0, 10);
    expect(bound.outputTerms.shifted).toBeCloseTo(ln2, 10);
    // Ĥ = max(1 + 0.5, 2 + 0.25, 1.5 + 1, 0.5 + 3) = 3.5.
    expect(bound.hHat).toBeCloseTo(3.5, 12);
    expect(bound.scaleAdjusted).toBeCloseTo(Math.sqrt(ln2) + ln2 ** 0.25, 6);
    expect(bound.published).toBeCloseTo(Math.sqrt(2 / 3) * 3.5 * Math.sqrt(ln2) + 8 * ln2 ** 0.25, 6);
    expect(bound.shares!.character).toBeCloseTo(1, 6);
    expect(bound.shares!.user).toBeCloseTo(0, 6);
    expect(out.validation).toMatchObject({ n: 1, held: true, violations: [] });
    // Every distinct text was embedded once, in one call.
    expect(encoder.calls).toHaveLength(1);
    expect(new Set(encoder.calls[0]).size).toBe(encoder.calls[0]!.length);
  });

  it('uses a given Ĥ, and reports a violated bound', async () => {
    const out = await boundStage({
      rows: [row('IDTest', null, null), row('french', 'IDTest', 100)],
      samples: new Map([
        ['IDTest', id],
        ['french', fr],
      ]),
      responses,
      pairs,
      policyEntropies,
      encoder,
      hHatOverride: 1,
    });
    const bound = out.rows[1]!.bound!;
    expect(bound.hHat).toBe(1);
    expect(bound.published).toBeCloseTo(Math.sqrt(2 / 3) * Math.sqrt(Math.log(2)) + 8 * Math.log(2) ** 0.25, 6);
    expect(out.validation.held).toBe(false);
    expect(out.validation.violations).toEqual([
      expect.objectContaining({ category: 'french', remid: 100, excess: 100 - bound.published }),
    ]);
  });

  it("stands in the estimator's entropy over an imported policy's response", async () => {
    const imported = [
      ...pairs,
      ...[0, 1].flatMap((i) => [
        { ...goldPair('IDTest', i, 0), policy: 'p', meanEntropy: 4 },
        { ...goldPair('french', i, 0), policy: 'p', meanEntropy: 0 },
      ]),
    ];
    const out = await boundStage({
      rows: [row('IDTest', null, null), row('french', 'IDTest', 0.3)],
      samples: new Map([
        ['IDTest', id],
        ['french', fr],
      ]),
      responses,
      pairs: imported,
      policyEntropies: {},
      encoder,
    });
    // max(1 + 4, 2 + 4, 1.5 + 0, 0.5 + 0) = 6.
    expect(out.rows[1]!.bound!.hHat).toBeCloseTo(6, 12);
  });
});
