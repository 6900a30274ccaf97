/** The claims table `npm run reproduce` prints and writes (figures/claims.md), and the notes under it. */
import type { ClaimResult } from "./claims.js";
import { markdownTable, toFixedNoNegZero } from "../util/table.js";

/**
 * A value with its unit. Points (pp: the accuracy claims) get 2 decimals: they are differences of test top-1 values
 * k/10,000, multiples of 0.01 pp, and with one decimal a loss of 0.96 and one of 1.04 would both read "1.0pp"
 * against "> 1pp", one "no" and the other "yes". The hardware claims' percentages keep 1 decimal.
 */
const v = (x: number | null | undefined, unit: string) => (x === null || x === undefined || !Number.isFinite(x) ? "-" : `${toFixedNoNegZero(x, unit === "pp" ? 2 : 1)}${unit}`);
const yesNo = (b: boolean | null) => (b === null ? "-" : b ? "yes" : "no");

/**
 * The value at the reference: a claim with a second part (`and`, C7b) shows both values, as its paper column shows
 * both bounds ("> 1pp, and >= 0 (± 1)pp" beside "2.00pp, and -2.00pp"), never one part beside a verdict on both.
 */
export const claimOurs = (r: Pick<ClaimResult, "and" | "ours" | "andOurs" | "unit">) => (r.and && r.ours !== null ? `${v(r.ours, r.unit)}, and ${v(r.andOurs, r.unit)}` : v(r.ours, r.unit));

/**
 * The sweep's min / median / max. A two-part claim's range is its reference value alone (no sweep behind an accuracy
 * claim): shown like its value, both parts.
 */
const rangeCell = (r: ClaimResult, counts: boolean) => {
  if (!r.range) return "-";
  const designs = counts ? ` (${r.range.count} design${r.range.count === 1 ? "" : "s"}${r.range.excluded ? `, ${r.range.excluded} not fitting left out` : ""})` : "";
  if (r.and && r.range.count === 1 && r.ours !== null) return `${claimOurs(r)}${designs}`;
  return `${v(r.range.min, r.unit)} / ${v(r.range.median, r.unit)} / ${v(r.range.max, r.unit)}${designs}`;
};

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

/** The command that recomputes one claim (with the others of its group): the table's first column names it. */
export const claimCommand = (id: string) => `npm run reproduce -- --only ${id}`;

export function claimsTable(results: ClaimResult[]): string {
  return markdownTable(
    ["claim", "command", "paper", "at reference", "within tolerance", "sweep min / median / max", "attainable", "status"],
    results.map((r) => [
      r.id,
      `\`${claimCommand(r.id)}\``,
      claimExpectation(r),
      claimOurs(r),
      yesNo(r.atReference),
      rangeCell(r, true),
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
    claimOurs(r),
    yesNo(r.atReference),
    rangeCell(r, false),
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
