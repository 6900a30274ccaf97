/**
 * Which quantisers a run has, from its config (quant.ts implements them). Its own module, without tfjs, because the
 * hls4ml hand-off's layer names depend on it and the cost explorer page (web/) bundles those for the browser.
 */
import type { TrainConfig } from "./config.js";

/** a run's quantisers; null = float */
export interface QuantSpec {
  weightBits: number;
  actBits: number;
  edgeBits: number;
}

export type QuantFields = Pick<TrainConfig, "quantWeightBits" | "quantActBits" | "quantEdgeBits">;

export function quantSpecOf(c: Partial<QuantFields>): QuantSpec | null {
  const weightBits = c.quantWeightBits ?? 0;
  const actBits = c.quantActBits ?? 0;
  if (!weightBits && !actBits) return null;
  return { weightBits, actBits, edgeBits: c.quantEdgeBits ?? 8 };
}

/** "float", "w4a4 (edges 8)" */
export function quantLabel(c: Partial<QuantFields>): string {
  const q = quantSpecOf(c);
  return q ? `w${q.weightBits || "f"}a${q.actBits || "f"}${q.weightBits ? ` (edges ${q.edgeBits})` : ""}` : "float";
}
