/** The claims table `npm run reproduce` prints and writes (figures/claims.md), and the notes under it. */
import type { ClaimResult } from "./claims.js";
import { markdownTable } from "./table.js";

const v = (x: number | null | undefined, unit: string) => (x === null || x === undefined || !Number.isFinite(x) ? "-" : `${x.toFixed(1)}${unit}`);
const yesNo = (b: boolean | null) => (b === null ? "-" : b ? "yes" : "no");

/** The paper's value and what the check asks of ours ("more-than" is a strict bound: C7b's loss must exceed it). */
function paperCell(r: ClaimResult): string {
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
      paperCell(r),
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
