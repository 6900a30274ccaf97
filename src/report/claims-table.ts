/** The claims table `npm run reproduce` prints and writes (figures/claims.md), and the notes under it. */
import type { ClaimResult } from "./claims.js";
import { markdownTable } from "./table.js";

const v = (x: number | null | undefined, unit: string) => (x === null || x === undefined || !Number.isFinite(x) ? "-" : `${x.toFixed(1)}${unit}`);
const yesNo = (b: boolean | null) => (b === null ? "-" : b ? "yes" : "no");

/**
 * The paper's value and what the check asks of ours ("more-than" is a strict bound: C7b's loss must exceed it).
 * A qualitative claim's "paper" is the bound's origin (C8: 0, "SkipShortener loses less"), never shown alone.
 */
export function claimExpectation(r: Pick<ClaimResult, "check" | "paper" | "tolerance" | "unit" | "and">): string {
  const main = r.check === "more-than" ? `> ${r.paper + r.tolerance}${r.unit}` : `${r.check === "at-least" ? ">= " : ""}${r.paper}${r.unit} (± ${r.tolerance})`;
  if (!r.and) return main;
  const a = r.and;
  return `${main}, and ${a.check === "more-than" ? `> ${a.paper + a.tolerance}` : `${a.check === "at-least" ? ">= " : ""}${a.paper} (± ${a.tolerance})`}${r.unit}`;
}

export function claimsTable(results: ClaimResult[]): string {
  return markdownTable(
    ["claim", "paper", "at reference", "within tolerance", "sweep min / median / max", "attainable", "status"],
    results.map((r) => [
      r.id,
      claimExpectation(r),
      v(r.ours, r.unit),
      yesNo(r.atReference),
      r.range ? `${v(r.range.min, r.unit)} / ${v(r.range.median, r.unit)} / ${v(r.range.max, r.unit)} (${r.range.count} design${r.range.count === 1 ? "" : "s"}${r.range.excluded ? `, ${r.range.excluded} not fitting left out` : ""})` : "-",
      yesNo(r.attainable),
      r.status,
    ]),
  );
}

export function claimsNotes(results: ClaimResult[]): string {
  return results.map((r) => `- **${r.id}** (${r.metric}): ${r.status}. ${r.atReference ? "" : `${r.reason}. `}Reference: ${r.configuration}.`).join("\n") + "\n";
}

/**
 * The same table for a terminal: plain aligned columns no wider than `width` (the markdown, with its long cells,
 * goes to figures/claims.md). Cells that would not fit are cut with "…".
 */
export function claimsTerminalTable(results: ClaimResult[], width = 120): string {
  const headers = ["claim", "paper", "ours", "ok", "sweep min / median / max", "status"];
  const rows = results.map((r) => [
    r.id,
    claimExpectation(r),
    v(r.ours, r.unit),
    yesNo(r.atReference),
    r.range ? `${v(r.range.min, r.unit)} / ${v(r.range.median, r.unit)} / ${v(r.range.max, r.unit)}` : "-",
    r.status,
  ]);
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  // shrink the widest columns until the line fits (two spaces between columns)
  const total = () => w.reduce((s, x) => s + x, 0) + 2 * (w.length - 1);
  while (total() > width) {
    const i = w.indexOf(Math.max(...w));
    w[i]--;
  }
  const cell = (s: string, i: number) => (s.length > w[i] ? `${s.slice(0, w[i] - 1)}…` : s.padEnd(w[i]));
  const line = (cells: string[]) => cells.map(cell).join("  ").trimEnd();
  return [line(headers), w.map((x) => "-".repeat(x)).join("  "), ...rows.map(line)].join("\n");
}
