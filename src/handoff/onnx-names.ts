/**
 * The names our exported model.onnx (src/export/qonnx.ts) gives each layer's nodes and output tensor, and the names
 * hls4ml's ONNX front end then gives the layers it builds from them. The exporter names every node after its layer
 * (src/export/qonnx-layers.ts, qonnx-quant.ts); hls4ml takes a layer's name from `node.name` (hls4ml v1.3.0 ef92ebd,
 * converters/onnx/*.py, e.g. convolution.py:9) and renames two kinds when it rewrites them:
 * - a Conv with constant weights becomes `Conv2D_<name>` (model/optimizer/passes/conv_to_convxd.py:76-83);
 * - a MatMul with a constant becomes `Dense_<name>` (matmul_const_to_dense.py:29-33);
 * and it inserts `zp2d_<conv layer>` in front of a padded conv (backends/vivado/passes/conv_same_pad.py:101) and
 * `clone_<layer>` after a tensor read twice, whose outputs are `<tensor>_cpy<i>` (backends/fpga/passes/clone.py:89-107).
 * test/handoff.test.ts decodes the exported file and checks these names against it.
 */
import type { Layer, LayerGraph } from "../net/index.js";
import { OUTPUT_NAME } from "../export/qonnx-graph.js";
import { quantSpecOf, type QuantSpec } from "../train/quant-spec.js";
import type { TrainConfig } from "../train/config.js";

export interface LayerNames {
  /** the ONNX nodes of this layer, in file order, with their op type */
  nodes: { name: string; op: string }[];
  /** the node whose hls4ml layer writes the stream this layer's readers read */
  writer: string;
  /** that output's tensor name */
  tensor: string;
}

/** The exported names of every layer but the input, by layer name. `config` decides where Quant nodes go. */
export function onnxNames(g: LayerGraph, config: Partial<TrainConfig> = {}): Map<string, LayerNames> {
  const q: QuantSpec | null = quantSpecOf(config);
  const out = new Map<string, LayerNames>();
  for (const l of g.layers) {
    if (l.op === "input") continue;
    const tensor = l.id === g.output ? OUTPUT_NAME : l.name;
    out.set(l.name, namesOf(l, tensor, q));
  }
  return out;
}

// mirrors src/export/qonnx-layers.ts emitLayer and qonnx-quant.ts: a weight Quant is `<layer>.weight_q.quant`, an
// activation Quant `<relu>.quant` (its output keeps the layer's tensor name)
function namesOf(l: Layer, tensor: string, q: QuantSpec | null): LayerNames {
  const wq = q?.weightBits ? [{ name: `${l.name}.weight_q.quant`, op: "Quant" }] : [];
  switch (l.op) {
    case "conv":
      return { nodes: [...wq, { name: l.name, op: "Conv" }], writer: l.name, tensor };
    case "relu":
      if (q?.actBits) return { nodes: [{ name: l.name, op: "Relu" }, { name: `${tensor}.quant`, op: "Quant" }], writer: `${tensor}.quant`, tensor };
      return { nodes: [{ name: l.name, op: "Relu" }], writer: l.name, tensor };
    case "bn":
      return { nodes: [{ name: l.name, op: "BatchNormalization" }], writer: l.name, tensor };
    case "add":
      return { nodes: [{ name: l.name, op: "Add" }], writer: l.name, tensor };
    case "maxpool":
      return { nodes: [{ name: l.name, op: "MaxPool" }], writer: l.name, tensor };
    case "gap":
      // the Flatten becomes an in-place Reshape in io_stream (inplace_stream_flatten: its variable has no stream
      // pragma), so the stream is the pool's output
      return { nodes: [{ name: l.name, op: "GlobalAveragePool" }, { name: `${l.name}.flatten`, op: "Flatten" }], writer: l.name, tensor };
    case "dense":
      return { nodes: [...wq, { name: `${l.name}.matmul`, op: "MatMul" }, { name: `${l.name}.bias_add`, op: "Add" }], writer: `${l.name}.bias_add`, tensor };
    default:
      throw new Error(`hls4ml hand-off: layer ${l.name} (${l.op}) is not exported (src/export/qonnx-layers.ts)`);
  }
}

/** The name hls4ml gives the layer it builds from an ONNX node (see the file comment). */
export function hls4mlLayerName(node: { name: string; op: string }): string {
  // sanitize_layer_name (converters/onnx_to_hls.py:6-11): a name starting with a digit gets its class name in front
  const name = /^\d/.test(node.name) ? `${node.op.toLowerCase()}${node.name}` : node.name;
  if (node.op === "Conv") return `Conv2D_${name}`;
  if (node.op === "MatMul") return `Dense_${name}`;
  return name;
}
