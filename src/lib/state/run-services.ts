/**
 * What the run panel's state needs from the evaluation worker's client and from the store of
 * saved runs: only the methods it calls, so that unit tests can hand it fakes. Types only.
 */
import type { ResultsFile } from '../../core/index.js';
import type { EvaluationJob, RunProgress, RunSummary, SavedRun } from '../../protocol/evaluation-service.js';

/**
 * The parts of EvaluationClient this state uses (a fake in unit tests): it runs a job in the
 * evaluation worker.
 */
export interface RunRunner {
  run(job: EvaluationJob, onProgress?: (p: RunProgress) => void, signal?: AbortSignal): Promise<ResultsFile>;
  /** Stops the worker; the next run starts a fresh one. */
  terminate?(): void;
}

/**
 * The parts of IdbRunStore this state uses (a fake in unit tests). A method that fails means the
 * browser is not storing anything (full, or IndexedDB unavailable): the run goes on in memory.
 */
export interface RunRecords {
  /** Summaries only: listing runs must not read their results. */
  list(): Promise<RunSummary[]>;
  get(id: string): Promise<SavedRun | undefined>;
  put(run: SavedRun): Promise<void>;
  delete(id: string): Promise<void>;
}
