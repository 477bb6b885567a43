/**
 * The main thread's handle on the evaluation worker (see WorkerHandle). Cancelling a run
 * terminates the worker; what it had computed is already in IndexedDB, so running the same job
 * again resumes where it stopped.
 */
import * as Comlink from 'comlink';
import type { ResultsFile } from '../../core/index.js';
import type { EvaluationJob, EvaluationService, ProgressListener } from '../../protocol/evaluation-service.js';
import { WorkerHandle } from './worker-handle.js';

/** The evaluation worker could not start or crashed (e.g. out of memory). */
export class EvaluationWorkerError extends Error {
  override readonly name = 'EvaluationWorkerError';
}

export class EvaluationClient {
  readonly #worker: WorkerHandle<EvaluationService>;

  constructor(createWorker: () => Worker) {
    this.#worker = new WorkerHandle(
      createWorker,
      (message) => new EvaluationWorkerError(`the evaluation worker stopped: ${message}`),
    );
  }

  /** Runs a job; `job` must be plain data (no Svelte proxies). An abort stops the worker. */
  run(job: EvaluationJob, onProgress?: ProgressListener, signal?: AbortSignal): Promise<ResultsFile> {
    return this.#worker.call((remote) => remote.run(job, onProgress ? Comlink.proxy(onProgress) : undefined), signal);
  }

  terminate(): void {
    this.#worker.terminate();
  }
}
