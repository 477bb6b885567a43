/**
 * The evaluation worker's contract. Types only: the worker runs the whole R-EMID pipeline (the
 * models, the core's runEvaluation and the IndexedDB store of scores and generations) off the
 * page's thread, and the page talks to it through `EvaluationClient`.
 */
import type { Benchmark } from '../core/benchmark/format.js';
import type { EvaluationProgress, EvaluationSettings, ResultRow } from '../core/pipeline/types.js';
import type { ResultsFile } from '../core/pipeline/results.js';
import type { DeviceName, DType, EncoderRef, ModelRef } from './model-service.js';

/** Everything a run needs; plain data, so it can be saved and run again after a reload. */
export interface EvaluationJob {
  readonly benchmark: Benchmark;
  /**
   * What the run manifest calls the benchmark: its file name and the SHA-256 of its text (null
   * when there is no file text: the SHA-256 of the benchmark's canonical JSON is recorded then).
   */
  readonly benchmarkSource: { readonly name: string; readonly sha256: string | null };
  readonly policies: readonly ModelRef[];
  /**
   * Policies whose responses were imported (sample ID → response), for models that cannot run
   * here; scored after the model policies. Their ids must differ from the model policies' names
   * and from "gold".
   */
  readonly importedPolicies?: readonly {
    readonly id: string;
    readonly responses: Readonly<Record<string, string>>;
  }[];
  readonly estimator: ModelRef;
  /** The model that writes the reasoning r, with `settings.reasoning === 'generate'`. */
  readonly thought?: ModelRef;
  /** The text encoder of the bound (with `settings.bound`). */
  readonly encoder?: EncoderRef;
  readonly settings: EvaluationSettings;
  readonly device: DeviceName | 'auto';
  /** Precision per model name (e.g. the one a Hub model was downloaded in); others load their default. */
  readonly dtypes?: Readonly<Record<string, DType>>;
}

/** A stage of a run: loading a model, one of the pipeline's stages, or the statistics at the end. */
export type RunStage = 'load' | EvaluationProgress['stage'] | 'analyse';

export interface RunProgress {
  readonly stage: RunStage;
  /** What is being worked on, e.g. "rolescope-tiny-en" or a category tag. */
  readonly subject: string;
  readonly done: number;
  readonly total: number;
  /** Tokens the models ran since the run started (forward tokens scored plus tokens generated). */
  readonly tokensComputed: number;
  /** Scores and generations served from the cache since the run started. */
  readonly cacheHits: number;
  /** Set once the run's cache could not be written: what it computed is kept in memory instead. */
  readonly storage?: StorageProblem;
  /**
   * The rows of a category just scored, one per policy: MI, EMI and R-EMID without intervals
   * (those come with the results), so the panel shows results while the run goes on.
   */
  readonly rows?: readonly ResultRow[];
}

/**
 * Why the browser is not keeping what a run computes: IndexedDB cannot be used at all (private
 * browsing, site data blocked), a newer Rolescope in another tab has upgraded the database past
 * this page's version (VersionError), or the origin's storage is full (QuotaExceededError).
 */
export type StorageProblem = 'unavailable' | 'outdated' | 'full';

export type ProgressListener = (progress: RunProgress) => void;

export interface EvaluationService {
  /**
   * Runs the pipeline and returns the results file. Every score and generation is stored as it
   * is computed, so a run stopped by terminating the worker resumes from where it was when the
   * same job is run again.
   * @throws the model service's named errors (ModelNotFoundError, ModelLoadError, ...), and
   *         RangeError for settings the pipeline refuses.
   */
  run(job: EvaluationJob, onProgress?: ProgressListener): Promise<ResultsFile>;
}

/**
 * What the list of saved runs shows of a run. Kept apart from the run's job and results, which
 * can weigh megabytes, so that listing runs (at start-up) reads none of them.
 */
export interface RunSummary {
  readonly id: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly status: SavedRun['status'];
  /** Policies and benchmark, or the imported file's name. */
  readonly label: string;
  /** False for imported results, which have no job to run again. */
  readonly rerunnable: boolean;
}

/** A saved run as the runs store keeps it. `running` after a reload means it was interrupted. */
export interface SavedRun {
  readonly id: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly status: 'running' | 'done' | 'failed' | 'cancelled';
  /** What was run; absent for a results file imported from elsewhere (which cannot be rerun). */
  readonly job?: EvaluationJob;
  /** The file name of an imported results file. */
  readonly importedFrom?: string;
  readonly results?: ResultsFile;
  /** Why it failed, in words. */
  readonly error?: string;
}
