// The inference path (src/infer/) against the training path's eval forward (src/train/model.ts `forward(m, x,
// false)`), and its fused conv kernel against tfjs's pure-JS cpu backend.
// - the fused conv (native/src/infer.cc through src/backend/native-infer.ts) on random inputs, every chain the plans
//   use, on both conv paths of this addon (CI runs this file again on an addon built without oneDNN);
// - batch norm folding against values worked by hand;
// - committed checkpoints on real CIFAR-10 test images: a float network's logits within 1e-4 of the eval forward's
//   and the same top-1; a quantised (QAT) network's logits bit for bit equal (its quantisers see the same values).
import * as tf from "@tensorflow/tfjs";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { referenceInferenceOps, type FusedConv, type PostOp, inferenceOps } from "../src/backend/inference-ops.js";
import { dnnlExpected, loadNativeAddon, type ConvPath, type NativeAddon } from "../src/backend/native-addon.js";
import { NATIVE_BACKEND, registerNativeBackend } from "../src/backend/native-kernels.js";
import { channelStats, epochBatches, splitTrainVal } from "../src/data/batches.js";
import { defaultDataDir, loadCifar10, type Cifar10 } from "../src/data/cifar10.js";
import { compilePlan, disposePlan, evaluatePlan, foldBatchNorm, runPlan } from "../src/infer/index.js";
import { modelFromCheckpoint } from "../src/train/checkpoint.js";
import { readCheckpointFile } from "../src/train/checkpoint-file.js";
import { splitSeedOf } from "../src/train/config.js";
import { evaluate } from "../src/train/evaluate.js";
import { disposeModel, forward } from "../src/train/model.js";
import { mulberry32 } from "../src/util/random.js";
import { ensureCifarCache } from "../scripts/cifar-cache.js";

const ROOT = path.resolve(__dirname, "..");
let addon: NativeAddon;

beforeAll(async () => {
  const a = loadNativeAddon();
  if (!a) throw new Error("native addon not built: run npm run build:native");
  addon = a;
  registerNativeBackend(addon);
  await tf.setBackend(NATIVE_BACKEND);
  await tf.ready();
});

function randomArray(n: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
}
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
};

/** [k, stride, pad before/after, cin, cout, h, w]: CIFAR ResNet layers, a 16-lane misfit, ResNet-50's stem, Keras "same" */
const GEOMETRIES: [number, number, [number, number], number, number, number, number][] = [
  [3, 1, [1, 1], 3, 16, 12, 12],
  [3, 1, [1, 1], 16, 16, 12, 12],
  [3, 2, [1, 1], 16, 32, 12, 12],
  [1, 2, [0, 0], 16, 32, 12, 12],
  [3, 1, [1, 1], 64, 64, 6, 6],
  [3, 2, [1, 1], 20, 24, 7, 9],
  [7, 2, [3, 3], 3, 64, 20, 20],
  [3, 2, [0, 1], 8, 8, 8, 8],
];
const CHAINS: PostOp[][] = [[], ["relu"], ["add"], ["add", "relu"], ["relu", "add"], ["relu", "relu"]];

function fusedCase(g: (typeof GEOMETRIES)[number], post: PostOp[], seed: number): FusedConv {
  const [k, s, [pb, pa], cin, cout, h, w] = g;
  const out = (n: number) => Math.floor((n + pb + pa - k) / s) + 1;
  return {
    shape: { h, w, cin, kh: k, kw: k, cout, oh: out(h), ow: out(w), stride: [s, s], pad: [[pb, pa], [pb, pa]], dilation: [1, 1] },
    filter: randomArray(k * k * cin * cout, seed),
    bias: randomArray(cout, seed + 1),
    post,
  };
}

describe("fused conv (bias, ReLU, skip add) against tfjs's cpu backend", () => {
  for (const convPath of ["onednn", "gemm"] as ConvPath[]) {
    it(`${convPath} path: every chain, ${GEOMETRIES.length} geometries, batch 3`, () => {
      if (convPath === "onednn" && !dnnlExpected()) {
        // an addon built without oneDNN refuses the path (and the fused conv runs the GEMM one: the other case)
        expect(addon.setConvPath("onednn")).toBe(false);
        return;
      }
      expect(addon.setConvPath(convPath)).toBe(true);
      try {
        let seed = 1;
        for (const g of GEOMETRIES)
          for (const post of CHAINS) {
            const c = fusedCase(g, post, (seed += 7));
            const n = 3;
            const x = randomArray(n * g[5] * g[6] * g[3], seed + 2);
            const skip = randomArray(n * c.shape.oh * c.shape.ow * c.shape.cout, seed + 3);
            const size = n * c.shape.oh * c.shape.ow * c.shape.cout;
            const ours = inferenceOps(NATIVE_BACKEND).fusedConv(c, n, x, post.includes("add") ? skip : null, new Float32Array(size));
            tf.setBackend("cpu");
            const ref = referenceInferenceOps.fusedConv(c, n, x, skip, new Float32Array(size));
            tf.setBackend(NATIVE_BACKEND);
            expect(ours.length).toBe(ref.length);
            // sums of up to 7*7*64 products of values in [-1, 1]: float32 rounding in another summation order
            expect(maxAbsDiff(ours, ref), `${g.join(" ")} chain [${post}]`).toBeLessThan(1e-4);
            // a chain ending in ReLU leaves no negative value; the values are not all zero
            if (post.at(-1) === "relu") expect(Math.min(...ours)).toBe(0);
            expect(Math.max(...ours.map(Math.abs))).toBeGreaterThan(0.5);
          }
      } finally {
        addon.setConvPath(addon.dnnlVersion() ? "onednn" : "gemm");
        tf.setBackend(NATIVE_BACKEND);
      }
    }, 120_000);
  }
  it("on one thread the 64-channel 3x3 stride-1 layers run on oneDNN's Winograd kernels (blocked copies): every chain", () => {
    const threads = addon.threads();
    addon.setThreads(1);
    try {
      // 64 -> 64 at 8x8 as in ResNet-20/56's last stage; batch 4 (oneDNN takes its small-batch kernel at batch 1, which the path declines)
      let seed = 500;
      const winograd: string[] = [];
      for (const post of CHAINS) {
        const c = fusedCase([3, 1, [1, 1], 64, 64, 8, 8], post, (seed += 7));
        const n = 4;
        const size = n * 8 * 8 * 64;
        const x = randomArray(size, seed + 2);
        const skip = randomArray(size, seed + 3);
        const ours = inferenceOps(NATIVE_BACKEND).fusedConv(c, n, x, post.includes("add") ? skip : null, new Float32Array(size));
        if (/wino/.test(inferenceOps(NATIVE_BACKEND).describe(c, n))) winograd.push(post.join(","));
        tf.setBackend("cpu");
        const ref = referenceInferenceOps.fusedConv(c, n, x, skip, new Float32Array(size));
        tf.setBackend(NATIVE_BACKEND);
        // Winograd's transforms round otherwise than a direct sum of 576 products in [-1, 1]
        expect(maxAbsDiff(ours, ref), `chain [${post}]`).toBeLessThan(1e-4);
        if (post.at(-1) === "relu") expect(Math.min(...ours)).toBe(0);
      }
      // oneDNN's Winograd kernels need AVX-512; an addon without oneDNN runs every chain on the fallback (checked above)
      const avx512 = fs.readFileSync("/proc/cpuinfo", "utf8").includes("avx512f");
      // (the ResNet chains at least: the conv + ReLU of a unit, and the add + ReLU that closes it)
      if (dnnlExpected() && avx512 && addon.winograd()) expect(winograd).toEqual(expect.arrayContaining(["relu", "add,relu"]));
      else expect(winograd).toEqual([]);
    } finally {
      addon.setThreads(threads);
      tf.setBackend(NATIVE_BACKEND);
    }
  }, 120_000);

  it("a chain that adds without a skip is an error naming it", () => {
    const c = fusedCase(GEOMETRIES[1], ["add"], 5);
    expect(() => inferenceOps(NATIVE_BACKEND).fusedConv(c, 1, randomArray(12 * 12 * 16, 6), null, new Float32Array(12 * 12 * 16))).toThrow(/adds a skip, and none was given/);
  });
});

describe("batch norm folded into the conv", () => {
  it("matches values worked by hand", () => {
    // one input channel, two output channels, 1x1: filter [2, -1], bias [0.5, 0]
    // s = gamma / sqrt(var + 1e-5): gamma [2, 1], var [3.99999, 0.24999] -> s = [1, 2]
    const bn = { gamma: Float32Array.of(2, 1), beta: Float32Array.of(0.25, -1), mean: Float32Array.of(1, 0.5), variance: Float32Array.of(3.99999, 0.24999) };
    const f = foldBatchNorm(Float32Array.of(2, -1), Float32Array.of(0.5, 0), 2, bn);
    // w' = [2 * 1, -1 * 2]; b' = [(0.5 - 1) * 1 + 0.25, (0 - 0.5) * 2 - 1]
    expect(Array.from(f.filter)).toEqual([2, -2].map((v) => Math.fround(v)));
    expect(f.bias[0]).toBeCloseTo(-0.25, 6);
    expect(f.bias[1]).toBeCloseTo(-2, 6);
    const none = foldBatchNorm(Float32Array.of(1, 2), null, 2, null);
    expect(Array.from(none.bias)).toEqual([0, 0]);
  });
});

describe("committed checkpoints: the inference path against the training path's eval forward", () => {
  const N = 2000;
  let data: Cifar10;
  beforeAll(() => {
    // the CIFAR-10 cache, built as reproduce builds it when a fresh clone lacks it
    ensureCifarCache(defaultDataDir(), () => {});
    data = loadCifar10(defaultDataDir());
  }, 600_000);
  afterAll(() => tf.setBackend(NATIVE_BACKEND));

  const RUNS: [string, "float" | "quantised"][] = [
    ["depth/resnet8/teacher", "float"],
    ["depth/resnet8/noskip", "float"],
    ["depth/resnet20/shortener", "float"],
    ["depth/resnet56/remover", "float"],
    ["depth/resnet8/qat4-remover", "quantised"],
    ["depth/resnet20/qat8-shortener", "quantised"],
  ];
  for (const [run, kind] of RUNS) {
    it(`${run} (${kind}): ${kind === "float" ? "logits within 1e-4, same top-1" : "logits bit for bit equal"} on ${N} test images`, async () => {
      const file = path.join(ROOT, "data", "runs", run, "best.ckpt");
      expect(fs.existsSync(file), file).toBe(true);
      const ck = readCheckpointFile(file);
      expect(ck.config.quantWeightBits ? "quantised" : "float").toBe(kind);
      const norm = channelStats(data.train, splitTrainVal(data.train.count, ck.config.valSize, splitSeedOf(ck.config)).train);
      const m = modelFromCheckpoint(ck, file);
      const plan = compilePlan(m);
      try {
        expect(plan.exact).toBe(kind === "quantised");
        // a float plan fuses: fewer steps than layers
        if (kind === "float") expect(plan.steps.length).toBeLessThan(plan.graph.layers.length / 2);
        const idx = Int32Array.from({ length: N }, (_, i) => i);
        let worst = 0;
        let unequal = 0;
        let differentTop1 = 0;
        const classes = m.net.head.classes;
        const argmax = (v: Float32Array, i: number) => {
          let best = 0;
          for (let k = 1; k < classes; k++) if (v[i * classes + k] > v[i * classes + best]) best = k;
          return best;
        };
        // the inference path's batch (250) differs from the reference's (500): values must not depend on it
        for (const b of epochBatches(data.test, idx, 500, norm, null)) {
          const ref = tf.tidy(() => forward(m, tf.tensor4d(b.x, [b.n, 32, 32, 3]), false).dataSync() as Float32Array);
          const ours = new Float32Array(ref.length);
          for (let s = 0; s < b.n; s += 250) ours.set(runPlan(plan, b.x.subarray(s * 3072, (s + 250) * 3072), 250), s * classes);
          worst = Math.max(worst, maxAbsDiff(ours, ref));
          for (let i = 0; i < ref.length; i++) unequal += ours[i] !== ref[i] ? 1 : 0;
          for (let i = 0; i < b.n; i++) differentTop1 += argmax(ours, i) !== argmax(ref, i) ? 1 : 0;
          // let vitest's worker answer its runner between batches (a long synchronous test times its RPC out)
          await new Promise((r) => setImmediate(r));
        }
        console.log(`${run}: max |inference - eval forward| ${worst.toExponential(2)}, ${unequal} of ${N * classes} logits differ`);
        expect(differentTop1).toBe(0);
        if (kind === "float") expect(worst).toBeLessThan(1e-4);
        else expect(unequal).toBe(0);
      } finally {
        disposePlan(plan);
        disposeModel(m);
      }
    }, 300_000);
  }

  it("evaluatePlan scores as evaluate does (resnet8 teacher, 1000 images)", () => {
    const file = path.join(ROOT, "data", "runs", "depth/resnet8/teacher/best.ckpt");
    const ck = readCheckpointFile(file);
    const norm = channelStats(data.train, splitTrainVal(data.train.count, ck.config.valSize, splitSeedOf(ck.config)).train);
    const m = modelFromCheckpoint(ck, file);
    const plan = compilePlan(m);
    try {
      const idx = Int32Array.from({ length: 1000 }, (_, i) => 3 * i);
      const ref = evaluate(m, data.test, idx, norm, 500);
      const ours = evaluatePlan(plan, data.test, idx, norm, 400);
      expect(ours.count).toBe(1000);
      expect(ours.top1).toBe(ref.top1);
      expect(ours.top5).toBe(ref.top5);
      expect(Math.abs(ours.loss - ref.loss)).toBeLessThan(1e-5);
      // a trained network: far above chance
      expect(ours.top1).toBeGreaterThan(0.5);
    } finally {
      disposePlan(plan);
      disposeModel(m);
    }
  }, 120_000);
});
