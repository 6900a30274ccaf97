// The cost explorer (web/) in Debian's Chromium through playwright-core: the page is built into a temporary folder and
// opened from file://; networks, policies and configurations are set by clicking and typing as a user would, and the
// numbers the page shows are checked against the library's own functions called here (designHardware, hls4mlCost,
// peArrayCost, fifoDepthFile, handoffConfig), for three designs. Also: ONNX files chosen and dropped (exported here
// from committed runs), bad files showing the importer's message, out-of-range inputs, the link reproducing a design,
// no request off the page's own files, no horizontal overflow at 1280x800 and 390 wide, and the time the page takes
// to recompute ResNet-20 (printed; the bound asserted is loose: speed is not tested by timing on a shared machine).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { onnx } from "onnx-proto";
import { CHROMIUM, CHROMIUM_ARGS } from "../scripts/render.js";
import { buildWeb } from "../scripts/web-build.js";
import { loadClaimSpecs, network } from "../src/experiment/index.js";
import { exportQonnx } from "../src/export/qonnx.js";
import { loadCostConfig } from "../src/handoff/cost-config.js";
import { fifoDepthFile } from "../src/handoff/fifo-depths.js";
import { handoffConfig } from "../src/handoff/hls4ml-config.js";
import { buildDesign, hls4mlCost, simulate, type Hls4mlConfig } from "../src/hw/hls4ml/index.js";
import { peArrayCost, type PeArrayConfig } from "../src/hw/pe-array/index.js";
import { readOnnxNet } from "../src/import/onnx-net.js";
import { lower, policyOf, withAllSkips, withPolicy, type NetSpec } from "../src/net/index.js";
import { CODESIGN_PE_REFERENCE } from "../src/report/codesign.js";
import { designHardware } from "../src/report/design-hardware.js";
import { policyCosts, policyFront } from "../src/report/policy-front.js";
import { peReferenceConfig } from "../src/report/hardware-claims.js";
import { readCheckpointFile } from "../src/train/checkpoint-file.js";

const ROOT = path.resolve(__dirname, "..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-web-"));
const site = path.join(tmp, "site");
const pageUrl = `file://${path.join(site, "index.html")}`;
const HLS_REF: Hls4mlConfig = loadCostConfig("reference", path.join(ROOT, "data", "claims.json"));
const PE_REF: PeArrayConfig = peReferenceConfig(CODESIGN_PE_REFERENCE, loadClaimSpecs().references[CODESIGN_PE_REFERENCE]);

let browser: Browser;
let context: BrowserContext;
/** every URL the pages asked for */
const requests: string[] = [];

beforeAll(async () => {
  await buildWeb(site);
  expect(fs.existsSync(CHROMIUM), `${CHROMIUM}: apt-get install chromium (scripts/setup-system.sh)`).toBe(true);
  const { chromium } = await import("playwright-core");
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  await context.route("**/*", (route) => {
    const url = route.request().url();
    requests.push(url);
    return url.startsWith("file:") ? route.continue() : route.abort();
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function open(hash = "", viewport?: { width: number; height: number }): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(pageUrl + hash);
  await page.waitForSelector("#summary td[data-k='bram18.design']");
  return { page, errors };
}

/** the exact value a cell carries, and its text */
async function cell(page: Page, k: string): Promise<{ v: number; text: string }> {
  const e = page.locator(`[data-k='${k}']`).first();
  return { v: Number(await e.getAttribute("data-v")), text: (await e.textContent()) ?? "" };
}

const fmtInt = (v: number) => Math.round(v).toLocaleString("en-US");

/** the page's recompute is synchronous on each event; wait until the policy shown is the one expected */
const policyShown = async (page: Page, policy: string) => expect.poll(() => page.textContent("#policy")).toBe(policy);

async function typeField(page: Page, id: string, value: string): Promise<void> {
  await page.fill(`[id='${id}']`, value);
}

/** Compare every number of the page with the library's for `net` at (hls, pe). */
async function checkAgainstLibrary(page: Page, net: NetSpec, hls: Hls4mlConfig, pe: PeArrayConfig): Promise<void> {
  const g = lower(net);
  const teacher = lower(withAllSkips(net, "long"));
  const d = designHardware(g, hls, pe);
  const t = designHardware(teacher, hls, pe);
  const H = hls4mlCost(g, hls);
  const T = hls4mlCost(teacher, hls);
  const P = peArrayCost(g, pe);
  const expected: Record<string, [number, number]> = {
    bram18: [d.bram18, t.bram18],
    ff: [d.ff, t.ff],
    lut: [d.lut, t.lut],
    dsp: [d.dsp, t.dsp],
    latency: [d.latencyCycles, t.latencyCycles],
    interval: [H.totals.intervalCycles, T.totals.intervalCycles],
    peCycles: [d.peCycles, t.peCycles],
    peDram: [d.peDramBytes, t.peDramBytes],
    peIps: [d.peInferencesPerSecond, t.peInferencesPerSecond],
  };
  for (const [k, [dv, tv]] of Object.entries(expected)) {
    const a = await cell(page, `${k}.design`);
    const b = await cell(page, `${k}.teacher`);
    expect(a.v, `${net.name} ${k} design`).toBe(dv);
    expect(b.v, `${net.name} ${k} teacher`).toBe(tv);
    expect(a.text, `${k} design as shown`).toBe(fmtInt(dv));
    if (k !== "peIps") {
      const s = (await page.textContent(`[data-k='${k}.saving']`)) ?? "";
      const pct = tv === 0 ? "-" : `${(100 * (tv - dv)) / tv > 0 ? "+" : ""}${((100 * (tv - dv)) / tv).toFixed(1)}%`;
      expect(s, `${k} saving`).toBe(pct);
    }
  }
  // the split into layers, main-path FIFOs and skip buffers
  for (const q of ["bram18", "ff", "lut", "dsp"] as const) {
    expect((await cell(page, `split.design.skip.${q}`)).v).toBe(H.skipFifo[q]);
    expect((await cell(page, `split.design.fifos.${q}`)).v).toBe(H.fifo[q] - H.skipFifo[q]);
    expect((await cell(page, `split.teacher.skip.${q}`)).v).toBe(T.skipFifo[q]);
  }
  // every FIFO's depth and simulated maximum occupancy
  const sim = simulate(buildDesign(g, hls), H.streams.map(() => Infinity));
  expect(await page.locator("#fifos tbody tr").count()).toBe(H.streams.length);
  for (let i = 0; i < H.streams.length; i++) {
    expect((await cell(page, `fifo.${i}.depth`)).v, H.streams[i].name).toBe(H.streams[i].depth);
    expect((await cell(page, `fifo.${i}.max`)).v, H.streams[i].name).toBe(sim.maxOccupancy[i]);
  }
  expect(await page.locator("#fifos tbody tr.skip-row").count()).toBe(H.streams.filter((s) => s.skip).length);
  // the PE array layer by layer
  expect(await page.locator("#pe-layers tbody tr").count()).toBe(P.layers.length);
  for (let i = 0; i < P.layers.length; i++) {
    expect((await cell(page, `pe.${i}.cycles`)).v).toBe(P.layers[i].cycles);
    expect((await cell(page, `pe.${i}.bytes`)).v).toBe(P.layers[i].bytes.total);
  }
  expect(await page.textContent("body")).not.toMatch(/NaN/);
}

describe("the cost explorer in Chromium, from file://", () => {
  it("three designs set by clicking and typing show the library's numbers; the link reproduces the last", async () => {
    const { page, errors } = await open();
    // 1: ResNet-8, plain form, first and last skips removed by clicks, reuse factor 64 and the Latency strategy typed
    await page.selectOption("#net", "resnet8");
    await page.selectOption("#form", "plain");
    await page.click("#preset-teacher");
    await policyShown(page, "LLL");
    await page.click("g.skip[data-skip='0']");
    await page.click("g.skip[data-skip='2']");
    await policyShown(page, "RLR");
    await typeField(page, "f-hls.reuseFactor", "64");
    await page.selectOption("[id='f-hls.strategy']", "Latency");
    const hls1: Hls4mlConfig = { ...HLS_REF, reuseFactor: 64, strategy: "Latency" };
    await checkAgainstLibrary(page, withPolicy(network("resnet8").build({ form: "plain" }), "RLR"), hls1, PE_REF);

    // 2: ResNet-20, SkipShortener's policy, then skips 4 and 5 clicked on to removed (S -> R); 6-bit weights, the
    // xcu250 at 200 MHz, a 16-row array
    await page.selectOption("#net", "resnet20");
    await page.click("#preset-shortener");
    await policyShown(page, "SSSSSSSSS");
    await page.click("g.skip[data-skip='3']");
    await page.click("g.skip[data-skip='4']");
    await policyShown(page, "SSSRRSSSS");
    await typeField(page, "f-hls.weightBits", "6");
    await page.selectOption("[id='f-hls.part']", "xcu250");
    await typeField(page, "f-hls.clockMHz", "200");
    await typeField(page, "f-pe.rows", "16");
    const hls2: Hls4mlConfig = { ...hls1, weightBits: 6, part: "xcu250", clockMHz: 200 };
    const pe2: PeArrayConfig = { ...PE_REF, rows: 16 };
    await checkAgainstLibrary(page, withPolicy(network("resnet20").build({ form: "shortenable" }), "SSSRRSSSS"), hls2, pe2);

    // 3: ResNet-20, SkipRemover's policy with the last skip clicked back to long; hls4ml's default FIFO depths,
    // stock short skips without the ReLU merge, a separate add pass at 16 DRAM bytes a cycle
    await page.click("#preset-remover");
    await policyShown(page, "RRRRRRRRR");
    await page.click("g.skip[data-skip='8']");
    await policyShown(page, "RRRRRRRRL");
    await page.selectOption("[id='f-hls.fifoDepth']", "default");
    await page.selectOption("[id='f-hls.shortImpl']", "stock");
    await page.selectOption("[id='f-hls.reluMerge']", "false");
    await page.selectOption("[id='f-pe.addMode']", "separate");
    await typeField(page, "f-pe.dramBytesPerCycle", "16");
    const hls3: Hls4mlConfig = { ...hls2, fifoDepth: "default", shortImpl: "stock", reluMerge: false };
    const pe3: PeArrayConfig = { ...pe2, addMode: "separate", dramBytesPerCycle: 16 };
    const net3 = withPolicy(network("resnet20").build({ form: "plain" }), "RRRRRRRRL");
    await checkAgainstLibrary(page, net3, hls3, pe3);

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
    await again.waitForSelector("#summary td[data-k='bram18.design']");
    expect(await again.textContent("#policy")).toBe("RRRRRRRRL");
    await checkAgainstLibrary(again, net3, hls3, pe3);
    await again.close();
    expect(errors).toEqual([]);
    await page.close();
  }, 240_000);

  it("an ONNX file chosen, and one dropped, becomes the design; a bad file shows the importer's message and the design stays", async () => {
    const { page, errors } = await open();
    const files = path.join(tmp, "onnx");
    fs.mkdirSync(files);
    const exported = (run: string) => exportQonnx(readCheckpointFile(path.join(ROOT, "data", "runs", "depth", run, "best.ckpt"))).bytes;
    // chosen: the ResNet-8 teacher exported from its committed run
    const teacherFile = path.join(files, "resnet8-teacher.onnx");
    fs.writeFileSync(teacherFile, exported("resnet8/teacher"));
    await page.setInputFiles("#onnx-file", teacherFile);
    const t = readOnnxNet(fs.readFileSync(teacherFile), "resnet8-teacher.onnx").match.net;
    await expect.poll(() => page.inputValue("#net")).toBe(`onnx:${t.name}`);
    await policyShown(page, policyOf(t));
    await checkAgainstLibrary(page, t, HLS_REF, PE_REF);
    // a skip of the imported network clicked: it is costed like any other
    await page.click("g.skip[data-skip='1']");
    const clicked = withPolicy(t, policyOf(t).slice(0, 1) + (t.blocks[1].form === "shortenable" ? "S" : "R") + policyOf(t).slice(2));
    await policyShown(page, policyOf(clicked));
    await checkAgainstLibrary(page, clicked, HLS_REF, PE_REF);

    // dropped (a real drop event with the file in its DataTransfer): the ResNet-20 SkipShortener student
    const shortener = exported("resnet20/shortener");
    const s = readOnnxNet(shortener, "resnet20-shortener.onnx").match.net;
    await page.evaluate(
      ([b64, name]) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        // the page's globals (this runs in the browser; the test is compiled without the DOM's types)
        const w = globalThis as any;
        const dt = new w.DataTransfer();
        dt.items.add(new w.File([bytes], name));
        const drop = w.document.getElementById("drop");
        drop.dispatchEvent(new w.DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
        drop.dispatchEvent(new w.DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
      },
      [Buffer.from(shortener).toString("base64"), "resnet20-shortener.onnx"],
    );
    await expect.poll(() => page.inputValue("#net")).toBe(`onnx:${s.name}`);
    await policyShown(page, policyOf(s));
    expect(policyOf(s)).toBe("SSSSSSSSS");
    await checkAgainstLibrary(page, s, HLS_REF, PE_REF);
    const before = await cell(page, "lut.design");

    // bad files: not ONNX, and an unsupported graph (a Relu made a Sigmoid)
    const notOnnx = path.join(files, "notes.onnx");
    fs.writeFileSync(notOnnx, "these are not the bytes of an ONNX model\n".repeat(40));
    const model = onnx.ModelProto.decode(exported("resnet8/teacher"));
    model.graph!.node!.find((n) => n.opType === "Relu")!.opType = "Sigmoid";
    const sigmoid = path.join(files, "sigmoid.onnx");
    fs.writeFileSync(sigmoid, onnx.ModelProto.encode(model).finish());
    for (const f of [notOnnx, sigmoid]) {
      let message = "";
      try {
        readOnnxNet(fs.readFileSync(f), path.basename(f));
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message, `${f} is refused by the importer`).not.toBe("");
      await page.setInputFiles("#onnx-file", f);
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

  it("the searched front of ResNet-8 as presets: the library's front, and a click sets its policy", async () => {
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
    // ResNet-20's 3^9 policies are left to npm run policy
    await page.selectOption("#net", "resnet20");
    expect(await page.isDisabled("#front-search")).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it("out-of-range inputs name the field and its range, never a NaN, and the last design stays", async () => {
    const { page, errors } = await open();
    const before = await cell(page, "bram18.design");
    const cases: [string, string, RegExp][] = [
      ["f-hls.reuseFactor", "0", /^reuse factor: expected an integer from 1, got "0"$/],
      ["f-hls.weightBits", "1", /^weight precision \(bits\): expected an integer from 2 to 32, got "1"$/],
      ["f-hls.clockMHz", "0", /^clock \(MHz\): expected a number above 0, got "0"$/],
      ["f-pe.rows", "-3", /^array rows: expected an integer from 1, got "-3"$/],
      ["f-hls.actBits", "abc", /^activation precision \(bits\): expected an integer from 2 to 32, got "abc"$/],
    ];
    for (const [id, value, re] of cases) {
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

  for (const vp of [
    { width: 1280, height: 800 },
    { width: 390, height: 844 },
  ]) {
    it(`no horizontal overflow at ${vp.width}x${vp.height}`, async () => {
      const { page, errors } = await open("#net=resnet56&form=shortenable&policy=" + "S".repeat(27), vp);
      await page.waitForSelector("#occ canvas");
      const w = await page.evaluate(() => {
        const e = (globalThis as any).document.documentElement;
        return { scroll: e.scrollWidth as number, client: e.clientWidth as number };
      });
      expect(w.scroll, `page ${w.scroll} px wide in a ${w.client} px viewport`).toBeLessThanOrEqual(w.client);
      expect(errors).toEqual([]);
      await page.close();
    }, 120_000);
  }

  it("asked for nothing but its own files", () => {
    const own = new Set(["index.html", "explorer.js"].map((f) => `file://${path.join(site, f)}`));
    const off = requests.filter((u) => !own.has(u.replace(/#.*$/, "")));
    expect(requests.length).toBeGreaterThan(0);
    expect(off).toEqual([]);
  });
});
