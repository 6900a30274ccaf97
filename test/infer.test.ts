// The inference path (src/infer/) against the training path's eval forward (src/train/model.ts `forward(m, x,
// false)`), and its fused conv kernel against tfjs's pure-JS cpu backend.
// - the fused conv (native/src/infer.cc through src/backend/native-infer.ts) on random inputs, every chain the plans
//   use, on both conv paths of this addon (CI runs this file again on an addon built without oneDNN);
// - the quantised conv (the training path's conv, then native/src/quant_epilogue.cc) against the separate tfjs ops
//   the eval forward runs, bit for bit: random data, every stage list, values exactly on rounding boundaries;
// - batch norm folding against values worked by hand;
// - committed checkpoints on real CIFAR-10 test images: a float network's logits within 1e-4 of the eval forward's
//   and the same top-1; a quantised (QAT) network's logits bit for bit equal (its quantisers see the same values),
//   for every kind of committed QAT checkpoint, and with a ReLU quantiser that reads the batch's maximum.
import * as tf from "@tensorflow/tfjs";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { referenceInferenceOps, type FusedConv, type PostOp, type QuantConv, type QuantStage, inferenceOps } from "../src/backend/inference-ops.js";
import type { QuantEpilogueAddon } from "../src/backend/native-infer.js";
import { dnnlExpected, loadNativeAddon, type ConvPath, type NativeAddon } from "../src/backend/native-addon.js";
import { NATIVE_BACKEND, registerNativeBackend } from "../src/backend/native-kernels.js";
import { channelStats, epochBatches, splitTrainVal } from "../src/data/batches.js";
import { loadCifar10, type Cifar10 } from "../src/data/cifar10.js";
import { compilePlan, disposePlan, evaluatePlan, foldBatchNorm, runPlan } from "../src/infer/index.js";
import { modelFromCheckpoint } from "../src/train/checkpoint.js";
import { readCheckpointFile } from "../src/train/checkpoint-file.js";
import { splitSeedOf } from "../src/train/config.js";
import { evaluate } from "../src/train/evaluate.js";
import { disposeModel, forward, type Model } from "../src/train/model.js";
import { ACT_STAT } from "../src/train/quant.js";
import { mulberry32 } from "../src/util/random.js";
import { ensureCifarCacheAsync } from "./helpers/cifar-nchw.js";

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

/** the bits of each float: equal arrays here are equal bit for bit (-0 and NaN payloads included) */
const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);
const sameBits = (a: Float32Array, b: Float32Array) => {
  let unequal = 0;
  const [x, y] = [bits(a), bits(b)];
  for (let i = 0; i < x.length; i++) unequal += x[i] !== y[i] ? 1 : 0;
  return a.length === b.length ? unequal : -1;
};

/** every stage list the plans build (quant after each ReLU), and a few they could */
const QUANT_CHAINS: QuantStage["op"][][] = [[], ["relu", "quant"], ["add", "relu", "quant"], ["relu", "quant", "add"], ["relu"], ["add"], ["add", "relu"], ["relu", "quant", "relu", "quant"]];
const stagesOf = (ops: QuantStage["op"][], scale: number, qmax: number): QuantStage[] => ops.map((op) => (op === "quant" ? { op, scale, qmin: 0, qmax } : { op }));

describe("quantised conv (conv, batch norm, skip add, ReLU, activation quantiser in one pass) against the separate ops", () => {
  // The reference is referenceInferenceOps.quantConv on the native backend: tfjs's conv2d, batchNorm, add, relu and
  // the training ops' fakeQuant, each its own kernel, as the eval forward runs them. Equal means equal bits.
  for (const convPath of ["onednn", "gemm"] as ConvPath[]) {
    it(`${convPath} path: random convs, batch norms and scales, every stage list, ${GEOMETRIES.length} geometries`, () => {
      if (convPath === "onednn" && !dnnlExpected()) {
        expect(addon.setConvPath("onednn")).toBe(false);
        return;
      }
      expect(addon.setConvPath(convPath)).toBe(true);
      try {
        let seed = 900;
        let cases = 0;
        for (const g of GEOMETRIES)
          for (const ops of QUANT_CHAINS)
            for (const withBn of [true, false]) {
              const [k, st, [pb, pa], cin, cout, h, w] = g;
              const out = (v: number) => Math.floor((v + pb + pa - k) / st) + 1;
              const r = mulberry32((seed += 11));
              const bn = withBn
                ? { mean: randomArray(cout, seed + 1), variance: Float32Array.from({ length: cout }, () => 0.05 + r()), gamma: randomArray(cout, seed + 2), beta: randomArray(cout, seed + 3), epsilon: 1e-5 }
                : null;
              // a scale for 4 or 8 bits whose range covers part of the values: some codes clamp at qmax
              const qmax = r() < 0.5 ? 15 : 255;
              const c: QuantConv = {
                shape: { h, w, cin, kh: k, kw: k, cout, oh: out(h), ow: out(w), stride: [st, st], pad: [[pb, pa], [pb, pa]], dilation: [1, 1] },
                filter: randomArray(k * k * cin * cout, seed + 4),
                bn,
                stages: stagesOf(ops, Math.fround((0.5 + r()) / qmax), qmax),
              };
              const n = 2;
              const size = n * c.shape.oh * c.shape.ow * cout;
              const x = randomArray(n * h * w * cin, seed + 5);
              const skip = ops.includes("add") ? randomArray(size, seed + 6) : null;
              const ours = inferenceOps(NATIVE_BACKEND).quantConv(c, n, x, skip, new Float32Array(size));
              const ref = referenceInferenceOps.quantConv(c, n, x, skip, new Float32Array(size));
              expect(sameBits(ours, ref), `${g.join(" ")} stages [${ops}] bn ${withBn}`).toBe(0);
              // not a vacuous equality: values of both signs before a ReLU, zeros after one
              if (ops.at(-1) === "relu" || ops.at(-1) === "quant") expect(Math.min(...ours)).toBe(0);
              else expect(Math.min(...ours)).toBeLessThan(0);
              cases++;
            }
        expect(cases).toBe(GEOMETRIES.length * QUANT_CHAINS.length * 2);
      } finally {
        addon.setConvPath(addon.dnnlVersion() ? "onednn" : "gemm");
      }
    }, 120_000);
  }

  it("values exactly on rounding boundaries (x / scale = k + 0.5), negatives and clamped codes: equal bits, round half to even", () => {
    // A 1x1 conv with the identity filter passes x through exactly, and this batch norm multiplies by 2 exactly:
    // scale = gamma / sqrt(variance + eps) with variance + eps within 1e-11 of 1 rounds to gamma in float32; mean
    // and beta 0. So the quantiser sees 2x: x is set to half of (k + 0.5) * scale for integers k from -40 to 300.
    const C = 16;
    const qmax = 255;
    const scale = Math.fround(0.37 / qmax);
    const filter = new Float32Array(C * C);
    for (let i = 0; i < C; i++) filter[i * C + i] = 1;
    const bn = { mean: new Float32Array(C), variance: new Float32Array(C).fill(Math.fround(1 - 1e-5)), gamma: new Float32Array(C).fill(2), beta: new Float32Array(C), epsilon: 1e-5 };
    const n = 4;
    const hw = 16;
    const size = n * hw * hw * C;
    const r = mulberry32(77);
    const x2 = Float32Array.from({ length: size }, () => Math.fround((Math.floor(r() * 341) - 40 + 0.5) * scale));
    const x = x2.map((v) => v / 2);
    // half the skip zeros (the boundaries reach the quantiser through the add), half random values of both signs
    const skip = Float32Array.from({ length: size }, (_, i) => (i % 2 ? 0 : r() * 2 - 1));
    for (const ops of QUANT_CHAINS.filter((o) => o.includes("quant")))
      for (const withBn of [true, false]) {
        const c: QuantConv = {
          shape: { h: hw, w: hw, cin: C, kh: 1, kw: 1, cout: C, oh: hw, ow: hw, stride: [1, 1], pad: [[0, 0], [0, 0]], dilation: [1, 1] },
          filter,
          bn: withBn ? bn : null,
          stages: stagesOf(ops, scale, qmax),
        };
        const sk = ops.includes("add") ? skip : null;
        const input = withBn ? x : x2;
        const ours = inferenceOps(NATIVE_BACKEND).quantConv(c, n, input, sk, new Float32Array(size));
        const ref = referenceInferenceOps.quantConv(c, n, input, sk, new Float32Array(size));
        expect(sameBits(ours, ref), `stages [${ops}] bn ${withBn}`).toBe(0);
        // the values the first quantiser rounds (the stages before it), counted where v / scale is exactly k + 0.5
        const before = referenceInferenceOps.quantConv({ ...c, stages: c.stages.slice(0, ops.indexOf("quant")) }, n, input, sk, new Float32Array(size));
        let here = 0;
        let checked = 0;
        for (let i = 0; i < size; i++) {
          const q = Math.fround(before[i] / scale);
          if (Math.abs(q % 1) !== 0.5 || q < 0 || q > qmax) continue;
          here++;
          // round half to even, worked here: the code is the even neighbour (checked where that quantiser is the last stage)
          if (ops.indexOf("quant") === ops.length - 1) {
            const even = Math.floor(q) % 2 === 0 ? Math.floor(q) : Math.ceil(q);
            expect(ours[i]).toBe(Math.fround(even * scale));
            checked++;
          }
        }
        // about 3/4 of x is on a boundary in [0, qmax]; where a skip is added before, half of that
        expect(here, `stages [${ops}] bn ${withBn}`).toBeGreaterThan(size / 4);
        if (ops.indexOf("quant") === ops.length - 1 && !ops.includes("add")) expect(checked).toBeGreaterThan(size / 2);
        // codes clamped at qmax (k > 255) occur
        if (ops.at(-1) === "quant") expect(Math.max(...ours)).toBe(Math.fround(qmax * scale));
      }
  });

  it("an add stage without a skip, and bad arguments to the kernel, are errors naming them", () => {
    const c: QuantConv = { shape: { h: 4, w: 4, cin: 16, kh: 1, kw: 1, cout: 16, oh: 4, ow: 4, stride: [1, 1], pad: [[0, 0], [0, 0]], dilation: [1, 1] }, filter: randomArray(256, 3), bn: null, stages: [{ op: "add" }] };
    expect(() => inferenceOps(NATIVE_BACKEND).quantConv(c, 1, randomArray(256, 4), null, new Float32Array(256))).toThrow(/adds a skip, and none was given/);
    const qa = addon as unknown as QuantEpilogueAddon;
    const y = new Float32Array(32);
    expect(() => qa.quantEpilogue(5, y, null, null, Int32Array.of(1), new Float32Array(3), null)).toThrow(/not a multiple of the channels/);
    expect(() => qa.quantEpilogue(16, y, new Float32Array(16), null, Int32Array.of(1), new Float32Array(3), null)).toThrow(/scale and shift/);
    expect(() => qa.quantEpilogue(16, y, null, null, Int32Array.of(2), new Float32Array(3), new Float32Array(16))).toThrow(/skip of y's size/);
    expect(() => qa.quantEpilogue(16, y, null, null, Int32Array.of(7), new Float32Array(3), null)).toThrow(/stage code/);
    expect(() => qa.quantEpilogue(16, y, null, null, Int32Array.of(3), new Float32Array(2), null)).toThrow(/3 floats per stage/);
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
  beforeAll(async () => {
    // the CIFAR-10 cache, built as reproduce builds it when a fresh clone lacks it
    data = loadCifar10(await ensureCifarCacheAsync());
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
  /**
   * The plan's logits against the eval forward's on the first `n` test images: the reference in batches of 500, the
   * plan in batches of `planBatch` (values must not depend on the batch). `alter` changes the model before the plan
   * is compiled.
   */
  async function compareRun(run: string, n: number, alter?: (m: Model) => void, planBatch = 250) {
    const file = path.join(ROOT, "data", "runs", run, "best.ckpt");
    expect(fs.existsSync(file), file).toBe(true);
    const ck = readCheckpointFile(file);
    const norm = channelStats(data.train, splitTrainVal(data.train.count, ck.config.valSize, splitSeedOf(ck.config)).train);
    const m = modelFromCheckpoint(ck, file);
    alter?.(m);
    const plan = compilePlan(m);
    try {
      const idx = Int32Array.from({ length: n }, (_, i) => i);
      let worst = 0;
      let unequal = 0;
      let differentTop1 = 0;
      const classes = m.net.head.classes;
      const argmax = (v: Float32Array, i: number) => {
        let best = 0;
        for (let k = 1; k < classes; k++) if (v[i * classes + k] > v[i * classes + best]) best = k;
        return best;
      };
      for (const b of epochBatches(data.test, idx, 500, norm, null)) {
        const ref = tf.tidy(() => forward(m, tf.tensor4d(b.x, [b.n, 32, 32, 3]), false).dataSync() as Float32Array);
        const ours = new Float32Array(ref.length);
        for (let s = 0; s < b.n; s += planBatch) ours.set(runPlan(plan, b.x.subarray(s * 3072, (s + planBatch) * 3072), Math.min(planBatch, b.n - s)), s * classes);
        worst = Math.max(worst, maxAbsDiff(ours, ref));
        unequal += sameBits(ours, ref);
        for (let i = 0; i < b.n; i++) differentTop1 += argmax(ours, i) !== argmax(ref, i) ? 1 : 0;
        // let vitest's worker answer its runner between batches (a long synchronous test times its RPC out)
        await new Promise((r) => setImmediate(r));
      }
      console.log(`${run}: max |inference - eval forward| ${worst.toExponential(2)}, ${unequal} of ${n * classes} logits differ`);
      const layerOps = plan.steps.flatMap((s) => (s.kind === "layer" ? [s.layer.op] : []));
      const stepKinds = plan.steps.map((s) => s.kind);
      return { kind: ck.config.quantWeightBits ? "quantised" : "float", plan: { exact: plan.exact, layers: plan.graph.layers.length, steps: plan.steps.length, layerOps, stepKinds }, worst, unequal, differentTop1 };
    } finally {
      disposePlan(plan);
      disposeModel(m);
    }
  }

  for (const [run, kind] of RUNS) {
    it(`${run} (${kind}): ${kind === "float" ? "logits within 1e-4, same top-1" : "logits bit for bit equal"} on ${N} test images`, async () => {
      const r = await compareRun(run, N);
      expect(r.kind).toBe(kind);
      expect(r.plan.exact).toBe(kind === "quantised");
      // a float plan fuses: fewer steps than layers
      if (kind === "float") expect(r.plan.steps).toBeLessThan(r.plan.layers / 2);
      expect(r.differentTop1).toBe(0);
      if (kind === "float") expect(r.worst).toBeLessThan(1e-4);
      else expect(r.unequal).toBe(0);
    }, 300_000);
  }

  // every kind of committed QAT checkpoint: 4 and 8 bits, plain and shortenable teachers, remover and shortener
  // students, ResNet-8 and ResNet-20 (the seed-2 repeats are of the same kinds)
  const QAT_RUNS = ["resnet8", "resnet20"].flatMap((net) => ["qat4", "qat8"].flatMap((q) => ["teacher", "teacher-shortenable", "remover", "shortener"].map((k) => `depth/${net}/${q}-${k}`)));
  for (const run of QAT_RUNS) {
    it(`${run}: every conv a quantised step, logits bit for bit equal on 1000 test images`, async () => {
      const r = await compareRun(run, 1000);
      expect(r.kind).toBe("quantised");
      // every conv, batch norm, ReLU and add is in a quantised conv step: only the input and the head run as layers
      expect(r.plan.layerOps).toEqual(["input", "gap", "dense"]);
      expect(r.plan.stepKinds.filter((k) => k === "quant").length).toBe(r.plan.steps - 3);
      expect(r.unequal).toBe(0);
    }, 300_000);
  }

  it("a ReLU without a stored statistic (its quantiser takes the batch's maximum) and a network with float activations stay exact", async () => {
    const run = "depth/resnet8/qat4-shortener";
    // the first unit's ReLU of the first block: its statistic 0, as a ReLU silent on every batch would leave it. Its
    // quantiser's scale is then the batch's maximum, so the plan runs the reference's batches of 500 here.
    const silent = await compareRun(
      run,
      1000,
      (m) => {
        const name = [...m.stats.keys()].find((k) => k.endsWith(`.relu${ACT_STAT}`) && k.includes("u0"))!;
        m.stats.get(name)!.assign(tf.zeros([1]));
      },
      500,
    );
    expect(silent.plan.layerOps.filter((o) => o === "relu")).toEqual(["relu"]);
    expect(silent.unequal).toBe(0);
    const floatActs = await compareRun(run, 500, (m) => {
      m.quant = { ...m.quant!, actBits: 0 };
    });
    expect(floatActs.plan.layerOps).toEqual(["input", "gap", "dense"]);
    expect(floatActs.unequal).toBe(0);
  }, 300_000);

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
