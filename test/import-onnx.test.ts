// import:onnx and predict, checked against an independent executor: ONNX Runtime (onnxruntime-node) runs the ONNX
// file, our inference path (src/infer/) runs the imported checkpoint, on real CIFAR-10 test images normalised as each
// run was; the original checkpoint's training-path eval forward is the second reference.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { onnx } from "onnx-proto";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Normalisation } from "../src/data/batches.js";
import { exportQonnx } from "../src/export/qonnx.js";
import { ImportError, importOnnx, writeImport } from "../src/import/onnx-import.js";
import { modelFromCheckpoint, type Checkpoint } from "../src/train/checkpoint.js";
import { readCheckpointFile } from "../src/train/checkpoint-file.js";
import { predictInferNchw } from "../src/infer/index.js";
import { predictNchw } from "../src/train/predict.js";
import { decodeNpy, encodeNpy } from "../src/util/npy.js";
import { cifarNchw, cifarTestBytes } from "./helpers/cifar-nchw.js";
import { runCommand, runScript } from "./helpers/spawn.js";
import { useNativeBackend } from "./helpers/native-backend.js";

const ROOT = path.resolve(__dirname, "..");
const RUNS = path.join(ROOT, "data", "runs", "depth");
const N = 200;
let dir = "";
let images: Uint8Array;

beforeAll(async () => {
  await useNativeBackend();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-import-"));
  images = await cifarTestBytes();
}, 600_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** the first N test images, normalised as the run was trained, NCHW */
const batchNchw = (norm: Normalisation) => cifarNchw(images, N, norm).x;

async function ortLogits(bytes: Uint8Array, x: Float32Array): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: "disabled", intraOpNumThreads: 1 });
  const r = await s.run({ [s.inputNames[0]]: new ort.Tensor("float32", x, [N, 3, 32, 32]) });
  return r[s.outputNames[0]].data as Float32Array;
}

const maxAbs = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const measured: Record<string, string> = {};

describe("ONNX round trip: our export, imported, against ONNX Runtime", () => {
  const RUN_IDS = ["resnet8/teacher", "resnet8/teacher-shortenable", "resnet20/shortener", "resnet20/remover"];
  for (const id of RUN_IDS) {
    it(`${id}: same NetSpec (skip modes included), logits within 1e-4 of ONNX Runtime's and of the checkpoint's`, async () => {
      const ck = readCheckpointFile(path.join(RUNS, id, "best.ckpt"));
      const norm = JSON.parse(fs.readFileSync(path.join(RUNS, id, "results.json"), "utf8")).normalisation as Normalisation;
      const { bytes } = exportQonnx(ck, { normalisation: norm });
      const file = path.join(dir, `${id.replace("/", "-")}.onnx`);
      fs.writeFileSync(file, bytes);
      const imp = importOnnx(fs.readFileSync(file), file);
      expect(imp.checkpoint.net).toEqual(ck.net);
      expect(JSON.stringify(imp.checkpoint.net)).toBe(JSON.stringify(ck.net)); // key order too: train --teacher compares JSON
      expect(imp.normalisation).toEqual(norm);
      // and in the checkpoint's own config, which goes with best.ckpt wherever it is copied
      expect(imp.checkpoint.config.inputNorm).toEqual([...norm.mean, ...norm.std]);
      const x = batchNchw(norm);
      const ref = await ortLogits(bytes, x);
      const ours = predictInferNchw(modelFromCheckpoint(imp.checkpoint, file), x, N);
      const orig = predictNchw(modelFromCheckpoint(ck, id), x, N);
      const dOrt = maxAbs(ours, ref);
      const dOrig = maxAbs(ours, orig);
      measured[id] = `vs ORT ${dOrt.toExponential(2)}, vs checkpoint ${dOrig.toExponential(2)}`;
      console.log(`${id}: max |imported - ORT| ${dOrt.toExponential(2)}, max |imported - original| ${dOrig.toExponential(2)}, logit range ${Math.min(...ref).toFixed(2)}..${Math.max(...ref).toFixed(2)}`);
      expect(dOrt).toBeLessThan(1e-4);
      expect(dOrig).toBeLessThan(1e-4);
      // a network that predicts: the logits are not all alike
      expect(Math.max(...ref) - Math.min(...ref)).toBeGreaterThan(1);
    }, 120_000);
  }
});

/** our exporter's resnet8 teacher, decoded for editing */
function teacherModel(): { ck: Checkpoint; model: onnx.ModelProto } {
  const ck = readCheckpointFile(path.join(RUNS, "resnet8/teacher/best.ckpt"));
  return { ck, model: onnx.ModelProto.decode(exportQonnx(ck).bytes) };
}
const encode = (m: onnx.ModelProto) => onnx.ModelProto.encode(m).finish();
const floatsOf = (t: onnx.ITensorProto) => {
  const b = Buffer.from(t.rawData!);
  return Float32Array.from({ length: b.length / 4 }, (_, i) => b.readFloatLE(i * 4));
};
const rawOf = (v: Float32Array) => new Uint8Array(Buffer.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)));

describe("ONNX import: the other spellings of the family, against ONNX Runtime", () => {
  it("BN folded into conv biases, Gemm (transB), ReduceMean, no input ReLU at the first block (torchvision's form)", async () => {
    const { ck, model } = teacherModel();
    const g = model.graph!;
    const init = new Map(g.initializer!.map((t) => [t.name!, t]));
    // every BatchNormalization folded into its conv, as torch.onnx.export does in eval mode
    for (const bn of g.node!.filter((n) => n.opType === "BatchNormalization")) {
      const conv = g.node!.find((n) => n.output![0] === bn.input![0])!;
      const [s, b, m, v] = bn.input!.slice(1).map((k) => floatsOf(init.get(k)!));
      const w = floatsOf(init.get(conv.input![1])!);
      const per = w.length / s.length;
      const k = s.map((x, c) => x / Math.sqrt(v[c] + 1e-5));
      init.get(conv.input![1])!.rawData = rawOf(w.map((x, i) => x * k[Math.floor(i / per)]));
      const bias = `${conv.name}.folded_bias`;
      g.initializer!.push({ name: bias, dataType: 1, dims: [s.length], rawData: rawOf(b.map((x, c) => x - m[c] * k[c])) });
      conv.input = [conv.input![0], conv.input![1], bias];
      conv.output = bn.output;
      g.node = g.node!.filter((n) => n !== bn);
    }
    // Gemm with transB = 1 for MatMul + Add
    const mm = g.node!.find((n) => n.opType === "MatMul")!;
    const biasAdd = g.node!.find((n) => n.input![0] === mm.output![0])!;
    const w = floatsOf(init.get(mm.input![1])!);
    const [cin, cout] = init.get(mm.input![1])!.dims!.map(Number);
    init.get(mm.input![1])!.rawData = rawOf(Float32Array.from({ length: w.length }, (_, i) => w[(i % cin) * cout + Math.floor(i / cin)]));
    init.get(mm.input![1])!.dims = [cout, cin];
    const gemm = onnx.NodeProto.create({ opType: "Gemm", name: "fc", input: [mm.input![0], mm.input![1], biasAdd.input![1]], output: biasAdd.output, attribute: [{ name: "transB", type: onnx.AttributeProto.AttributeType.INT, i: 1 }] });
    g.node = g.node!.filter((n) => n !== mm && n !== biasAdd).concat([gemm]);
    // ReduceMean over H and W (keepdims 0) for GlobalAveragePool + Flatten
    const gap = g.node!.find((n) => n.opType === "GlobalAveragePool")!;
    const flat = g.node!.find((n) => n.opType === "Flatten")!;
    const rm = onnx.NodeProto.create({ opType: "ReduceMean", name: "pool", input: gap.input, output: flat.output, attribute: [{ name: "axes", type: onnx.AttributeProto.AttributeType.INTS, ints: [2, 3] }, { name: "keepdims", type: onnx.AttributeProto.AttributeType.INT, i: 0 }] });
    g.node = g.node!.filter((n) => n !== gap && n !== flat).concat([rm]);
    // the first block reads the stem's ReLU directly
    const reluIn = g.node!.find((n) => n.name === "s0b0.relu_in")!;
    for (const n of g.node!) n.input = n.input!.map((t) => (t === reluIn.output![0] ? reluIn.input![0] : t));
    g.node = g.node!.filter((n) => n !== reluIn);
    // ONNX wants nodes in topological order: re-sort by a walk from the input
    const order: onnx.INodeProto[] = [];
    const ready = new Set([g.input![0].name!, ...g.initializer!.map((t) => t.name!)]);
    while (order.length < g.node!.length) {
      const n = g.node!.find((x) => !order.includes(x) && x.input!.every((t) => ready.has(t)))!;
      order.push(n);
      n.output!.forEach((t) => ready.add(t));
    }
    g.node = order;
    g.valueInfo = [];
    const bytes = encode(model);
    const file = path.join(dir, "spellings.onnx");
    fs.writeFileSync(file, bytes);
    const imp = importOnnx(bytes, file);
    expect(imp.checkpoint.net).toEqual(ck.net);
    const norm = JSON.parse(fs.readFileSync(path.join(RUNS, "resnet8/teacher/results.json"), "utf8")).normalisation as Normalisation;
    const x = batchNchw(norm);
    const ref = await ortLogits(bytes, x);
    const ours = predictInferNchw(modelFromCheckpoint(imp.checkpoint, file), x, N);
    const orig = predictNchw(modelFromCheckpoint(ck, "teacher"), x, N);
    const d = maxAbs(ours, ref);
    measured["resnet8/teacher, folded BN + Gemm + ReduceMean + no first input ReLU"] = `vs ORT ${d.toExponential(2)}, vs checkpoint ${maxAbs(ours, orig).toExponential(2)}`;
    expect(d).toBeLessThan(1e-4);
    expect(maxAbs(ours, orig)).toBeLessThan(1e-4);
  }, 120_000);
});

describe("ONNX import: bad input is a clear error, and nothing is written", () => {
  const cases: [string, () => Uint8Array, RegExp][] = [
    ["random bytes", () => Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24), /not (a readable )?ONNX model|not an ONNX model/],
    ["a truncated file", () => exportQonnx(teacherModel().ck).bytes.subarray(0, 30_000), /not a readable ONNX model.*truncated|truncated/],
    [
      "an unsupported op (a Relu made a Sigmoid)",
      () => {
        const { model } = teacherModel();
        const n = model.graph!.node!.find((x) => x.opType === "Relu" && x.name === "s0b0.u0.relu")!;
        n.opType = "Sigmoid";
        return encode(model);
      },
      /Sigmoid node "s0b0\.u0\.relu" \(inputs s0b0\.u0\.bn\): op Sigmoid is not supported/,
    ],
    [
      "a missing initializer",
      () => {
        const { model } = teacherModel();
        model.graph!.initializer = model.graph!.initializer!.filter((t) => t.name !== "s1b0.u1.conv.weight");
        return encode(model);
      },
      /Conv node "s1b0\.u1\.conv" \(inputs s1b0\.u0\.relu, s1b0\.u1\.conv\.weight\): its weight "s1b0\.u1\.conv\.weight" is not an initializer/,
    ],
    [
      "NaN weights",
      () => {
        const { model } = teacherModel();
        const t = model.graph!.initializer!.find((x) => x.name === "s2b0.proj.conv.weight")!;
        const raw = Buffer.from(t.rawData!);
        raw.writeFloatLE(NaN, 8);
        t.rawData = raw;
        return encode(model);
      },
      /Conv node "s2b0\.proj\.conv" .*initializer "s2b0\.proj\.conv\.weight" holds NaN at index 2/,
    ],
    [
      "a skip that joins no Add (the Add removed, the next block reads the main path)",
      () => {
        const { model } = teacherModel();
        model.graph!.node = model.graph!.node!.filter((x) => x.name !== "s1b0.add");
        model.graph!.node!.find((x) => x.name === "s2b0.relu_in")!.input = ["s1b0.u1.bn"];
        return encode(model);
      },
      /Relu node "s1b0\.relu_in" .* is read by Conv node "s1b0\.u0\.conv" .* and Conv node "s1b0\.proj\.conv" .*a tensor read twice must start a skip/,
    ],
    [
      "an opset outside 7..22",
      () => {
        const { model } = teacherModel();
        model.opsetImport = [{ domain: "", version: 30 }];
        return encode(model);
      },
      /ONNX opset 30; expected 7 to 22/,
    ],
    [
      "a skip that does not close (an Add's skip input replaced)",
      () => {
        const { model } = teacherModel();
        const add = model.graph!.node!.find((x) => x.name === "s0b0.add")!;
        add.input = [add.input![0], add.input![0]];
        return encode(model);
      },
      /Add node "s0b0\.add" \(inputs s0b0\.u1\.bn, s0b0\.u1\.bn\) reads the same tensor twice/,
    ],
    [
      "an input normalisation in the metadata on the 0-255 scale",
      () => {
        const { model } = teacherModel();
        const p = model.metadataProps!.find((x) => x.key === "tailor.input_normalisation")!;
        p.value = JSON.stringify({ mean: [125.3, 123, 113.9], std: [63, 62.1, 66.7] });
        return encode(model);
      },
      /metadata tailor\.input_normalisation is .*125\.3.*; expected \{"mean": \[3 numbers in \[0, 1\]\], "std": \[3 positive numbers\]\} or "unknown" \(give --mean and --std to override it\)/,
    ],
  ];
  for (const [what, make, message] of cases) {
    it(`${what}: an ImportError naming the file (and node), no folder`, async () => {
      const file = path.join(dir, `bad-${what.replace(/\W+/g, "-")}.onnx`);
      fs.writeFileSync(file, make());
      let err: unknown;
      try {
        importOnnx(fs.readFileSync(file), file);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ImportError);
      expect((err as Error).message.startsWith(`${file}: `)).toBe(true);
      expect((err as Error).message).toMatch(message);
      const out = path.join(dir, `out-${path.basename(file)}`);
      const r = await runScript(path.join(ROOT, "scripts", "import-onnx.ts"), ["--model", file, "--out", out]);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(file);
      expect(fs.existsSync(out)).toBe(false);
      expect(fs.readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    }, 60_000);
  }

  it("--out that exists as a file: an error, the file untouched", async () => {
    const file = path.join(dir, "ok.onnx");
    fs.writeFileSync(file, exportQonnx(teacherModel().ck).bytes);
    const out = path.join(dir, "a-file");
    fs.writeFileSync(out, "keep me");
    expect(() => writeImport(out, importOnnx(fs.readFileSync(file), file))).toThrow(/--out .*a-file: exists and is a file/);
    const r = await runScript(path.join(ROOT, "scripts", "import-onnx.ts"), ["--model", file, "--out", out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/exists and is a file/);
    expect(fs.readFileSync(out, "utf8")).toBe("keep me");
  }, 60_000);
});

describe("import:onnx and predict from the command line", () => {
  it("imports a teacher that train --teacher takes, and predict's logits equal ONNX Runtime's", async () => {
    const id = "resnet8/teacher-shortenable";
    const ck = readCheckpointFile(path.join(RUNS, id, "best.ckpt"));
    const norm = JSON.parse(fs.readFileSync(path.join(RUNS, id, "results.json"), "utf8")).normalisation as Normalisation;
    const bytes = exportQonnx(ck).bytes;
    const file = path.join(dir, "cli.onnx");
    fs.writeFileSync(file, bytes);
    const out = path.join(dir, "cli-import");
    const r = await runScript(path.join(ROOT, "scripts", "import-onnx.ts"), ["--model", file, "--out", out, "--mean", norm.mean.join(","), "--std", norm.std.join(",")]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(["best.ckpt", "config.json"]);
    const cfg = JSON.parse(fs.readFileSync(path.join(out, "config.json"), "utf8"));
    expect(cfg.imported.normalisation).toEqual(norm);
    expect(cfg.config).toMatchObject({ net: "resnet8", form: "shortenable", method: "teacher" });
    // train --teacher's own check of a teacher (src/train/teacher-check.ts) accepts it for SkipShortener
    const { configFromTeacher } = await import("../src/train/teacher-check.js");
    const { DEFAULT_CONFIG } = await import("../src/train/config.js");
    const imported = readCheckpointFile(path.join(out, "best.ckpt"));
    expect(configFromTeacher({ ...DEFAULT_CONFIG, method: "shortener", teacher: "x" }, imported.net, "x", new Set())).toMatchObject({ net: "resnet8", form: "shortenable" });

    const x = batchNchw(norm);
    const xFile = path.join(dir, "x.npy");
    fs.writeFileSync(xFile, encodeNpy([N, 3, 32, 32], x));
    const yFile = path.join(dir, "y.npy");
    const p = await runScript(path.join(ROOT, "scripts", "predict.ts"), ["--checkpoint", path.join(out, "best.ckpt"), "--input", xFile, "--out", yFile], { env: { OMP_NUM_THREADS: "1" } });
    expect(p.stderr).toBe("");
    expect(p.status).toBe(0);
    const y = decodeNpy(fs.readFileSync(yFile), yFile);
    expect(y.shape).toEqual([N, 10]);
    const d = maxAbs(y.data, await ortLogits(bytes, x));
    measured["predict CLI, resnet8/teacher-shortenable"] = `vs ORT ${d.toExponential(2)}`;
    expect(d).toBeLessThan(1e-4);

    // a second import into the same folder refuses and leaves it as it was
    const again = await runScript(path.join(ROOT, "scripts", "import-onnx.ts"), ["--model", file, "--out", out]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already holds best\.ckpt and config\.json/);
  }, 180_000);

  it("predict: a wrong shape names the file and the expected shape", async () => {
    const xFile = path.join(dir, "wrong.npy");
    fs.writeFileSync(xFile, encodeNpy([2, 32, 32, 3], new Float32Array(2 * 3072)));
    const yFile = path.join(dir, "wrong-out.npy");
    const p = await runScript(path.join(ROOT, "scripts", "predict.ts"), ["--checkpoint", path.join(RUNS, "resnet8/teacher/best.ckpt"), "--input", xFile, "--out", yFile]);
    expect(p.status).toBe(2);
    expect(p.stderr).toContain(`${xFile}: shape (2, 32, 32, 3), expected (N, 3, 32, 32) float32 NCHW`);
    expect(fs.existsSync(yFile)).toBe(false);
  }, 60_000);
});

describe(".npy files", () => {
  it("our writer and reader agree with NumPy (Debian's python3-numpy)", async () => {
    const shape = [2, 3, 4, 5];
    const v = Float32Array.from({ length: 120 }, (_, i) => Math.sin(i) * 1e3);
    const a = path.join(dir, "a.npy");
    fs.writeFileSync(a, encodeNpy(shape, v));
    const b = path.join(dir, "b.npy");
    const py = `import numpy as np; x = np.load("${a}"); assert x.dtype == np.float32 and x.shape == (2, 3, 4, 5); np.save("${b}", (x * 2).astype(np.float32)); print(float(x[1, 2, 3, 4]))`;
    const r = await runCommand("/usr/bin/python3", ["-c", py]);
    expect(r.stderr).toBe("");
    expect(Number(r.stdout)).toBe(v[119]);
    const back = decodeNpy(fs.readFileSync(b), b);
    expect(back.shape).toEqual(shape);
    expect(Array.from(back.data)).toEqual(Array.from(v, (x) => Math.fround(x * 2)));
  });
  it("refuses float64 and a truncated file, naming the file", () => {
    const f = "x.npy";
    const ok = encodeNpy([4], new Float32Array(4));
    expect(() => decodeNpy(ok.subarray(0, ok.length - 3), f)).toThrow(/^x\.npy: 13 data bytes for shape \(4\) of float32, expected 16/);
    const f8 = Buffer.from(ok);
    f8.write("<f8", f8.indexOf("<f4"), "latin1");
    expect(() => decodeNpy(f8, f)).toThrow(/^x\.npy: dtype '<f8', expected float32/);
  });
});

afterAll(() => console.log("measured max abs differences:", JSON.stringify(measured, null, 1)));
