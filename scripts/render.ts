/**
 * Figures to files: an interactive HTML page per figure (plotly loaded from the project's node_modules, no CDN)
 * and, when Debian's Chromium is installed, a PNG rendered headless through playwright-core with Plotly.toImage.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Figure } from "../src/report/figures.js";
import { writeFileAtomic } from "../src/util/fs.js";

export const PLOTLY_JS = path.resolve(__dirname, "..", "node_modules", "plotly.js-dist", "plotly.js");
export const CHROMIUM = process.env.TAILOR_CHROMIUM || "/usr/bin/chromium";

export function writeHtml(fig: Figure, file: string): void {
  const rel = path.relative(path.dirname(path.resolve(file)), PLOTLY_JS).split(path.sep).join("/");
  const html = `<!doctype html><html><head><meta charset="utf-8"><script src="${rel}"></script></head>
<body><div id="fig"></div><script>Plotly.newPlot("fig", ${JSON.stringify(fig.data)}, ${JSON.stringify(fig.layout)});</script></body></html>\n`;
  writeFileAtomic(file, html);
}

/** Render PNGs of several figures in one browser session; returns why not if Chromium is missing. */
export async function writePngs(figs: { fig: Figure; file: string }[]): Promise<string | null> {
  if (!fs.existsSync(CHROMIUM)) return `${CHROMIUM} not found (apt-get install chromium): PNGs not rendered, HTML written`;
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  try {
    const page = await browser.newPage();
    await page.setContent("<!doctype html><html><body></body></html>");
    await page.addScriptTag({ path: PLOTLY_JS });
    for (const { fig, file } of figs) {
      const l = fig.layout as { width?: number; height?: number };
      const url = await page.evaluate(
        async ({ data, layout, width, height }) => {
          // runs in the page: its DOM, not Node's
          const g = globalThis as unknown as { document: { createElement(t: string): { remove(): void }; body: { appendChild(e: unknown): void } }; Plotly: { newPlot(...a: unknown[]): Promise<void>; toImage(...a: unknown[]): Promise<string>; purge(d: unknown): void } };
          const div = g.document.createElement("div");
          g.document.body.appendChild(div);
          const P = g.Plotly;
          await P.newPlot(div, data, layout);
          const png = await P.toImage(div, { format: "png", width, height });
          P.purge(div);
          div.remove();
          return png as string;
        },
        { data: fig.data, layout: fig.layout, width: l.width ?? 900, height: l.height ?? 520 },
      );
      writeFileAtomic(file, Buffer.from(url.replace(/^data:image\/png;base64,/, ""), "base64"));
    }
  } finally {
    await browser.close();
  }
  return null;
}
