/**
 * The main thread's handle on the analysis worker (see WorkerHandle). A newer comparison makes an
 * older one moot: the caller aborts it, which stops the worker, and the next call starts a fresh one.
 */
import type { PolicyComparison, ResultsFile } from '../../core/index.js';
import type { AnalysisService } from '../../protocol/analysis-service.js';
import { WorkerHandle } from './worker-handle.js';

export class AnalysisWorkerError extends Error {
  override readonly name = 'AnalysisWorkerError';
}

export class AnalysisClient {
  readonly #worker: WorkerHandle<AnalysisService>;

  constructor(createWorker: () => Worker) {
    this.#worker = new WorkerHandle(
      createWorker,
      (message) => new AnalysisWorkerError(`the analysis worker stopped: ${message}`),
    );
  }

  /** `results` must be plain data (no Svelte proxies). */
  compare(results: ResultsFile, a: string, b: string, signal?: AbortSignal): Promise<PolicyComparison> {
    return this.#worker.call((remote) => remote.compare(results, a, b), signal);
  }
}
