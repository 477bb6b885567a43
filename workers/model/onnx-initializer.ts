/**
 * Reads one weight tensor (an initializer) out of a single-file ONNX model. onnxruntime does not
 * expose weights, and the bundled encoder is the demo models' own input-embedding matrix, so it
 * is read from the model file that is already bundled rather than shipped twice.
 *
 * Wire format (onnx.proto3): ModelProto.graph = field 7; GraphProto.initializer = field 5
 * (repeated TensorProto); TensorProto.dims = 1, data_type = 2, float_data = 4, name = 8,
 * raw_data = 9. Only float32 (data_type 1) tensors stored in the file itself are supported.
 */
import protobuf from 'protobufjs/minimal.js';

const FLOAT = 1;
const LENGTH_DELIMITED = 2;

export interface InitializerTensor {
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

/** Each field of one message: its number, wire type, and a reader positioned at its value. */
function* fields(bytes: Uint8Array): Generator<{ field: number; wire: number; reader: protobuf.Reader }> {
  const reader = protobuf.Reader.create(bytes);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const start = reader.pos;
    yield { field: tag >>> 3, wire: tag & 7, reader };
    // The consumer read the value, or left it: skip it then.
    if (reader.pos === start) reader.skipType(tag & 7);
  }
}

function parseTensor(bytes: Uint8Array): { name: string; dims: number[]; dataType: number; data: Float32Array } {
  let name = '';
  const dims: number[] = [];
  let dataType = 0;
  let raw: Uint8Array | null = null;
  const floats: number[] = [];
  for (const { field, wire, reader } of fields(bytes)) {
    if (field === 1 && wire === LENGTH_DELIMITED) {
      const end = reader.uint32() + reader.pos;
      while (reader.pos < end) dims.push(Number(reader.int64()));
    } else if (field === 1) dims.push(Number(reader.int64()));
    else if (field === 2) dataType = reader.int32();
    else if (field === 4 && wire === LENGTH_DELIMITED) {
      const end = reader.uint32() + reader.pos;
      while (reader.pos < end) floats.push(reader.float());
    } else if (field === 4) floats.push(reader.float());
    else if (field === 8) name = reader.string();
    else if (field === 9) raw = reader.bytes();
  }
  // Copy raw bytes into a fresh buffer: a view into the file may not be 4-byte aligned.
  const data = raw ? new Float32Array(Uint8Array.from(raw).buffer) : Float32Array.from(floats);
  return { name, dims, dataType, data };
}

/**
 * The float32 initializer called `name` in an ONNX model file.
 * @throws RangeError when the file has no such tensor, or it is not float32 data in the file.
 */
export function readInitializer(model: Uint8Array, name: string): InitializerTensor {
  for (const top of fields(model)) {
    if (top.field !== 7 || top.wire !== LENGTH_DELIMITED) continue;
    for (const g of fields(top.reader.bytes())) {
      if (g.field !== 5 || g.wire !== LENGTH_DELIMITED) continue;
      const tensor = parseTensor(g.reader.bytes());
      if (tensor.name !== name) continue;
      if (tensor.dataType !== FLOAT)
        throw new RangeError(`initializer ${name} is not float32 (type ${tensor.dataType})`);
      const expected = tensor.dims.reduce((a, b) => a * b, 1);
      if (tensor.data.length !== expected)
        throw new RangeError(`initializer ${name} holds ${tensor.data.length} values, its shape ${expected}`);
      return { dims: tensor.dims, data: tensor.data };
    }
  }
  throw new RangeError(`the model file has no initializer named ${name}`);
}
