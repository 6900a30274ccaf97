// The committed figures open offline: each figures/*.html, copied with the plotly bundle into a temporary folder,
// is opened in Debian's Chromium (playwright-core) with the network blocked; plotly must draw every trace of the
// page's spec, and every claim figure its paper-value line at data/claims.json's value. CI installs Chromium
// (scripts/setup-system.sh): a missing browser fails this test, it is not skipped.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLOTLY_BUNDLE_NAME, specFromStandaloneHtml } from "../src/report/plotly-html.js";
import { offlineChromium } from "./helpers/offline-chromium.js";
import type { Browser, BrowserContext } from "playwright-core";

const ROOT = path.resolve(__dirname, "..");
const FIGURES = path.join(ROOT, "figures");
const claims: { id: string; paper: number }[] = JSON.parse(fs.readFileSync(path.join(ROOT, "data", "claims.json"), "utf8")).claims;
const pages = fs.readdirSync(FIGURES).filter((f) => f.endsWith(".html")).sort();

let browser: Browser;
let context: BrowserContext;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-figures-"));
let blocked: string[] = [];

beforeAll(async () => {
  for (const f of [...pages, PLOTLY_BUNDLE_NAME]) fs.copyFileSync(path.join(FIGURES, f), path.join(tmp, f));
  ({ browser, context, blocked } = await offlineChromium());
}, 60_000);

afterAll(async () => {
  await browser?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("figures/*.html offline in Chromium", () => {
  it("there are figures, and the bundle beside them", () => {
    expect(pages.length).toBeGreaterThanOrEqual(10);
    expect(fs.existsSync(path.join(FIGURES, PLOTLY_BUNDLE_NAME))).toBe(true);
  });

  for (const page of pages) {
    it(page, async () => {
      const spec = specFromStandaloneHtml(fs.readFileSync(path.join(FIGURES, page), "utf8"), page);
      const p = await context.newPage();
      const errors: string[] = [];
      p.on("pageerror", (e) => errors.push(String(e)));
      await p.goto(`file://${path.join(tmp, page)}`);
      await p.waitForSelector("#fig .main-svg", { timeout: 30_000 });
      const got = await p.evaluate(() => {
        const gd = (globalThis as any).document.getElementById("fig");
        return {
          traces: gd._fullData.length as number,
          drawn: gd.querySelectorAll("g.trace").length as number,
          shapes: (gd._fullLayout.shapes as { name?: string; type: string; y0: number }[]).map((s) => ({ name: s.name ?? "", type: s.type, y0: s.y0 })),
          shapePaths: gd.querySelectorAll(".shapelayer path").length as number,
          legend: [...gd.querySelectorAll(".legendtext")].map((e: any) => e.textContent as string),
        };
      });
      await p.close();
      expect(errors, page).toEqual([]);
      expect(blocked, "requests off this machine").toEqual([]);
      expect(got.traces, `${page}: traces`).toBe(spec.data.length);
      // plotly draws no group for a trace without points (a figure of runs none of which has finished)
      const withData = spec.data.filter((t) => !Array.isArray(t.x) || (t.x as unknown[]).length > 0).length;
      expect(got.drawn, `${page}: drawn traces`).toBe(withData);
      expect(got.shapePaths, `${page}: drawn shapes`).toBe(((spec.layout.shapes as unknown[]) ?? []).length);
      const papers = got.shapes.filter((s) => s.type === "line" && /^paper \(/.test(s.name));
      // every paper line sits at its claim's value in data/claims.json, and is named in the legend
      for (const l of papers) {
        const id = /^paper \((C\w+)\)/.exec(l.name)![1];
        expect(l.y0, `${page}: ${l.name}`).toBe(claims.find((c) => c.id === id)!.paper);
        expect(got.legend.some((t) => t.startsWith(`paper (${id})`)), `${page}: legend ${got.legend.join("; ")}`).toBe(true);
      }
      const claim = /^claim-(C\w+)\.html$/.exec(page);
      if (claim) expect(papers.map((l) => l.name.split(":")[0]), page).toEqual([`paper (${claim[1]})`]);
      // training curves, the codesign view (absolute accuracy against absolute BRAM/LUT; C8 is a difference of
      // accuracy gaps, shown in its table and verdict) and the per-skip policy study (beyond the paper: it has no
      // value to compare with) have no claim value on their axes
      if (!["training-", "codesign-", "policy-"].some((p) => page.startsWith(p))) expect(papers.length, `${page}: a claim figure without the paper's value`).toBeGreaterThan(0);
    }, 60_000);
  }
});
