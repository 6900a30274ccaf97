/**
 * The hls4ml configuration of a design, in the two parts hls4ml's ONNX converter takes (hls4ml v1.3.0 ef92ebd,
 * converters/__init__.py:323-388, convert_from_onnx_model):
 * - `hls_config`: the `Model` and `LayerName` sections (Precision, ReuseFactor, Strategy; model/graph.py:211-238 and
 *   264-281 parse them), LayerName keyed by the ONNX node names of our model.onnx (onnx-names.ts): hls4ml names a
 *   layer after its node (converters/onnx/*.py) and carries the entry over when it renames one
 *   (conv_to_convxd.py:80-81, set_name_config);
 * - `convert_kwargs`: io_type, part, clock_period, backend, which are keyword arguments of the converter passed to
 *   the backend's create_initial_config, not keys of hls_config (utils/config.py:6-44; vivado_backend.py:245-289).
 * Pure (the cost explorer page bundles it); where the cost configuration comes from is cost-config.ts.
 */
import { buildDesign, type Hls4mlConfig } from "../hw/hls4ml/index.js";
import type { LayerGraph } from "../net/index.js";
import type { TrainConfig } from "../train/config.js";
import { onnxNames } from "./onnx-names.js";

/**
 * Full part numbers for our PARTS (hls4ml's `part` wants the ordering code):
 * - xc7z020: xc7z020clg400-1, the Pynq-Z2 part of the MLPerf Tiny hls4ml submission (mlcommons/tiny_results_v0.7
 *   64623f4, open/hls4ml-finn/code/ic/RN07/inference/pynq-z2/accuracy_power.yml:7);
 * - xcu250: xcu250-figd2104-2L-e, the hls4ml tutorial's part (data/published/hls4ml-tutorial-cnn.json, source.part);
 * - xcvu9p: xcvu9p-flga2104-2L-e, the VCU118 board's part (Xilinx UG1224, VCU118 user guide).
 */
export const PART_NUMBERS: Record<string, string> = {
  xc7z020: "xc7z020clg400-1",
  xcu250: "xcu250-figd2104-2L-e",
  xcvu9p: "xcvu9p-flga2104-2L-e",
};

/**
 * Integer bits of each fixed-point type: the cost model knows only widths, hls4ml needs the split. Taken from the
 * MLPerf Tiny submission's per-layer precisions (same yml, lines 15 and 27-40): weight and bias ap_fixed<8,3>,
 * accum ap_fixed<17,7>, conv result and model default ap_fixed<12,7>, activation result ap_fixed<9,3>. A starting
 * point, not a choice checked against the network's ranges (hls4ml's profiling tools do that).
 */
export const INTEGER_BITS = { weight: 3, bias: 3, accum: 7, result: 7, activation: 3 } as const;

const fixed = (w: number, i: number) => `fixed<${w},${i}>`;

export interface LayerEntry {
  Precision: Record<string, string>;
  ReuseFactor: number;
  Strategy: Hls4mlConfig["strategy"];
}

export interface HandoffConfig {
  hls_config: {
    Model: { Precision: { default: string }; ReuseFactor: number; Strategy: Hls4mlConfig["strategy"] };
    LayerName: Record<string, LayerEntry>;
  };
  convert_kwargs: { io_type: "io_stream"; part: string; clock_period: number; backend: string; interface?: string };
}

/**
 * The hls4ml configuration of network g at cost configuration c. Reuse factors are the ones the design settles on
 * (hls4ml's own validity rule, config.ts validReuseFactor), so hls4ml has none to change.
 */
export function handoffConfig(g: LayerGraph, c: Hls4mlConfig, trainConfig: Partial<TrainConfig> = {}): HandoffConfig {
  const d = buildDesign(g, c);
  const rf = new Map(d.processes.map((p) => [p.name, p.rf]));
  const LayerName: Record<string, LayerEntry> = {};
  const all = onnxNames(g, trainConfig);
  for (const l of g.layers) {
    if (l.op === "input") continue;
    const names = all.get(l.name)!;
    const act = c.layerActBits?.[l.name] ?? c.actBits;
    for (const n of names.nodes) {
      const Precision: Record<string, string> = {};
      if (n.op === "Conv" || n.op === "MatMul") {
        Precision.weight = fixed(c.weightBits, INTEGER_BITS.weight);
        Precision.bias = fixed(c.weightBits, INTEGER_BITS.bias);
        Precision.accum = fixed(c.accBits, INTEGER_BITS.accum);
        // hls4ml fuses a BatchNormalization into the conv only when the conv's output precision is unspecified
        // (bn_fuse.py:20-27): with bnFusion the conv's result is left to the BN after it
        if (!(c.bnFusion && g.layers.some((x) => x.op === "bn" && x.inputs[0] === l.id))) Precision.result = fixed(act, INTEGER_BITS.result);
      } else if (n.op === "Relu" || (n.op === "Quant" && l.op === "relu")) {
        Precision.result = fixed(act, INTEGER_BITS.activation);
      } else if (n.op === "Quant") {
        // a weight Quant: folded into the conv's or dense layer's weights by hls4ml (quant_opt.py)
        Precision.result = fixed(c.weightBits, INTEGER_BITS.weight);
      } else Precision.result = fixed(act, INTEGER_BITS.result);
      // a reuse factor matters to layers with weights; the others take the model's
      const reuse = n.op === "Conv" || n.op === "MatMul" ? (rf.get(l.name) ?? c.reuseFactor) : c.reuseFactor;
      LayerName[n.name] = { Precision, ReuseFactor: reuse, Strategy: c.strategy };
    }
  }
  const convert_kwargs: HandoffConfig["convert_kwargs"] = {
    io_type: "io_stream",
    part: PART_NUMBERS[c.part] ?? c.part,
    // ns, rounded to the picosecond (150 MHz -> 6.667; the submission wrote 6.67)
    clock_period: Math.round(1e6 / c.clockMHz) / 1000,
    // our wrapper "none" is the Vivado backend's own top function; the AXI wrappers are VivadoAccelerator's (config.ts, Wrapper)
    backend: c.wrapper === "none" ? "Vivado" : "VivadoAccelerator",
  };
  if (c.wrapper !== "none") convert_kwargs.interface = c.wrapper;
  return {
    hls_config: { Model: { Precision: { default: fixed(c.actBits, INTEGER_BITS.result) }, ReuseFactor: c.reuseFactor, Strategy: c.strategy }, LayerName },
    convert_kwargs,
  };
}
