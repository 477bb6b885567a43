/**
 * What a model just loaded is and allows, as the Loaded record says it: its fingerprint, its
 * token-stats engine, what its graph's operators permit (context sharing, rows per suffix pass,
 * row coupling), its fused-statistics graph made on demand, and the watch on its WebGPU device.
 */
import type { PreTrainedModel, PreTrainedTokenizer } from '@huggingface/transformers';
import type { DType, ModelRef } from '../../src/protocol/model-service.js';
import {
  DTYPE_SUFFIXES,
  externalDataChunks,
  graphOps,
  type FolderDType,
  type ModelFingerprint,
} from '../../src/core/index.js';
import type { ModelServiceConfig } from './config.js';
import { watchGpuLoss } from './device-loss.js';
import { hubFilesHash, type HubCommitResolver } from './hub-commit.js';
import type { Weights } from './load.js';
import { Lazy, type Loaded } from './loaded.js';
import { canShareContext } from './shared-context.js';
import { isoDay, templatePrintsDate } from './template-date.js';
import { fusedStatsSession, jsTokenStats, nativeTokenStats, type OrtSession } from './token-stats.js';

/**
 * Rows per suffix batch on the CPU (and wasm): a few rows already fill its matrix products, and
 * more only add padding (rows are sorted by length, but a context's responses vary widely).
 */
const CPU_SUFFIX_ROWS = 4;

/**
 * The Loaded record of a model just loaded, before the sharing probe (run-probe.ts) settles its
 * scoring path; its load time is still 0. The render day is read from the clock here.
 */
export async function inspectModel(
  config: ModelServiceConfig,
  resolveHubCommit: HubCommitResolver,
  ref: ModelRef,
  weights: Weights,
): Promise<Loaded> {
  const { tokenizer, model, dtype, device, deviceNote, entry, folder } = weights;
  const session = (model as unknown as { sessions: Record<string, { inputNames: string[] }> }).sessions.model;
  const revision = ref.source === 'hub' ? (ref.revision ?? 'main') : '';
  const renderDay = config.now?.() ?? new Date();
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
  // The graph's operators decide how it may run, where its file can be read (not Hub downloads).
  const ops =
    ref.source !== 'hub' && config.readModelFile && !(folder && externalDataChunks(folder, dtype as FolderDType) > 0)
      ? await config
          .readModelFile(ref, graphFile(dtype))
          .then(graphOps)
          .catch(() => null)
      : null;
  const optimized = config.engine !== 'reference' && config.shareContexts !== false;
  const shares = optimized && canShareContext(model, ops);
  const suffixRows = ops?.has('GroupQueryAttention') ? 1 : device === 'webgpu' ? Infinity : CPU_SUFFIX_ROWS;
  // transformers.js's q8 files are dynamic int8; read from the graph where it can be.
  const rowCoupled = optimized && (ops ? ops.has('DynamicQuantizeLinear') : dtype === 'q8');
  const gpuLoss = device === 'webgpu' ? await watchGpuLoss() : undefined;
  return {
    model,
    tokenizer,
    renderDay,
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
    fusedStats: new Lazy(() => makeFusedStats(config, ref, weights, native !== null)),
  };
}

/** The ONNX graph of a precision, inside the model's folder. */
const graphFile = (dtype: DType) => `onnx/model${DTYPE_SUFFIXES[dtype as FolderDType] ?? ''}.onnx`;

/**
 * The model's graph with the token statistics fused into it, on the CPU or wasm, where the
 * runtime builds native statistics and the graph's file can be read whole; else null.
 */
async function makeFusedStats(
  config: ModelServiceConfig,
  ref: ModelRef,
  { model, dtype, device, folder }: Weights,
  native: boolean,
): Promise<OrtSession | null> {
  const file = ref.source === 'hub' ? null : graphFile(dtype);
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
}

/**
 * The longest sequence the model accepts: its config's positions, else its tokenizer's limit
 * (where that is a real one), else 2048.
 */
function maxTokensOf(model: PreTrainedModel, tokenizer: PreTrainedTokenizer): number {
  const config = model.config as unknown as Record<string, unknown>;
  const fromConfig = [config.max_position_embeddings, config.n_positions].find(
    (v): v is number => typeof v === 'number' && v > 0,
  );
  const fromTokenizer = (tokenizer as unknown as { model_max_length?: number }).model_max_length;
  return fromConfig ?? (fromTokenizer && fromTokenizer < 1e7 ? fromTokenizer : 2048);
}
