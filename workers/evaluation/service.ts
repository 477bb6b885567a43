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
  cachedEncoder,
  cachedModel,
  hashValue,
  estimatorTemplateVersion,
  resultsFile,
  runEvaluation,
  type EvaluationProgress,
  type EvaluationStore,
  type ModelManifestEntry,
  type TextEncoder,
  type PolicySpec,
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
import type { EncoderRef, LoadedModelInfo, ModelRef, ModelService } from '../../src/protocol/model-service.js';
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

/** Texts per embed call. */
const EMBED_CHUNK = 64;

/** How results name an encoder: `input-embeddings:<bundled model>` or `hub:<id>`. */
export const encoderName = (ref: EncoderRef): string =>
  ref.kind === 'input-embeddings' ? `input-embeddings:${ref.model}` : `hub:${ref.id}`;

export function createEvaluationService(config: EvaluationServiceConfig): EvaluationService {
  return {
    async run(job: EvaluationJob, onProgress?: ProgressListener): Promise<ResultsFile> {
      checkImportedIds(job);
      const imported = job.importedPolicies ?? [];
      const store = await config.openStore();
      const counters = { hits: 0, computed: 0 };
      let tokensComputed = 0;
      const sent: { last?: RunProgress } = {};
      const emit = (stage: RunStage, subject: string, done: number, total: number) => {
        sent.last = {
          stage,
          subject,
          done,
          total,
          tokensComputed,
          cacheHits: counters.hits,
          ...(store.problem ? { storage: store.problem } : {}),
        };
        onProgress?.(sent.last);
      };
      const infos = new Map<string, LoadedModelInfo>();
      const load = (ref: ModelRef, templateVersion: string) => async () => {
        const name = modelName(ref);
        emit('load', name, 0, 1);
        const dtype = job.dtypes?.[name];
        const info = await config.models.load(ref, { device: job.device, ...(dtype ? { dtype } : {}) });
        infos.set(name, info);
        emit('load', name, 1, 1);
        const model = evaluationModel(config.models, ref, (tokens) => (tokensComputed += tokens));
        return cachedModel(model, info.fingerprint, store, templateVersion, counters);
      };

      let encoderEntry: ModelManifestEntry | undefined;
      const encoder = job.encoder;
      /** The bound's text encoder, loaded on first use (only when the job has one). */
      const loadEncoder = (ref: EncoderRef) => async (): Promise<TextEncoder> => {
        const rawEncoder: TextEncoder = {
          id: encoderName(ref),
          async embed(texts) {
            const rows: Float32Array[] = [];
            // Chunks keep a Hub encoder's activations small; the bundled one does not mind either way.
            for (let at = 0; at < texts.length; at += EMBED_CHUNK) {
              const chunk = await config.models.embed(ref, texts.slice(at, at + EMBED_CHUNK));
              for (let r = 0; r * chunk.dims < chunk.vectors.length; r++)
                rows.push(chunk.vectors.slice(r * chunk.dims, (r + 1) * chunk.dims));
            }
            return rows;
          },
        };
        // One probe text loads the encoder and names its fingerprint, which keys the cached vectors.
        const { fingerprint } = await config.models.embed(ref, ['(probe)']);
        encoderEntry = {
          id: encoderName(ref),
          source: ref.kind === 'hub' ? 'hub' : 'bundled',
          filesHash: fingerprint.filesHash,
          dtype: fingerprint.dtype,
          device: fingerprint.deviceClass,
        };
        return cachedEncoder(rawEncoder, fingerprint, store, counters);
      };
      if (job.settings.bound && !encoder) throw new RangeError('the bound needs an encoder (job.encoder)');

      const started = performance.now();
      const policies: PolicySpec[] = [
        ...job.policies.map((ref) => ({ id: modelName(ref), load: load(ref, ROLE_PLAY_TEMPLATE_VERSION) })),
        // On no prototype, so that a sample ID such as "constructor" is only ever an own key.
        ...imported.map((p) => ({
          id: p.id,
          responses: Object.assign(Object.create(null) as Record<string, string>, p.responses),
        })),
      ];
      const output = await runEvaluation(
        {
          benchmark: job.benchmark,
          policies,
          estimator: {
            id: modelName(job.estimator),
            load: load(job.estimator, estimatorTemplateVersion(job.settings)),
          },
          ...(job.thought
            ? { thought: { id: modelName(job.thought), load: load(job.thought, THOUGHT_TEMPLATE_VERSION) } }
            : {}),
          ...(encoder ? { encoder: { id: encoderName(encoder), load: loadEncoder(encoder) } } : {}),
          settings: job.settings,
        },
        {
          onProgress: (p) => emit(p.stage, subjectOf(p), p.done, p.total),
          onRows: (rows) => sent.last && onProgress?.({ ...sent.last, rows }),
        },
      );
      await config.models.dispose();
      // A write that failed after the last progress event is told now, with that event again.
      if (sent.last && store.problem && sent.last.storage !== store.problem) {
        onProgress?.({ ...sent.last, storage: store.problem });
      }
      const seconds = (performance.now() - started) / 1000;
      const entry = (ref: ModelRef) => manifestEntry(modelName(ref), infos.get(modelName(ref))!);
      const manifest = buildManifest({
        appVersion: config.appVersion,
        benchmark: {
          name: job.benchmarkSource.name,
          sha256: job.benchmarkSource.sha256 ?? (await hashValue(job.benchmark)),
          samples: job.benchmark.samples.length,
        },
        policies: [
          ...job.policies.map(entry),
          ...(await Promise.all(
            imported.map(async (p) => ({
              id: p.id,
              source: 'imported' as const,
              sha256: await hashValue(p.responses),
            })),
          )),
        ],
        estimator: entry(job.estimator),
        ...(job.thought ? { thought: entry(job.thought) } : {}),
        ...(encoderEntry ? { encoder: encoderEntry } : {}),
        settings: job.settings,
        counts: output.counts,
        timings: {
          totalSeconds: Math.round(seconds * 10) / 10,
          cacheHits: counters.hits,
          computed: counters.computed,
          tokensComputed,
        },
      });
      return resultsFile(manifest, output);
    },
  };
}
