/**
 * The PE-array group (claims C4, C5): its evidence (the sweep, the teacher/student pairs at each reference
 * configuration) and its tables and figures. The verdicts are in claim-registry.ts (peClaim, hardware-claims.ts).
 */
import { sweepNetworks, TAILOR_METHODS, type ClaimSpecs, type PeQuantity } from "../experiment/index.js";
import type { ClaimResult } from "./claims.js";
import { peClaimFigure, peFigure } from "./figures.js";
import { peReferenceConfig, peReferenceRows } from "./hardware-claims.js";
import type { Outputs, Step } from "./outputs.js";
import { peSweep, type PeRow } from "./pe-sweep.js";
import { peGain } from "./summary.js";
import { csvTable, markdownTable } from "../util/table.js";

export interface PeEvidence {
  rows: PeRow[];
  /** reference name -> its teacher/student pairs */
  refs: Record<string, PeRow[]>;
}

export const peSpecs = (specs: ClaimSpecs) => specs.claims.filter((s) => s.group === "pe-array");

export async function peEvidence(specs: ClaimSpecs, step: Step): Promise<PeEvidence> {
  const rows = await step("PE-array sweep", () => peSweep());
  const refs: Record<string, PeRow[]> = {};
  for (const name of new Set(peSpecs(specs).map((s) => s.reference!))) refs[name] = peReferenceRows(name, specs.references[name]);
  return { rows, refs };
}

const HEADERS = ["network", "method", "array", "dataflow", "DRAM B/cycle", "buffer KiB", "add", "on-chip reuse", "inferences/s", "perf change %", "DRAM bytes", "bytes change %", "memory-bound layers"];
const cells = (r: PeRow) => [r.network, r.method, `${r.config.rows}x${r.config.cols}`, r.config.dataflow, r.config.dramBytesPerCycle, r.config.ifmapBufferBytes / 1024, r.config.addMode, r.config.keepOnChip, r.base.inferencesPerSecond, r.perf, r.base.dramBytes, r.bytes, r.base.memoryBoundLayers];

function summaryTable(rows: PeRow[]): string {
  const summary = sweepNetworks("peArray").flatMap((n) =>
    TAILOR_METHODS.map((m) => {
      const sel = rows.filter((r) => r.network === n && r.method === m);
      const p = peGain(sel, "perf");
      const b = peGain(sel, "bytes");
      return [n, m, p.value, p.median, b.value, b.median, p.where];
    }),
  );
  return "# PE array: largest and median change over the sweep\n\n" + markdownTable(["network", "method", "max perf gain %", "median perf gain %", "max DRAM-byte saving %", "median saving %", "where the max perf gain occurs"], summary);
}

/** Under which configurations do the paper's values hold? The share of designs per add mode, reuse and bandwidth. */
function whereClaimsHold(rows: PeRow[], perf: number, bytes: number): string {
  const groups = new Map<string, PeRow[]>();
  for (const r of rows) {
    const k = [r.method, r.config.addMode, r.config.keepOnChip ? "on-chip reuse" : "all through DRAM", r.config.dramBytesPerCycle].join("|");
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const share = (xs: PeRow[], f: (r: PeRow) => boolean) => (100 * xs.filter(f).length) / xs.length;
  return (
    `# PE array: share of designs (all networks, arrays, buffers, dataflows) reaching the paper's values\n\n` +
    markdownTable(
      ["method", "add", "activations", "DRAM B/cycle", "designs", `perf gain >= ${perf}% (share %)`, `DRAM-byte saving >= ${bytes}% (share %)`, "memory-bound layers of the teacher (mean)"],
      [...groups].map(([k, xs]) => [...k.split("|"), xs.length, share(xs, (r) => r.perf >= perf), share(xs, (r) => -r.bytes >= bytes), xs.reduce((s, r) => s + r.base.memoryBoundLayers, 0) / xs.length]),
    )
  );
}

/** The group's tables and figures; `results` are its claims' verdicts (each claim's own figure). */
export function peOutputs(ev: PeEvidence, specs: ClaimSpecs, results: ClaimResult[]): Outputs {
  const ps = peSpecs(specs);
  const perfSpec = ps.find((s) => s.quantity === "perf");
  const bytesSpec = ps.find((s) => s.quantity === "bytes");
  const tables: Outputs["tables"] = {
    "pe-array-sweep.csv": csvTable(HEADERS, ev.rows.map(cells)),
    "pe-array-summary.md": summaryTable(ev.rows),
  };
  if (perfSpec && bytesSpec) tables["pe-array-where-claims-hold.md"] = whereClaimsHold(ev.rows, perfSpec.paper, bytesSpec.paper);
  const figures: Outputs["figures"] = {};
  const refName = ps[0]?.reference;
  if (refName) {
    const ref = { name: refName, config: peReferenceConfig(refName, specs.references[refName]) };
    figures["pe-array-resnet8"] = peFigure(ev.rows, "resnet8", ref, ps);
    figures["pe-array-resnet50"] = peFigure(ev.rows, "resnet50", ref, ps);
  }
  tables["pe-array-reference.md"] = Object.entries(ev.refs)
    .map(([name, rs]) => `# PE array at the reference configuration "${name}" (data/claims.json)\n\n\`${JSON.stringify(specs.references[name].config)}\`\n\n` + markdownTable(HEADERS, rs.map(cells)))
    .join("\n");
  for (const r of results) figures[`claim-${r.id}`] = peClaimFigure(r, r.quantity as PeQuantity, ev.rows, ev.refs[r.reference!], r.reference!, specs.references[r.reference!].config);
  return { tables, figures };
}
