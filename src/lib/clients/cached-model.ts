/**
 * Scoring and generation through the cache: only pairs whose key is missing reach the model, and
 * what the model returns is stored before it is handed back.
 */
import { ROLE_PLAY_TEMPLATE_VERSION, generationKey, scoreKey, type ChatMessage } from '../../core/index.js';
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
    const fingerprint = this.model.fingerprint;
    const keys = await Promise.all(
      groups.map((g) =>
        Promise.all(
          g.responses.map((response) =>
            scoreKey({
              model: fingerprint,
              templateVersion: this.templateVersion,
              context: g.context,
              response,
              ...(g.responsePrefix ? { responsePrefix: g.responsePrefix } : {}),
            }),
          ),
        ),
      ),
    );
    const cached = await this.cache.getScores(keys.flat());
    const results: ResponseScore[][] = groups.map((g) => new Array<ResponseScore>(g.responses.length));
    const missing: { g: number; r: number }[] = [];
    let flatIndex = 0;
    groups.forEach((g, gi) =>
      g.responses.forEach((_, ri) => {
        const hit = cached[flatIndex++];
        if (hit) results[gi]![ri] = hit;
        else missing.push({ g: gi, r: ri });
      }),
    );
    if (!missing.length) return { groups: results, cacheHits: flatIndex, computed: 0 };

    // Re-group the misses by context so the model still sees (one context, many responses).
    const byGroup = new Map<number, number[]>();
    for (const { g, r } of missing) byGroup.set(g, [...(byGroup.get(g) ?? []), r]);
    const order = [...byGroup.entries()];
    const computed = await this.scorer.score(
      order.map(([g, rs]) => ({ ...groups[g]!, responses: rs.map((r) => groups[g]!.responses[r]!) })),
    );
    const toStore: { key: string; score: ResponseScore }[] = [];
    order.forEach(([g, rs], k) =>
      rs.forEach((r, j) => {
        const score = computed.groups[k]![j]!;
        results[g]![r] = score;
        toStore.push({ key: keys[g]![r]!, score });
      }),
    );
    await this.cache.putScores(fingerprint.modelId, toStore);
    return {
      groups: results,
      cacheHits: flatIndex - missing.length,
      computed: missing.length,
      timings: computed.timings,
    };
  }

  async generate(
    prompt: readonly ChatMessage[],
    options: GenerateOptions = {},
    onToken?: TokenCallback,
  ): Promise<CachedGeneration> {
    const key = await generationKey({
      model: this.model.fingerprint,
      templateVersion: this.templateVersion,
      prompt,
      options: { ...options },
    });
    const hit = await this.cache.getGeneration(key);
    if (hit) {
      onToken?.(hit.text);
      return { ...hit, fromCache: true };
    }
    const result = await this.scorer.generate(prompt, options, onToken);
    await this.cache.putGeneration(this.model.fingerprint.modelId, key, result);
    return { ...result, fromCache: false };
  }
}
