/**
 * The bound's text encoder as an evaluation run loads it: the model service's embed calls in
 * chunks, behind the run's store (vectors are cached under the encoder's fingerprint), loaded on
 * first use with one probe text that also gives the manifest its entry for the encoder.
 */
import {
  cachedEncoder,
  encoderName,
  type CacheCounters,
  type EvaluationStore,
  type ModelManifestEntry,
  type TextEncoder,
} from '../../src/core/index.js';
import type { EncoderRef, ModelService } from '../../src/protocol/model-service.js';

/** Texts per embed call. */
const EMBED_CHUNK = 64;

/** The encoder's loader, and its manifest entry once it has loaded (undefined before). */
export interface EncoderLoader {
  readonly load: () => Promise<TextEncoder>;
  readonly entry: () => ModelManifestEntry | undefined;
}

/** Loads `ref` through `models` on first use, its vectors cached in `store`. */
export function encoderLoader(
  models: ModelService,
  ref: EncoderRef,
  store: EvaluationStore,
  counters: CacheCounters,
): EncoderLoader {
  let entry: ModelManifestEntry | undefined;
  const load = async (): Promise<TextEncoder> => {
    const rawEncoder: TextEncoder = {
      id: encoderName(ref),
      async embed(texts) {
        const rows: Float32Array[] = [];
        // Chunks keep a Hub encoder's activations small; the bundled one does not mind either way.
        for (let at = 0; at < texts.length; at += EMBED_CHUNK) {
          const chunk = await models.embed(ref, texts.slice(at, at + EMBED_CHUNK));
          for (let r = 0; r * chunk.dims < chunk.vectors.length; r++)
            rows.push(chunk.vectors.slice(r * chunk.dims, (r + 1) * chunk.dims));
        }
        return rows;
      },
    };
    // One probe text loads the encoder and names its fingerprint, which keys the cached vectors.
    const { fingerprint } = await models.embed(ref, ['(probe)']);
    entry = {
      id: encoderName(ref),
      source: ref.kind === 'hub' ? 'hub' : 'bundled',
      filesHash: fingerprint.filesHash,
      dtype: fingerprint.dtype,
      device: fingerprint.deviceClass,
    };
    return cachedEncoder(rawEncoder, fingerprint, store, counters);
  };
  return { load, entry: () => entry };
}
