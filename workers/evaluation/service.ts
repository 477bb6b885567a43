/**
 * The evaluation service: the core's R-EMID pipeline over the model service, with every score and
 * generation kept in a store (IndexedDB in the browser), so that a run stopped by terminating its
 * worker resumes from the store when it is run again. A plain object, testable without a worker.
 */
import {
  GOLD,
  ROLE_PLAY_TEMPLATE_VERSION,
  THOUGHT_TEMPLATE_VERSION,
  buildManifest,
  cachedModel,
  encoderName,
  hashValue,
  estimatorTemplateVersion,
  resultsFile,
  runEvaluation,
  type CacheCounters,
  type EvaluationModel,
  type EvaluationOutput,
  type EvaluationProgress,
  type EvaluationRequest,
  type EvaluationStore,
  type ModelManifestEntry,
  type PolicySpec,
  type ResultRow,
  type ResultsFile,
} from '../../src/core/index.js';
import type {
  EvaluationJob,
  EvaluationService,
  ProgressListener,
  RunProgress,
  RunStage,
  StorageProblem,
} from '../../src/protocol/evaluation-service.js';
import type { LoadedModelInfo, ModelRef, ModelService } from '../../src/protocol/model-service.js';
import { encoderLoader, type EncoderLoader } from './encoder-loader.js';
import { evaluationModel, manifestEntry, modelName } from './evaluation-model.js';

export interface EvaluationServiceConfig {
  readonly models: ModelService;
  /**
   * The run's store. One with a `problem` (the browser's FallbackEvaluationStore) kept some of
   * what the run computed in memory only; progress events carry it as `storage`.
   */
  readonly openStore: () => Promise<EvaluationStore & { readonly problem?: StorageProblem | null }>;
  readonly appVersion: string;
}

type RunStore = Awaited<ReturnType<EvaluationServiceConfig['openStore']>>;

/** Loads a model for the pipeline, behind the run's store, keyed by the prompt template it is used with. */
type ModelLoader = (ref: ModelRef, templateVersion: string) => () => Promise<EvaluationModel>;

/** What a pipeline progress event is about: the policy generating, or the category scored. */
const subjectOf = (p: EvaluationProgress): string =>
  'policy' in p ? p.policy : 'category' in p ? (p as { category: string }).category : '';

/** Refuses imported policy ids that are empty, repeated, "gold" or a model policy's name. */
function checkImportedIds(job: EvaluationJob): void {
  const taken = new Set(job.policies.map(modelName));
  for (const { id } of job.importedPolicies ?? []) {
    if (id.trim() === '') throw new RangeError('an imported policy needs a non-empty id');
    if (id === GOLD)
      throw new RangeError(`"${GOLD}" names the golden responses; pick another id for imported responses`);
    if (taken.has(id)) {
      throw new RangeError(
        `the imported policy id "${id}" is already ${job.policies.some((r) => modelName(r) === id) ? "a model policy's name" : 'taken by another imported policy'}; pick another`,
      );
    }
    taken.add(id);
  }
}

/**
 * A run's tallies (cache hits and computed outputs, model tokens) and its progress events, each
 * carrying the tallies so far and the store's problem, if any.
 */
function progressReporter(store: RunStore, onProgress?: ProgressListener) {
  const counters: CacheCounters = { hits: 0, computed: 0 };
  let tokensComputed = 0;
  let last: RunProgress | undefined;
  return {
    counters,
    tokensComputed: () => tokensComputed,
    addTokens: (tokens: number) => (tokensComputed += tokens),
    emit(stage: RunStage, subject: string, done: number, total: number): void {
      last = {
        stage,
        subject,
        done,
        total,
        tokensComputed,
        cacheHits: counters.hits,
        ...(store.problem ? { storage: store.problem } : {}),
      };
      onProgress?.(last);
    },
    /** The rows of a category just scored, with the last event's numbers. */
    rows(rows: readonly ResultRow[]): void {
      if (last) onProgress?.({ ...last, rows });
    },
    /** A write that failed after the last progress event is told now, with that event again. */
    tellLateStorageProblem(): void {
      if (last && store.problem && last.storage !== store.problem) onProgress?.({ ...last, storage: store.problem });
    },
  };
}

type Reporter = ReturnType<typeof progressReporter>;

/** Loads models through the model service (each load reported, its info kept in `infos`), cached in `store`. */
function modelLoader(
  config: EvaluationServiceConfig,
  job: EvaluationJob,
  store: RunStore,
  reporter: Reporter,
  infos: Map<string, LoadedModelInfo>,
): ModelLoader {
  return (ref, templateVersion) => async () => {
    const name = modelName(ref);
    reporter.emit('load', name, 0, 1);
    const dtype = job.dtypes?.[name];
    const info = await config.models.load(ref, { device: job.device, ...(dtype ? { dtype } : {}) });
    infos.set(name, info);
    reporter.emit('load', name, 1, 1);
    const model = evaluationModel(config.models, ref, (tokens) => reporter.addTokens(tokens));
    return cachedModel(model, info.fingerprint, store, templateVersion, reporter.counters);
  };
}

/** The pipeline's request for the job: model policies first, then imported ones. */
function evaluationRequest(job: EvaluationJob, load: ModelLoader, encoder?: EncoderLoader): EvaluationRequest {
  const policies: PolicySpec[] = [
    ...job.policies.map((ref) => ({ id: modelName(ref), load: load(ref, ROLE_PLAY_TEMPLATE_VERSION) })),
    // On no prototype, so that a sample ID such as "constructor" is only ever an own key.
    ...(job.importedPolicies ?? []).map((p) => ({
      id: p.id,
      responses: Object.assign(Object.create(null) as Record<string, string>, p.responses),
    })),
  ];
  return {
    benchmark: job.benchmark,
    policies,
    estimator: {
      id: modelName(job.estimator),
      load: load(job.estimator, estimatorTemplateVersion(job.settings)),
    },
    ...(job.thought
      ? { thought: { id: modelName(job.thought), load: load(job.thought, THOUGHT_TEMPLATE_VERSION) } }
      : {}),
    ...(job.encoder && encoder ? { encoder: { id: encoderName(job.encoder), load: encoder.load } } : {}),
    settings: job.settings,
  };
}

/** What the run's manifest records: its inputs (models by files hash, imported responses by hash), counts and timings. */
async function runManifest(
  config: EvaluationServiceConfig,
  job: EvaluationJob,
  output: EvaluationOutput,
  run: {
    infos: ReadonlyMap<string, LoadedModelInfo>;
    encoderEntry: ModelManifestEntry | undefined;
    reporter: Reporter;
    seconds: number;
  },
) {
  const entry = (ref: ModelRef) => manifestEntry(modelName(ref), run.infos.get(modelName(ref))!);
  return buildManifest({
    appVersion: config.appVersion,
    benchmark: {
      name: job.benchmarkSource.name,
      sha256: job.benchmarkSource.sha256 ?? (await hashValue(job.benchmark)),
      samples: job.benchmark.samples.length,
    },
    policies: [
      ...job.policies.map(entry),
      ...(await Promise.all(
        (job.importedPolicies ?? []).map(async (p) => ({
          id: p.id,
          source: 'imported' as const,
          sha256: await hashValue(p.responses),
        })),
      )),
    ],
    estimator: entry(job.estimator),
    ...(job.thought ? { thought: entry(job.thought) } : {}),
    ...(run.encoderEntry ? { encoder: run.encoderEntry } : {}),
    settings: job.settings,
    counts: output.counts,
    timings: {
      totalSeconds: Math.round(run.seconds * 10) / 10,
      cacheHits: run.reporter.counters.hits,
      computed: run.reporter.counters.computed,
      tokensComputed: run.reporter.tokensComputed(),
    },
  });
}

/** Runs one job: the pipeline over cached models, then the manifest of what it computed. */
async function runJob(
  config: EvaluationServiceConfig,
  job: EvaluationJob,
  onProgress?: ProgressListener,
): Promise<ResultsFile> {
  checkImportedIds(job);
  const store = await config.openStore();
  const reporter = progressReporter(store, onProgress);
  const infos = new Map<string, LoadedModelInfo>();
  const load = modelLoader(config, job, store, reporter, infos);
  /** The bound's text encoder, loaded on first use (only when the job has one). */
  const encoder = job.encoder ? encoderLoader(config.models, job.encoder, store, reporter.counters) : undefined;
  if (job.settings.bound && !job.encoder) throw new RangeError('the bound needs an encoder (job.encoder)');

  const started = performance.now();
  const output = await runEvaluation(evaluationRequest(job, load, encoder), {
    onProgress: (p) => reporter.emit(p.stage, subjectOf(p), p.done, p.total),
    onRows: (rows) => reporter.rows(rows),
  });
  await config.models.dispose();
  reporter.tellLateStorageProblem();
  const seconds = (performance.now() - started) / 1000;
  const manifest = await runManifest(config, job, output, {
    infos,
    encoderEntry: encoder?.entry(),
    reporter,
    seconds,
  });
  return resultsFile(manifest, output);
}

export function createEvaluationService(config: EvaluationServiceConfig): EvaluationService {
  return {
    run: (job, onProgress) => runJob(config, job, onProgress),
  };
}
