/**
 * Reading results files back: a hand-written file whose MI follows from its pairs is accepted as
 * it is; broken shapes are refused with their paths; numbers that do not follow from the pairs
 * (a hand-edited or truncated file) are refused too.
 */
import { describe, expect, it } from 'vitest';
import { parseResultsText } from '../../../../src/core/pipeline/results-schema.js';

/** Pairs of one responder in one category: matched scores `own`, mismatched ones `cross`. */
const pairsOf = (policy: string, category: string, own: number[], cross: number[]) => [
  ...own.map((s, i) => ({ policy, category, i, j: i, meanLogProb: s, tokens: 4, meanEntropy: 2 })),
  ...cross.map((s, k) => ({ policy, category, i: k % own.length, j: (k + 1) % own.length, meanLogProb: s, tokens: 4 })),
];

// IDTest: gold MI = mean(−1, −2) − mean(−3, −4) = 2; policy MI = mean(−2, −2) − mean(−2.5, −3.5) = 1.
const file = () => ({
  manifest: {
    formatVersion: 1,
    appVersion: '0.1.0',
    createdAt: '2026-11-25T00:00:00.000Z',
    benchmark: { name: 'b.json', sha256: 'ab'.repeat(32), samples: 2 },
    policies: [{ id: 'p', source: 'bundled', filesHash: 'x', dtype: 'fp32', device: 'cpu' }],
    estimator: { id: 'e', source: 'bundled', filesHash: 'y', dtype: 'fp32', device: 'cpu' },
    settings: { maxPairs: 2, seed: 1, bootstrapReplicates: 10, reasoning: 'none', estimatorTemplate: 'rp-v1' },
    templates: { policy: 'rp-v1', estimator: 'rp-v1' },
    counts: { truncatedPrompts: 0 },
    timings: { totalSeconds: 1 },
  },
  rows: [
    {
      policy: 'p',
      category: 'IDTest',
      shift: 'none',
      reference: null,
      n: 2,
      miModel: 1,
      miGold: 2,
      emi: -1,
      remid: null,
      remidCi: null,
    },
  ],
  families: [],
  pairs: [...pairsOf('gold', 'IDTest', [-1, -2], [-3, -4]), ...pairsOf('p', 'IDTest', [-2, -2], [-2.5, -3.5])],
  responses: { p: { a: 'Hi.', b: 'Hello.' } },
});

describe('parseResultsText', () => {
  it('accepts a file whose rows follow from its pairs, keeping every field', () => {
    const text = JSON.stringify(file());
    const parsed = parseResultsText(text);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.file).toEqual(JSON.parse(text));
  });

  it('refuses what is not JSON, or not a results file, with paths', () => {
    expect(parseResultsText('{"manifest":')).toMatchObject({ ok: false, errors: [{ path: '(file)' }] });
    const noRows = { ...file(), rows: 'none' };
    expect(parseResultsText(JSON.stringify(noRows))).toMatchObject({
      ok: false,
      errors: [{ path: 'rows', message: 'expected a list of rows, got a string' }],
    });
    const badShift = file();
    (badShift.rows[0] as { shift: string }).shift = 'weather';
    const refused = parseResultsText(JSON.stringify(badShift));
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.errors[0]!.path).toBe('rows[0].shift');
    const oldFormat = file();
    (oldFormat.manifest as { formatVersion: number }).formatVersion = 9;
    const old = parseResultsText(JSON.stringify(oldFormat));
    expect(!old.ok && old.errors[0]!.path).toBe('manifest.formatVersion');
  });

  it('refuses rows that do not follow from the pairs', () => {
    const edited = file();
    edited.rows[0]!.miModel = 1.5;
    const parsed = parseResultsText(JSON.stringify(edited));
    expect(parsed).toMatchObject({ ok: false, errors: [{ path: 'rows[0].miModel' }] });
    const truncated = { ...file(), pairs: file().pairs.filter((p) => p.policy !== 'gold') };
    expect(parseResultsText(JSON.stringify(truncated))).toMatchObject({
      ok: false,
      errors: [{ path: 'rows[0].miGold' }],
    });
  });
});
