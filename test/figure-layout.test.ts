// Figures read where they are shown: every standalone figures/*.html page, and every committed notebook converted to
// HTML (jupyter nbconvert, when it is installed), opened in Debian's Chromium at 1100 px (a notebook cell) and 1400 px
// (a laptop screen). Within each plotly figure, the boxes of its title, axis titles, annotations (subplot titles,
// captions) and legend that plotly drew must not overlap one another nor cover a star (the point a value is read
// from), must stay inside the figure, and the page must not scroll sideways. The boxes are the browser's own (getBoundingClientRect of the drawn SVG text), so a fix is judged by what
// a reader sees. Chromium missing fails this test (scripts/setup-system.sh installs it); nbconvert missing is said.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext } from "playwright-core";
import { PLOTLY_BUNDLE_NAME } from "../src/report/plotly-html.js";
import { overlappingBoxes, textOverStars, type TextBox } from "../src/report/layout-check.js";
import { offlineChromium } from "./helpers/offline-chromium.js";

const ROOT = path.resolve(__dirname, "..");
// TAILOR_FIGURES: another reproduce output to check before it is committed (default: the committed figures/)
const FIGURES = path.resolve(process.env.TAILOR_FIGURES || path.join(ROOT, "figures"));
const NOTEBOOKS = path.join(ROOT, "notebooks");
// windows of 1100 px (a notebook cell is then about 1000 px wide) and 1400 px; a standalone page also at 1000 px,
// the width its figure is laid out for (FIGURE_WIDTH) and its PNG drawn at
const WIDTHS = [1100, 1400];
const PAGE_WIDTHS = [1000, ...WIDTHS];
const pages = fs.readdirSync(FIGURES).filter((f) => f.endsWith(".html")).sort();
const notebooks = fs.readdirSync(NOTEBOOKS).filter((f) => f.endsWith(".ipynb")).sort();
const JUPYTER = process.env.JUPYTER || "/usr/bin/jupyter";
const nbconvert = (() => {
  try {
    execFileSync(JUPYTER, ["nbconvert", "--version"], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
})();

let browser: Browser;
let context: BrowserContext;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-layout-"));

beforeAll(async () => {
  for (const f of [...pages, PLOTLY_BUNDLE_NAME]) fs.copyFileSync(path.join(FIGURES, f), path.join(tmp, f));
  // nbconvert's page asks for require.js and MathJax from a CDN: refused, the figures need neither
  ({ browser, context } = await offlineChromium());
}, 60_000);

afterAll(async () => {
  await browser?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Measured {
  figures: { id: string; width: number; boxes: TextBox[]; stars: TextBox[] }[];
  scrollWidth: number;
  clientWidth: number;
}

/** Opens `file` at `width` px, waits for its plotly figures, and returns each figure's text boxes. */
async function measure(file: string, width: number, figures: number): Promise<Measured> {
  const p = await context.newPage();
  try {
    await p.setViewportSize({ width, height: 900 });
    await p.goto(`file://${file}`);
    await p.waitForFunction((n) => (globalThis as any).document.querySelectorAll(".js-plotly-plot .main-svg").length >= n, figures, { timeout: 60_000 });
    // a figure drawn into a div that was resized after the first draw settles on the next frame
    await p.waitForTimeout(300);
    return await p.evaluate(() => {
      const doc = (globalThis as any).document;
      const box = (e: any, kind: string): TextBox => {
        const r = e.getBoundingClientRect();
        return { kind, text: String(e.textContent ?? "").slice(0, 60), left: r.left, top: r.top, right: r.right, bottom: r.bottom };
      };
      const figures = [...doc.querySelectorAll(".js-plotly-plot")].map((gd: any, i: number) => {
        const boxes: TextBox[] = [];
        for (const e of gd.querySelectorAll("text.gtitle")) boxes.push(box(e, "title"));
        for (const e of gd.querySelectorAll(".infolayer g[class$='title'] > text")) if (!e.classList.contains("gtitle")) boxes.push(box(e, "axis title"));
        for (const e of gd.querySelectorAll(".infolayer g.annotation text.annotation-text")) boxes.push(box(e, "annotation"));
        // the legend's drawn entries (its background box may be wider than what it shows)
        for (const e of gd.querySelectorAll(".legend .scrollbox")) boxes.push({ ...box(e, "legend"), text: "legend" });
        // star markers: each drawn trace's group carries plotly's calcdata, whose first entry holds the full trace
        const stars: TextBox[] = [];
        for (const g of gd.querySelectorAll(".scatterlayer g.trace")) {
          const trace = g.__data__?.[0]?.trace;
          const symbol = trace?.marker?.symbol;
          g.querySelectorAll("path.point").forEach((pt: any, k: number) => {
            const s = String(Array.isArray(symbol) ? symbol[k] : symbol);
            if (s.startsWith("star") && pt.getBoundingClientRect().width > 0) stars.push({ ...box(pt, "star"), text: `star of "${String(trace?.name ?? "").slice(0, 50)}"` });
          });
        }
        const r = gd.getBoundingClientRect();
        return { id: gd.id || `figure ${i + 1}`, width: r.width, boxes: boxes.filter((b) => b.text.trim() && b.right > b.left), stars, frame: { left: r.left, right: r.right } };
      });
      return {
        figures: figures.map((f: any) => ({ id: f.id, width: f.width, stars: f.stars, boxes: f.boxes.map((b: TextBox) => ({ ...b, outside: b.left < f.frame.left - 1 || b.right > f.frame.right + 1 })) })),
        scrollWidth: doc.documentElement.scrollWidth,
        clientWidth: doc.documentElement.clientWidth,
      };
    });
  } finally {
    await p.close();
  }
}

/** what is wrong with the text of the figures on one page */
function problems(m: Measured, where: string): string[] {
  const out: string[] = [];
  if (m.scrollWidth > m.clientWidth + 1) out.push(`${where}: the page scrolls sideways (${m.scrollWidth} px wide in a ${m.clientWidth} px window)`);
  for (const f of m.figures) {
    for (const [a, b] of overlappingBoxes(f.boxes)) out.push(`${where} ${f.id}: ${a.kind} "${a.text}" overlaps ${b.kind} "${b.text}"`);
    for (const [t, s] of textOverStars(f.boxes, f.stars)) out.push(`${where} ${f.id}: ${t.kind} "${t.text}" covers the ${s.text}`);
    for (const b of f.boxes as (TextBox & { outside?: boolean })[]) if (b.outside) out.push(`${where} ${f.id}: ${b.kind} "${b.text}" runs out of the figure`);
  }
  return out;
}

describe("figure text does not overlap (Chromium, 1000-1400 px)", () => {
  for (const page of pages) {
    it(page, async () => {
      const found: string[] = [];
      for (const w of PAGE_WIDTHS) found.push(...problems(await measure(path.join(tmp, page), w, 1), `${page} at ${w} px`));
      expect(found).toEqual([]);
    }, 120_000);
  }

  for (const nb of notebooks) {
    it(`${nb} (nbconvert to HTML)`, async () => {
      expect(nbconvert, `${JUPYTER} nbconvert not found: apt-get install jupyter-nbconvert (scripts/setup-system.sh)`).toBe(true);
      execFileSync(JUPYTER, ["nbconvert", "--to", "html", "--output-dir", tmp, path.join(NOTEBOOKS, nb)], { stdio: "pipe" });
      const html = path.join(tmp, nb.replace(/\.ipynb$/, ".html"));
      const expected = (fs.readFileSync(html, "utf8").match(/class=\\?"tailor-plotly/g) ?? []).length;
      // a notebook whose cells show figures must bring them (executed: npm run notebooks:execute); one that shows
      // none (05: tables only) is checked for text that runs off the page all the same
      const cells = JSON.parse(fs.readFileSync(path.join(NOTEBOOKS, nb), "utf8")).cells as { cell_type: string; source: string | string[] }[];
      const showsFigures = cells.some((c) => c.cell_type === "code" && /\bshow(Claim)?\(/.test([c.source].flat().join("")));
      if (showsFigures) expect(expected, `${nb}: executed notebook with figures (npm run notebooks:execute)`).toBeGreaterThan(0);
      const found: string[] = [];
      for (const w of WIDTHS) {
        const m = await measure(html, w, expected);
        expect(m.figures.length, `${nb} at ${w} px: figures drawn`).toBe(expected);
        found.push(...problems({ ...m, scrollWidth: 0 }, `${nb} at ${w} px`));
      }
      expect(found).toEqual([]);
    }, 300_000);
  }
});
