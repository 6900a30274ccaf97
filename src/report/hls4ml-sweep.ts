/** The hls4ml sweep: networks x precisions x reuse factors x FIFO policies x shortened-skip builds. */
import type { LayerGraph } from "../net/index.js";
import { DEFAULT_HLS4ML, hls4mlCost, MLPERF_TINY_HLS4ML, type Hls4mlConfig, type Hls4mlReport, type SimCache } from "../hw/hls4ml/index.js";
import { METHODS, pct, tailorGraphs, type Method } from "./variants.js";

export interface HlsSweepSpec {
  networks: string[];
  precisions: number[];
  reuseFactors: number[];
  fifoDepths: Hls4mlConfig["fifoDepth"][];
  shortImpls: Hls4mlConfig["shortImpl"][];
  part: string;
}

export const DEFAULT_HLS_SWEEP: HlsSweepSpec = {
  networks: ["resnet8", "resnet20", "resnet56"],
  precisions: [8, 12, 16],
  reuseFactors: [1, 16, 256, 4096, 16384],
  fifoDepths: ["default", "optimised"],
  shortImpls: ["fused", "stock"],
  part: "xcu250",
};

export interface HlsRow {
  network: string;
  method: Method;
  label: string;
  precision: number;
  reuseFactor: number;
  strategy: string;
  fifoDepth: string;
  shortImpl: string;
  part: string;
  base: Hls4mlReport["totals"];
  altered: Hls4mlReport["totals"];
  /** change in %, negative = saving */
  change: { bram18: number; ff: number; lut: number; dsp: number; latency: number };
  /** the teacher's design fits the part */
  fits: boolean;
  baseUtilisation: Hls4mlReport["utilisation"];
}

/**
 * hls4ml's Latency strategy fully unrolls small reuse factors; large ones use the Resource strategy (weights in
 * BRAM), as its documentation advises for large layers: we switch at RF > 16 (our choice). Weights and activations
 * share the precision; the accumulator is twice as wide (our choice: wide enough for the products, as hls4ml's
 * default accumulator is wider than its inputs).
 */
export function configFor(precision: number, rf: number, fifoDepth: Hls4mlConfig["fifoDepth"], shortImpl: Hls4mlConfig["shortImpl"], part: string): Hls4mlConfig {
  return {
    ...DEFAULT_HLS4ML,
    weightBits: precision,
    actBits: precision,
    accBits: 2 * precision,
    reuseFactor: rf,
    strategy: rf > 16 ? "Resource" : "Latency",
    fifoDepth,
    shortImpl,
    part,
  };
}

function row(network: string, method: Method, label: string, c: Hls4mlConfig, g: { base: LayerGraph; altered: LayerGraph }, cache: SimCache): HlsRow {
  const b = hls4mlCost(g.base, c, cache);
  const a = hls4mlCost(g.altered, c, cache);
  const u = b.utilisation;
  return {
    network,
    method,
    label,
    precision: c.actBits,
    reuseFactor: c.reuseFactor,
    strategy: c.strategy,
    fifoDepth: c.fifoDepth,
    shortImpl: method === "shortener" ? c.shortImpl : "-",
    part: c.part,
    base: b.totals,
    altered: a.totals,
    change: {
      bram18: pct(a.totals.bram18, b.totals.bram18),
      ff: pct(a.totals.ff, b.totals.ff),
      lut: pct(a.totals.lut, b.totals.lut),
      dsp: pct(a.totals.dsp, b.totals.dsp),
      latency: pct(a.totals.latencyCycles, b.totals.latencyCycles),
    },
    fits: u.bram18 <= 1 && u.lut <= 1 && u.ff <= 1 && u.dsp <= 1,
    baseUtilisation: u,
  };
}

export function hls4mlSweep(spec: HlsSweepSpec = DEFAULT_HLS_SWEEP): HlsRow[] {
  const cache: SimCache = new Map();
  const rows: HlsRow[] = [];
  for (const network of spec.networks) {
    for (const method of METHODS) {
      const g = tailorGraphs(network, method);
      for (const p of spec.precisions)
        for (const rf of spec.reuseFactors)
          for (const fd of spec.fifoDepths)
            for (const si of method === "shortener" ? spec.shortImpls : (["fused"] as const)) {
              rows.push(row(network, method, `${p}-bit RF ${rf} ${fd}`, configFor(p, rf, fd, si, spec.part), g, cache));
            }
      // the MLPerf Tiny hls4ml ResNet configuration (DESIGN.md), both FIFO policies
      for (const fd of spec.fifoDepths)
        for (const si of method === "shortener" ? spec.shortImpls : (["fused"] as const)) {
          rows.push(row(network, method, `MLPerf-Tiny-like ${fd}`, { ...MLPERF_TINY_HLS4ML, fifoDepth: fd, shortImpl: si }, g, cache));
        }
    }
  }
  return rows;
}
