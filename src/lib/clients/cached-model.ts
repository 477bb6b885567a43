/**
 * The explorer's model behind the IndexedDB score cache: the core's cache-through lookup
 * (scoreThroughCache, generateThroughCache) over IdbScoreCache, keeping every token's numbers so
 * a cached answer shows the same token table as a fresh one.
 */
import {
  generateThroughCache,
  ROLE_PLAY_TEMPLATE_VERSION,
  scoreThroughCache,
  type ChatMessage,
} from '../../core/index.js';
import type {
  GenerateOptions,
  GenerateResult,
  LoadedModelInfo,
  ResponseScore,
  ScoreGroup,
  ScoreResult,
  TokenCallback,
} from '../../protocol/model-service.js';
import type { IdbScoreCache } from '../../storage/score-cache.js';

/** The part of the model service the cache layer needs. */
export interface Scorer {
  score(groups: readonly ScoreGroup[]): Promise<ScoreResult>;
  generate(prompt: readonly ChatMessage[], options?: GenerateOptions, onToken?: TokenCallback): Promise<GenerateResult>;
}

export interface CachedScoreResult {
  readonly groups: readonly (readonly ResponseScore[])[];
  readonly cacheHits: number;
  readonly computed: number;
  /** Undefined when every pair came from the cache. */
  readonly timings?: ScoreResult['timings'];
}

export interface CachedGeneration extends GenerateResult {
  readonly fromCache: boolean;
}

export class CachedModel {
  constructor(
    private readonly scorer: Scorer,
    private readonly cache: IdbScoreCache,
    private readonly model: LoadedModelInfo,
    private readonly templateVersion = ROLE_PLAY_TEMPLATE_VERSION,
  ) {}

  async score(groups: readonly ScoreGroup[]): Promise<CachedScoreResult> {
    const modelId = this.model.fingerprint.modelId;
    let timings: ScoreResult['timings'] | undefined;
    const result = await scoreThroughCache<ScoreGroup, ResponseScore>(
      groups,
      { model: this.model.fingerprint, templateVersion: this.templateVersion },
      {
        get: (keys) => this.cache.getScores(keys),
        put: (entries) =>
          this.cache.putScores(
            modelId,
            entries.map(({ key, value }) => ({ key, score: value })),
          ),
      },
      async (missing) => {
        const computed = await this.scorer.score(missing);
        timings = computed.timings;
        return computed.groups;
      },
    );
    return { groups: result.scores, cacheHits: result.hits, computed: result.computed, timings };
  }

  /** A cached generation is streamed to `onToken` whole, as one piece. */
  async generate(
    prompt: readonly ChatMessage[],
    options: GenerateOptions = {},
    onToken?: TokenCallback,
  ): Promise<CachedGeneration> {
    const { value, fromCache } = await generateThroughCache<GenerateResult>(
      { model: this.model.fingerprint, templateVersion: this.templateVersion, prompt, options },
      {
        get: (key) => this.cache.getGeneration(key),
        put: (key, result) => this.cache.putGeneration(this.model.fingerprint.modelId, key, result),
      },
      () => this.scorer.generate(prompt, options, onToken),
    );
    if (fromCache) onToken?.(value.text);
    return { ...value, fromCache };
  }
}
