/**
 * One meaning per marker style in every figure (issue 31). A reader who learns the marks in one figure reads them in
 * all the others:
 * - the shape says which design a point is (DESIGN_SYMBOL): square a teacher, hexagon the shortenable teacher,
 *   circle SkipRemover, diamond SkipShortener, pentagon a mixed per-skip policy, and the scratch baselines their own;
 * - hollow: the design does not fit its part;
 * - a thick black outline: a second (or later) training seed of the same design;
 * - a star: the point a reported value is read from (a sweep's reference configuration, a run's best checkpoint);
 * - a horizontal dash: a validation top-1 beside its test top-1.
 * Colour is each figure's own (method, network or precision) and its legend says which.
 */
import type { Trace } from "./plot-style.js";

/** the design a point is, by method or run role; "policy" is a mixed per-skip policy */
export const DESIGN_SYMBOL: Record<string, string> = {
  teacher: "square",
  "teacher-shortenable": "hexagon",
  remover: "circle",
  shortener: "diamond",
  policy: "pentagon",
  noskip: "x",
  "noskip-kd": "cross",
  "shortened-scratch": "triangle-down",
  finetune: "triangle-up",
};

/** a sweep's reference configuration, or a run's best checkpoint: the point a reported value is read from */
export const STAR = "star";
/** validation top-1 drawn beside a test top-1 */
export const VALIDATION_SYMBOL = "line-ew-open";

/** what each marker means, for captions and for the check that every figure keeps to it */
export const MARKER_MEANING: Record<string, string> = {
  square: "teacher",
  hexagon: "shortenable teacher",
  circle: "SkipRemover",
  diamond: "SkipShortener",
  pentagon: "mixed per-skip policy",
  x: "no skips (scratch)",
  cross: "no skips + KD (scratch)",
  "triangle-down": "short skips (scratch)",
  "triangle-up": "fine-tuned teacher",
  [STAR]: "the point a reported value is read from",
  [VALIDATION_SYMBOL]: "validation top-1",
};

/** a design's bare role: without its network ("resnet20/"), QAT prefix ("qat4-") and seed ("-seed2") */
const bareRole = (design: string) => design.replace(/^.*\//, "").replace(/-seed\d+$/, "").replace(/^qat\d+-/, "");

/** The symbol of a design (a method or run role; network, seed and QAT prefix are not part of it); hollow when it does not fit its part. */
export function designSymbol(design: string, fits = true): string {
  const s = DESIGN_SYMBOL[bareRole(design)];
  if (!s) throw new Error(`markers: no symbol for design "${design}" (known: ${Object.keys(DESIGN_SYMBOL).join(", ")})`);
  return fits ? s : `${s}-open`;
}

/** The symbol of a run: its role when that is a design ("teacher-shortenable", "remover-seed2"), else its method's. */
export function runSymbol(run: string, method: string): string {
  return designSymbol(bareRole(run) in DESIGN_SYMBOL ? run : method);
}

/** the outline of a marker: thick and black for a second or later seed, none otherwise */
export function seedOutline(seeds: number[]): { color: string; width: number[] } {
  return { color: "black", width: seeds.map((s) => (s > 1 ? 2.5 : 0)) };
}

/** The symbol with its hollow suffix taken off (a line symbol is drawn open whatever it is called: the validation dash is "line-ew-open" itself). */
export function baseSymbol(symbol: string): string {
  return symbol.endsWith("-open") && !(symbol in MARKER_MEANING) ? symbol.slice(0, -"-open".length) : symbol;
}

/** A caption sentence naming the shapes a figure uses (in the order given), and the modifiers that apply. */
export function markerKey(designs: string[], o: { hollow?: boolean; seeds?: boolean } = {}): string {
  const parts = [...new Set(designs.map((d) => designSymbol(d)))].map((s) => `${s} ${MARKER_MEANING[s]}`);
  if (o.hollow) parts.push("hollow: does not fit its part");
  if (o.seeds) parts.push("black outline: a second seed");
  return `Markers: ${parts.join("; ")}.`;
}

/** Every marker symbol a trace draws (a default scatter marker is plotly's circle). */
export function traceSymbols(t: Trace): string[] {
  const m = t.marker as { symbol?: string | string[] } | undefined;
  const mode = String(t.mode ?? (t.type === "box" ? "markers" : ""));
  if (!mode.includes("markers") && t.type !== "box") return [];
  if (m?.symbol === undefined) return ["circle"];
  return [m.symbol].flat().map(String);
}

/**
 * A trace of several seeds as two: the first seeds' points, which keep the legend entry, and the later seeds' (with
 * the same legend group, no entry of their own). Plotly draws a legend marker's outline at the mean of its points'
 * outline widths, so a legend entry of mixed seeds would show the second seed's black outline for all of them.
 * Every per-point array of the trace (length = seeds.length, at its top level, in marker and in marker.line) is split.
 */
export function splitLaterSeeds(trace: Trace, seeds: number[]): Trace[] {
  const later = seeds.map((s, i) => (s > 1 ? i : -1)).filter((i) => i >= 0);
  if (!later.length || later.length === seeds.length) return [trace];
  const first = seeds.map((s, i) => (s > 1 ? -1 : i)).filter((i) => i >= 0);
  const pick = (o: Record<string, unknown>, idx: number[]): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(o).map(([k, v]) => [
        k,
        Array.isArray(v) && v.length === seeds.length ? idx.map((i) => v[i]) : v && typeof v === "object" && !Array.isArray(v) && (k === "marker" || k === "line") ? pick(v as Record<string, unknown>, idx) : v,
      ]),
    );
  const group = (trace.legendgroup as string | undefined) ?? String(trace.name);
  return [
    { ...pick(trace, first), legendgroup: group },
    { ...pick(trace, later), legendgroup: group, showlegend: false },
  ];
}
