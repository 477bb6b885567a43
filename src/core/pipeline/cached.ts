/**
 * A model behind a key-value store: each response's score and each generation is stored under
 * a hash of everything that determines it (cache-key.ts), so an interrupted run resumes and a
 * rerun with the same inputs makes no model call. The store is IndexedDB in the app and a file
 * on disk for the command line.
 */
import { embeddingKey, generationKey, scoreKey, type ModelFingerprint } from '../cache-key.js';
import type { TextEncoder } from './bound-stage.js';
import type { EvaluationModel, PairScore } from './types.js';

export interface EvaluationStore {
  getScores(keys: readonly string[]): Promise<readonly (PairScore | undefined)[]>;
  putScores(entries: readonly { readonly key: string; readonly value: PairScore }[]): Promise<void>;
  getText(key: string): Promise<string | undefined>;
  putText(key: string, text: string): Promise<void>;
  getVectors(keys: readonly string[]): Promise<readonly (Float32Array | undefined)[]>;
  putVectors(entries: readonly { readonly key: string; readonly value: Float32Array }[]): Promise<void>;
}

export interface CacheCounters {
  hits: number;
  computed: number;
}

export function cachedModel(
  model: EvaluationModel,
  fingerprint: ModelFingerprint,
  store: EvaluationStore,
  templateVersion: string,
  counters: CacheCounters = { hits: 0, computed: 0 },
): EvaluationModel & { readonly counters: CacheCounters } {
  return {
    id: model.id,
    counters,
    async score(groups) {
      const keys = await Promise.all(
        groups.map((g) =>
          Promise.all(
            g.responses.map((response) =>
              scoreKey({
                model: fingerprint,
                templateVersion,
                context: g.context,
                response,
                ...(g.responsePrefix ? { responsePrefix: g.responsePrefix } : {}),
              }),
            ),
          ),
        ),
      );
      const found = await store.getScores(keys.flat());
      let k = 0;
      const results = groups.map((g) => g.responses.map(() => found[k++]));
      // A pair asked twice in one call is computed once: batch composition changes the last digits
      // of a score, and a rerun (which reads the one stored value) must give identical numbers.
      const firstAsked = new Map<string, readonly [number, number]>();
      const missing = groups
        .map((g, gi) => ({
          ...g,
          gi,
          ri: g.responses
            .map((_, ri) => ri)
            .filter((ri) => {
              const key = keys[gi]![ri]!;
              if (results[gi]![ri] || firstAsked.has(key)) return false;
              firstAsked.set(key, [gi, ri]);
              return true;
            }),
        }))
        .filter((g) => g.ri.length > 0);
      counters.hits += found.filter(Boolean).length;
      if (missing.length > 0) {
        const computed = await model.score(
          missing.map(({ gi: _gi, ri, ...g }) => ({ ...g, responses: ri.map((r) => g.responses[r]!) })),
        );
        const toStore: { key: string; value: PairScore }[] = [];
        missing.forEach(({ gi, ri }, m) =>
          ri.forEach((r, j) => {
            const { meanLogProb, tokens, meanEntropy } = computed[m]![j]!;
            const value = { meanLogProb, tokens, ...(meanEntropy !== undefined ? { meanEntropy } : {}) };
            results[gi]![r] = value;
            toStore.push({ key: keys[gi]![r]!, value });
          }),
        );
        counters.computed += toStore.length;
        await store.putScores(toStore);
        results.forEach((row, gi) =>
          row.forEach((score, ri) => {
            if (score) return;
            const [g0, r0] = firstAsked.get(keys[gi]![ri]!)!;
            row[ri] = results[g0]![r0];
          }),
        );
      }
      return results as PairScore[][];
    },
    async generate(prompt, options) {
      const key = await generationKey({ model: fingerprint, templateVersion, prompt, options: { ...options } });
      const hit = await store.getText(key);
      if (hit !== undefined) {
        counters.hits++;
        return { text: hit };
      }
      const { text } = await model.generate(prompt, options);
      counters.computed++;
      await store.putText(key, text);
      return { text };
    },
  };
}

/** An encoder behind the store: each text's vector is computed once per encoder fingerprint. */
export function cachedEncoder(
  encoder: TextEncoder,
  fingerprint: ModelFingerprint,
  store: EvaluationStore,
  counters: CacheCounters = { hits: 0, computed: 0 },
): TextEncoder {
  return {
    id: encoder.id,
    async embed(texts) {
      const keys = await Promise.all(texts.map((text) => embeddingKey({ encoder: fingerprint, text })));
      const found = [...(await store.getVectors(keys))];
      const missing = texts.map((_, k) => k).filter((k) => !found[k]);
      counters.hits += texts.length - missing.length;
      if (missing.length > 0) {
        const computed = await encoder.embed(missing.map((k) => texts[k]!));
        missing.forEach((k, m) => (found[k] = computed[m]!));
        counters.computed += missing.length;
        await store.putVectors(missing.map((k, m) => ({ key: keys[k]!, value: computed[m]! })));
      }
      return found as Float32Array[];
    },
  };
}

/** An in-memory store (tests, and one-off runs that need no persistence). */
export function memoryStore(): EvaluationStore {
  const scores = new Map<string, PairScore>();
  const texts = new Map<string, string>();
  const vectors = new Map<string, Float32Array>();
  return {
    async getScores(keys) {
      return keys.map((k) => scores.get(k));
    },
    async putScores(entries) {
      for (const { key, value } of entries) scores.set(key, value);
    },
    async getText(key) {
      return texts.get(key);
    },
    async putText(key, text) {
      texts.set(key, text);
    },
    async getVectors(keys) {
      return keys.map((k) => vectors.get(k));
    },
    async putVectors(entries) {
      for (const { key, value } of entries) vectors.set(key, value);
    },
  };
}
