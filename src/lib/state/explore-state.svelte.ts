/**
 * The first screen's state: which model and sample are chosen, what the model said, and the
 * golden response's token log-probs. Components read the getters and call the methods; nothing
 * here touches the DOM.
 */
import {
  modelRef,
  rolePlayMessages,
  type BundledManifest,
  type DemoSample,
  type DemoSampleFile,
} from '../../core/index.js';
import type { DeviceName, DType, LoadedModelInfo, ResponseScore } from '../../protocol/model-service.js';
import { CachedModel, type CachedScoreResult } from '../clients/cached-model.js';
import { EMPTY_PROGRESS, LoadProgressTracker, type LoadProgressView } from '../ui/load-progress.js';
import type { ModelCatalog } from './model-catalog.svelte.js';
import type { ModelClient } from '../clients/model-client.js';
import type { IdbScoreCache } from '../../storage/score-cache.js';

export type Phase = 'idle' | 'loading-model' | 'scoring' | 'generating' | 'ready' | 'error' | 'cancelled';

/** Where the first screen's model runs: the browser's choice, or one the user picked. */
export type DeviceChoice = DeviceName | 'auto';

export interface ScoreView {
  readonly score: ResponseScore;
  readonly fromCache: boolean;
  readonly ms: number;
}

export interface GenerationView {
  readonly text: string;
  readonly done: boolean;
  readonly fromCache: boolean;
  readonly ms: number;
  readonly tokens: number;
}

export class ExploreState {
  #samples = $state.raw<readonly DemoSample[]>([]);
  #modelId = $state('');
  #sampleId = $state('');
  #loaded = $state.raw<LoadedModelInfo | null>(null);
  #phase = $state<Phase>('idle');
  #error = $state('');
  #progress = $state.raw<LoadProgressView>(EMPTY_PROGRESS);
  #device = $state<DeviceChoice>('auto');
  #dtype = $state<DType | undefined>(undefined);
  #loadAbort: AbortController | null = null;
  #golden = $state.raw<ScoreView | null>(null);
  #generation = $state.raw<GenerationView | null>(null);
  #run = 0;

  constructor(
    private readonly client: ModelClient,
    private readonly cache: IdbScoreCache,
    private readonly fetchJson: <T>(path: string) => Promise<T>,
    readonly catalog: ModelCatalog,
  ) {}

  get device() {
    return this.#device;
  }
  /** The precision asked for (undefined: the model's default for the device). */
  get dtype() {
    return this.#dtype;
  }
  get samples() {
    return this.#samples;
  }
  get modelId() {
    return this.#modelId;
  }
  get sampleId() {
    return this.#sampleId;
  }
  get sample(): DemoSample | undefined {
    return this.#samples.find((s) => s.id === this.#sampleId);
  }
  get loaded() {
    return this.#loaded;
  }
  get phase() {
    return this.#phase;
  }
  get error() {
    return this.#error;
  }
  get progress() {
    return this.#progress;
  }
  get golden() {
    return this.#golden;
  }
  get generation() {
    return this.#generation;
  }
  get busy() {
    return this.#phase === 'loading-model' || this.#phase === 'scoring' || this.#phase === 'generating';
  }

  /** Reads the bundled lists, then loads the first model and runs the first sample. */
  async start(): Promise<void> {
    try {
      const [manifest, sampleFile] = await Promise.all([
        this.fetchJson<BundledManifest>('models/manifest.json'),
        this.fetchJson<DemoSampleFile>('samples/demo-samples.json'),
      ]);
      this.catalog.setBundled(manifest.models);
      void this.catalog.refresh();
      this.#samples = sampleFile.samples;
      this.#sampleId = sampleFile.samples[0]?.id ?? '';
      await this.selectModel(manifest.models[0]?.id ?? '');
    } catch (error) {
      this.fail(error);
    }
  }

  /**
   * Loads a model by its catalog name (`rolescope-tiny-en`, `hub:owner/name`, `folder:name`),
   * downloading it first when it is a Hub model not yet on this machine; `cancelLoad` stops it.
   */
  async selectModel(
    name: string,
    options: {
      device?: DeviceChoice;
      dtype?: DType;
      /** Why this device (replaces the load's own note). */
      note?: string;
    } = {},
  ): Promise<void> {
    if (!name) return;
    this.#modelId = name;
    this.#device = options.device ?? this.#device;
    // A Hub model loads in the precision it was downloaded in, unless another is asked for.
    this.#dtype = options.dtype ?? this.catalog.dtypeOf(name);
    const run = ++this.#run;
    this.#loadAbort?.abort();
    const abort = (this.#loadAbort = new AbortController());
    this.#loaded = null;
    this.#golden = null;
    this.#generation = null;
    this.#phase = 'loading-model';
    this.#error = '';
    const tracker = new LoadProgressTracker();
    this.#progress = EMPTY_PROGRESS;
    try {
      const info = await this.client.load(
        modelRef(name),
        { device: this.#device, ...(this.#dtype ? { dtype: this.#dtype } : {}) },
        (p) => {
          if (run === this.#run) this.#progress = tracker.update(p);
        },
        abort.signal,
      );
      if (run !== this.#run) return;
      this.#loaded = options.note ? { ...info, deviceNote: options.note } : info;
      if (info.ref.source === 'hub') void this.catalog.refresh();
      await this.runSample(run);
    } catch (error) {
      if (run !== this.#run) return;
      if ((error as Error).name === 'AbortError') {
        this.#phase = 'cancelled';
        this.#error = `Loading ${name} was cancelled; what was downloaded so far is kept.`;
        void this.catalog.refresh();
      } else this.fail(error);
    } finally {
      if (this.#loadAbort === abort) this.#loadAbort = null;
    }
  }

  /** Stops a model load or download in progress (the model worker is restarted). */
  cancelLoad(): void {
    this.#loadAbort?.abort();
  }

  /** Loads the current model again on another device. */
  async selectDevice(device: DeviceChoice): Promise<void> {
    await this.selectModel(this.#modelId, { device, ...(this.#dtype ? { dtype: this.#dtype } : {}) });
  }

  async selectSample(id: string): Promise<void> {
    this.#sampleId = id;
    const run = ++this.#run;
    this.#golden = null;
    this.#generation = null;
    if (this.#loaded) await this.runSample(run);
  }

  /** Scores the golden response, then generates the model's own response. */
  private async runSample(run: number): Promise<void> {
    const sample = this.sample;
    const info = this.#loaded;
    if (!sample || !info) return;
    const model = new CachedModel(this.client, this.cache, info);
    const context = rolePlayMessages(sample);
    try {
      this.#phase = 'scoring';
      const started = performance.now();
      const scored: CachedScoreResult = await model.score([{ context, responses: [sample.goldenResponse] }]);
      if (run !== this.#run) return;
      this.#golden = {
        score: scored.groups[0]![0]!,
        fromCache: scored.computed === 0,
        ms: performance.now() - started,
      };

      this.#phase = 'generating';
      const genStarted = performance.now();
      let streamed = '';
      this.#generation = { text: '', done: false, fromCache: false, ms: 0, tokens: 0 };
      const result = await model.generate(
        context,
        { maxNewTokens: 96, greedy: true, repetitionPenalty: 1.05 },
        (piece) => {
          if (run !== this.#run) return;
          streamed += piece;
          this.#generation = {
            text: streamed,
            done: false,
            fromCache: false,
            ms: performance.now() - genStarted,
            tokens: 0,
          };
        },
      );
      if (run !== this.#run) return;
      this.#generation = {
        text: result.text,
        done: true,
        fromCache: result.fromCache,
        ms: performance.now() - genStarted,
        tokens: result.tokenIds.length,
      };
      this.#phase = 'ready';
    } catch (error) {
      if (run !== this.#run) return;
      if ((error as Error).name === 'DeviceLostError') return this.fallBackToWasm(error as Error);
      this.fail(error);
    }
  }

  /**
   * The WebGPU device was lost (a driver reset, the GPU reclaimed): onnxruntime's runtime in the
   * worker is unusable, so the worker is started afresh and the model loaded on wasm, saying why.
   */
  private async fallBackToWasm(error: Error): Promise<void> {
    this.client.terminate();
    await this.selectModel(this.#modelId, {
      device: 'wasm',
      ...(this.#dtype ? { dtype: this.#dtype } : {}),
      note: `${error.message}: running on wasm instead`,
    });
  }

  private fail(error: unknown): void {
    const e = error as Error;
    this.#phase = 'error';
    this.#error = `${e?.name ?? 'Error'}: ${e?.message ?? String(error)}`;
  }
}
