/**
 * Reads one weight tensor (an initializer) out of a single-file ONNX model. onnxruntime does not
 * expose weights, and the bundled encoder is the demo models' own input-embedding matrix, so it
 * is read from the model file that is already bundled rather than shipped twice.
 *
 * The initializers are ModelProto.graph → GraphProto.initializer (repeated TensorProto), read
 * with the core's wire-format reader (onnx-proto.ts). Only float32 tensors stored in the file
 * itself are supported.
 */
import { ONNX_DATA_TYPE, ONNX_FIELD, protoMessages, readTensor } from '../../src/core/index.js';

export interface InitializerTensor {
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

/**
 * The float32 initializer called `name` in an ONNX model file.
 * @throws RangeError when the file has no such tensor, or it is not float32 data in the file.
 */
export function readInitializer(model: Uint8Array, name: string): InitializerTensor {
  for (const graph of protoMessages(model, ONNX_FIELD.model.graph)) {
    for (const initializer of protoMessages(graph, ONNX_FIELD.graph.initializer)) {
      const tensor = readTensor(initializer);
      if (tensor.name !== name) continue;
      if (tensor.dataType !== ONNX_DATA_TYPE.float)
        throw new RangeError(`initializer ${name} is not float32 (type ${tensor.dataType})`);
      // Copy raw bytes into a fresh buffer: a view into the file may not be 4-byte aligned.
      const data = tensor.rawData
        ? new Float32Array(Uint8Array.from(tensor.rawData).buffer)
        : Float32Array.from(tensor.floatData);
      const expected = tensor.dims.reduce((a, b) => a * b, 1);
      if (data.length !== expected)
        throw new RangeError(`initializer ${name} holds ${data.length} values, its shape ${expected}`);
      return { dims: tensor.dims, data };
    }
  }
  throw new RangeError(`the model file has no initializer named ${name}`);
}
