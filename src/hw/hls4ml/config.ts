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
 * How the HLS tool lays out a stream of nnet::array<T, C> (one pixel, C channels):
 * - "per-channel": one FIFO of T per channel. Vivado HLS 2020.1 splits the struct's array member this way: its
 *   reports of hls4ml's io_stream CNN list FIFOs layerN_out_V_data_0_V ... data_15_V, each 16 bits wide
 *   (fastmachinelearning/hls4ml-tutorial, pruned_cnn/.../myproject_csynth.rpt; data/published/hls4ml-tutorial-cnn.json).
 * - "packed": one FIFO C x T bits wide, as when the struct is aggregated (Vitis HLS aggregates structs; we have no
 *   public hls4ml report to check this layout against).
 */
export type FifoLayout = "per-channel" | "packed";

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
  shortImpl: ShortImpl;
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
  shortImpl: "fused",
  part: "xcu250",
  clockMHz: 200,
};

/**
 * The MLPerf Tiny v0.7 hls4ml ResNet submission (mlcommons tiny_results v0.7, open/hls4ml-finn, RN07): xc7z020,
 * io_stream, 8-bit weights, Resource strategy with reuse factor 16384 where it applies, 150 MHz. Its activations
 * were 9-12 bits: we take 10. (That model had its skips switched off; here it is a configuration to sweep.)
 */
export const MLPERF_TINY_HLS4ML: Hls4mlConfig = {
  ...DEFAULT_HLS4ML,
  weightBits: 8,
  actBits: 10,
  accBits: 18,
  reuseFactor: 16384,
  strategy: "Resource",
  part: "xc7z020",
  clockMHz: 150,
};

export class Hls4mlConfigError extends Error {}

export function validateHls4mlConfig(c: Hls4mlConfig): Hls4mlConfig {
  const posInt = (k: keyof Hls4mlConfig) => {
    const v = c[k] as number;
    if (!Number.isInteger(v) || v <= 0) throw new Hls4mlConfigError(`hls4ml config: ${k} must be a positive integer, got ${v}`);
  };
  for (const k of ["weightBits", "actBits", "accBits", "reuseFactor", "srlMaxBits", "srlMaxDepth", "dspMinBits"] as const) posInt(k);
  if (!Number.isInteger(c.lutramMaxBits) || c.lutramMaxBits < 0) throw new Hls4mlConfigError(`hls4ml config: lutramMaxBits must be an integer >= 0, got ${c.lutramMaxBits}`);
  if (!(c.weightDensity > 0 && c.weightDensity <= 1)) throw new Hls4mlConfigError(`hls4ml config: weightDensity must be in (0, 1], got ${c.weightDensity}`);
  if (!(c.clockMHz > 0)) throw new Hls4mlConfigError(`hls4ml config: clockMHz must be positive, got ${c.clockMHz}`);
  if (c.strategy !== "Latency" && c.strategy !== "Resource") throw new Hls4mlConfigError(`hls4ml config: strategy must be Latency or Resource, got "${c.strategy}"`);
  if (c.fifoDepth !== "default" && c.fifoDepth !== "optimised") throw new Hls4mlConfigError(`hls4ml config: fifoDepth must be default or optimised, got "${c.fifoDepth}"`);
  if (c.fifoLayout !== "per-channel" && c.fifoLayout !== "packed") throw new Hls4mlConfigError(`hls4ml config: fifoLayout must be per-channel or packed, got "${c.fifoLayout}"`);
  if (c.shortImpl !== "stock" && c.shortImpl !== "fused") throw new Hls4mlConfigError(`hls4ml config: shortImpl must be stock or fused, got "${c.shortImpl}"`);
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

export function validReuseFactor(nIn: number, nOut: number, rf: number): { rf: number; adjusted: boolean } {
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
