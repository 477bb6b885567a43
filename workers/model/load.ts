/**
 * Loading a causal LM's tokenizer and weights with transformers.js: where they come from (a
 * bundled model, a stored folder or the Hub), which device and precision, the fall back from
 * WebGPU to wasm, and load failures named so a user can act on them.
 */
import { AutoModelForCausalLM, AutoTokenizer, env } from '@huggingface/transformers';
import type { PreTrainedModel, PreTrainedTokenizer } from '@huggingface/transformers';
import type { DeviceName, DType, LoadOptions, ModelRef, ProgressCallback } from '../../src/protocol/model-service.js';
import {
  ModelServiceError,
  describeRef,
  DTYPE_SUFFIXES,
  externalDataChunks,
  folderDType,
  type BundledManifest,
  type BundledModelEntry,
  type FolderDType,
  type ModelFolderManifest,
} from '../../src/core/index.js';
import type { ModelServiceConfig } from './config.js';
import { fail } from './loaded.js';

/** Where a model's files come from: a bundled model's entry, or a stored folder's manifest (neither: the Hub). */
export interface ModelSource {
  readonly entry?: BundledModelEntry;
  readonly folder?: ModelFolderManifest;
}

/** A model's tokenizer and weights, loaded, and where and how they were. */
export interface Weights extends ModelSource {
  readonly tokenizer: PreTrainedTokenizer;
  readonly model: PreTrainedModel;
  readonly dtype: DType;
  readonly device: DeviceName;
  /** Why the device differs from the one asked for, if it does. */
  readonly deviceNote?: string;
}

/**
 * Loads `ref`'s tokenizer and weights on the device asked for ('auto': the platform's), falling
 * back to wasm when WebGPU fails.
 */
export async function loadWeights(
  config: ModelServiceConfig,
  manifest: () => Promise<BundledManifest>,
  ref: ModelRef,
  options: LoadOptions,
  onProgress?: ProgressCallback,
): Promise<Weights> {
  const source = await findSource(config, manifest, ref);
  const wanted = options.device ?? 'auto';
  // Asked for WebGPU: still ask the browser, so the adapter's name is reported.
  const probed = wanted === 'auto' || wanted === 'webgpu' ? await config.detectDevice() : null;
  const detected =
    wanted === 'auto' || (wanted === 'webgpu' && probed?.device === 'webgpu') ? probed! : { device: wanted };
  const attempt = (device: DeviceName) => loadOn(config, ref, source, device, options, onProgress);
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
  return { ...source, ...result, device, ...(deviceNote ? { deviceNote } : {}) };
}

/** A bundled model's entry or a stored folder's manifest, read and checked (nothing for the Hub). */
async function findSource(
  config: ModelServiceConfig,
  manifest: () => Promise<BundledManifest>,
  ref: ModelRef,
): Promise<ModelSource> {
  if (ref.source === 'bundled') {
    const entry = (await manifest()).models.find((m) => m.id === ref.id);
    if (!entry) fail('ModelNotFoundError', `"${ref.id}" is not one of the bundled models`);
    return { entry };
  }
  if (ref.source !== 'folder') return {};
  if (!config.folderModelPath || !config.readFolderManifest) {
    fail('InvalidRequestError', 'model folders are not available here');
  }
  try {
    return { folder: await config.readFolderManifest!(ref.id) };
  } catch (error) {
    // A folder read from disk (the command line) is checked as it is read: say what is wrong with it.
    if ((error as Error).name === 'ModelFolderError') {
      fail('ModelLoadError', `model folder "${ref.id}" could not be loaded: ${(error as Error).message}`);
    }
    return fail('ModelNotFoundError', `model folder "${ref.id}" is not stored here (${(error as Error).message})`);
  }
}

/** One try at loading the tokenizer and weights on `device`. */
async function loadOn(
  config: ModelServiceConfig,
  ref: ModelRef,
  { entry, folder }: ModelSource,
  device: DeviceName,
  options: LoadOptions,
  onProgress?: ProgressCallback,
) {
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
}

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
