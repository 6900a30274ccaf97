/**
 * One costing of a design by both hardware models: what the codesign view (codesign.ts), the per-skip policy search
 * (policy-front.ts) and the cost explorer page (web/) read. Its own module because the page bundles it for the
 * browser: it imports only the cost models and the network, nothing that reads files.
 */
import type { LayerGraph } from "../net/index.js";
import { hls4mlCost, type Hls4mlConfig, type Hls4mlReport, type SimCache } from "../hw/hls4ml/index.js";
import { peArrayCost, type PeArrayConfig, type PeArrayReport } from "../hw/pe-array/index.js";

type Unbounded = Parameters<typeof hls4mlCost>[3];

export interface CodesignHardware {
  bram18: number;
  lut: number;
  ff: number;
  dsp: number;
  latencyCycles: number;
  fits: boolean;
  /** the PE array: inferences per second and DRAM bytes per inference */
  peInferencesPerSecond: number;
  peDramBytes: number;
}

/** Both models' full reports of one network (the page shows their breakdowns). */
export interface DesignReports {
  hls: Hls4mlReport;
  pe: PeArrayReport;
}

/** `unbounded`: where hls4ml's unbounded-FIFO schedule comes from (hls4mlCost's default: simulate()) */
export const designReports = (g: LayerGraph, hls: Hls4mlConfig, pe: PeArrayConfig, cache?: SimCache, unbounded?: Unbounded): DesignReports => ({
  hls: hls4mlCost(g, hls, cache, unbounded),
  pe: peArrayCost(g, pe),
});

/** The numbers a design is compared by, from its reports; fits: every hls4ml resource within the part. */
export function hardwareOf({ hls: h, pe: a }: DesignReports): CodesignHardware & { peCycles: number } {
  return {
    bram18: h.totals.bram18,
    lut: h.totals.lut,
    ff: h.totals.ff,
    dsp: h.totals.dsp,
    latencyCycles: h.totals.latencyCycles,
    fits: Object.values(h.utilisation).every((u) => u <= 1),
    peInferencesPerSecond: a.totals.inferencesPerSecond,
    peDramBytes: a.totals.dramBytes,
    peCycles: a.totals.cycles,
  };
}

/** Both models' cost of one network: what the codesign view and the per-skip policy search both read. */
export const designHardware = (g: LayerGraph, hls: Hls4mlConfig, pe: PeArrayConfig, cache?: SimCache, unbounded?: Unbounded): CodesignHardware & { peCycles: number } =>
  hardwareOf(designReports(g, hls, pe, cache, unbounded));
