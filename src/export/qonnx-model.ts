/**
 * The ModelProto around the built graph: ONNX opset 13 (and the QONNX domain when there are Quant nodes), the
 * producer, the graph's input and output types, and metadata that says what was exported (network, skip modes,
 * quantisation) and how the input must be prepared (NCHW, normalised outside the graph).
 */
import { bytesField, concat, intField, messageField, stringField } from "./protobuf.js";
import { metadataProp, opsetImport, valueInfo } from "./onnx-proto.js";
import { INPUT_NAME, OUTPUT_NAME } from "./qonnx-graph.js";
import { QONNX_DOMAIN } from "./qonnx-quant.js";
import type { ExportContext, ExportOptions } from "./qonnx-types.js";

export const OPSET = 13;
/** ONNX IR version 7 goes with opset 13 (onnx 1.8; onnx.helper.VERSION_TABLE) */
export const IR_VERSION = 7;

/** the model's bytes; `skipModes` and `quant` (its label) as the summary reports them */
export function modelBytes(c: ExportContext, opts: ExportOptions, skipModes: string[], quant: string): Uint8Array {
  const { g, b } = c;
  const N = "N";
  const outLayer = g.layers[g.output];
  const normText = opts.normalisation
    ? `input: NCHW float32, normalised per channel as in training: (pixel / 255 - mean) / std, mean ${JSON.stringify(opts.normalisation.mean)}, std ${JSON.stringify(opts.normalisation.std)} (not folded into the graph)`
    : "input: NCHW float32, normalised per channel as in training: (pixel / 255 - mean) / std with the training split's statistics (results.json: normalisation; not folded into the graph, and not known to this export)";
  const graph = concat([
    ...b.nodes.map((n) => bytesField(1, n)),
    stringField(2, `${g.net.name}`),
    ...b.inits.map((t) => bytesField(5, t)),
    stringField(10, `${g.net.name}, skips ${skipModes.join(",")}, ${quant}. ${normText}`),
    bytesField(11, valueInfo(INPUT_NAME, [N, g.net.input.channels, g.net.input.height, g.net.input.width])),
    bytesField(12, valueInfo(OUTPUT_NAME, [N, outLayer.shape.c])),
    ...b.infos.map((v) => bytesField(13, v)),
  ]);
  return concat([
    intField(1, IR_VERSION),
    opsetImport("", OPSET),
    ...(c.format === "qonnx" && c.quants.weights + c.quants.activations > 0 ? [opsetImport(QONNX_DOMAIN, 1)] : []),
    stringField(2, "tailor-ts"),
    stringField(3, opts.producerVersion ?? "0.1.0"),
    messageField(7, [graph]),
    metadataProp("tailor.net", g.net.name),
    metadataProp("tailor.skip_modes", skipModes.join(",")),
    metadataProp("tailor.quant", quant),
    ...(c.quants.weights + c.quants.activations > 0 ? [metadataProp("tailor.quant_format", c.format)] : []),
    metadataProp("tailor.input_layout", "NCHW"),
    metadataProp("tailor.input_normalisation", opts.normalisation ? JSON.stringify(opts.normalisation) : "unknown"),
  ]);
}
