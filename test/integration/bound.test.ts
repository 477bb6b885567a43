/**
 * The bound on the bundled models in Node, through the same evaluation service as the app and
 * the command line: every term in the results file is recomputed here from the file itself (its
 * pairs and policy entropies for Ĥ) and from the encoder's vectors of the texts it names, and the
 * validation's correlation is recomputed by hand.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  GOLD,
  inputTexts,
  memoryStore,
  representationJsd,
  validateBenchmarkText,
  type Benchmark,
  type BenchmarkSample,
} from '../../src/core/index.js';
import { createEvaluationService } from '../../workers/evaluation/service.js';
import { createNodeModelService } from '../../node/model-host.js';
import { DEMO_BENCHMARK_FILE } from '../../scripts/lib/demo-benchmark.js';

const parsed = validateBenchmarkText(readFileSync(DEMO_BENCHMARK_FILE, 'utf8'));
if (!parsed.ok) throw new Error('demo benchmark invalid');
const keep = new Set(['IDTest', 'french', 'korean', 'RealWorld', 'Literature']);
const benchmark: Benchmark = {
  ...parsed.benchmark,
  categories: parsed.benchmark.categories.filter((c) => keep.has(c.tag)),
  samples: parsed.benchmark.samples.filter((s) => keep.has(s.category)),
};
const LIMIT = 4;
const POLICY = 'rolescope-tiny-en';
const ENCODER = { kind: 'input-embeddings', model: 'rolescope-tiny-multi' } as const;

describe('the bound through the evaluation service', () => {
  it('writes terms, Ĥ, forms and validation that recompute from the results file', async () => {
    const models = createNodeModelService();
    const service = createEvaluationService({ models, openStore: async () => memoryStore(), appVersion: 'test' });
    const results = await service.run({
      benchmark,
      benchmarkSource: { name: 'demo', sha256: null },
      policies: [{ source: 'bundled', id: POLICY }],
      estimator: { source: 'bundled', id: 'rolescope-tiny-multi' },
      encoder: ENCODER,
      settings: {
        maxPairs: 6,
        seed: 5,
        bootstrapReplicates: 20,
        reasoning: 'none',
        estimatorTemplate: 'rp-v1',
        limitPerCategory: LIMIT,
        bound: { encoder: 'input-embeddings:rolescope-tiny-multi' },
      },
      device: 'cpu',
    });
    expect(results.manifest.encoder).toMatchObject({ id: 'input-embeddings:rolescope-tiny-multi', source: 'bundled' });

    const samplesOf = (tag: string): BenchmarkSample[] =>
      benchmark.samples.filter((s) => s.category === tag).slice(0, LIMIT);
    const embed = async (texts: string[]) => {
      const { vectors, dims } = await models.embed(ENCODER, texts);
      return texts.map((_, r) => vectors.subarray(r * dims, (r + 1) * dims));
    };
    const js = async (p: string[], q: string[]) => representationJsd(await embed(p), await embed(q));

    const bounded = results.rows.filter((r) => r.bound);
    expect(bounded.map((r) => r.category).sort()).toEqual(['Literature', 'french', 'korean']);
    for (const row of bounded) {
      const b = row.bound!;
      const ref = samplesOf(row.reference!);
      const shift = samplesOf(row.category);
      for (const k of ['user', 'character', 'dialogue', 'joint'] as const) {
        const expected = await js(
          ref.map((s) => inputTexts(s)[k]),
          shift.map((s) => inputTexts(s)[k]),
        );
        expect(b.inputTerms[k]).toBeCloseTo(expected, 10);
      }
      const answers = results.responses[POLICY]!;
      expect(b.outputTerms.reference).toBeCloseTo(
        await js(
          ref.map((s) => answers[s.id]!),
          ref.map((s) => s.goldenResponse),
        ),
        10,
      );
      expect(b.outputTerms.shifted).toBeCloseTo(
        await js(
          shift.map((s) => answers[s.id]!),
          shift.map((s) => s.goldenResponse),
        ),
        10,
      );
      // Ĥ = max over both categories' samples of the estimator's entropy over the golden response
      // (its matched pair) plus the policy's own entropy over its response.
      let hHat = -Infinity;
      for (const [tag, samples] of [
        [row.reference!, ref],
        [row.category, shift],
      ] as const) {
        samples.forEach((s, i) => {
          const gold = results.pairs.find((p) => p.policy === GOLD && p.category === tag && p.i === i && p.j === i)!;
          hHat = Math.max(hHat, gold.meanEntropy! + results.policyEntropies![POLICY]![s.id]!);
        });
      }
      expect(b.hHat).toBeCloseTo(hHat, 12);
      expect(hHat).toBeGreaterThan(0);
      const roots = Math.sqrt(b.inputTerms.user) + Math.sqrt(b.inputTerms.character) + Math.sqrt(b.inputTerms.dialogue);
      expect(b.published).toBeCloseTo(
        Math.sqrt(2 / 3) * hHat * roots + 8 * Math.max(b.outputTerms.reference, b.outputTerms.shifted) ** 0.25,
        10,
      );
      expect(b.scaleAdjusted).toBeCloseTo(roots + b.outputTerms.reference ** 0.25 + b.outputTerms.shifted ** 0.25, 10);
    }

    // Pearson's r of R-EMID and the published bound, by hand.
    const x = bounded.map((r) => r.remid!);
    const y = bounded.map((r) => r.bound!.published);
    const mean = (v: number[]) => v.reduce((a, c) => a + c, 0) / v.length;
    const [mx, my] = [mean(x), mean(y)];
    const cov = x.reduce((a, xi, k) => a + (xi - mx) * (y[k]! - my), 0);
    const sx = Math.sqrt(x.reduce((a, xi) => a + (xi - mx) ** 2, 0));
    const sy = Math.sqrt(y.reduce((a, yi) => a + (yi - my) ** 2, 0));
    expect(results.boundValidation!.pearson).toBeCloseTo(cov / (sx * sy), 10);
    expect(results.boundValidation!.held).toBe(bounded.every((r) => r.remid! <= r.bound!.published));
  }, 240_000);
});
