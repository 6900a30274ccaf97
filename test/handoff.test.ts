/** The hls4ml hand-off (src/handoff/, scripts/export-hls4ml.ts, scripts/cost.ts). */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadClaimSpecs } from "../src/experiment/index.js";
import { costReport } from "../src/handoff/cost-report.js";
import { fifoDepthFile } from "../src/handoff/fifo-depths.js";
import { loadCostConfig, trainedWidthNote } from "../src/handoff/cost-config.js";
import { handoffConfig, PART_NUMBERS } from "../src/handoff/hls4ml-config.js";
import { handoffFolder } from "../src/handoff/handoff.js";
import { buildDesign, DEFAULT_HLS4ML, fifoDepths, hls4mlCost, type Hls4mlConfig } from "../src/hw/hls4ml/index.js";
import { decodeOnnx } from "../src/import/onnx-decode.js";
import { lower, type NetSpec } from "../src/net/index.js";
import type { PublishedSet } from "../src/report/published-hls4ml.js";
import { readCheckpointFile } from "../src/train/checkpoint-file.js";

const CKPT = "data/runs/depth/resnet8/teacher/best.ckpt";
const published = JSON.parse(fs.readFileSync("data/published/hls4ml-tutorial-cnn.json", "utf8")) as PublishedSet;
const reference = loadCostConfig("reference");
const ck = readCheckpointFile(CKPT);
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "handoff-"));

describe("max_depth.json", () => {
  const g = lower(ck.net);
  const c: Hls4mlConfig = { ...reference, fifoDepth: "optimised" };
  const file = fifoDepthFile(g, c, ck.config);
  const d = buildDesign(g, c);
  it("one entry per internal stream (not the model's input or output), depth = simulated max occupancy + 1", () => {
    const internal = d.streams.filter((s) => d.processes[s.from].kind !== "input" && d.processes[s.to].kind !== "output");
    expect(file.entries.length).toBe(internal.length);
    const { depths, sim } = fifoDepths(d, c);
    for (const s of internal) {
      const e = file.entries.find((x) => x.name === file.names[s.id].hls4ml)!;
      expect(e.max).toBe(sim.maxOccupancy[s.id]);
      expect(e.depth).toBe(e.max + 1);
      // the same depth as the claims' cost report gives the stream
      expect(e.depth).toBe(depths[s.id]);
    }
    expect(Object.keys(file.entries[0]).sort()).toEqual(["depth", "max", "name"]);
  });
  it("the report's FIFO depths and totals are hls4mlCost's", () => {
    const r = costReport(g, c, published, file.names);
    const h = hls4mlCost(g, c);
    for (const [i, f] of r.fifos.entries()) expect(f.depth).toBe(h.streams[i].depth);
    const total = (q: string) => r.totals.find((t) => t.quantity === q)!.total;
    expect([total("BRAM18"), total("FF"), total("LUT"), total("DSP")]).toEqual([h.totals.bram18, h.totals.ff, h.totals.lut, h.totals.dsp]);
    expect([total("latency (cycles)"), total("interval (cycles)")]).toEqual([h.totals.latencyCycles, h.totals.intervalCycles]);
    // each total's parts add up to it
    for (const t of r.totals) expect(t.parts.reduce((a, p) => a + p.value, 0)).toBeCloseTo(t.total, 6);
  });
  it("bands are the published check's: FF of processes +172%..+241% (figures/hls4ml-published-check.md)", () => {
    const ff = costReport(g, c, published, file.names).totals.find((t) => t.quantity === "FF")!;
    const b = ff.parts.find((p) => p.part === "processes")!.band!;
    expect(b.minPct).toBeCloseTo(171.69, 1);
    expect(b.maxPct).toBeCloseTo(241.32, 1);
  });
});

describe("a small case worked by hand (DESIGN.md section 5)", () => {
  // stem conv, then one block of two 3x3 convs with a long skip, 8 channels on 8x8, Latency, RF 1, stock hls4ml
  const net: NetSpec = {
    name: "tiny",
    dims: 2,
    input: { channels: 3, height: 8, width: 8 },
    stem: { convs: [{ kernel: 3, stride: 1, out: 8 }] },
    blocks: [{ name: "b", units: [{ kernel: 3, stride: 1, out: 8 }, { kernel: 3, stride: 1, out: 8 }], form: "plain", skip: "long" }],
    head: { kind: "gap-dense", classes: 10 },
  };
  const c: Hls4mlConfig = { ...DEFAULT_HLS4ML, fifoDepth: "optimised" };
  const file = fifoDepthFile(lower(net), c);
  it("the skip copy holds about the main path's fill: per 3x3 conv (K-1) x W_padded + K-1 = 2 x 10 + 2 = 22 pixels, two convs", () => {
    const skip = file.entries.find((e) => /^clone_.*_cpy2$/.test(e.name))!;
    expect(skip).toBeDefined();
    // the clone writes a pixel a cycle; the Add reads its first skip pixel once both convs have filled: 2 x 22
    expect(skip.max).toBe(44);
    expect(skip.depth).toBe(45);
    // the main-path copy feeds the first conv's padding, which reads as fast as it is written
    expect(file.entries.find((e) => /^clone_.*_cpy1$/.test(e.name))!.max).toBeLessThanOrEqual(2);
  });
  it("names: clone of the ReLU before the block, zero padding zp2d_Conv2D_<conv> before each of the three padded convs (stem, two in the block)", () => {
    const names = file.entries.map((e) => e.name);
    expect(names.filter((n) => n.startsWith("zp2d_Conv2D_")).length).toBe(3);
    expect(names).toContain("clone_b.relu_in_cpy2");
    // the pool's stream: the Flatten after it is an in-place Reshape in io_stream
    expect(names).toContain("head.pool");
  });
});

describe("hls4ml_config.json", () => {
  const c: Hls4mlConfig = { ...reference, fifoDepth: "optimised" };
  const files = handoffFolder(ck, c, published, { source: CKPT });
  const cfg = JSON.parse(files["hls4ml_config.json"] as string);
  it("LayerName keys are the node names of the exported model.onnx", () => {
    const m = decodeOnnx(files["model.onnx"] as Uint8Array, "model.onnx");
    expect(Object.keys(cfg.hls_config.LayerName).sort()).toEqual(m.nodes.map((n) => n.name).sort());
  });
  it("the depth file names hls4ml layers built from those nodes (Conv2D_/zp2d_Conv2D_/clone_ prefixes, or the node)", () => {
    const m = decodeOnnx(files["model.onnx"] as Uint8Array, "model.onnx");
    const nodes = new Set(m.nodes.map((n) => n.name));
    for (const e of JSON.parse(files["max_depth.json"] as string) as { name: string }[]) {
      const base = e.name.replace(/^clone_/, "").replace(/_cpy\d+$/, "").replace(/^zp2d_/, "").replace(/^Conv2D_/, "").replace(/^Dense_/, "");
      expect(nodes.has(base) || base === "input", e.name).toBe(true);
    }
  });
  it("the reference's part, clock, reuse factor, strategy and precision are data/claims.json's", () => {
    const ref = loadClaimSpecs().references["hls4ml-mlperf-tiny"].config as Record<string, unknown>;
    expect(cfg.convert_kwargs.io_type).toBe("io_stream");
    expect(cfg.convert_kwargs.part).toBe(PART_NUMBERS[ref.part as string]);
    expect(cfg.convert_kwargs.part.startsWith(ref.part as string)).toBe(true);
    expect(cfg.convert_kwargs.clock_period).toBeCloseTo(1000 / (ref.clockMHz as number), 2);
    expect(cfg.hls_config.Model.ReuseFactor).toBe(ref.reuseFactor);
    expect(cfg.hls_config.Model.Strategy).toBe(ref.strategy);
    expect(cfg.hls_config.Model.Precision.default).toMatch(new RegExp(`^fixed<${ref.actBits},`));
    const conv = cfg.hls_config.LayerName["stem0.conv"];
    expect(conv.Precision.weight).toMatch(new RegExp(`^fixed<${ref.weightBits},`));
    expect(conv.Precision.accum).toMatch(new RegExp(`^fixed<${ref.accBits},`));
    // BN fused: the conv's result is left unspecified (hls4ml's bn_fuse.py needs that)
    expect(conv.Precision.result).toBeUndefined();
  });
  it("a conv's reuse factor is the one the design settles on", () => {
    const d = buildDesign(lower(ck.net), c);
    const conv = d.processes.find((p) => p.kind === "conv")!;
    expect(handoffConfig(lower(ck.net), c).hls_config.LayerName[conv.name].ReuseFactor).toBe(conv.rf);
  });
});

describe("CLIs: bad input is a clear error and nothing is written", () => {
  const run = (script: string, args: string[]) => spawnSync(process.execPath, ["node_modules/tsx/dist/cli.mjs", script, ...args], { encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: "1" } });
  it("a --config file with an unknown field names the file and field", () => {
    const dir = tmp();
    const bad = path.join(dir, "bad.json");
    fs.writeFileSync(bad, JSON.stringify({ reuseFactr: 4 }));
    const out = path.join(dir, "out");
    const r = run("scripts/export-hls4ml.ts", ["--checkpoint", CKPT, "--config", bad, "--out", out]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(bad);
    expect(r.stderr).toContain('"reuseFactr"');
    expect(fs.readdirSync(dir)).toEqual(["bad.json"]);
  });
  it("--out an existing file", () => {
    const dir = tmp();
    const f = path.join(dir, "x");
    fs.writeFileSync(f, "keep");
    const r = run("scripts/export-hls4ml.ts", ["--checkpoint", CKPT, "--out", f]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--out .*x: already exists \(a file\)/);
    expect(fs.readFileSync(f, "utf8")).toBe("keep");
    expect(fs.readdirSync(dir)).toEqual(["x"]);
  });
  it("a checkpoint that does not exist", () => {
    const dir = tmp();
    const r = run("scripts/export-hls4ml.ts", ["--checkpoint", path.join(dir, "none.ckpt"), "--out", path.join(dir, "out")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--checkpoint .*none.ckpt: file not found/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
  it("a good run writes the whole folder and nothing else beside it", () => {
    const dir = tmp();
    const out = path.join(dir, "h");
    const r = run("scripts/export-hls4ml.ts", ["--checkpoint", CKPT, "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(fs.readdirSync(dir)).toEqual(["h"]);
    expect(fs.readdirSync(out).sort()).toEqual(["apply_fifo_depths.py", "hls4ml_config.json", "max_depth.json", "model.onnx", "report.json", "report.md"]);
  }, 60_000);
  it("a quantised run's folder also holds model.qcdq.onnx: the same graph with QuantizeLinear/DequantizeLinear for each Quant", () => {
    const q = readCheckpointFile("data/runs/depth/resnet8/qat4-shortener/best.ckpt");
    const files = handoffFolder(q, { ...reference, fifoDepth: "optimised" }, published);
    const ops = (b: Uint8Array) => decodeOnnx(b, "m").nodes.map((n) => n.op);
    const qonnx = ops(files["model.onnx"] as Uint8Array);
    const qcdq = ops(files["model.qcdq.onnx"]!);
    const count = (v: string[], op: string) => v.filter((o) => o === op).length;
    expect(count(qonnx, "Quant")).toBeGreaterThan(0);
    expect(count(qcdq, "Quant")).toBe(0);
    expect(count(qcdq, "DequantizeLinear")).toBe(count(qonnx, "Quant"));
    // every other op as in the QONNX file, in the same order
    const rest = (v: string[]) => v.filter((o) => !["Quant", "QuantizeLinear", "Clip", "DequantizeLinear"].includes(o));
    expect(rest(qcdq)).toEqual(rest(qonnx));
    expect(files["model.qcdq.onnx"]).toBeDefined();
    expect(handoffFolder(ck, { ...reference, fifoDepth: "optimised" }, published)["model.qcdq.onnx"]).toBeUndefined();
  });
  it("apply_fifo_depths.py where hls4ml or qonnx is missing: a one-line error naming them, exit 1, no traceback", () => {
    const py = ["python3", "/usr/bin/python3"].find((p) => spawnSync(p, ["-c", "0"]).status === 0);
    if (!py || spawnSync(py, ["-c", "import hls4ml, qonnx"]).status === 0) return; // no Python, or both installed
    const dir = tmp();
    fs.writeFileSync(path.join(dir, "apply_fifo_depths.py"), handoffFolder(ck, { ...reference, fifoDepth: "optimised" }, published)["apply_fifo_depths.py"]);
    const r = spawnSync(py, [path.join(dir, "apply_fifo_depths.py"), "--out", path.join(dir, "prj")], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/^error: apply_fifo_depths.py needs hls4ml \(>= 1.1\) and qonnx in this Python \(.*\): No module named '(hls4ml|qonnx)'$/);
    expect(r.stderr).not.toMatch(/Traceback/);
    expect(fs.readdirSync(dir)).toEqual(["apply_fifo_depths.py"]);
  });
  it("a quantised checkpoint costed at other widths than its own says so (the widths come from --config)", () => {
    const w4 = { quantWeightBits: 4, quantActBits: 4, quantEdgeBits: 8 };
    // the reference is 8-bit weights, 10-bit activations: a w4a4 run differs in both, a w8a10 run in neither
    const note = trainedWidthNote(reference, w4, "q.ckpt");
    expect(note).toMatch(/^note: q.ckpt was trained w4a4 \(edges 8\), .* weights 8 b, activations 10 b; .*\{"base": "reference", "weightBits": 4, "actBits": 4, "accBits": 8\}/);
    // the file it suggests is the reference at the run's widths, and costing with it leaves nothing to note
    const file = path.join(tmp(), "w4a4.json");
    fs.writeFileSync(file, /\{"base".*\}/.exec(note!)![0]);
    const own = loadCostConfig(file);
    expect(own).toEqual({ ...reference, weightBits: 4, actBits: 4, accBits: 8 });
    expect(trainedWidthNote(own, w4, "q.ckpt")).toBeNull();
    fs.writeFileSync(file, JSON.stringify({ base: "defaults", weightBits: 4 }));
    expect(() => loadCostConfig(file)).toThrow(/--config .*w4a4.json: base: expected "reference" .*got "defaults"/);
    expect(trainedWidthNote(reference, { quantWeightBits: 8, quantActBits: 10 }, "q.ckpt")).toBeNull();
    expect(trainedWidthNote(reference, { quantWeightBits: 8, quantActBits: 8 }, "q.ckpt")).toMatch(/"weightBits": 8, "actBits": 8, "accBits": 16/);
    expect(trainedWidthNote(reference, {}, "float.ckpt")).toBeNull();
    expect(trainedWidthNote({ ...reference, weightBits: 4, actBits: 4 }, w4, "q.ckpt")).toBeNull();
    // the CLI: on stderr, the report on stdout unchanged; nothing for a float run
    const q = run("scripts/cost.ts", ["--checkpoint", "data/runs/depth/resnet8/qat4-teacher/best.ckpt"]);
    expect(q.status, q.stderr).toBe(0);
    expect(q.stderr).toMatch(/note: .*qat4-teacher\/best.ckpt was trained w4a4/);
    expect(q.stdout).toMatch(/^# hls4ml cost/);
    expect(run("scripts/cost.ts", ["--checkpoint", CKPT]).stderr).toBe("");
  }, 60_000);
  it("model.onnx records the input normalisation: a run's results.json, an import's config.json (it was 'unknown')", () => {
    const metaOf = (dir: string) => decodeOnnx(fs.readFileSync(path.join(dir, "model.onnx")), "m").metadata["tailor.input_normalisation"];
    const dir = tmp();
    const trained = run("scripts/export-hls4ml.ts", ["--checkpoint", CKPT, "--out", path.join(dir, "trained")]);
    expect(trained.status, trained.stderr).toBe(0);
    const results = JSON.parse(fs.readFileSync(path.join(path.dirname(CKPT), "results.json"), "utf8")).normalisation;
    expect(JSON.parse(metaOf(path.join(dir, "trained")))).toEqual(results);
    expect(trained.stdout).toContain(`(from ${path.join(path.dirname(CKPT), "results.json")}; in the model's metadata)`);
    // an import:onnx folder: best.ckpt and config.json, no results.json
    const norm = { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };
    const imported = (name: string, normalisation: unknown) => {
      const d = path.join(dir, name);
      fs.mkdirSync(d);
      fs.copyFileSync(CKPT, path.join(d, "best.ckpt"));
      fs.writeFileSync(path.join(d, "config.json"), JSON.stringify({ imported: { normalisation } }));
      return path.join(d, "best.ckpt");
    };
    const known = run("scripts/export-hls4ml.ts", ["--checkpoint", imported("imp", norm), "--out", path.join(dir, "h-imp")]);
    expect(known.status, known.stderr).toBe(0);
    expect(JSON.parse(metaOf(path.join(dir, "h-imp")))).toEqual(norm);
    const q = run("scripts/export-qonnx.ts", ["--checkpoint", path.join(dir, "imp", "best.ckpt"), "--out", path.join(dir, "imp.onnx")]);
    expect(q.status, q.stderr).toBe(0);
    expect(JSON.parse(decodeOnnx(fs.readFileSync(path.join(dir, "imp.onnx")), "m").metadata["tailor.input_normalisation"])).toEqual(norm);
    const unknown = run("scripts/export-hls4ml.ts", ["--checkpoint", imported("imp-null", null), "--out", path.join(dir, "h-null")]);
    expect(unknown.status, unknown.stderr).toBe(0);
    expect(metaOf(path.join(dir, "h-null"))).toBe("unknown");
    expect(unknown.stdout).toMatch(/not recorded: .*imp-null\/config.json: imported without --mean\/--std\)$/m);
    // a results.json without a normalisation: an error naming it, and no folder
    const bad = path.join(dir, "bad");
    fs.mkdirSync(bad);
    fs.copyFileSync(CKPT, path.join(bad, "best.ckpt"));
    fs.writeFileSync(path.join(bad, "results.json"), "{}");
    const b = run("scripts/export-hls4ml.ts", ["--checkpoint", path.join(bad, "best.ckpt"), "--out", path.join(dir, "h-bad")]);
    expect(b.status).toBe(2);
    expect(b.stderr.trim()).toMatch(/^error: .*bad\/results.json: expected "normalisation"/);
    expect(fs.existsSync(path.join(dir, "h-bad"))).toBe(false);
  }, 120_000);
  it("cost prints the report without writing", () => {
    const r = run("scripts/cost.ts", ["--net", "resnet8", "--form", "shortenable", "--skips", "shortened"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\| FF \| \d+ \| processes \| \d+ \| \+172%\.\.\+241%/);
  }, 60_000);
});
