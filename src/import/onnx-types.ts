/**
 * An ONNX model as the importer reads it: plain data decoded once (onnx-decode.ts), with int64 fields as numbers and
 * every float tensor as a Float32Array, so that graph matching (onnx-graph.ts) and weight conversion
 * (onnx-weights.ts) never touch protobuf objects. Also the one error the importer raises, and how it names a node.
 */

export class ImportError extends Error {}

export type AttrValue = number | string | number[] | OnnxTensor;

export interface OnnxNode {
  /** position in the graph's node list: names a node that has no name */
  index: number;
  op: string;
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

export interface OnnxTensor {
  name: string;
  dims: number[];
  /** ONNX TensorProto.DataType: 1 FLOAT, 2 UINT8, 3 INT8, 6 INT32, 7 INT64 */
  dataType: number;
  /** FLOAT tensors */
  floats?: Float32Array;
  /** INT64 / INT32 tensors (shapes and axes) and INT8 / UINT8 ones (quantised codes, zero points), as numbers */
  ints?: number[];
}

export interface OnnxValueInfo {
  name: string;
  /** a dimension is a number, or the name of a symbolic one ("N", "batch_size"), or null when unknown */
  dims: (number | string | null)[] | null;
  elemType: number;
}

export interface OnnxModel {
  /** the file it came from (errors name it) */
  file: string;
  irVersion: number;
  /** opset version per domain ("" is the default ONNX domain) */
  opsets: Record<string, number>;
  producer: string;
  metadata: Record<string, string>;
  graphName: string;
  nodes: OnnxNode[];
  initializers: Map<string, OnnxTensor>;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

/** "Conv node "b1.u0.conv" (inputs x, w)": how every error names a node */
export function describeNode(n: OnnxNode): string {
  return `${n.op} node ${n.name ? `"${n.name}"` : `#${n.index} (unnamed)`} (inputs ${n.inputs.filter((i) => i !== "").join(", ") || "none"})`;
}
