/**
 * The ONNX wire format reader and writer: what the writer writes reads back field by field,
 * repeated numbers read the same packed or one per field, a TensorProto round-trips, and a
 * malformed message throws rather than reading garbage.
 */
import { describe, expect, it } from 'vitest';
import {
  ONNX_DATA_TYPE,
  ONNX_FIELD,
  ProtoWriter,
  protoFields,
  protoMessages,
  readTensor,
  writeTensor,
} from '../../../../src/core/model/onnx-proto.js';

describe('onnx-proto', () => {
  it('reads back what it writes, nested messages included, and skips the fields left unread', () => {
    const bytes = new ProtoWriter()
      .int(1, 8)
      .message(7, (g) => g.string(2, 'graph').int(3, -1))
      .message(7, (g) => g.string(2, 'second'))
      .string(9, 'last')
      .finish();
    const top = [...protoFields(bytes)].map((f) => f.field);
    expect(top).toEqual([1, 7, 7, 9]);
    const graphs = [...protoMessages(bytes, 7)].map((g) => {
      const values: (string | number)[] = [];
      for (const f of protoFields(g)) values.push(f.field === 2 ? f.string() : f.int());
      return values;
    });
    expect(graphs).toEqual([['graph', -1], ['second']]);
    // A field's value is read where the reader stands: not once the next field was asked for.
    const [first] = [...protoFields(bytes)];
    expect(() => first!.int()).toThrow(/read already|moved past/);
  });

  it('reads repeated numbers packed or one per field, and round-trips a tensor', () => {
    const w = new ProtoWriter();
    writeTensor(w, ONNX_FIELD.graph.initializer, {
      name: 'x',
      dataType: ONNX_DATA_TYPE.float,
      dims: [2, 3],
      floatData: [0.5, -2],
    });
    const [tensor] = [...protoMessages(w.finish(), ONNX_FIELD.graph.initializer)].map(readTensor);
    expect(tensor).toEqual({
      name: 'x',
      dims: [2, 3],
      dataType: ONNX_DATA_TYPE.float,
      rawData: null,
      floatData: [0.5, -2],
    });
  });

  it('throws on a field number 0, a group, or a value that runs past the end', () => {
    expect(() => [...protoFields(Uint8Array.from([0x00, 0x01]))]).toThrow();
    expect(() => [...protoFields(Uint8Array.from([0x0b]))]).toThrow();
    expect(() => [...protoFields(Uint8Array.from([0x12, 0x05, 0x61]))]).toThrow();
    expect(() => [...protoFields(Uint8Array.from([0x08, 0x80]))]).toThrow();
  });
});
