/**
 * A claim explained in a few plain sentences, for the place it is shown (a notebook cell): our value against the
 * paper's, the verdict, why they differ, and the one setting that would change the verdict, each number computed from
 * the claim's result and the same cost-model rows its figures draw (never typed here). Pure: the caller gathers the
 * rows (notebook-views.ts).
 */
import type { ClaimResult } from "./claims.js";
import type { TotalCheck } from "./published-hls4ml.js";

/** The claim's value under another setting of the one thing the verdict turns on (a FIFO depth rule, a DRAM bandwidth). */
export interface Sensitivity {
  /** what is varied, e.g. "FIFO depth rule", "DRAM bandwidth" */
  setting: string;
  /** the reference's own setting, as it reads in a sentence */
  reference: string;
  /**
   * every other setting tried, with the claim's value there (null: no valid design); `unfit`: no design fits its
   * part, and `value` is the best of those that do not (shown, never counted)
   */
  alternatives: { setting: string; value: number | null; unfit?: boolean }[];
}

export interface ExplanationInputs {
  result: ClaimResult;
  sensitivity?: Sensitivity[];
  /** the cost model checked against published synthesis reports (C2, C3: the quantity's rows of the check) */
  publishedCheck?: TotalCheck[];
}

const fmt = (v: number, unit: string) => `${unit === "pp" && v > 0 ? "+" : ""}${v.toFixed(unit === "pp" ? 2 : 1)}${unit === "pp" ? " pp" : unit}`;
const signed = (v: number) => `${v > 0 ? "+" : ""}${v.toFixed(0)}%`;

/** whether `v` passes the claim's check (the same rule as claims.ts, on the main part) */
export function passes(r: Pick<ClaimResult, "check" | "paper" | "tolerance">, v: number): boolean {
  if (r.check === "within") return Math.abs(v - r.paper) <= r.tolerance;
  if (r.check === "at-least") return v >= r.paper - r.tolerance;
  return v > r.paper + r.tolerance;
}

/** The margin by which `v` passes (positive) or fails (negative) the claim's check, in its unit. */
export function margin(r: Pick<ClaimResult, "check" | "paper" | "tolerance">, v: number): number {
  if (r.check === "within") return r.tolerance - Math.abs(v - r.paper);
  if (r.check === "at-least") return v - (r.paper - r.tolerance);
  return v - (r.paper + r.tolerance);
}

function sensitivitySentence(r: ClaimResult, s: Sensitivity): string {
  const tried = s.alternatives.map((a) => `${a.setting}: ${a.value === null ? "no valid design" : `${fmt(a.value, r.unit)}${a.unfit ? ` (${passes(r, a.value) ? "within the tolerance, " : ""}but no design fits the part: it would not count)` : ""}`}`).join(", ");
  const flips = s.alternatives.filter((a) => a.value !== null && !a.unfit && passes(r, a.value) !== (r.atReference ?? false));
  const verdict = flips.length
    ? `the verdict would change at ${flips.map((a) => a.setting).join(", ")}`
    : `no other ${s.setting} tried changes the verdict`;
  return `The ${s.setting}: the reference uses ${s.reference}; with every other setting kept, the value would be ${tried}, so ${verdict}.`;
}

function publishedSentence(r: ClaimResult, rows: TotalCheck[]): string {
  if (!rows.length) return "";
  const errs = rows.map((t) => t.errorPct).filter(Number.isFinite);
  const list = rows.map((t) => `${signed(t.errorPct)} on ${t.design}`).join(", ");
  const over = errs.every((e) => e > 0);
  const under = errs.every((e) => e < 0);
  // resources common to teacher and student sit in the saving's denominator only
  const direction = over
    ? `an overestimate common to teacher and student inflates the denominator of the saving, so the true saving would be larger: ${r.ours! > r.paper ? "further from" : "closer to"} the paper's`
    : under
      ? `an underestimate common to teacher and student shrinks the denominator of the saving, so the true saving would be smaller: ${r.ours! < r.paper ? "further from" : "closer to"} the paper's`
      : "errors of both signs: the true saving could lie either side of ours";
  return `How far to trust the number: checked against published hls4ml reports (figures/hls4ml-published-check.md), the model's ${rows[0].quantity.replace(/ \(.*\)$/, "")} is off by ${list}; ${direction}. Those reports are Latency-strategy designs: the reference's strategy is unchecked.`;
}

/** Two to four sentences: value and paper, the verdict and why, what would change it. */
export function explainClaim(x: ExplanationInputs): string {
  const r = x.result;
  if (r.ours === null) return `${r.id}: ${r.status}. ${r.reason}.`;
  const out: string[] = [];
  const second = r.and && r.andOurs !== null && r.andOurs !== undefined ? ` (its second part: ${fmt(r.andOurs, r.unit)})` : "";
  out.push(`**${r.id}**: ours ${fmt(r.ours, r.unit)}${second}, the paper ${r.check === "more-than" ? `needs more than ${fmt(r.paper + r.tolerance, r.unit)}` : `${r.check === "at-least" ? "at least " : ""}${fmt(r.paper, r.unit)} (our tolerance ± ${r.tolerance}${r.unit === "pp" ? " pp" : r.unit})`}: **${r.status}**.`);
  const m = margin(r, r.ours);
  if (r.atReference) out.push(`It holds by ${Math.abs(m).toFixed(r.unit === "pp" ? 2 : 1)} ${r.unit === "pp" ? "pp" : "points"}, at ${decidingPart(r)}.`);
  else out.push(`${capital(r.reason)}${r.range && r.attainable ? `; the sweep spans ${fmt(r.range.min, r.unit)} to ${fmt(r.range.max, r.unit)}, so some configuration reaches the paper's value` : ""}.`);
  for (const s of x.sensitivity ?? []) out.push(sensitivitySentence(r, s));
  if (x.publishedCheck?.length) out.push(publishedSentence(r, x.publishedCheck));
  return out.join(" ");
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
/** "resnet8 remover, flow; each pair ..." -> "resnet8 remover, flow" (where the value comes from, without the list) */
const topPart = (configuration: string) => configuration.split("; ")[0].replace(/ \(test top-1 vs own teacher.*$/, "");

/** the design or run the value comes from: the part of the configuration that carries the value (C7a: the worst gap), else its head */
function decidingPart(r: ClaimResult): string {
  const v = fmt(r.ours!, r.unit);
  const hit = r.configuration.split(/[;,] /).find((p) => p.includes(v));
  return (hit ? hit.replace(/ \(test top-1 vs own teacher.*$/, "") : topPart(r.configuration)).replace(/^each pair at the reference: /, "");
}
