/**
 * The exported graph while it is built: its nodes, initializers and value types in the order they are added (the
 * order of the file's bytes), and a count of nodes per op for the summary.
 */
import { FLOAT, intTensor, node, tensor, valueInfo, type ElemType, type INT8, type Node, type UINT8 } from "./onnx-proto.js";

export const INPUT_NAME = "input";
export const OUTPUT_NAME = "logits";

export class GraphBuilder {
  readonly nodes: Uint8Array[] = [];
  readonly inits: Uint8Array[] = [];
  readonly infos: Uint8Array[] = [];
  /** ONNX op type -> count */
  readonly ops: Record<string, number> = {};
  private readonly initNames = new Set<string>();

  /** A float32 initializer, written once however often it is used (the Quant nodes' shared zero point and widths). */
  init(name: string, dims: number[], values: ArrayLike<number>): string {
    if (!this.initNames.has(name)) this.inits.push(tensor(name, dims, values));
    this.initNames.add(name);
    return name;
  }

  /** An 8-bit integer initializer (QCDQ's weights, zero points, Clip bounds), written once. */
  intInit(name: string, dims: number[], values: ArrayLike<number>, type: typeof INT8 | typeof UINT8): string {
    if (!this.initNames.has(name)) this.inits.push(intTensor(name, dims, values, type));
    this.initNames.add(name);
    return name;
  }

  /** A node, and its output's type (the graph's output has its own, in the graph's outputs). */
  emit(n: Node, dims: (number | string)[], type: ElemType = FLOAT): string {
    this.nodes.push(node(n));
    this.ops[n.op] = (this.ops[n.op] ?? 0) + 1;
    if (n.output !== OUTPUT_NAME) this.infos.push(valueInfo(n.output, dims, type));
    return n.output;
  }
}
