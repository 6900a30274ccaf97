/**
 * The ONNX messages the exporter writes (field numbers from onnx.proto, onnx 1.12), each as protobuf bytes
 * (protobuf.ts): a node and its attributes, a float32 initializer, a tensor's type, an opset import and a metadata
 * entry. Pure functions.
 */
import { bytesField, concat, float32Bytes, floatField, intField, messageField, packedIntsField, stringField } from "./protobuf.js";

/** TensorProto.DataType values (onnx.proto): the element types the exporter writes */
export const FLOAT = 1;
export const UINT8 = 2;
export const INT8 = 3;
export type ElemType = typeof FLOAT | typeof UINT8 | typeof INT8;
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_INTS = 7;

export type Attr = { name: string } & ({ i: number } | { ints: number[] } | { s: string } | { f: number });

function attribute(a: Attr): Uint8Array {
  const f: Uint8Array[] = [stringField(1, a.name)];
  if ("i" in a) f.push(intField(3, a.i), intField(20, ATTR_INT));
  else if ("ints" in a) f.push(packedIntsField(8, a.ints), intField(20, ATTR_INTS));
  else if ("s" in a) f.push(stringField(4, a.s), intField(20, ATTR_STRING));
  else f.push(floatField(2, a.f), intField(20, ATTR_FLOAT));
  return concat(f);
}

export interface Node {
  op: string;
  name: string;
  inputs: string[];
  output: string;
  attrs?: Attr[];
  domain?: string;
}

export function node(n: Node): Uint8Array {
  return concat([
    ...n.inputs.map((i) => stringField(1, i)),
    stringField(2, n.output),
    stringField(3, n.name),
    stringField(4, n.op),
    ...(n.attrs ?? []).map((a) => messageField(5, [attribute(a)])),
    ...(n.domain ? [stringField(7, n.domain)] : []),
  ]);
}

/** a float32 initializer (raw little-endian data) */
export function tensor(name: string, dims: number[], values: ArrayLike<number>): Uint8Array {
  return concat([packedIntsField(1, dims), intField(2, FLOAT), stringField(8, name), bytesField(9, float32Bytes(values))]);
}

/**
 * an 8-bit integer initializer (raw data, one byte per element, two's complement for INT8): the QCDQ export's
 * integer weights, zero points and Clip bounds. Values must be integers in the type's range.
 */
export function intTensor(name: string, dims: number[], values: ArrayLike<number>, type: typeof INT8 | typeof UINT8): Uint8Array {
  const [lo, hi] = type === INT8 ? [-128, 127] : [0, 255];
  const raw = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`intTensor ${name}: element ${i} is ${v}, not an integer in [${lo}, ${hi}]`);
    raw[i] = v & 0xff;
  }
  return concat([packedIntsField(1, dims), intField(2, type), stringField(8, name), bytesField(9, raw)]);
}

/** a tensor's type (float32 unless told); a string dimension is symbolic (the batch) */
export function valueInfo(name: string, dims: (number | string)[], type: ElemType = FLOAT): Uint8Array {
  const dim = (d: number | string) => messageField(1, [typeof d === "string" ? stringField(2, d) : intField(1, d)]);
  const shape = messageField(2, dims.map(dim));
  return concat([stringField(1, name), messageField(2, [messageField(1, [intField(1, type), shape])])]);
}

/** ModelProto.opset_import: an operator set the model uses ("" is ONNX's own) */
export const opsetImport = (domain: string, version: number) => messageField(8, [stringField(1, domain), intField(2, version)]);

/** ModelProto.metadata_props: one key and value */
export const metadataProp = (key: string, value: string) => messageField(14, [stringField(1, key), stringField(2, value)]);
