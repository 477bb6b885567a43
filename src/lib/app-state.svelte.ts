/**
 * The first screen's state: which model and sample are chosen, what the model said, and the
 * golden response's token log-probs. Components read the getters and call the methods; nothing
 * here touches the DOM.
 */
import {
  rolePlayMessages,
  type BundledManifest,
  type BundledModelEntry,
  type DemoSample,
  type DemoSampleFile,
} from '../core/index.js';
import type { LoadedModelInfo, LoadProgress, ResponseScore } from '../protocol/model-service.js';
import { CachedModel, type CachedScoreResult } from './cached-model.js';
import type { ModelClient } from './model-client.js';
import type { IdbScoreCache } from './score-cache.js';

export type Phase = 'idle' | 'loading-model' | 'scoring' | 'generating' | 'ready' | 'error';

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

export class AppState {
  #models = $state.raw<readonly BundledModelEntry[]>([]);
  #samples = $state.raw<readonly DemoSample[]>([]);
  #modelId = $state('');
  #sampleId = $state('');
  #loaded = $state.raw<LoadedModelInfo | null>(null);
  #phase = $state<Phase>('idle');
  #error = $state('');
  #progress = $state('');
  #golden = $state.raw<ScoreView | null>(null);
  #generation = $state.raw<GenerationView | null>(null);
  #run = 0;

  constructor(
    private readonly client: ModelClient,
    private readonly cache: IdbScoreCache,
    private readonly fetchJson: <T>(path: string) => Promise<T>,
  ) {}

  get models() {
    return this.#models;
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
      this.#models = manifest.models;
      this.#samples = sampleFile.samples;
      this.#sampleId = sampleFile.samples[0]?.id ?? '';
      await this.selectModel(manifest.models[0]?.id ?? '');
    } catch (error) {
      this.fail(error);
    }
  }

  async selectModel(id: string): Promise<void> {
    if (!id) return;
    this.#modelId = id;
    const run = ++this.#run;
    this.#loaded = null;
    this.#golden = null;
    this.#generation = null;
    this.#phase = 'loading-model';
    this.#error = '';
    try {
      const info = await this.client.load({ source: 'bundled', id }, {}, (p) => this.onProgress(p));
      if (run !== this.#run) return;
      this.#loaded = info;
      this.#progress = '';
      await this.runSample(run);
    } catch (error) {
      if (run === this.#run) this.fail(error);
    }
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
      if (run === this.#run) this.fail(error);
    }
  }

  private onProgress(p: LoadProgress): void {
    if (p.status === 'progress_total') this.#progress = `Loading model… ${Math.round(p.progress)}%`;
    else if (p.status === 'initiate') this.#progress = `Loading ${p.file}…`;
  }

  private fail(error: unknown): void {
    const e = error as Error;
    this.#phase = 'error';
    this.#error = `${e?.name ?? 'Error'}: ${e?.message ?? String(error)}`;
  }
}
