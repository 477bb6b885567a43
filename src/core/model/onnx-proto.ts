/**
 * The protobuf wire format as ONNX files use it: reading a message's fields one at a time,
 * writing fields and nested messages, TensorProto in both directions, and the ONNX field numbers
 * (onnx.proto3) the app reads and writes. Pure, over protobufjs's low-level reader and writer:
 * decoding a whole ModelProto with generated classes would copy every weight, where a field walk
 * skips what it does not need and hands out views into the file's bytes.
 */
import protobuf from 'protobufjs/minimal.js';

/** Wire types: the low three bits of a field's tag. (Groups, 3 and 4, are not used by ONNX.) */
export const WIRE_TYPE = { varint: 0, fixed64: 1, lengthDelimited: 2, fixed32: 5 } as const;
const WIRE_TYPES: readonly number[] = Object.values(WIRE_TYPE);

/** Field numbers of the ONNX messages read or written here (onnx.proto3). */
export const ONNX_FIELD = {
  model: { irVersion: 1, graph: 7, opsetImport: 8 },
  operatorSetId: { domain: 1, version: 2 },
  graph: { node: 1, name: 2, initializer: 5, input: 11, output: 12 },
  node: { input: 1, output: 2, opType: 4, attribute: 5 },
  attribute: { name: 1, i: 3, ints: 8, type: 20 },
  tensor: { dims: 1, dataType: 2, floatData: 4, int64Data: 7, name: 8, rawData: 9 },
  valueInfo: { name: 1, type: 2 },
  type: { tensorType: 1 },
  tensorType: { elemType: 1, shape: 2 },
  shape: { dim: 1 },
  dimension: { value: 1, param: 2 },
} as const;

/** TensorProto.DataType values used here. */
export const ONNX_DATA_TYPE = { float: 1, int64: 7 } as const;
/** AttributeProto.AttributeType values used here. */
export const ONNX_ATTRIBUTE_TYPE = { int: 2, ints: 7 } as const;

/**
 * One field of a message being read: its number and wire type, its value read on demand. The
 * value is read from the message's reader where it stands, so only while this is the field
 * protoFields last gave (reading it later throws), and once.
 */
export class ProtoField {
  readonly #reader: protobuf.Reader;
  readonly #start: number;

  constructor(
    readonly field: number,
    readonly wire: number,
    reader: protobuf.Reader,
  ) {
    this.#reader = reader;
    this.#start = reader.pos;
  }

  /** A varint's value (int32, int64 or enum) as a number. */
  int(): number {
    return Number(this.#value().int64());
  }

  /** A length-delimited value's bytes: a view into the message, not a copy. */
  bytes(): Uint8Array {
    return this.#value().bytes();
  }

  /** A length-delimited value read as UTF-8 text. */
  string(): string {
    return this.#value().string();
  }

  /**
   * Appends this occurrence's values of a repeated integer field to `into`: packed
   * (length-delimited) or one varint. A repeated field may be split over several occurrences.
   */
  ints(into: number[] = []): number[] {
    return this.#repeated((reader) => Number(reader.int64()), into);
  }

  /** Appends this occurrence's values of a repeated float field to `into`: packed or one fixed32. */
  floats(into: number[] = []): number[] {
    return this.#repeated((reader) => reader.float(), into);
  }

  #value(): protobuf.Reader {
    if (this.#reader.pos !== this.#start) {
      throw new Error(`field ${this.field}'s value was read already, or the reader has moved past it`);
    }
    return this.#reader;
  }

  #repeated(read: (reader: protobuf.Reader) => number, into: number[]): number[] {
    const reader = this.#value();
    if (this.wire !== WIRE_TYPE.lengthDelimited) {
      into.push(read(reader));
      return into;
    }
    const end = reader.uint32() + reader.pos;
    while (reader.pos < end) into.push(read(reader));
    return into;
  }
}

/**
 * The fields of one message, in order. A field whose value the consumer leaves unread is
 * skipped. A malformed message throws (an Error from protobufjs or a RangeError): a field number
 * 0, a group or unknown wire type, or a value that runs past the end.
 */
export function* protoFields(message: Uint8Array): Generator<ProtoField> {
  const reader = protobuf.Reader.create(message);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 0 || !WIRE_TYPES.includes(wire)) {
      throw new RangeError(`not a protobuf message: field ${field} of wire type ${wire} at byte ${reader.pos}`);
    }
    const start = reader.pos;
    yield new ProtoField(field, wire, reader);
    if (reader.pos === start) reader.skipType(wire);
  }
  if (reader.pos !== reader.len) throw new RangeError('not a protobuf message: its last field runs past its end');
}

/** The value of each occurrence of a length-delimited field (a sub-message): views, not copies. */
export function* protoMessages(message: Uint8Array, field: number): Generator<Uint8Array> {
  for (const f of protoFields(message)) {
    if (f.field === field && f.wire === WIRE_TYPE.lengthDelimited) yield f.bytes();
  }
}

/** Writes a message's fields; a nested message is written in place and its length filled in after. */
export class ProtoWriter {
  readonly #writer = protobuf.Writer.create();

  #tag(field: number, wire: number): protobuf.Writer {
    return this.#writer.uint32((field << 3) | wire);
  }

  string(field: number, value: string): this {
    this.#tag(field, WIRE_TYPE.lengthDelimited).string(value);
    return this;
  }

  /** An int32, int64 or enum field (negative numbers take ten bytes, as protobuf's int64 does). */
  int(field: number, value: number): this {
    this.#tag(field, WIRE_TYPE.varint).int64(value);
    return this;
  }

  /** A repeated float field, packed. */
  floats(field: number, values: readonly number[]): this {
    this.#tag(field, WIRE_TYPE.lengthDelimited).fork();
    for (const value of values) this.#writer.float(value);
    this.#writer.ldelim();
    return this;
  }

  /** A nested message, its fields written by `body` on this same writer. */
  message(field: number, body: (writer: this) => void): this {
    this.#tag(field, WIRE_TYPE.lengthDelimited).fork();
    body(this);
    this.#writer.ldelim();
    return this;
  }

  finish(): Uint8Array {
    return this.#writer.finish();
  }
}

/** A TensorProto's fields that the app uses (weights in the file itself; int64 data is not read). */
export interface OnnxTensor {
  readonly name: string;
  readonly dims: readonly number[];
  /** An ONNX_DATA_TYPE value (0 when the field is absent). */
  readonly dataType: number;
  /** raw_data: little-endian values; a view into the file, so not necessarily aligned. */
  readonly rawData: Uint8Array | null;
  readonly floatData: readonly number[];
}

/** Reads a TensorProto (an initializer). */
export function readTensor(bytes: Uint8Array): OnnxTensor {
  const F = ONNX_FIELD.tensor;
  let name = '';
  const dims: number[] = [];
  let dataType = 0;
  let rawData: Uint8Array | null = null;
  const floatData: number[] = [];
  for (const f of protoFields(bytes)) {
    if (f.field === F.dims) f.ints(dims);
    else if (f.field === F.dataType) dataType = f.int();
    else if (f.field === F.floatData) f.floats(floatData);
    else if (f.field === F.name) name = f.string();
    else if (f.field === F.rawData) rawData = f.bytes();
  }
  return { name, dims, dataType, rawData, floatData };
}

/** Writes a TensorProto as `field` of the message being written (dims and int64 data unpacked). */
export function writeTensor(
  writer: ProtoWriter,
  field: number,
  tensor: {
    readonly name: string;
    readonly dataType: number;
    readonly dims?: readonly number[];
    readonly floatData?: readonly number[];
    readonly int64Data?: readonly number[];
  },
): void {
  const F = ONNX_FIELD.tensor;
  writer.message(field, (t) => {
    for (const d of tensor.dims ?? []) t.int(F.dims, d);
    t.int(F.dataType, tensor.dataType);
    if (tensor.floatData) t.floats(F.floatData, tensor.floatData);
    for (const v of tensor.int64Data ?? []) t.int(F.int64Data, v);
    t.string(F.name, tensor.name);
  });
}
