/**
 * The configuration fields of the page: label, kind and valid range. A value out of range is reported with its field
 * and the range, and the design is not recomputed from it (never a NaN on the page). The ranges are the cost models'
 * own (src/hw/hls4ml/config.ts validateHls4mlConfig, src/hw/pe-array/config.ts validatePeArrayConfig), except the
 * weight and activation widths: the page starts at 2 bits, because a 1-bit value is hls4ml's binary (XNOR) layer
 * type, whose cost the model's multiplier and adder rules do not describe, and the hand-off writes signed ap_fixed
 * types (src/handoff/hls4ml-config.ts), in which one bit holds only 0 and a negative number.
 */
import { BIT_RANGE, PARTS } from "../../src/hw/hls4ml/index.js";
import type { HlsField, PeField } from "./state.js";

export type FieldSpec =
  | { kind: "int"; label: string; min: number; max?: number; help?: string }
  | { kind: "number"; label: string; above: number; help?: string }
  | { kind: "choice"; label: string; options: string[]; help?: string };

export const HLS_SPECS: Record<HlsField, FieldSpec> = {
  weightBits: { kind: "int", label: "weight precision (bits)", min: 2, max: BIT_RANGE.weightBits[1] },
  actBits: { kind: "int", label: "activation precision (bits)", min: 2, max: BIT_RANGE.actBits[1] },
  accBits: { kind: "int", label: "accumulator (bits)", min: 2, max: BIT_RANGE.accBits[1] },
  reuseFactor: { kind: "int", label: "reuse factor", min: 1, help: "hls4ml moves an invalid one to the nearest valid value per layer (warnings)" },
  strategy: { kind: "choice", label: "strategy", options: ["Latency", "Resource"] },
  fifoDepth: { kind: "choice", label: "FIFO depth rule", options: ["default", "optimised"], help: "default: H x W words; optimised: simulated max occupancy + 1" },
  shortImpl: { kind: "choice", label: "shortened skip built as", options: ["stock", "fused"], help: "fused needs the ReLU merge" },
  reluMerge: { kind: "choice", label: "ReLU merge (hls4ml PR #586)", options: ["true", "false"] },
  part: { kind: "choice", label: "FPGA part", options: Object.keys(PARTS) },
  clockMHz: { kind: "number", label: "clock (MHz)", above: 0 },
};

export const PE_SPECS: Record<PeField, FieldSpec> = {
  rows: { kind: "int", label: "array rows", min: 1 },
  cols: { kind: "int", label: "array columns", min: 1 },
  lanes: { kind: "int", label: "reduction lanes per PE", min: 1 },
  dataflow: { kind: "choice", label: "dataflow", options: ["os", "ws"], help: "output- or weight-stationary" },
  addMode: { kind: "choice", label: "skip add", options: ["fused", "separate"] },
  keepOnChip: { kind: "choice", label: "keep tensors on chip when they fit", options: ["false", "true"] },
  dramBytesPerCycle: { kind: "number", label: "DRAM bytes per cycle", above: 0 },
  clockMHz: { kind: "number", label: "array clock (MHz)", above: 0 },
};

/** the valid range, as the page says it */
export function rangeText(f: FieldSpec): string {
  if (f.kind === "int") return f.max === undefined ? `an integer from ${f.min}` : `an integer from ${f.min} to ${f.max}`;
  if (f.kind === "number") return `a number above ${f.above}`;
  return `one of ${f.options.join(", ")}`;
}

export type Parsed = { ok: true; value: number | string | boolean } | { ok: false; error: string };

/** The typed value of a field's text, or a one-line error naming the field and its valid range. */
export function parseField(f: FieldSpec, raw: string): Parsed {
  const bad = (): Parsed => ({ ok: false, error: `${f.label}: expected ${rangeText(f)}, got "${raw}"` });
  if (f.kind === "choice") {
    if (!f.options.includes(raw)) return bad();
    return { ok: true, value: raw === "true" ? true : raw === "false" ? false : raw };
  }
  const t = raw.trim();
  const n = Number(t);
  if (t === "" || !Number.isFinite(n)) return bad();
  if (f.kind === "int") {
    if (!Number.isInteger(n) || n < f.min || (f.max !== undefined && n > f.max)) return bad();
  } else if (!(n > f.above)) return bad();
  return { ok: true, value: n };
}
