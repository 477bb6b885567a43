/**
 * The evaluation pipeline on a real bundled model in Node: every reported pair score equals a
 * direct call to the model service, the MI in each row equals the O(pairs) recomputation from
 * the reported pairs, and a rerun through the cache makes no model call; the same with reasoning
 * written by a thought model and the null-prompt estimator; imported responses that are the golden
 * responses themselves give exactly the golden MI (EMI 0), and bad responses files are refused.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ESTIMATOR_RESPONSE_PREFIX,
  ESTIMATOR_TEMPLATE_VERSION,
  GOLD,
  NULL_ROLE_PLAY_INPUT,
  ROLE_PLAY_TEMPLATE_VERSION,
  THOUGHT_GENERATION,
  THOUGHT_TEMPLATE_VERSION,
  cachedModel,
  estimatorMessages,
  hashValue,
  memoryStore,
  rolePlayMessages,
  runEvaluation,
  thoughtMessages,
  validateBenchmarkText,
  type Benchmark,
  type EvaluationSettings,
} from '../../src/core/index.js';
import { loadEvaluationModel } from '../../workers/evaluation/evaluation-model.js';
import { createNodeModelService } from '../../node/model-host.js';
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
    expect(out.counts).toEqual({
      truncatedPrompts: 0,
      truncatedThoughtPrompts: 0,
      unanswerablePrompts: 0,
      truncatedContexts: 0,
      emptyResponses: 0,
      unscorablePairs: 0,
    });
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
      // The estimator's perplexity of the golden responses (after their contexts with r).
      const golden = out.pairs.filter((p) => p.policy === GOLD && p.category === row.category && p.i === p.j);
      const meanScore = golden.reduce((sum, p) => sum + p.meanLogProb, 0) / golden.length;
      expect(row.goldPerplexity).toBeCloseTo(Math.exp(-meanScore), 10);
    }
    const computed = counters.computed;
    expect(await run()).toEqual(out);
    expect(counters.computed).toBe(computed);
    await service.dispose();
  }, 240_000);
});

describe('runEvaluation with a thought model and the null-prompt estimator', () => {
  it('scores r in the context and the null pairs as the service does, MI equals the pairs, reruns from the cache', async () => {
    const service = createNodeModelService();
    const store = memoryStore();
    const counters = { hits: 0, computed: 0 };
    const loadAs = (templateVersion: string) => async () => {
      const { model, info } = await loadEvaluationModel(service, { source: 'bundled', id: MODEL }, { device: 'cpu' });
      return cachedModel(model, info.fingerprint, store, templateVersion, counters);
    };
    const settings: EvaluationSettings = {
      maxPairs: 5,
      seed: 3,
      bootstrapReplicates: 50,
      reasoning: 'generate',
      estimatorTemplate: 'est-v1',
      estimatorKind: 'null-prompt',
      limitPerCategory: 3,
    };
    const run = () =>
      runEvaluation({
        benchmark,
        policies: [{ id: MODEL, load: loadAs(ROLE_PLAY_TEMPLATE_VERSION) }],
        estimator: { id: MODEL, load: loadAs(ESTIMATOR_TEMPLATE_VERSION) },
        thought: { id: MODEL, load: loadAs(THOUGHT_TEMPLATE_VERSION) },
        settings,
      });
    const out = await run();
    expect(out.counts).toEqual({
      truncatedPrompts: 0,
      truncatedThoughtPrompts: 0,
      unanswerablePrompts: 0,
      truncatedContexts: 0,
      emptyResponses: 0,
      unscorablePairs: 0,
    });
    const byTag = new Map(
      benchmark.categories.map((c) => [c.tag, benchmark.samples.filter((s) => s.category === c.tag).slice(0, 3)]),
    );
    const selected = [...byTag.values()].flat();
    expect(Object.keys(out.reasoning!).sort()).toEqual(selected.map((s) => s.id).sort());
    // The service now holds the same model (the estimator): r is the greedy generation from x alone.
    const first = selected[0]!;
    const direct = await service.generate(thoughtMessages(first), THOUGHT_GENERATION);
    expect(out.reasoning![first.id]).toBe(direct.text.trim());

    // 2 categories × 2 responders × (3 matched + 5 mismatched + 3 null).
    expect(out.pairs).toHaveLength(44);
    const responseOf = (policy: string, category: string, j: number) => {
      const s = byTag.get(category)![j]!;
      return policy === GOLD ? s.goldenResponse : out.responses[MODEL]![s.id]!;
    };
    // Null pairs: one direct call of the null context (with its empty core-features block).
    const nullPairs = out.pairs.filter((p) => p.i === -1);
    expect(nullPairs).toHaveLength(12);
    const nullDirect = await service.score([
      {
        context: estimatorMessages(NULL_ROLE_PLAY_INPUT, ''),
        responses: nullPairs.map((p) => responseOf(p.policy, p.category, p.j)),
        responsePrefix: ESTIMATOR_RESPONSE_PREFIX,
      },
    ]);
    nullPairs.forEach((p, k) => {
      const d = nullDirect.groups[0]![k]!;
      expect(Math.abs(d.meanLogProb - p.meanLogProb)).toBeLessThan(1e-6);
      expect(d.tokenIds.length).toBe(p.tokens);
    });
    // Matched pairs: scored after their own context with their own r.
    for (const p of out.pairs.filter((q) => q.i === q.j)) {
      const s = byTag.get(p.category)![p.i]!;
      const result = await service.score([
        {
          context: estimatorMessages(s, out.reasoning![s.id]),
          responses: [responseOf(p.policy, p.category, p.j)],
          responsePrefix: ESTIMATOR_RESPONSE_PREFIX,
        },
      ]);
      expect(Math.abs(result.groups[0]![0]!.meanLogProb - p.meanLogProb)).toBeLessThan(1e-6);
    }
    // MI_null = mean_j [s(j, j) − s(∅, j)], recomputed from the pairs.
    for (const row of out.rows) {
      const mi = (policy: string) => {
        const ps = out.pairs.filter((p) => p.policy === policy && p.category === row.category);
        const diffs = ps
          .filter((p) => p.i === p.j)
          .map((p) => p.meanLogProb - ps.find((q) => q.i === -1 && q.j === p.j)!.meanLogProb);
        return diffs.reduce((a, b) => a + b, 0) / diffs.length;
      };
      expect(row.miGold).toBeCloseTo(mi(GOLD), 10);
      expect(row.miModel).toBeCloseTo(mi(MODEL), 10);
      // The estimator's perplexity of the golden responses (after their contexts with r).
      const golden = out.pairs.filter((p) => p.policy === GOLD && p.category === row.category && p.i === p.j);
      const meanScore = golden.reduce((sum, p) => sum + p.meanLogProb, 0) / golden.length;
      expect(row.goldPerplexity).toBeCloseTo(Math.exp(-meanScore), 10);
    }
    const computed = counters.computed;
    expect(await run()).toEqual(out);
    expect(counters.computed).toBe(computed);
    await service.dispose();
  }, 120_000);
});

const ROOT = path.resolve(import.meta.dirname, '../..');
/** Runs `npm run evaluate` as a user would, in its own process (in `cwd`, default the repository). */
const evaluate = (args: string[], cwd = ROOT) => {
  const r = spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, 'scripts/evaluate.ts'), ...args], {
    cwd,
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout + r.stderr };
};

describe('npm run evaluate with --reasoning generate and --estimator null-prompt', () => {
  it('writes r and the thought model into the results, null pairs beside the others, and reruns from the cache', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rolescope-evaluate-'));
    const out = path.join(dir, 'r.json');
    const args = ['--policy', MODEL, '--scorer', MODEL, '--limit', '2', '--pairs', '2', '--bootstrap', '10'];
    const more = ['--reasoning', 'generate', '--estimator', 'null-prompt', '--cache', dir, '--out', out];
    const first = evaluate([...args, ...more]);
    expect(first.code, first.out).toBe(0);
    const results = JSON.parse(readFileSync(out, 'utf8'));
    // The thought model defaults to the scorer; reasoning makes est-v1 the default template.
    expect(results.manifest.thought).toMatchObject({ id: MODEL, source: 'bundled' });
    expect(results.manifest.templates).toEqual({ policy: 'rp-v1', estimator: 'est-v1', thought: 'th-v1' });
    expect(results.manifest.settings).toMatchObject({
      reasoning: 'generate',
      estimatorKind: 'null-prompt',
      estimatorTemplate: 'est-v1',
    });
    const categories = parsed.benchmark.categories.length;
    expect(Object.keys(results.reasoning)).toHaveLength(2 * categories);
    const nullPairs = results.pairs.filter((p: { i: number }) => p.i === -1);
    expect(nullPairs.length).toBeGreaterThan(0);
    expect(nullPairs.length).toBeLessThanOrEqual(2 * 2 * categories);
    expect(first.out).toContain('null-prompt MI, reasoning generate by rolescope-tiny-en');
    const again = evaluate([...args, ...more]);
    expect(again.code, again.out).toBe(0);
    expect(again.out).toMatch(/ 0 scores and generations computed/);
  }, 60_000);

  it('scores with the bundled CoRL pair: --scorer rolescope-corl-estimator writes r with its thought policy', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rolescope-evaluate-'));
    const out = path.join(dir, 'r.json');
    const args = ['--policy', MODEL, '--scorer', 'rolescope-corl-estimator', '--limit', '2', '--pairs', '2'];
    const run = evaluate([...args, '--bootstrap', '10', '--no-bound', '--cache', dir, '--out', out]);
    expect(run.code, run.out).toBe(0);
    const results = JSON.parse(readFileSync(out, 'utf8'));
    // Its defaults: reasoning generate, by the thought policy it was trained with, on est-v1.
    expect(results.manifest.estimator).toMatchObject({ id: 'rolescope-corl-estimator', source: 'bundled' });
    expect(results.manifest.thought).toMatchObject({ id: 'rolescope-corl-thought', source: 'bundled' });
    expect(results.manifest.settings).toMatchObject({ reasoning: 'generate', estimatorTemplate: 'est-v1' });
    const reasonings = Object.values(results.reasoning) as string[];
    expect(reasonings).toHaveLength(2 * parsed.benchmark.categories.length);
    // The trained policy writes th-v1's layout, not the estimator's or a role-play reply.
    expect(reasonings.filter((r) => r.includes('Core features:')).length).toBeGreaterThan(reasonings.length / 2);
    for (const row of results.rows) {
      if (row.goldPerplexity !== undefined && row.goldPerplexity !== null)
        expect(row.goldPerplexity).toBeGreaterThan(1);
    }
  }, 120_000);

  it('refuses reasoning with rp-v1 and --thought without generate, without a stack trace', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rolescope-evaluate-'));
    const common = ['--limit', '1', '--cache', dir, '--out', path.join(dir, 'r.json')];
    const rp = evaluate([...common, '--reasoning', 'file', '--template', 'rp-v1']);
    expect(rp.code).toBe(1);
    expect(rp.out).toContain('needs the est-v1 estimator template');
    expect(rp.out).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    const thought = evaluate([...common, '--thought', MODEL]);
    expect(thought.code).toBe(1);
    expect(thought.out).toContain('--thought needs --reasoning generate');
    const kind = evaluate([...common, '--estimator', 'pmi']);
    expect(kind.out).toContain('--estimator must be one of reference, mixture, null-prompt');
  }, 60_000);
});

describe('npm run evaluate with imported responses (--responses)', () => {
  // The samples --limit 2 selects, computed here independently: the first 2 of each category.
  const selected = parsed.benchmark.categories.flatMap((c) =>
    parsed.benchmark.samples.filter((s) => s.category === c.tag).slice(0, 2),
  );
  const golden = Object.fromEntries(selected.map((s) => [s.id, s.goldenResponse]));
  const common = (dir: string) => ['--limit', '2', '--pairs', '2', '--bootstrap', '10', '--cache', dir];

  it('scores golden responses imported as a policy exactly as the golden responses: MI(ŷ) = MI(y*), EMI 0', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rolescope-evaluate-'));
    const file = path.join(dir, 'mine.json');
    writeFileSync(file, JSON.stringify(golden));
    const out = path.join(dir, 'r.json');
    const run = evaluate([...common(dir), '--scorer', MODEL, '--responses', `mine=${file}`, '--out', out]);
    expect(run.code, run.out).toBe(0);
    const results = JSON.parse(readFileSync(out, 'utf8'));
    // Without --policy only the imported policy runs.
    expect(results.manifest.policies).toEqual([{ id: 'mine', source: 'imported', sha256: await hashValue(golden) }]);
    expect(results.responses).toEqual({ mine: golden });
    expect(results.rows).toHaveLength(parsed.benchmark.categories.length);
    for (const row of results.rows) {
      expect(row.policy).toBe('mine');
      expect(row.n).toBe(2);
      expect(Math.abs(row.miModel - row.miGold)).toBeLessThan(1e-12);
      expect(Math.abs(row.emi)).toBeLessThan(1e-12);
      if (row.remid !== null) expect(Math.abs(row.remid)).toBeLessThan(1e-12);
    }
    // The same pairs, scored the same.
    type Pair = { policy: string; category: string; i: number; j: number; meanLogProb: number };
    const key = (p: Pair) => `${p.category}/${p.i}/${p.j}`;
    const gold = new Map<string, number>(
      results.pairs.filter((p: Pair) => p.policy === GOLD).map((p: Pair) => [key(p), p.meanLogProb]),
    );
    const mine = results.pairs.filter((p: Pair) => p.policy === 'mine');
    expect(mine).toHaveLength(gold.size);
    for (const p of mine) expect(p.meanLogProb).toBe(gold.get(key(p)));
    expect(run.out).toMatch(/^mine {2,}IDTest /m);
    // Imported golden responses leave the estimator's perplexity of the golden responses as it is.
    expect(run.out).toMatch(/^estimator perplexity of the golden responses/m);
    for (const row of results.rows) {
      const matched = results.pairs.filter(
        (p: Pair) => p.policy === GOLD && p.category === row.category && p.i === p.j,
      );
      // A category whose golden responses are all too long for the model has no perplexity (null).
      if (matched.length === 0) {
        expect(row.goldPerplexity).toBeNull();
        continue;
      }
      const meanScore = matched.reduce((sum: number, p: Pair) => sum + p.meanLogProb, 0) / matched.length;
      expect(row.goldPerplexity).toBeCloseTo(Math.exp(-meanScore), 10);
      expect(run.out).toContain(`${row.category.padEnd(22)}${row.goldPerplexity.toFixed(2).padStart(9)}`);
    }
  }, 120_000);

  it('refuses a responses file with a problem, naming its path, before any model loads and without a stack trace', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rolescope-evaluate-'));
    const [left, ...kept] = selected;
    const missing = path.join(dir, 'missing.json');
    writeFileSync(missing, JSON.stringify(Object.fromEntries(kept.map((s) => [s.id, s.goldenResponse]))));
    const run = evaluate([...common(dir), '--responses', `mine=${missing}`, '--out', path.join(dir, 'r.json')]);
    expect(run.code).toBe(1);
    expect(run.out).toContain(`${missing} does not hold valid responses for mine:`);
    expect(run.out).toContain(
      `(file): missing responses for 1 of the ${selected.length} samples to answer: ${JSON.stringify(left!.id)}`,
    );
    expect(run.out).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    expect(run.out).not.toContain('load ');

    const wrongType = path.join(dir, 'wrong-type.json');
    writeFileSync(wrongType, JSON.stringify({ ...golden, [left!.id]: 42 }));
    const typed = evaluate([...common(dir), '--responses', `mine=${wrongType}`]);
    expect(typed.code).toBe(1);
    expect(typed.out).toContain(`[${JSON.stringify(left!.id)}]: expected a string, got a number`);

    const good = path.join(dir, 'good.json');
    writeFileSync(good, JSON.stringify(golden));
    const clash = evaluate([...common(dir), '--policy', MODEL, '--responses', `${MODEL}=${good}`]);
    expect(clash.code).toBe(1);
    expect(clash.out).toContain(`the imported policy id "${MODEL}" is already a model policy's name`);
    const gold = evaluate([...common(dir), '--responses', `gold=${good}`]);
    expect(gold.code).toBe(1);
    expect(gold.out).toContain('"gold" names the golden responses');
    for (const r of [typed, clash, gold]) expect(r.out).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  }, 60_000);
});

describe('npm run evaluate with a model folder and no bound', () => {
  it('runs folder:<name> from --model-folders exactly as the bundled model with the same files', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rolescope-evaluate-'));
    const out = path.join(dir, 'r.json');
    const run = evaluate([
      ...['--model-folders', 'public/models', '--policy', `folder:${MODEL}`, '--policy', MODEL, '--scorer', MODEL],
      ...['--limit', '2', '--pairs', '2', '--bootstrap', '10', '--no-bound', '--cache', dir, '--out', out],
    ]);
    expect(run.code, run.out).toBe(0);
    const results = JSON.parse(readFileSync(out, 'utf8'));
    expect(results.manifest.policies.map((p: { id: string; source: string }) => [p.id, p.source])).toEqual([
      [`folder:${MODEL}`, 'folder'],
      [MODEL, 'bundled'],
    ]);
    expect(results.manifest.encoder).toBeUndefined();
    expect(results.rows.every((r: { bound?: unknown }) => r.bound === undefined)).toBe(true);
    // Same files, same greedy responses, same scores.
    expect(results.responses[`folder:${MODEL}`]).toEqual(results.responses[MODEL]);
    const byPolicy = (policy: string) =>
      results.rows.filter((r: { policy: string }) => r.policy === policy).map((r: { remid: number | null }) => r.remid);
    expect(byPolicy(`folder:${MODEL}`)).toEqual(byPolicy(MODEL));
  }, 120_000);
});

describe('npm run evaluate writes only where it is told', () => {
  it('creates the results, their CSV and its cache folder, and nothing else, here or in the repository', () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'rolescope-evaluate-cwd-'));
    const status = () => spawnSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).stdout;
    const before = status();
    const run = evaluate(
      [...['--policy', MODEL, '--scorer', MODEL, '--limit', '2', '--pairs', '2', '--bootstrap', '10', '--no-bound']],
      cwd,
    );
    expect(run.code, run.out).toBe(0);
    const written = readdirSync(cwd, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.relative(cwd, path.join(e.parentPath, e.name)));
    // The defaults: results.json and results.csv here, the cache in .cache/evaluate/.
    expect(written.filter((f) => !f.startsWith(path.join('.cache', 'evaluate') + path.sep)).sort()).toEqual([
      'results.csv',
      'results.json',
    ]);
    expect(written.some((f) => f.startsWith(path.join('.cache', 'evaluate')))).toBe(true);
    expect(status()).toBe(before);
  }, 120_000);
});
