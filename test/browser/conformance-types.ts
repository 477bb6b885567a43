/** What the browser conformance harness (conformance.worker.ts) hands back to the e2e test in Node. */
import type {
  DeviceName,
  DType,
  GenerateOptions,
  GenerateResult,
  LoadedModelInfo,
  ScoreGroup,
} from '../../src/protocol/model-service.js';
import type { ChatMessage } from '../../src/core/index.js';

/** One response's score as plain arrays (they cross the worker boundary and Playwright's). */
export interface PlainScore {
  readonly tokenIds: number[];
  readonly logProbs: number[];
  readonly contextTokens: number;
}

export interface CaseScores {
  readonly name: string;
  /** Per response, from the engine scoring the case's group. */
  readonly engine: PlainScore[];
  /** Per response, each a whole sequence by itself (batch 1, no sharing), where asked for. */
  readonly whole?: PlainScore[];
  /** Per response, the engine scoring it in a group of its own, where asked for. */
  readonly alone?: PlainScore[];
}

export interface ConformanceCase {
  readonly name: string;
  readonly context: ChatMessage[];
  readonly responses: readonly string[];
  /** Also score each response as a whole sequence by itself. */
  readonly whole: boolean;
  /** Also score each response by the engine in a group of its own (row-coupled graphs). */
  readonly alone: boolean;
}

/** Greedy generation with the key/value cache, and recomputed without one. */
export interface GenerationCheck {
  readonly promptTokens: number;
  /** The rendered prompt's tokens as the recomputation encoded them. */
  readonly promptIds: number;
  readonly cached: number[];
  readonly recomputed: number[];
}

export interface ConformanceRun {
  readonly info: LoadedModelInfo;
  readonly cases: CaseScores[];
  readonly generation?: GenerationCheck;
  /** The first failure, named, when a case could not be scored. */
  readonly error?: string;
}

/** The page's entry point: `window.conformance.run(...)`, each call in a fresh worker. */
export type ConformanceRunner = (
  folder: string,
  dtype: DType,
  device: DeviceName,
  renderDate: string,
  cases: readonly ConformanceCase[],
  /** A prompt to generate from with the cache and without (none: no generation check). */
  generationPrompt?: ChatMessage[],
) => Promise<ConformanceRun>;

/** What to run on a bundled model: generations (each prompt with the same settings), then one scoring call. */
export interface BundledWork {
  readonly generate?: { readonly prompts: readonly ChatMessage[][]; readonly options: GenerateOptions };
  readonly score?: readonly ScoreGroup[];
}

export interface BundledRun {
  readonly info: LoadedModelInfo;
  /** Per prompt, in order. */
  readonly generations: Pick<GenerateResult, 'text' | 'tokenIds' | 'stoppedBy'>[];
  /** Per group, per response, in order. */
  readonly scores: PlainScore[][];
  /** The first failure, named. */
  readonly error?: string;
}

/** `window.conformance.bundled(...)`: a bundled model loaded as the app loads it, in a fresh worker. */
export type BundledRunner = (id: string, device: DeviceName, work: BundledWork) => Promise<BundledRun>;

/** What the page exposes as `window.conformance`, and its worker through Comlink. */
export interface ConformanceApi {
  readonly run: ConformanceRunner;
  readonly bundled: BundledRunner;
}
