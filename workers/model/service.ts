/**
 * The model service: loads a causal LM with transformers.js and scores or generates with it.
 * A plain object with no worker globals, so the same code runs in the browser worker
 * (workers/model.worker.ts) and in Node (integration tests, command line).
 */
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  env,
  random,
  StoppingCriteria,
  Tensor,
  TextStreamer,
  type PreTrainedModel,
  type PreTrainedTokenizer,
} from '@huggingface/transformers';
import type {
  DeviceName,
  DType,
  EmbedResult,
  EncoderRef,
  GenerateOptions,
  GenerateResult,
  LoadedModelInfo,
  LoadOptions,
  ModelRef,
  ModelService,
  ProgressCallback,
  ResponseScore,
  ScoreGroup,
  ScoreOptions,
  ScoreResult,
  SharingProbe,
  TokenCallback,
} from '../../src/protocol/model-service.js';
import {
  ModelServiceError,
  planBatches,
  renderPlainChat,
  RESPONSE_MARKER,
  locateResponse,
  tokenSpanFromChars,
  summarizeLogProbs,
  piecesFromPrefixes,
  cutAtStop,
  type BatchBudget,
  type BundledManifest,
  type BundledModelEntry,
  type ChatMessage,
  type ModelFingerprint,
  type TokenSpan,
  describeRef,
  DTYPE_SUFFIXES,
  folderDType,
  graphOps,
  validateRef,
  externalDataChunks,
  type FolderDType,
  type ModelFolderManifest,
} from '../../src/core/index.js';
import { encodeWithContext, type ContextTokens } from './context-tokens.js';
import { createEncoderHost } from './encoder.js';
import { isoDay, strftime, templatePrintsDate } from './template-date.js';
import { unlessLost, watchGpuLoss, type GpuLoss } from './device-loss.js';
import { largestDifference, PROBE_GROUP, probeAgreed, probeNote, probeToleranceNats } from './sharing-probe.js';
import { createHubCommitResolver, hubFilesHash, type HubCommitResolver } from './hub-commit.js';
import {
  fusedStatsSession,
  jsTokenStats,
  nativeTokenStats,
  type OrtSession,
  type TokenStatsBatch,
  type TokenStatsEngine,
} from './token-stats.js';
import {
  canShareContext,
  commonPrefixLength,
  disposePrefix,
  logitsData,
  runPrefix,
  runPrefixFused,
  runSequenceStats,
  runSuffixBatch,
  runSuffixStats,
} from './shared-context.js';

export interface ModelServiceConfig {
  /** Folder of the bundled models: '/models/' (a URL path) in the browser, an absolute path in Node. */
  readonly bundledModelPath: string;
  readonly loadManifest: () => Promise<BundledManifest>;
  /** What 'auto' resolves to on this platform. */
  readonly detectDevice: () => Promise<{ device: DeviceName; note?: string }>;
  /** The bytes of a file inside a bundled model's folder (the bundled encoder reads its ONNX file). */
  readonly readBundledFile: (modelId: string, file: string) => Promise<Uint8Array>;
  /** Folder of the stored model folders ('/model-folders/' in the browser), if this platform has them. */
  readonly folderModelPath?: string;
  /** A stored model folder's description (its files' hashes), written when it was stored. */
  readonly readFolderManifest?: (name: string) => Promise<ModelFolderManifest>;
  /**
   * Sets where transformers.js may look before a load (the browser keeps only Hub downloads in
   * transformers.js's own cache: bundled files and folders are the app's already).
   */
  readonly beforeLoad?: (ref: ModelRef) => void;
  /** Names the commit a Hub revision points to (default: ask the Hub's API). */
  readonly resolveHubCommit?: HubCommitResolver;
  readonly batchBudget?: Partial<BatchBudget>;
  /**
   * Score a context's responses continuing from one pass over the context (default true); false
   * runs every sequence whole, packed by length (equivalence tests).
   */
  readonly shareContexts?: boolean;
  /**
   * 'reference' scores the reference algorithm's way, for benchmarks: every (context, response)
   * pair a whole forward pass of its own, with logits at every position.
   */
  readonly engine?: 'optimized' | 'reference';
  /** 'javascript' skips the native token-stats graph (benchmarks compare the two). */
  readonly tokenStats?: 'native' | 'javascript';
  /**
   * The bytes of a file in a bundled model's or a stored folder's model (not Hub downloads): the
   * ONNX graph read again to fuse the token statistics into it. Without it, scoring gathers logits.
   */
  readonly readModelFile?: (ref: ModelRef, file: string) => Promise<Uint8Array>;
  /** false gathers logits for the token statistics even where they could be fused (tests compare the two). */
  readonly fuseTokenStats?: boolean;
  /** Today, for chat templates that print the date (tests fix it); read when a model loads. */
  readonly now?: () => Date;
}

/** Floats of logits gathered for one call of the token-stats engine (64 MiB). */
const TOKEN_STATS_FLOATS = 16 * 1024 * 1024;

/**
 * Rows per suffix batch on the CPU (and wasm): a few rows already fill its matrix products, and
 * more only add padding (rows are sorted by length, but a context's responses vary widely).
 */
const CPU_SUFFIX_ROWS = 4;

/** GroupQueryAttention's refusal of several rows of several new tokens after a cache. */
const REFUSES_ROWS = /batch_size must be 1 when sequence_length > 1 and past context is given/;

/** Defaults sized for a laptop: ~64 MiB of logits and 8k padded tokens per forward pass. */
const DEFAULT_BUDGET = { maxPaddedTokens: 8192, maxLogitFloats: 16 * 1024 * 1024, maxBatchSize: 32 };

interface Loaded {
  readonly model: PreTrainedModel;
  readonly tokenizer: PreTrainedTokenizer;
  readonly info: LoadedModelInfo;
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
  /** Watches the WebGPU device it runs on (gpu-loss.ts); absent on the CPU and wasm. */
  readonly gpuLoss?: GpuLoss;
}

/** One (context, response) pair, rendered and tokenized once. */
interface PreparedSequence {
  readonly ids: number[];
  readonly span: TokenSpan;
}

const fail = (name: ConstructorParameters<typeof ModelServiceError>[0], message: string): never => {
  throw new ModelServiceError(name, message);
};

/**
 * What onnxruntime says of a graph file it cannot parse: "Protobuf parsing failed" (Node), "Can't
 * create a session ... protobuf parsing failed" (web). Neither names the file in the browser.
 */
const CORRUPT_GRAPH = /protobuf parsing failed|INVALID_PROTOBUF|can't create a session|failed to load model/i;

/** Maps a transformers.js load failure to a named error a user can act on. */
function loadError(ref: ModelRef, error: unknown, dtype: DType): ModelServiceError {
  const message = error instanceof Error ? error.message : String(error);
  const where = describeRef(ref);
  if (/could not locate|not found|404|unauthorized|401/i.test(message)) {
    return new ModelServiceError('ModelNotFoundError', `${where} was not found (${message})`);
  }
  if (CORRUPT_GRAPH.test(message)) {
    const suffix = Object.hasOwn(DTYPE_SUFFIXES, dtype) ? DTYPE_SUFFIXES[dtype as FolderDType] : null;
    const graph = suffix === null ? `its ${dtype} ONNX graph` : `onnx/model${suffix}.onnx`;
    return new ModelServiceError(
      'ModelLoadError',
      `${where} could not be loaded: ${graph} is not a valid ONNX graph (the file is corrupt or cut short; copy or export it again) (${message})`,
    );
  }
  return new ModelServiceError('ModelLoadError', `${where} could not be loaded: ${message}`);
}

/** The precision to load when the caller names none: what the model ships, else small for the device. */
function defaultDtype(device: DeviceName, shipped: { bundled?: DType; folder?: ModelFolderManifest; own?: unknown }) {
  if (shipped.bundled) return shipped.bundled;
  const deviceClass = device === 'webgpu' ? 'gpu' : 'cpu';
  if (shipped.folder) return folderDType(shipped.folder, deviceClass, shipped.own);
  return device === 'webgpu' ? 'q4' : 'q8';
}

function maxTokensOf(model: PreTrainedModel, tokenizer: PreTrainedTokenizer): number {
  const config = model.config as unknown as Record<string, unknown>;
  const fromConfig = [config.max_position_embeddings, config.n_positions].find(
    (v): v is number => typeof v === 'number' && v > 0,
  );
  const fromTokenizer = (tokenizer as unknown as { model_max_length?: number }).model_max_length;
  return fromConfig ?? (fromTokenizer && fromTokenizer < 1e7 ? fromTokenizer : 2048);
}

export function createModelService(config: ModelServiceConfig): ModelService {
  let loaded: Loaded | null = null;
  let manifest: BundledManifest | null = null;
  const resolveHubCommit = config.resolveHubCommit ?? createHubCommitResolver();
  const encoders = createEncoderHost({
    ...config,
    resolveHubCommit,
    loadManifest: async () => (manifest ??= await config.loadManifest()),
  });

  const requireLoaded = (): Loaded => loaded ?? fail('NoModelLoadedError', 'no model is loaded: load one first');

  /** The day templates print (template-date.ts): fixed when a model loads. */
  let renderDay = new Date();

  function render(tokenizer: PreTrainedTokenizer, messages: readonly ChatMessage[], addGenerationPrompt: boolean) {
    if (!tokenizer.chat_template) return renderPlainChat(messages, addGenerationPrompt);
    return tokenizer.apply_chat_template(
      messages as ChatMessage[],
      {
        tokenize: false,
        add_generation_prompt: addGenerationPrompt,
        // Llama 3.x templates print `date_string` when it is given, else today from the clock.
        ...(templatePrintsDate(tokenizer.chat_template) ? { date_string: strftime(renderDay, '%d %b %Y') } : {}),
      } as Parameters<PreTrainedTokenizer['apply_chat_template']>[1],
    ) as string;
  }

  const decode = (tokenizer: PreTrainedTokenizer, ids: number[]) =>
    tokenizer.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false });

  /**
   * What a context's responses share while they are prepared: the template rendered with the
   * marker (it does not depend on the response), and the first sequence's tokens, the decoded
   * prefixes the others reuse as far as their tokens agree with it, and its span, where the
   * others' spans are looked for first (same start, same number of template tokens after); and
   * the context's own tokens (context-tokens.ts).
   */
  interface GroupMemo extends ContextTokens {
    marked?: string;
    first?: FirstSequence;
  }
  interface FirstSequence {
    readonly ids: readonly number[];
    readonly texts: Map<number, string>;
    span?: TokenSpan;
  }

  function prepare(
    current: Loaded,
    context: readonly ChatMessage[],
    response: string,
    prefix = '',
    memo: GroupMemo = {},
  ): PreparedSequence {
    const { tokenizer, info } = current;
    if (!response) fail('InvalidRequestError', 'an empty response has no tokens to score');
    memo.marked ??= render(tokenizer, [...context, { role: 'assistant', content: prefix + RESPONSE_MARKER }], false);
    // Templates that trim a message's content (Gemma's, Llama's) render a response without its
    // outer whitespace: the model is conditioned on, and scored on, the text as rendered.
    let full = '';
    let chars;
    let notFound: unknown;
    for (const text of new Set([response, response.trimEnd(), response.trim()])) {
      if (!text) continue;
      full = render(tokenizer, [...context, { role: 'assistant', content: prefix + text }], false);
      try {
        chars = locateResponse(full, memo.marked, text);
        break;
      } catch (error) {
        notFound ??= error;
      }
    }
    if (!chars)
      return fail('ResponseNotFoundError', (notFound as Error | undefined)?.message ?? 'the response is blank');
    const ids = encodeWithContext(tokenizer, full, chars.start, memo);
    const first: FirstSequence = (memo.first ??= { ids, texts: new Map() });
    const agreed = first.ids === ids ? ids.length : commonPrefixLength([first.ids, ids], ids.length);
    const ownTexts = new Map<number, string>();
    const prefixText = (n: number): string => {
      if (n > agreed && tail === undefined) tail = tailDecoder();
      if (n > agreed && tail) return tail(n);
      const texts = n <= agreed ? first.texts : ownTexts;
      let text = texts.get(n);
      if (text === undefined) texts.set(n, (text = decode(tokenizer, ids.slice(0, n))));
      return text;
    };
    // Past the tokens it shares with the group's first sequence, a prefix's text is the shared
    // part's plus its own tokens' (byte-level decoders), when the two together give back the
    // rendered text: the binary search then decodes only the short tail, never the context again.
    let tail: ((n: number) => string) | null | undefined;
    const tailDecoder = () => {
      const head = prefixText(agreed);
      return full === head + decode(tokenizer, ids.slice(agreed))
        ? (n: number) => head + decode(tokenizer, ids.slice(agreed, n))
        : null;
    };
    const guess = first.span && { start: first.span.start, end: ids.length - (first.ids.length - first.span.end) };
    const span = tokenSpanFromChars(prefixText, ids.length, chars, guess);
    first.span ??= span;
    if (span.start < 1) fail('ResponseNotFoundError', 'the response starts the sequence: it has no context');
    if (ids.length > info.maxTokens) {
      fail(
        'ContextTooLongError',
        `context + response is ${ids.length} tokens; ${info.ref.id} accepts at most ${info.maxTokens}`,
      );
    }
    // The template's tokens after the response (end of turn) cannot change a causal model's
    // predictions of the response: they are never run.
    return { ids: ids.slice(0, span.end), span };
  }

  /** A response to score: its sequence, and where the logits after each position are. */
  interface RowRequest {
    readonly sequence: PreparedSequence;
    /** The array and row holding the logits after position p (they predict the token at p + 1). */
    readonly logitsAt: (position: number) => readonly [Float32Array, number];
  }

  /**
   * Scores responses from their logits: each response token's row is gathered into one matrix
   * (in chunks that bound its size) and the statistics come from the token-stats engine.
   */
  async function scoreRows(current: Loaded, requests: readonly RowRequest[], withTexts: boolean) {
    const { tokenizer, info } = current;
    const vocab = info.vocabSize;
    const chunkTokens = Math.max(1, Math.floor(TOKEN_STATS_FLOATS / vocab));
    const scores: ResponseScore[] = [];
    for (let first = 0; first < requests.length;) {
      // Whole responses per chunk: at least one, then as many as fit.
      let last = first;
      let tokens = 0;
      do {
        tokens += responseTokens(requests[last]!.sequence);
        last++;
      } while (last < requests.length && tokens + responseTokens(requests[last]!.sequence) <= chunkTokens);
      const rows = new Float32Array(tokens * vocab);
      const targets = new Int32Array(tokens);
      let k = 0;
      for (const { sequence, logitsAt } of requests.slice(first, last)) {
        for (let p = sequence.span.start; p < sequence.span.end; p++, k++) {
          const [logits, row] = logitsAt(p - 1);
          rows.set(logits.subarray(row * vocab, (row + 1) * vocab), k * vocab);
          targets[k] = sequence.ids[p]!;
        }
      }
      const stats = await current.tokenStats(rows, targets, vocab);
      k = 0;
      for (const { sequence } of requests.slice(first, last)) {
        const n = responseTokens(sequence);
        scores.push(
          responseScore(
            tokenizer,
            sequence,
            {
              logProbs: stats.logProbs.slice(k, k + n),
              entropies: stats.entropies.slice(k, k + n),
              ranks: stats.ranks.slice(k, k + n),
            },
            withTexts,
          ),
        );
        k += n;
      }
      first = last;
    }
    return scores;
  }

  /** Tokens in a sequence's response. */
  const responseTokens = ({ span }: PreparedSequence) => span.end - span.start;

  /** A response's score from its tokens' statistics (in order, one per response token). */
  function responseScore(
    tokenizer: PreTrainedTokenizer,
    { ids, span }: PreparedSequence,
    stats: TokenStatsBatch,
    withTexts: boolean,
  ): ResponseScore {
    const n = span.end - span.start;
    const prefixTexts = withTexts
      ? Array.from({ length: n }, (_, t) => decode(tokenizer, ids.slice(span.start, span.start + t + 1)))
      : [];
    return {
      tokenIds: Int32Array.from(ids.slice(span.start, span.end)),
      tokenTexts: piecesFromPrefixes(prefixTexts),
      ...stats,
      meanEntropy: summarizeLogProbs(stats.entropies).meanLogProb,
      ...summarizeLogProbs(stats.logProbs),
      contextTokens: span.start,
    };
  }

  async function runBatch(
    current: Loaded,
    sequences: PreparedSequence[],
    paddedLength: number,
    keepLast: number,
    withTexts: boolean,
  ) {
    const { model, tokenizer, info } = current;
    const rows = sequences.length;
    const padId = BigInt(tokenizer.pad_token_id ?? tokenizer.eos_token_id ?? 0);
    const inputIds = new BigInt64Array(rows * paddedLength).fill(padId);
    const attentionMask = new BigInt64Array(rows * paddedLength);
    sequences.forEach(({ ids }, r) => {
      ids.forEach((id, p) => {
        inputIds[r * paddedLength + p] = BigInt(id);
        attentionMask[r * paddedLength + p] = 1n;
      });
    });
    const inputs: Record<string, Tensor> = {
      input_ids: new Tensor('int64', inputIds, [rows, paddedLength]),
      attention_mask: new Tensor('int64', attentionMask, [rows, paddedLength]),
    };
    if (keepLast > 0) inputs.num_logits_to_keep = new Tensor('int64', [BigInt(keepLast)], []);
    const output = (await model(inputs)) as { logits: Tensor } & Record<string, unknown>;
    const logits = output.logits;
    const [, keptRows, vocab] = logits.dims as [number, number, number];
    if (vocab !== info.vocabSize) fail('ModelLoadError', `logits have ${vocab} columns, expected ${info.vocabSize}`);
    const data = await logitsData(logits);
    // Padding is on the right: row r's kept logits are its last `keptRows` padded positions.
    const firstKept = paddedLength - keptRows;
    const scores = await scoreRows(
      current,
      sequences.map((sequence, r) => ({ sequence, logitsAt: (p) => [data, r * keptRows + p - firstKept] })),
      withTexts,
    );
    disposeOutputs(output);
    return scores;
  }

  /**
   * Scores one context's sequences continuing from a single pass over what they share: the
   * prefix once, then the suffixes in batches over the prefix's cache, keeping only response
   * positions. With the statistics fused into the graph (token-stats.ts), a batch hands back three
   * numbers per response token; otherwise its logits, gathered for the token-stats engine. Null
   * when the sequences share nothing to run once.
   */
  async function scoreSharedContext(current: Loaded, sequences: readonly PreparedSequence[], withTexts: boolean) {
    const { model, tokenizer, info } = current;
    const fused = await current.fusedStats.get();
    // Fused, every response token's statistics come from a suffix row, so the prefix stops one
    // token before the earliest response; otherwise the prefix's last logits predict its first token.
    const shared = commonPrefixLength(
      sequences.map((s) => s.ids),
      Math.min(...sequences.map((s) => s.span.start)) - (fused ? 1 : 0),
    );
    if (shared < 1) return null;
    const prefixIds = sequences[0]!.ids.slice(0, shared);
    const prefix =
      (fused && (await runPrefixFused(fused, prefixIds, info.vocabSize))) ||
      (await runPrefix(model, prefixIds, info.vocabSize));
    if (!prefix) return null;
    const suffixes = sequences.map((s) => s.ids.slice(shared));
    const budget = { ...DEFAULT_BUDGET, ...config.batchBudget };
    const longest = Math.max(...suffixes.map((x) => x.length));
    const batches = planBatches(
      sequences.map((s, i) => ({
        length: suffixes[i]!.length,
        // From the position before the response's first token, or the whole suffix when that is in the prefix.
        keepLast: Math.min(suffixes[i]!.length, s.ids.length - s.span.start + 1),
      })),
      {
        ...budget,
        // Every row carries a copy of the prefix's cache: bound rows × (prefix + suffix) tokens too.
        maxBatchSize: Math.max(
          1,
          Math.min(budget.maxBatchSize, Math.floor(budget.maxPaddedTokens / (shared + longest)), current.suffixRows),
        ),
        vocabSize: info.vocabSize,
        canKeepLastLogits: true,
      },
    );
    const padId = Number(tokenizer.pad_token_id ?? tokenizer.eos_token_id ?? 0);
    const scores = new Array<ResponseScore>(sequences.length);
    let forwardTokens = shared;
    let refused = false;
    try {
      for (const batch of batches) {
        const rows = batch.indices.map((i) => suffixes[i]!);
        const keep = Math.min(batch.keepLast || batch.paddedLength, batch.paddedLength);
        forwardTokens += rows.length * batch.paddedLength;
        if (fused) {
          const run = await runSuffixStats(fused, prefix, rows, batch.paddedLength, keep, padId);
          const firstKept = batch.paddedLength - run.keptRows;
          batch.indices.forEach((i, r) => {
            const sequence = sequences[i]!;
            // The statistics of the token at p sit at the kept position p − 1.
            const from = r * run.keptRows + (sequence.span.start - 1 - shared) - firstKept;
            const to = from + responseTokens(sequence);
            scores[i] = responseScore(
              tokenizer,
              sequence,
              {
                logProbs: run.logProbs.slice(from, to),
                entropies: Float32Array.from(run.entropies.subarray(from, to), (h) => Math.max(0, h)),
                ranks: Int32Array.from(run.larger.subarray(from, to), (l) => l + 1),
              },
              withTexts,
            );
          });
          continue;
        }
        const run = await runSuffixBatch(model, prefix, rows, batch.paddedLength, keep, padId);
        const firstKept = batch.paddedLength - run.keptRows;
        const rowScores = await scoreRows(
          current,
          batch.indices.map((i, r) => ({
            sequence: sequences[i]!,
            logitsAt: (p) =>
              p < shared ? [prefix.lastLogits!, 0] : [run.logits, r * run.keptRows + (p - shared) - firstKept],
          })),
          withTexts,
        );
        batch.indices.forEach((i, r) => (scores[i] = rowScores[r]!));
        run.dispose();
      }
    } catch (error) {
      // Where the graph's operators could not be read (Hub downloads), its first refusal of
      // several rows says so: from then on one row per suffix pass.
      if (current.suffixRows === 1 || !REFUSES_ROWS.test((error as Error).message)) throw error;
      current.suffixRows = 1;
      refused = true;
    } finally {
      disposePrefix(prefix);
    }
    if (refused) return scoreSharedContext(current, sequences, withTexts);
    return { scores, forwardTokens, batches: batches.length + 1, fused: fused !== null };
  }

  /**
   * One sequence scored alone, in fixed chunks from its start (shared-context.ts, runSequenceStats),
   * for row-coupled graphs; where the statistics cannot be fused, its context then its response.
   */
  async function scoreAlone(current: Loaded, sequence: PreparedSequence, withTexts: boolean) {
    const fused = await current.fusedStats.get();
    const stats = fused && (await runSequenceStats(fused, sequence.ids, sequence.span.start, current.info.vocabSize));
    if (stats) {
      const score = responseScore(
        current.tokenizer,
        sequence,
        {
          logProbs: stats.logProbs,
          entropies: Float32Array.from(stats.entropies, (h) => Math.max(0, h)),
          ranks: Int32Array.from(stats.larger, (l) => l + 1),
        },
        withTexts,
      );
      return { scores: [score], forwardTokens: sequence.ids.length, batches: 1, fused: true };
    }
    return scoreSharedContext(current, [sequence], withTexts);
  }

  /** A row-coupled model's sequences, each alone (null where one of them cannot be). */
  async function scoreEachAlone(current: Loaded, sequences: readonly PreparedSequence[], withTexts: boolean) {
    const out = { scores: [] as ResponseScore[], forwardTokens: 0, batches: 0, fused: true };
    for (const sequence of sequences) {
      const one = await scoreAlone(current, sequence, withTexts);
      if (!one) return null;
      out.scores.push(one.scores[0]!);
      out.forwardTokens += one.forwardTokens;
      out.batches += one.batches;
      out.fused &&= one.fused;
    }
    return out;
  }

  /**
   * Scores the probe context's responses continuing from the context's cache and each as a whole
   * sequence alone, on the model just loaded (sharing-probe.ts); undefined where there is nothing
   * to compare (the probe does not fit the model's template or window, or shares no context).
   */
  async function probeSharing(current: Loaded, dtype: DType, device: DeviceName): Promise<SharingProbe | undefined> {
    const toleranceNats = probeToleranceNats(dtype, device);
    const memo: GroupMemo = {};
    let sequences;
    try {
      sequences = PROBE_GROUP.responses.map((r) => prepare(current, PROBE_GROUP.context, r, '', memo));
    } catch {
      // A template that cannot render the probe (or a window too small for it) leaves nothing to compare.
      return undefined;
    }
    try {
      const shared = await scoreSharedContext(current, sequences, false);
      if (!shared) return undefined;
      let maxAbsDiffNats = 0;
      for (const [i, sequence] of sequences.entries()) {
        const keep = current.canKeepLastLogits ? responseTokens(sequence) + 1 : 0;
        const [whole] = await runBatch(current, [sequence], sequence.ids.length, keep, false);
        maxAbsDiffNats = Math.max(maxAbsDiffNats, largestDifference(shared.scores[i]!.logProbs, whole!.logProbs));
      }
      return { maxAbsDiffNats, toleranceNats };
    } catch (error) {
      return { maxAbsDiffNats: NaN, toleranceNats, error: (error as Error).message };
    }
  }

  /** Loads a model, after disposing of the one loaded. */
  async function loadModel(
    ref: ModelRef,
    options: LoadOptions = {},
    onProgress?: ProgressCallback,
  ): Promise<LoadedModelInfo> {
    validateRef(ref);
    await service.dispose();
    const started = performance.now();
    let entry: BundledModelEntry | undefined;
    let folder: ModelFolderManifest | undefined;
    if (ref.source === 'bundled') {
      manifest ??= await config.loadManifest();
      entry = manifest.models.find((m) => m.id === ref.id);
      if (!entry) fail('ModelNotFoundError', `"${ref.id}" is not one of the bundled models`);
    } else if (ref.source === 'folder') {
      if (!config.folderModelPath || !config.readFolderManifest) {
        fail('InvalidRequestError', 'model folders are not available here');
      }
      try {
        folder = await config.readFolderManifest!(ref.id);
      } catch (error) {
        // A folder read from disk (the command line) is checked as it is read: say what is wrong with it.
        if ((error as Error).name === 'ModelFolderError') {
          fail('ModelLoadError', `model folder "${ref.id}" could not be loaded: ${(error as Error).message}`);
        }
        fail('ModelNotFoundError', `model folder "${ref.id}" is not stored here (${(error as Error).message})`);
      }
    }
    const wanted = options.device ?? 'auto';
    // Asked for WebGPU: still ask the browser, so the adapter's name is reported.
    const probed = wanted === 'auto' || wanted === 'webgpu' ? await config.detectDevice() : null;
    const detected =
      wanted === 'auto' || (wanted === 'webgpu' && probed?.device === 'webgpu') ? probed! : { device: wanted };
    const attempt = async (device: DeviceName) => {
      const dtype = options.dtype ?? defaultDtype(device, { bundled: entry?.dtype, folder });
      if (folder && !folder.dtypes.includes(dtype as FolderDType)) {
        fail('ModelLoadError', `model folder "${ref.id}" has no ${dtype} weights (it has ${folder.dtypes.join(', ')})`);
      }
      Object.assign(env, {
        allowLocalModels: ref.source !== 'hub',
        allowRemoteModels: ref.source === 'hub',
        localModelPath: ref.source === 'folder' ? config.folderModelPath : config.bundledModelPath,
      });
      config.beforeLoad?.(ref);
      const common = {
        progress_callback: onProgress,
        ...(ref.source === 'hub' && ref.revision ? { revision: ref.revision } : {}),
      };
      try {
        const tokenizer = await AutoTokenizer.from_pretrained(ref.id, common);
        const model = await AutoModelForCausalLM.from_pretrained(ref.id, {
          ...common,
          device,
          dtype,
          // A folder exported without transformers.js's config still loads its weights' external data.
          ...(folder ? { use_external_data_format: externalDataChunks(folder, dtype as FolderDType) } : {}),
        });
        return { tokenizer, model, dtype };
      } catch (error) {
        throw loadError(ref, error, dtype);
      }
    };
    let device = detected.device;
    let deviceNote = 'note' in detected ? detected.note : undefined;
    let result;
    try {
      result = await attempt(device);
    } catch (error) {
      // A WebGPU failure (no f16, device lost, unsupported op) is not the model's fault: fall back.
      if (device !== 'webgpu' || (error as Error).name === 'ModelNotFoundError') throw error;
      deviceNote = `WebGPU failed (${(error as Error).message}); running on wasm instead`;
      device = 'wasm';
      result = await attempt(device);
    }
    const { tokenizer, model, dtype } = result;
    const session = (model as unknown as { sessions: Record<string, { inputNames: string[] }> }).sessions.model;
    const revision = ref.source === 'hub' ? (ref.revision ?? 'main') : '';
    renderDay = config.now?.() ?? new Date();
    const fingerprint: ModelFingerprint = {
      modelId: `${ref.source}:${ref.id}`,
      filesHash:
        entry?.filesHash ?? folder?.filesHash ?? hubFilesHash(revision, await resolveHubCommit(ref.id, revision)),
      dtype,
      deviceClass: device === 'webgpu' ? 'gpu' : 'cpu',
      ...(templatePrintsDate(tokenizer.chat_template) ? { renderDate: isoDay(renderDay) } : {}),
    };
    const native =
      config.tokenStats === 'javascript' ? null : await nativeTokenStats(model, device !== 'cpu').catch(() => null);
    const statsEngine = native ?? jsTokenStats;
    const graphFile = `onnx/model${DTYPE_SUFFIXES[dtype as FolderDType] ?? ''}.onnx`;
    // The graph's operators decide how it may run, where its file can be read (not Hub downloads).
    const ops =
      ref.source !== 'hub' && config.readModelFile && !(folder && externalDataChunks(folder, dtype as FolderDType) > 0)
        ? await config
            .readModelFile(ref, graphFile)
            .then(graphOps)
            .catch(() => null)
        : null;
    const optimized = config.engine !== 'reference' && config.shareContexts !== false;
    const shares = optimized && canShareContext(model, ops);
    const suffixRows = ops?.has('GroupQueryAttention') ? 1 : device === 'webgpu' ? Infinity : CPU_SUFFIX_ROWS;
    // transformers.js's q8 files are dynamic int8; read from the graph where it can be.
    const rowCoupled = optimized && (ops ? ops.has('DynamicQuantizeLinear') : dtype === 'q8');
    const gpuLoss = device === 'webgpu' ? await watchGpuLoss() : undefined;
    const current: Loaded = {
      model,
      tokenizer,
      info: {
        ref,
        tokenStats: native ? 'native' : 'javascript',
        fingerprint,
        device,
        ...(deviceNote ? { deviceNote } : {}),
        hasChatTemplate: Boolean(tokenizer.chat_template),
        maxTokens: maxTokensOf(model, tokenizer),
        vocabSize: (model.config as unknown as { vocab_size: number }).vocab_size,
        loadMs: 0,
        scoring: 'whole',
      },
      canKeepLastLogits: Boolean(session?.inputNames.includes('num_logits_to_keep')),
      canShareContext: shares,
      suffixRows,
      rowCoupled,
      tokenStats: statsEngine,
      ...(gpuLoss ? { gpuLoss } : {}),
      fusedStats: new Lazy(async () => {
        const file = ref.source === 'hub' ? null : `onnx/model${DTYPE_SUFFIXES[dtype as FolderDType] ?? ''}.onnx`;
        if (
          !native ||
          !file ||
          !config.readModelFile ||
          config.fuseTokenStats === false ||
          (device !== 'cpu' && device !== 'wasm')
        )
          return null;
        if (folder && externalDataChunks(folder, dtype as FolderDType) > 0) return null;
        const graph = await config.readModelFile(ref, file).catch(() => null);
        return graph && fusedStatsSession(model, graph, device !== 'cpu');
      }),
    };
    // Our own models are tested by the suites; any other export is checked once, here. The probe
    // also meets a GroupQueryAttention graph's refusal of several rows where its file was unread.
    const sharingProbe =
      ref.source !== 'bundled' && shares && !rowCoupled ? await probeSharing(current, dtype, device) : undefined;
    const agreed = !sharingProbe || probeAgreed(sharingProbe);
    const canShare = shares && agreed;
    const note = agreed ? deviceNote : [deviceNote, probeNote(sharingProbe)].filter(Boolean).join('; ');
    loaded = {
      ...current,
      canShareContext: canShare,
      info: {
        ...current.info,
        ...(note ? { deviceNote: note } : {}),
        loadMs: performance.now() - started,
        scoring: rowCoupled
          ? 'alone'
          : !canShare
            ? 'whole'
            : current.suffixRows === 1
              ? 'shared-context-one-row'
              : 'shared-context',
        ...(sharingProbe ? { sharingProbe } : {}),
      },
    };
    return loaded.info;
  }

  /**
   * Runs `work` on the loaded model. When its WebGPU device is lost before or during the work,
   * fails with DeviceLostError: onnxruntime-web's runtime is left unusable, wasm sessions
   * included, so the caller starts a fresh worker and loads the model again (on wasm).
   */
  async function onDevice<T>(work: (current: Loaded) => Promise<T>): Promise<T> {
    const current = requireLoaded();
    const loss = current.gpuLoss;
    if (!loss) return work(current);
    try {
      return await unlessLost(loss, work(current));
    } catch (error) {
      // onnxruntime's error can come a moment before the device reports its loss.
      if (loss.reason === undefined) await Promise.race([loss.lost, new Promise((r) => setTimeout(r, 200))]);
      if (loss.reason === undefined) throw error;
      return fail('DeviceLostError', `the WebGPU device was lost (${loss.reason})`);
    }
  }

  const service = {
    load: loadModel,

    score: (groups: readonly ScoreGroup[], options: ScoreOptions = {}): Promise<ScoreResult> =>
      onDevice(async (current) => {
        const withTexts = options.tokenTexts ?? true;
        const started = performance.now();
        const prepared = groups.map((group) => {
          const memo: GroupMemo = {};
          return group.responses.map((response) =>
            prepare(current, group.context, response, group.responsePrefix, memo),
          );
        });
        const results: ResponseScore[][] = groups.map((g) => new Array<ResponseScore>(g.responses.length));
        let forwardTokens = 0;
        let batchCount = 0;
        let fusedSequences = 0;
        // A context with several responses is run once; the rest are packed as whole sequences.
        const flat: PreparedSequence[] = [];
        const owners: [number, number][] = [];
        for (const [g, sequences] of prepared.entries()) {
          const shared = current.rowCoupled
            ? await scoreEachAlone(current, sequences, withTexts)
            : current.canShareContext && (sequences.length > 1 || !current.canKeepLastLogits)
              ? await scoreSharedContext(current, sequences, withTexts)
              : null;
          if (shared) {
            results[g] = shared.scores;
            if (shared.fused) fusedSequences += sequences.length;
            forwardTokens += shared.forwardTokens;
            batchCount += shared.batches;
          } else {
            sequences.forEach((sequence, r) => {
              flat.push(sequence);
              owners.push([g, r]);
            });
          }
        }
        const reference = config.engine === 'reference';
        const batches = planBatches(
          flat.map(({ ids, span }) => ({ length: ids.length, keepLast: ids.length - span.start + 1 })),
          {
            ...DEFAULT_BUDGET,
            ...config.batchBudget,
            ...(reference ? { maxBatchSize: 1 } : {}),
            vocabSize: current.info.vocabSize,
            canKeepLastLogits: current.canKeepLastLogits && !reference,
          },
        );
        for (const batch of batches) {
          const scores = await runBatch(
            current,
            batch.indices.map((i) => flat[i]!),
            batch.paddedLength,
            batch.keepLast,
            withTexts,
          );
          batch.indices.forEach((i, k) => {
            const [g, r] = owners[i]!;
            results[g]![r] = scores[k]!;
          });
          forwardTokens += batch.indices.length * batch.paddedLength;
        }
        return {
          groups: results,
          timings: {
            forwardMs: performance.now() - started,
            sequences: prepared.reduce((n, sequences) => n + sequences.length, 0),
            batches: batchCount + batches.length,
            forwardTokens,
            fusedSequences,
          },
        };
      }),

    generate: (
      prompt: Parameters<ModelService['generate']>[0],
      options: GenerateOptions = {},
      onToken?: TokenCallback,
    ): Promise<GenerateResult> =>
      onDevice(async ({ model, tokenizer, info }) => {
        const started = performance.now();
        const text = typeof prompt === 'string' ? prompt : render(tokenizer, prompt, true);
        const inputs = tokenizer(text, { add_special_tokens: !tokenizer.chat_template });
        const promptTokens = (inputs.input_ids as Tensor).dims[1]!;
        const room = info.maxTokens - promptTokens;
        if (room < 1)
          fail('ContextTooLongError', `the prompt is ${promptTokens} tokens; the model accepts ${info.maxTokens}`);
        const maxNewTokens = Math.min(options.maxNewTokens ?? 256, room);
        const stops = options.stop ?? [];
        const greedy = options.greedy ?? true;
        if (!greedy) random.seed(options.seed ?? 0);
        const stopCriterion = new StopStrings(tokenizer, stops, promptTokens);
        const output = (await model.generate({
          ...inputs,
          max_new_tokens: maxNewTokens,
          do_sample: !greedy,
          ...(greedy ? {} : { temperature: options.temperature ?? 1 }),
          repetition_penalty: options.repetitionPenalty ?? 1.05,
          stopping_criteria: [stopCriterion],
          ...(onToken
            ? {
                streamer: new TextStreamer(tokenizer, {
                  skip_prompt: true,
                  skip_special_tokens: true,
                  callback_function: onToken,
                }),
              }
            : {}),
        })) as Tensor;
        const all = Array.from(output.data as BigInt64Array, Number);
        const newIds = all.slice(promptTokens);
        const decoded = tokenizer.decode(newIds, { skip_special_tokens: true });
        const cut = cutAtStop(decoded, stops);
        const eos = new Set([model.generation_config?.eos_token_id ?? tokenizer.eos_token_id].flat());
        return {
          text: cut.text,
          tokenIds: newIds,
          stoppedBy: cut.stopped ? 'stop' : eos.has(newIds.at(-1) ?? -1) ? 'eos' : 'length',
          promptTokens,
          ms: performance.now() - started,
        };
      }),

    async embed(encoder: EncoderRef, texts: readonly string[]): Promise<EmbedResult> {
      if (encoder.kind === 'input-embeddings') validateRef({ source: 'bundled', id: encoder.model });
      else if (encoder.kind === 'hub') validateRef({ source: 'hub', id: encoder.id });
      return encoders.embed(encoder, texts);
    },

    async dispose() {
      const current = loaded;
      loaded = null;
      if (current) {
        // Releasing sessions on a lost WebGPU device can fail; there is nothing left to release then.
        await current.model.dispose().catch((error: unknown) => {
          if (current.gpuLoss?.reason === undefined) throw error;
        });
        await (await current.fusedStats.made)?.release?.();
      }
      await encoders.dispose();
    },
  } satisfies ModelService;
  return service;
}

/** `make`'s promise, made on the first `get` and shared by every later one. */
class Lazy<T> {
  made: Promise<T> | undefined;
  constructor(private readonly make: () => Promise<T>) {}
  get(): Promise<T> {
    return (this.made ??= this.make());
  }
}

/** Stops a sequence once its new text contains a stop string. */
class StopStrings extends StoppingCriteria {
  constructor(
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly stops: readonly string[],
    private readonly promptTokens: number,
  ) {
    super();
  }

  override _call(inputIds: number[][]): boolean[] {
    if (!this.stops.length) return inputIds.map(() => false);
    return inputIds.map((ids) => {
      const text = this.tokenizer.decode(ids.slice(this.promptTokens), { skip_special_tokens: true });
      return cutAtStop(text, this.stops).stopped;
    });
  }
}

/** Frees output tensors (GPU buffers on WebGPU) once their values have been read. */
function disposeOutputs(output: Record<string, unknown>): void {
  for (const value of Object.values(output)) {
    if (value instanceof Tensor) value.dispose();
    else if (value && typeof value === 'object') {
      for (const inner of Object.values(value)) if (inner instanceof Tensor) inner.dispose();
    }
  }
}
