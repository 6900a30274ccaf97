// The figure specs: every claim figure carries the paper's value and our tolerance from data/claims.json (checked
// with the file's values and with altered ones, so that no typed number can pass), savings are positive, the
// accuracy gap is student minus teacher, unfinished runs are never drawn as results.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { accuracyFigure, curveEvents, depthFigure, trainingFigure, lrText, type RunTop1 } from "../src/report/accuracy-figures.js";
import type { ClaimResult, ClaimSpec } from "../src/report/claims.js";
import { checkClaim } from "../src/report/claims.js";
import { claimsTerminalTable } from "../src/report/claims-table.js";
import { kernelChanges, type DepthRun } from "../src/report/depth.js";
import { depthPlan } from "../src/campaign/depth-plan.js";
import { hlsClaimFigure, hlsResourceFigure, peClaimFigure, peFigure } from "../src/report/figures.js";
import { hlsClaim, hlsReferenceRows, peClaim, peReferenceConfig, peReferenceRows, type HlsQuantity, type PeQuantity, type ReferenceSpec } from "../src/report/hardware-claims.js";
import { hls4mlSweep } from "../src/report/hls4ml-sweep.js";
import { historyFromLog, kernelsFromLog } from "../src/report/history.js";
import { notebookFigureHtml, specFromStandaloneHtml, standaloneHtml } from "../src/report/plotly-html.js";
import { checkNotebook, numberExecutedCells } from "../src/report/notebook-check.js";
import { peSweep } from "../src/report/pe-sweep.js";
import { METHOD_COLOR, NET_COLOR, type Figure } from "../src/report/plot-style.js";
import type { EpochRecord } from "../src/train/checkpoint.js";

const claimsData = JSON.parse(fs.readFileSync(path.resolve(__dirname, "..", "data", "claims.json"), "utf8"));
const specs: (ClaimSpec & { quantity?: string })[] = claimsData.claims;
const refs: Record<string, ReferenceSpec> = claimsData.references;
const spec = (id: string) => specs.find((s) => s.id === id)!;

type Shape = { type: string; name?: string; y0: number; y1: number };
const shapes = (f: Figure) => (f.layout.shapes ?? []) as Shape[];
const paperLines = (f: Figure) => shapes(f).filter((s) => s.type === "line" && /^paper/.test(s.name ?? ""));
const bands = (f: Figure) => shapes(f).filter((s) => s.type === "rect" && /tolerance/.test(s.name ?? ""));
/** the same claim with another paper value and tolerance: a figure that typed the numbers would not follow */
const altered = <T extends ClaimSpec>(s: T): T => ({ ...s, paper: s.paper + 3.7, tolerance: s.tolerance + 1.3 });

const hlsRows = hls4mlSweep();
const peRows = peSweep();

describe("learning-rate labels", () => {
  it("decimals down to 0.001, then one exponent form", () => {
    expect([0.1, 0.01, 0.001, 1e-4, 1e-5, 1e-6, 1e-7, 0.0025, 2.5e-5, 0].map(lrText)).toEqual(["0.1", "0.01", "0.001", "1e-4", "1e-5", "1e-6", "1e-7", "0.0025", "2.5e-5", "0"]);
  });
});

describe("claim figures carry the paper's value and our tolerance from data/claims.json", () => {
  for (const s of specs.filter((x) => x.group === "hls4ml" || x.group === "pe-array")) {
    it(`${s.id}`, () => {
      for (const sp of [s, altered(s)]) {
        let fig: Figure;
        if (sp.group === "hls4ml") {
          const ref = hlsReferenceRows(sp.reference!, refs[sp.reference!]);
          fig = hlsClaimFigure(hlsClaim(sp, hlsRows, ref), sp.quantity as HlsQuantity, hlsRows, ref, sp.reference!, refs[sp.reference!].config);
        } else {
          const ref = peReferenceRows(sp.reference!, refs[sp.reference!]);
          fig = peClaimFigure(peClaim(sp, peRows, ref), sp.quantity as PeQuantity, peRows, ref, sp.reference!, refs[sp.reference!].config);
        }
        expect(paperLines(fig).map((l) => [l.y0, l.y1])).toEqual([[sp.paper, sp.paper]]);
        expect(bands(fig).map((b) => [b.y0, b.y1])).toEqual([[sp.paper - sp.tolerance, sp.paper + sp.tolerance]]);
        expect(JSON.stringify(fig.layout.title)).toContain(`paper ${sp.paper}${sp.unit}`);
      }
    });
  }

  it("hls4ml claim points are savings as positive numbers (minus the change), non-fitting reference pairs marked", () => {
    const s = spec("C1");
    const ref = hlsReferenceRows(s.reference!, refs[s.reference!]);
    const fig = hlsClaimFigure(hlsClaim(s, hlsRows, ref), "bram18", hlsRows, ref, s.reference!, refs[s.reference!].config);
    const boxes = fig.data.filter((t) => t.type === "box");
    const ys = boxes.flatMap((t) => t.y as number[]).sort((a, b) => a - b);
    const expected = hlsRows.filter((r) => r.fits).map((r) => -r.change.bram18).sort((a, b) => a - b);
    expect(ys).toEqual(expected);
    const unfit = fig.data.filter((t) => /does not fit/.test(String(t.name))).flatMap((t) => t.y as number[]);
    expect(unfit.sort()).toEqual(ref.filter((r) => !r.fits).map((r) => -r.change.bram18).sort());
    const stars = fig.data.filter((t) => t.name === "reference configuration").flatMap((t) => t.y as number[]);
    expect(stars.sort()).toEqual(ref.filter((r) => r.fits).map((r) => -r.change.bram18).sort());
    expect((fig.layout.yaxis as { title: { text: string } }).title.text).toBe("BRAM18 saving (%)");
  });

  it("the hls4ml resource figure: one colour per network in every panel, savings = -change, each panel's claim", () => {
    const hls = specs.filter((x) => x.group === "hls4ml");
    const fig = hlsResourceFigure(hlsRows, 8, "default", hls);
    const lines = fig.data.filter((t) => t.mode === "lines+markers");
    const colourOf = new Map<string, string>();
    for (const t of lines) {
      const c = (t.line as { color: string }).color;
      const k = String(t.name);
      if (colourOf.has(k)) expect(c, k).toBe(colourOf.get(k));
      colourOf.set(k, c);
    }
    expect(fig.data.filter((t) => t.showlegend !== false && t.mode === "lines+markers").length).toBe(colourOf.size);
    const r8 = lines.find((t) => t.name === "ResNet-8 SkipRemover" && t.yaxis === "y")!;
    const rows = hlsRows.filter((r) => r.network === "resnet8" && r.method === "remover" && r.precision === 8 && r.fifoDepth === "default" && r.reluMerge && !r.label.startsWith("MLPerf")).sort((a, b) => a.reuseFactor - b.reuseFactor);
    expect(r8.y).toEqual(rows.map((r) => -r.change.bram18));
    // numbers on a log axis: the distance between reuse factors is their ratio (x16, x4), not their rank
    expect(r8.x).toEqual(rows.map((r) => r.reuseFactor));
    expect((fig.layout.xaxis as { type: string }).type).toBe("log");
    expect(paperLines(fig).map((l) => l.y0)).toEqual(["bram18", "ff", "lut"].map((q) => hls.find((x) => x.quantity === q)!.paper));
  });

  it("the PE-array figure shows the reference configuration, both panels 'up is good'", () => {
    const pe = specs.filter((x) => x.group === "pe-array");
    const name = pe[0].reference!;
    const config = peReferenceConfig(name, refs[name]);
    const fig = peFigure(peRows, "resnet8", { name, config }, pe);
    const star = fig.data.filter((t) => t.name === "reference configuration");
    const ref = peReferenceRows(name, refs[name]).filter((r) => r.network === "resnet8");
    expect(star[0].y).toEqual(ref.map((r) => r.perf));
    expect(star[1].y).toEqual(ref.map((r) => -r.bytes));
    expect(JSON.stringify(fig.layout.title)).toContain(`${config.rows}x${config.cols}`);
    expect((fig.layout.xaxis as { type: string }).type).toBe("category");
    expect(paperLines(fig).map((l) => l.y0)).toEqual(pe.map((x) => x.paper));
  });
});

const run = (o: Partial<RunTop1> & { run: string; method: string }): RunTop1 => ({ seed: 1, valTop1: 0.8, testTop1: 0.8, ...o });

describe("accuracy figures", () => {
  it("a network's colour is never a method's (the depth figure shows both kinds side by side)", () => {
    const methods = new Set(Object.values(METHOD_COLOR).map((c) => c.toLowerCase()));
    expect(Object.values(NET_COLOR).filter((c) => methods.has(c.toLowerCase()))).toEqual([]);
  });

  it("the gap is student minus its own teacher in points, one marker per seed; C7a's value and tolerance from the spec", () => {
    const rows = [
      run({ run: "teacher", method: "teacher", testTop1: 0.9 }),
      run({ run: "remover", method: "remover", testTop1: 0.8875 }),
      run({ run: "remover-seed2", method: "remover", seed: 2, testTop1: 0.9031 }),
      run({ run: "teacher-shortenable", method: "teacher", testTop1: 0.85 }),
      run({ run: "shortener", method: "shortener", testTop1: 0.86 }),
    ];
    const teacherOf = (r: RunTop1) => (r.method === "remover" ? "teacher" : r.method === "shortener" ? "teacher-shortenable" : undefined);
    for (const c7a of [spec("C7a"), altered(spec("C7a"))]) {
      const fig = accuracyFigure(rows, teacherOf, c7a, "t");
      // the second seed in a trace of its own, outlined, without a legend entry (the legend shows the first seed's marker)
      const rem = fig.data.filter((t) => String(t.name).startsWith("SkipRemover"));
      expect(rem.flatMap((t) => t.y as number[]).map((v) => +v.toFixed(6))).toEqual([-1.25, 0.31]);
      expect(rem.map((t) => [t.showlegend, (t.marker as { line: { width: number[] } }).line.width])).toEqual([
        [undefined, [0]],
        [false, [2.5]],
      ]);
      const sh = fig.data.find((t) => String(t.name).startsWith("SkipShortener"))!;
      expect((sh.y as number[]).map((v) => +v.toFixed(6))).toEqual([1]);
      expect(paperLines(fig).map((l) => l.y0)).toEqual([c7a.paper]);
      // at-least: the band starts at paper - tolerance and runs to the top of the axis
      const [band] = bands(fig);
      expect(band.y0).toBe(c7a.paper - c7a.tolerance);
      expect(band.y1).toBe((fig.layout.yaxis as { range: number[] }).range[1]);
    }
  });

  const rec = (epoch: number, lr: number, skipModes: string[], valTop1 = 0.5): EpochRecord => ({ epoch, lr, skipModes, valTop1, valLoss: 1, valTop5: 0.9, trainLoss: 1, seconds: 1, imagesPerSecond: 1 });

  it("alterations and lr steps are read from the epoch records", () => {
    const h = [rec(0, 0.1, ["long", "long"]), rec(1, 0.1, ["removed", "long"]), rec(2, 0.01, ["removed", "long"]), rec(3, 0.01, ["removed", "removed"]), rec(4, 0.001, ["removed", "removed"])];
    expect(curveEvents(h)).toEqual({
      alterations: [
        { epoch: 1, skips: [0] },
        { epoch: 3, skips: [1] },
      ],
      lrSteps: [
        { epoch: 2, from: 0.1, to: 0.01 },
        { epoch: 4, from: 0.01, to: 0.001 },
      ],
    });
    const fig = trainingFigure([{ title: "p", teacher: { run: "teacher", method: "teacher", history: [rec(0, 0.1, ["long", "long"]), rec(1, 0.1, ["long", "long"])] }, curves: [{ run: "remover", method: "remover", history: h, best: 3 }] }], "t");
    const s = fig.layout.shapes as { name: string; x0: number }[];
    // the student continues after the teacher's 2 epochs: its epoch 1 (0-indexed) is plotted at x = 2 + 2
    expect(s.filter((x) => /skip altered/.test(x.name)).map((x) => x.x0 + 0.15)).toEqual([4, 6]);
    expect(s.filter((x) => /learning-rate/.test(x.name)).map((x) => x.x0)).toEqual([4.5, 6.5]);
    const student = fig.data.find((t) => t.name === "remover")!;
    expect(student.x).toEqual([3, 4, 5, 6, 7]);
    // a teacher that ended at 0.001: the student's own start at 0.1 is a step too, between the two curves
    const fig2 = trainingFigure([{ title: "p", teacher: { run: "teacher", method: "teacher", history: [rec(0, 0.1, ["long", "long"]), rec(1, 0.001, ["long", "long"])] }, curves: [{ run: "remover", method: "remover", history: h, best: 3 }] }], "t");
    // the lines are shapes; their labels annotations at the panel's bottom (clear of the best-checkpoint stars)
    expect((fig2.layout.shapes as { name: string; x0: number }[]).filter((x) => /learning-rate/.test(x.name)).map((x) => x.x0)).toEqual([1.5, 2.5, 4.5, 6.5]);
    const lr2 = (fig2.layout.annotations as { text: string; x: number; y: number }[]).filter((a) => a.text.startsWith("lr "));
    expect(lr2.every((a) => a.y === 0)).toBe(true);
    expect(lr2.map((x) => [x.x, x.text])).toEqual([
      [1.5, "lr 0.001"],
      [2.5, "lr 0.1"],
      [4.5, "lr 0.01"],
      [6.5, "lr 0.001"],
    ]);
  });

  it("log.jsonl: one record per epoch, the later one when an epoch was redone after a crash", () => {
    const line = (o: object) => JSON.stringify({ t: "x", ...o });
    const text = [line({ event: "start" }), line({ event: "epoch", ...rec(0, 0.1, ["long"], 0.3) }), line({ event: "epoch", ...rec(1, 0.1, ["long"], 0.4) }), line({ event: "resume" }), line({ event: "epoch", ...rec(1, 0.1, ["long"], 0.45) }), ""].join("\n");
    expect(historyFromLog(text).map((r) => [r.epoch, r.valTop1])).toEqual([
      [0, 0.3],
      [1, 0.45],
    ]);
    expect(() => historyFromLog('{"event":"epoch","epoch":0}', "x/log.jsonl")).toThrow(/x\/log.jsonl:1/);
  });

  it("log.jsonl: the kernels a run trained on, once each in order; a change of kernels is reported", () => {
    const line = (o: object) => JSON.stringify({ t: "x", ...o });
    const env = (k: string) => ({ env: { backendKernels: k } });
    const text = [line({ event: "start", ...env("onednn 2.6.3") }), line({ event: "epoch", ...rec(0, 0.1, ["long"], 0.3) }), line({ event: "resume", ...env("onednn 2.6.3") }), line({ event: "resume", ...env("onednn 2.6.3 (winograd)") }), ""].join("\n");
    expect(kernelsFromLog(text)).toEqual(["onednn 2.6.3", "onednn 2.6.3 (winograd)"]);
    const run = (id: string, kernels: string[]): DepthRun => ({ id, net: "resnet56", run: id, method: "teacher", state: "in progress", epoch: 1, epochs: 40, kernels });
    expect(kernelChanges([run("a", kernelsFromLog(text)), run("b", ["onednn 2.6.3"])])).toEqual(["a: onednn 2.6.3 -> onednn 2.6.3 (winograd)"]);
  });

  it("the depth figure never draws a run that has not finished, and says which are in progress", () => {
    const base = { net: "resnet56", epochs: 40, epoch: 0 };
    const runs: DepthRun[] = [
      { ...base, id: "resnet56/teacher", run: "teacher", method: "teacher", state: "in progress", epoch: 8, testTop1: 0.7 },
      { ...base, id: "resnet56/remover", run: "remover", method: "remover", reference: "resnet56/teacher", state: "not started" },
      { ...base, id: "resnet8/teacher", net: "resnet8", run: "teacher", method: "teacher", state: "done", testTop1: 0.86 },
      { ...base, id: "resnet8/remover", net: "resnet8", run: "remover", method: "remover", reference: "resnet8/teacher", state: "done", testTop1: 0.855 },
    ];
    const fig = depthFigure(runs, spec("C7a"));
    // (a legend-only trace draws no point: y [null])
    const drawn = fig.data.flatMap((t) => t.y as (number | null)[]).filter((v): v is number => v !== null);
    expect(drawn.map((v) => +v.toFixed(6)).sort()).toEqual([-0.5, 85.5, 86].sort());
    const text = JSON.stringify(fig.layout.annotations);
    expect(text).toContain("resnet56/teacher in progress (epoch 8 of 40)");
    expect(text).toContain("1 run not started");
    expect(JSON.stringify(fig.layout.title)).toContain("2 of 4 runs finished");
    // nothing finished: no trace at all, and the figure says so
    const none = depthFigure(runs.map((r) => ({ ...r, state: r.state === "done" ? "in progress" : r.state })), spec("C7a"));
    expect(none.data.flatMap((t) => t.y as number[])).toEqual([]);
    expect(JSON.stringify(none.layout.annotations)).toContain("no run has finished yet");
    // teachers finished but no student: the left panel says why it is empty
    const teachers = depthFigure(runs.map((r) => (r.method === "remover" ? { ...r, state: "not started" as const } : r)), spec("C7a"));
    expect(JSON.stringify(teachers.layout.annotations)).toContain("no gap yet");
    expect(JSON.stringify(fig.layout.annotations)).not.toContain("no gap yet");
  });

  it("the depth figure with every run done: lines by depth, seed-2 students as markers of their own, no waiting list", () => {
    // the whole plan, done (the seed-2 students of ResNet-20 and, since issue 27, ResNet-56: SECOND_SEED_NETS)
    const runs: DepthRun[] = depthPlan().runs.map((r, i) => {
      const [net, run] = r.id.split("/");
      const m = r.config.method;
      const reference = m === "remover" || m === "noskip" ? `${net}/teacher` : m === "shortener" ? `${net}/teacher-shortenable` : undefined;
      return { id: r.id, net, run, method: m, reference, state: "done", epoch: r.config.epochs, epochs: r.config.epochs, bestEpoch: 10, testTop1: 0.8 + 0.001 * i };
    });
    const fig = depthFigure(runs, spec("C7a"));
    const left = fig.data.filter((t) => !t.xaxis || t.xaxis === "x");
    const order = ["ResNet-8", "ResNet-20", "ResNet-56"];
    for (const t of left.filter((x) => String(x.mode).includes("lines"))) {
      // a line joins one point per network, shallowest first: never back from ResNet-56 to ResNet-20
      expect(t.x, t.name as string).toEqual(order);
      expect(t.name).not.toMatch(/seed/);
    }
    const seed2 = left.filter((t) => /seed 2/.test(t.name as string));
    expect(seed2.map((t) => [t.name, t.mode, t.x, t.showlegend])).toEqual([
      ["SkipRemover minus the plain teacher, seed 2", "markers", ["ResNet-20", "ResNet-56"], undefined],
      ["SkipShortener minus its shortenable teacher, seed 2", "markers", ["ResNet-20", "ResNet-56"], undefined],
    ]);
    // points of one slot side by side: a method's group on the left, a network's on the right
    expect(fig.layout.scattermode).toBe("group");
    expect(new Set(left.map((t) => t.offsetgroup))).toEqual(new Set(["remover", "shortener", "noskip"]));
    expect(fig.data.filter((t) => t.xaxis === "x2" && t.mode === "markers").map((t) => t.offsetgroup)).toEqual(["resnet8", "resnet20", "resnet56"]);
    // every finished student is drawn once: 3 remover + 2 seed-2, 3 shortener + 2 seed-2, 3 noskip
    expect(left.reduce((n, t) => n + (t.y as number[]).length, 0)).toBe(13);
    const text = JSON.stringify(fig.layout.annotations);
    expect(text).not.toContain("Not drawn");
    expect(text).not.toContain("none in progress");
    expect(JSON.stringify(fig.layout.title)).toContain("19 of 19 runs finished");
    // a run that failed is named with why, not summed up as "none in progress"
    const failed = depthFigure(runs.map((r) => (r.id === "resnet56/noskip" ? { ...r, state: "failed" as const, note: "diverged at step 7" } : r)), spec("C7a"));
    expect(JSON.stringify(failed.layout.annotations).replace(/<br>/g, " ")).toContain("Not drawn, not finished: resnet56/noskip failed: diverged at step 7.");
  });
});

describe("figure HTML", () => {
  const fig: Figure = { data: [{ type: "scatter", x: [1], y: [2], name: "</script><b>" }], layout: { title: { text: "a <b>" }, width: 700, height: 400 } };
  it("a standalone page loads the bundle beside it and embeds the spec, safe inside <script>", () => {
    const html = standaloneHtml(fig);
    expect(html).toContain('<script src="plotly-cartesian.min.js"></script>');
    expect(html).not.toMatch(/https?:\/\//);
    expect(html.match(/<\/script>/g)!.length).toBe(3);
    expect(specFromStandaloneHtml(html)).toEqual(fig);
  });
  it("a notebook output draws from window.Plotly, the figure's width dropped", () => {
    const html = notebookFigureHtml(fig, "f1");
    expect(html).toContain("window.Plotly.newPlot(");
    expect(html).not.toContain('"width":700');
  });
  it("the notebook check finds errors, a missing or repeated bundle and remote scripts", () => {
    const out = (html: string) => ({ output_type: "display_data", data: { "text/html": html } });
    const bundle = out("<script>/** plotly.js (cartesian - minified) v3 */</script>");
    const figure = out(notebookFigureHtml(fig, "f2"));
    expect(checkNotebook({ cells: [{ cell_type: "code", outputs: [bundle, figure] }] }, "a", 1)).toEqual([]);
    expect(checkNotebook({ cells: [{ cell_type: "code", outputs: [figure] }] }, "a", 1)[0]).toMatch(/embedded 0 times/);
    expect(checkNotebook({ cells: [{ cell_type: "code", outputs: [bundle, bundle, figure] }] }, "a", 1)[0]).toMatch(/embedded 2 times/);
    expect(checkNotebook({ cells: [{ cell_type: "code", outputs: [bundle] }] }, "a", 1)[0]).toMatch(/0 interactive plotly figures/);
    expect(checkNotebook({ cells: [{ cell_type: "code", outputs: [bundle, figure, { output_type: "error", ename: "TypeError", evalue: "x" }] }] }, "a", 1)[0]).toMatch(/TypeError/);
    expect(checkNotebook({ cells: [{ cell_type: "code", outputs: [bundle, figure, out('<script src="https://cdn.plot.ly/x.js"></script>')] }] }, "a", 1)[0]).toMatch(/cdn/);
    // a notebook without figures: executed (some output), and no bundle to carry
    const printed = { output_type: "stream", text: "resnet20: 9 blocks" };
    expect(checkNotebook({ cells: [{ cell_type: "code", outputs: [printed] }, { cell_type: "code", outputs: [] }] }, "a", 0)).toEqual([]);
    expect(checkNotebook({ cells: [{ cell_type: "code", outputs: [] }, { cell_type: "markdown" }] }, "a", 0)).toEqual(["a: no cell has output: not executed"]);
    expect(checkNotebook({ cells: [{ cell_type: "code", outputs: [bundle, printed] }] }, "a", 0)[0]).toMatch(/embedded 1 times, expected never/);
  });
  it("executed code cells are numbered in order; markdown and blank cells are not", () => {
    const nb = { cells: [{ cell_type: "markdown", source: "# t" }, { cell_type: "code", source: ["a", "b"], execution_count: null }, { cell_type: "code", source: "  ", execution_count: null }, { cell_type: "code", source: "c", execution_count: null }] };
    expect(numberExecutedCells(nb).cells.map((c) => (c as { execution_count?: number | null }).execution_count)).toEqual([undefined, 1, null, 2]);
  });
});

describe("the claims table for a terminal", () => {
  it("fits 120 columns and keeps every claim and status", () => {
    const results: ClaimResult[] = specs.map((s) => checkClaim(s, s.paper + 12.345, "a configuration", () => "a long reason ".repeat(20), { min: -123.4, median: 5.6, max: 789.1, count: 5760, excluded: 195 }));
    const table = claimsTerminalTable(results);
    const lines = table.split("\n");
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(120);
    expect(lines.length).toBe(2 + specs.length);
    for (const r of results) expect(table).toContain(r.id);
    expect(claimsTerminalTable(results, 60).split("\n").every((l) => l.length <= 60)).toBe(true);
  });
});
