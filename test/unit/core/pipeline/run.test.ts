import { describe, expect, it } from 'vitest';
import type { Benchmark, BenchmarkCategory, BenchmarkSample } from '../../../../src/core/benchmark/format.js';
import { categorySeed, runEvaluation } from '../../../../src/core/pipeline/run.js';
import { GOLD } from '../../../../src/core/pipeline/types.js';
import { cachedModel, memoryStore } from '../../../../src/core/pipeline/cached.js';
import {
  THOUGHT_GENERATION,
  type EvaluationModel,
  type EvaluationProgress,
  type EvaluationSettings,
  type PairScore,
  type ResultRow,
} from '../../../../src/core/pipeline/types.js';
import { estimatorMessages, NULL_ROLE_PLAY_INPUT } from '../../../../src/core/prompts/estimator-prompt.js';
import type { ChatMessage } from '../../../../src/core/prompts/prompt.js';

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

/** The persona line of an rp-v1 or est-v1 (or th-v1) user turn. */
const personaOf = (context: readonly ChatMessage[]) =>
  /(?:<user_persona>|## User Persona)\n(.*)\n/.exec(context[1]!.content)![1]!;

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

/** The sample number k of a response ("gold chinese:2", "policy IDTest:1"). */
const kOf = (response: string) => Number(response.slice(-1));

/**
 * The null context's hand-set scores: gold −3 − 0.5k (mean over k = 0, 1, 2: −3.5); the policy
 * −2.6 for IDTest responses and −2.1 − 0.25k for chinese ones (mean −2.35).
 */
function nullScore(response: string): number {
  if (response.startsWith('gold')) return -3 - 0.5 * kOf(response);
  return response.includes('IDTest') ? -2.6 : -2.1 - 0.25 * kOf(response);
}

/**
 * An estimator with hand-set scores: the golden response scores −1 under its own context and −3
 * under another; the policy's −2 under its own and −2.5 (IDTest) or −2.2 (chinese) under another;
 * under the null context (persona "(unknown)"), nullScore. With `maxDialogue`, longer dialogues
 * are refused as too long. Every context it sees is kept in `contexts`.
 */
function fakeEstimator(maxDialogue = Infinity): EvaluationModel & { calls: number; contexts: ChatMessage[][] } {
  const model = {
    id: 'estimator',
    calls: 0,
    contexts: [] as ChatMessage[][],
    async score(groups: Parameters<EvaluationModel['score']>[0]) {
      model.calls++;
      return groups.map((g) => {
        model.contexts.push([...g.context]);
        const lines = g.context[1]!.content.split('\n').filter((l) => l.startsWith('User:') || l.startsWith('Agent:'));
        if (lines.length > maxDialogue) throw Object.assign(new Error('too long'), { name: 'ContextTooLongError' });
        const own = personaOf(g.context);
        if (own === '(unknown)') return g.responses.map((r) => ({ meanLogProb: nullScore(r), tokens: 3 }));
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
    // Every golden response scores −1 after its own context: perplexity e, whatever the resample.
    for (const r of [id!, zh!, out.families[0]!]) {
      expect(r.goldPerplexity).toBeCloseTo(Math.E, 12);
      expect(r.goldPerplexityCi![0]).toBeCloseTo(Math.E, 12);
      expect(r.goldPerplexityCi![1]).toBeCloseTo(Math.E, 12);
    }
    // 2 categories × 2 responders × (3 matched + 6 mismatched) pairs, one estimator call per context.
    expect(out.pairs).toHaveLength(36);
    expect(estimator.calls).toBe(6);
    expect(out.pairs.filter((p) => p.policy === GOLD && p.i === p.j).every((p) => p.meanLogProb === -1)).toBe(true);
    expect(out.counts).toEqual({
      truncatedPrompts: 0,
      truncatedThoughtPrompts: 0,
      unanswerablePrompts: 0,
      truncatedContexts: 0,
      emptyResponses: 0,
      unscorablePairs: 0,
    });
    expect(out.reasoning).toBeUndefined();
  });

  it('hands each category’s rows over as soon as it is scored, with the final point estimates', async () => {
    const streamed: { rows: ResultRow[]; estimatorCalls: number }[] = [];
    const estimator = fakeEstimator();
    const out = await runEvaluation(
      {
        benchmark: benchmark(),
        policies: [{ id: 'policy-a', load: async () => fakePolicy() }],
        estimator: { id: 'estimator', load: async () => estimator },
        settings,
      },
      { onRows: (rows) => streamed.push({ rows: [...rows], estimatorCalls: estimator.calls }) },
    );
    // IDTest's row after its 3 contexts, chinese's after all 6: before the run's end, without intervals.
    expect(streamed.map((s) => [s.rows.map((r) => r.category), s.estimatorCalls])).toEqual([
      [['IDTest'], 3],
      [['chinese'], 6],
    ]);
    const [id, zh] = [streamed[0]!.rows[0]!, streamed[1]!.rows[0]!];
    expect(id).toMatchObject({ policy: 'policy-a', miGold: 2, miModel: 0.5, remid: null, remidCi: null });
    expect(zh.remid).toBeCloseTo(0.3, 12);
    expect(zh.remidCi).toBeNull();
    // The same point estimates as the final rows, which add the intervals.
    for (const row of [id, zh]) {
      const final = out.rows.find((r) => r.category === row.category)!;
      expect(row.goldPerplexityCi).toBeNull();
      expect({ ...row, remidCi: final.remidCi, goldPerplexityCi: final.goldPerplexityCi }).toEqual(final);
    }
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

  it("scores a thinking policy's reply alone, and counts a thought that never closed as an empty response", async () => {
    const thinking = (close: boolean) => async () => {
      const plain = fakePolicy();
      return {
        ...plain,
        async generate(...args: Parameters<EvaluationModel['generate']>) {
          const [prompt] = args;
          // The thought repeats another sample's answer: scored, it would change every pair's score.
          const reply = (await plain.generate(...args)).text;
          const thought = `<think>\npolicy ${personaOf(prompt) === 'IDTest:0' ? 'chinese:1' : 'IDTest:0'}`;
          return { text: close || !reply.includes(':2') ? `${thought}\n</think>\n${reply}` : thought };
        },
      };
    };
    const scored: string[] = []; // every response the estimator saw
    const run = (load: () => Promise<EvaluationModel>) => {
      const estimator = fakeEstimator();
      return runEvaluation({
        benchmark: benchmark(),
        policies: [{ id: 'policy-a', load }],
        estimator: {
          id: 'estimator',
          load: async () => ({
            ...estimator,
            score: async (groups: Parameters<EvaluationModel['score']>[0]) => {
              for (const g of groups) scored.push(...g.responses);
              return estimator.score(groups);
            },
          }),
        },
        settings,
      });
    };
    const plain = await run(async () => fakePolicy());
    const thought = await run(thinking(true));
    expect(thought.counts.emptyResponses).toBe(0);
    expect(scored.filter((r) => r.startsWith('policy')).length).toBeGreaterThan(0);
    expect(scored.filter((r) => r.includes('think'))).toEqual([]);
    expect(thought.rows.map((r) => r.remid)).toEqual(plain.rows.map((r) => r.remid));
    expect(thought.pairs.filter((p) => p.policy === 'policy-a')).toEqual(
      plain.pairs.filter((p) => p.policy === 'policy-a'),
    );
    // The thoughts of samples IDTest:2 and chinese:2 never close: no reply, two empty responses.
    const unclosed = await run(thinking(false));
    expect(unclosed.counts.emptyResponses).toBe(2);
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

/**
 * A thought model that writes " Core features: answer <persona>. " (only blanks for the `silent`
 * persona), keeping every prompt and option it is given. With `maxDialogue`, prompts with more
 * numbered dialogue lines are refused as too long.
 */
function fakeThought({ silent = '', maxDialogue = Infinity } = {}) {
  const model = {
    id: 'thought',
    calls: 0,
    prompts: [] as ChatMessage[][],
    options: [] as unknown[],
    async score(): Promise<never> {
      throw new Error('not a scorer');
    },
    async generate(prompt: readonly ChatMessage[], options: unknown) {
      const lines = prompt[1]!.content.split('\n').filter((l) => /^(User Query|Agent Response) \d+:/.test(l));
      if (lines.length > maxDialogue) throw Object.assign(new Error('too long'), { name: 'ContextTooLongError' });
      model.calls++;
      model.prompts.push([...prompt]);
      model.options.push(options);
      const persona = personaOf(prompt);
      return { text: persona === silent ? '  ' : ` Core features: answer ${persona}. ` };
    },
  };
  return model;
}

const estV1: EvaluationSettings = { ...settings, estimatorTemplate: 'est-v1' };

describe('reasoning written by a thought model', () => {
  it('asks the thought model once per sample, from x alone, and puts r into the estimator context', async () => {
    const policy = fakePolicy();
    const thought = fakeThought({ silent: 'chinese:1' });
    const estimator = fakeEstimator();
    const events: EvaluationProgress[] = [];
    const out = await runEvaluation(
      {
        benchmark: benchmark(),
        policies: [{ id: 'policy-a', load: async () => policy }],
        estimator: { id: 'estimator', load: async () => estimator },
        thought: { id: 'thought', load: async () => thought },
        settings: { ...estV1, reasoning: 'generate' },
      },
      { onProgress: (p) => events.push(p) },
    );
    expect(thought.calls).toBe(6);
    expect(thought.options.every((o) => JSON.stringify(o) === JSON.stringify(THOUGHT_GENERATION))).toBe(true);
    expect(THOUGHT_GENERATION).toEqual({ maxNewTokens: 128, greedy: true, repetitionPenalty: 1.05 });
    // The thought prompts hold the personas in sample order and no golden response at all.
    expect(thought.prompts.map(personaOf)).toEqual(
      benchmark()
        .samples.map((s) => s.userPersona)
        .sort(),
    );
    const thoughtText = thought.prompts.flat().map((m) => m.content);
    for (const s of benchmark().samples) for (const t of thoughtText) expect(t).not.toContain(s.goldenResponse);
    expect(thoughtText.join('\n')).not.toContain('gold');
    // r by sample ID, trimmed; blanks become an empty r, not an error.
    expect(out.reasoning).toEqual({
      'IDTest-0': 'Core features: answer IDTest:0.',
      'IDTest-1': 'Core features: answer IDTest:1.',
      'IDTest-2': 'Core features: answer IDTest:2.',
      'chinese-0': 'Core features: answer chinese:0.',
      'chinese-1': '',
      'chinese-2': 'Core features: answer chinese:2.',
    });
    // Every estimator context carries its own sample's r under "## Core Features".
    expect(estimator.contexts).toHaveLength(6);
    for (const context of estimator.contexts) {
      const persona = personaOf(context);
      const features = context[1]!.content.split('## Core Features\n')[1];
      expect(features).toBe(persona === 'chinese:1' ? '' : `Core features: answer ${persona}.`);
    }
    // The fake scores ignore r, so the numbers are the plain run's.
    expect(out.rows[1]!.remid).toBeCloseTo(0.3, 12);
    // Stages in order: all policy answers, then all reasoning, then scoring.
    const stages = events.map((e) => e.stage);
    expect(stages.lastIndexOf('generate')).toBeLessThan(stages.indexOf('reason'));
    expect(stages.lastIndexOf('reason')).toBeLessThan(stages.indexOf('score'));
    expect(events.filter((e) => e.stage === 'reason')).toEqual(
      [1, 2, 3, 4, 5, 6].map((done) => ({ stage: 'reason', done, total: 6 })),
    );
    expect(out.counts.truncatedThoughtPrompts).toBe(0);
  });

  it('drops the oldest turns of over-long thought prompts and counts them', async () => {
    const thought = fakeThought({ maxDialogue: 3 });
    const out = await runEvaluation({
      benchmark: benchmark(3),
      policies: [{ id: 'policy-a', load: async () => fakePolicy() }],
      estimator: { id: 'estimator', load: async () => fakeEstimator() },
      thought: { id: 'thought', load: async () => thought },
      settings: { ...estV1, reasoning: 'generate' },
    });
    // Five dialogue lines exceed three: every prompt loses its oldest pair, then fits.
    expect(out.counts.truncatedThoughtPrompts).toBe(6);
    expect(thought.calls).toBe(6);
    expect(thought.prompts.every((p) => p[1]!.content.includes('User Query 1: turn 2'))).toBe(true);
  });

  it('refuses generate without a thought model, reasoning with rp-v1, and file without r, before any model call', async () => {
    const policy = fakePolicy();
    const request = {
      benchmark: benchmark(),
      policies: [{ id: 'policy-a', load: async () => policy }],
      estimator: { id: 'estimator', load: async () => fakeEstimator() },
    };
    await expect(runEvaluation({ ...request, settings: { ...estV1, reasoning: 'generate' } })).rejects.toThrow(
      /needs a thought model/,
    );
    const thought = { id: 'thought', load: async () => fakeThought() };
    await expect(
      runEvaluation({ ...request, thought, settings: { ...settings, reasoning: 'generate' } }),
    ).rejects.toThrow(RangeError);
    // 'file' with rp-v1 used to ignore r silently; it is refused even when every sample has one.
    const withR = { ...benchmark(), samples: benchmark().samples.map((s) => ({ ...s, reasoning: 'r' })) };
    await expect(
      runEvaluation({ ...request, benchmark: withR, settings: { ...settings, reasoning: 'file' } }),
    ).rejects.toThrow(/needs the est-v1 estimator template/);
    await expect(runEvaluation({ ...request, settings: { ...estV1, reasoning: 'file' } })).rejects.toThrow(
      /6 samples have no reasoning r, e.g. sample IDTest-0/,
    );
    expect(policy.calls).toBe(0);
    const fromFile = await runEvaluation({ ...request, benchmark: withR, settings: { ...estV1, reasoning: 'file' } });
    expect(fromFile.reasoning).toBeUndefined();
    expect(policy.calls).toBe(6);
  });

  it('reruns through cachedModel without calling the thought model, and stops when aborted', async () => {
    const store = memoryStore();
    const thought = fakeThought();
    const fp = (modelId: string) => ({ modelId, filesHash: 'f', dtype: 'fp32', deviceClass: 'cpu' as const });
    const run = (signal?: AbortSignal, onProgress?: (p: EvaluationProgress) => void) =>
      runEvaluation(
        {
          benchmark: benchmark(),
          policies: [{ id: 'policy-a', load: async () => fakePolicy() }],
          estimator: { id: 'estimator', load: async () => fakeEstimator() },
          thought: { id: 'thought', load: async () => cachedModel(thought, fp('t'), store, 'th-v1') },
          settings: { ...estV1, reasoning: 'generate' },
        },
        { ...(signal ? { signal } : {}), ...(onProgress ? { onProgress } : {}) },
      );
    const first = await run();
    expect(thought.calls).toBe(6);
    expect(await run()).toEqual(first);
    expect(thought.calls).toBe(6);

    const fresh = fakeThought();
    const controller = new AbortController();
    await expect(
      runEvaluation(
        {
          benchmark: benchmark(),
          policies: [{ id: 'policy-a', load: async () => fakePolicy() }],
          estimator: { id: 'estimator', load: async () => fakeEstimator() },
          thought: { id: 'thought', load: async () => fresh },
          settings: { ...estV1, reasoning: 'generate' },
        },
        {
          signal: controller.signal,
          onProgress: (p) => {
            if (p.stage === 'reason' && p.done === 2) controller.abort();
          },
        },
      ),
    ).rejects.toThrow();
    expect(fresh.calls).toBe(2);
  });
});

describe('the null-prompt estimator', () => {
  const run = (overrides: Partial<EvaluationSettings> = {}, estimator: EvaluationModel = fakeEstimator()) =>
    runEvaluation({
      benchmark: benchmark(),
      policies: [{ id: 'policy-a', load: async () => fakePolicy() }],
      estimator: { id: 'estimator', load: async () => estimator },
      settings: { ...settings, estimatorKind: 'null-prompt', ...overrides },
    });

  it('computes MI = mean_i [s(x_i, y_i) − s(∅, y_i)] as hand-computed from the fake scores', async () => {
    const estimator = fakeEstimator();
    const out = await run({}, estimator);
    // Gold: −1 − mean(−3, −3.5, −4) = 2.5 in both categories. Policy: IDTest −2 − −2.6 = 0.6,
    // chinese −2 − mean(−2.1, −2.35, −2.6) = 0.35. EMI −1.9 and −2.15; R-EMID 0.25.
    const [id, zh] = out.rows;
    expect(id!.miGold).toBeCloseTo(2.5, 12);
    expect(id!.miModel).toBeCloseTo(0.6, 12);
    expect(id!.emi).toBeCloseTo(-1.9, 12);
    expect(zh!.miGold).toBeCloseTo(2.5, 12);
    expect(zh!.miModel).toBeCloseTo(0.35, 12);
    expect(zh!.emi).toBeCloseTo(-2.15, 12);
    expect(zh!.remid).toBeCloseTo(0.25, 12);
    expect(out.families[0]!.remid).toBeCloseTo(0.25, 12);
    // One more call per category, for the null context, which is rp-v1's rendering of ∅.
    expect(estimator.calls).toBe(8);
    const nullContexts = estimator.contexts.filter((c) => personaOf(c) === '(unknown)');
    expect(nullContexts).toHaveLength(2);
    expect(nullContexts[0]![1]!.content).toBe(
      '<user_persona>\n(unknown)\n</user_persona>\n<character>\n\n</character>\n<dialogue>\nUser: \n</dialogue>',
    );
  });

  it('reports the null pairs with i = −1 beside unchanged matched and mismatched pairs', async () => {
    const out = await run();
    const reference = await runEvaluation({
      benchmark: benchmark(),
      policies: [{ id: 'policy-a', load: async () => fakePolicy() }],
      estimator: { id: 'estimator', load: async () => fakeEstimator() },
      settings,
    });
    const nullPairs = out.pairs.filter((p) => p.i === -1);
    // 2 categories × 2 responders × 3 responses.
    expect(nullPairs).toHaveLength(12);
    expect(out.pairs.filter((p) => p.i >= 0)).toEqual(reference.pairs);
    for (const p of nullPairs) {
      const text = p.policy === GOLD ? `gold ${p.category}:${p.j}` : `policy ${p.category}:${p.j}`;
      expect(p.meanLogProb).toBe(nullScore(text));
    }
    // Anyone can recompute the rows from the pairs.
    for (const row of out.rows) {
      const mi = (policy: string) => {
        const ps = out.pairs.filter((p) => p.policy === policy && p.category === row.category);
        const own = ps.filter((p) => p.i === p.j);
        const diffs = own.map((p) => p.meanLogProb - ps.find((q) => q.i === -1 && q.j === p.j)!.meanLogProb);
        return diffs.reduce((a, b) => a + b, 0) / diffs.length;
      };
      expect(row.miModel).toBeCloseTo(mi('policy-a'), 12);
      expect(row.miGold).toBeCloseTo(mi(GOLD), 12);
    }
  });

  it('keeps an empty core-features block in the est-v1 null context when reasoning is on', async () => {
    const estimator = fakeEstimator();
    const out = await runEvaluation({
      benchmark: benchmark(),
      policies: [{ id: 'policy-a', load: async () => fakePolicy() }],
      estimator: { id: 'estimator', load: async () => estimator },
      thought: { id: 'thought', load: async () => fakeThought() },
      settings: { ...estV1, reasoning: 'generate', estimatorKind: 'null-prompt' },
    });
    const nullContexts = estimator.contexts.filter((c) => personaOf(c) === '(unknown)');
    expect(nullContexts).toEqual([
      estimatorMessages(NULL_ROLE_PLAY_INPUT, ''),
      estimatorMessages(NULL_ROLE_PLAY_INPUT, ''),
    ]);
    expect(out.rows[1]!.remid).toBeCloseTo(0.25, 12);
  });

  it('leaves out responses that do not fit after the null context and counts them', async () => {
    const base = fakeEstimator();
    // The null context refuses any group that holds "gold IDTest:2", as if it were too long.
    const picky: EvaluationModel = {
      ...base,
      async score(groups) {
        const refuse = groups.some(
          (g) => personaOf(g.context) === '(unknown)' && g.responses.includes('gold IDTest:2'),
        );
        if (refuse) throw Object.assign(new Error('too long'), { name: 'ContextTooLongError' });
        return base.score(groups);
      },
    };
    const out = await run({}, picky);
    expect(out.counts.unscorablePairs).toBe(1);
    expect(out.pairs.filter((p) => p.i === -1)).toHaveLength(11);
    // Gold IDTest: mean(−1 − −3, −1 − −3.5) = 2.25 over the two samples left.
    expect(out.rows[0]!.miGold).toBeCloseTo(2.25, 12);
  });
});

describe('prompts too long for the policy', () => {
  it('leave the response empty and count it, rather than stopping the run', async () => {
    const base = fakePolicy();
    // The policy cannot take chinese:1's prompt even with only its last user query.
    const cramped: EvaluationModel = {
      ...base,
      async generate(prompt, options) {
        if (personaOf(prompt) === 'chinese:1')
          throw Object.assign(new Error('too long'), { name: 'ContextTooLongError' });
        return base.generate(prompt, options);
      },
    };
    const out = await runEvaluation({
      benchmark: benchmark(),
      policies: [{ id: 'policy-a', load: async () => cramped }],
      estimator: { id: 'estimator', load: async () => fakeEstimator() },
      settings,
    });
    expect(out.responses['policy-a']!['chinese-1']).toBe('');
    expect(out.counts.unanswerablePrompts).toBe(1);
    expect(out.counts.emptyResponses).toBe(1);
    // Its pairs are left out; the golden ones are not.
    expect(out.pairs.some((p) => p.policy === 'policy-a' && p.category === 'chinese' && p.j === 1)).toBe(false);
    expect(out.pairs.some((p) => p.policy === GOLD && p.category === 'chinese' && p.j === 1)).toBe(true);
  });
});
