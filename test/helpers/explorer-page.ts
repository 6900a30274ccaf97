/**
 * What the browser tests of the cost explorer share, whichever browser and driver runs them (test/web.test.ts:
 * Chromium through playwright-core; test/web-firefox.test.ts: Firefox through puppeteer-core): the built page in a
 * temporary folder, the designs set by clicking and typing (as driver-neutral steps), the reading of the page's
 * numbers (a function run in the page), the library's numbers they must equal, the out-of-range inputs and the ONNX
 * files. The expected numbers are the library's functions called here, never numbers written down.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "vitest";
import { onnx } from "onnx-proto";
import { buildWeb } from "../../scripts/web-build.js";
import { loadClaimSpecs, network } from "../../src/experiment/index.js";
import { exportQonnx } from "../../src/export/qonnx.js";
import { loadCostConfig } from "../../src/handoff/cost-config.js";
import { buildDesign, hls4mlCost, simulate, type Hls4mlConfig } from "../../src/hw/hls4ml/index.js";
import { peArrayCost, type PeArrayConfig } from "../../src/hw/pe-array/index.js";
import { readOnnxNet } from "../../src/import/onnx-net.js";
import { lower, withAllSkips, withPolicy, type NetSpec } from "../../src/net/index.js";
import { CODESIGN_PE_REFERENCE } from "../../src/report/codesign.js";
import { designHardware } from "../../src/report/design-hardware.js";
import { policyCosts, policyDesigns, policyFront, type Objective, type PolicyCost } from "../../src/report/policy-front.js";
import { peReferenceConfig } from "../../src/report/hardware-claims.js";
import { readCheckpointFile } from "../../src/train/checkpoint-file.js";

const ROOT = path.resolve(__dirname, "..", "..");

/** the files the built page consists of: the only ones it may load */
export const EXPLORER_FILES = ["index.html", "explorer.js"];

export interface ExplorerSite {
  /** temporary folder: the site and whatever the test writes beside it */
  tmp: string;
  site: string;
  pageUrl: string;
  /** file:// URLs of the page's own files */
  ownUrls: Set<string>;
  remove(): void;
}

/** Build the page into a fresh temporary folder, as `npm run build:web` does. */
export async function buildExplorerSite(): Promise<ExplorerSite> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-web-"));
  const site = path.join(tmp, "site");
  await buildWeb(site);
  return {
    tmp,
    site,
    pageUrl: `file://${path.join(site, "index.html")}`,
    ownUrls: new Set(EXPLORER_FILES.map((f) => `file://${path.join(site, f)}`)),
    remove: () => fs.rmSync(tmp, { recursive: true, force: true }),
  };
}

/** The configurations the page starts from: the codesign references of data/claims.json. */
export const HLS_REF: Hls4mlConfig = loadCostConfig("reference", path.join(ROOT, "data", "claims.json"));
export const PE_REF: PeArrayConfig = peReferenceConfig(CODESIGN_PE_REFERENCE, loadClaimSpecs().references[CODESIGN_PE_REFERENCE]);

/** selector of the cell the page renders once its first design is costed */
export const READY = "#summary td[data-k='bram18.design']";

/** One user action on the page, for any driver. `fill` takes a field's id; `policy` waits until the page shows it. */
export type Step = { select: [string, string] } | { click: string } | { fill: [string, string] } | { policy: string };

export interface DesignCase {
  label: string;
  steps: Step[];
  net: NetSpec;
  hls: Hls4mlConfig;
  pe: PeArrayConfig;
}

/**
 * Three designs, each reached from the previous one by clicks and typing, with the network, configuration and array
 * the library is then called with.
 */
export function explorerDesigns(): DesignCase[] {
  const hls1: Hls4mlConfig = { ...HLS_REF, reuseFactor: 64, strategy: "Latency" };
  const hls2: Hls4mlConfig = { ...hls1, weightBits: 6, part: "xcu250", clockMHz: 200 };
  const pe2: PeArrayConfig = { ...PE_REF, rows: 16 };
  const hls3: Hls4mlConfig = { ...hls2, fifoDepth: "default", shortImpl: "stock", reluMerge: false };
  const pe3: PeArrayConfig = { ...pe2, addMode: "separate", dramBytesPerCycle: 16 };
  return [
    {
      label: "ResNet-8, plain form, first and last skips removed by clicks, reuse factor 64 and the Latency strategy typed",
      steps: [
        { select: ["#net", "resnet8"] },
        { select: ["#form", "plain"] },
        { click: "#preset-teacher" },
        { policy: "LLL" },
        { click: "g.skip[data-skip='0']" },
        { click: "g.skip[data-skip='2']" },
        { policy: "RLR" },
        { fill: ["f-hls.reuseFactor", "64"] },
        { select: ["[id='f-hls.strategy']", "Latency"] },
      ],
      net: withPolicy(network("resnet8").build({ form: "plain" }), "RLR"),
      hls: hls1,
      pe: PE_REF,
    },
    {
      label: "ResNet-20, SkipShortener's policy, skips 4 and 5 clicked to removed; 6-bit weights, the xcu250 at 200 MHz, a 16-row array",
      steps: [
        { select: ["#net", "resnet20"] },
        { click: "#preset-shortener" },
        { policy: "SSSSSSSSS" },
        { click: "g.skip[data-skip='3']" },
        { click: "g.skip[data-skip='4']" },
        { policy: "SSSRRSSSS" },
        { fill: ["f-hls.weightBits", "6"] },
        { select: ["[id='f-hls.part']", "xcu250"] },
        { fill: ["f-hls.clockMHz", "200"] },
        { fill: ["f-pe.rows", "16"] },
      ],
      net: withPolicy(network("resnet20").build({ form: "shortenable" }), "SSSRRSSSS"),
      hls: hls2,
      pe: pe2,
    },
    {
      label: "ResNet-20, SkipRemover's policy with the last skip clicked back to long; hls4ml's default FIFO depths, stock short skips without the ReLU merge, a separate add pass at 16 DRAM bytes a cycle",
      steps: [
        { click: "#preset-remover" },
        { policy: "RRRRRRRRR" },
        { click: "g.skip[data-skip='8']" },
        { policy: "RRRRRRRRL" },
        { select: ["[id='f-hls.fifoDepth']", "default"] },
        { select: ["[id='f-hls.shortImpl']", "stock"] },
        { select: ["[id='f-hls.reluMerge']", "false"] },
        { select: ["[id='f-pe.addMode']", "separate"] },
        { fill: ["f-pe.dramBytesPerCycle", "16"] },
      ],
      net: withPolicy(network("resnet20").build({ form: "plain" }), "RRRRRRRRL"),
      hls: hls3,
      pe: pe3,
    },
  ];
}

/** What the page shows: every `data-k` cell (first of each key) with its exact value and its text, and the tables' rows. */
export interface ExplorerReading {
  cells: Record<string, { v: string | null; text: string }>;
  fifoRows: number;
  skipRows: number;
  peRows: number;
  policy: string;
  body: string;
}

/**
 * Runs in the page (handed to the driver's evaluate, which sends its source text): self-contained, the page's
 * globals reached through globalThis because the tests are compiled without the DOM's types.
 */
export function readExplorer(): ExplorerReading {
  const doc = (globalThis as any).document;
  const cells: ExplorerReading["cells"] = {};
  for (const e of doc.querySelectorAll("[data-k]")) {
    const k = e.getAttribute("data-k");
    if (!(k in cells)) cells[k] = { v: e.getAttribute("data-v"), text: e.textContent ?? "" };
  }
  return {
    cells,
    fifoRows: doc.querySelectorAll("#fifos tbody tr").length,
    skipRows: doc.querySelectorAll("#fifos tbody tr.skip-row").length,
    peRows: doc.querySelectorAll("#pe-layers tbody tr").length,
    policy: doc.getElementById("policy").textContent ?? "",
    body: doc.body.textContent ?? "",
  };
}

const fmtInt = (v: number) => Math.round(v).toLocaleString("en-US");

/** Every number the page shows for `net` at (hls, pe) equals the library's, and none is NaN. */
export function expectLibraryNumbers(shown: ExplorerReading, net: NetSpec, hls: Hls4mlConfig, pe: PeArrayConfig): void {
  const cell = (k: string) => {
    const c = shown.cells[k];
    expect(c, `the page shows no cell ${k}`).toBeDefined();
    return { v: Number(c.v), text: c.text };
  };
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
    const a = cell(`${k}.design`);
    const b = cell(`${k}.teacher`);
    expect(a.v, `${net.name} ${k} design`).toBe(dv);
    expect(b.v, `${net.name} ${k} teacher`).toBe(tv);
    expect(a.text, `${k} design as shown`).toBe(fmtInt(dv));
    if (k !== "peIps") {
      const pct = tv === 0 ? "-" : `${(100 * (tv - dv)) / tv > 0 ? "+" : ""}${((100 * (tv - dv)) / tv).toFixed(1)}%`;
      expect(cell(`${k}.saving`).text, `${k} saving`).toBe(pct);
    }
  }
  // the split into layers, main-path FIFOs and skip buffers
  for (const q of ["bram18", "ff", "lut", "dsp"] as const) {
    expect(cell(`split.design.skip.${q}`).v).toBe(H.skipFifo[q]);
    expect(cell(`split.design.fifos.${q}`).v).toBe(H.fifo[q] - H.skipFifo[q]);
    expect(cell(`split.teacher.skip.${q}`).v).toBe(T.skipFifo[q]);
  }
  // every FIFO's depth and simulated maximum occupancy
  const sim = simulate(buildDesign(g, hls), H.streams.map(() => Infinity));
  expect(shown.fifoRows).toBe(H.streams.length);
  for (let i = 0; i < H.streams.length; i++) {
    expect(cell(`fifo.${i}.depth`).v, H.streams[i].name).toBe(H.streams[i].depth);
    expect(cell(`fifo.${i}.max`).v, H.streams[i].name).toBe(sim.maxOccupancy[i]);
  }
  expect(shown.skipRows).toBe(H.streams.filter((s) => s.skip).length);
  // the PE array layer by layer
  expect(shown.peRows).toBe(P.layers.length);
  for (let i = 0; i < P.layers.length; i++) {
    expect(cell(`pe.${i}.cycles`).v).toBe(P.layers[i].cycles);
    expect(cell(`pe.${i}.bytes`).v).toBe(P.layers[i].bytes.total);
  }
  expect(shown.body).not.toMatch(/NaN/);
}

/** a field's id, a value out of its range, and the message the page must show for it */
export const OUT_OF_RANGE: [string, string, RegExp][] = [
  ["f-hls.reuseFactor", "0", /^reuse factor: expected an integer from 1, got "0"$/],
  ["f-hls.weightBits", "1", /^weight precision \(bits\): expected an integer from 2 to 32, got "1"$/],
  ["f-hls.clockMHz", "0", /^clock \(MHz\): expected a number above 0, got "0"$/],
  ["f-pe.rows", "-3", /^array rows: expected an integer from 1, got "-3"$/],
  ["f-hls.actBits", "abc", /^activation precision \(bits\): expected an integer from 2 to 32, got "abc"$/],
];

/** the screen sizes the page must fit: a laptop, and a phone 390 pixels wide */
export const VIEWPORTS = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
];
/** the widest design: ResNet-56's 27 skips, every one drawn */
export const WIDE_DESIGN = "#net=resnet56&form=shortenable&policy=" + "S".repeat(27);

/** Runs in the page: how wide the document is against the viewport's width without its scrollbar. */
export function measureWidth(): { scroll: number; client: number } {
  const e = (globalThis as any).document.documentElement;
  return { scroll: e.scrollWidth, client: e.clientWidth };
}

/** Runs in the page: a real drop event carrying one file (bytes in base64) on the drop zone. */
export function dropFile([b64, name]: [string, string]): void {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const w = globalThis as any;
  const dt = new w.DataTransfer();
  dt.items.add(new w.File([bytes], name));
  const drop = w.document.getElementById("drop");
  drop.dispatchEvent(new w.DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
  drop.dispatchEvent(new w.DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
}

export interface OnnxCases {
  /** the ResNet-8 teacher exported from its committed run, as a file to choose */
  teacherFile: string;
  teacher: NetSpec;
  /** the ResNet-20 SkipShortener student, as bytes to drop */
  shortener: { bytes: Uint8Array; name: string; net: NetSpec };
  /** files the importer refuses (not ONNX; an unsupported graph: a Relu made a Sigmoid), with its message */
  bad: { file: string; message: string }[];
}

/** Write the ONNX files of the import checks into `dir` (exported here from committed runs). */
export function onnxCases(dir: string): OnnxCases {
  fs.mkdirSync(dir, { recursive: true });
  const exported = (run: string) => exportQonnx(readCheckpointFile(path.join(ROOT, "data", "runs", "depth", run, "best.ckpt"))).bytes;
  const teacherFile = path.join(dir, "resnet8-teacher.onnx");
  fs.writeFileSync(teacherFile, exported("resnet8/teacher"));
  const teacher = readOnnxNet(fs.readFileSync(teacherFile), "resnet8-teacher.onnx").match.net;
  const bytes = exported("resnet20/shortener");
  const shortener = { bytes, name: "resnet20-shortener.onnx", net: readOnnxNet(bytes, "resnet20-shortener.onnx").match.net };
  const notOnnx = path.join(dir, "notes.onnx");
  fs.writeFileSync(notOnnx, "these are not the bytes of an ONNX model\n".repeat(40));
  const model = onnx.ModelProto.decode(exported("resnet8/teacher"));
  model.graph!.node!.find((n) => n.opType === "Relu")!.opType = "Sigmoid";
  const sigmoid = path.join(dir, "sigmoid.onnx");
  fs.writeFileSync(sigmoid, onnx.ModelProto.encode(model).finish());
  const bad = [notOnnx, sigmoid].map((file) => {
    let message = "";
    try {
      readOnnxNet(fs.readFileSync(file), path.basename(file));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message, `${file} is refused by the importer`).not.toBe("");
    return { file, message };
  });
  return { teacherFile, teacher, shortener, bad };
}

/** the network whose exhaustive front the browser tests search in the page's Web Workers (3^9 policies) */
export const FRONT_NET = "resnet20";

let frontCosts: PolicyCost[] | undefined;
/** The library's cost of every ResNet-20 policy at the reference configuration, computed once for the whole file. */
export function resnet20Costs(): PolicyCost[] {
  return (frontCosts ??= policyCosts(FRONT_NET, HLS_REF, PE_REF));
}

/** a front's button as the page shows it: its policy, form and the objective's exact value */
export type FrontButton = [policy: string, form: string, value: string];

/** Runs in the page: the searched front's buttons, in order. */
export function readFront(): FrontButton[] {
  const bs = (globalThis as any).document.querySelectorAll("#front button");
  return [...bs].map((b: any) => [b.getAttribute("data-policy"), b.getAttribute("data-form"), b.getAttribute("data-v")] as FrontButton);
}

/** The page's front is policyFront(costs, objective): every policy, form and objective value, in order. */
export function expectFront(shown: FrontButton[], costs: PolicyCost[], objective: Objective): void {
  const front = policyFront(costs, objective);
  expect(front.length, `the ${objective} front has points`).toBeGreaterThan(1);
  expect(shown).toEqual(front.map((f): FrontButton => [f.policy, f.form, String(f[objective])]));
}

/** the page's progress line while ResNet-20's search runs: "costed N of M designs", M every policy and the teacher */
export const PROGRESS = new RegExp(`^costed [\\d,]+ of ${fmtInt(policyDesigns(FRONT_NET).designs.length)} designs`);
