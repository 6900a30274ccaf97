/**
 * The FIFO simulation against public co-simulation: the MLPerf Tiny hls4ml image-classification designs (RN07 of
 * tiny_results v0.7, RN08 of v1.0) publish the maximum occupancy of each FIFO that hls4ml's FIFO-depth optimisation
 * measured (data/published/mlperf-tiny/, README.md cites the files). Each design is an ordinary NetSpec here, lowered
 * and built by the same lower() -> buildDesign() -> simulate() as every design of the claims, with its FIFOs as deep
 * as the profiling run's (10000), and each published FIFO is set beside the stream it is. Nothing is fitted.
 *
 * What the NetSpec cannot express is refused with its reason: these designs have `skip: 0`; with skips on, the
 * second stack's shortcut is a 4x4 stride-4 conv (resnet_v1_eembc.py: kernel_sizes[5]), and a NetSpec projection is
 * a 1x1 conv + BN only.
 *
 * Which published FIFO is which stream (our reading; hls4ml's `layerN_out` numbers are internal):
 * - `in_local` / `out_local` are the VivadoAccelerator wrapper's streams into the first layer and out of the last;
 * - the other entries are listed in the order of the network's layers (the files list layer4, layer20, layer7, ...);
 *   hls4ml numbers the converter's layers first and layers its optimiser inserts after them, so an entry whose number
 *   exceeds that of the last listed entry (the last converted layer's output) is an inserted layer's: a
 *   ZeroPadding2D in front of a 'same' conv (hls4ml conv_same_pad pass). Ours are matched in order, and the match is
 *   refused unless our design has a zero-padding process at exactly those places.
 */
import { DEFAULT_HLS4ML, type Hls4mlConfig, type ZeroPadRule } from "../hw/hls4ml/config.js";
import { buildDesign, type Design } from "../hw/hls4ml/design.js";
import { simulate } from "../hw/hls4ml/simulate.js";
import { lower } from "../net/graph.js";
import type { ConvSpec, NetSpec } from "../net/types.js";

/** one design of data/published/mlperf-tiny/designs.json */
export interface MlperfTinyDesign {
  name: string;
  /** the occupancy file beside designs.json */
  occupancies: string;
  /** resnet_v1_eembc_quantized's arguments (RN07.yml) */
  network: { input: [number, number, number]; filters: number[]; kernels: number[]; strides: string[]; skip: number; avgPooling: number; classes: number };
  hls4ml: {
    ioType: string;
    backend: string;
    interface: string;
    strategy: "Resource" | "Latency";
    reuseFactor: number;
    /** Keras layer name -> reuse factor */
    layerReuse: Record<string, number>;
    mergedRelu: number;
    weightBits: number;
    resultBits: number;
    accumBits: number;
    part: string;
    clockPeriodNs: number;
    hls4mlBranch: string;
  };
}

/** one entry of a max_depth.json (hls4ml's FIFO-depth optimisation output) */
export interface MaxDepthEntry {
  name: string;
  max: number;
  depth: number;
}

export interface FifoRow {
  design: string;
  /** the published FIFO (RTL instance name) */
  fifo: string;
  /** what it is, in our reading */
  role: string;
  /** our stream: producer -> consumer */
  stream: string;
  published: number;
  simulated: number;
}

/** the profiling depth of the MLPerf runs: every FIFO this deep while it is measured */
const PROFILING_DEPTH = 10000;

/**
 * Which streams get a zero-padding process, by the hls4ml the design was built with: the v0.7 file has an inserted
 * layer in front of the stride-4 conv too, whose 'same' pads are all zero (the pre-v0.7.0 rule, "same"); the v1.0
 * submission pins the fork's `remove_zero_pad` branch and its file has no such layer ("nonzero", hls4ml's rule since
 * v0.7.0). See ZeroPadRule in src/hw/hls4ml/config.ts.
 */
const ZERO_PAD_RULE: Record<string, ZeroPadRule> = {
  "hls4ml-finn-mlperftiny/hls4ml@fifo_depth_opt": "same",
  "hls4ml-finn-mlperftiny/hls4ml@remove_zero_pad": "nonzero",
};

/** the Keras layer names of resnet_v1_eembc_quantized's convs, in order (Keras numbers repeated layer names _1, _2, ...) */
const kerasConv = (i: number) => (i === 0 ? "q_conv2d_batchnorm" : `q_conv2d_batchnorm_${i}`);

/** The design's network as a NetSpec: five QConv2DBatchnorm + quantized_relu convs ('same'), Flatten, Dense. */
export function mlperfTinyNetSpec(d: MlperfTinyDesign): NetSpec {
  const n = d.network;
  if (n.skip) {
    throw new Error(`${d.name}: skip: 1 is not expressible: the second stack's shortcut is a ${n.kernels[5]}x${n.kernels[5]} stride-${n.strides[1]?.[2]} conv without batch norm, a NetSpec projection is a 1x1 conv + BN`);
  }
  if (n.avgPooling) throw new Error(`${d.name}: avg_pooling: 1 (an AveragePooling2D before the flatten) is not a layer of a flatten-dense head`);
  if (n.filters.length !== 4 || n.kernels.length < 5 || n.strides.length !== 2) throw new Error(`${d.name}: expected two stacks (4 filters, 6 kernels, 2 stride strings), got ${JSON.stringify(n)}`);
  const conv = (out: number, kernel: number, stride: string): ConvSpec => ({ kernel, stride: Number(stride), out, padding: "same", bn: false });
  // resnet_v1_eembc_quantized: stem filters[0]; stack 1: filters[1], then filters[0]; stack 2: filters[2], filters[3]
  const convs = [
    conv(n.filters[0], n.kernels[0], n.strides[0][0]),
    conv(n.filters[1], n.kernels[1], n.strides[0][1]),
    conv(n.filters[0], n.kernels[2], n.strides[0][2]),
    conv(n.filters[2], n.kernels[3], n.strides[1][0]),
    conv(n.filters[3], n.kernels[4], n.strides[1][1]),
  ];
  const [h, w, c] = n.input;
  return { name: d.name, dims: 2, input: { channels: c, height: h, width: w }, stem: { convs }, blocks: [], head: { kind: "flatten-dense", hidden: [], classes: n.classes } };
}

/** The cost model's configuration of the design (its yml), every other constant at its default. */
export function mlperfTinyConfig(d: MlperfTinyDesign): Hls4mlConfig {
  const h = d.hls4ml;
  if (h.ioType !== "io_stream") throw new Error(`${d.name}: IOType ${h.ioType}: only io_stream designs have FIFOs`);
  if (h.backend !== "VivadoAccelerator" || (h.interface !== "axi_master" && h.interface !== "axi_stream")) throw new Error(`${d.name}: backend ${h.backend} / interface ${h.interface}: expected the VivadoAccelerator wrapper (axi_master or axi_stream)`);
  const zeroPad = ZERO_PAD_RULE[h.hls4mlBranch];
  if (!zeroPad) throw new Error(`${d.name}: hls4mlBranch "${h.hls4mlBranch}": no zero-padding rule known for it (known: ${Object.keys(ZERO_PAD_RULE).join(", ")})`);
  const layerReuse: Record<string, number> = {};
  for (const [k, rf] of Object.entries(h.layerReuse)) {
    const i = [0, 1, 2, 3, 4].find((j) => kerasConv(j) === k);
    if (i === undefined) throw new Error(`${d.name}: layerReuse "${k}" is not one of the network's convs (${[0, 1, 2, 3, 4].map(kerasConv).join(", ")})`);
    layerReuse[`stem${i}.conv`] = rf;
  }
  return {
    ...DEFAULT_HLS4ML,
    weightBits: h.weightBits,
    actBits: h.resultBits,
    accBits: h.accumBits,
    reuseFactor: h.reuseFactor,
    layerReuse,
    strategy: h.strategy,
    reluMerge: h.mergedRelu === 1,
    zeroPad,
    wrapper: h.interface as Hls4mlConfig["wrapper"],
    part: h.part.replace(/clg.*$/, ""),
    clockMHz: 1000 / h.clockPeriodNs,
  };
}

const layerNumber = (e: MaxDepthEntry) => Number(e.name.match(/^layer(\d+)_out/)?.[1]);

/** Our simulated maximum occupancy of each published FIFO of a design (see the file comment for the matching). */
export function compareFifos(d: MlperfTinyDesign, published: MaxDepthEntry[]): { rows: FifoRow[]; design: Design } {
  const design = buildDesign(lower(mlperfTinyNetSpec(d)), mlperfTinyConfig(d));
  const sim = simulate(design, design.streams.map(() => PROFILING_DEPTH));
  if (sim.deadlock) throw new Error(`${d.name}: the simulation deadlocked with FIFOs of ${PROFILING_DEPTH}: ${sim.blockedOn.join(", ")}`);
  const p = design.processes;
  const label = (s: Design["streams"][number]) => `${p[s.from].name} -> ${p[s.to].name}`;
  const rows: FifoRow[] = [];
  const row = (e: MaxDepthEntry, role: string, s: Design["streams"][number]) => rows.push({ design: d.name, fifo: e.name, role, stream: label(s), published: e.max, simulated: sim.maxOccupancy[s.id] });
  const find = (prefix: string) => {
    const e = published.filter((x) => x.name.startsWith(prefix));
    if (e.length !== 1) throw new Error(`${d.name}: expected one ${prefix} entry, found ${e.length}`);
    return e[0];
  };
  row(find("in_local"), "wrapper input (in_local)", design.streams.find((s) => p[s.from].kind === "input")!);
  row(find("out_local"), "wrapper output (out_local)", design.streams.find((s) => p[s.to].kind === "output")!);
  const theirs = published.filter((e) => !e.name.startsWith("in_local") && !e.name.startsWith("out_local"));
  if (theirs.some((e) => !Number.isInteger(layerNumber(e)))) throw new Error(`${d.name}: an entry is neither in_local, out_local nor layerN_out: ${theirs.map((e) => e.name).join(", ")}`);
  const lastConverted = layerNumber(theirs[theirs.length - 1]);
  const ours = design.streams.filter((s) => p[s.from].kind !== "input" && p[s.to].kind !== "output").sort((a, b) => a.from - b.from);
  const pattern = (v: boolean[]) => v.map((z) => (z ? "Z" : "-")).join("");
  const theirPads = theirs.map((e) => layerNumber(e) > lastConverted);
  const ourPads = ours.map((s) => p[s.from].kind === "zeropad");
  if (ours.length !== theirs.length || pattern(theirPads) !== pattern(ourPads)) {
    throw new Error(`${d.name}: the published internal FIFOs (${theirs.length}, zero-padding outputs at ${pattern(theirPads)}) do not line up with our design's streams (${ours.length}, ${pattern(ourPads)}): ${ours.map(label).join(", ")}`);
  }
  theirs.forEach((e, i) => row(e, theirPads[i] ? "zero padding -> conv" : `${p[ours[i].from].kind} output`, ours[i]));
  return { rows, design };
}

export const FIFO_TABLE_HEADERS = ["design", "published FIFO", "what it is", "our stream", "published max", "simulated max", "difference"];

export function fifoTableCells(rows: FifoRow[]): (string | number)[][] {
  return rows.map((r) => [r.design, r.fifo, r.role, r.stream, r.published, r.simulated, `${r.simulated - r.published >= 0 ? "+" : ""}${r.simulated - r.published}`]);
}
