/**
 * The cost report of a design: predicted BRAM18/FF/LUT/DSP per process and per FIFO, latency and interval, from
 * hls4mlCost (the claims' code path), each total with the model's error band as measured against the published
 * hls4ml designs (comparePublished over data/published/hls4ml-tutorial-cnn.json: the range of (model - published) /
 * published over its designs). A part of a total that no published figure checks says so; no band is made up.
 */
import { hls4mlCost, type Hls4mlConfig, type Hls4mlReport } from "../hw/hls4ml/index.js";
import type { LayerGraph } from "../net/index.js";
import { comparePublished, type PublishedSet } from "../report/published-hls4ml.js";
import type { StreamName } from "./fifo-depths.js";

/** the measured error range of one quantity, in %, over `n` published designs; null: not checked */
export interface Band {
  minPct: number;
  maxPct: number;
  n: number;
  quantity: string;
}

/** Which published total checks which part of our totals (quantity names of comparePublished). */
export const BAND_SOURCES = {
  bram18: { processes: null, fifos: "FIFO BRAM18 (synthesis)" },
  ff: { processes: "FF of conv, pool, ReLU, dense (HLS estimate)", fifos: "FIFO FF (HLS estimate)" },
  lut: { processes: "LUT of conv, pool, ReLU, dense (HLS estimate)", fifos: null },
  dsp: { processes: "DSP of conv, pool, ReLU, dense (HLS estimate)", fifos: null },
  latency: { total: "latency (cycles)" },
  interval: { total: "interval (cycles)" },
} as const;

type ResourceKey = "bram18" | "ff" | "lut" | "dsp";
const RESOURCES: ResourceKey[] = ["bram18", "ff", "lut", "dsp"];

/** The measured band of a published quantity; an error if the published check has no such quantity. */
export function measuredBand(set: PublishedSet, quantity: string): Band {
  const rows = comparePublished(set).totals.filter((t) => t.quantity === quantity);
  if (!rows.length) throw new Error(`hls4ml hand-off: the published check (comparePublished) has no total "${quantity}"`);
  const e = rows.map((r) => r.errorPct);
  return { minPct: Math.min(...e), maxPct: Math.max(...e), n: rows.length, quantity };
}

export interface TotalLine {
  quantity: string;
  total: number;
  parts: { part: "processes" | "FIFOs" | "design"; value: number; band: Band | null; why?: string }[];
}

export interface CostReport {
  network: string;
  config: Hls4mlConfig;
  processes: Hls4mlReport["processes"];
  fifos: (Hls4mlReport["streams"][number] & { hls4ml: string | null })[];
  totals: TotalLine[];
  report: Hls4mlReport;
  warnings: string[];
}

export function costReport(g: LayerGraph, c: Hls4mlConfig, published: PublishedSet, names?: StreamName[]): CostReport {
  const r = hls4mlCost(g, c);
  const procSum = (k: ResourceKey) => r.processes.reduce((a, p) => a + p[k], 0);
  const totals: TotalLine[] = RESOURCES.map((k) => {
    const src = BAND_SOURCES[k];
    const part = (which: "processes" | "FIFOs", value: number, q: string | null) =>
      q ? { part: which, value, band: measuredBand(published, q) } : { part: which, value, band: null, why: k === "bram18" && which === "processes" ? "weight ROMs: the published designs (Latency strategy) have none" : "not checked by the published designs" };
    return { quantity: k === "bram18" ? "BRAM18" : k.toUpperCase(), total: r.totals[k], parts: [part("processes", procSum(k), src.processes), part("FIFOs", r.fifo[k], src.fifos)] };
  });
  totals.push({ quantity: "latency (cycles)", total: r.totals.latencyCycles, parts: [{ part: "design", value: r.totals.latencyCycles, band: measuredBand(published, BAND_SOURCES.latency.total) }] });
  totals.push({ quantity: "interval (cycles)", total: r.totals.intervalCycles, parts: [{ part: "design", value: r.totals.intervalCycles, band: measuredBand(published, BAND_SOURCES.interval.total) }] });
  const fifos = r.streams.map((s, i) => ({ ...s, hls4ml: names ? names[i].hls4ml : null }));
  return { network: r.network, config: c, processes: r.processes, fifos, totals, report: r, warnings: r.warnings };
}

const pct = (v: number) => `${v >= 0 ? "+" : ""}${v.toFixed(0)}%`;
export const formatBand = (b: Band | null, why = "not checked") => (b ? `${pct(b.minPct)}..${pct(b.maxPct)} (${b.n} published designs: ${b.quantity})` : why);
const num = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));

/** The report as Markdown (report.md, and what `npm run cost` prints). */
export function costMarkdown(r: CostReport, title: string): string {
  const L: string[] = [`# hls4ml cost: ${title}`, ""];
  const c = r.config;
  L.push(`Network ${r.network}; ${c.part} at ${c.clockMHz} MHz, ${c.strategy} strategy, reuse factor ${c.reuseFactor}, weights ${c.weightBits} b, activations ${c.actBits} b, FIFO depths ${c.fifoDepth}, BN fusion ${c.bnFusion}, ReLU merge ${c.reluMerge}, short skips ${c.shortImpl}.`);
  L.push("", "Predicted by the project's hls4ml cost model (src/hw/hls4ml), not by hls4ml. Each total carries the model's error measured against published hls4ml syntheses (figures/hls4ml-published-check.md): (model - published) / published, the range over the published designs.", "");
  L.push("## Totals", "", "| quantity | total | part | value | measured error of that part |", "| --- | --- | --- | --- | --- |");
  for (const t of r.totals) for (const [i, p] of t.parts.entries()) L.push(`| ${i === 0 ? t.quantity : ""} | ${i === 0 ? num(t.total) : ""} | ${p.part} | ${num(p.value)} | ${formatBand(p.band, p.why)} |`);
  L.push("", `Latency ${(r.report.totals.latencyUs).toFixed(2)} us at ${c.clockMHz} MHz.`, "");
  L.push("## Per layer (process)", "", "| process | kind | RF | BRAM18 | FF | LUT | DSP |", "| --- | --- | --- | --- | --- | --- | --- |");
  for (const p of r.processes) L.push(`| ${p.name} | ${p.kind} | ${p.rf} | ${num(p.bram18)} | ${num(p.ff)} | ${num(p.lut)} | ${num(p.dsp)} |`);
  L.push("", "## Per FIFO", "", "| stream | hls4ml layer writing it | depth | width (bits) | storage | skip | BRAM18 | FF | LUT |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const f of r.fifos) L.push(`| ${f.name} | ${f.hls4ml ?? "-"} | ${f.depth} | ${f.width} | ${f.storage} | ${f.skip ? "yes" : ""} | ${num(f.bram18)} | ${num(f.ff)} | ${num(f.lut)} |`);
  if (r.warnings.length) L.push("", "## Warnings", "", ...r.warnings.map((w) => `- ${w}`));
  return L.join("\n") + "\n";
}

/** The report as JSON (report.json): the same numbers, machine-readable. */
export function costJson(r: CostReport): object {
  return { network: r.network, config: r.config, totals: r.totals, latencyUs: r.report.totals.latencyUs, processes: r.processes, fifos: r.fifos, warnings: r.warnings };
}
