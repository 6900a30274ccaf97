// The cost explorer (web/) in Debian's Chromium through playwright-core: the page is built into a temporary folder and
// opened from file://; networks, policies and configurations are set by clicking and typing as a user would, and the
// numbers the page shows are checked against the library's own functions called here (designHardware, hls4mlCost,
// peArrayCost, fifoDepthFile, handoffConfig), for three designs. Also: ONNX files chosen and dropped (exported here
// from committed runs), bad files showing the importer's message, out-of-range inputs, the link reproducing a design,
// no request off the page's own files, no horizontal overflow at 1280x800 and 390 wide, and the time the page takes
// to recompute ResNet-20 (printed; the bound asserted is loose: speed is not tested by timing on a shared machine).
// The searched front: ResNet-8's and ResNet-32's (additive, in a Web Worker) fronts; ResNet-20's exhaustive front searched in the page's
// Web Workers equal to policyFront(policyCosts(...)) by bram18 and cycles, its time printed; Cancel; a change during a
// search cancelling it with no stale front shown; a worker's error shown in the page.
// The designs, the reading of the page, the library's numbers it must equal, the bad inputs and the ONNX files are in
// test/helpers/explorer-page.ts, shared with the same checks in Firefox (test/web-firefox.test.ts).
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { offlineChromium } from "./helpers/offline-chromium.js";
import { fifoDepthFile } from "../src/handoff/fifo-depths.js";
import { handoffConfig } from "../src/handoff/hls4ml-config.js";
import type { Hls4mlConfig } from "../src/hw/hls4ml/index.js";
import type { PeArrayConfig } from "../src/hw/pe-array/index.js";
import { lower, policyOf, withAllSkips, withPolicy, type NetSpec } from "../src/net/index.js";
import { policyCosts, policyFront } from "../src/report/policy-front.js";
import { additiveRemovalSearch, removalFront } from "../src/report/policy-choice.js";
import {
  buildExplorerSite,
  dropFile,
  expectFront,
  expectLibraryNumbers,
  explorerDesigns,
  HLS_REF,
  measureWidth,
  onnxCases,
  OUT_OF_RANGE,
  PE_REF,
  PROGRESS,
  READY,
  readExplorer,
  readFront,
  resnet20Costs,
  VIEWPORTS,
  WIDE_DESIGN,
  type ExplorerSite,
  type Step,
} from "./helpers/explorer-page.js";

let site: ExplorerSite;
let browser: Browser;
let context: BrowserContext;
/** every URL the pages asked for */
let requests: string[] = [];

beforeAll(async () => {
  site = await buildExplorerSite();
  // online context (the page's own fetches of file: URLs), every other URL refused and recorded
  ({ browser, context, requests } = await offlineChromium({ viewport: { width: 1280, height: 800 }, acceptDownloads: true }, false));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  site?.remove();
});

async function open(hash = "", viewport?: { width: number; height: number }): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(site.pageUrl + hash);
  await page.waitForSelector(READY);
  return { page, errors };
}

/** the exact value a cell carries, and its text */
async function cell(page: Page, k: string): Promise<{ v: number; text: string }> {
  const e = page.locator(`[data-k='${k}']`).first();
  return { v: Number(await e.getAttribute("data-v")), text: (await e.textContent()) ?? "" };
}

/** the page's recompute is synchronous on each event; wait until the policy shown is the one expected */
const policyShown = async (page: Page, policy: string) => expect.poll(() => page.textContent("#policy")).toBe(policy);

async function typeField(page: Page, id: string, value: string): Promise<void> {
  await page.fill(`[id='${id}']`, value);
}

/** a user's steps (test/helpers/explorer-page.ts) through playwright */
async function play(page: Page, steps: Step[]): Promise<void> {
  for (const s of steps) {
    if ("select" in s) await page.selectOption(s.select[0], s.select[1]);
    else if ("click" in s) await page.click(s.click);
    else if ("fill" in s) await typeField(page, s.fill[0], s.fill[1]);
    else await policyShown(page, s.policy);
  }
}

/** Compare every number of the page with the library's for `net` at (hls, pe). */
async function checkAgainstLibrary(page: Page, net: NetSpec, hls: Hls4mlConfig, pe: PeArrayConfig): Promise<void> {
  expectLibraryNumbers(await page.evaluate(readExplorer), net, hls, pe);
}

describe("the cost explorer in Chromium, from file://", () => {
  it("three designs set by clicking and typing show the library's numbers; the link reproduces the last", async () => {
    const { page, errors } = await open();
    const designs = explorerDesigns();
    for (const d of designs) {
      await play(page, d.steps);
      await checkAgainstLibrary(page, d.net, d.hls, d.pe);
    }
    const { net: net3, hls: hls3, pe: pe3 } = designs[designs.length - 1];

    // the hand-off's files, downloaded, are the library's for this design
    const [dl1] = await Promise.all([page.waitForEvent("download"), page.click("#dl-config")]);
    expect(dl1.suggestedFilename()).toBe("hls4ml_config.json");
    expect(JSON.parse(fs.readFileSync((await dl1.path())!, "utf8"))).toEqual(JSON.parse(JSON.stringify(handoffConfig(lower(net3), hls3))));
    const [dl2] = await Promise.all([page.waitForEvent("download"), page.click("#dl-depths")]);
    expect(dl2.suggestedFilename()).toBe("max_depth.json");
    expect(JSON.parse(fs.readFileSync((await dl2.path())!, "utf8"))).toEqual(fifoDepthFile(lower(net3), hls3).entries);

    // the link: a new page opened at this URL shows the same design
    const url = page.url();
    expect(url).toContain("#");
    const again = await context.newPage();
    await again.goto(url);
    await again.waitForSelector(READY);
    expect(await again.textContent("#policy")).toBe(policyOf(net3));
    await checkAgainstLibrary(again, net3, hls3, pe3);
    await again.close();
    expect(errors).toEqual([]);
    await page.close();
  }, 240_000);

  it("an ONNX file chosen, and one dropped, becomes the design; a bad file shows the importer's message and the design stays", async () => {
    const { page, errors } = await open();
    const onnxFiles = onnxCases(path.join(site.tmp, "onnx"));
    // chosen: the ResNet-8 teacher exported from its committed run
    await page.setInputFiles("#onnx-file", onnxFiles.teacherFile);
    const t = onnxFiles.teacher;
    await expect.poll(() => page.inputValue("#net")).toBe(`onnx:${t.name}`);
    await policyShown(page, policyOf(t));
    await checkAgainstLibrary(page, t, HLS_REF, PE_REF);
    // its front, searched in the page's workers: the policies of its own (plain) form, as the library costs them
    await page.selectOption("#front-objective", "lut");
    expect(await page.textContent("#front-note")).toContain("every one of the 8 designs of the imported network's own plain form (its 2^3 L and R policies)");
    await page.click("#front-search");
    const ownCosts = policyCosts(withAllSkips(t, "long"), HLS_REF, PE_REF);
    await expect.poll(() => page.locator("#front button").count()).toBe(policyFront(ownCosts, "lut").length);
    expectFront(await page.evaluate(readFront), ownCosts, "lut");
    expect(await page.textContent("#front-status")).toMatch(new RegExp(`^${t.name} \\(ONNX file\\): 8 designs costed in`));
    // a click on a front point sets its policy on the imported network
    const point = policyFront(ownCosts, "lut")[1];
    await page.click(`#front button[data-policy='${point.policy}']`);
    await policyShown(page, point.policy);
    await checkAgainstLibrary(page, withPolicy(t, point.policy), HLS_REF, PE_REF);
    await page.click(`#front button[data-policy='${policyOf(t)}']`);
    await policyShown(page, policyOf(t));
    // a skip of the imported network clicked: it is costed like any other
    await page.click("g.skip[data-skip='1']");
    const clicked = withPolicy(t, policyOf(t).slice(0, 1) + (t.blocks[1].form === "shortenable" ? "S" : "R") + policyOf(t).slice(2));
    await policyShown(page, policyOf(clicked));
    await checkAgainstLibrary(page, clicked, HLS_REF, PE_REF);

    // dropped (a real drop event with the file in its DataTransfer): the ResNet-20 SkipShortener student
    const s = onnxFiles.shortener.net;
    await page.evaluate(dropFile, [Buffer.from(onnxFiles.shortener.bytes).toString("base64"), onnxFiles.shortener.name] as [string, string]);
    await expect.poll(() => page.inputValue("#net")).toBe(`onnx:${s.name}`);
    await policyShown(page, policyOf(s));
    expect(policyOf(s)).toBe("SSSSSSSSS");
    await checkAgainstLibrary(page, s, HLS_REF, PE_REF);
    const before = await cell(page, "lut.design");

    // bad files: not ONNX, and an unsupported graph
    for (const { file, message } of onnxFiles.bad) {
      await page.setInputFiles("#onnx-file", file);
      await expect.poll(() => page.textContent("#import-message")).toBe(message);
      expect(await page.getAttribute("#import-message", "class")).toBe("error");
      // the design stays
      expect(await page.inputValue("#net")).toBe(`onnx:${s.name}`);
      expect(await page.textContent("#policy")).toBe("SSSSSSSSS");
      expect(await cell(page, "lut.design")).toEqual(before);
    }
    expect(errors).toEqual([]);
    await page.close();
  }, 240_000);

  it("a link to an ONNX file this page has not loaded (the page reloaded after an import) says to drop it again, and throws nothing", async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(site.pageUrl + "#net=onnx%3Amine&form=plain&policy=LLL");
    await expect.poll(() => page.textContent("#errors")).toContain("network onnx:mine: the ONNX file is not loaded in this page; drop it again");
    expect(errors).toEqual([]);
    expect(await page.isDisabled("#front-search")).toBe(true);
    expect(await page.textContent("#front-note")).toBe("no search: network onnx:mine: the ONNX file is not loaded in this page; drop it again (a link cannot carry the file)");
    await page.close();
  });

  it("the searched front as presets: ResNet-8's exhaustive front and ResNet-32's additive removal front are the library's, and a click sets a policy", async () => {
    const { page, errors } = await open("#net=resnet8&form=plain&policy=LLL");
    await page.selectOption("#front-objective", "lut");
    await page.click("#front-search");
    const front = policyFront(policyCosts("resnet8", HLS_REF, PE_REF), "lut");
    await expect.poll(() => page.locator("#front button").count()).toBe(front.length);
    const shown = await page.locator("#front button").evaluateAll((bs) => bs.map((b) => [b.getAttribute("data-policy"), b.getAttribute("data-form")]));
    expect(shown).toEqual(front.map((f) => [f.policy, f.form]));
    const last = front[front.length - 1];
    await page.click(`#front button[data-policy='${last.policy}'][data-form='${last.form}']`);
    await policyShown(page, last.policy);
    expect(await page.inputValue("#form")).toBe(last.form);
    expect((await cell(page, "lut.design")).v).toBe(last.lut);
    // a policy set from the front leaves the front (it depends on the network and configuration only), marked pressed
    expect(await page.getAttribute(`#front button[data-policy='${last.policy}'][data-form='${last.form}']`, "aria-pressed")).toBe("true");
    // ResNet-32's 15 skips are beyond the exhaustive search: the additive search's removal front, by BRAM18 or LUT only
    await page.selectOption("#net", "resnet32");
    expect(await page.locator("#front button").count()).toBe(0);
    expect(await page.isDisabled("#front-search")).toBe(false);
    expect(await page.textContent("#front-note")).toMatch(/15 skips, 3\^15 policies: the removal front by the additive search/);
    await page.click("#front-search");
    const removal = removalFront(additiveRemovalSearch("resnet32", "lut", HLS_REF, PE_REF), "lut");
    await expect.poll(() => page.locator("#front button").count(), { timeout: 60_000 }).toBe(removal.length);
    const shown32 = await page.locator("#front button").evaluateAll((bs) => bs.map((b) => [b.getAttribute("data-policy"), b.getAttribute("data-form")]));
    expect(shown32).toEqual(removal.map((f) => [f.policy, f.form]));
    // searched in a Web Worker, as the exhaustive search is: its 3 x 15 + 2 designs
    expect(await page.textContent("#front-status")).toMatch(/^ResNet-32: the additive search in [\d.]+ s \(47 designs in a Web Worker\)$/);
    await page.selectOption("#front-objective", "ff");
    expect(await page.isDisabled("#front-search")).toBe(true);
    expect(await page.textContent("#front-note")).toMatch(/the additive search takes bram18 or lut/);
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);

  it("ResNet-20's exhaustive front, searched in Web Workers with progress while the page stays responsive, is the library's by bram18 and by cycles; the time is printed", async () => {
    const costs = resnet20Costs();
    const { page, errors } = await open("#net=resnet20&form=shortenable&policy=SSSSSSSSS");
    expect(await page.textContent("#front-note")).toMatch(/every one of the 3\^9 = 19,683 policies/);
    await page.selectOption("#front-objective", "bram18");
    await page.click("#front-search");
    await expect.poll(() => page.textContent("#front-status"), { timeout: 60_000 }).toMatch(PROGRESS);
    expect(await page.isVisible("#front-cancel")).toBe(true);
    expect(await page.isDisabled("#front-search")).toBe(true);
    // responsive: a click on a skip is costed and drawn while the workers cost, and does not end the search
    await page.click("g.skip[data-skip='0']");
    await policyShown(page, "RSSSSSSSS");
    expect(await page.textContent("#front-status")).toMatch(PROGRESS);
    await expect.poll(() => page.locator("#front button").count(), { timeout: 180_000 }).toBeGreaterThan(0);
    expectFront(await page.evaluate(readFront), costs, "bram18");
    expect(await page.isVisible("#front-cancel")).toBe(false);
    const ms = Number(await page.getAttribute("#front-status", "data-ms"));
    console.log(`[web] ResNet-20's exhaustive search in Chromium (shared machine, beside training): ${(ms / 1000).toFixed(1)} s; the page says: ${await page.textContent("#front-status")}`);
    expect(Number.isFinite(ms) && ms > 0).toBe(true);
    // another objective: the front it showed goes; its search takes the costs of the last one at this configuration
    await page.selectOption("#front-objective", "cycles");
    expect(await page.locator("#front button").count()).toBe(0);
    await page.click("#front-search");
    await expect.poll(() => page.locator("#front button").count()).toBeGreaterThan(0);
    expectFront(await page.evaluate(readFront), costs, "cycles");
    // a configuration changed: the front of the old one is taken off the page
    await typeField(page, "f-hls.reuseFactor", "64");
    await expect.poll(() => page.locator("#front button").count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 400_000);

  it("Cancel ends a search: no front appears, the search button comes back", async () => {
    const { page, errors } = await open("#net=resnet20&form=plain&policy=LLLLLLLLL");
    await page.click("#front-search");
    await expect.poll(() => page.textContent("#front-status"), { timeout: 60_000 }).toMatch(PROGRESS);
    await page.click("#front-cancel");
    expect(await page.textContent("#front-status")).toBe("search cancelled");
    expect(await page.isVisible("#front-cancel")).toBe(false);
    expect(await page.isDisabled("#front-search")).toBe(false);
    // the workers are ended: no progress and no front after the cancel
    await page.waitForTimeout(3_000);
    expect(await page.textContent("#front-status")).toBe("search cancelled");
    expect(await page.locator("#front button").count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it("a change of configuration, network or objective during a search cancels it: no stale front is shown", async () => {
    const { page, errors } = await open("#net=resnet20&form=plain&policy=LLLLLLLLL");
    const cancelled = "search cancelled: the network, configuration or objective changed";
    await page.selectOption("#front-objective", "lut");
    await page.click("#front-search");
    await expect.poll(() => page.textContent("#front-status"), { timeout: 60_000 }).toMatch(PROGRESS);
    await typeField(page, "f-hls.reuseFactor", "64");
    await expect.poll(() => page.textContent("#front-status")).toBe(cancelled);
    expect(await page.isDisabled("#front-search")).toBe(false);
    // the objective, during the search at the new configuration
    await page.click("#front-search");
    await expect.poll(() => page.textContent("#front-status"), { timeout: 60_000 }).toMatch(PROGRESS);
    await page.selectOption("#front-objective", "ff");
    await expect.poll(() => page.textContent("#front-status")).toBe(cancelled);
    // the network: ResNet-8's search at the new configuration gives its front, not one of the searches cancelled
    await page.click("#front-search");
    await expect.poll(() => page.textContent("#front-status"), { timeout: 60_000 }).toMatch(PROGRESS);
    await page.selectOption("#net", "resnet8");
    await expect.poll(() => page.textContent("#front-status")).toBe(cancelled);
    await page.waitForTimeout(2_000);
    expect(await page.locator("#front button").count()).toBe(0);
    await page.click("#front-search");
    await expect.poll(() => page.locator("#front button").count(), { timeout: 60_000 }).toBeGreaterThan(0);
    const resnet8 = policyCosts("resnet8", { ...HLS_REF, reuseFactor: 64 }, PE_REF);
    expectFront(await page.evaluate(readFront), resnet8, "ff");
    // and it stays: the cancelled ResNet-20 searches, had they run on, would have finished within these seconds (about
    // 10 s for a whole search here, beside the training campaign)
    await page.waitForTimeout(15_000);
    expectFront(await page.evaluate(readFront), resnet8, "ff");
    expect(errors).toEqual([]);
    await page.close();
  }, 240_000);

  it("an error in a search's worker is shown in the page, whether the worker reports it or fails outright", async () => {
    const { page, errors } = await open("#net=resnet8&form=plain&policy=LLL");
    // the page's workers replaced by ones whose script reports an error, then by ones whose script throws
    for (const [script, shown] of [
      ["onmessage = () => postMessage({ error: 'the costing failed here' })", /^the search failed: policy costing worker \d of \d: the costing failed here$/],
      ["throw new Error('the script broke')", /^the search failed: policy costing worker \d of \d: .*the script broke/],
    ] as const) {
      await page.evaluate((text) => {
        const w = globalThis as any;
        // the browser's own Worker, kept from the first replacement
        const Native = (w.nativeWorker ??= w.Worker);
        const url = w.URL.createObjectURL(new w.Blob([text], { type: "text/javascript" }));
        w.Worker = class extends Native {
          constructor() {
            super(url);
          }
        };
      }, script);
      await page.click("#front-search");
      await expect.poll(() => page.textContent("#front-status")).toMatch(shown);
      expect(await page.getAttribute("#front-status", "class")).toBe("error");
      expect(await page.isDisabled("#front-search")).toBe(false);
      expect(await page.isVisible("#front-cancel")).toBe(false);
      expect(await page.locator("#front button").count()).toBe(0);
    }
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it("out-of-range inputs name the field and its range, never a NaN, and the last design stays", async () => {
    const { page, errors } = await open();
    const before = await cell(page, "bram18.design");
    for (const [id, value, re] of OUT_OF_RANGE) {
      const good = await page.inputValue(`[id='${id}']`);
      await typeField(page, id, value);
      await expect.poll(() => page.textContent(`[id='e-${id.slice(2)}']`)).toMatch(re);
      expect(await page.isVisible("#errors")).toBe(true);
      expect(await page.isVisible("#stale-note")).toBe(true);
      expect(await page.textContent("body")).not.toMatch(/NaN/);
      expect(await cell(page, "bram18.design")).toEqual(before);
      await typeField(page, id, good);
      await expect.poll(() => page.textContent(`[id='e-${id.slice(2)}']`)).toBe("");
    }
    expect(await page.isVisible("#errors")).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it("recomputes ResNet-20 on a click; the time measured in the page is printed", async () => {
    const { page } = await open("#net=resnet20&form=shortenable&policy=SSSSSSSSS");
    const totals: number[] = [];
    const costs: number[] = [];
    const painted: number[] = [];
    for (let i = 0; i < 8; i++) {
      const prev = await page.textContent("#policy");
      await page.click(`g.skip[data-skip='${i % 9}']`);
      await expect.poll(() => page.textContent("#policy")).not.toBe(prev);
      totals.push(Number(await page.getAttribute("#timing", "data-total")));
      costs.push(Number(await page.getAttribute("#timing", "data-cost")));
      await page.waitForSelector("#timing[data-painted]");
      painted.push(Number(await page.getAttribute("#timing", "data-painted")));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    console.log(`[web] ResNet-20 recompute in Chromium (shared machine): design + teacher costed ${median(costs).toFixed(1)} ms (median of 8 clicks), whole page update ${median(totals).toFixed(1)} ms, painted ${median(painted).toFixed(1)} ms; updates: ${totals.map((x) => x.toFixed(0)).join(", ")} ms`);
    for (const x of [...totals, ...costs, ...painted]) expect(Number.isFinite(x) && x > 0).toBe(true);
    // loose: a shared machine; the 100 ms is reported, not asserted
    expect(median(totals)).toBeLessThan(5_000);
    await page.close();
  }, 120_000);

  for (const vp of VIEWPORTS) {
    it(`no horizontal overflow at ${vp.width}x${vp.height}`, async () => {
      const { page, errors } = await open(WIDE_DESIGN, vp);
      await page.waitForSelector("#occ canvas");
      const w = await page.evaluate(measureWidth);
      expect(w.scroll, `page ${w.scroll} px wide in a ${w.client} px viewport`).toBeLessThanOrEqual(w.client);
      expect(errors).toEqual([]);
      await page.close();
    }, 120_000);
  }

  it("asked for nothing but its own files", () => {
    const off = requests.filter((u) => !site.ownUrls.has(u.replace(/#.*$/, "")));
    expect(requests.length).toBeGreaterThan(0);
    expect(off).toEqual([]);
  });
});
