import { describe, expect, it } from 'vitest';
import type { Benchmark, BenchmarkCategory, BenchmarkSample } from '../../../../src/core/benchmark/format.js';
import { categorySeed, GOLD, runEvaluation } from '../../../../src/core/pipeline/run.js';
import { cachedModel, memoryStore } from '../../../../src/core/pipeline/cached.js';
import type { EvaluationModel, EvaluationSettings, PairScore } from '../../../../src/core/pipeline/types.js';
import type { ChatMessage } from '../../../../src/core/prompt.js';

/** Samples whose persona names them ("ID:1"), so fakes can tell which context they see. */
function sample(category: string, k: number, turns = 1): BenchmarkSample {
  const dialogue = Array.from({ length: 2 * turns - 1 }, (_, t) => ({
    role: t % 2 === 0 ? ('user' as const) : ('agent' as const),
    text: `turn ${t}`,
  }));
  return {
    id: `${category}-${k}`,
    category,
    split: null,
    userPersona: `${category}:${k}`,
    agentCharacter: 'c',
    dialogue,
    goldenResponse: `gold ${category}:${k}`,
    extra: {},
  };
}

const category = (tag: string, family: BenchmarkCategory['family'], reference: string | null): BenchmarkCategory => ({
  tag,
  family,
  label: tag,
  reference,
  sampleCount: 3,
  languages: {},
  declared: true,
});

const benchmark = (turns = 1): Benchmark => ({
  meta: {},
  categories: [category('IDTest', 'in-distribution', null), category('chinese', 'user', 'IDTest')],
  samples: [0, 1, 2].flatMap((k) => [sample('IDTest', k, turns), sample('chinese', k, turns)]),
});

const personaOf = (context: readonly ChatMessage[]) => /<user_persona>\n(.*)\n/.exec(context[1]!.content)![1]!;

/** A policy that answers "policy <persona>", counting its calls. */
function fakePolicy(): EvaluationModel & { calls: number } {
  const model = {
    id: 'policy-a',
    calls: 0,
    async score(): Promise<never> {
      throw new Error('not a scorer');
    },
    async generate(prompt: readonly ChatMessage[]) {
      model.calls++;
      return { text: ` policy ${personaOf(prompt)} ` };
    },
  };
  return model;
}

/**
 * An estimator with hand-set scores: the golden response scores −1 under its own context and −3
 * under another; the policy's −2 under its own and −2.5 (IDTest) or −2.2 (chinese) under another.
 * With `maxDialogue`, longer dialogues are refused as too long.
 */
function fakeEstimator(maxDialogue = Infinity): EvaluationModel & { calls: number } {
  const model = {
    id: 'estimator',
    calls: 0,
    async score(groups: Parameters<EvaluationModel['score']>[0]) {
      model.calls++;
      return groups.map((g) => {
        const lines = g.context[1]!.content.split('\n').filter((l) => l.startsWith('User:') || l.startsWith('Agent:'));
        if (lines.length > maxDialogue) throw Object.assign(new Error('too long'), { name: 'ContextTooLongError' });
        const own = personaOf(g.context);
        return g.responses.map((r) => {
          const matched = r.endsWith(own);
          const score = r.startsWith('gold')
            ? matched
              ? -1
              : -3
            : matched
              ? -2
              : own.startsWith('IDTest')
                ? -2.5
                : -2.2;
          return { meanLogProb: score, tokens: 3 };
        });
      });
    },
    async generate(): Promise<never> {
      throw new Error('not a policy');
    },
  };
  return model;
}

const settings: EvaluationSettings = {
  maxPairs: 1000,
  seed: 7,
  bootstrapReplicates: 100,
  reasoning: 'none',
  estimatorTemplate: 'rp-v1',
};

describe('runEvaluation', () => {
  it('computes MI, EMI and R-EMID as hand-computed from the fake scores', async () => {
    const policy = fakePolicy();
    const estimator = fakeEstimator();
    const out = await runEvaluation({
      benchmark: benchmark(),
      policies: [{ id: 'policy-a', load: async () => policy }],
      estimator: { id: 'estimator', load: async () => estimator },
      settings,
    });
    expect(policy.calls).toBe(6);
    expect(out.responses['policy-a']!['chinese-2']).toBe('policy chinese:2');
    // MI(gold) = −1 − (−3) = 2 everywhere; MI(model) = 0.5 (IDTest), 0.2 (chinese).
    const [id, zh] = out.rows;
    expect(id).toMatchObject({
      category: 'IDTest',
      shift: 'none',
      reference: null,
      n: 3,
      miGold: 2,
      miModel: 0.5,
      remid: null,
      remidCi: null,
    });
    expect(id!.emi).toBeCloseTo(-1.5, 12);
    expect(zh).toMatchObject({ category: 'chinese', shift: 'user', reference: 'IDTest', n: 3, miGold: 2 });
    expect(zh!.miModel).toBeCloseTo(0.2, 12);
    expect(zh!.emi).toBeCloseTo(-1.8, 12);
    // R-EMID = EMI(IDTest) − EMI(chinese) = −1.5 − (−1.8) = 0.3; every replicate agrees.
    expect(zh!.remid).toBeCloseTo(0.3, 12);
    expect(zh!.remidCi![0]).toBeCloseTo(0.3, 12);
    expect(zh!.remidCi![1]).toBeCloseTo(0.3, 12);
    expect(out.families).toHaveLength(1);
    expect(out.families[0]).toMatchObject({ policy: 'policy-a', family: 'user', n: 3 });
    expect(out.families[0]!.remid).toBeCloseTo(0.3, 12);
    // 2 categories × 2 responders × (3 matched + 6 mismatched) pairs, one estimator call per context.
    expect(out.pairs).toHaveLength(36);
    expect(estimator.calls).toBe(6);
    expect(out.pairs.filter((p) => p.policy === GOLD && p.i === p.j).every((p) => p.meanLogProb === -1)).toBe(true);
    expect(out.counts).toEqual({ truncatedPrompts: 0, truncatedContexts: 0, emptyResponses: 0, unscorablePairs: 0 });
  });

  it('uses the mixture estimator when asked (hand-computed in Python)', async () => {
    const out = await runEvaluation({
      benchmark: benchmark(),
      policies: [{ id: 'policy-a', load: async () => fakePolicy() }],
      estimator: { id: 'estimator', load: async () => fakeEstimator() },
      settings: { ...settings, estimatorKind: 'mixture' },
    });
    // Each sample has two other contexts: s_ii − ln((e^{s_ii} + 2 e^{s_other}) / 3).
    expect(out.rows[0]!.miGold).toBeCloseTo(0.859067522446225, 12);
    expect(out.rows[0]!.miModel).toBeCloseTo(0.30423551925046644, 12);
    expect(out.rows[1]!.miModel).toBeCloseTo(0.12879538479481356, 12);
    expect(out.rows[1]!.remid).toBeCloseTo(0.17544013445565287, 12);
  });

  it('recomputes the same MI from the pairs it reports', async () => {
    const out = await runEvaluation({
      benchmark: benchmark(),
      policies: [{ id: 'policy-a', load: async () => fakePolicy() }],
      estimator: { id: 'estimator', load: async () => fakeEstimator() },
      settings,
    });
    for (const row of out.rows) {
      const mine = (policy: string) => out.pairs.filter((p) => p.policy === policy && p.category === row.category);
      const mi = (policy: string) => {
        const ps = mine(policy);
        const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
        return (
          mean(ps.filter((p) => p.i === p.j).map((p) => p.meanLogProb)) -
          mean(ps.filter((p) => p.i !== p.j).map((p) => p.meanLogProb))
        );
      };
      expect(row.miModel).toBeCloseTo(mi('policy-a'), 12);
      expect(row.miGold).toBeCloseTo(mi(GOLD), 12);
    }
  });

  it('uses imported responses, refuses incomplete ones, and leaves empty responses out', async () => {
    const responses = Object.fromEntries(benchmark().samples.map((s) => [s.id, `policy ${s.userPersona}`]));
    responses['IDTest-1'] = '  ';
    const out = await runEvaluation({
      benchmark: benchmark(),
      policies: [{ id: 'imported', responses }],
      estimator: { id: 'estimator', load: async () => fakeEstimator() },
      settings,
    });
    expect(out.counts.emptyResponses).toBe(1);
    expect(out.pairs.some((p) => p.policy === 'imported' && p.category === 'IDTest' && p.j === 1)).toBe(false);
    // MI(model, IDTest) still 0.5: the matched mean and the mismatched mean skip the empty one.
    expect(out.rows[0]!.miModel).toBeCloseTo(0.5, 12);
    const partial = { ...responses };
    delete partial['chinese-0'];
    await expect(
      runEvaluation({
        benchmark: benchmark(),
        policies: [{ id: 'imported', responses: partial }],
        estimator: { id: 'estimator', load: async () => fakeEstimator() },
        settings,
      }),
    ).rejects.toThrow(/lack 1 samples, e.g. chinese-0/);
  });

  it('drops the oldest turns of over-long contexts and counts them', async () => {
    const out = await runEvaluation({
      benchmark: benchmark(3),
      policies: [{ id: 'policy-a', load: async () => fakePolicy() }],
      estimator: { id: 'estimator', load: async () => fakeEstimator(3) },
      settings,
    });
    // Five dialogue lines exceed the limit of three: each of the six contexts loses one pair.
    expect(out.counts.truncatedContexts).toBe(6);
    expect(out.rows[1]!.remid).toBeCloseTo(0.3, 12);
  });

  it('is reproducible, seeds each category by its tag, and stops when aborted', async () => {
    const run = () =>
      runEvaluation({
        benchmark: benchmark(),
        policies: [{ id: 'policy-a', load: async () => fakePolicy() }],
        estimator: { id: 'estimator', load: async () => fakeEstimator() },
        settings: { ...settings, maxPairs: 4 },
      });
    const [a, b] = [await run(), await run()];
    expect(a).toEqual(b);
    expect(a.pairs.filter((p) => p.policy === GOLD && p.category === 'IDTest' && p.i !== p.j)).toHaveLength(4);
    expect(categorySeed(7, 'IDTest')).not.toBe(categorySeed(7, 'chinese'));
    expect(categorySeed(7, 'IDTest')).toBe(categorySeed(7, 'IDTest'));
    const controller = new AbortController();
    controller.abort();
    await expect(
      runEvaluation(
        {
          benchmark: benchmark(),
          policies: [{ id: 'policy-a', load: async () => fakePolicy() }],
          estimator: { id: 'estimator', load: async () => fakeEstimator() },
          settings,
        },
        { signal: controller.signal },
      ),
    ).rejects.toThrow();
  });
});

describe('runEvaluation through cachedModel', () => {
  const fingerprint = (modelId: string) => ({ modelId, filesHash: 'f', dtype: 'fp32', deviceClass: 'cpu' as const });

  it('gives identical results on a rerun without calling the models', async () => {
    const store = memoryStore();
    const policy = fakePolicy();
    const estimator = fakeEstimator();
    const run = () =>
      runEvaluation({
        benchmark: benchmark(),
        policies: [{ id: 'policy-a', load: async () => cachedModel(policy, fingerprint('p'), store, 'rp-v1') }],
        estimator: { id: 'estimator', load: async () => cachedModel(estimator, fingerprint('e'), store, 'rp-v1') },
        settings,
      });
    const first = await run();
    const calls = [policy.calls, estimator.calls];
    expect(calls).toEqual([6, 6]);
    const second = await run();
    expect(second).toEqual(first);
    expect([policy.calls, estimator.calls]).toEqual(calls);
  });

  it('scores only the missing responses of a group and keys by prefix', async () => {
    const store = memoryStore();
    const estimator = fakeEstimator();
    const model = cachedModel(estimator, fingerprint('e'), store, 'rp-v1');
    const context = [
      { role: 'system' as const, content: 's' },
      { role: 'user' as const, content: '<user_persona>\nIDTest:0\n</user_persona>' },
    ];
    await model.score([{ context, responses: ['gold IDTest:0'] }]);
    const scored = (await model.score([{ context, responses: ['gold IDTest:0', 'gold IDTest:1'] }])) as PairScore[][];
    expect(scored[0]!.map((s) => s.meanLogProb)).toEqual([-1, -3]);
    expect(model.counters).toEqual({ hits: 1, computed: 2 });
    await model.score([{ context, responses: ['gold IDTest:0'], responsePrefix: '## Agent Response\n' }]);
    expect(model.counters.computed).toBe(3);
  });
});

describe('responses too long for the estimator', () => {
  it('scores the others with the last query alone and counts the ones that never fit', async () => {
    const base = fakeEstimator();
    // Refuses any call that contains a response mentioning "chinese:2" (as if it were too long).
    const picky: EvaluationModel = {
      ...base,
      async score(groups) {
        if (groups.some((g) => g.responses.some((r) => r.endsWith('chinese:2')))) {
          throw Object.assign(new Error('too long'), { name: 'ContextTooLongError' });
        }
        return base.score(groups);
      },
    };
    const out = await runEvaluation({
      benchmark: benchmark(),
      policies: [{ id: 'policy-a', load: async () => fakePolicy() }],
      estimator: { id: 'estimator', load: async () => picky },
      settings,
    });
    // Every chinese context tries y_2 of gold and of the policy: 3 contexts × 2 responders.
    expect(out.counts.unscorablePairs).toBe(6);
    expect(out.pairs.some((p) => p.category === 'chinese' && p.j === 2)).toBe(false);
    expect(out.rows[1]!.miGold).toBe(2);
  });
});
