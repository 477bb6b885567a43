/**
 * The loaded model as every step takes it: the record `load` builds (inspect.ts) and preparing,
 * scoring and generation read, passed to each of them explicitly. Also the sequence a
 * (context, response) pair becomes, and the small helpers the steps share.
 */
import type { PreTrainedModel, PreTrainedTokenizer } from '@huggingface/transformers';
import type { LoadedModelInfo, ResponseScore } from '../../src/protocol/model-service.js';
import { ModelServiceError, type TokenSpan } from '../../src/core/index.js';
import type { GpuLoss } from './device-loss.js';
import type { OrtSession, TokenStatsEngine } from './token-stats.js';

export interface Loaded {
  readonly model: PreTrainedModel;
  readonly tokenizer: PreTrainedTokenizer;
  readonly info: LoadedModelInfo;
  /** The day chat templates print (template-date.ts): fixed when the model loads. */
  readonly renderDay: Date;
  readonly canKeepLastLogits: boolean;
  /** Whether responses can continue from a context's key/value cache (see shared-context.ts). */
  readonly canShareContext: boolean;
  /**
   * Rows per suffix batch: 1 for graphs that refuse several rows of several new tokens after a
   * cache (GroupQueryAttention), found from the graph's operators or from its first refusal.
   */
  suffixRows: number;
  /**
   * Whether a row's scores depend on what else runs in the same pass (dynamic int8: one
   * quantization scale per pass). Such a model scores every sequence alone, in fixed chunks
   * from its start, so a score depends on its own sequence only.
   */
  readonly rowCoupled: boolean;
  /** Per-token log-prob, entropy and rank from logits (token-stats.ts). */
  readonly tokenStats: TokenStatsEngine;
  /**
   * The model's graph with those statistics computed inside it, made on first use (it loads the
   * weights a second time); null where that is not available (token-stats.ts, fusedStatsSession).
   */
  readonly fusedStats: Lazy<OrtSession | null>;
  /** Watches the WebGPU device it runs on (device-loss.ts); absent on the CPU and wasm. */
  readonly gpuLoss?: GpuLoss;
}

/** One (context, response) pair, rendered and tokenized once. */
export interface PreparedSequence {
  readonly ids: number[];
  readonly span: TokenSpan;
}

/** Tokens in a sequence's response. */
export const responseTokens = ({ span }: PreparedSequence) => span.end - span.start;

/** How a group of sequences was scored, as the timings count it. */
export interface GroupScores {
  readonly scores: ResponseScore[];
  readonly forwardTokens: number;
  readonly batches: number;
  /** Whether the token statistics came from the fused graph. */
  readonly fused: boolean;
}

export const fail = (name: ConstructorParameters<typeof ModelServiceError>[0], message: string): never => {
  throw new ModelServiceError(name, message);
};

/** `make`'s promise, made on the first `get` and shared by every later one. */
export class Lazy<T> {
  made: Promise<T> | undefined;
  constructor(private readonly make: () => Promise<T>) {}
  get(): Promise<T> {
    return (this.made ??= this.make());
  }
}
