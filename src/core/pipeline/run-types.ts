/**
 * What a caller hands the evaluation pipeline and what it gets back: the policies (models, or
 * responses imported from elsewhere), the estimator, the optional thought model and text encoder,
 * the settings, and the output's responses, rows, pairs, counts and bound validation. Types only:
 * the stages that fill them in live beside this file.
 */
import type { Benchmark } from '../benchmark/format.js';
import type { BoundValidation } from '../bound/validation.js';
import type { TextEncoder } from './bound-stage.js';
import type { EvaluationModel, EvaluationSettings, FamilyRow, PairRecord, ResultRow } from './types.js';

export interface PolicySpec {
  readonly id: string;
  /** Loads the model that answers; absent when `responses` are imported. */
  readonly load?: () => Promise<EvaluationModel>;
  /** Imported responses by sample ID, for models that cannot run here. */
  readonly responses?: Readonly<Record<string, string>>;
}

/** The model that writes the reasoning r with reasoning 'generate' (hosts wrap it in a cache). */
export interface ThoughtSpec {
  readonly id: string;
  readonly load: () => Promise<EvaluationModel>;
}

export interface EvaluationRequest {
  readonly benchmark: Benchmark;
  readonly policies: readonly PolicySpec[];
  readonly estimator: { readonly id: string; readonly load: () => Promise<EvaluationModel> };
  /** Required with reasoning 'generate', unused otherwise. */
  readonly thought?: ThoughtSpec;
  /** Required with `settings.bound`: embeds the texts the bound's divergences compare. */
  readonly encoder?: { readonly id: string; readonly load: () => Promise<TextEncoder> };
  readonly settings: EvaluationSettings;
}

export interface EvaluationCounts {
  /** Policy prompts whose oldest turns were dropped to fit the policy's window. */
  readonly truncatedPrompts: number;
  /** Thought prompts whose oldest turns were dropped to fit the thought model's window. */
  readonly truncatedThoughtPrompts: number;
  /** Estimator contexts whose oldest turns were dropped to fit its window. */
  readonly truncatedContexts: number;
  /**
   * Prompts too long for the policy (or thought) model even with only the last user query left:
   * the model cannot answer, so its response (or r) is empty.
   */
  readonly unanswerablePrompts: number;
  /** Empty policy responses (unanswerable prompts included): their pairs cannot be scored and are left out. */
  readonly emptyResponses: number;
  /** Pairs whose response does not fit the estimator's window even after the last query alone: left out. */
  readonly unscorablePairs: number;
}

export interface EvaluationOutput {
  /** Policy responses by policy id, then sample ID. */
  readonly responses: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /**
   * With reasoning 'generate': the r the thought model wrote, by sample ID (trimmed; possibly
   * empty). Absent otherwise.
   */
  readonly reasoning?: Readonly<Record<string, string>>;
  readonly rows: readonly ResultRow[];
  readonly families: readonly FamilyRow[];
  readonly pairs: readonly PairRecord[];
  readonly counts: EvaluationCounts;
  /** With `settings.bound`: the bound's correlation with R-EMID across rows, and whether it held. */
  readonly boundValidation?: BoundValidation;
  /**
   * With `settings.bound`: each model policy's mean predictive entropy over its own response, by
   * sample ID (nats per token; NaN where it could not be scored), the policy's half of Ĥ.
   */
  readonly policyEntropies?: Readonly<Record<string, Readonly<Record<string, number>>>>;
}
