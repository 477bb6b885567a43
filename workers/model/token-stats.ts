/**
 * Per-token log-prob, entropy and rank computed by onnxruntime rather than in JavaScript. Each
 * response token needs a softmax over the whole vocabulary; in JavaScript that costs more than
 * the optimized forward passes themselves, natively a small fraction. The graph is written here
 * (a few nodes, dynamic shapes), so nothing extra ships and any vocabulary size works. With
 * l = Clip(logits, −3e38) (masked −∞ logits made finite), z = l − max(l), Z = Σ exp(z):
 *
 *   logprob = GatherElements(z, targets) − log Z
 *   entropy = log Z − Σ exp(z)·z / Z
 *   larger  = ReduceSum(Cast(l > GatherElements(l, targets)))   (rank − 1)
 *
 * for logits [N, V] and targets [N, 1]. Written out so rather than from LogSoftmax, they cost
 * onnxruntime-web's wasm build about half as much (natively the same). The graph's bytes are
 * written with the core's wire-format writer (onnx-proto.ts), which names the ONNX field numbers.
 */
import { Tensor, type PreTrainedModel } from '@huggingface/transformers';
import {
  ONNX_ATTRIBUTE_TYPE,
  ONNX_DATA_TYPE,
  ONNX_FIELD,
  ProtoWriter,
  protoFields,
  protoMessages,
  tokenStats,
  writeTensor,
} from '../../src/core/index.js';

const { float: FLOAT, int64: INT64 } = ONNX_DATA_TYPE;
const OPSET = 13;
/** From this opset on, ReduceMax takes its axes as an input rather than an attribute. */
const REDUCE_AXES_INPUT_OPSET = 18;
/** The ONNX version the standalone graph declares (ModelProto.ir_version). */
const IR_VERSION = 8;

/** A NodeProto in the GraphProto being written; attributes are INT or INTS. */
function node(
  g: ProtoWriter,
  op: string,
  inputs: string[],
  outputs: string[],
  attributes: Record<string, number | readonly number[]> = {},
) {
  const N = ONNX_FIELD.node;
  const A = ONNX_FIELD.attribute;
  g.message(ONNX_FIELD.graph.node, (n) => {
    for (const input of inputs) n.string(N.input, input);
    for (const output of outputs) n.string(N.output, output);
    n.string(N.opType, op);
    for (const [name, value] of Object.entries(attributes)) {
      n.message(N.attribute, (a) => {
        a.string(A.name, name);
        if (typeof value === 'number') a.int(A.i, value).int(A.type, ONNX_ATTRIBUTE_TYPE.int);
        else {
          for (const v of value) a.int(A.ints, v);
          a.int(A.type, ONNX_ATTRIBUTE_TYPE.ints);
        }
      });
    }
  });
}

/**
 * A ValueInfoProto (a graph input or output, `field`) of a tensor: its element type and shape,
 * each dimension a size or a symbolic name.
 */
function valueInfo(g: ProtoWriter, field: number, name: string, elemType: number, dims: (number | string)[]) {
  const F = ONNX_FIELD;
  g.message(field, (v) => {
    v.string(F.valueInfo.name, name);
    v.message(F.valueInfo.type, (type) =>
      type.message(F.type.tensorType, (tensor) => {
        tensor.int(F.tensorType.elemType, elemType);
        tensor.message(F.tensorType.shape, (shape) => {
          for (const d of dims) {
            shape.message(F.shape.dim, (dim) =>
              typeof d === 'number' ? dim.int(F.dimension.value, d) : dim.string(F.dimension.param, d),
            );
          }
        });
      }),
    );
  });
}

/** Names of the statistics' tensors; `p` prefixes the internal ones (see withTokenStats). */
function statsNames(p: string) {
  return { logProb: `${p}logprob`, entropy: `${p}entropy`, larger: `${p}larger` };
}

/**
 * The statistics' nodes and constants in a GraphProto being written, from `logits` [..., V] and
 * `targets` [..., 1] (every axis is the last: rank 2 for the standalone graph, rank 3 inside a
 * model), for a graph of `opset`. Internal names start with `p` so that they cannot clash with a
 * model's own.
 */
function statsNodes(g: ProtoWriter, logits: string, targets: string, p: string, opset: number) {
  const out = statsNames(p);
  const axes = `${p}axes`;
  const own = (name: string) => `${p}${name}`;
  // −∞ logits (masked tokens) become a finite floor: their probability is exactly 0, and every
  // product below stays finite (0 · floor = 0, where 0 · −∞ would be NaN).
  node(g, 'Clip', [logits, own('floor')], [own('clipped')]);
  if (opset < REDUCE_AXES_INPUT_OPSET)
    node(g, 'ReduceMax', [own('clipped')], [own('max')], { keepdims: 1, axes: [-1] });
  else node(g, 'ReduceMax', [own('clipped'), axes], [own('max')], { keepdims: 1 });
  node(g, 'Sub', [own('clipped'), own('max')], [own('z')]);
  node(g, 'Exp', [own('z')], [own('e')]);
  node(g, 'ReduceSum', [own('e'), axes], [own('sum')], { keepdims: 1 });
  node(g, 'Log', [own('sum')], [own('log_sum')]);
  node(g, 'Mul', [own('e'), own('z')], [own('ez')]);
  node(g, 'ReduceSum', [own('ez'), axes], [own('sum_ez')], { keepdims: 1 });
  node(g, 'Div', [own('sum_ez'), own('sum')], [own('mean_z')]);
  node(g, 'Sub', [own('log_sum'), own('mean_z')], [out.entropy]);
  node(g, 'GatherElements', [own('z'), targets], [own('target_z')], { axis: -1 });
  node(g, 'Sub', [own('target_z'), own('log_sum')], [out.logProb]);
  node(g, 'GatherElements', [own('clipped'), targets], [own('target_logit')], { axis: -1 });
  node(g, 'Greater', [own('clipped'), own('target_logit')], [own('above')]);
  node(g, 'Cast', [own('above')], [own('above_f')], { to: FLOAT });
  node(g, 'ReduceSum', [own('above_f'), axes], [out.larger], { keepdims: 1 });
  writeTensor(g, ONNX_FIELD.graph.initializer, { name: axes, dataType: INT64, dims: [1], int64Data: [-1] });
  // A float scalar: no dims.
  writeTensor(g, ONNX_FIELD.graph.initializer, { name: `${p}floor`, dataType: FLOAT, floatData: [-3e38] });
  return out;
}

/** The standalone graph's bytes (a ModelProto importing the default domain at `opset`). */
export function tokenStatsGraph(opset = OPSET): Uint8Array {
  const { model, operatorSetId, graph } = ONNX_FIELD;
  const w = new ProtoWriter();
  w.int(model.irVersion, IR_VERSION);
  w.message(model.opsetImport, (o) => o.string(operatorSetId.domain, '').int(operatorSetId.version, opset));
  w.message(model.graph, (g) => {
    const out = statsNodes(g, 'logits', 'targets', '', opset);
    g.string(graph.name, 'token_stats');
    valueInfo(g, graph.input, 'logits', FLOAT, ['N', 'V']);
    valueInfo(g, graph.input, 'targets', INT64, ['N', 1]);
    for (const output of Object.values(out)) valueInfo(g, graph.output, output, FLOAT, ['N', 1]);
  });
  return w.finish();
}

/** The inputs and outputs withTokenStats adds to a model. */
export const FUSED_STATS = { targets: 'rolescope_stats/targets', ...statsNames('rolescope_stats/') } as const;

/** The opset a ModelProto imports for the default domain (0 when none is found). */
function defaultOpset(model: Uint8Array): number {
  const F = ONNX_FIELD.operatorSetId;
  for (const opset of protoMessages(model, ONNX_FIELD.model.opsetImport)) {
    let domain = '';
    let version = 0;
    for (const f of protoFields(opset)) {
      if (f.field === F.domain) domain = f.string();
      else if (f.field === F.version) version = f.int();
    }
    if (domain === '' || domain === 'ai.onnx') return version;
  }
  return 0;
}

/**
 * A language model's graph with the statistics computed from its `logits` [rows, kept, V] at
 * `targets` [rows, kept, 1] inside the same run, so a scoring pass hands back three numbers per
 * position instead of a row of logits (which JavaScript would gather and pass to a second run).
 * Protobuf merges a repeated message field: a second `graph` field appended to the ModelProto's
 * bytes adds its nodes, initializers, input and outputs to the model's graph, which is left as it
 * was. Null for a model whose opset is older than the statistics' nodes (ReduceSum's axes input).
 */
export function withTokenStats(model: Uint8Array): Uint8Array | null {
  const opset = defaultOpset(model);
  if (opset < OPSET) return null;
  const { graph } = ONNX_FIELD;
  const w = new ProtoWriter();
  w.message(ONNX_FIELD.model.graph, (g) => {
    const out = statsNodes(g, 'logits', FUSED_STATS.targets, 'rolescope_stats/', opset);
    valueInfo(g, graph.input, FUSED_STATS.targets, INT64, ['rolescope_rows', 'rolescope_kept', 1]);
    for (const output of Object.values(out))
      valueInfo(g, graph.output, output, FLOAT, ['rolescope_rows', 'rolescope_kept', 1]);
  });
  const extra = w.finish();
  const fused = new Uint8Array(model.length + extra.length);
  fused.set(model);
  fused.set(extra, model.length);
  return fused;
}

export interface TokenStatsBatch {
  readonly logProbs: Float32Array;
  readonly entropies: Float32Array;
  readonly ranks: Int32Array;
}

/** Computes the statistics of N rows of logits (row-major [N, vocab]) at their target tokens. */
export type TokenStatsEngine = (rows: Float32Array, targets: Int32Array, vocab: number) => Promise<TokenStatsBatch>;

/** The part of an onnxruntime session (node or web) used here. */
export interface OrtSession {
  readonly inputNames: readonly string[];
  run(feeds: Record<string, unknown>, fetches?: readonly string[]): Promise<Record<string, { data: unknown }>>;
  /** Inputs' types and shapes (symbolic dimensions by name), where the runtime reports them. */
  readonly inputMetadata?: readonly { name: string; type?: string; shape: readonly (number | string)[] }[];
  release?(): Promise<void>;
}

/**
 * An engine on the same onnxruntime as the model (its session's own class creates the session,
 * so the browser never loads a second runtime), on the CPU (wasm in the browser).
 */
export async function nativeTokenStats(
  model: PreTrainedModel,
  inBrowser: boolean,
  opset = OPSET,
): Promise<TokenStatsEngine> {
  const modelSession = (model as unknown as { sessions: Record<string, object> }).sessions.model!;
  const Session = Object.getPrototypeOf(modelSession).constructor as {
    create(bytes: Uint8Array, options?: object): Promise<OrtSession>;
  };
  // One thread that does not spin between runs: it alternates with the model's session, whose
  // threads would otherwise compete with spinning ones for the cores.
  const session = await Session.create(
    tokenStatsGraph(opset),
    inBrowser
      ? { executionProviders: ['wasm'] }
      : { intraOpNumThreads: 1, interOpNumThreads: 1, extra: { session: { intra_op: { allow_spinning: '0' } } } },
  );
  return async (rows, targets, vocab) => {
    const n = targets.length;
    const output = await session.run({
      logits: new Tensor('float32', rows, [n, vocab]).ort_tensor,
      targets: new Tensor(
        'int64',
        BigInt64Array.from(targets, (t) => BigInt(t)),
        [n, 1],
      ).ort_tensor,
    });
    const larger = output.larger!.data as Float32Array;
    return {
      logProbs: Float32Array.from(output.logprob!.data as Float32Array),
      entropies: Float32Array.from(output.entropy!.data as Float32Array, (h) => Math.max(0, h)),
      ranks: Int32Array.from(larger, (l) => l + 1),
    };
  };
}

/** Graphs above this size are not loaded a second time for fused scoring (memory, not speed). */
export const MAX_FUSED_GRAPH_BYTES = 256 * 2 ** 20;

/**
 * A second session of a model's graph, with the token statistics fused into it (withTokenStats),
 * on the same onnxruntime and device (CPU or wasm) as the model's own. Null where the graph cannot
 * take them (old opset, external weights it cannot find from bytes, no `logits` output).
 */
export async function fusedStatsSession(
  model: PreTrainedModel,
  graph: Uint8Array,
  inBrowser: boolean,
): Promise<OrtSession | null> {
  const fused = graph.length <= MAX_FUSED_GRAPH_BYTES ? withTokenStats(graph) : null;
  if (!fused) return null;
  const modelSession = (model as unknown as { sessions: Record<string, { outputNames: string[] }> }).sessions.model!;
  if (!modelSession.outputNames.includes('logits')) return null;
  const Session = Object.getPrototypeOf(modelSession).constructor as {
    create(bytes: Uint8Array, options?: object): Promise<OrtSession>;
  };
  try {
    return await Session.create(fused, { executionProviders: [inBrowser ? 'wasm' : 'cpu'] });
  } catch {
    return null;
  }
}

/** The same statistics in JavaScript (tokenStats), where no native engine is available. */
export const jsTokenStats: TokenStatsEngine = async (rows, targets, vocab) => {
  const n = targets.length;
  const out = { logProbs: new Float32Array(n), entropies: new Float32Array(n), ranks: new Int32Array(n) };
  for (let k = 0; k < n; k++) {
    const s = tokenStats(rows, k, vocab, targets[k]!);
    out.logProbs[k] = s.logProb;
    out.entropies[k] = s.entropy;
    out.ranks[k] = s.rank;
  }
  return out;
};
