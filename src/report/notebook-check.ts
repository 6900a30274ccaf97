/**
 * What an executed notebook must contain: outputs (a notebook never executed has none), no error output, plotly's
 * bundle embedded exactly once (offline: no script loaded from the network), and at least `minFigures` interactive
 * plotly figures drawn from it; a notebook that draws none (minFigures 0) embeds no bundle.
 */
import { PLOTLY_BUNDLE_NAME } from "./plotly-html.js";

interface Output {
  output_type: string;
  data?: Record<string, string | string[]>;
  ename?: string;
  evalue?: string;
}

const text = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join("") : (v ?? ""));

/** the banner at the top of plotly.js's minified cartesian bundle */
export const BUNDLE_MARK = "plotly.js (cartesian - minified)";
export const FIGURE_MARK = "window.Plotly.newPlot(";

export interface NotebookSummary {
  /** code cells with any output */
  executed: number;
  errors: string[];
  bundles: number;
  figures: number;
  remoteScripts: string[];
}

export function summariseNotebook(nb: { cells: { cell_type: string; outputs?: Output[] }[] }): NotebookSummary {
  const s: NotebookSummary = { executed: 0, errors: [], bundles: 0, figures: 0, remoteScripts: [] };
  nb.cells.forEach((c, i) => {
    if ((c.outputs ?? []).length) s.executed++;
    for (const o of c.outputs ?? []) {
      if (o.output_type === "error") s.errors.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
      const html = text(o.data?.["text/html"]);
      if (!html) continue;
      if (html.includes(BUNDLE_MARK)) s.bundles++;
      if (html.includes(FIGURE_MARK)) s.figures++;
      for (const m of html.matchAll(/<script[^>]*\ssrc=["']([^"']+)["']/g)) s.remoteScripts.push(`cell ${i}: ${m[1]}`);
    }
  });
  return s;
}

/** The problems of one executed notebook (empty: it passes). */
export function checkNotebook(nb: Parameters<typeof summariseNotebook>[0], name: string, minFigures = 1): string[] {
  const s = summariseNotebook(nb);
  const problems = s.errors.map((e) => `${name}: error output in ${e}`);
  if (!s.executed) problems.push(`${name}: no cell has output: not executed`);
  const bundles = minFigures > 0 ? 1 : 0;
  if (s.bundles !== bundles) problems.push(`${name}: plotly's bundle (${PLOTLY_BUNDLE_NAME}) embedded ${s.bundles} times, expected ${bundles ? "once" : "never (no figures)"}`);
  if (s.figures < minFigures) problems.push(`${name}: ${s.figures} interactive plotly figures, expected at least ${minFigures}`);
  for (const r of s.remoteScripts) problems.push(`${name}: a script loaded from ${r} (figures must work offline)`);
  return problems;
}

/**
 * The executed notebook with its code cells numbered in the order they ran (1, 2, ...; blank cells are not run).
 * tslab sends no execute_input message, from which nbclient takes a cell's count, so an executed notebook would
 * otherwise show "In [ ]" on every cell.
 */
export function numberExecutedCells<T extends { cells: { cell_type: string; source?: string | string[]; execution_count?: number | null }[] }>(nb: T): T {
  let n = 0;
  const src = (s: string | string[] | undefined) => (Array.isArray(s) ? s.join("") : (s ?? ""));
  return { ...nb, cells: nb.cells.map((c) => (c.cell_type === "code" && src(c.source).trim() ? { ...c, execution_count: ++n } : c)) };
}
