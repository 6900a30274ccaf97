/**
 * Figures to files: a standalone interactive HTML page per figure with one copy of plotly's minified bundle beside
 * them (the folder works offline, copied anywhere), and, when Debian's Chromium is installed, a PNG at scale 2
 * (print resolution) and an SVG rendered headless through playwright-core with Plotly.toImage.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Figure } from "../src/report/figures.js";
import { plotlyBundlePath } from "../src/report/notebook.js";
import { PLOTLY_BUNDLE_NAME, standaloneHtml } from "../src/report/plotly-html.js";
import { writeFileAtomic } from "../src/util/fs.js";
import { ProgressLine } from "../src/util/progress.js";

export const CHROMIUM = process.env.TAILOR_CHROMIUM || "/usr/bin/chromium";
/** PNG pixels per layout pixel: a 1200-px-wide figure becomes 2400 px */
export const PNG_SCALE = 2;

/** The standalone page, and the bundle beside it (copied when missing or different). */
export function writeHtml(fig: Figure, file: string): void {
  const dir = path.dirname(path.resolve(file));
  const bundle = path.join(dir, PLOTLY_BUNDLE_NAME);
  const src = fs.readFileSync(plotlyBundlePath());
  if (!fs.existsSync(bundle) || !fs.readFileSync(bundle).equals(src)) writeFileAtomic(bundle, src);
  writeFileAtomic(file, standaloneHtml(fig));
}

export const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

/**
 * Render `<name>.png` (scale 2) and `<name>.svg` of several figures in one browser session; `file` is the PNG's
 * path. Returns why not when Chromium is missing.
 */
export async function writeImages(figs: { fig: Figure; file: string }[], progress = new ProgressLine()): Promise<string | null> {
  if (!fs.existsSync(CHROMIUM)) return `${CHROMIUM} not found (apt-get install chromium): PNG and SVG not rendered, HTML written`;
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  try {
    const context = await browser.newContext();
    await context.setOffline(true);
    const page = await context.newPage();
    await page.setContent("<!doctype html><html><body></body></html>");
    await page.addScriptTag({ path: plotlyBundlePath() });
    let i = 0;
    for (const { fig, file } of figs) {
      progress.update(`[reproduce] rendering PNG and SVG ${++i}/${figs.length}: ${path.basename(file, ".png")}`);
      const { png, svg } = await page.evaluate(
        async ({ data, layout, scale }) => {
          // runs in the page: its DOM, not Node's
          const g = globalThis as unknown as { document: { createElement(t: string): { remove(): void }; body: { appendChild(e: unknown): void } }; Plotly: { newPlot(...a: unknown[]): Promise<void>; toImage(...a: unknown[]): Promise<string>; purge(d: unknown): void } };
          const div = g.document.createElement("div");
          g.document.body.appendChild(div);
          const P = g.Plotly;
          const l = layout as { width?: number; height?: number };
          await P.newPlot(div, data, layout);
          const opts = { width: l.width ?? 900, height: l.height ?? 520 };
          const png = await P.toImage(div, { format: "png", scale, ...opts });
          const svg = await P.toImage(div, { format: "svg", ...opts });
          P.purge(div);
          div.remove();
          return { png, svg };
        },
        { data: fig.data, layout: fig.layout, scale: PNG_SCALE },
      );
      writeFileAtomic(file, Buffer.from(png.replace(/^data:image\/png;base64,/, ""), "base64"));
      const svgText = svg.startsWith("data:image/svg+xml;base64,") ? Buffer.from(svg.slice(26), "base64").toString("utf8") : decodeURIComponent(svg.replace(/^data:image\/svg\+xml,/, ""));
      writeFileAtomic(file.replace(/\.png$/, ".svg"), svgText);
    }
    progress.done();
  } finally {
    await browser.close();
  }
  return null;
}
