/**
 * What the evaluation pipeline needs from a model and what it returns.
 * The pipeline is pure orchestration: hosts (the browser worker behind a cache, or the Node
 * service behind a disk cache) implement EvaluationModel.
 */
import type { ChatMessage } from '../prompts/prompt.js';
import type { Nats } from '../units.js';
import type { BoundTerms } from '../bound/bound.js';
import type { MiEstimatorKind } from '../metrics/bootstrap.js';

/** What the pipeline keeps of a scored response: its mean per-token log-prob and token count. */
export interface PairScore {
  readonly meanLogProb: number;
  readonly tokens: number;
  /** The scorer's mean predictive entropy over the response, nats per token (for the bound's Ĥ). */
  readonly meanEntropy?: number;
}

/** A loaded model as the pipeline uses it; errors carry the model service's names. */
export interface EvaluationModel {
  /** Stable identity for results (e.g. "bundled:rolescope-tiny-en"). */
  readonly id: string;
  score(
    groups: readonly { context: readonly ChatMessage[]; responses: readonly string[]; responsePrefix?: string }[],
  ): Promise<readonly (readonly PairScore[])[]>;
  generate(
    prompt: readonly ChatMessage[],
    options: { maxNewTokens: number; greedy: boolean; repetitionPenalty: number },
  ): Promise<{ readonly text: string }>;
}

/**
 * Where the reasoning r in the estimator's context comes from (docs/method.md section 1): none; the
 * benchmark's `r` field ('file'); or a thought model that writes it from x alone ('generate',
 * thought-prompt.ts). r needs the est-v1 template: rp-v1 has no place for it.
 */
export type ReasoningMode = 'none' | 'file' | 'generate';
export type EstimatorTemplate = 'est-v1' | 'rp-v1';

export interface EvaluationSettings {
  /**
   * The MI estimator (docs/method.md section 3): the reference one, or the mixture or null-prompt
   * alternative (the latter also scores every response after the null context).
   */
  readonly estimatorKind?: MiEstimatorKind;
  /** Mismatched pairs per category (default 1000, the paper's). */
  readonly maxPairs: number;
  readonly seed: number;
  readonly bootstrapReplicates: number;
  readonly reasoning: ReasoningMode;
  /**
   * The estimator's prompt: est-v1 is the paper's estimator prompt, docs/method.md section 2 (for instruction-tuned scorers); rp-v1 is the
   * role-play prompt the bundled demo models were trained on.
   */
  readonly estimatorTemplate: EstimatorTemplate;
  /** Only the first n samples of each category (for quick runs). */
  readonly limitPerCategory?: number;
  /**
   * Compute the upper bound (docs/method.md section 4) with this text encoder (its name, e.g.
   * "input-embeddings:rolescope-tiny-multi"); `hHatOverride` replaces the estimate of Ĥ.
   */
  readonly bound?: { readonly encoder: string; readonly hHatOverride?: number };
}

export const POLICY_GENERATION = { maxNewTokens: 256, greedy: true, repetitionPenalty: 1.05 } as const;

/**
 * How a thought model writes r: greedy (r is part of the estimator, so it must be reproducible),
 * at most 128 new tokens (a restatement and a short list), the policies' repetition penalty.
 */
export const THOUGHT_GENERATION = { maxNewTokens: 128, greedy: true, repetitionPenalty: 1.05 } as const;

/** The responder name of the golden responses in pairs and tables. */
export const GOLD = 'gold';

export type ShiftName = 'user' | 'character' | 'dialogue' | 'none';

export interface ResultRow {
  readonly policy: string;
  readonly category: string;
  readonly shift: ShiftName;
  readonly reference: string | null;
  readonly n: number;
  readonly miModel: Nats;
  readonly miGold: Nats;
  readonly emi: Nats;
  /** null for in-distribution (reference) categories. */
  readonly remid: Nats | null;
  readonly remidCi: readonly [Nats, Nats] | null;
  /** The upper bound's terms (shifted categories of runs that compute it; see bound-stage.ts). */
  readonly bound?: BoundTerms;
  /**
   * The estimator's perplexity of the category's golden responses (metrics/perplexity.ts): the
   * same for every policy, it says how good the scorer is. Absent in results files written
   * before it was recorded.
   */
  readonly goldPerplexity?: number;
  readonly goldPerplexityCi?: readonly [number, number] | null;
}

export interface FamilyRow {
  readonly policy: string;
  readonly family: Exclude<ShiftName, 'none'>;
  readonly n: number;
  readonly remid: Nats;
  readonly remidCi: readonly [Nats, Nats];
  /** The estimator's perplexity of the family's golden responses, as in ResultRow. */
  readonly goldPerplexity?: number;
  readonly goldPerplexityCi?: readonly [number, number] | null;
}

export interface PairRecord {
  /** A policy id, or "gold" for the golden responses. */
  readonly policy: string;
  readonly category: string;
  /**
   * Context index; `i === j` marks a matched pair, and `i === -1` the null context ∅
   * (NULL_ROLE_PLAY_INPUT, scored only with the null-prompt estimator), so
   * MI_null = mean_j [ s(j, j) − s(−1, j) ]. The reference estimator's mismatched pairs are those
   * with `i >= 0 && i !== j`.
   */
  readonly i: number;
  /** Response index. */
  readonly j: number;
  readonly meanLogProb: number;
  readonly tokens: number;
  /** Matched pairs: the estimator's mean predictive entropy over the response, nats per token. */
  readonly meanEntropy?: number;
}

/**
 * Progress, one event per model call or context: policy responses ('generate'), reasoning written
 * by the thought model ('reason', one per selected sample), then estimator contexts per category
 * ('score': N contexts, plus one for the null context with the null-prompt estimator).
 */
export type EvaluationProgress =
  | { readonly stage: 'generate'; readonly policy: string; readonly done: number; readonly total: number }
  | { readonly stage: 'reason'; readonly done: number; readonly total: number }
  | { readonly stage: 'score'; readonly category: string; readonly done: number; readonly total: number }
  | { readonly stage: 'bound'; readonly done: number; readonly total: number };
