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
 * scorer) write r from x alone (template th-v1). With --scorer rolescope-corl-estimator, reasoning
 * defaults to generate and the thought model to rolescope-corl-thought, the pair CoRL trained. Reasoning needs the est-v1 template, which is
 * then the default; the default otherwise is rp-v1 for bundled scorers and est-v1 for Hub ones.
 * The upper bound (docs/method.md section 4) is computed with --encoder (default the bundled
 * multilingual model's input embeddings); --h-hat replaces the estimate of Ĥ; --no-bound skips it.
 * --responses id=file.json adds a policy whose responses were written elsewhere: a JSON object of
 * sample_ID → response (or a list / JSON Lines of {sample_ID, response}) answering every sample
 * the run uses (with --limit, the first N of each category); without --policy, only the imported
 * policies run. A bad file is refused with the path of each problem, before any model loads.
 * What it prints is in lib/evaluate-report.ts.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  checkEvaluationSettings,
  decodeUtf8,
  encoderName,
  encoderRef,
  formatIssue,
  parseResponsesText,
  rowsToCsv,
  selectedSamples,
  sha256Hex,
  validateBenchmarkText,
  type Benchmark,
  type EvaluationSettings,
  type MiEstimatorKind,
  type ReasoningMode,
  type ResultsFile,
} from '../src/core/index.js';
import type { EvaluationJob } from '../src/protocol/evaluation-service.js';
import type { EncoderRef } from '../src/protocol/model-service.js';
import { modelRef } from '../workers/evaluation/evaluation-model.js';
import { createEvaluationService } from '../workers/evaluation/service.js';
import { openDiskStore } from '../node/disk-store.js';
import { createNodeModelService } from '../node/model-host.js';
import { DEMO_BENCHMARK_FILE } from './lib/demo-benchmark.js';
import { printReport, progressPrinter } from './lib/evaluate-report.js';

const DEFAULT_POLICIES = ['rolescope-tiny-en', 'rolescope-tiny-multi'];
const DEFAULT_SCORER = 'rolescope-tiny-multi';
const DEFAULT_ENCODER = 'input-embeddings:rolescope-tiny-multi';
const CORL_ESTIMATOR = 'rolescope-corl-estimator';
const CORL_THOUGHT = 'rolescope-corl-thought';

/** `input-embeddings:<bundled model>` or `hub:<owner/name>`. */
function encoderOption(name: string): EncoderRef {
  const ref = encoderRef(name);
  if (!ref) throw new Error(`--encoder must be input-embeddings:<bundled model> or hub:<owner/name>, got "${name}"`);
  return ref;
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

/** The value if it is one of `allowed`, else an error naming the option and the choices. */
function oneOf<T extends string>(value: string, name: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value))
    throw new Error(`--${name} must be one of ${allowed.join(', ')}`);
  return value as T;
}

/** The command line's options (see the usage above). */
function parseCommandLine(argv: string[]) {
  return parseArgs({
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
  }).values;
}

type Options = ReturnType<typeof parseCommandLine>;
type ImportedPolicy = { id: string; responses: Record<string, string> };

/** The benchmark and its file's text, or null (its problems printed) when it is not a valid benchmark. */
async function readBenchmark(benchFile: string): Promise<{ benchmark: Benchmark; text: string } | null> {
  const text = await readText(benchFile);
  const validation = validateBenchmarkText(text);
  if (!validation.ok) {
    console.error(`${benchFile} is not a valid benchmark:`);
    for (const e of validation.errors.slice(0, 20)) console.error(`  ${formatIssue(e)}`);
    return null;
  }
  return { benchmark: validation.benchmark, text };
}

/**
 * The policies of each --responses id=file.json, answering exactly the samples the run uses
 * (checked before any model loads), or null (the problems printed) when a file does not.
 */
async function readImportedResponses(
  specs: readonly string[],
  benchmark: Benchmark,
  limit: number | undefined,
): Promise<ImportedPolicy[] | null> {
  const selectedIds = selectedSamples(benchmark, limit).map((s) => s.id);
  const importedPolicies: ImportedPolicy[] = [];
  for (const spec of specs) {
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
      return null;
    }
    // Only the responses the run uses: they alone determine the numbers and the manifest's hash.
    importedPolicies.push({ id, responses: Object.fromEntries(selectedIds.map((s) => [s, parsed.responses[s]!])) });
  }
  return importedPolicies;
}

/** The scorer, thought model, encoder and settings the options ask for; throws on a malformed value. */
function runPlan(values: Options, limit: number | undefined) {
  const scorer = values.scorer ?? DEFAULT_SCORER;
  // The CoRL estimator was trained to score after its thought policy's r: that is its default.
  const corl = scorer === CORL_ESTIMATOR;
  const reasoning = oneOf<ReasoningMode>(values.reasoning ?? (corl ? 'generate' : 'none'), 'reasoning', [
    'none',
    'file',
    'generate',
  ]);
  const thought = reasoning === 'generate' ? (values.thought ?? (corl ? CORL_THOUGHT : scorer)) : undefined;
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
  const encoder = values['no-bound'] ? undefined : encoderOption(values.encoder ?? DEFAULT_ENCODER);
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
  return { scorer, reasoning, thought, template, estimatorKind, encoder, settings };
}

/** Runs the job with the app's evaluation service, over Node's model service and a disk cache. */
async function evaluate(values: Options, job: EvaluationJob): Promise<ResultsFile> {
  const service = createEvaluationService({
    models: createNodeModelService({ modelFoldersDir: path.resolve(values['model-folders'] ?? '.') }),
    openStore: () => openDiskStore(path.resolve(values.cache ?? '.cache/evaluate')),
    appVersion: JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')).version as string,
  });
  return service.run(job, progressPrinter());
}

/** Writes the results file and its rows as CSV beside it; returns the results file's path. */
async function writeResults(outOption: string | undefined, results: ResultsFile): Promise<string> {
  const out = path.resolve(outOption ?? 'results.json');
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify(results, null, 1) + '\n');
  await writeFile(out.replace(/\.json$/, '') + '.csv', rowsToCsv(results.rows) + '\n');
  return out;
}

async function main(argv: string[]): Promise<number> {
  const values = parseCommandLine(argv);
  const benchFile = values.bench ?? DEMO_BENCHMARK_FILE;
  const bench = await readBenchmark(benchFile);
  if (!bench) return 1;
  const { benchmark } = bench;
  const limit = values.limit ? wholeNumber(values.limit, 'limit', 0) : undefined;
  const importedPolicies = await readImportedResponses(values.responses ?? [], benchmark, limit);
  if (!importedPolicies) return 1;
  const policies = values.policy ?? (importedPolicies.length > 0 ? [] : DEFAULT_POLICIES);
  const plan = runPlan(values, limit);
  const { scorer, thought, encoder, settings } = plan;
  const badSettings = checkEvaluationSettings(settings);
  if (badSettings.length > 0) {
    for (const e of badSettings) console.error(`${SETTING_FLAGS[e.path] ?? e.path}: ${e.message}`);
    return 1;
  }
  const results = await evaluate(values, {
    benchmark,
    benchmarkSource: { name: path.basename(benchFile), sha256: await sha256Hex(bench.text) },
    policies: policies.map(modelRef),
    ...(importedPolicies.length > 0 ? { importedPolicies } : {}),
    estimator: modelRef(scorer),
    ...(thought ? { thought: modelRef(thought) } : {}),
    ...(encoder ? { encoder } : {}),
    settings,
    device: 'cpu',
  });
  const out = await writeResults(values.out, results);
  printReport(results, { ...plan, bound: encoder !== undefined });
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
