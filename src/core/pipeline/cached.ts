/**
 * A model behind a key-value store: each response's score and each generation is stored under
 * a hash of everything that determines it (cache-key.ts), so an interrupted run resumes and a
 * rerun with the same inputs makes no model call. The store is IndexedDB in the app and a file
 * on disk for the command line. scoreThroughCache and generateThroughCache are the one
 * implementation of the lookup; cachedModel (the pipeline's models) and the app's CachedModel
 * (the explorer's, which keeps every token's numbers) adapt them to their own store and results.
 */
import { embeddingKey, generationKey, scoreKey, type ModelFingerprint } from '../cache-key.js';
import type { ChatMessage } from '../prompts/prompt.js';
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

/** What keys a model's cached outputs besides their inputs: the model's files and the prompt template. */
export interface CacheScope {
  readonly model: ModelFingerprint;
  readonly templateVersion: string;
}

/** One context and the responses to score after it. */
export interface ResponseGroup {
  readonly context: readonly ChatMessage[];
  readonly responses: readonly string[];
  readonly responsePrefix?: string;
}

/** Scores stored by key: `get` gives undefined where a key is missing. */
export interface ScoreStore<S> {
  get(keys: readonly string[]): Promise<readonly (S | undefined)[]>;
  put(entries: readonly { readonly key: string; readonly value: S }[]): Promise<void>;
}

export interface ScoresThroughCache<S> {
  readonly scores: S[][];
  /** Pairs read from the store. */
  readonly hits: number;
  /** Pairs the model scored (a pair asked twice in one call counts once). */
  readonly computed: number;
}

/**
 * Scores groups through a store: only the pairs whose key is missing reach `compute`, regrouped
 * so that the model still sees one context with its responses, and what it returns is stored
 * before it is handed back. `compute` answers each group it is given, response by response, with
 * the value to store and return.
 */
export async function scoreThroughCache<G extends ResponseGroup, S>(
  groups: readonly G[],
  scope: CacheScope,
  store: ScoreStore<S>,
  compute: (groups: G[]) => Promise<readonly (readonly S[])[]>,
): Promise<ScoresThroughCache<S>> {
  const keys = await Promise.all(
    groups.map((g) =>
      Promise.all(
        g.responses.map((response) =>
          scoreKey({
            ...scope,
            context: g.context,
            response,
            ...(g.responsePrefix ? { responsePrefix: g.responsePrefix } : {}),
          }),
        ),
      ),
    ),
  );
  const found = await store.get(keys.flat());
  let k = 0;
  const results = groups.map((g) => g.responses.map(() => found[k++]));
  const hits = found.filter((s) => s !== undefined).length;
  // A pair asked twice in one call is computed once: batch composition changes the last digits
  // of a score, and a rerun (which reads the one stored value) must give identical numbers.
  const firstAsked = new Map<string, readonly [number, number]>();
  const missing = groups
    .map((g, gi) => ({
      g,
      gi,
      ri: g.responses
        .map((_, ri) => ri)
        .filter((ri) => {
          const key = keys[gi]![ri]!;
          if (results[gi]![ri] !== undefined || firstAsked.has(key)) return false;
          firstAsked.set(key, [gi, ri]);
          return true;
        }),
    }))
    .filter((m) => m.ri.length > 0);
  if (missing.length === 0) return { scores: results as S[][], hits, computed: 0 };
  const computed = await compute(missing.map(({ g, ri }) => ({ ...g, responses: ri.map((r) => g.responses[r]!) })));
  const toStore: { key: string; value: S }[] = [];
  missing.forEach(({ gi, ri }, m) =>
    ri.forEach((r, j) => {
      const value = computed[m]![j]!;
      results[gi]![r] = value;
      toStore.push({ key: keys[gi]![r]!, value });
    }),
  );
  await store.put(toStore);
  results.forEach((row, gi) =>
    row.forEach((score, ri) => {
      if (score !== undefined) return;
      const [g0, r0] = firstAsked.get(keys[gi]![ri]!)!;
      row[ri] = results[g0]![r0];
    }),
  );
  return { scores: results as S[][], hits, computed: toStore.length };
}

/**
 * A generation through a store, keyed by the prompt and every option: `compute` runs only when
 * the store has none, and its result is stored before it is handed back.
 */
export async function generateThroughCache<T>(
  request: CacheScope & { readonly prompt: readonly ChatMessage[]; readonly options: object },
  store: { get(key: string): Promise<T | undefined>; put(key: string, value: T): Promise<void> },
  compute: () => Promise<T>,
): Promise<{ readonly value: T; readonly fromCache: boolean }> {
  const key = await generationKey({ ...request, options: { ...request.options } });
  const hit = await store.get(key);
  if (hit !== undefined) return { value: hit, fromCache: true };
  const value = await compute();
  await store.put(key, value);
  return { value, fromCache: false };
}

/** A pipeline model behind the store; `counters` tally what was read and what was computed. */
export function cachedModel(
  model: EvaluationModel,
  fingerprint: ModelFingerprint,
  store: EvaluationStore,
  templateVersion: string,
  counters: CacheCounters = { hits: 0, computed: 0 },
): EvaluationModel & { readonly counters: CacheCounters } {
  const scope = { model: fingerprint, templateVersion };
  const scores: ScoreStore<PairScore> = {
    get: (keys) => store.getScores(keys),
    put: (entries) => store.putScores(entries),
  };
  return {
    id: model.id,
    counters,
    async score(groups) {
      const result = await scoreThroughCache(groups, scope, scores, async (missing) =>
        // Only what the metrics need is stored, whatever else the model returns.
        (await model.score(missing)).map((row) =>
          row.map(({ meanLogProb, tokens, meanEntropy }) => ({
            meanLogProb,
            tokens,
            ...(meanEntropy !== undefined ? { meanEntropy } : {}),
          })),
        ),
      );
      counters.hits += result.hits;
      counters.computed += result.computed;
      return result.scores;
    },
    async generate(prompt, options) {
      const { value: text, fromCache } = await generateThroughCache(
        { ...scope, prompt, options },
        { get: (key) => store.getText(key), put: (key, text) => store.putText(key, text) },
        async () => (await model.generate(prompt, options)).text,
      );
      if (fromCache) counters.hits++;
      else counters.computed++;
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
