/**
 * The hls4ml group (claims C1, C2, C3, C6): its evidence (the model against public synthesis reports, the sweep, the
 * teacher/student pairs at each reference configuration) and its tables and figures. The verdicts are in
 * claim-registry.ts (hlsClaim, hardware-claims.ts).
 */
import { sweepNetworks, TAILOR_METHODS, type ClaimSpec, type ClaimSpecs, type HlsQuantity } from "../experiment/index.js";
import type { ClaimResult } from "./claims.js";
import { hlsClaimFigure, hlsResourceFigure } from "./figures.js";
import { hlsReferenceRows } from "./hardware-claims.js";
import { hls4mlSweep, type HlsRow } from "./hls4ml-sweep.js";
import type { Outputs, Step } from "./outputs.js";
import { comparePublished, errorPct, type PublishedComparison, type PublishedSet } from "./published-hls4ml.js";
import { hlsLatency, hlsSaving } from "./summary.js";
import { csvTable, markdownTable } from "../util/table.js";

export interface HlsEvidence {
  publishedSet: PublishedSet;
  published: PublishedComparison;
  rows: HlsRow[];
  /** reference name -> its teacher/student pairs */
  refs: Record<string, HlsRow[]>;
}

export const hlsSpecs = (specs: ClaimSpecs) => specs.claims.filter((s) => s.group === "hls4ml");

export async function hlsEvidence(specs: ClaimSpecs, publishedSet: PublishedSet, step: Step): Promise<HlsEvidence> {
  const published = await step("hls4ml published check", () => comparePublished(publishedSet));
  const rows = await step("hls4ml sweep", () => hls4mlSweep());
  const refs: Record<string, HlsRow[]> = {};
  for (const name of new Set(hlsSpecs(specs).map((s) => s.reference!))) refs[name] = hlsReferenceRows(name, specs.references[name]);
  return { publishedSet, published, rows, refs };
}

const SWEEP_HEADERS = ["network", "method", "config", "flow", "strategy", "shortened build", "fits", "BRAM18", "BRAM change %", "FF", "FF change %", "LUT", "LUT change %", "DSP", "latency cycles", "latency change %"];
const sweepCells = (r: HlsRow) => [r.network, r.method, r.label, r.flow, r.strategy, r.shortImpl, r.fits, r.base.bram18, r.change.bram18, Math.round(r.base.ff), r.change.ff, Math.round(r.base.lut), r.change.lut, r.base.dsp, r.base.latencyCycles, r.change.latency];

/** The model beside public synthesis reports of hls4ml's CNN tutorial (data/published/hls4ml-tutorial-cnn.json). */
function publishedTables(set: PublishedSet, r: PublishedComparison): Record<string, string> {
  const err = (m: number, o: number) => {
    const e = errorPct(m, o);
    return Number.isFinite(e) ? e.toFixed(1) : "n/a";
  };
  const streamRows = r.streams.map((s) => [s.design, s.stream, s.tensor, s.bits, s.observed.fifos, s.model.fifos, s.observed.depth, s.model.depth, s.model.storage, s.observed.bram18, s.model.bram18, s.observed.ff, s.model.ff]);
  const streamHeaders = ["design", "stream", "tensor", "bits", "FIFOs", "model FIFOs", "depth", "model depth", "model storage", "BRAM18 (HLS est.)", "model BRAM18", "FF (HLS est.)", "model FF"];
  const procRows = r.processes.map((p) => [p.design, p.instance, p.kind, p.observed.dsp, p.model.dsp, p.observed.ff, p.model.ff, err(p.model.ff, p.observed.ff), p.observed.lut, p.model.lut, err(p.model.lut, p.observed.lut)]);
  const procHeaders = ["design", "instance", "kind", "DSP", "model DSP", "FF", "model FF", "FF error %", "LUT", "model LUT", "LUT error %"];
  const totalRows = r.totals.map((t) => [t.design, t.quantity, t.observed, t.model, Number.isFinite(t.errorPct) ? t.errorPct : "n/a", t.note]);
  const totalHeaders = ["design", "quantity", "published", "model", "error %", "note"];
  return {
    "hls4ml-published-check.csv": csvTable(totalHeaders, totalRows),
    "hls4ml-published-check.md":
      `# The hls4ml model against published synthesis results

Source: ${set.source.repository} (commit ${set.source.commit}), ${set.source.notebook}: ` +
      `${set.designs.map((d) => `${d.name} (${d.note})`).join("; ")}. ${set.designs[0].csynth.tool.split(" ")[0]} Vivado HLS and Vivado, ${set.source.part}, ` +
      `io_stream, reuse factor 1, Latency strategy, default FIFO depths. Figures extracted by ${set.source.extractedBy} into data/published/hls4ml-tutorial-cnn.json.\n\n` +
      "## Totals\n\n" +
      markdownTable(totalHeaders, totalRows) +
      "\n## Streams (per stream; the report lists one FIFO per channel)\n\n" +
      markdownTable(streamHeaders, streamRows) +
      "\n## Processes (HLS estimate per instance)\n\n" +
      markdownTable(procHeaders, procRows),
  };
}

/** hls4ml's reuse-factor warnings collapsed into one count (every layer of a deep network gets one). */
function warningText(warnings: string[]): string {
  const rf = warnings.filter((w) => /reuse factor/.test(w));
  return [...warnings.filter((w) => !/reuse factor/.test(w)), ...(rf.length ? [`${rf.length} layer reuse factors lowered as hls4ml does`] : [])].join("; ");
}

function referenceTable(specs: ClaimSpecs, refs: Record<string, HlsRow[]>): string {
  const hdr = ["network", "method", "flow", "fits", "teacher BRAM18", "BRAM change %", "teacher FF", "FF change %", "teacher LUT", "LUT change %", "teacher DSP", "latency cycles", "latency change %", "warnings"];
  return Object.entries(refs)
    .map(
      ([name, rs]) =>
        `# hls4ml at the reference configuration "${name}" (data/claims.json)\n\n\`${JSON.stringify(specs.references[name].config)}\`\n\n` +
        markdownTable(hdr, rs.map((r) => [r.network, r.method, r.flow, r.fits, r.base.bram18, r.change.bram18, Math.round(r.base.ff), r.change.ff, Math.round(r.base.lut), r.change.lut, r.base.dsp, r.base.latencyCycles, r.change.latency, warningText(r.warnings)])),
    )
    .join("\n");
}

function summaryTable(rows: HlsRow[]): string {
  const perMethod = sweepNetworks("hls4ml").flatMap((n) =>
    TAILOR_METHODS.flatMap((m) =>
      [...new Set(rows.filter((r) => r.method === m).map((r) => r.flow))].map((flow) => {
        const sel = rows.filter((r) => r.network === n && r.method === m && r.flow === flow);
        const [b, f, l] = (["bram18", "ff", "lut"] as const).map((k) => hlsSaving(sel, k));
        return [n, m, flow, b.count, b.value, b.median, f.value, f.median, l.value, l.median, hlsLatency(sel).value];
      }),
    ),
  );
  return (
    "# hls4ml: savings of the Tailor network over its teacher, designs that fit their part\n\nEach row is one flow (the optimisation passes, the same for teacher and student).\n\n" +
    markdownTable(["network", "method", "flow", "designs", "max BRAM %", "median BRAM %", "max FF %", "median FF %", "max LUT %", "median LUT %", "max abs latency change %"], perMethod)
  );
}

/** The group's tables and figures; `results` are its claims' verdicts (each claim's own figure). */
export function hlsOutputs(ev: HlsEvidence, specs: ClaimSpecs, results: ClaimResult[]): Outputs {
  const mlperf = ev.rows.filter((r) => r.label.startsWith("MLPerf"));
  const marks = hlsSpecs(specs);
  const figures: Outputs["figures"] = {
    "hls4ml-resources-8bit": hlsResourceFigure(ev.rows, 8, "default", marks),
    "hls4ml-resources-8bit-optimised": hlsResourceFigure(ev.rows, 8, "optimised", marks),
  };
  for (const r of results) figures[`claim-${r.id}`] = hlsClaimFigure(r, r.quantity as HlsQuantity, ev.rows, ev.refs[r.reference!], r.reference!, specs.references[r.reference!].config);
  return {
    tables: {
      ...publishedTables(ev.publishedSet, ev.published),
      "hls4ml-sweep.csv": csvTable(SWEEP_HEADERS, ev.rows.map(sweepCells)),
      "hls4ml-mlperf-tiny.md":
        "# hls4ml, MLPerf-Tiny-like configuration (xc7z020, Resource, RF 16384, 8-bit weights, 10-bit activations), every flow\n\n" + markdownTable(SWEEP_HEADERS, mlperf.map(sweepCells)),
      "hls4ml-reference.md": referenceTable(specs, ev.refs),
      "hls4ml-summary.md": summaryTable(ev.rows),
    },
    figures,
  };
}

/** The spec's reference rows, named in an error when the evidence lacks them. */
export function hlsReferenceOf(ev: HlsEvidence, s: ClaimSpec): HlsRow[] {
  const rows = ev.refs[s.reference ?? ""];
  if (!rows) throw new Error(`${s.id}: reference "${s.reference}" was not computed`);
  return rows;
}
