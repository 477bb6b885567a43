/**
 * The evaluation pipeline on a real bundled model in Node: every reported pair score equals a
 * direct call to the model service, the MI in each row equals the O(pairs) recomputation from
 * the reported pairs, and a rerun through the cache makes no model call.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  GOLD,
  cachedModel,
  memoryStore,
  rolePlayMessages,
  runEvaluation,
  validateBenchmarkText,
  type Benchmark,
} from '../../src/core/index.js';
import { loadEvaluationModel } from '../../workers/node-evaluation.js';
import { createNodeModelService } from '../../workers/node.js';
import { DEMO_BENCHMARK_FILE } from '../../scripts/lib/demo-benchmark.js';

const parsed = validateBenchmarkText(readFileSync(DEMO_BENCHMARK_FILE, 'utf8'));
if (!parsed.ok) throw new Error('demo benchmark invalid');
const keep = new Set(['IDTest', 'french']);
const benchmark: Benchmark = {
  ...parsed.benchmark,
  categories: parsed.benchmark.categories.filter((c) => keep.has(c.tag)),
  samples: parsed.benchmark.samples.filter((s) => keep.has(s.category)),
};
const MODEL = 'rolescope-tiny-en';

describe('runEvaluation with the bundled model', () => {
  it('reports pairs that equal direct scores, MI that equals the pairs, and reruns from the cache', async () => {
    const service = createNodeModelService();
    const store = memoryStore();
    const counters = { hits: 0, computed: 0 };
    const load = async () => {
      const { model, info } = await loadEvaluationModel(service, { source: 'bundled', id: MODEL }, { device: 'cpu' });
      return cachedModel(model, info.fingerprint, store, 'rp-v1', counters);
    };
    const settings = {
      maxPairs: 5,
      seed: 3,
      bootstrapReplicates: 50,
      reasoning: 'none',
      estimatorTemplate: 'rp-v1',
      limitPerCategory: 3,
    } as const;
    const run = () =>
      runEvaluation({ benchmark, policies: [{ id: MODEL, load }], estimator: { id: MODEL, load }, settings });
    const out = await run();
    expect(out.counts).toEqual({ truncatedPrompts: 0, truncatedContexts: 0, emptyResponses: 0, unscorablePairs: 0 });
    // 2 categories × 2 responders × (3 matched + 5 mismatched).
    expect(out.pairs).toHaveLength(32);

    const byTag = new Map(
      benchmark.categories.map((c) => [c.tag, benchmark.samples.filter((s) => s.category === c.tag).slice(0, 3)]),
    );
    for (const p of out.pairs) {
      const samples = byTag.get(p.category)!;
      const response = p.policy === GOLD ? samples[p.j]!.goldenResponse : out.responses[MODEL]![samples[p.j]!.id]!;
      const result = await service.score([{ context: rolePlayMessages(samples[p.i]!), responses: [response] }]);
      const direct = result.groups[0]![0]!;
      expect(Math.abs(direct.meanLogProb - p.meanLogProb)).toBeLessThan(1e-6);
      expect(direct.tokenIds.length).toBe(p.tokens);
    }
    for (const row of out.rows) {
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const mi = (policy: string) => {
        const ps = out.pairs.filter((p) => p.policy === policy && p.category === row.category);
        return (
          mean(ps.filter((p) => p.i === p.j).map((p) => p.meanLogProb)) -
          mean(ps.filter((p) => p.i !== p.j).map((p) => p.meanLogProb))
        );
      };
      expect(row.miGold).toBeCloseTo(mi(GOLD), 10);
      expect(row.miModel).toBeCloseTo(mi(MODEL), 10);
    }
    const computed = counters.computed;
    expect(await run()).toEqual(out);
    expect(counters.computed).toBe(computed);
    await service.dispose();
  }, 240_000);
});
