/** How an on-chip buffer of depth x width bits maps to FPGA storage, and what it costs. */

export type StorageKind = "srl" | "lutram" | "bram";

/** Where a FIFO lives: shift registers up to srlMaxBits (or srlMaxDepth words), distributed RAM up to lutramMaxBits, else block RAM. */
export interface StorageRule {
  srlMaxDepth: number;
  srlMaxBits: number;
  lutramMaxBits: number;
}

export interface Storage {
  kind: StorageKind;
  bram18: number;
  lut: number;
  ff: number;
}

/**
 * BRAM18 count for a memory of `depth` words of `width` bits, using the 18Kb block's aspect ratios 16Kx1, 8Kx2,
 * 4Kx4, 2Kx9, 1Kx18, 512x36 (7 Series / UltraScale memory resources, UG473 / UG573), in the form FINN's
 * StreamingFIFO.bram_estimation encodes it.
 */
export function bram18(depth: number, width: number): number {
  if (depth <= 0 || width <= 0) return 0;
  if (width === 1) return Math.ceil(depth / 16384);
  if (width === 2) return Math.ceil(depth / 8192);
  if (width <= 4) return Math.ceil(depth / 4096) * Math.ceil(width / 4);
  if (width <= 9) return Math.ceil(depth / 2048) * Math.ceil(width / 9);
  if (width <= 18 || depth > 512) return Math.ceil(depth / 1024) * Math.ceil(width / 18);
  return Math.ceil(depth / 512) * Math.ceil(width / 36);
}

/** LUTs of a shift-register (SRL) FIFO: ceil(depth/32) x ceil(width/2) (FINN's Q_srl formula, fifo sizing utils). */
export function srlLuts(depth: number, width: number): number {
  return Math.ceil(depth / 32) * Math.ceil(width / 2);
}

/** FIFO address logic: 2 ceil(log2 depth) LUTs (FINN StreamingFIFO.lut_estimation); as many pointer FFs. */
export function fifoControl(depth: number): number {
  return depth > 1 ? 2 * Math.ceil(Math.log2(depth)) : 0;
}

/**
 * LUTs of a simple dual-port distributed RAM: a SLICEM's four LUTs form a RAM32M (32 words x 6 bits) or a RAM64M
 * (64 words x 3 bits) with one write and one read port (7 Series CLB user guide UG474, distributed RAM).
 */
export function lutramLuts(depth: number, width: number): number {
  return depth <= 32 ? 4 * Math.ceil(width / 6) : 4 * Math.ceil(depth / 64) * Math.ceil(width / 3);
}

export function fifoStorage(depth: number, width: number, rule: StorageRule): Storage {
  const ctrl = fifoControl(depth);
  const bits = depth * width;
  if (depth <= rule.srlMaxDepth || bits <= rule.srlMaxBits) {
    // the data sits in the SRL LUTs and is read from them directly: only the control is in registers (Vivado HLS
    // 2020.1 reports 5-7 FFs for 16-bit SRL FIFOs of depth 1-16, data/published/hls4ml-tutorial-cnn.json)
    return { kind: "srl", bram18: 0, lut: srlLuts(depth, width) + ctrl, ff: ctrl };
  }
  // a RAM-based FIFO registers its output word
  if (bits <= rule.lutramMaxBits) return { kind: "lutram", bram18: 0, lut: lutramLuts(depth, width) + ctrl, ff: width + ctrl };
  return { kind: "bram", bram18: bram18(depth, width), lut: ctrl, ff: width + ctrl };
}

/**
 * The storage of one stream of `channels` x `bits`-bit words, `depth` deep: one FIFO `channels x bits` wide
 * ("packed"), or `channels` FIFOs `bits` wide ("per-channel", each with its own storage and control).
 */
export function streamStorage(depth: number, channels: number, bits: number, layout: "per-channel" | "packed", rule: StorageRule): Storage {
  if (layout === "packed") return fifoStorage(depth, channels * bits, rule);
  const one = fifoStorage(depth, bits, rule);
  return { kind: one.kind, bram18: channels * one.bram18, lut: channels * one.lut, ff: channels * one.ff };
}

/** A read-only weight memory (Resource strategy): block RAM above the SRL threshold, else distributed ROM (a LUT6 holds 64 x 1 bit, UG474). */
export function romStorage(depth: number, width: number, srlMaxBits: number): Storage {
  if (depth * width <= srlMaxBits || depth <= 1) return { kind: "srl", bram18: 0, lut: Math.ceil(depth / 64) * width, ff: 0 };
  return { kind: "bram", bram18: bram18(depth, width), lut: 0, ff: 0 };
}
