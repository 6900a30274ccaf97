/**
 * Configuration of a 2D processing-element array that runs a network layer by layer through off-chip memory.
 * The paper's array (AMD/Xilinx "Reconfigurable DNN Architecture") is not public: every property is a parameter.
 */
// the clock bound is the hls4ml model's (its source is cited there)
import { MAX_CLOCK_MHZ } from "../hls4ml/config.js";
export type Dataflow = "os" | "ws";
/** how a skip is added: in the output stage of the conv that ends the skip ("fused"), or by its own pass */
export type AddMode = "fused" | "separate";

export interface PeArrayConfig {
  rows: number;
  cols: number;
  /** output-stationary or weight-stationary mapping (SCALE-Sim's OS / WS) */
  dataflow: Dataflow;
  /** on-chip buffers (bytes) for input feature maps, weights and output feature maps */
  ifmapBufferBytes: number;
  filterBufferBytes: number;
  ofmapBufferBytes: number;
  /** DRAM bytes per array clock cycle */
  dramBytesPerCycle: number;
  clockMHz: number;
  actBits: number;
  weightBits: number;
  addMode: AddMode;
  /** a tensor consumed only by the next layer may stay on chip when it fits the buffers */
  keepOnChip: boolean;
  /** element-wise lanes of a separate add pass (elements per cycle) */
  addLanes: number;
  /**
   * reduction lanes per PE: each PE sums this many products per cycle (1 for a plain systolic array; a DPU-style
   * engine of PP x ICP x OCP, Xilinx PG338, maps to rows = PP, cols = OCP, lanes = ICP)
   */
  lanes: number;
}

/**
 * Defaults: SCALE-Sim v2's example configuration (configs/scale.cfg: a 32x32 output-stationary array with 64 KiB
 * for each of the ifmap, filter and ofmap SRAMs), 8-bit data, DRAM at 16 bytes/cycle (one 128-bit AXI port at the
 * array clock, as the Zynq UltraScale+ HP ports, UG1085), 200 MHz (our choice: the clock scales inferences/s but
 * not the changes in % that the claims are about).
 */
export const DEFAULT_PE_ARRAY: PeArrayConfig = {
  rows: 32,
  cols: 32,
  dataflow: "os",
  ifmapBufferBytes: 64 * 1024,
  filterBufferBytes: 64 * 1024,
  ofmapBufferBytes: 64 * 1024,
  dramBytesPerCycle: 16,
  clockMHz: 200,
  actBits: 8,
  weightBits: 8,
  addMode: "fused",
  keepOnChip: false,
  addLanes: 32,
  lanes: 1,
};

export class PeArrayConfigError extends Error {}

/** Throws a PeArrayConfigError naming the field. */
export function validatePeArrayConfig(c: PeArrayConfig): PeArrayConfig {
  if (!c || typeof c !== "object" || Array.isArray(c)) throw new PeArrayConfigError(`pe-array config: expected an object of cost-model fields, got ${JSON.stringify(c)}`);
  const pos = (k: keyof PeArrayConfig, integer = false) => {
    const v = c[k] as number;
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
      throw new PeArrayConfigError(`pe-array config: ${k} must be a positive ${integer ? "integer" : "number"}, got ${v}`);
    }
  };
  for (const k of ["rows", "cols", "actBits", "weightBits", "addLanes", "lanes"] as const) pos(k, true);
  // the bit widths the byte and cycle counts are stated for (8-16-bit engines; DPU: 8-bit, PG338)
  for (const k of ["actBits", "weightBits"] as const) {
    if (c[k] > 32) throw new PeArrayConfigError(`pe-array config: ${k} must be between 1 and 32 bits, got ${c[k]}`);
  }
  for (const k of ["ifmapBufferBytes", "filterBufferBytes", "ofmapBufferBytes", "dramBytesPerCycle", "clockMHz"] as const) pos(k);
  if (c.clockMHz > MAX_CLOCK_MHZ) throw new PeArrayConfigError(`pe-array config: clockMHz must be a number in (0, ${MAX_CLOCK_MHZ}] MHz, got ${c.clockMHz}`);
  if (c.dataflow !== "os" && c.dataflow !== "ws") throw new PeArrayConfigError(`pe-array config: dataflow must be "os" or "ws", got "${c.dataflow}"`);
  if (c.addMode !== "fused" && c.addMode !== "separate") throw new PeArrayConfigError(`pe-array config: addMode must be "fused" or "separate", got "${c.addMode}"`);
  return c;
}
