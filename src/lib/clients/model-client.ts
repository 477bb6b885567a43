/**
 * The main thread's handle on the model worker. It starts the worker lazily, runs one call at a
 * time (a model is a single resource), wraps callbacks with comlink's proxy() so callers never
 * see comlink, and turns an abort into terminating the worker: a forward pass cannot be
 * interrupted any other way. The next call starts a fresh worker; the model must be loaded again.
 */
import * as Comlink from 'comlink';
import type { ChatMessage } from '../../core/index.js';
import type {
  GenerateOptions,
  GenerateResult,
  LoadedModelInfo,
  LoadOptions,
  ModelRef,
  ModelService,
  ProgressCallback,
  ScoreGroup,
  ScoreOptions,
  ScoreResult,
  TokenCallback,
} from '../../protocol/model-service.js';

export class AbortedError extends Error {
  override readonly name = 'AbortError';
  constructor() {
    super('the operation was cancelled');
  }
}

export class ModelClient {
  private worker: Worker | null = null;
  private remote: Comlink.Remote<ModelService> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private loadedInfo: LoadedModelInfo | null = null;

  constructor(private readonly createWorker: () => Worker) {}

  /** The model the worker holds now, or null (none loaded, or the worker was restarted). */
  get loaded(): LoadedModelInfo | null {
    return this.loadedInfo;
  }

  load(ref: ModelRef, options: LoadOptions = {}, onProgress?: ProgressCallback, signal?: AbortSignal) {
    return this.enqueue(signal, async (remote) => {
      this.loadedInfo = null;
      const info = await remote.load(ref, options, onProgress ? Comlink.proxy(onProgress) : undefined);
      this.loadedInfo = info;
      return info;
    });
  }

  score(groups: readonly ScoreGroup[], signal?: AbortSignal, options?: ScoreOptions): Promise<ScoreResult> {
    return this.enqueue(signal, (remote) => remote.score(groups, options));
  }

  generate(
    prompt: readonly ChatMessage[] | string,
    options: GenerateOptions = {},
    onToken?: TokenCallback,
    signal?: AbortSignal,
  ): Promise<GenerateResult> {
    return this.enqueue(signal, (remote) =>
      remote.generate(prompt, options, onToken ? Comlink.proxy(onToken) : undefined),
    );
  }

  /** Stops the worker now; queued calls fail and the loaded model is gone. */
  terminate(): void {
    this.remote?.[Comlink.releaseProxy]();
    this.worker?.terminate();
    this.worker = null;
    this.remote = null;
    this.loadedInfo = null;
  }

  private ensureRemote(): Comlink.Remote<ModelService> {
    if (!this.remote) {
      this.worker = this.createWorker();
      this.remote = Comlink.wrap<ModelService>(this.worker);
    }
    return this.remote;
  }

  private enqueue<T>(
    signal: AbortSignal | undefined,
    call: (remote: Comlink.Remote<ModelService>) => Promise<T>,
  ): Promise<T> {
    const run = async () => {
      if (signal?.aborted) throw new AbortedError();
      const remote = this.ensureRemote();
      if (!signal) return call(remote);
      return new Promise<T>((resolve, reject) => {
        const onAbort = () => {
          this.terminate();
          reject(new AbortedError());
        };
        signal.addEventListener('abort', onAbort, { once: true });
        call(remote)
          .then(resolve, reject)
          .finally(() => signal.removeEventListener('abort', onAbort));
      });
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
