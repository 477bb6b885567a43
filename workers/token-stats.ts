/**
 * Per-token log-prob, entropy and rank computed by onnxruntime rather than in JavaScript. Each
 * response token needs a softmax over the whole vocabulary; in JavaScript that costs more than
 * the optimized forward passes themselves, natively a small fraction. The graph is written here
 * (a few nodes, dynamic shapes), so nothing extra ships and any vocabulary size works:
 *
 *   logprob = GatherElements(LogSoftmax(logits), targets)
 *   entropy = −ReduceSum(Exp(LogSoftmax(logits)) · Clip(LogSoftmax(logits), −3e38))
 *   larger  = ReduceSum(Cast(logits > GatherElements(logits, targets)))   (rank − 1)
 *
 * for logits [N, V] and targets [N, 1]. Wire format: onnx.proto3 (field numbers noted inline).
 */
import { Tensor, type PreTrainedModel } from '@huggingface/transformers';
import protobuf from 'protobufjs/minimal.js';
import { tokenStats } from '../src/core/index.js';

type Writer = protobuf.Writer;
const VARINT = 0;
const LEN = 2;
const FLOAT = 1;
const INT64 = 7;
const OPSET = 13;

const str = (w: Writer, field: number, value: string) => w.uint32((field << 3) | LEN).string(value);
const int = (w: Writer, field: number, value: number) => w.uint32((field << 3) | VARINT).int64(value);
const msg = (w: Writer, field: number, body: (inner: Writer) => void) => {
  w.uint32((field << 3) | LEN).fork();
  body(w);
  w.ldelim();
};

/** NodeProto (GraphProto.node = 1): input 1, output 2, op_type 4, attribute 5 (name 1, i 3, type 20 = INT). */
function node(g: Writer, op: string, inputs: string[], outputs: string[], attributes: Record<string, number> = {}) {
  msg(g, 1, (n) => {
    for (const input of inputs) str(n, 1, input);
    for (const output of outputs) str(n, 2, output);
    str(n, 4, op);
    for (const [name, value] of Object.entries(attributes)) {
      msg(n, 5, (a) => {
        str(a, 1, name);
        int(a, 3, value);
        int(a, 20, 2);
      });
    }
  });
}

/** ValueInfoProto: name 1, type 2 → TypeProto.tensor_type 1 → elem_type 1, shape 2 → dim 1 (value 1 | param 2). */
function valueInfo(g: Writer, field: number, name: string, elemType: number, dims: (number | string)[]) {
  msg(g, field, (v) => {
    str(v, 1, name);
    msg(v, 2, (type) =>
      msg(type, 1, (tensor) => {
        int(tensor, 1, elemType);
        msg(tensor, 2, (shape) => {
          for (const d of dims) msg(shape, 1, (dim) => (typeof d === 'number' ? int(dim, 1, d) : str(dim, 2, d)));
        });
      }),
    );
  });
}

/** The graph's bytes (ModelProto: ir_version 1, opset_import 8, graph 7). */
export function tokenStatsGraph(): Uint8Array {
  const w = protobuf.Writer.create();
  int(w, 1, 7);
  msg(w, 8, (o) => {
    str(o, 1, '');
    int(o, 2, OPSET);
  });
  msg(w, 7, (g) => {
    node(g, 'LogSoftmax', ['logits'], ['lsm'], { axis: 1 });
    node(g, 'GatherElements', ['lsm', 'targets'], ['logprob'], { axis: 1 });
    node(g, 'Exp', ['lsm'], ['p']);
    // −∞ log-probs (masked tokens) have p = 0: clipped to a finite floor, 0 · floor = 0, not NaN.
    node(g, 'Clip', ['lsm', 'floor'], ['lsm_finite']);
    node(g, 'Mul', ['p', 'lsm_finite'], ['plogp']);
    node(g, 'ReduceSum', ['plogp', 'axes'], ['negentropy'], { keepdims: 1 });
    node(g, 'Neg', ['negentropy'], ['entropy']);
    node(g, 'GatherElements', ['logits', 'targets'], ['target_logit'], { axis: 1 });
    node(g, 'Greater', ['logits', 'target_logit'], ['above']);
    node(g, 'Cast', ['above'], ['above_f'], { to: FLOAT });
    node(g, 'ReduceSum', ['above_f', 'axes'], ['larger'], { keepdims: 1 });
    str(g, 2, 'token_stats');
    // TensorProto initializer (GraphProto.initializer = 5): dims 1, data_type 2, int64_data 7, name 8.
    msg(g, 5, (t) => {
      int(t, 1, 1);
      int(t, 2, INT64);
      int(t, 7, 1);
      str(t, 8, 'axes');
    });
    // A float scalar (float_data = 4, packed).
    msg(g, 5, (t) => {
      int(t, 2, FLOAT);
      t.uint32((4 << 3) | LEN)
        .fork()
        .float(-3e38)
        .ldelim();
      str(t, 8, 'floor');
    });
    valueInfo(g, 11, 'logits', FLOAT, ['N', 'V']);
    valueInfo(g, 11, 'targets', INT64, ['N', 1]);
    for (const output of ['logprob', 'entropy', 'larger']) valueInfo(g, 12, output, FLOAT, ['N', 1]);
  });
  return w.finish();
}

export interface TokenStatsBatch {
  readonly logProbs: Float32Array;
  readonly entropies: Float32Array;
  readonly ranks: Int32Array;
}

/** Computes the statistics of N rows of logits (row-major [N, vocab]) at their target tokens. */
export type TokenStatsEngine = (rows: Float32Array, targets: Int32Array, vocab: number) => Promise<TokenStatsBatch>;

interface OrtSession {
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown }>>;
  release?(): Promise<void>;
}

/**
 * An engine on the same onnxruntime as the model (its session's own class creates the session,
 * so the browser never loads a second runtime), on the CPU (wasm in the browser).
 */
export async function nativeTokenStats(model: PreTrainedModel, inBrowser: boolean): Promise<TokenStatsEngine> {
  const modelSession = (model as unknown as { sessions: Record<string, object> }).sessions.model!;
  const Session = Object.getPrototypeOf(modelSession).constructor as {
    create(bytes: Uint8Array, options?: object): Promise<OrtSession>;
  };
  // One thread that does not spin between runs: it alternates with the model's session, whose
  // threads would otherwise compete with spinning ones for the cores.
  const session = await Session.create(
    tokenStatsGraph(),
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
