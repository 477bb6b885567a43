/**
 * A worker behind comlink, the one way the main thread's clients (ModelClient, BenchmarkClient,
 * EvaluationClient, AnalysisClient) own a worker. It starts the worker lazily and turns an abort
 * into terminating the worker: work inside a worker cannot be interrupted any other way. Every
 * call in flight then fails with AbortError (or with the client's own error when the worker fails
 * to start or crashes, e.g. out of memory), and the next call starts a fresh worker.
 */
import * as Comlink from 'comlink';

/** A call cancelled by its caller: its worker was terminated (the name is the DOM's, AbortError). */
export class AbortedError extends Error {
  override readonly name = 'AbortError';
  constructor() {
    super('the operation was cancelled');
  }
}

export class WorkerHandle<Service> {
  #worker: Worker | null = null;
  #remote: Comlink.Remote<Service> | null = null;
  /** Rejecters of the calls in flight: a terminated worker never answers them. */
  readonly #pending = new Set<(error: Error) => void>();

  /**
   * @param createWorker starts the worker script.
   * @param crashError the error calls in flight fail with when the worker fails to start or dies.
   * @param onStop hears every stop (abort, crash, terminate), so that the client can forget what
   *   the worker held (a loaded model).
   */
  constructor(
    private readonly createWorker: () => Worker,
    private readonly crashError: (message: string) => Error,
    private readonly onStop: () => void = () => {},
  ) {}

  /** Runs one call on the worker; an abort terminates the worker and fails the call. */
  call<T>(invoke: (remote: Comlink.Remote<Service>) => Promise<T>, signal?: AbortSignal): Promise<T> {
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

  /** Stops the worker now; calls in flight fail with AbortError. */
  terminate(): void {
    this.#stop(new AbortedError());
  }

  #ensureRemote(): Comlink.Remote<Service> {
    if (!this.#remote) {
      const worker = this.createWorker();
      worker.addEventListener('error', (event) => {
        event.preventDefault();
        // A worker already replaced by a fresh one has nothing left to stop.
        if (this.#worker === worker) this.#stop(this.crashError(event.message || 'it failed to start'));
      });
      this.#worker = worker;
      this.#remote = Comlink.wrap<Service>(worker);
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
    this.onStop();
    for (const fail of pending) fail(reason);
  }
}
