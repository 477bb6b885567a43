/**
 * The model service: loads a causal LM with transformers.js and scores or generates with it.
 * A plain object with no worker globals, so the same code runs in the browser worker
 * (workers/model.worker.ts) and in Node (integration tests, command line).
 *
 * This file holds the loaded model and composes the steps, each in its own module: load.ts and
 * inspect.ts (loading, and what the model allows), run-probe.ts (its scoring path), score.ts
 * (scoring), generate.ts (generation), and device-loss.ts (a lost WebGPU device).
 */
import type {
  EmbedResult,
  EncoderRef,
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
} from '../../src/protocol/model-service.js';
import { validateRef, type BundledManifest } from '../../src/core/index.js';
import type { ModelServiceConfig } from './config.js';
import { unlessLost } from './device-loss.js';
import { createEncoderHost } from './encoder.js';
import { generate } from './generate.js';
import { createHubCommitResolver } from './hub-commit.js';
import { inspectModel } from './inspect.js';
import { loadWeights } from './load.js';
import { fail, type Loaded } from './loaded.js';
import { settleScoring } from './run-probe.js';
import { scoreGroups } from './score.js';

export type { ModelServiceConfig } from './config.js';

export function createModelService(config: ModelServiceConfig): ModelService {
  let loaded: Loaded | null = null;
  let manifest: BundledManifest | null = null;
  const loadManifest = async () => (manifest ??= await config.loadManifest());
  const resolveHubCommit = config.resolveHubCommit ?? createHubCommitResolver();
  const encoders = createEncoderHost({ ...config, resolveHubCommit, loadManifest });

  const requireLoaded = (): Loaded => loaded ?? fail('NoModelLoadedError', 'no model is loaded: load one first');

  /**
   * Runs `work` on the loaded model. When its WebGPU device is lost before or during the work,
   * fails with DeviceLostError: onnxruntime-web's runtime is left unusable, wasm sessions
   * included, so the caller starts a fresh worker and loads the model again (on wasm).
   */
  async function onDevice<T>(work: (current: Loaded) => Promise<T>): Promise<T> {
    const current = requireLoaded();
    const loss = current.gpuLoss;
    if (!loss) return work(current);
    try {
      return await unlessLost(loss, work(current));
    } catch (error) {
      // onnxruntime's error can come a moment before the device reports its loss.
      if (loss.reason === undefined) await Promise.race([loss.lost, new Promise((r) => setTimeout(r, 200))]);
      if (loss.reason === undefined) throw error;
      return fail('DeviceLostError', `the WebGPU device was lost (${loss.reason})`);
    }
  }

  const service = {
    /** Loads a model, after disposing of the one loaded. */
    async load(ref: ModelRef, options: LoadOptions = {}, onProgress?: ProgressCallback): Promise<LoadedModelInfo> {
      validateRef(ref);
      await service.dispose();
      const started = performance.now();
      const weights = await loadWeights(config, loadManifest, ref, options, onProgress);
      const current = await inspectModel(config, resolveHubCommit, ref, weights);
      loaded = await settleScoring(config, current, weights.dtype, started);
      return loaded.info;
    },

    score: (groups: readonly ScoreGroup[], options: ScoreOptions = {}): Promise<ScoreResult> =>
      onDevice((current) => scoreGroups(config, current, groups, options)),

    generate: (
      prompt: Parameters<ModelService['generate']>[0],
      options: GenerateOptions = {},
      onToken?: TokenCallback,
    ): Promise<GenerateResult> => onDevice((current) => generate(current, prompt, options, onToken)),

    async embed(encoder: EncoderRef, texts: readonly string[]): Promise<EmbedResult> {
      if (encoder.kind === 'input-embeddings') validateRef({ source: 'bundled', id: encoder.model });
      else if (encoder.kind === 'hub') validateRef({ source: 'hub', id: encoder.id });
      return encoders.embed(encoder, texts);
    },

    async dispose() {
      const current = loaded;
      loaded = null;
      if (current) {
        // Releasing sessions on a lost WebGPU device can fail; there is nothing left to release then.
        await current.model.dispose().catch((error: unknown) => {
          if (current.gpuLoss?.reason === undefined) throw error;
        });
        await (await current.fusedStats.made)?.release?.();
      }
      await encoders.dispose();
    },
  } satisfies ModelService;
  return service;
}
