/** The PE-array sweep: networks x array sizes x DRAM bandwidths x buffer sizes x add modes x on-chip reuse. */
import { DEFAULT_PE_ARRAY, peArrayCost, type PeArrayConfig, type PeArrayReport } from "../hw/pe-array/index.js";
import type { LayerGraph } from "../net/index.js";
import { sweepNetworks, TAILOR_METHODS, tailorGraphs, type TailorMethod } from "../experiment/index.js";
import { pct } from "./change.js";

export interface PeSweepSpec {
  networks: string[];
  arrays: number[];
  dramBytesPerCycle: number[];
  bufferKiB: number[];
  addModes: PeArrayConfig["addMode"][];
  keepOnChip: boolean[];
  dataflows: PeArrayConfig["dataflow"][];
}

export const DEFAULT_PE_SWEEP: PeSweepSpec = {
  networks: sweepNetworks("peArray"),
  arrays: [8, 16, 32, 64],
  dramBytesPerCycle: [4, 8, 16, 32, 64],
  bufferKiB: [32, 64, 512],
  addModes: ["fused", "separate"],
  keepOnChip: [false, true],
  dataflows: ["os", "ws"],
};

export interface PeRow {
  network: string;
  method: TailorMethod;
  config: PeArrayConfig;
  base: PeArrayReport["totals"];
  altered: PeArrayReport["totals"];
  /** % change: performance (inferences/s) and DRAM bytes per inference */
  perf: number;
  bytes: number;
}

/** One teacher/student pair on one array (throws a PeArrayConfigError when a buffer cannot hold a layer's operand). */
export function peRow(network: string, method: TailorMethod, config: PeArrayConfig, g: { base: LayerGraph; altered: LayerGraph }): PeRow {
  const b: PeArrayReport = peArrayCost(g.base, config);
  const a: PeArrayReport = peArrayCost(g.altered, config);
  return {
    network,
    method,
    config,
    base: b.totals,
    altered: a.totals,
    perf: pct(a.totals.inferencesPerSecond, b.totals.inferencesPerSecond),
    bytes: pct(a.totals.dramBytes, b.totals.dramBytes),
  };
}

export function peSweep(spec: PeSweepSpec = DEFAULT_PE_SWEEP): PeRow[] {
  const rows: PeRow[] = [];
  for (const network of spec.networks)
    for (const method of TAILOR_METHODS) {
      const g = tailorGraphs(network, method);
      for (const n of spec.arrays)
        for (const bw of spec.dramBytesPerCycle)
          for (const kib of spec.bufferKiB)
            for (const addMode of spec.addModes)
              for (const keepOnChip of spec.keepOnChip)
                for (const dataflow of spec.dataflows) {
                  const config: PeArrayConfig = {
                    ...DEFAULT_PE_ARRAY,
                    rows: n,
                    cols: n,
                    addLanes: n,
                    dramBytesPerCycle: bw,
                    ifmapBufferBytes: kib * 1024,
                    filterBufferBytes: kib * 1024,
                    ofmapBufferBytes: kib * 1024,
                    addMode,
                    keepOnChip,
                    dataflow,
                  };
                  let r: PeRow;
                  try {
                    r = peRow(network, method, config, g);
                  } catch {
                    continue; // a buffer too small for this network's layers: not a valid design point
                  }
                  rows.push(r);
                }
    }
  return rows;
}
