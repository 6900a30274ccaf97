/**
 * The house style of every plotly figure: the spec types, colours that mean one thing in every figure (a network,
 * a method), names as the paper writes them, a caption under the plot, and the claim marks (the paper's value as a
 * dashed line, our tolerance as a band) drawn from a claim spec.
 */
import { methodLabel, networkLabel } from "../experiment/index.js";
import type { ClaimSpec } from "./claims.js";

/** A plotly trace or layout: plain JSON (plotly's own types are not a dependency of the library). */
export type Trace = Record<string, unknown>;

export interface Figure {
  data: Trace[];
  layout: Record<string, unknown> & { width?: number; height?: number };
}

/** one colour per network, none of them a method's (METHOD_COLOR): the depth figure shows both side by side */
export const NET_COLOR: Record<string, string> = {
  resnet8: "#8c564b",
  resnet20: "#ff7f0e",
  resnet56: "#2ca02c",
  resnet18: "#bcbd22",
  resnet34: "#e6ab02",
  resnet50: "#1b9e77",
};

export const METHOD_COLOR: Record<string, string> = {
  teacher: "#555555",
  "teacher-shortenable": "#555555",
  remover: "#d62728",
  shortener: "#1f77b4",
  noskip: "#9467bd",
  "noskip-kd": "#e377c2",
  "shortened-scratch": "#17becf",
};

/** a method as the paper writes it (the method table's label) */
export const methodName = methodLabel;

/** "resnet56" -> "ResNet-56" (the network registry's label) */
export const netName = networkLabel;

export const BASE_LAYOUT = {
  font: { family: "DejaVu Sans, Arial, sans-serif", size: 13 },
  paper_bgcolor: "white",
  plot_bgcolor: "white",
  hoverlabel: { align: "left" },
  xaxis: { showgrid: false, linecolor: "#444", ticks: "outside" },
  yaxis: { gridcolor: "#e5e5e5", linecolor: "#444", ticks: "outside" },
} as const;

/**
 * The width every figure is laid out for: it fits a notebook cell on a 1100-px screen (the output area is about
 * 1000 px), and a standalone page stretches it to its window (plotly-html.ts). Panels that do not fit side by side
 * at this width are stacked (stackedDomain).
 */
export const FIGURE_WIDTH = 1000;

/** Characters of a 12-px caption line that fit a figure `width` px wide, its margins left out (DejaVu Sans averages
 * about 7 px a character at 12 px). */
export const captionChars = (width: number = FIGURE_WIDTH) => Math.floor((width - 110) / 7);

/** The y domain of row `i` (0: the top) of `n` panels stacked one above the other, `gap` (paper fraction) apart. */
export function stackedDomain(i: number, n: number, gap = 0.1): [number, number] {
  const h = (1 - gap * (n - 1)) / n;
  const top = 1 - i * (h + gap);
  return [Math.max(0, top - h), top];
}

/** Break a caption into lines of at most `width` characters (plotly does not wrap annotations). */
export function wrap(text: string, width = captionChars()): string {
  const lines: string[] = [];
  let line = "";
  for (const w of text.split(/\s+/)) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.join("<br>");
}

/** A caption under the plot area (left-aligned, below the x-axis title); `width` in characters. */
export function caption(text: string, width = captionChars(), shift = -62): Record<string, unknown> {
  return { text: wrap(text, width), xref: "paper", yref: "paper", x: 0, y: 0, xanchor: "left", yanchor: "top", yshift: shift, align: "left", showarrow: false, font: { size: 12, color: "#333" } };
}

export const PAPER_COLOR = "#b2182b";

const num = (v: number) => String(Math.round(v * 100) / 100);

/**
 * The region where a value passes the claim's check: |v - paper| <= tol ("within"), v >= paper - tol
 * ("at-least"), v > paper + tol ("more-than"). One-sided regions end at `top` (the axis' upper end).
 */
export function toleranceRange(c: Pick<ClaimSpec, "paper" | "tolerance" | "check">, top: number): [number, number] {
  if (c.check === "within") return [c.paper - c.tolerance, c.paper + c.tolerance];
  const lo = c.check === "at-least" ? c.paper - c.tolerance : c.paper + c.tolerance;
  return [lo, Math.max(top, lo)];
}

export function toleranceText(c: Pick<ClaimSpec, "paper" | "tolerance" | "check" | "unit">): string {
  if (c.check === "within") return `our tolerance: ${num(c.paper)} ± ${num(c.tolerance)}${c.unit}`;
  if (c.check === "at-least") return `our tolerance: holds at ≥ ${num(c.paper - c.tolerance)}${c.unit}`;
  return `holds above ${num(c.paper + c.tolerance)}${c.unit}`;
}

/**
 * The paper's value (dashed line across the panel, named "paper: ..." in the legend) and our tolerance (band)
 * of one claim, as layout shapes on the given axes. `top` bounds a one-sided band (at-least, more-than).
 */
export function claimMarks(c: Pick<ClaimSpec, "id" | "paper" | "tolerance" | "check" | "unit">, xref: string, yref: string, showlegend: boolean, top = c.paper + 2 * c.tolerance): object[] {
  const [y0, y1] = toleranceRange(c, top);
  const dom = `${xref} domain`;
  return [
    {
      type: "rect",
      xref: dom,
      x0: 0,
      x1: 1,
      yref,
      y0,
      y1,
      fillcolor: "rgba(178,24,43,0.10)",
      line: { width: 0 },
      layer: "below",
      name: toleranceText(c),
      legendgroup: `tolerance ${c.id}`,
      showlegend,
    },
    {
      type: "line",
      xref: dom,
      x0: 0,
      x1: 1,
      yref,
      y0: c.paper,
      y1: c.paper,
      line: { color: PAPER_COLOR, width: 2, dash: "dash" },
      name: `paper (${c.id}): ${num(c.paper)}${c.unit}`,
      legendgroup: `paper ${c.id}`,
      showlegend,
      label: { text: `paper ${num(c.paper)}${c.unit}`, textposition: "end", yanchor: "bottom", font: { size: 11, color: PAPER_COLOR } },
    },
  ];
}
