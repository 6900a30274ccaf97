/**
 * The ONNX messages the exporter writes (field numbers from onnx.proto, onnx 1.12), each as protobuf bytes
 * (protobuf.ts): a node and its attributes, a float32 initializer, a tensor's type, an opset import and a metadata
 * entry. Pure functions.
 */
import { bytesField, concat, float32Bytes, floatField, intField, messageField, packedIntsField, stringField } from "./protobuf.js";

const FLOAT = 1; // TensorProto.DataType.FLOAT
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

/** a float32 tensor's type; a string dimension is symbolic (the batch) */
export function valueInfo(name: string, dims: (number | string)[]): Uint8Array {
  const dim = (d: number | string) => messageField(1, [typeof d === "string" ? stringField(2, d) : intField(1, d)]);
  const shape = messageField(2, dims.map(dim));
  return concat([stringField(1, name), messageField(2, [messageField(1, [intField(1, FLOAT), shape])])]);
}

/** ModelProto.opset_import: an operator set the model uses ("" is ONNX's own) */
export const opsetImport = (domain: string, version: number) => messageField(8, [stringField(1, domain), intField(2, version)]);

/** ModelProto.metadata_props: one key and value */
export const metadataProp = (key: string, value: string) => messageField(14, [stringField(1, key), stringField(2, value)]);
