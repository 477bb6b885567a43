/**
 * The training-method comparison's report on a real evaluation: two bundled policies (standing in
 * for a base and a method policy) run through the Node pipeline on four categories, and the report
 * must carry exactly the file's family R-EMID, the Results view's paired comparison and ranks, in
 * rank order, and render one table row per policy.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  comparePolicies,
  memoryStore,
  cachedModel,
  resultsFile,
  runEvaluation,
  validateBenchmarkText,
  type Benchmark,
  type ResultsManifest,
} from '../../src/core/index.js';
import { loadEvaluationModel } from '../../workers/evaluation/evaluation-model.js';
import { createNodeModelService } from '../../node/model-host.js';
import { DEMO_BENCHMARK_FILE } from '../../scripts/lib/demo-benchmark.js';
import { estimatorReport, reportMarkdown } from '../../scripts/lib/methods-report.js';

const parsed = validateBenchmarkText(readFileSync(DEMO_BENCHMARK_FILE, 'utf8'));
if (!parsed.ok) throw new Error('demo benchmark invalid');
const keep = new Set(['IDTest', 'french', 'RealWorld', 'Literature', 'TurnLevelComposition']);
const benchmark: Benchmark = {
  ...parsed.benchmark,
  categories: parsed.benchmark.categories.filter((c) => keep.has(c.tag)),
  samples: parsed.benchmark.samples.filter((s) => keep.has(s.category)),
};

describe('the training-method report', () => {
  it('carries the results file’s R-EMID, paired differences and ranks', { timeout: 300_000 }, async () => {
    const service = createNodeModelService();
    const store = memoryStore();
    const load = (id: string) => async () => {
      const { model, info } = await loadEvaluationModel(service, { source: 'bundled', id }, { device: 'cpu' });
      return cachedModel(model, info.fingerprint, store, 'rp-v1', { hits: 0, computed: 0 });
    };
    const settings = {
      maxPairs: 6,
      seed: 5,
      bootstrapReplicates: 100,
      reasoning: 'none',
      estimatorTemplate: 'rp-v1',
      limitPerCategory: 4,
    } as const;
    const [base, other] = ['rolescope-tiny-en', 'rolescope-tiny-multi'];
    const output = await runEvaluation({
      benchmark,
      policies: [
        { id: base, load: load(base) },
        { id: other, load: load(other) },
      ],
      estimator: { id: 'rolescope-tiny-multi', load: load('rolescope-tiny-multi') },
      settings,
    });
    const ref = (id: string) => ({ id, source: 'bundled', filesHash: 'h', dtype: 'fp32', device: 'cpu' });
    const manifest = {
      formatVersion: 1,
      appVersion: 'test',
      createdAt: '2026-01-01T00:00:00.000Z',
      benchmark: { sha256: '0', samples: benchmark.samples.length },
      policies: [ref(base), ref(other)],
      estimator: ref('rolescope-tiny-multi'),
      settings,
      templates: { policy: 'rp-v1', estimator: 'rp-v1' },
      counts: output.counts,
      timings: {},
    } as ResultsManifest;
    const file = resultsFile(manifest, output);
    const policies = [
      { id: base, method: 'SFT' },
      { id: other, method: 'other data' },
    ];
    const report = estimatorReport(file, 'default', 'the default estimator', policies, base);

    const paired = comparePolicies(file, base, other);
    for (const family of ['user', 'character', 'dialogue'] as const) {
      const rows = file.families.filter((f) => f.family === family);
      expect(rows).toHaveLength(2);
      const figures = (id: string) => report.policies.find((p) => p.id === id)!.families[family]!;
      const b = figures(base);
      const o = figures(other);
      expect(b.remid).toBe(rows.find((r) => r.policy === base)!.remid);
      expect(o.remid).toBe(rows.find((r) => r.policy === other)!.remid);
      expect(b.ci).toEqual(rows.find((r) => r.policy === base)!.remidCi);
      // Rank 1 is the lesser R-EMID; the order lists the policies by rank.
      expect(b.rank).toBe(b.remid <= o.remid ? 1 : 2);
      expect(report.order[family]).toEqual(b.remid <= o.remid ? [base, other] : [other, base]);
      // The pairing is the Results view's, and its difference is other − base.
      expect(b.vsBase).toBeUndefined();
      const vs = paired.families.find((f) => f.family === family)!;
      expect(o.vsBase).toEqual({ difference: vs.difference, ci: vs.ci });
      expect(o.vsBase!.difference).toBeCloseTo(o.remid - b.remid, 12);
    }

    // Every shifted category's R-EMID is the file's row, and in-distribution ones have none.
    for (const id of [base, other]) {
      const shifted = file.rows.filter((r) => r.policy === id && r.remid !== null);
      expect(shifted.length).toBeGreaterThan(0);
      const categories = report.policies.find((p) => p.id === id)!.categories;
      expect(Object.keys(categories).sort()).toEqual(shifted.map((r) => r.category).sort());
      for (const r of shifted) expect(categories[r.category]).toEqual({ remid: r.remid, ci: r.remidCi });
    }

    const md = reportMarkdown(report);
    const user = report.policies[1]!.families.user!;
    expect(md).toContain(`| ${other} | other data | ${user.remid.toFixed(3)} [${user.ci[0].toFixed(3)}, `);
    expect(md.split('\n').filter((l) => l.startsWith(`| ${other} |`))).toHaveLength(2); // both tables
    expect(md.split('\n').filter((l) => l.startsWith(`| ${base} |`))).toHaveLength(1); // not paired with itself
    const french = report.policies.map((p) => p.categories.french!);
    expect(md).toContain(
      `| french | ${french.map((f) => `${f.remid.toFixed(3)} [${f.ci[0].toFixed(3)}, ${f.ci[1].toFixed(3)}]`).join(' | ')} |`,
    );
  });
});
