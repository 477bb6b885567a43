import { describe, expect, it } from 'vitest';
import type { Benchmark, BenchmarkCategory, BenchmarkSample } from '../../../../src/core/benchmark/format.js';
import { remidWithIntervals } from '../../../../src/core/metrics/bootstrap.js';
import { comparePolicies, policyRanks } from '../../../../src/core/analysis/compare.js';
import { resultsFile, type ResultsFile, type ResultsManifest } from '../../../../src/core/pipeline/results.js';
import { runEvaluation } from '../../../../src/core/pipeline/run.js';
import {
  GOLD,
  type EvaluationModel,
  type EvaluationSettings,
  type FamilyRow,
  type PairRecord,
  type ResultRow,
  type ShiftName,
} from '../../../../src/core/pipeline/types.js';
import type { ChatMessage } from '../../../../src/core/prompts/prompt.js';
import { nats } from '../../../../src/core/units.js';

const baseSettings: EvaluationSettings = {
  maxPairs: 1000,
  seed: 7,
  bootstrapReplicates: 200,
  reasoning: 'none',
  estimatorTemplate: 'rp-v1',
};

const model = (id: string) => ({ id, source: 'test', filesHash: 'h', dtype: 'fp32', device: 'cpu' });

function manifest(settings: EvaluationSettings, policies: readonly string[]): ResultsManifest {
  return {
    formatVersion: 1,
    appVersion: 'test',
    createdAt: '2025-01-01T00:00:00.000Z',
    benchmark: { sha256: '0', samples: 0 },
    policies: policies.map(model),
    estimator: model('estimator'),
    settings,
    templates: { policy: 'rp-v1', estimator: 'rp-v1' },
    counts: {
      truncatedPrompts: 0,
      truncatedThoughtPrompts: 0,
      unanswerablePrompts: 0,
      truncatedContexts: 0,
      emptyResponses: 0,
      unscorablePairs: 0,
    },
    timings: {},
  };
}

// ---------------------------------------------------------------------------------------------
// Hand-made files: every ordered pair scored, matched scores given, mismatched ones a function.

interface HandCategory {
  readonly tag: string;
  readonly shift: ShiftName;
  readonly reference: string | null;
  /** Matched scores per responder (gold included); all arrays of one category have length n. */
  readonly matched: Readonly<Record<string, readonly number[]>>;
  /** Mismatched score of response j after context i, per responder. */
  readonly cross: (responder: string, i: number, j: number) => number;
}

function handFile(categories: readonly HandCategory[], settings: EvaluationSettings = baseSettings): ResultsFile {
  const policies = Object.keys(categories[0]!.matched).filter((r) => r !== GOLD);
  const pairs: PairRecord[] = [];
  for (const c of categories) {
    const n = c.matched[GOLD]!.length;
    for (let i = 0; i < n; i++) {
      for (const responder of [GOLD, ...policies]) {
        for (let j = 0; j < n; j++) {
          const score = i === j ? c.matched[responder]![i]! : c.cross(responder, i, j);
          pairs.push({ policy: responder, category: c.tag, i, j, meanLogProb: score, tokens: 3 });
        }
      }
    }
  }
  const rows: ResultRow[] = policies.flatMap((policy) =>
    categories.map((c) => ({
      policy,
      category: c.tag,
      shift: c.shift,
      reference: c.reference,
      n: c.matched[GOLD]!.length,
      miModel: nats(NaN),
      miGold: nats(NaN),
      emi: nats(NaN),
      remid: c.reference === null ? null : nats(NaN),
      remidCi: null,
    })),
  );
  return {
    manifest: manifest(settings, policies),
    rows,
    families: [],
    pairs,
    responses: {},
  };
}

/**
 * Gold: matched −1, mismatched −3 (MI 2) everywhere. Policy a: its own matched scores, mismatched
 * −3 in IDTest (MI = mean(matched) + 3) and −2.5 in the shifts. Policy b: a's scores, except
 * its matched scores in "chinese" are a's plus `shift` (one value per sample).
 */
function shiftedFile(shift: readonly number[]): ResultsFile {
  const id = [-2, -1.5, -2.5, -1.75];
  const zh = [-2, -1.5, -2.5, -1.4, -2.2, -1.8];
  const elder = [-1.9, -2.4, -2.1];
  const cross = (idValue: number) => (responder: string) => (responder === GOLD ? -3 : idValue);
  return handFile([
    {
      tag: 'IDTest',
      shift: 'none',
      reference: null,
      matched: { [GOLD]: id.map(() => -1), a: id, b: id },
      cross: cross(-3),
    },
    {
      tag: 'chinese',
      shift: 'user',
      reference: 'IDTest',
      matched: { [GOLD]: zh.map(() => -1), a: zh, b: zh.map((s, k) => s + shift[k]!) },
      cross: cross(-2.5),
    },
    {
      tag: 'elder',
      shift: 'user',
      reference: 'IDTest',
      matched: { [GOLD]: elder.map(() => -1), a: elder, b: elder },
      cross: cross(-2.5),
    },
    {
      tag: 'villain',
      shift: 'character',
      reference: 'IDTest',
      matched: { [GOLD]: elder.map(() => -1), a: elder, b: elder },
      cross: cross(-2.5),
    },
  ]);
}

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

describe('comparePolicies on hand-made files', () => {
  it('a constant shift of b’s matched scores in one category gives difference −shift there, 0 elsewhere', () => {
    const file = shiftedFile([0.25, 0.25, 0.25, 0.25, 0.25, 0.25]);
    const out = comparePolicies(file, 'a', 'b');
    expect(out.policies).toEqual(['a', 'b']);
    expect(out.categories.map((c) => [c.category, c.family])).toEqual([
      ['chinese', 'user'],
      ['elder', 'user'],
      ['villain', 'character'],
    ]);
    // EMI_a(IDTest) = (mean(id) + 3) − 2 = −0.9375; EMI_a(chinese) = (mean(zh) + 2.5) − 2 = −1.4.
    const zh = out.categories[0]!;
    expect(zh.remidA).toBeCloseTo(-0.9375 - -1.4, 12);
    // b's MI in chinese is a's + 0.25 in every resample, so R-EMID_b = R-EMID_a − 0.25.
    expect(zh.remidB).toBeCloseTo(0.4625 - 0.25, 12);
    expect(zh.difference).toBeCloseTo(-0.25, 12);
    expect(zh.ci[0]).toBeCloseTo(-0.25, 12);
    expect(zh.ci[1]).toBeCloseTo(-0.25, 12);
    for (const other of out.categories.slice(1)) {
      expect(other.difference).toBe(0);
      expect(other.ci).toEqual([0, 0]);
    }
    // The user family weighs chinese (6 samples) and elder (3): −0.25 · 6/9.
    const user = out.families.find((f) => f.family === 'user')!;
    expect(user.difference).toBeCloseTo((-0.25 * 6) / 9, 12);
    expect(user.ci[0]).toBeCloseTo((-0.25 * 6) / 9, 12);
    expect(user.ci[1]).toBeCloseTo((-0.25 * 6) / 9, 12);
    expect(user.remidA).toBeCloseTo((zh.remidA * 6 + out.categories[1]!.remidA * 3) / 9, 12);
    const character = out.families.find((f) => f.family === 'character')!;
    expect(character).toEqual({
      family: 'character',
      remidA: out.categories[2]!.remidA,
      remidB: out.categories[2]!.remidA,
      difference: 0,
      ci: [0, 0],
    });
  });

  it('a varying shift gives its mean as the difference, inside a non-degenerate interval', () => {
    const shift = [0.5, -0.3, 0.1, 0.4, -0.2, 0.3];
    const file = shiftedFile(shift);
    const out = comparePolicies(file, 'a', 'b', { replicates: 500, seed: 3 });
    const zh = out.categories[0]!;
    expect(zh.difference).toBeCloseTo(-mean(shift), 12);
    expect(zh.ci[0]).toBeLessThan(zh.difference);
    expect(zh.ci[1]).toBeGreaterThan(zh.difference);
    // A replicate's difference is minus a resample's mean shift, so it lies within the shifts' range.
    expect(zh.ci[0]).toBeGreaterThanOrEqual(-0.5 - 1e-12);
    expect(zh.ci[1]).toBeLessThanOrEqual(0.3 + 1e-12);
    const user = out.families.find((f) => f.family === 'user')!;
    expect(user.difference).toBeCloseTo((-mean(shift) * 6) / 9, 12);
    expect(user.ci[0]).toBeLessThan(user.difference);
    expect(user.ci[1]).toBeGreaterThan(user.difference);
    // Swapping a and b negates the difference and mirrors the interval (same resamples).
    const swapped = comparePolicies(file, 'b', 'a', { replicates: 500, seed: 3 }).categories[0]!;
    expect(swapped.difference).toBeCloseTo(-zh.difference, 12);
    expect(swapped.ci[0]).toBeCloseTo(-zh.ci[1], 12);
    expect(swapped.ci[1]).toBeCloseTo(-zh.ci[0], 12);
  });

  it('is seeded: the same seed gives the same interval, another seed another one', () => {
    const file = shiftedFile([0.5, -0.3, 0.1, 0.4, -0.2, 0.3]);
    const one = comparePolicies(file, 'a', 'b', { replicates: 300, seed: 11 });
    expect(comparePolicies(file, 'a', 'b', { replicates: 300, seed: 11 })).toEqual(one);
    const other = comparePolicies(file, 'a', 'b', { replicates: 300, seed: 12 });
    expect(other.categories[0]!.difference).toBe(one.categories[0]!.difference);
    expect(other.categories[0]!.ci).not.toEqual(one.categories[0]!.ci);
    // Without options it uses the file's seed and replicate count.
    expect(comparePolicies(file, 'a', 'b')).toEqual(comparePolicies(file, 'a', 'b', { replicates: 200, seed: 7 }));
  });

  it('a narrower level gives a narrower interval', () => {
    const file = shiftedFile([0.5, -0.3, 0.1, 0.4, -0.2, 0.3]);
    const wide = comparePolicies(file, 'a', 'b', { level: 0.95 }).categories[0]!.ci;
    const narrow = comparePolicies(file, 'a', 'b', { level: 0.5 }).categories[0]!.ci;
    expect(narrow[0]).toBeGreaterThanOrEqual(wide[0]);
    expect(narrow[1]).toBeLessThanOrEqual(wide[1]);
    expect(narrow[1] - narrow[0]).toBeLessThan(wide[1] - wide[0]);
  });

  it('a policy compared with itself differs by 0 with interval [0, 0]', () => {
    const out = comparePolicies(shiftedFile([0.5, -0.3, 0.1, 0.4, -0.2, 0.3]), 'b', 'b');
    for (const row of [...out.categories, ...out.families]) {
      expect(row.remidA).toBe(row.remidB);
      expect(row.difference).toBe(0);
      expect(row.ci).toEqual([0, 0]);
    }
  });

  it('gives each policy the R-EMID remidWithIntervals gives on the same scores', () => {
    const file = shiftedFile([0.5, -0.3, 0.1, 0.4, -0.2, 0.3]);
    const out = comparePolicies(file, 'a', 'b', { replicates: 0 });
    const zhB = [-2, -1.5, -2.5, -1.4, -2.2, -1.8].map((s, k) => s + [0.5, -0.3, 0.1, 0.4, -0.2, 0.3][k]!);
    const expected = remidWithIntervals({
      categories: {
        IDTest: {
          n: 4,
          model: { matched: [-2, -1.5, -2.5, -1.75], mismatched: all(4, -3) },
          gold: { matched: [-1, -1, -1, -1], mismatched: all(4, -3) },
        },
        chinese: {
          n: 6,
          model: { matched: zhB, mismatched: all(6, -2.5) },
          gold: { matched: new Array(6).fill(-1), mismatched: all(6, -3) },
        },
      },
      shifts: [{ tag: 'chinese', reference: 'IDTest' }],
      replicates: 0,
    });
    expect(out.categories[0]!.remidB).toBe(expected.byCategory['chinese']!.estimate);
    // No replicates: no interval.
    expect(out.categories[0]!.ci.every(Number.isNaN)).toBe(true);
  });

  it('resamples as remidWithIntervals does: against a copy of gold, the interval is b’s own', () => {
    // Policy a scores exactly as gold, so its EMI (and R-EMID) is 0 in every resample and each
    // replicate's difference is b's R-EMID on the resample remidWithIntervals draws with that seed.
    const matched = {
      IDTest: [-1.2, -2, -1.5, -2.5],
      chinese: [-2, -1.5, -2.5, -1.4, -2.2],
      villain: [-1.9, -2.4, -2.1],
    };
    const cross = (tag: string) => (responder: string, i: number, j: number) =>
      responder === 'b' ? -2.6 - 0.1 * ((i + 2 * j) % 3) - (tag === 'IDTest' ? 0.2 : 0) : -3 - 0.05 * i;
    const categories: HandCategory[] = [
      { tag: 'IDTest', shift: 'none', reference: null },
      { tag: 'chinese', shift: 'user', reference: 'IDTest' },
      { tag: 'villain', shift: 'character', reference: 'IDTest' },
    ].map((c) => {
      const gold = matched[c.tag as keyof typeof matched].map((_, k) => -1 - 0.1 * k);
      return {
        ...(c as Pick<HandCategory, 'tag' | 'shift' | 'reference'>),
        matched: { [GOLD]: gold, a: gold, b: matched[c.tag as keyof typeof matched] },
        cross: cross(c.tag),
      };
    });
    const file = handFile(categories);
    const out = comparePolicies(file, 'a', 'b', { replicates: 300, seed: 5 });
    const table = (responder: string, c: HandCategory) => {
      const n = c.matched[GOLD]!.length;
      const mismatched = [];
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) if (i !== j) mismatched.push({ i, j, score: c.cross(responder, i, j) });
      return { matched: c.matched[responder]!, mismatched };
    };
    const expected = remidWithIntervals({
      categories: Object.fromEntries(
        categories.map((c) => [c.tag, { n: c.matched[GOLD]!.length, model: table('b', c), gold: table(GOLD, c) }]),
      ),
      shifts: [
        { tag: 'chinese', reference: 'IDTest' },
        { tag: 'villain', reference: 'IDTest' },
      ],
      families: { user: ['chinese'], character: ['villain'] },
      replicates: 300,
      seed: 5,
    });
    for (const c of out.categories) {
      const interval = expected.byCategory[c.category]!;
      expect(c.remidA).toBe(0);
      expect(c.difference).toBe(interval.estimate);
      expect(c.ci).toEqual([interval.low, interval.high]);
      expect(c.ci[0]).toBeLessThan(c.ci[1]);
    }
    for (const f of out.families) {
      expect(f.ci).toEqual([expected.byFamily[f.family]!.low, expected.byFamily[f.family]!.high]);
    }
  });

  it('refuses an unknown policy, "gold", a bad level and pairs outside the samples with a RangeError', () => {
    const file = shiftedFile([0, 0, 0, 0, 0, 0]);
    expect(() => comparePolicies(file, 'a', 'nope')).toThrow(RangeError);
    expect(() => comparePolicies(file, 'a', 'nope')).toThrow(/no policy "nope".*"a", "b"/);
    expect(() => comparePolicies(file, 'missing', 'b')).toThrow(/no policy "missing"/);
    expect(() => comparePolicies(file, GOLD, 'b')).toThrow(RangeError);
    expect(() => comparePolicies(file, 'a', 'b', { level: 1 })).toThrow(RangeError);
    expect(() => comparePolicies(file, 'a', 'b', { replicates: -1 })).toThrow(RangeError);
    const bad = { ...file, pairs: [...file.pairs, { ...file.pairs[0]!, j: 99 }] };
    expect(() => comparePolicies(bad, 'a', 'b')).toThrow(/outside its 4 samples/);
    const fewer = { ...file, rows: file.rows.filter((r) => !(r.policy === 'b' && r.category === 'villain')) };
    expect(() => comparePolicies(fewer, 'a', 'b')).toThrow(/not evaluated on the same categories/);
  });
});

/** Every ordered pair (i, j), i ≠ j, of n samples scored `score`, in the pipeline's order. */
function all(n: number, score: number) {
  const pairs = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) pairs.push({ i, j, score });
  return pairs;
}

// ---------------------------------------------------------------------------------------------
// Files from runEvaluation on fake models: the point estimates are the file's own rows'.

function sample(category: string, k: number): BenchmarkSample {
  return {
    id: `${category}-${k}`,
    category,
    split: null,
    userPersona: `${category}:${k}`,
    agentCharacter: 'c',
    dialogue: [{ role: 'user', text: 'hello' }],
    goldenResponse: `gold ${category}:${k}`,
    extra: {},
  };
}

const sizes: Record<string, number> = { IDTest: 4, chinese: 3, elder: 5, villain: 3 };
const category = (tag: string, family: BenchmarkCategory['family'], reference: string | null): BenchmarkCategory => ({
  tag,
  family,
  label: tag,
  reference,
  sampleCount: sizes[tag]!,
  languages: {},
  declared: true,
});

const benchmark: Benchmark = {
  meta: {},
  categories: [
    category('IDTest', 'in-distribution', null),
    category('chinese', 'user', 'IDTest'),
    category('elder', 'user', 'IDTest'),
    category('villain', 'character', 'IDTest'),
  ],
  samples: Object.entries(sizes).flatMap(([tag, n]) => Array.from({ length: n }, (_, k) => sample(tag, k))),
};

const personaOf = (context: readonly ChatMessage[]) =>
  /(?:<user_persona>|## User Persona)\n(.*)\n/.exec(context[1]!.content)![1]!;

/** A policy answering "<id> <persona>"; "p2" leaves elder:1 unanswered (an unscorable response). */
function fakePolicy(id: string): EvaluationModel {
  return {
    id,
    async score(): Promise<never> {
      throw new Error('not a scorer');
    },
    async generate(prompt) {
      const persona = personaOf(prompt);
      return { text: id === 'p2' && persona === 'elder:1' ? '' : `${id} ${persona}` };
    },
  };
}

/** Hand-set scores that vary with the responder, the sample and the context. */
function fakeEstimator(): EvaluationModel {
  const offset: Record<string, number> = { gold: -1, p1: -1.8, p2: -2.2 };
  return {
    id: 'estimator',
    async score(groups) {
      return groups.map((g) => {
        const own = personaOf(g.context);
        return g.responses.map((r) => {
          const [responder, persona] = r.trim().split(' ') as [string, string];
          const k = Number(persona.split(':')[1]);
          const base = offset[responder]! - 0.1 * k - (persona.startsWith('chinese') && responder === 'p2' ? 0.3 : 0);
          if (own === '(unknown)') return { meanLogProb: base - 1.5 - 0.05 * ((k * 7) % 3), tokens: 3 };
          if (own === persona) return { meanLogProb: base, tokens: 3 };
          const kc = Number(own.split(':')[1]);
          return { meanLogProb: base - 1 - 0.07 * ((3 * k + kc) % 5), tokens: 3 };
        });
      });
    },
    async generate(): Promise<never> {
      throw new Error('not a policy');
    },
  };
}

async function evaluated(settings: EvaluationSettings): Promise<ResultsFile> {
  const output = await runEvaluation({
    benchmark,
    policies: ['p1', 'p2'].map((id) => ({ id, load: async () => fakePolicy(id) })),
    estimator: { id: 'estimator', load: async () => fakeEstimator() },
    settings,
  });
  return resultsFile(manifest(settings, ['p1', 'p2']), output);
}

describe('comparePolicies on a file from runEvaluation', () => {
  for (const [label, settings] of [
    ['reference', { ...baseSettings, bootstrapReplicates: 50 }],
    ['reference, sampled pairs', { ...baseSettings, bootstrapReplicates: 50, maxPairs: 7 }],
    ['mixture', { ...baseSettings, bootstrapReplicates: 50, estimatorKind: 'mixture' }],
    ['null-prompt', { ...baseSettings, bootstrapReplicates: 50, estimatorKind: 'null-prompt' }],
  ] as const) {
    it(`reproduces the rows’ and families’ R-EMID exactly (${label})`, async () => {
      const file = await evaluated(settings);
      expect(file.pairs.some((p) => p.policy === 'p2' && p.category === 'elder' && p.j === 1)).toBe(false);
      const out = comparePolicies(file, 'p1', 'p2');
      const row = (policy: string, tag: string) => file.rows.find((r) => r.policy === policy && r.category === tag)!;
      const family = (policy: string, f: string) => file.families.find((r) => r.policy === policy && r.family === f)!;
      expect(out.categories.map((c) => c.category)).toEqual(['chinese', 'elder', 'villain']);
      for (const c of out.categories) {
        expect(Number.isFinite(c.remidA)).toBe(true);
        expect(c.remidA).toBe(row('p1', c.category).remid);
        expect(c.remidB).toBe(row('p2', c.category).remid);
        expect(c.difference).toBe(c.remidB - c.remidA);
        expect(c.ci[0]).toBeLessThanOrEqual(c.difference + 1e-12);
        expect(c.ci[1]).toBeGreaterThanOrEqual(c.difference - 1e-12);
      }
      expect(out.families.map((f) => f.family)).toEqual(['user', 'character']);
      for (const f of out.families) {
        expect(f.remidA).toBe(family('p1', f.family).remid);
        expect(f.remidB).toBe(family('p2', f.family).remid);
      }
      // p2 is worse on chinese by construction (its own responses score 0.3 lower there).
      expect(out.categories[0]!.difference).not.toBe(0);

      const self = comparePolicies(file, 'p2', 'p2');
      for (const r of [...self.categories, ...self.families]) {
        expect(r.difference).toBe(0);
        expect(r.ci).toEqual([0, 0]);
      }
      expect(() => comparePolicies(file, 'p1', 'p3')).toThrow(RangeError);
    });
  }
});

// ---------------------------------------------------------------------------------------------

describe('policyRanks', () => {
  const row = (policy: string, category: string, shift: ShiftName, remid: number | null): ResultRow => ({
    policy,
    category,
    shift,
    reference: shift === 'none' ? null : 'IDTest',
    n: 3,
    miModel: nats(0),
    miGold: nats(0),
    emi: nats(0),
    remid: remid === null ? null : nats(remid),
    remidCi: null,
  });
  const familyRow = (policy: string, family: FamilyRow['family'], remid: number): FamilyRow => ({
    policy,
    family,
    n: 6,
    remid: nats(remid),
    remidCi: [nats(remid), nats(remid)],
  });
  const file: ResultsFile = {
    manifest: manifest(baseSettings, ['x', 'y', 'z']),
    rows: [
      row('x', 'IDTest', 'none', null),
      row('x', 'chinese', 'user', 0.1),
      row('x', 'elder', 'user', 0.5),
      row('x', 'villain', 'character', 0.2),
      row('y', 'IDTest', 'none', null),
      row('y', 'chinese', 'user', 0.3),
      row('y', 'elder', 'user', -0.2),
      row('y', 'villain', 'character', 0.2),
      row('z', 'IDTest', 'none', null),
      row('z', 'chinese', 'user', 0.2),
      row('z', 'elder', 'user', 0.7),
      row('z', 'villain', 'character', NaN),
    ],
    families: [
      familyRow('x', 'user', 0.3),
      familyRow('y', 'user', 0.05),
      familyRow('z', 'user', 0.45),
      familyRow('x', 'character', 0.2),
      familyRow('y', 'character', 0.2),
    ],
    pairs: [],
    responses: {},
  };

  it('ranks by R-EMID (1 = least), ties share a rank, non-finite R-EMID is unranked', () => {
    const ranks = policyRanks(file);
    expect(ranks.byCategory).toEqual({
      chinese: { x: 1, y: 3, z: 2 },
      elder: { x: 2, y: 1, z: 3 },
      villain: { x: 1, y: 1 },
    });
    expect(ranks.byFamily).toEqual({ user: { x: 2, y: 1, z: 3 }, character: { x: 1, y: 1 } });
  });

  it('lists where ranks change between categories', () => {
    expect(policyRanks(file).reversals).toEqual([
      { a: 'x', b: 'y', aBetter: ['chinese'], bBetter: ['elder'] },
      { a: 'y', b: 'z', aBetter: ['elder'], bBetter: ['chinese'] },
    ]);
  });

  it('has nothing to rank in a file without rows', () => {
    expect(policyRanks({ ...file, rows: [], families: [] })).toEqual({ byCategory: {}, byFamily: {}, reversals: [] });
  });
});
