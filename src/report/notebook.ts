/**
 * Interactive plotly figures in a tslab notebook: `figureDisplay(tslab)` returns `show(fig)`, which embeds plotly's
 * bundle in the notebook the first time (no CDN, no network) and then draws each figure, and `live()`, a figure
 * redrawn in place (tslab's newDisplay) for a run that grows while the cell executes.
 */
import * as fs from "node:fs";
import type { Figure } from "./plot-style.js";
import { notebookBundleHtml, notebookFigureHtml, specFromStandaloneHtml } from "./plotly-html.js";

export interface HtmlDisplay {
  html(s: string): void;
}

export interface TextDisplay {
  text(s: string): void;
}

/** A figure `npm run reproduce` wrote (figures/<name>.html), as its spec; null when it is not there. */
export function savedFigure(file: string): Figure | null {
  return fs.existsSync(file) ? specFromStandaloneHtml(fs.readFileSync(file, "utf8"), file) : null;
}

/**
 * A progress line in a notebook: one output (tslab's newDisplay) overwritten at most every `everyMs`, so that
 * the saved notebook keeps only the last state (a terminal's "\r" does not survive nbconvert).
 */
export function notebookProgress(tslab: { newDisplay(): TextDisplay }, everyMs = 500) {
  const d = tslab.newDisplay();
  let last = -Infinity;
  return {
    update(text: string, force = false): void {
      const t = Date.now();
      if (!force && t - last < everyMs) return;
      last = t;
      d.text(text);
    },
  };
}

/** plotly.js's minified cartesian bundle, from node_modules (the version package.json pins). */
export const plotlyBundlePath = (): string => require.resolve("plotly.js-cartesian-dist-min/plotly-cartesian.min.js");

let counter = 0;
const newId = () => `tailor-fig-${process.pid}-${Date.now().toString(36)}-${counter++}`;

export function figureDisplay(tslab: { display: HtmlDisplay; newDisplay(): HtmlDisplay }, bundleFile = plotlyBundlePath()) {
  let loaded = false;
  const ensureBundle = () => {
    if (loaded) return;
    tslab.display.html(notebookBundleHtml(fs.readFileSync(bundleFile, "utf8")));
    loaded = true;
  };
  return {
    /** draw a figure as a new output */
    show(fig: Figure): void {
      ensureBundle();
      tslab.display.html(notebookFigureHtml(fig, newId()));
    },
    /** one output that `update(fig)` redraws */
    live(): { update(fig: Figure): void } {
      ensureBundle();
      const d = tslab.newDisplay();
      return { update: (fig: Figure) => d.html(notebookFigureHtml(fig, newId())) };
    },
  };
}
