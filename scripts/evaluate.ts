/**
 * npm run evaluate -- [--bench file] [--policy model ...] [--scorer model]
 *                     [--reasoning none|file|generate] [--thought model]
 *                     [--template rp-v1|est-v1] [--estimator reference|mixture|null-prompt]
 *                     [--pairs 1000] [--seed 42] [--limit N] [--bootstrap 1000]
 *                     [--out results.json] [--cache dir] [--responses id=file.json ...]
 *                     [--encoder input-embeddings:<bundled model>|hub:<id> | --no-bound] [--h-hat nats]
 *                     [--model-folders dir]
 * R-EMID per category and shift family for each policy, with the same core and model service as
 * the app. Models are bundled ids (rolescope-tiny-en), Hub ids (hub:onnx-community/...) or model
 * folders (folder:<name>, the folder <name> in the transformers.js layout under --model-folders,
 * default the current directory; the app names folders picked from disk the same way). Every
 * score and generation is cached on disk, so an interrupted run resumes where it stopped.
 * --reasoning file takes r from the benchmark; generate has the --thought model (default: the
 * scorer) write r from x alone (template th-v1). Reasoning needs the est-v1 template, which is
 * then the default; the default otherwise is rp-v1 for bundled scorers and est-v1 for Hub ones.
 * The upper bound (method.md section 4) is computed with --encoder (default the bundled
 * multilingual model's input embeddings); --h-hat replaces the estimate of Ĥ; --no-bound skips it.
 * --responses id=file.json adds a policy whose responses were written elsewhere: a JSON object of
 * sample_ID → response (or a list / JSON Lines of {sample_ID, response}) answering every sample
 * the run uses (with --limit, the first N of each category); without --policy, only the imported
 * policies run. A bad file is refused with the path of each problem, before any model loads.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  checkEvaluationSettings,
  decodeUtf8,
  formatIssue,
  parseResponsesText,
  rowsToCsv,
  selectedSamples,
  sha256Hex,
  validateBenchmarkText,
  type EvaluationSettings,
  type MiEstimatorKind,
  type ReasoningMode,
} from '../src/core/index.js';
import type { ProgressListener } from '../src/protocol/evaluation-service.js';
import type { EncoderRef } from '../src/protocol/model-service.js';
import { modelRef } from '../workers/evaluation/evaluation-model.js';
import { createEvaluationService, encoderName } from '../workers/evaluation/service.js';
import { openDiskStore } from '../node/disk-store.js';
import { createNodeModelService } from '../node/model-host.js';
import { DEMO_BENCHMARK_FILE } from './lib/demo-benchmark.js';

const DEFAULT_POLICIES = ['rolescope-tiny-en', 'rolescope-tiny-multi'];
const DEFAULT_SCORER = 'rolescope-tiny-multi';
const DEFAULT_ENCODER = 'input-embeddings:rolescope-tiny-multi';

/** `input-embeddings:<bundled model>` or `hub:<owner/name>`. */
function encoderRef(name: string): EncoderRef {
  if (name.startsWith('input-embeddings:')) return { kind: 'input-embeddings', model: name.slice(17) };
  if (name.startsWith('hub:')) return { kind: 'hub', id: name.slice(4) };
  throw new Error(`--encoder must be input-embeddings:<bundled model> or hub:<owner/name>, got "${name}"`);
}

function wholeNumber(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new Error(`--${name} expects a whole number, got "${value}"`);
  return Number(value);
}

/** The flag that sets each setting, for messages about it. */
const SETTING_FLAGS: Readonly<Record<string, string>> = {
  estimatorKind: '--estimator',
  maxPairs: '--pairs',
  seed: '--seed',
  bootstrapReplicates: '--bootstrap',
  reasoning: '--reasoning',
  estimatorTemplate: '--template',
  limitPerCategory: '--limit',
  'bound.encoder': '--encoder',
  'bound.hHatOverride': '--h-hat',
};

/** A file's text, decoded strictly: a file in another encoding is refused, not read as U+FFFD. */
async function readText(file: string): Promise<string> {
  const decoded = decodeUtf8(await readFile(file));
  if (!decoded.ok) throw new Error(`${file}: ${decoded.message}`);
  return decoded.text;
}

/** "generate policy-a 120/600 · 3.1/s · ETA 2m35s" on one stderr line. */
function progressPrinter(): ProgressListener {
  let stageStart = performance.now();
  let stageName = '';
  let lastLine = 0;
  return (p) => {
    if (p.stage === 'load') {
      if (p.done === 0) process.stderr.write(`load ${p.subject}\n`);
      return;
    }
    const name = `${p.stage} ${p.subject}`.trim();
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

/** The value if it is one of `allowed`, else an error naming the option and the choices. */
function oneOf<T extends string>(value: string, name: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value))
    throw new Error(`--${name} must be one of ${allowed.join(', ')}`);
  return value as T;
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
      thought: { type: 'string' },
      template: { type: 'string' },
      pairs: { type: 'string' },
      seed: { type: 'string' },
      limit: { type: 'string' },
      bootstrap: { type: 'string' },
      encoder: { type: 'string' },
      'h-hat': { type: 'string' },
      'no-bound': { type: 'boolean' },
      estimator: { type: 'string' },
      out: { type: 'string' },
      cache: { type: 'string' },
      responses: { type: 'string', multiple: true },
      'model-folders': { type: 'string' },
    },
  });
  const benchFile = values.bench ?? DEMO_BENCHMARK_FILE;
  const benchText = await readText(benchFile);
  const validation = validateBenchmarkText(benchText);
  if (!validation.ok) {
    console.error(`${benchFile} is not a valid benchmark:`);
    for (const e of validation.errors.slice(0, 20)) console.error(`  ${formatIssue(e)}`);
    return 1;
  }
  const benchmark = validation.benchmark;
  const limit = values.limit ? wholeNumber(values.limit, 'limit', 0) : undefined;
  // Imported responses answer exactly the samples the run uses: checked before any model loads.
  const selectedIds = selectedSamples(benchmark, limit).map((s) => s.id);
  const importedPolicies: { id: string; responses: Record<string, string> }[] = [];
  for (const spec of values.responses ?? []) {
    const eq = spec.indexOf('=');
    const id = eq > 0 ? spec.slice(0, eq).trim() : '';
    if (id === '' || eq === spec.length - 1) throw new Error(`--responses expects id=file.json, got "${spec}"`);
    const file = spec.slice(eq + 1);
    const parsed = parseResponsesText(await readText(file), selectedIds, {
      knownIds: benchmark.samples.map((s) => s.id),
    });
    if (!parsed.ok) {
      console.error(`${file} does not hold valid responses for ${id}:`);
      for (const e of parsed.errors) console.error(`  ${formatIssue(e)}`);
      return 1;
    }
    // Only the responses the run uses: they alone determine the numbers and the manifest's hash.
    importedPolicies.push({ id, responses: Object.fromEntries(selectedIds.map((s) => [s, parsed.responses[s]!])) });
  }
  const policies = values.policy ?? (importedPolicies.length > 0 ? [] : DEFAULT_POLICIES);
  const scorer = values.scorer ?? DEFAULT_SCORER;
  const reasoning = oneOf<ReasoningMode>(values.reasoning ?? 'none', 'reasoning', ['none', 'file', 'generate']);
  const thought = reasoning === 'generate' ? (values.thought ?? scorer) : undefined;
  if (values.thought !== undefined && thought === undefined) throw new Error('--thought needs --reasoning generate');
  // rp-v1 has no place for r, so reasoning defaults to est-v1 (and refuses an explicit rp-v1).
  const template = oneOf(
    values.template ?? (scorer.startsWith('hub:') || reasoning !== 'none' ? 'est-v1' : 'rp-v1'),
    'template',
    ['rp-v1', 'est-v1'] as const,
  );
  const estimatorKind = oneOf<MiEstimatorKind>(values.estimator ?? 'reference', 'estimator', [
    'reference',
    'mixture',
    'null-prompt',
  ]);
  const encoder = values['no-bound'] ? undefined : encoderRef(values.encoder ?? DEFAULT_ENCODER);
  const hHat = values['h-hat'];
  if (hHat !== undefined && !(Number(hHat) >= 0)) throw new Error(`--h-hat expects nats per token ≥ 0, got "${hHat}"`);
  const settings: EvaluationSettings = {
    estimatorKind,
    maxPairs: wholeNumber(values.pairs, 'pairs', 1000),
    seed: wholeNumber(values.seed, 'seed', 42),
    bootstrapReplicates: wholeNumber(values.bootstrap, 'bootstrap', 1000),
    reasoning,
    estimatorTemplate: template,
    ...(limit !== undefined ? { limitPerCategory: limit } : {}),
    ...(encoder
      ? { bound: { encoder: encoderName(encoder), ...(hHat !== undefined ? { hHatOverride: Number(hHat) } : {}) } }
      : {}),
  };
  const badSettings = checkEvaluationSettings(settings);
  if (badSettings.length > 0) {
    for (const e of badSettings) console.error(`${SETTING_FLAGS[e.path] ?? e.path}: ${e.message}`);
    return 1;
  }
  const service = createEvaluationService({
    models: createNodeModelService({ modelFoldersDir: path.resolve(values['model-folders'] ?? '.') }),
    openStore: () => openDiskStore(path.resolve(values.cache ?? '.cache/evaluate')),
    appVersion: JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')).version as string,
  });
  const results = await service.run(
    {
      benchmark,
      benchmarkSource: { name: path.basename(benchFile), sha256: await sha256Hex(benchText) },
      policies: policies.map(modelRef),
      ...(importedPolicies.length > 0 ? { importedPolicies } : {}),
      estimator: modelRef(scorer),
      ...(thought ? { thought: modelRef(thought) } : {}),
      ...(encoder ? { encoder } : {}),
      settings,
      device: 'cpu',
    },
    progressPrinter(),
  );
  const { rows, families, manifest } = results;
  const out = path.resolve(values.out ?? 'results.json');
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify(results, null, 1) + '\n');
  await writeFile(out.replace(/\.json$/, '') + '.csv', rowsToCsv(rows) + '\n');

  console.log(
    `\nR-EMID (nats/token; positive = information lost under the shift), estimator ${scorer}, ${template}, ` +
      `${estimatorKind} MI, reasoning ${reasoning}${thought ? ` by ${thought}` : ''}`,
  );
  // Hub and folder names are long: the policy column fits the longest.
  const policyWidth = Math.max(22, ...rows.map((r) => r.policy.length + 2));
  console.log(
    'policy'.padEnd(policyWidth) +
      'category'.padEnd(22) +
      'shift'.padEnd(10) +
      '   n   MI(ŷ)   MI(y*)    EMI   R-EMID  95% CI'.padEnd(62) +
      (encoder ? '  bound  (user/char/dial share)' : ''),
  );
  for (const r of rows) {
    const ci = r.remidCi ? `[${fmt(r.remidCi[0])}, ${fmt(r.remidCi[1])}]` : '';
    const b = r.bound;
    const bound = b
      ? `${fmt(b.published).padStart(7)}  ` +
        (b.shares ? `(${fmt(b.shares.user, 2)}/${fmt(b.shares.character, 2)}/${fmt(b.shares.dialogue, 2)})` : '')
      : '';
    console.log(
      `${r.policy.padEnd(policyWidth)}${r.category.padEnd(22)}${r.shift.padEnd(10)}` +
        `${String(r.n).padStart(4)} ${fmt(r.miModel).padStart(7)} ${fmt(r.miGold).padStart(7)} ${fmt(r.emi).padStart(7)} ${fmt(r.remid).padStart(7)}  ${ci}`.padEnd(
          62,
        ) +
        bound,
    );
  }
  const v = results.boundValidation;
  if (v) {
    console.log(
      `
bound (published form; encoder ${manifest.encoder?.id}): held for ${v.n - v.violations.length} of ${v.n} pairs; ` +
        `Pearson r ${fmt(v.pearson)} (p ${fmt(v.pearsonP, 4)}), Spearman ρ ${fmt(v.spearman)} (p ${fmt(v.spearmanP, 4)})`,
    );
  }
  console.log('\nper shift family (sample-weighted)');
  for (const f of families) {
    console.log(
      `${f.policy.padEnd(policyWidth)}${f.family.padEnd(12)}${String(f.n).padStart(5)} ${fmt(f.remid).padStart(7)}  [${fmt(f.remidCi[0])}, ${fmt(f.remidCi[1])}]`,
    );
  }
  const c = manifest.counts;
  const t = manifest.timings;
  console.log(
    `\n${t['totalSeconds']} s; ${t['computed']} scores and generations computed, ${t['cacheHits']} from the cache; ` +
      `truncated: ${c.truncatedPrompts} prompts, ${c.truncatedThoughtPrompts} thought prompts, ` +
      `${c.unanswerablePrompts} too long to answer at all, ` +
      `${c.truncatedContexts} estimator contexts; ${c.emptyResponses} empty responses; ` +
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
