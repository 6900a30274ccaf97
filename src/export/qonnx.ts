/**
 * A trained network as ONNX (opset 13) in the QONNX dialect, the format hls4ml's ONNX front end reads: the graph is
 * the network's *current* NetSpec lowered (src/net/graph.ts), so a Tailor student comes out with its final skips
 * (a removed skip has no Add and no projection, a shortened one its short Adds), and every layer is the op the eval
 * forward pass (src/train/model.ts, `forward(m, x, false)`) runs:
 *   conv -> Conv (weights OIHW, explicit pads), bn -> BatchNormalization (running statistics, epsilon BN_EPS),
 *   relu -> Relu, add -> Add, maxpool -> MaxPool, gap -> GlobalAveragePool + Flatten, dense -> MatMul + Add.
 *
 * Quantised runs (src/train/quant.ts) get QONNX `Quant` nodes (domain "qonnx.custom_op.general") where the forward
 * pass fake-quantises: on every conv's and dense layer's weight initializer (signed, narrow, bits from weightBitsOf:
 * quantEdgeBits at the first conv and the last dense layer) and on every ReLU's output (unsigned, not narrow, the
 * body's activation bits). Biases, batch norm and the sums of skip adds stay float, as in training.
 *
 * The Quant op, as QONNX specifies it (fastmachinelearning/qonnx, docs/qonnx-custom-ops/quant_op.md at 48bff89 and
 * src/qonnx/custom_op/general/intquant.py at 4426a3e, `int_quant`): inputs X, scale, zeropt, bitwidth (scalars
 * here: per-tensor); y = (round(clamp(X / scale + zeropt, min_int, max_int)) - zeropt) * scale with
 * min_int/max_int = -(2^(b-1) - 1)/(2^(b-1) - 1) for signed narrow, 0/(2^b - 1) for unsigned non-narrow, and
 * rounding_mode "ROUND" = numpy's round, half to even. Ours (quant.ts: clamp(round(x / s), qmin, qmax) * s, round
 * half to even) rounds before it clamps; with integer bounds both orders give the same integer, and zeropt is 0,
 * so the values are the same. intquant.py's `get_output_dtype` wants scale, zeropt and bitwidth as initializers and
 * the bit width a scalar of integer value: they are (bitwidth as a float32 scalar, as Brevitas exports it; the
 * spec's table says int32, its code only reads `int(bitwidth)`).
 * The scales are the ones the eval forward pass computes: weights max|w| / (2^(b-1) - 1), activations
 * `<relu>.actmax` / (2^b - 1), each floored at SCALE_MIN and rounded to float32 as the fake-quantisation op does.
 *
 * With `format: "qcdq"` the same quantisers are written as standard QuantizeLinear -> Clip -> DequantizeLinear
 * (qcdq-quant.ts), which ONNX Runtime executes; the graph is otherwise the same.
 *
 * Input: NCHW float32, *already normalised*: (pixel / 255 - mean[c]) / std[c] with the training split's per-channel
 * statistics (src/data/batches.ts). The normalisation is a pre-processing step, not an op of the graph: folding it
 * into the first conv would change that conv's weights and so its 8-bit quantisation grid (the exported network
 * would no longer be the one trained), and a float Mul/Add in front would be one more layer for hls4ml to build.
 * When known (a finished run's results.json), mean and std are recorded in the model's metadata and doc string.
 *
 * Pure: bytes from a checkpoint's records (plain arrays: no tfjs tensor, no file). This module checks and walks the
 * network; qonnx-layers.ts writes each layer kind, qonnx-quant.ts the Quant nodes, qonnx-model.ts the model around
 * the graph and its metadata, over onnx-proto.ts (ONNX messages) and protobuf.ts (the wire format).
 */
import { lower, type LayerGraph } from "../net/index.js";
import { quantLabel, quantSpecOf } from "../train/quant.js";
import { GraphBuilder, OUTPUT_NAME } from "./qonnx-graph.js";
import { emitLayer } from "./qonnx-layers.js";
import { modelBytes } from "./qonnx-model.js";
import { ExportError, QUANT_FORMATS, type ExportContext, type ExportOptions, type ExportSource, type ExportSummary } from "./qonnx-types.js";

export { INPUT_NAME, OUTPUT_NAME } from "./qonnx-graph.js";
export { IR_VERSION, OPSET } from "./qonnx-model.js";
export { QONNX_DOMAIN } from "./qonnx-quant.js";
export { ExportError, QUANT_FORMATS, type ExportOptions, type ExportSource, type ExportSummary, type QuantFormat } from "./qonnx-types.js";

/** Refuse what the exporter cannot express, naming the layer or head and why. */
function checkExportable(g: LayerGraph, where: string): void {
  if (g.net.head.kind !== "gap-dense") {
    throw new ExportError(`${where}: ${g.net.name} has a "${g.net.head.kind}" head; the exporter writes networks ending ReLU, global average pool, dense ("gap-dense": the ResNets): a flattened or per-time output is laid out NHWC in training and NCHW in ONNX`);
  }
  for (const l of g.layers) {
    if (l.op === "flatten") throw new ExportError(`${where}: layer ${l.name} (flatten) is not exported (NHWC vs NCHW order)`);
  }
}

/**
 * ONNX ModelProto bytes of the checkpoint's network (see the file comment), and a summary of what was written.
 * Throws an ExportError naming the tensor, statistic or layer that is missing or cannot be expressed.
 */
export function exportQonnx(src: ExportSource, opts: ExportOptions = {}): { bytes: Uint8Array; summary: ExportSummary } {
  const where = opts.source ?? src.net?.name ?? "model";
  let g: LayerGraph;
  try {
    g = lower(src.net);
  } catch (e) {
    throw new ExportError(`${where}: invalid network: ${(e as Error).message}`);
  }
  checkExportable(g, where);
  const format = opts.format ?? "qonnx";
  if (!QUANT_FORMATS.includes(format)) throw new ExportError(`${where}: unknown quantiser format "${format}", expected ${QUANT_FORMATS.join(" or ")}`);
  const c: ExportContext = { src, g, q: quantSpecOf(src.config ?? {}), format, b: new GraphBuilder(), quants: { weights: 0, activations: 0 }, where };
  // each layer's output tensor by layer id; the network's output is the graph's
  const names: string[] = new Array(g.layers.length);
  for (const l of g.layers) {
    names[l.id] = emitLayer(
      c,
      l,
      l.inputs.map((i) => names[i]),
      l.id === g.output ? OUTPUT_NAME : l.name,
    );
  }
  const skipModes = g.net.blocks.map((b) => b.skip);
  const quant = quantLabel(src.config ?? {});
  return {
    bytes: modelBytes(c, opts, skipModes, quant),
    summary: { quant, format, ops: c.b.ops, weightQuants: c.quants.weights, activationQuants: c.quants.activations, initializers: c.b.inits.length, skipModes },
  };
}
