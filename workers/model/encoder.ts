/**
 * Text encoders for the model service's `embed`: a bundled demo model's input-embedding matrix,
 * mean-pooled over each text's tokens (read from its ONNX file, so nothing extra ships), or a Hub
 * feature-extraction model through transformers.js. One encoder is kept loaded at a time.
 */
import { AutoTokenizer, env, pipeline, type PreTrainedTokenizer } from '@huggingface/transformers';
import { encoderName, ModelServiceError, type BundledManifest, type ModelFingerprint } from '../../src/core/index.js';
import type { DeviceName, EmbedResult, EncoderRef, ModelRef } from '../../src/protocol/model-service.js';
import { hubFilesHash, type HubCommitResolver } from './hub-commit.js';
import { readInitializer } from './onnx-initializer.js';

/** The token-embedding matrix's name in the bundled models' ONNX graphs (scripts/demo_models). */
const TOKEN_EMBEDDING = 'gpt.wte.weight';

export interface EncoderConfig {
  readonly bundledModelPath: string;
  readonly loadManifest: () => Promise<BundledManifest>;
  /** The bytes of a file inside a bundled model's folder. */
  readonly readBundledFile: (modelId: string, file: string) => Promise<Uint8Array>;
  readonly detectDevice: () => Promise<{ device: DeviceName }>;
  /** Sets where transformers.js may cache before a load (ModelServiceConfig.beforeLoad). */
  readonly beforeLoad?: (ref: ModelRef) => void;
  /** The commit a Hub revision points to now (null when it cannot be asked). */
  readonly resolveHubCommit: HubCommitResolver;
}

interface LoadedEncoder {
  readonly fingerprint: ModelFingerprint;
  embed(texts: readonly string[]): Promise<{ vectors: Float32Array; dims: number }>;
  dispose(): Promise<void>;
}

const fail = (name: ConstructorParameters<typeof ModelServiceError>[0], message: string): never => {
  throw new ModelServiceError(name, message);
};

/** Scales each row of an n × d matrix to unit length in place. */
function normalizeRows(vectors: Float32Array, dims: number): Float32Array {
  for (let r = 0; r * dims < vectors.length; r++) {
    let norm = 0;
    for (let k = 0; k < dims; k++) norm += vectors[r * dims + k]! ** 2;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let k = 0; k < dims; k++) vectors[r * dims + k]! *= scale;
  }
  return vectors;
}

async function loadInputEmbeddings(config: EncoderConfig, modelId: string): Promise<LoadedEncoder> {
  const manifest = await config.loadManifest();
  const entry = manifest.models.find((m) => m.id === modelId);
  if (!entry) return fail('ModelNotFoundError', `"${modelId}" is not one of the bundled models`);
  Object.assign(env, { allowLocalModels: true, allowRemoteModels: false, localModelPath: config.bundledModelPath });
  config.beforeLoad?.({ source: 'bundled', id: modelId });
  let tokenizer: PreTrainedTokenizer;
  let table: ReturnType<typeof readInitializer>;
  try {
    tokenizer = await AutoTokenizer.from_pretrained(modelId);
    table = readInitializer(await config.readBundledFile(modelId, 'onnx/model.onnx'), TOKEN_EMBEDDING);
  } catch (error) {
    return fail(
      'ModelLoadError',
      `the input embeddings of "${modelId}" could not be read: ${(error as Error).message}`,
    );
  }
  const [vocab, dims] = table.dims as [number, number];
  return {
    fingerprint: {
      modelId: encoderName({ kind: 'input-embeddings', model: modelId }),
      filesHash: entry.filesHash,
      dtype: 'fp32',
      deviceClass: 'cpu',
    },
    async embed(texts) {
      const vectors = new Float32Array(texts.length * dims);
      texts.forEach((text, r) => {
        const ids = tokenizer.encode(text, { add_special_tokens: false });
        for (const id of ids) {
          if (id >= vocab) fail('ModelLoadError', `token ${id} is outside the ${vocab}-row embedding matrix`);
          for (let k = 0; k < dims; k++) vectors[r * dims + k]! += table.data[id * dims + k]! / ids.length;
        }
      });
      return { vectors: normalizeRows(vectors, dims), dims };
    },
    async dispose() {},
  };
}

async function loadHubEncoder(
  config: EncoderConfig,
  ref: Extract<EncoderRef, { kind: 'hub' }>,
): Promise<LoadedEncoder> {
  Object.assign(env, { allowLocalModels: false, allowRemoteModels: true });
  config.beforeLoad?.({ source: 'hub', id: ref.id });
  const { device } = await config.detectDevice();
  let extractor;
  try {
    extractor = await pipeline('feature-extraction', ref.id, {
      ...(device === 'cpu' ? {} : { device }),
      ...(ref.dtype ? { dtype: ref.dtype } : {}),
      ...(ref.revision ? { revision: ref.revision } : {}),
    });
  } catch (error) {
    const message = (error as Error).message;
    return fail(
      /not found|404|could not locate/i.test(message) ? 'ModelNotFoundError' : 'ModelLoadError',
      `Hub encoder "${ref.id}" could not be loaded: ${message}`,
    );
  }
  return {
    fingerprint: {
      modelId: encoderName(ref),
      filesHash: hubFilesHash(ref.revision ?? 'main', await config.resolveHubCommit(ref.id, ref.revision ?? 'main')),
      dtype: ref.dtype ?? 'default',
      deviceClass: device === 'webgpu' ? 'gpu' : 'cpu',
    },
    async embed(texts) {
      const output = await extractor([...texts], { pooling: 'mean', normalize: true });
      const [, dims] = output.dims as [number, number];
      const vectors = Float32Array.from(output.data as Float32Array);
      output.dispose();
      return { vectors: normalizeRows(vectors, dims), dims };
    },
    dispose: () => extractor.dispose(),
  };
}

/** Which loaded encoder serves `ref`: its name, and for a Hub one also its revision and precision. */
const encoderKey = (ref: EncoderRef) =>
  ref.kind === 'input-embeddings'
    ? encoderName(ref)
    : `${encoderName(ref)}@${ref.revision ?? 'main'}:${ref.dtype ?? ''}`;

export function createEncoderHost(config: EncoderConfig) {
  let current: (LoadedEncoder & { readonly key: string }) | null = null;
  return {
    async embed(ref: EncoderRef, texts: readonly string[]): Promise<EmbedResult> {
      const empty = texts.findIndex((t) => t.trim() === '');
      if (empty >= 0) fail('InvalidRequestError', `text ${empty} is empty: there is nothing to embed`);
      if (ref.kind !== 'input-embeddings' && ref.kind !== 'hub') fail('InvalidRequestError', 'unknown encoder kind');
      const key = encoderKey(ref);
      if (current?.key !== key) {
        await current?.dispose();
        current = null;
        const loaded =
          ref.kind === 'input-embeddings'
            ? await loadInputEmbeddings(config, ref.model)
            : await loadHubEncoder(config, ref);
        current = { ...loaded, key };
      }
      const { vectors, dims } = await current.embed(texts);
      return { vectors, dims, fingerprint: current.fingerprint };
    },
    async dispose() {
      await current?.dispose();
      current = null;
    },
  };
}
