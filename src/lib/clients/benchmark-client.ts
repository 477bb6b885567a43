/**
 * The main thread's handle on the benchmark worker (see WorkerHandle): validation cannot be
 * interrupted inside the worker, so an abort terminates it and the next call starts a fresh one.
 */
import type { Benchmark } from '../../core/benchmark/format.js';
import type {
  BenchmarkService,
  ImportFile,
  ImportOptions,
  ImportOutcome,
  ImportSourceKind,
  FileValidation,
} from '../../protocol/benchmark-service.js';
import { WorkerHandle } from './worker-handle.js';

/** The worker script could not start or crashed; its calls can never finish. */
export class BenchmarkWorkerError extends Error {
  override readonly name = 'BenchmarkWorkerError';
}

export class BenchmarkClient {
  readonly #worker: WorkerHandle<BenchmarkService>;

  constructor(createWorker: () => Worker) {
    this.#worker = new WorkerHandle(
      createWorker,
      (message) => new BenchmarkWorkerError(`the benchmark worker stopped: ${message}`),
    );
  }

  /** Reads and validates a file in the worker (see BenchmarkService.validateFile). */
  validateFile(file: Blob, signal?: AbortSignal): Promise<FileValidation> {
    return this.#worker.call<FileValidation>((remote) => remote.validateFile(file), signal);
  }

  /**
   * Converts public role-play data in the worker, onto `base` if given (see
   * BenchmarkService.importFiles). `options` and `base` must be plain data (no Svelte proxies).
   */
  importFiles(
    kind: ImportSourceKind,
    files: readonly ImportFile[],
    options: ImportOptions = {},
    base: Benchmark | null = null,
    signal?: AbortSignal,
  ): Promise<ImportOutcome> {
    return this.#worker.call<ImportOutcome>((remote) => remote.importFiles(kind, files, options, base), signal);
  }

  /** Stops the worker now; calls in flight fail with AbortError. */
  terminate(): void {
    this.#worker.terminate();
  }
}
