/**
 * The model worker's contract. Types only: the worker implements `ModelService` and the main
 * thread talks to it through `ModelClient`; both `import type` this file, so neither side can
 * drift from the other without the compiler noticing.
 */
import type { ProgressInfo } from '@huggingface/transformers';
import type { ChatMessage } from '../core/prompts/prompt.js';
import type { ModelFingerprint } from '../core/cache-key.js';
import type { ModelRef } from '../core/model/model-ref.js';

/** Where inference runs. `cpu` is onnxruntime-node (Node only); the browser has webgpu and wasm. */
export type DeviceName = 'webgpu' | 'wasm' | 'cpu';

/** Weight precision; picks the ONNX file (fp32 → model.onnx, q8 → model_quantized.onnx, ...). */
export type DType = 'fp32' | 'fp16' | 'q8' | 'q4' | 'q4f16';

export type { ModelRef };

export interface LoadOptions {
  /** Default: the model's own `transformers.js_config.dtype`, else fp32. */
  readonly dtype?: DType;
  /** Default 'auto': webgpu when an adapter exists, else wasm (cpu in Node). */
  readonly device?: DeviceName | 'auto';
}

/** transformers.js's own progress events, passed through unchanged. */
export type LoadProgress = ProgressInfo;

export interface LoadedModelInfo {
  readonly ref: ModelRef;
  readonly fingerprint: ModelFingerprint;
  readonly device: DeviceName;
  /** Why the device differs from the one asked for (e.g. no WebGPU adapter), if it does. */
  readonly deviceNote?: string;
  readonly hasChatTemplate: boolean;
  /** The longest sequence (context + response tokens) the model accepts. */
  readonly maxTokens: number;
  readonly vocabSize: number;
  readonly loadMs: number;
  /**
   * Where each response token's softmax statistics are computed: by onnxruntime ('native'), or
   * in JavaScript when the runtime could not build their graph (slower, same numbers).
   */
  readonly tokenStats: 'native' | 'javascript';
  /**
   * How responses are run: 'shared-context' (a context once, its responses continuing from its
   * cache), 'shared-context-one-row' (the same, one response per pass: GroupQueryAttention graphs),
   * 'alone' (every sequence by itself: graphs whose rows change each other's scores, such as
   * dynamic int8), or 'whole' (whole sequences packed in batches).
   */
  readonly scoring: ScoringPath;
  /**
   * For models not bundled with the app: the load-time comparison of continuing a shared context
   * with whole sequences on a probe (workers/model/sharing-probe.ts). When they disagreed, `scoring` is
   * 'whole' and `deviceNote` says why.
   */
  readonly sharingProbe?: SharingProbe;
}

export type ScoringPath = 'shared-context' | 'shared-context-one-row' | 'alone' | 'whole';

export interface SharingProbe {
  /** Largest |shared − whole| per response token on the probe (nats; NaN when lengths differed). */
  readonly maxAbsDiffNats: number;
  readonly toleranceNats: number;
  /** Why continuing the context failed outright, if it did. */
  readonly error?: string;
}

/** One context and the responses to score after it (the context can be shared between them). */
export interface ScoreGroup {
  readonly context: readonly ChatMessage[];
  readonly responses: readonly string[];
  /**
   * Text that opens the assistant turn before each response (e.g. the estimator's
   * "## Agent Response\n"); it conditions the response but is not scored.
   */
  readonly responsePrefix?: string;
}

export interface ScoreOptions {
  /**
   * Decode each token's display text (default true). The pipeline needs only the numbers, and
   * decoding every prefix of every response costs more than the model does for small models.
   */
  readonly tokenTexts?: boolean;
}

/** Teacher-forced log-probabilities of one response's tokens, in nats. */
export interface ResponseScore {
  /** The response's tokens, taken from one tokenization of context + response. */
  readonly tokenIds: Int32Array;
  /** Each token's text as displayed; empty when the call asked for no texts (ScoreOptions). */
  readonly tokenTexts: readonly string[];
  /** log p(token_t | everything before it), one per response token. */
  readonly logProbs: Float32Array;
  /** Rank of each token among the vocabulary at its position (1 = the model's top choice). */
  readonly ranks: Int32Array;
  /** Entropy of the model's next-token distribution at each response position, in nats. */
  readonly entropies: Float32Array;
  /** Mean of `entropies`: the model's predictive entropy over the response, nats per token. */
  readonly meanEntropy: number;
  readonly sumLogProb: number;
  readonly meanLogProb: number;
  /** Tokens before the response (template + context). */
  readonly contextTokens: number;
}

export interface ScoreTimings {
  readonly forwardMs: number;
  readonly sequences: number;
  readonly batches: number;
  /** Tokens run through the model, padding included. */
  readonly forwardTokens: number;
  /**
   * Sequences whose token statistics were computed inside the model's own pass (a context's
   * responses on the CPU or wasm), not gathered from its logits afterwards.
   */
  readonly fusedSequences: number;
}

export interface ScoreResult {
  /** `groups[g][r]` scores response r of group g. */
  readonly groups: readonly (readonly ResponseScore[])[];
  readonly timings: ScoreTimings;
}

export interface GenerateOptions {
  /** Default 256. */
  readonly maxNewTokens?: number;
  /** Default true (greedy); false samples with `temperature`, seeded by `seed`. */
  readonly greedy?: boolean;
  readonly temperature?: number;
  readonly seed?: number;
  /** Default 1.05, as the paper decodes role-play responses. */
  readonly repetitionPenalty?: number;
  /** Generation stops when the text contains any of these; the stop string is not returned. */
  readonly stop?: readonly string[];
}

export interface GenerateResult {
  readonly text: string;
  readonly tokenIds: readonly number[];
  readonly stoppedBy: 'eos' | 'stop' | 'length';
  readonly promptTokens: number;
  readonly ms: number;
}

/**
 * A text encoder for the bound's representation divergences: the input-embedding matrix of a
 * bundled demo model mean-pooled over each text's tokens (offline, the kind of encoder the EMI
 * paper used), or any transformers.js feature-extraction model on the Hub (mean-pooled).
 */
export type EncoderRef =
  | { readonly kind: 'input-embeddings'; readonly model: string }
  | { readonly kind: 'hub'; readonly id: string; readonly revision?: string; readonly dtype?: DType };

export interface EmbedResult {
  /** n × dims, row-major; every row has unit L2 norm. */
  readonly vectors: Float32Array;
  readonly dims: number;
  /** What the vectors depend on (cache keys, manifests). */
  readonly fingerprint: ModelFingerprint;
}

/** Called with each newly decoded piece of text while generating. */
export type TokenCallback = (textPiece: string) => void;
export type ProgressCallback = (progress: LoadProgress) => void;

export type { ModelErrorName } from '../core/errors.js';

export interface ModelService {
  /**
   * Loads a model (replacing any loaded one).
   * @throws ModelNotFoundError when the bundled folder or Hub id does not exist;
   *         ModelLoadError when its files are unusable; InvalidRequestError for a malformed id.
   */
  load(ref: ModelRef, options?: LoadOptions, onProgress?: ProgressCallback): Promise<LoadedModelInfo>;
  /**
   * Scores every response of every group, batching sequences of similar length.
   * @throws NoModelLoadedError; ContextTooLongError when a sequence exceeds the model's window;
   *         ResponseNotFoundError when the chat template alters a response.
   */
  score(groups: readonly ScoreGroup[], options?: ScoreOptions): Promise<ScoreResult>;
  /**
   * Generates the assistant's reply to `prompt` (messages rendered with the chat template, or raw
   * text), streaming pieces through `onToken`.
   * @throws NoModelLoadedError; ContextTooLongError.
   */
  generate(
    prompt: readonly ChatMessage[] | string,
    options?: GenerateOptions,
    onToken?: TokenCallback,
  ): Promise<GenerateResult>;
  /**
   * Embeds texts with `encoder` (loaded on first use and kept beside the language model):
   * L2-normalized, mean-pooled vectors.
   * @throws InvalidRequestError for an empty text or a malformed encoder; ModelNotFoundError;
   *         ModelLoadError.
   */
  embed(encoder: EncoderRef, texts: readonly string[]): Promise<EmbedResult>;
  /** Releases the loaded model and encoder. */
  dispose(): Promise<void>;
}
