/**
 * A model folder picked from disk: which of its files transformers.js needs, whether it is
 * complete, which weight precisions it holds, and a hash of its contents for cache keys. Pure: the
 * caller lists the files and reads their bytes (the browser from File objects, Node from disk).
 */
import { filesHash, type BundledModelFile } from './model-manifest.js';
import { ONNX_FIELD, WIRE_TYPE, protoFields, protoMessages } from './onnx-proto.js';
import { sha256Hex } from '../hash.js';

/** Weight precisions and the ONNX file transformers.js loads for each (onnx/model{suffix}.onnx). */
export const DTYPE_SUFFIXES = { fp32: '', fp16: '_fp16', q8: '_quantized', q4: '_q4', q4f16: '_q4f16' } as const;
export type FolderDType = keyof typeof DTYPE_SUFFIXES;

/** The precisions to try first when a folder holds several: small and exact enough on each device. */
const DTYPE_PREFERENCE: Record<'gpu' | 'cpu', readonly FolderDType[]> = {
  gpu: ['q4f16', 'fp16', 'q4', 'q8', 'fp32'],
  cpu: ['q8', 'fp32', 'q4', 'fp16', 'q4f16'],
};

const REQUIRED = ['config.json', 'tokenizer.json', 'tokenizer_config.json'] as const;
/** Top-level files transformers.js may read besides the required ones. */
const OPTIONAL = /^(generation_config|special_tokens_map|preprocessor_config|chat_template)\.(json|jinja)$/;
const ONNX = /^onnx\/model(_fp16|_quantized|_q4|_q4f16)?\.onnx(_data(_\d+)?)?$/;
/** A stored folder's name: what results and cache keys call it (as `folder:<name>`). */
export const FOLDER_NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

export interface FolderFileInput {
  /** Path inside the picked folder, '/'-separated, with or without the folder's own name first. */
  readonly path: string;
  readonly bytes: number;
}

export interface ModelFolderManifest {
  readonly version: 1;
  readonly name: string;
  /** The precisions whose ONNX file is present, in the order they are preferred on a CPU. */
  readonly dtypes: readonly FolderDType[];
  /** The kept files (paths inside the model folder) with their SHA-256 and size. */
  readonly files: Readonly<Record<string, BundledModelFile>>;
  readonly filesHash: string;
  readonly totalBytes: number;
  /** Milliseconds since the epoch. */
  readonly addedAt: number;
}

export class ModelFolderError extends Error {
  override readonly name = 'ModelFolderError';
}

/** Lower-case, safe characters only: a folder called "My Model (v2)" is stored as "my-model-v2". */
export function folderName(raw: string): string {
  const name = raw
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/^[^a-z0-9]+|-+$/g, '')
    .slice(0, 64);
  if (!FOLDER_NAME.test(name)) throw new ModelFolderError(`"${raw}" cannot name a model: use letters or digits`);
  return name;
}

/** The common first path segment of every file when the picker included the folder itself. */
function commonRoot(paths: readonly string[]): string | null {
  const first = paths[0]?.split('/')[0];
  if (!first || paths.some((p) => !p.includes('/') || p.split('/')[0] !== first)) return null;
  // A folder that is itself the model has config.json at its top; "onnx" is a model's own folder.
  return paths.includes(`${first}/config.json`) ? first : null;
}

export interface FolderPlan<F extends FolderFileInput> {
  /** The folder's own name when the paths start with it (a directory picker's webkitRelativePath). */
  readonly root: string | null;
  /** Path inside the model folder → the input file to keep. */
  readonly keep: ReadonlyMap<string, F>;
  readonly dtypes: readonly FolderDType[];
  /** Files left out (READMEs, PyTorch weights, other ONNX graphs), so the user knows. */
  readonly skipped: readonly string[];
  readonly totalBytes: number;
}

/**
 * Picks the files transformers.js needs from a picked folder and checks that it can load:
 * config, tokenizer and at least one ONNX graph of a known precision, with its external data.
 * @throws ModelFolderError naming what is missing.
 */
export function planModelFolder<F extends FolderFileInput>(files: readonly F[]): FolderPlan<F> {
  if (files.length === 0) throw new ModelFolderError('the folder is empty');
  const paths = files.map((f) => f.path.replace(/\\/g, '/').replace(/^\/+/, ''));
  const root = commonRoot(paths);
  const keep = new Map<string, F>();
  const skipped: string[] = [];
  paths.forEach((full, i) => {
    const inner = root ? full.slice(root.length + 1) : full;
    if (inner.split('/').some((part) => part === '..' || part === '.')) {
      throw new ModelFolderError(`"${full}" is not a plain path inside the folder`);
    }
    const wanted = (REQUIRED as readonly string[]).includes(inner) || OPTIONAL.test(inner) || ONNX.test(inner);
    if (wanted) keep.set(inner, files[i]!);
    else skipped.push(inner);
  });
  const missing = REQUIRED.filter((name) => !keep.has(name));
  if (missing.length > 0) {
    throw new ModelFolderError(
      `this is not a transformers.js model folder: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing` +
        ' (the folder needs config.json, tokenizer.json, tokenizer_config.json and onnx/model*.onnx)',
    );
  }
  const dtypes = DTYPE_PREFERENCE.cpu.filter((dtype) => keep.has(`onnx/model${DTYPE_SUFFIXES[dtype]}.onnx`));
  if (dtypes.length === 0) {
    throw new ModelFolderError(
      'the folder has no ONNX graph transformers.js can load: expected onnx/model.onnx, model_fp16.onnx, ' +
        'model_quantized.onnx, model_q4.onnx or model_q4f16.onnx',
    );
  }
  for (const path of keep.keys()) {
    const graph = path.replace(/_data(_\d+)?$/, '');
    if (graph !== path && !keep.has(graph)) throw new ModelFolderError(`${path} has no ${graph} beside it`);
  }
  for (const [path, file] of keep) {
    if (file.bytes === 0) throw new ModelFolderError(`${path} is empty`);
  }
  const totalBytes = [...keep.values()].reduce((sum, f) => sum + f.bytes, 0);
  return { root, keep, dtypes, skipped, totalBytes };
}

/** The precision to load on a device class: the model's own choice when present, else the preferred one. */
export function folderDType(manifest: Pick<ModelFolderManifest, 'dtypes'>, deviceClass: 'gpu' | 'cpu', own?: unknown) {
  if (typeof own === 'string' && (manifest.dtypes as readonly string[]).includes(own)) return own as FolderDType;
  return DTYPE_PREFERENCE[deviceClass].find((d) => manifest.dtypes.includes(d)) ?? manifest.dtypes[0]!;
}

/** How many external-data files (onnx/model{suffix}.onnx_data, _data_1, ...) the dtype's graph has. */
export function externalDataChunks(manifest: Pick<ModelFolderManifest, 'files'>, dtype: FolderDType): number {
  const graph = `onnx/model${DTYPE_SUFFIXES[dtype]}.onnx`;
  return Object.keys(manifest.files).filter((path) => path.startsWith(`${graph}_data`)).length;
}

/**
 * Whether `bytes` read as an ONNX ModelProto at its top level: every field well formed and within
 * the file, and a graph (field 7) among them. Random bytes and a file cut short fail, so a
 * corrupt graph is refused when its folder is picked rather than stored and failing to load.
 */
export function isOnnxModel(bytes: Uint8Array): boolean {
  let graph = false;
  try {
    for (const f of protoFields(bytes)) {
      if (f.field === ONNX_FIELD.model.graph && f.wire === WIRE_TYPE.lengthDelimited) graph = true;
    }
  } catch {
    return false;
  }
  return graph;
}

/**
 * Hashes every kept file and describes the folder. `read` gives a file's bytes; `onFile` hears
 * each file as it is done (a folder can be gigabytes).
 */
export async function describeModelFolder<F extends FolderFileInput>(
  plan: FolderPlan<F>,
  name: string,
  read: (file: F) => Promise<Uint8Array>,
  onFile: (path: string, bytesDone: number) => void = () => {},
  now = Date.now(),
): Promise<ModelFolderManifest> {
  const files: Record<string, BundledModelFile> = {};
  let done = 0;
  for (const [path, file] of [...plan.keep].sort(([a], [b]) => a.localeCompare(b))) {
    const bytes = await read(file);
    if (bytes.length !== file.bytes) throw new ModelFolderError(`${path} changed while it was read`);
    if (path.endsWith('.onnx') && !isOnnxModel(bytes)) {
      throw new ModelFolderError(
        `${path} is not a valid ONNX graph (the file is corrupt or cut short; copy or export it again)`,
      );
    }
    files[path] = { sha256: await sha256Hex(bytes), bytes: bytes.length };
    done += bytes.length;
    onFile(path, done);
  }
  return {
    version: 1,
    name,
    dtypes: plan.dtypes,
    files,
    filesHash: await filesHash(files),
    totalBytes: plan.totalBytes,
    addedAt: now,
  };
}

/**
 * The operator types of an ONNX graph's nodes (ModelProto.graph = 7 → GraphProto.node = 1 →
 * NodeProto.op_type = 4), read without decoding the weights. Scoring decides from these how a
 * graph may be run: GroupQueryAttention refuses several rows of several new tokens after a cache,
 * DynamicQuantizeLinear takes one scale over everything a pass runs.
 */
export function graphOps(bytes: Uint8Array): Set<string> {
  const ops = new Set<string>();
  for (const graph of protoMessages(bytes, ONNX_FIELD.model.graph)) {
    for (const node of protoMessages(graph, ONNX_FIELD.graph.node)) {
      for (const f of protoFields(node)) {
        if (f.field === ONNX_FIELD.node.opType && f.wire === WIRE_TYPE.lengthDelimited) ops.add(f.string());
      }
    }
  }
  return ops;
}
