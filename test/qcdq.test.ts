// The QCDQ export (src/export/qcdq-quant.ts) of the committed QAT runs, run by an independent executor: ONNX Runtime
// (onnxruntime-node) on real CIFAR-10 test images, against our eval forward pass of the same checkpoint. What must
// be equal is checked exactly, in three parts:
//  1. the weights: the file's integer codes times its scale are, bit for bit, the fake-quantised weights our forward
//     pass uses (quantWeight on the native backend);
//  2. the quantisers: on every activation quantiser of the network, over every value of the 200 images, the codes
//     ORT's QuantizeLinear (-> Clip) writes are round-half-even(x / s) clamped to [0, 2^b - 1] of ORT's own input
//     x (our quantiser's function, native/src/quant.cc);
//  3. so the two executions differ only in float arithmetic order (conv, batch norm, add), as the float exports do
//     (1e-5, test/import-onnx.test.ts). That order flips a code where x / s lies within rounding of k + 1/2; a
//     flipped code moves one activation by one step and the logits by more than 1e-4. The logits are therefore
//     compared per image: images without a flip agree within 1e-4, the others keep their top-1 class; the figures are
//     printed. A wrong scale (one activation quantiser's scale x1.25) is far outside (the test's teeth).
import * as tf from "@tensorflow/tfjs";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { onnx } from "onnx-proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Normalisation } from "../src/data/batches.js";
import { convWeightOIHW } from "../src/export/onnx-layout.js";
import { exportQonnx } from "../src/export/qonnx.js";
import type { ConvLayer } from "../src/net/index.js";
import { modelFromCheckpoint } from "../src/train/checkpoint.js";
import { readCheckpointFile } from "../src/train/checkpoint-file.js";
import { predictNchw } from "../src/train/predict.js";
import { quantSpecOf, quantWeight, weightBitsOf } from "../src/train/quant.js";
import { cifarNchw, cifarTestBytes } from "./helpers/cifar-nchw.js";
import { codesOff, compareLogits, floatsOf as floats, FLOAT_ORDER, int8sOf as int8s, ortRun as ortRun_, withQuantiserTaps } from "./helpers/ort-qcdq.js";
import { runCommand } from "./helpers/spawn.js";
import { useNativeBackend } from "./helpers/native-backend.js";

const ROOT = path.resolve(__dirname, "..");
const RUNS = path.join(ROOT, "data", "runs", "depth");
const N = 200;
let dir = "";
let cifar: Uint8Array;

beforeAll(async () => {
  await useNativeBackend();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-qcdq-"));
  cifar = await cifarTestBytes();
}, 600_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const run = (id: string) => ({ ck: readCheckpointFile(path.join(RUNS, id, "best.ckpt")), norm: JSON.parse(fs.readFileSync(path.join(RUNS, id, "results.json"), "utf8")).normalisation as Normalisation });

const ortRun = (bytes: Uint8Array, x: Float32Array, level: "disabled" | "all" = "disabled", outputs?: string[]) => ortRun_(bytes, x, N, level, outputs);
const compare = compareLogits;

const QAT_RUNS = ["resnet8/qat8-teacher", "resnet8/qat4-shortener", "resnet8/qat4-remover", "resnet20/qat8-shortener", "resnet20/qat4-teacher-shortenable"];
const measured: string[] = [];
afterAll(() => console.log(`QCDQ vs our eval forward (ORT, ${N} CIFAR-10 test images):\n  ${measured.join("\n  ")}`));

describe("QCDQ export of the committed QAT runs, run by ONNX Runtime", () => {
  for (const id of QAT_RUNS) {
    it(`${id}: standard ops only, valid ONNX, weights and quantisers exact, logits as our forward's`, async () => {
      const { ck, norm } = run(id);
      const q = quantSpecOf(ck.config)!;
      expect(q).not.toBeNull();
      const { bytes, summary } = exportQonnx(ck, { format: "qcdq", normalisation: norm });
      const file = path.join(dir, `${id.replace("/", "-")}.qcdq.onnx`);
      fs.writeFileSync(file, bytes);

      // standard ONNX: no QONNX op or domain, and onnx.checker (Debian's python3-onnx) accepts it with shape inference
      expect(summary.ops.Quant).toBeUndefined();
      const sub8Weights = q.weightBits < 8 ? summary.weightQuants - 2 : 0; // the edges (first conv, last dense) are 8-bit
      expect(summary.ops.DequantizeLinear).toBe(summary.weightQuants + summary.activationQuants);
      expect(summary.ops.QuantizeLinear).toBe(summary.activationQuants + sub8Weights);
      expect(summary.ops.Clip ?? 0).toBe(q.actBits < 8 ? summary.activationQuants + sub8Weights : 0);
      const model = onnx.ModelProto.decode(bytes);
      expect(model.opsetImport!.map((o) => o.domain)).toEqual([""]);
      const chk = await runCommand("/usr/bin/python3", ["-c", "import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True); print('ok')", file]);
      expect(chk.stderr).toBe("");
      expect(chk.stdout.trim()).toBe("ok");

      // 1. weights: codes x scale = our forward's fake-quantised weights, bit for bit
      const m = modelFromCheckpoint(ck, id);
      const inits = new Map(model.graph!.initializer!.map((t) => [t.name!, t]));
      for (const l of m.graph.layers.filter((l) => l.op === "conv" || l.op === "dense")) {
        const ours = tf.tidy(() => quantWeight(m, l, m.params.get(`${l.name}.weight`)!).dataSync() as Float32Array);
        const want = l.op === "conv" ? convWeightOIHW(l as ConvLayer, ours, id).values : ours;
        const bits = weightBitsOf(q, m.graph, l);
        const scale = floats(inits.get(`${l.name}.weight_q.scale`)!)[0];
        const file8 = bits === 8 ? Float32Array.from(int8s(inits.get(`${l.name}.weight_int8`)!), (c) => Math.fround(c * scale)) : floats(inits.get(`${l.name}.weight_dequantised`)!);
        expect(file8.length, l.name).toBe(want.length);
        let off = 0;
        for (let i = 0; i < want.length; i++) if (file8[i] !== want[i]) off++;
        expect(off, `${l.name}: weights differing from quantWeight's`).toBe(0);
      }

      // 2. quantisers: ORT's codes are our quantiser of ORT's own input, everywhere
      const { x } = cifarNchw(cifar, N, norm);
      const tapped = withQuantiserTaps(bytes);
      expect(tapped.taps.length).toBe(summary.activationQuants);
      const r = await ortRun(tapped.bytes, x, "disabled", ["logits", ...tapped.taps.flatMap((t) => [t.pre, t.codes])]);
      let values = 0;
      for (const t of tapped.taps) {
        const pre = r[t.pre].data as Float32Array;
        const codes = r[t.codes].data as Uint8Array;
        expect(codesOff(pre, codes, t.scale, t.qmax), `${t.codes}: codes that are not round(x / s) clamped`).toBe(0);
        values += pre.length;
      }

      // 3. logits: ours against ORT's, and against ORT with its own graph optimisations (reported)
      const ort0 = r.logits.data as Float32Array;
      const ours = predictNchw(m, x, N);
      const c = compare(ours, ort0, 10);
      const all = compare(ours, (await ortRun(bytes, x, "all")).logits.data as Float32Array, 10);
      measured.push(
        `${id} (${summary.quant}): ${values.toLocaleString("en")} activation codes equal; logits max |diff| ${c.maxAbs.toExponential(2)}, ${c.exact}/${N} images within ${FLOAT_ORDER}, top-1 agrees ${c.top1}/${N}` +
          `; ORT at graphOptimizationLevel "all": ${all.maxAbs.toExponential(2)}, ${all.exact}/${N} within, top-1 ${all.top1}/${N}`,
      );
      // Images without a flipped code agree within float order (how many depends on how many values sit near a tie:
      // 64% to 99.5% of the images here, fewer at 8 bits, whose grid is finer; printed, not asserted). A flipped code
      // moves the logits by a few hundredths to tenths (measured at most 0.30): bounded at 0.5, where one wrong scale
      // (the teeth) moves them by more than 1, and the predicted class must stay in 99% of the images (measured: all of them).
      expect(c.top1).toBeGreaterThanOrEqual(0.99 * N);
      expect(c.maxAbs).toBeLessThan(0.5);
    }, 300_000);
  }

  it("has teeth: one activation quantiser's scale x1.25 is far outside the bound", async () => {
    const { ck, norm } = run("resnet8/qat4-shortener");
    const m = onnx.ModelProto.decode(exportQonnx(ck, { format: "qcdq" }).bytes);
    const s = m.graph!.initializer!.find((t) => t.name!.endsWith(".scale") && !t.name!.includes("weight"))!;
    const v = floats(s);
    s.rawData = new Uint8Array(Buffer.from(Float32Array.of(v[0] * 1.25).buffer));
    const { x } = cifarNchw(cifar, N, norm);
    const c = compare(predictNchw(modelFromCheckpoint(ck, "teeth"), x, N), (await ortRun(onnx.ModelProto.encode(m).finish(), x)).logits.data as Float32Array, 10);
    measured.push(`teeth (resnet8/qat4-shortener, ${s.name} x1.25): max |diff| ${c.maxAbs.toFixed(2)}, ${c.exact}/${N} within, top-1 agrees ${c.top1}/${N}`);
    expect(c.exact).toBeLessThan(0.1 * N);
    expect(c.maxAbs).toBeGreaterThan(1);
  }, 120_000);

  it("a float run: the QCDQ export is the plain float export, and ORT runs it within 1e-4 of our forward", async () => {
    const { ck, norm } = run("resnet8/teacher");
    const a = exportQonnx(ck, { format: "qcdq", normalisation: norm });
    expect(Buffer.from(a.bytes).equals(Buffer.from(exportQonnx(ck, { normalisation: norm }).bytes))).toBe(true);
    const { x } = cifarNchw(cifar, N, norm);
    const c = compare(predictNchw(modelFromCheckpoint(ck, "float"), x, N), (await ortRun(a.bytes, x)).logits.data as Float32Array, 10);
    measured.push(`resnet8/teacher (float): max |diff| ${c.maxAbs.toExponential(2)}, top-1 agrees ${c.top1}/${N}`);
    expect(c.maxAbs).toBeLessThan(FLOAT_ORDER);
  }, 120_000);
});
