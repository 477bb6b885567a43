/**
 * npm run evaluate -- [--bench file] [--policy model ...] [--scorer model] [--reasoning none|file]
 *                     [--template rp-v1|est-v1] [--pairs 1000] [--seed 42] [--limit N]
 *                     [--bootstrap 1000] [--out results.json] [--cache dir]
 * R-EMID per category and shift family for each policy, with the same core and model service as
 * the app. Models are bundled ids (rolescope-tiny-en) or Hub ids (hub:onnx-community/...). Every
 * score and generation is cached on disk, so an interrupted run resumes where it stopped.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  ESTIMATOR_TEMPLATE_VERSION,
  ROLE_PLAY_TEMPLATE_VERSION,
  cachedModel,
  formatIssue,
  resultsFile,
  rowsToCsv,
  runEvaluation,
  sha256Hex,
  validateBenchmarkText,
  type EvaluationProgress,
  type EvaluationSettings,
  type ModelManifestEntry,
  type ResultsManifest,
} from '../src/core/index.js';
import type { LoadedModelInfo, ModelRef } from '../src/protocol/model-service.js';
import { loadEvaluationModel, openDiskStore } from '../workers/node-evaluation.js';
import { createNodeModelService } from '../workers/node.js';
import { DEMO_BENCHMARK_FILE } from './lib/demo-benchmark.js';

const DEFAULT_POLICIES = ['rolescope-tiny-en', 'rolescope-tiny-multi'];
const DEFAULT_SCORER = 'rolescope-tiny-multi';

function refOf(name: string): ModelRef {
  return name.startsWith('hub:') ? { source: 'hub', id: name.slice(4) } : { source: 'bundled', id: name };
}

function wholeNumber(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new Error(`--${name} expects a whole number, got "${value}"`);
  return Number(value);
}

/** "generate policy-a 120/600 · 3.1/s · ETA 2m35s" on one stderr line. */
function progressPrinter() {
  let stageStart = performance.now();
  let stageName = '';
  let lastLine = 0;
  return (p: EvaluationProgress) => {
    const name = p.stage === 'generate' ? `generate ${p.policy}` : `score ${p.category}`;
    const now = performance.now();
    if (name !== stageName) {
      stageName = name;
      stageStart = now;
    }
    const rate = p.done / Math.max((now - stageStart) / 1000, 1e-3);
    const eta = (p.total - p.done) / rate;
    const etaText = Number.isFinite(eta)
      ? `${Math.floor(eta / 60)}m${String(Math.round(eta % 60)).padStart(2, '0')}s`
      : '?';
    const line = `${name} ${p.done}/${p.total} · ${rate.toFixed(1)}/s · ETA ${etaText}`;
    if (process.stderr.isTTY) {
      process.stderr.write(`\r${line}   ${p.done === p.total ? '\n' : ''}`);
    } else if (p.done === p.total || now - lastLine > 10_000) {
      // Logs get a line every 10 s rather than a stream of carriage returns.
      lastLine = now;
      process.stderr.write(line + '\n');
    }
  };
}

function manifestEntry(name: string, info: LoadedModelInfo): ModelManifestEntry {
  return {
    id: name,
    source: info.ref.source,
    filesHash: info.fingerprint.filesHash,
    dtype: info.fingerprint.dtype,
    device: info.device,
  };
}

const fmt = (v: number | null | undefined, digits = 3) =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits);

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      bench: { type: 'string' },
      policy: { type: 'string', multiple: true },
      scorer: { type: 'string' },
      reasoning: { type: 'string' },
      template: { type: 'string' },
      pairs: { type: 'string' },
      seed: { type: 'string' },
      limit: { type: 'string' },
      bootstrap: { type: 'string' },
      estimator: { type: 'string' },
      out: { type: 'string' },
      cache: { type: 'string' },
    },
  });
  const benchFile = values.bench ?? DEMO_BENCHMARK_FILE;
  const benchText = await readFile(benchFile, 'utf8');
  const validation = validateBenchmarkText(benchText);
  if (!validation.ok) {
    console.error(`${benchFile} is not a valid benchmark:`);
    for (const e of validation.errors.slice(0, 20)) console.error(`  ${formatIssue(e)}`);
    return 1;
  }
  const policies = values.policy ?? DEFAULT_POLICIES;
  const scorer = values.scorer ?? DEFAULT_SCORER;
  const reasoning = values.reasoning ?? 'none';
  if (reasoning !== 'none' && reasoning !== 'file')
    throw new Error('--reasoning must be none or file (generate is not available yet)');
  const template = values.template ?? (scorer.startsWith('hub:') ? 'est-v1' : 'rp-v1');
  if (template !== 'rp-v1' && template !== 'est-v1') throw new Error('--template must be rp-v1 or est-v1');
  const estimatorKind = values.estimator ?? 'reference';
  if (estimatorKind !== 'reference' && estimatorKind !== 'mixture')
    throw new Error('--estimator must be reference or mixture');
  const settings: EvaluationSettings = {
    estimatorKind,
    maxPairs: wholeNumber(values.pairs, 'pairs', 1000),
    seed: wholeNumber(values.seed, 'seed', 42),
    bootstrapReplicates: wholeNumber(values.bootstrap, 'bootstrap', 1000),
    reasoning,
    estimatorTemplate: template,
    ...(values.limit ? { limitPerCategory: wholeNumber(values.limit, 'limit', 0) } : {}),
  };
  const store = await openDiskStore(path.resolve(values.cache ?? '.cache/evaluate'));
  const service = createNodeModelService();
  const infos = new Map<string, LoadedModelInfo>();
  const counters = { hits: 0, computed: 0 };
  const load = (name: string, templateVersion: string) => async () => {
    const { model, info } = await loadEvaluationModel(service, refOf(name), { device: 'cpu' });
    infos.set(name, info);
    return cachedModel(model, info.fingerprint, store, templateVersion, counters);
  };
  const started = performance.now();
  const output = await runEvaluation(
    {
      benchmark: validation.benchmark,
      policies: policies.map((p) => ({ id: p, load: load(p, ROLE_PLAY_TEMPLATE_VERSION) })),
      estimator: {
        id: scorer,
        load: load(scorer, template === 'rp-v1' ? ROLE_PLAY_TEMPLATE_VERSION : ESTIMATOR_TEMPLATE_VERSION),
      },
      settings,
    },
    { onProgress: progressPrinter() },
  );
  await service.dispose();
  const seconds = (performance.now() - started) / 1000;

  const appVersion = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')).version as string;
  const manifest: ResultsManifest = {
    formatVersion: 1,
    appVersion,
    createdAt: new Date().toISOString(),
    benchmark: {
      ...(validation.benchmark.meta.name ? { name: validation.benchmark.meta.name } : {}),
      sha256: await sha256Hex(benchText),
      samples: validation.benchmark.samples.length,
    },
    policies: policies.map((p) => manifestEntry(p, infos.get(p)!)),
    estimator: manifestEntry(scorer, infos.get(scorer)!),
    settings,
    templates: {
      policy: ROLE_PLAY_TEMPLATE_VERSION,
      estimator: template === 'rp-v1' ? ROLE_PLAY_TEMPLATE_VERSION : ESTIMATOR_TEMPLATE_VERSION,
    },
    counts: output.counts,
    timings: { totalSeconds: Math.round(seconds * 10) / 10, cacheHits: counters.hits, computed: counters.computed },
  };
  const out = path.resolve(values.out ?? 'results.json');
  await writeFile(out, JSON.stringify(resultsFile(manifest, output), null, 1) + '\n');
  await writeFile(out.replace(/\.json$/, '') + '.csv', rowsToCsv(output.rows) + '\n');

  console.log(`\nR-EMID (nats/token; positive = information lost under the shift), estimator ${scorer}, ${template}`);
  console.log(
    'policy'.padEnd(22) + 'category'.padEnd(22) + 'shift'.padEnd(10) + '   n   MI(ŷ)   MI(y*)    EMI   R-EMID  95% CI',
  );
  for (const r of output.rows) {
    const ci = r.remidCi ? `[${fmt(r.remidCi[0])}, ${fmt(r.remidCi[1])}]` : '';
    console.log(
      `${r.policy.padEnd(22)}${r.category.padEnd(22)}${r.shift.padEnd(10)}${String(r.n).padStart(4)} ${fmt(r.miModel).padStart(7)} ${fmt(r.miGold).padStart(7)} ${fmt(r.emi).padStart(7)} ${fmt(r.remid).padStart(7)}  ${ci}`,
    );
  }
  console.log('\nper shift family (sample-weighted)');
  for (const f of output.families) {
    console.log(
      `${f.policy.padEnd(22)}${f.family.padEnd(12)}${String(f.n).padStart(5)} ${fmt(f.remid).padStart(7)}  [${fmt(f.remidCi[0])}, ${fmt(f.remidCi[1])}]`,
    );
  }
  const c = output.counts;
  console.log(
    `\n${seconds.toFixed(0)} s; ${counters.computed} scores and generations computed, ${counters.hits} from the cache; ` +
      `truncated: ${c.truncatedPrompts} prompts, ${c.truncatedContexts} estimator contexts; ${c.emptyResponses} empty responses; ` +
      `${c.unscorablePairs} pairs too long to score`,
  );
  console.log(`wrote ${out} and ${out.replace(/\.json$/, '')}.csv`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`\nevaluate: ${(error as Error).message}`);
    process.exit(1);
  },
);
