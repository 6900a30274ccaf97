/** What the sweeps say about each claim: the largest effect ("up to"), where it occurs, and typical values. */
import type { HlsRow } from "./hls4ml-sweep.js";
import type { PeRow } from "./pe-sweep.js";
import { median } from "../util/stats.js";

export interface Extreme {
  value: number;
  where: string;
  median: number;
  count: number;
}

/** Largest saving (as a positive %) of an hls4ml resource over designs whose teacher fits its part. */
export function hlsSaving(rows: HlsRow[], key: "bram18" | "ff" | "lut"): Extreme {
  const fit = rows.filter((r) => r.fits && r.base[key] > 0);
  const best = fit.reduce<HlsRow | null>((m, r) => (m === null || r.change[key] < m.change[key] ? r : m), null);
  return {
    value: best ? -best.change[key] : NaN,
    where: best ? `${best.network} ${best.method}${best.method === "shortener" ? ` (${best.shortImpl})` : ""}, ${best.label}, ${best.strategy}, ${best.part}` : "no design fits",
    median: -median(fit.map((r) => r.change[key])),
    count: fit.length,
  };
}

/** The largest latency change (either way) among the designs that fit their part, as hlsSaving reads its savings. */
export function hlsLatency(rows: HlsRow[]): Extreme {
  const fit = rows.filter((r) => r.fits);
  const best = fit.reduce<HlsRow | null>((m, r) => (m === null || Math.abs(r.change.latency) > Math.abs(m.change.latency) ? r : m), null);
  return {
    value: best ? Math.abs(best.change.latency) : NaN,
    where: best ? `${best.network} ${best.method}${best.method === "shortener" ? ` (${best.shortImpl})` : ""}, ${best.label}` : "no design fits",
    median: median(fit.map((r) => Math.abs(r.change.latency))),
    count: fit.length,
  };
}

export function peGain(rows: PeRow[], key: "perf" | "bytes"): Extreme {
  const sign = key === "perf" ? 1 : -1;
  const best = rows.reduce((m, r) => (sign * r[key] > sign * m[key] ? r : m));
  const c = best.config;
  return {
    value: sign * best[key],
    where: `${best.network} ${best.method}, ${c.rows}x${c.cols} ${c.dataflow.toUpperCase()}, ${c.dramBytesPerCycle} B/cycle, ${c.ifmapBufferBytes / 1024} KiB buffers, ${c.addMode} add${c.keepOnChip ? ", on-chip reuse" : ""}`,
    median: sign * median(rows.map((r) => r[key])),
    count: rows.length,
  };
}
