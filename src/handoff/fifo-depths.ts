/**
 * Our simulated FIFO depths as hls4ml's Vivado FIFO-depth optimisation writes them: `max_depth.json`, a JSON list of
 * {name, max, depth} (hls4ml v1.3.0 ef92ebd, backends/vivado/passes/fifo_depth_optimization.py:42-44 and 97), which
 * its `set_fifo_depth` (lines 47-55) applies as depth = max + 1. The depths come from the claims' code path:
 * buildDesign -> simulate with unbounded FIFOs -> fifoDepths(.., fifoDepth "optimised") (src/hw/hls4ml/model.ts).
 *
 * Fields, and where ours differ in meaning from hls4ml's:
 * - `max`: the stream's maximum occupancy in the simulation (hls4ml: the largest `usedw` seen in co-simulation);
 * - `depth`: the depth the FIFO gets, max + 1 (hls4ml writes the profiling FIFO's DEPTH there and ignores it when
 *   applying; our simulated FIFOs are unbounded, so there is no profiling depth to write);
 * - `name`: the hls4ml layer that writes the stream (onnx-names.ts), `<clone layer>_cpy<i>` for a Clone's i-th copy.
 *   hls4ml writes the RTL instance name `layerN_out_V_data_0_V_U` and matches `v.name` (layerN_out) inside it, but
 *   N is hls4ml's internal node index, which its ONNX passes renumber (hls4ml-handoff.md section 1.4): it cannot be
 *   known without running hls4ml, so apply_fifo_depths.py (apply-script.ts) finds each variable by its layer.
 * Only the streams hls4ml profiles are listed: not the model's input and output variables (lines 72-79), which
 * keep their default depth, as in fifoDepths.
 */
import { buildDesign, fifoDepths, type Design, type Hls4mlConfig } from "../hw/hls4ml/index.js";
import type { LayerGraph } from "../net/index.js";
import type { TrainConfig } from "../train/config.js";
import { hls4mlLayerName, onnxNames, type LayerNames } from "./onnx-names.js";

/** One entry of max_depth.json: exactly the keys hls4ml writes. */
export interface MaxDepthEntry {
  name: string;
  max: number;
  depth: number;
}

/** A stream of our design beside the hls4ml name its depth is filed under (null: hls4ml has no such stream). */
export interface StreamName {
  stream: string;
  hls4ml: string | null;
  /** why a stream has no hls4ml name, or what to know about its name */
  note?: string;
}

export interface FifoDepthFile {
  entries: MaxDepthEntry[];
  /** every stream of the design, in stream order, with its hls4ml name */
  names: StreamName[];
  /** the simulated occupancy and the depth fifoDepths gives, by stream id */
  maxOccupancy: number[];
  depths: number[];
}

/** The hls4ml name of each stream of design d (see the file comment). */
export function streamNames(d: Design, names: Map<string, LayerNames>): StreamName[] {
  const writerOf = (layer: string): string => {
    const n = names.get(layer);
    if (!n) throw new Error(`hls4ml hand-off: process ${layer} is no exported layer`);
    return hls4mlLayerName(n.nodes.find((x) => x.name === n.writer)!);
  };
  // the hls4ml layer a process stands for: the ReLU it computes when merged (its output is the ReLU's tensor)
  const layerOf = (pid: number): string => {
    const p = d.processes[pid];
    return writerOf(p.mergedRelu ?? p.name);
  };
  return d.streams.map((s) => {
    const p = d.processes[s.from];
    const q = d.processes[s.to];
    const stream = s.name;
    if (p.kind === "input") return { stream, hls4ml: null, note: "the model's input variable: not profiled by hls4ml, keeps its default depth" };
    if (q.kind === "output") return { stream, hls4ml: null, note: "the model's output variable: not profiled by hls4ml, keeps its default depth" };
    if (p.kind === "clone") {
      // copies in reader order, the order hls4ml numbers them (clone.py:95-99); p.outputs lists them so
      const copy = p.outputs.indexOf(s.id) + 1;
      const source = d.streams[p.inputs[0]].from;
      const src = d.processes[source].kind === "input" ? "input" : layerOf(source);
      return { stream, hls4ml: `clone_${src}_cpy${copy}` };
    }
    if (p.kind === "zeropad") {
      if (q.kind !== "conv") return { stream, hls4ml: null, note: `our model pads a ${q.kind} with its own process; hls4ml inserts ZeroPadding only before a conv (conv_same_pad.py), so it has no such stream` };
      return { stream, hls4ml: `zp2d_${writerOf(q.name)}` };
    }
    const note = p.mergedRelu ? `ReLU ${p.mergedRelu} computed in ${p.name} (reluMerge, hls4ml PR #586, not in upstream hls4ml): upstream keeps a ${p.name} -> ${p.mergedRelu} stream we do not size` : undefined;
    return note ? { stream, hls4ml: layerOf(s.from), note } : { stream, hls4ml: layerOf(s.from) };
  });
}

/**
 * max_depth.json of a network at config c (FIFO policy forced to "optimised": the file is the optimisation's
 * output). `trainConfig` says where the exported model has Quant nodes, which changes some layer names.
 */
export function fifoDepthFile(g: LayerGraph, c: Hls4mlConfig, trainConfig: Partial<TrainConfig> = {}): FifoDepthFile {
  const d = buildDesign(g, c);
  const { depths, sim } = fifoDepths(d, { ...c, fifoDepth: "optimised" });
  if (sim.deadlock) throw new Error(`hls4ml hand-off: the design deadlocks: ${sim.blockedOn.join(", ")}`);
  const names = streamNames(d, onnxNames(g, trainConfig));
  const entries: MaxDepthEntry[] = [];
  names.forEach((n, id) => {
    if (n.hls4ml !== null) entries.push({ name: n.hls4ml, max: sim.maxOccupancy[id], depth: sim.maxOccupancy[id] + 1 });
  });
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.name)) throw new Error(`hls4ml hand-off: two streams filed under the hls4ml name ${e.name}`);
    seen.add(e.name);
  }
  return { entries, names, maxOccupancy: sim.maxOccupancy, depths };
}
