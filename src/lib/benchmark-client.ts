/**
 * The main thread's handle on the benchmark worker. It starts the worker lazily and hides comlink
 * from callers. Validation cannot be interrupted inside the worker, so an abort terminates the
 * worker (every call in flight fails with AbortError); the next call starts a fresh one.
 */
import * as Comlink from 'comlink';
import type { Benchmark } from '../core/benchmark/format.js';
import type {
  BenchmarkService,
  ImportFile,
  ImportOptions,
  ImportOutcome,
  ImportSourceKind,
  ValidationResult,
} from '../protocol/benchmark-service.js';
import { AbortedError } from './model-client.js';

/** The worker script could not start or crashed; its calls can never finish. */
export class BenchmarkWorkerError extends Error {
  override readonly name = 'BenchmarkWorkerError';
}

export class BenchmarkClient {
  #worker: Worker | null = null;
  #remote: Comlink.Remote<BenchmarkService> | null = null;
  /** Rejecters of the calls in flight: a terminated worker never answers them. */
  readonly #pending = new Set<(error: Error) => void>();

  constructor(private readonly createWorker: () => Worker) {}

  /** Reads and validates a file in the worker (see BenchmarkService.validateFile). */
  validateFile(file: Blob, signal?: AbortSignal): Promise<ValidationResult> {
    return this.#call<ValidationResult>((remote) => remote.validateFile(file), signal);
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
    return this.#call<ImportOutcome>((remote) => remote.importFiles(kind, files, options, base), signal);
  }

  /** Stops the worker now; calls in flight fail with AbortError. */
  terminate(): void {
    this.#stop(new AbortedError());
  }

  /** Runs one call on the worker; an abort terminates the worker and fails the call. */
  #call<T>(invoke: (remote: Comlink.Remote<BenchmarkService>) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(new AbortedError());
    const remote = this.#ensureRemote();
    return new Promise<T>((resolve, reject) => {
      const fail = (error: Error) => {
        done();
        reject(error);
      };
      const onAbort = () => this.#stop(new AbortedError());
      const done = () => {
        this.#pending.delete(fail);
        signal?.removeEventListener('abort', onAbort);
      };
      this.#pending.add(fail);
      signal?.addEventListener('abort', onAbort, { once: true });
      invoke(remote).then(
        (result) => {
          done();
          resolve(result);
        },
        (error: unknown) => fail(error as Error),
      );
    });
  }

  #ensureRemote(): Comlink.Remote<BenchmarkService> {
    if (!this.#remote) {
      const worker = this.createWorker();
      worker.addEventListener('error', (event) => {
        event.preventDefault();
        this.#stop(new BenchmarkWorkerError(`the benchmark worker stopped: ${event.message || 'it failed to start'}`));
      });
      this.#worker = worker;
      this.#remote = Comlink.wrap<BenchmarkService>(worker);
    }
    return this.#remote;
  }

  #stop(reason: Error): void {
    this.#remote?.[Comlink.releaseProxy]();
    this.#worker?.terminate();
    this.#worker = null;
    this.#remote = null;
    const pending = [...this.#pending];
    this.#pending.clear();
    for (const fail of pending) fail(reason);
  }
}
