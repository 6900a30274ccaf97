// QONNX export (src/export/qonnx.ts, scripts/export-qonnx.ts) checked independently: the .onnx file is read back by
// Debian's python3-onnx, passed through onnx.checker, and executed by test/helpers/qonnx_check.py, a numpy executor
// written from the ONNX and QONNX op specs; its logits are compared with our eval-mode forward pass on the same
// images. Models: ResNet-8 plain (long skips), shortenable with skips 0 and 2 shortened, plain with skips removed;
// each float and w4a4 (edges 8), batch-norm statistics and activation maxima set by forward passes in training mode
// on random data (no training step: the export does not care how weights were reached).
import * as tf from "@tensorflow/tfjs";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { concat, floatField, intField, packedIntsField, stringField, varint } from "../src/export/protobuf.js";
import { exportQonnx, ExportError } from "../src/export/qonnx.js";
import { lower, quartznet5x5, resnet8, withAllSkips, withSkip, type NetSpec } from "../src/net/index.js";
import { makeCheckpoint } from "../src/train/checkpoint.js";
import { writeCheckpointFile } from "../src/train/checkpoint-file.js";
import { DEFAULT_CONFIG, type TrainConfig } from "../src/train/config.js";
import { createModel, forward, setNet, updateRunningStats, type BatchStats, type Model } from "../src/train/model.js";
import { ACT_STAT, quantScale, useQuant } from "../src/train/quant.js";
import { mulberry32 } from "../src/util/random.js";
import { runCommand, runScript } from "./helpers/spawn.js";
import { useNativeBackend } from "./helpers/native-backend.js";

const ROOT = path.resolve(__dirname, "..");
const PY = "/usr/bin/python3";
const CHECK = path.join(__dirname, "helpers", "qonnx_check.py");
const SCRIPT = path.join(ROOT, "scripts", "export-qonnx.ts");
let dir = "";

beforeAll(async () => {
  await useNativeBackend();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-qonnx-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const run = (cmd: string, args: string[]) => runCommand(cmd, args);

interface CheckResult {
  check_model: string;
  opsets: Record<string, number>;
  ops: Record<string, number>;
  full_check: string;
  quant: { name: string; on_initializer: boolean; domain: string; signed: number; narrow: number; rounding_mode: string; scale: number; zeropt: number; bitwidth: number; bitwidth_ndim: number }[];
  metadata: Record<string, string>;
  logits: number[][];
  near_ties: number[];
}

/** the numpy executor on `file`, with NCHW images; fails naming python3-onnx when Debian's onnx is missing */
async function check(file: string, nchw?: Float32Array): Promise<CheckResult> {
  const args = [CHECK, file];
  if (nchw) {
    const img = `${file}.images.f32`;
    fs.writeFileSync(img, Buffer.from(nchw.buffer, nchw.byteOffset, nchw.byteLength));
    args.push("--images", img, "--tie-window", String(TIE_WINDOW));
  }
  if (!fs.existsSync(PY)) throw new Error(`${PY} not found: the QONNX check needs Debian's python3 with python3-onnx and python3-numpy (bash scripts/setup-system.sh)`);
  const r = await run(PY, args);
  if (r.status === 3) throw new Error(`the QONNX check needs Debian's python3-onnx (apt-get install -y python3-onnx python3-numpy, or bash scripts/setup-system.sh): ${r.stderr.trim()}`);
  if (r.status !== 0) throw new Error(`qonnx_check.py failed (exit ${r.status}): ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as CheckResult;
}

const N_IMAGES = 16;
/** x / scale within this many quantisation steps of k + 1/2 counts as a near-tie (see the quantised test) */
const TIE_WINDOW = 1e-3;

/** random images, NHWC for our forward and the same values NCHW for the executor */
function images(seed: number, net: NetSpec, n = N_IMAGES): { nhwc: Float32Array; nchw: Float32Array } {
  const { channels: c, height: h, width: w } = net.input;
  const rnd = mulberry32(seed);
  const nhwc = Float32Array.from({ length: n * h * w * c }, () => (rnd() + rnd() + rnd() - 1.5) * 1.6);
  const nchw = new Float32Array(nhwc.length);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) nchw[((b * c + k) * h + y) * w + x] = nhwc[((b * h + y) * w + x) * c + k];
  return { nhwc, nchw };
}

const quant4 = { quantWeightBits: 4, quantActBits: 4, quantEdgeBits: 8 };
const float = { quantWeightBits: 0, quantActBits: 0, quantEdgeBits: 8 };

/**
 * A model with non-trivial state: random batch-norm scales and shifts, running statistics and activation maxima from
 * three training-mode forward passes on random batches (the first sets each maximum, the next move it by 0.1).
 */
function model(net: NetSpec, q: Partial<TrainConfig>, seed: number): { m: Model; config: TrainConfig } {
  const config = { ...DEFAULT_CONFIG, ...q, seed } as TrainConfig;
  const m = useQuant(createModel(net, seed), config);
  const rnd = mulberry32(seed + 100);
  for (const [k, v] of m.params) {
    if (k.endsWith(".gamma")) v.assign(tf.tensor(Float32Array.from({ length: v.size }, () => 0.5 + rnd()), v.shape));
    if (k.endsWith(".beta")) v.assign(tf.tensor(Float32Array.from({ length: v.size }, () => (rnd() - 0.5) * 0.4), v.shape));
  }
  for (let s = 0; s < 3; s++) stepStats(m, seed * 10 + s);
  return { m, config };
}

/** one training-mode forward pass on a random batch of 8: batch-norm running statistics and activation maxima move */
function stepStats(m: Model, seed: number): void {
  const net = m.net;
  const { nhwc } = images(seed, net, 8);
  const stats: BatchStats = {};
  tf.tidy(() => {
    forward(m, tf.tensor4d(nhwc, [8, net.input.height, net.input.width, net.input.channels]), true, stats);
  });
  updateRunningStats(m, stats, 8);
}

function evalLogits(m: Model, nhwc: Float32Array, net: NetSpec): number[][] {
  return tf.tidy(() => forward(m, tf.tensor4d(nhwc, [nhwc.length / (net.input.height * net.input.width * net.input.channels), net.input.height, net.input.width, net.input.channels]), false).arraySync());
}

const maxAbsDiff = (a: number[], b: number[]) => a.reduce((s, v, i) => Math.max(s, Math.abs(v - b[i])), 0);

describe("protobuf wire format, worked by hand", () => {
  it("varints, keys, fixed32 floats and packed fields as the encoding guide's examples", () => {
    // protobuf.dev encoding guide: 150 -> 96 01; field 1 varint 150 -> 08 96 01; 300 -> ac 02
    expect(Array.from(varint(150))).toEqual([0x96, 0x01]);
    expect(Array.from(varint(300))).toEqual([0xac, 0x02]);
    expect(Array.from(varint(0))).toEqual([0]);
    expect(Array.from(intField(1, 150))).toEqual([0x08, 0x96, 0x01]);
    // an int64 of -1: ten bytes, all groups set, the last 01
    expect(Array.from(varint(-1))).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    // field 2 string "testing": 12 07 74 65 73 74 69 6e 67
    expect(Buffer.from(stringField(2, "testing")).toString("hex")).toBe("120774657374696e67");
    // 1.0f little-endian is 00 00 80 3f; field 2, wire type 5: key 0x15
    expect(Array.from(floatField(2, 1))).toEqual([0x15, 0, 0, 0x80, 0x3f]);
    // packed repeated [3, 270, 86942] in field 4: 22 06 03 8e 02 9e a7 05
    expect(Buffer.from(packedIntsField(4, [3, 270, 86942])).toString("hex")).toBe("2206038e029ea705");
    expect(Array.from(concat([Uint8Array.of(1), Uint8Array.of(2, 3)]))).toEqual([1, 2, 3]);
    expect(() => varint(2 ** 60)).toThrow(/safe integer/);
  });
});

/**
 * The three skip variants: each model is built and given statistics as the teacher (long skips), then switched to
 * its final modes as Tailor does (setNet keeps every weight, so a removed skip's projection stays in the checkpoint
 * and the export must leave it out), then one more statistics pass in its final form.
 */
const VARIANTS: { label: string; teacher: () => NetSpec; final: (n: NetSpec) => NetSpec }[] = [
  { label: "plain, long skips", teacher: () => resnet8(), final: (n) => n },
  { label: "shortenable, skips 0 and 2 shortened", teacher: () => resnet8({ form: "shortenable" }), final: (n) => withSkip(withSkip(n, 0, "shortened"), 2, "shortened") },
  { label: "plain, skips removed", teacher: () => resnet8(), final: (n) => withAllSkips(n, "removed") },
];

/** float rounding between our float32 forward (oneDNN) and the executor (float64 sums rounded to float32) */
const FLOAT_BOUND = 1e-5;

const counts = (net: NetSpec) => {
  const g = lower(net);
  const n = (op: string) => g.layers.filter((l) => l.op === op).length;
  return { conv: n("conv"), bn: n("bn"), relu: n("relu"), add: n("add"), dense: n("dense") };
};

describe("exported ResNet-8 against the numpy executor", () => {
  const summary: string[] = [];
  afterAll(() => console.log(`QONNX export vs numpy executor (${N_IMAGES} images each):\n${summary.join("\n")}`));
  for (const [qi, q] of [float, quant4].entries()) {
    for (const [vi, v] of VARIANTS.entries()) {
      const quantised = q.quantWeightBits > 0;
      const tag = `${v.label}, ${quantised ? "w4a4 (edges 8)" : "float"}`;
      it(tag, async () => {
        const seed = 1 + vi + 10 * qi;
        const { m, config } = model(v.teacher(), q, seed);
        const net = v.final(m.net);
        setNet(m, net);
        stepStats(m, seed + 5);
        const ck = makeCheckpoint(m, null, config, 0, [], null, {});
        const { bytes, summary: s } = exportQonnx(ck);
        const file = path.join(dir, `${vi}-${qi}.onnx`);
        fs.writeFileSync(file, bytes);
        const { nhwc, nchw } = images(77 + vi, net);
        const r = await check(file, nchw);

        // the file: valid ONNX, the final architecture op for op, Quant nodes exactly where the forward quantises
        expect(r.check_model).toBe("ok");
        expect(r.full_check).toBe("ok"); // strict shape inference agrees with every declared shape
        const c = counts(net);
        expect(r.ops.Conv).toBe(c.conv);
        expect(r.ops.BatchNormalization).toBe(c.bn);
        expect(r.ops.Relu).toBe(c.relu);
        expect(r.ops.Add ?? 0).toBe(c.add + 1); // the skip adds and the dense layer's bias
        expect(r.ops.MatMul).toBe(c.dense);
        if (v.label.includes("removed")) {
          // the projections of the removed skips are in the checkpoint and not in the graph
          expect(Object.keys(ck.params).filter((k) => k.includes(".proj.")).length).toBeGreaterThan(0);
          expect(r.ops.Add).toBe(1);
        }
        const quants = r.ops["qonnx.custom_op.general.Quant"] ?? 0;
        if (!quantised) {
          expect(quants).toBe(0);
          expect(Object.keys(r.opsets)).toEqual(["ai.onnx"]);
        } else {
          expect(quants).toBe(c.conv + c.dense + c.relu);
          expect(r.opsets["qonnx.custom_op.general"]).toBe(1);
          const w = r.quant.filter((x) => x.on_initializer);
          const a = r.quant.filter((x) => !x.on_initializer);
          expect(w.length).toBe(c.conv + c.dense);
          for (const x of r.quant) {
            expect(x.domain).toBe("qonnx.custom_op.general");
            expect(x.rounding_mode).toBe("ROUND");
            expect(x.zeropt).toBe(0);
            expect(x.bitwidth_ndim).toBe(0);
          }
          for (const x of w) expect([x.signed, x.narrow]).toEqual([1, 1]);
          for (const x of a) expect([x.signed, x.narrow, x.bitwidth]).toEqual([0, 0, 4]);
          // 8 bits at the first conv and the dense layer, 4 elsewhere
          expect(w.map((x) => x.bitwidth)).toEqual(w.map((x) => (x.name.startsWith("stem0.conv.") || x.name.startsWith("head.fc.") ? 8 : 4)));
          // each activation scale is its ReLU's running maximum over 2^4 - 1, as float32
          for (const x of a) {
            const relu = x.name.replace(/\.quant$/, "");
            const actmax = m.stats.get(relu + ACT_STAT)!.dataSync()[0];
            expect(x.scale, relu).toBe(quantScale(actmax, 15));
          }
          expect(s.activationQuants).toBe(a.length);
        }

        // the numbers: the executor's logits against our eval forward
        const ours = evalLogits(m, nhwc, net);
        const diffs = ours.map((row, i) => maxAbsDiff(row, r.logits[i]));
        const top = Math.max(...ours.flat().map(Math.abs));
        const bound = FLOAT_BOUND * Math.max(1, top);
        const off = diffs.map((d, i) => i).filter((i) => diffs[i] > bound);
        let line = `  ${tag}: max |logit diff| ${Math.max(...diffs).toExponential(2)} (logits up to ${top.toFixed(2)}; bound ${bound.toExponential(1)})`;
        if (quantised) {
          // had the export left the quantisers out, the logits would be the float forward's: far from the executor's
          useQuant(m, float);
          const floatLogits = evalLogits(m, nhwc, net);
          useQuant(m, config);
          const quantEffect = Math.max(...floatLogits.map((row, i) => maxAbsDiff(row, r.logits[i])));
          expect(quantEffect).toBeGreaterThan(100 * bound);
          // Ours and the executor's sums differ by float rounding (~1e-7 relative), so a ReLU output whose x / scale
          // lay within ~1e-6 of k + 1/2 could round to the other integer and move the logits by more than rounding.
          // On these fixed inputs none does (0 of 48 images), so every image must be within the bound: a change that
          // breaks this shows the image's near-tie count (inputs within TIE_WINDOW = 1e-3 steps of a tie) to tell
          // a rounding tie from a real difference.
          for (const i of off) expect.fail(`image ${i}: logits differ by ${diffs[i]} (near-ties in it: ${r.near_ties[i]})`);
          line += `; near-ties (within ${TIE_WINDOW} step) per image ${Math.min(...r.near_ties)}-${Math.max(...r.near_ties)}; without the quantisers the logits would differ by ${quantEffect.toFixed(3)}`;
        } else {
          expect(off).toEqual([]);
        }
        summary.push(line);
      });
    }
  }

  it("has teeth: a wrong activation scale (one ReLU's maximum x1.25) is far outside the bound", async () => {
    const { m, config } = model(resnet8(), quant4, 40);
    const ck = makeCheckpoint(m, null, config, 0, [], null, {});
    const key = "s1b0.u0.relu" + ACT_STAT;
    expect(ck.stats[key]).toBeDefined();
    const values = ck.stats[key].values.slice();
    values[0] *= 1.25;
    const file = path.join(dir, "wrong-scale.onnx");
    fs.writeFileSync(file, exportQonnx({ ...ck, stats: { ...ck.stats, [key]: { shape: ck.stats[key].shape, values } } }).bytes);
    const net = resnet8();
    const { nhwc, nchw } = images(5, net);
    const r = await check(file, nchw);
    const ours = evalLogits(m, nhwc, net);
    const worst = Math.max(...ours.map((row, i) => maxAbsDiff(row, r.logits[i])));
    console.log(`wrong activation scale: max |logit diff| ${worst.toExponential(2)}`);
    expect(worst).toBeGreaterThan(100 * FLOAT_BOUND);
  });
});

describe("errors name what is wrong", () => {
  it("a checkpoint that does not exist, a missing flag, an unknown flag", async () => {
    const missing = path.join(dir, "no-such.ckpt");
    const r = await runScript(SCRIPT, ["--checkpoint", missing, "--out", path.join(dir, "x.onnx")]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${missing}: checkpoint not found`);
    expect(fs.existsSync(path.join(dir, "x.onnx"))).toBe(false);
    const noOut = await runScript(SCRIPT, ["--checkpoint", missing]);
    expect(noOut.status).toBe(2);
    expect(noOut.stderr).toMatch(/--out: give the ONNX file/);
    const bad = await runScript(SCRIPT, ["--checkpoint", missing, "--out", "x.onnx", "--bits", "4"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--bits/);
  });

  it("a model kind the exporter cannot write, a quantised checkpoint without its activation scales, a wrong shape", () => {
    const qn = quartznet5x5();
    expect(() => exportQonnx({ net: qn, config: float, params: {}, stats: {} }, { source: "qn.ckpt" })).toThrow(ExportError);
    expect(() => exportQonnx({ net: qn, config: float, params: {}, stats: {} }, { source: "qn.ckpt" })).toThrow(/qn\.ckpt: quartznet.* "conv1x1" head/);
    const { m, config } = model(resnet8(), quant4, 41);
    const ck = makeCheckpoint(m, null, config, 0, [], null, {});
    const stats = Object.fromEntries(Object.entries(ck.stats).filter(([k]) => k !== "stem0.relu" + ACT_STAT));
    expect(() => exportQonnx({ ...ck, stats }, { source: "q.ckpt" })).toThrow(/q\.ckpt: .*no activation scale "stem0\.relu\.actmax"/);
    const params = { ...ck.params, "s0b0.u0.conv.weight": { shape: [3, 3, 16, 8], values: new Float32Array(3 * 3 * 16 * 8) } };
    expect(() => exportQonnx({ ...ck, params }, { source: "q.ckpt" })).toThrow(/weight "s0b0\.u0\.conv\.weight" has shape \[3,3,16,8\], the network needs \[3,3,16,16\]/);
  });
});

describe("the export script", () => {
  it("exports a checkpoint file, records the normalisation of results.json beside it, and prints what it wrote", async () => {
    const { m, config } = model(withSkip(resnet8({ form: "shortenable" }), 1, "shortened"), quant4, 42);
    const run = path.join(dir, "run");
    fs.mkdirSync(run);
    const ckFile = path.join(run, "best.ckpt");
    writeCheckpointFile(ckFile, makeCheckpoint(m, null, config, 0, [], null, {}));
    const norm = { mean: [0.49, 0.48, 0.45], std: [0.25, 0.24, 0.26] };
    fs.writeFileSync(path.join(run, "results.json"), JSON.stringify({ normalisation: norm }));
    const out = path.join(dir, "out", "student.onnx");
    const r = await runScript(SCRIPT, ["--checkpoint", ckFile, "--out", out]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`wrote ${out}`);
    expect(r.stdout).toMatch(/skips long,shortened,long, w4a4 \(edges 8\)/);
    expect(r.stdout).toMatch(/QONNX Quant nodes: 10 on weights, 8 on ReLU outputs/);
    const c = await check(out);
    expect(c.check_model).toBe("ok");
    expect(JSON.parse(c.metadata["tailor.input_normalisation"])).toEqual(norm);
    expect(c.metadata["tailor.skip_modes"]).toBe("long,shortened,long");
    // the same bytes as the library writes
    expect(Buffer.compare(fs.readFileSync(out), Buffer.from(exportQonnx(makeCheckpoint(m, null, config, 0, [], null, {}), { normalisation: norm as never }).bytes))).toBe(0);
  });
});
