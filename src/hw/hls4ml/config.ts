/** Configuration of an hls4ml io_stream (dataflow) design. The paper's own settings are unknown: all parameters. */

export interface FpgaPart {
  name: string;
  bram18: number;
  dsp: number;
  ff: number;
  lut: number;
}

/** Device totals from the vendor data sheets. */
export const PARTS: Record<string, FpgaPart> = {
  // Zynq-7000 SoC data sheet, DS190, table 1 (XC7Z020): 140 36Kb block RAMs = 280 x 18Kb, 220 DSP48E1
  xc7z020: { name: "xc7z020", bram18: 280, dsp: 220, ff: 106_400, lut: 53_200 },
  // Virtex UltraScale+ data sheet DS890, table 1 (VU9P, as on the VCU118 board): 2160 x 36Kb = 4320 x 18Kb
  xcvu9p: { name: "xcvu9p", bram18: 4_320, dsp: 6_840, ff: 2_364_480, lut: 1_182_240 },
  // Alveo U250 data card DS962 (XCU250): 2688 x 36Kb = 5376 x 18Kb block RAMs, 12,288 DSP slices
  xcu250: { name: "xcu250", bram18: 5_376, dsp: 12_288, ff: 3_456_000, lut: 1_728_000 },
};

export type Strategy = "Latency" | "Resource";
export type FifoPolicy = "default" | "optimised";
/** how a shortened skip is built: "stock" = Clone + copy FIFO + Add (what hls4ml generates); "fused" = the conv
 * adds the skip value from its own window (no FIFO) */
export type ShortImpl = "stock" | "fused";

/**
 * Bit widths the cost model is stated for: its multiplier and adder rules (FINN-R's LUT estimates, one DSP48 per
 * product up to 48 bits) describe fixed-point data of a few to a few tens of bits, and hls4ml designs use 1-18-bit
 * weights and activations (its tutorials and the MLPerf Tiny submission). Wider values are refused rather than
 * costed (issue 16: 1000-bit weights were costed at 2.9e10 LUTs).
 */
export const BIT_RANGE = { weightBits: [1, 32], actBits: [1, 32], accBits: [1, 64] } as const;
/**
 * How the HLS tool lays out a stream of nnet::array<T, C> (one pixel, C channels):
 * - "per-channel": one FIFO of T per channel. Vivado HLS 2020.1 splits the struct's array member this way: its
 *   reports of hls4ml's io_stream CNN list FIFOs layerN_out_V_data_0_V ... data_15_V, each 16 bits wide
 *   (fastmachinelearning/hls4ml-tutorial, pruned_cnn/.../myproject_csynth.rpt; data/published/hls4ml-tutorial-cnn.json).
 * - "packed": one FIFO C x T bits wide, as when the struct is aggregated (Vitis HLS aggregates structs; we have no
 *   public hls4ml report to check this layout against).
 */
export type FifoLayout = "per-channel" | "packed";

/**
 * Whether hls4ml puts a ZeroPadding2D process in front of a conv (io_stream only):
 * - "nonzero" (hls4ml >= v0.7.0, from commit cbf8e61 of 2022-05-23): when any of its four pads is non-zero
 *   (backends/vivado/passes/conv_same_pad.py, v1.3.0 ef92ebd lines 53-74: the match tests the pads, the transform
 *   returns early "if no padding needs to be done");
 * - "same" (hls4ml v0.6.0, model/optimizer/passes/conv_same_pad.py lines 43-48): before every conv with 'same'
 *   padding and a kernel larger than 1 in both axes, even when its pads are all zero (a strided 'same' conv whose
 *   window tiles the map exactly, e.g. 2x2 at stride 2 on an even map), and never before a 1x1.
 */
export type ZeroPadRule = "nonzero" | "same";

/**
 * How the network's input reaches its first layer and its output leaves (the top level hls4ml writes; only io_stream
 * designs are modelled):
 * - "none": the Vivado backend's top function (myproject) with its hls::stream ports: one pixel (all channels) per
 *   cycle, read as the first layer needs it. The tutorial reports (data/published) are of this top function.
 * - "axi_stream": the VivadoAccelerator backend's myproject_axi with interface axi_stream (the Pynq-Z2 and ZCU102
 *   flows; writer/vivado_accelerator_writer.py, v1.3.0 ef92ebd lines 146-152: `#pragma HLS DATAFLOW` for io_stream;
 *   lines 166-193: a loop over pixels whose inner loop copies one channel value per AXI beat into the in_local
 *   stream, neither loop pipelined or unrolled; the same in v0.6.0, lines 139-151). So the input arrives one pixel
 *   every C cycles (an AXI4-Stream moves at most one beat a clock), concurrently with the network, and the output
 *   leaves one value per beat the same way (lines 208-230).
 * - "axi_master": the same wrapper with interface axi_master or axi_lite: no DATAFLOW pragma (lines 132-145), so the
 *   copy loop fills in_local with the whole input before the network starts, and the output is copied out after it
 *   ends (a value a cycle, at best).
 * With io_parallel (not modelled here: its layers exchange arrays, not FIFOs) the wrapper always loads the whole input
 * first: a loop of N_IN beats, pipelined for axi_stream (lines 155-165), before the network call.
 */
export type Wrapper = "none" | "axi_stream" | "axi_master";

export interface Hls4mlConfig {
  weightBits: number;
  actBits: number;
  accBits: number;
  /** global reuse factor; per-layer overrides by layer name */
  reuseFactor: number;
  layerReuse?: Record<string, number>;
  strategy: Strategy;
  fifoDepth: FifoPolicy;
  /**
   * FIFO storage: shift registers (SRL, in LUTs) when depth <= srlMaxDepth or depth x width <= srlMaxBits, else block
   * RAM. Vitis HLS documents auto_srl_max_bits = 1024 and auto_srl_max_depth = 2 (UG1399, config_storage); legacy
   * Vivado HLS's rule is undocumented, hence parameters.
   */
  srlMaxBits: number;
  srlMaxDepth: number;
  /**
   * FIFOs above the SRL limit and of at most this many bits are distributed RAM (LUTRAM), larger ones block RAM.
   * 0 (the default) leaves out the LUTRAM tier: after synthesis the tutorial designs of data/published use no
   * distributed RAM, their small FIFOs are shift registers.
   */
  lutramMaxBits: number;
  fifoLayout: FifoLayout;
  /**
   * fraction of non-zero weights (1 = dense). With the Latency strategy the weights are constants and HLS removes
   * the products of zero weights, so a pruned network needs fewer multipliers and adders; the Resource strategy
   * reads weights from a ROM and keeps them all.
   */
  weightDensity: number;
  /** multipliers use a DSP when both operands are at least this wide, else LUTs (a tool heuristic: a parameter) */
  dspMinBits: number;
  /**
   * hls4ml's fuse_batch_normalization pass: a BatchNormalization after a Conv/Dense is folded into its weights
   * (hls4ml/model/optimizer/passes/bn_fuse.py, in the default "convert" flow of hls4ml v1.3.0, commit ef92ebd). With
   * false, every BN is its own element-wise process.
   */
  bnFusion: boolean;
  /**
   * The ReLU merge of hls4ml PR #586 (by the paper's first author; first in hls4ml's MLPerf Tiny 2022 submission,
   * PR #503): a ReLU whose input is a Dense or Conv2D layer (after BN fusion) is computed in that layer's output
   * stage, so the ReLU process and its FIFO disappear (pr/586 head 347a6bd, hls4ml/model/optimizer/passes/merge_relu.py;
   * registered in the "optimize" flow, applies to io_parallel and io_stream alike). The PR was never merged: hls4ml's
   * current default flow (v1.3.0, ef92ebd) has no such pass, hence the default false. Its kernels implement the
   * merged ReLU only in nnet_dense_resource.h (the Resource strategy); the model applies it under either strategy
   * and says so in a warning.
   */
  reluMerge: boolean;
  /** see ShortImpl; "fused" computes the ReLU and the add in the conv's output stage, so it needs reluMerge */
  shortImpl: ShortImpl;
  /** which convs get a zero-padding process (see ZeroPadRule) */
  zeroPad: ZeroPadRule;
  /** how the input arrives and the output leaves (see Wrapper) */
  wrapper: Wrapper;
  /**
   * result precision of named layers where it differs from actBits: hls4ml's per-layer `Precision: result` (e.g. a
   * QKeras quantized_relu's 6 bits). It sets the width of the streams the layer writes (FIFO resources only).
   */
  layerActBits?: Record<string, number>;
  part: string;
  clockMHz: number;
}

export const DEFAULT_HLS4ML: Hls4mlConfig = {
  weightBits: 8,
  actBits: 8,
  accBits: 16,
  reuseFactor: 1,
  strategy: "Latency",
  fifoDepth: "default",
  srlMaxBits: 1024,
  srlMaxDepth: 2,
  lutramMaxBits: 0,
  // hls4ml's Vivado backend on Vivado HLS 2020.1, the flow of its CNN tutorial and MLPerf Tiny submission
  fifoLayout: "per-channel",
  weightDensity: 1,
  dspMinBits: 10,
  // hls4ml's current default flow: BN fused, no ReLU merge, shortened skips as stock hls4ml builds them
  bnFusion: true,
  reluMerge: false,
  shortImpl: "stock",
  // hls4ml's current rule (v1.3.0); "same" for flows before v0.7.0
  zeroPad: "nonzero",
  // hls4ml's default backend (Vivado): the top function's own stream ports
  wrapper: "none",
  part: "xcu250",
  clockMHz: 200,
};

/**
 * The MLPerf Tiny v0.7 hls4ml ResNet submission (mlcommons tiny_results v0.7, open/hls4ml-finn, RN07): xc7z020,
 * io_stream, 8-bit weights, Resource strategy with reuse factor 16384 where it applies, 150 MHz, ReLU merged into
 * the layer before it (hls4ml PR #503, the submission's branch; Borras et al. 2022, arXiv 2206.11791). Its
 * activations were 9-12 bits: we take 10. (That model had its skips switched off; here it is a configuration to
 * sweep. The fused short skip needs the ReLU merge this flow has.)
 */
export const MLPERF_TINY_HLS4ML: Hls4mlConfig = {
  ...DEFAULT_HLS4ML,
  weightBits: 8,
  actBits: 10,
  accBits: 18,
  reuseFactor: 16384,
  strategy: "Resource",
  reluMerge: true,
  shortImpl: "fused",
  part: "xc7z020",
  clockMHz: 150,
};

export class Hls4mlConfigError extends Error {}

/**
 * The highest clock accepted, in MHz: above any FPGA fabric clock (UltraScale+ global clock buffers are specified up
 * to 891 MHz at the fastest speed grade, Xilinx DS923). A larger value only makes latencies in seconds round to 0, or
 * 1e308 to Infinity (issue 32).
 */
export const MAX_CLOCK_MHZ = 1000;

/** a value as the user wrote it: numbers as numbers (JSON would print Infinity as null), the rest as JSON */
const shown = (v: unknown) => (typeof v === "number" ? String(v) : JSON.stringify(v));

export function validateHls4mlConfig(c: Hls4mlConfig): Hls4mlConfig {
  if (!c || typeof c !== "object" || Array.isArray(c)) throw new Hls4mlConfigError(`hls4ml config: expected an object of cost-model fields, got ${JSON.stringify(c)}`);
  const posInt = (k: keyof Hls4mlConfig) => {
    const v = c[k] as number;
    if (!Number.isInteger(v) || v <= 0) throw new Hls4mlConfigError(`hls4ml config: ${k} must be a positive integer, got ${v}`);
  };
  for (const k of ["weightBits", "actBits", "accBits", "reuseFactor", "srlMaxBits", "srlMaxDepth", "dspMinBits"] as const) posInt(k);
  for (const [k, [lo, hi]] of Object.entries(BIT_RANGE) as [keyof typeof BIT_RANGE, readonly [number, number]][]) {
    if (c[k] < lo || c[k] > hi) throw new Hls4mlConfigError(`hls4ml config: ${k} must be between ${lo} and ${hi} bits (the range the cost model is stated for), got ${c[k]}`);
  }
  if (!Number.isInteger(c.lutramMaxBits) || c.lutramMaxBits < 0) throw new Hls4mlConfigError(`hls4ml config: lutramMaxBits must be an integer >= 0, got ${c.lutramMaxBits}`);
  if (typeof c.weightDensity !== "number" || !(c.weightDensity > 0 && c.weightDensity <= 1)) throw new Hls4mlConfigError(`hls4ml config: weightDensity must be a number in (0, 1], got ${shown(c.weightDensity)}`);
  if (typeof c.clockMHz !== "number" || !(c.clockMHz > 0 && c.clockMHz <= MAX_CLOCK_MHZ)) {
    throw new Hls4mlConfigError(`hls4ml config: clockMHz must be a number in (0, ${MAX_CLOCK_MHZ}] MHz, got ${shown(c.clockMHz)}`);
  }
  if (c.strategy !== "Latency" && c.strategy !== "Resource") throw new Hls4mlConfigError(`hls4ml config: strategy must be Latency or Resource, got "${c.strategy}"`);
  if (c.fifoDepth !== "default" && c.fifoDepth !== "optimised") throw new Hls4mlConfigError(`hls4ml config: fifoDepth must be default or optimised, got "${c.fifoDepth}"`);
  if (c.fifoLayout !== "per-channel" && c.fifoLayout !== "packed") throw new Hls4mlConfigError(`hls4ml config: fifoLayout must be per-channel or packed, got "${c.fifoLayout}"`);
  if (c.shortImpl !== "stock" && c.shortImpl !== "fused") throw new Hls4mlConfigError(`hls4ml config: shortImpl must be stock or fused, got "${c.shortImpl}"`);
  if (typeof c.bnFusion !== "boolean") throw new Hls4mlConfigError(`hls4ml config: bnFusion must be true or false, got ${JSON.stringify(c.bnFusion)}`);
  if (typeof c.reluMerge !== "boolean") throw new Hls4mlConfigError(`hls4ml config: reluMerge must be true or false, got ${JSON.stringify(c.reluMerge)}`);
  if (c.shortImpl === "fused" && !(c.reluMerge && c.bnFusion)) {
    // the short skip is added after the unit's BN and ReLU: the conv can add it only if it computes both
    throw new Hls4mlConfigError(`hls4ml config: shortImpl "fused" needs bnFusion and reluMerge (the skip is added after the conv's BN and ReLU), got bnFusion ${c.bnFusion}, reluMerge ${c.reluMerge}`);
  }
  if (c.zeroPad !== "nonzero" && c.zeroPad !== "same") throw new Hls4mlConfigError(`hls4ml config: zeroPad must be nonzero or same, got "${c.zeroPad}"`);
  if (!["none", "axi_stream", "axi_master"].includes(c.wrapper)) throw new Hls4mlConfigError(`hls4ml config: wrapper must be none, axi_stream or axi_master, got "${c.wrapper}"`);
  for (const [layer, b] of Object.entries(c.layerActBits ?? {})) {
    if (!Number.isInteger(b) || b < BIT_RANGE.actBits[0] || b > BIT_RANGE.actBits[1]) throw new Hls4mlConfigError(`hls4ml config: layerActBits["${layer}"] must be an integer between ${BIT_RANGE.actBits[0]} and ${BIT_RANGE.actBits[1]} bits, got ${b}`);
  }
  if (!PARTS[c.part]) throw new Hls4mlConfigError(`hls4ml config: unknown part "${c.part}" (known: ${Object.keys(PARTS).join(", ")})`);
  for (const [layer, rf] of Object.entries(c.layerReuse ?? {})) {
    if (!Number.isInteger(rf) || rf <= 0) throw new Hls4mlConfigError(`hls4ml config: layerReuse["${layer}"] must be a positive integer, got ${rf}`);
  }
  return c;
}

/**
 * hls4ml's rule for a valid reuse factor of a layer with n_in inputs and n_out outputs per output pixel (for a
 * conv, n_in = K*K*C_in): backends/fpga/fpga_backend.py, _validate_reuse_factor. With m = min(n_in, rf) and
 * limit = ceil(n_in*n_out / m): (limit % n_out == 0 or rf >= n_in) and (rf % n_in == 0 or rf < n_in) and
 * (n_in*n_out) % rf == 0. An invalid one is replaced by the closest valid value (get_closest_reuse_factor), with a
 * warning; so here.
 */
export function isValidReuseFactor(nIn: number, nOut: number, rf: number): boolean {
  const limit = Math.ceil((nIn * nOut) / Math.min(nIn, rf));
  return (limit % nOut === 0 || rf >= nIn) && (rf % nIn === 0 || rf < nIn) && (nIn * nOut) % rf === 0;
}

// hls4ml's search can walk thousands of candidates (RF 16384 on a 576 x 64 layer); a sweep asks the same few
// (n_in, n_out, rf) triples for every design, so each answer is kept
const validRfMemo = new Map<string, { rf: number; adjusted: boolean }>();

export function validReuseFactor(nIn: number, nOut: number, rf: number): { rf: number; adjusted: boolean } {
  const key = `${nIn}|${nOut}|${rf}`;
  let v = validRfMemo.get(key);
  if (!v) validRfMemo.set(key, (v = searchReuseFactor(nIn, nOut, rf)));
  return { ...v };
}

function searchReuseFactor(nIn: number, nOut: number, rf: number): { rf: number; adjusted: boolean } {
  const max = nIn * nOut;
  if (rf <= max && isValidReuseFactor(nIn, nOut, rf)) return { rf, adjusted: false };
  // search outwards from the requested value (capped at n_in*n_out); ties go to the smaller one
  const r0 = Math.min(rf, max);
  if (isValidReuseFactor(nIn, nOut, r0)) return { rf: r0, adjusted: true };
  for (let d = 1; d <= max; d++) {
    for (const cand of [r0 - d, r0 + d]) if (cand >= 1 && cand <= max && isValidReuseFactor(nIn, nOut, cand)) return { rf: cand, adjusted: true };
  }
  return { rf: 1, adjusted: true };
}
