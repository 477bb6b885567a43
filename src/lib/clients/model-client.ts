/**
 * The main thread's handle on a model worker, on a WorkerHandle (lazy start, an abort or a crash
 * terminates the worker). On top of it, it runs one call at a time (a model is a single
 * resource), wraps callbacks with comlink's proxy() so callers never see comlink, and remembers
 * the loaded model. An abort terminates the worker because a forward pass cannot be interrupted
 * any other way; the next call starts a fresh worker, and the model must be loaded again.
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
import { WorkerHandle } from './worker-handle.js';

/** The model worker could not start or crashed (e.g. out of memory); the loaded model is gone. */
export class ModelWorkerError extends Error {
  override readonly name = 'ModelWorkerError';
}

export class ModelClient {
  readonly #worker: WorkerHandle<ModelService>;
  /** Settles when the last queued call has. */
  #queue: Promise<unknown> = Promise.resolve();
  #loaded: LoadedModelInfo | null = null;

  constructor(createWorker: () => Worker) {
    this.#worker = new WorkerHandle(
      createWorker,
      (message) => new ModelWorkerError(`the model worker stopped: ${message}`),
      () => (this.#loaded = null),
    );
  }

  /** The model the worker holds now, or null (none loaded, or the worker was restarted). */
  get loaded(): LoadedModelInfo | null {
    return this.#loaded;
  }

  load(ref: ModelRef, options: LoadOptions = {}, onProgress?: ProgressCallback, signal?: AbortSignal) {
    return this.#enqueue(signal, async (remote) => {
      this.#loaded = null;
      const info = await remote.load(ref, options, onProgress ? Comlink.proxy(onProgress) : undefined);
      this.#loaded = info;
      return info;
    });
  }

  score(groups: readonly ScoreGroup[], signal?: AbortSignal, options?: ScoreOptions): Promise<ScoreResult> {
    return this.#enqueue(signal, (remote) => remote.score(groups, options));
  }

  generate(
    prompt: readonly ChatMessage[] | string,
    options: GenerateOptions = {},
    onToken?: TokenCallback,
    signal?: AbortSignal,
  ): Promise<GenerateResult> {
    return this.#enqueue(signal, (remote) =>
      remote.generate(prompt, options, onToken ? Comlink.proxy(onToken) : undefined),
    );
  }

  /**
   * Stops the worker now: the call in flight fails with AbortError and the loaded model is gone.
   * Calls queued behind it start a fresh worker.
   */
  terminate(): void {
    this.#worker.terminate();
  }

  /** Runs `call` once every earlier call has settled; an abort while it waits fails it at its turn. */
  #enqueue<T>(signal: AbortSignal | undefined, call: (remote: Comlink.Remote<ModelService>) => Promise<T>): Promise<T> {
    const run = () => this.#worker.call(call, signal);
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }
}
