/** The hls4ml sweep: networks x precisions x reuse factors x FIFO policies x flows (the optimisation passes). */
import type { LayerGraph } from "../net/index.js";
import { DEFAULT_HLS4ML, hls4mlCost, MLPERF_TINY_HLS4ML, type Hls4mlConfig, type Hls4mlReport, type SimCache } from "../hw/hls4ml/index.js";
import { sweepNetworks, TAILOR_METHODS, tailorGraphs, type TailorMethod } from "../experiment/index.js";
import { pct } from "./change.js";

/**
 * The optimisation passes a design is built with, the same for a teacher and its student: stock hls4ml (BN fused,
 * DEFAULT_HLS4ML), with hls4ml PR #586's ReLU merge, and with the ReLU merge and the fused short skip.
 */
export type FlowName = "hls4ml" | "relu-merge" | "relu-merge+fused-skip";
export const FLOWS: Record<FlowName, Pick<Hls4mlConfig, "bnFusion" | "reluMerge" | "shortImpl">> = {
  hls4ml: { bnFusion: true, reluMerge: false, shortImpl: "stock" },
  "relu-merge": { bnFusion: true, reluMerge: true, shortImpl: "stock" },
  "relu-merge+fused-skip": { bnFusion: true, reluMerge: true, shortImpl: "fused" },
};

/** The flow a configuration's passes amount to (every config names one of FLOWS: fused needs the ReLU merge). */
export function flowOf(c: Pick<Hls4mlConfig, "bnFusion" | "reluMerge" | "shortImpl">): FlowName {
  const f = (Object.keys(FLOWS) as FlowName[]).find((k) => FLOWS[k].bnFusion === c.bnFusion && FLOWS[k].reluMerge === c.reluMerge && FLOWS[k].shortImpl === c.shortImpl);
  if (!f) throw new Error(`hls4ml flow: bnFusion ${c.bnFusion}, reluMerge ${c.reluMerge}, shortImpl ${c.shortImpl} is none of ${Object.keys(FLOWS).join(", ")}`);
  return f;
}

export interface HlsSweepSpec {
  networks: string[];
  precisions: number[];
  reuseFactors: number[];
  fifoDepths: Hls4mlConfig["fifoDepth"][];
  flows: FlowName[];
  part: string;
}

export const DEFAULT_HLS_SWEEP: HlsSweepSpec = {
  networks: sweepNetworks("hls4ml"),
  precisions: [8, 12, 16],
  reuseFactors: [1, 16, 256, 4096, 16384],
  fifoDepths: ["default", "optimised"],
  flows: ["hls4ml", "relu-merge", "relu-merge+fused-skip"],
  part: "xcu250",
};

export interface HlsRow {
  network: string;
  method: TailorMethod;
  label: string;
  flow: FlowName;
  precision: number;
  reuseFactor: number;
  strategy: string;
  fifoDepth: string;
  bnFusion: boolean;
  reluMerge: boolean;
  /** how the shortener's short skips are built ("-" for the remover, which has none) */
  shortImpl: string;
  part: string;
  base: Hls4mlReport["totals"];
  altered: Hls4mlReport["totals"];
  /** change in %, negative = saving */
  change: { bram18: number; ff: number; lut: number; dsp: number; latency: number };
  /** both designs fit the part */
  fits: boolean;
  baseUtilisation: Hls4mlReport["utilisation"];
  /** the teacher's and the student's optimisations as applied */
  applied: { base: Hls4mlReport["optimisations"]["applied"]; altered: Hls4mlReport["optimisations"]["applied"] };
  /** warnings of either design, each once */
  warnings: string[];
}

/**
 * hls4ml's Latency strategy fully unrolls small reuse factors; large ones use the Resource strategy (weights in
 * BRAM), as its documentation advises for large layers: we switch at RF > 16 (our choice). Weights and activations
 * share the precision; the accumulator is twice as wide (our choice: wide enough for the products; hls4ml's automatic
 * precision inference, at granularity 'name', would make it wider still, a model-level default as wide as its inputs).
 */
export function configFor(precision: number, rf: number, fifoDepth: Hls4mlConfig["fifoDepth"], flow: FlowName, part: string): Hls4mlConfig {
  return {
    ...DEFAULT_HLS4ML,
    ...FLOWS[flow],
    weightBits: precision,
    actBits: precision,
    accBits: 2 * precision,
    reuseFactor: rf,
    strategy: rf > 16 ? "Resource" : "Latency",
    fifoDepth,
    part,
  };
}

const fitsPart = (u: Hls4mlReport["utilisation"]) => u.bram18 <= 1 && u.lut <= 1 && u.ff <= 1 && u.dsp <= 1;

export function hlsRow(network: string, method: TailorMethod, label: string, flow: FlowName, c: Hls4mlConfig, g: { base: LayerGraph; altered: LayerGraph }, cache: SimCache): HlsRow {
  const b = hls4mlCost(g.base, c, cache);
  const a = hls4mlCost(g.altered, c, cache);
  const u = b.utilisation;
  return {
    network,
    method,
    label,
    flow,
    precision: c.actBits,
    reuseFactor: c.reuseFactor,
    strategy: c.strategy,
    fifoDepth: c.fifoDepth,
    bnFusion: c.bnFusion,
    reluMerge: c.reluMerge,
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
    fits: fitsPart(u) && fitsPart(a.utilisation),
    baseUtilisation: u,
    applied: { base: b.optimisations.applied, altered: a.optimisations.applied },
    warnings: [...new Set([...b.warnings.map((w) => `teacher: ${w}`), ...a.warnings.map((w) => `student: ${w}`)])],
  };
}

/** A design pair of the sweep: the network, the method and the configuration both designs are built with. */
export interface HlsSweepPoint {
  network: string;
  method: TailorMethod;
  label: string;
  flow: FlowName;
  config: Hls4mlConfig;
}

/** Flows that give distinct designs for a method: the remover has no short skips, so the fused build is moot. */
const flowsFor = (method: TailorMethod, flows: FlowName[]) => (method === "remover" ? flows.filter((f) => FLOWS[f].shortImpl === "stock") : flows);

export function hlsSweepPoints(spec: HlsSweepSpec = DEFAULT_HLS_SWEEP): HlsSweepPoint[] {
  const points: HlsSweepPoint[] = [];
  for (const network of spec.networks)
    for (const method of TAILOR_METHODS) {
      for (const p of spec.precisions)
        for (const rf of spec.reuseFactors)
          for (const fd of spec.fifoDepths)
            for (const flow of flowsFor(method, spec.flows)) points.push({ network, method, flow, label: `${p}-bit RF ${rf} ${fd}`, config: configFor(p, rf, fd, flow, spec.part) });
      // the MLPerf Tiny hls4ml ResNet configuration (data/claims.json references), both FIFO policies
      for (const fd of spec.fifoDepths)
        for (const flow of flowsFor(method, spec.flows)) points.push({ network, method, flow, label: `MLPerf-Tiny-like ${fd}`, config: { ...MLPERF_TINY_HLS4ML, ...FLOWS[flow], fifoDepth: fd } });
    }
  return points;
}

export function hls4mlSweep(spec: HlsSweepSpec = DEFAULT_HLS_SWEEP): HlsRow[] {
  const cache: SimCache = new Map();
  const graphs = new Map<string, { base: LayerGraph; altered: LayerGraph }>();
  return hlsSweepPoints(spec).map((pt) => {
    const key = `${pt.network}|${pt.method}`;
    if (!graphs.has(key)) graphs.set(key, tailorGraphs(pt.network, pt.method));
    return hlsRow(pt.network, pt.method, pt.label, pt.flow, pt.config, graphs.get(key)!, cache);
  });
}
