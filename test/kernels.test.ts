// Every custom kernel against tfjs's pure-JS cpu backend (the reference implementation) on random inputs.
import * as tf from "@tensorflow/tfjs";
import * as fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { ADDON_PATH, dnnlExpected, loadNativeAddon, type ConvPath, type NativeAddon } from "../src/backend/native-addon.js";
import { GAP, NATIVE_BACKEND, registerNativeBackend } from "../src/backend/native-kernels.js";
import { trainingOps } from "../src/backend/training-ops.js";
import { registerWasmKernels } from "../src/backend/wasm-kernels.js";
import { mulberry32 } from "../src/util/random.js";

type Pad = "same" | "valid";
interface Case {
  n: number;
  h: number;
  w: number;
  cin: number;
  k: number;
  cout: number;
  stride: number;
  pad: Pad;
}

const cases: Case[] = [];
for (const k of [1, 3]) for (const stride of [1, 2]) for (const pad of ["same", "valid"] as Pad[]) cases.push({ n: 3, h: 9, w: 7, cin: 5, k, cout: 6, stride, pad });
cases.push({ n: 4, h: 16, w: 16, cin: 16, k: 3, cout: 32, stride: 2, pad: "same" });
// the channel counts of the CIFAR ResNets (3 at the stem, 16/32/64) and one that is no multiple of oneDNN's 16-lane
// blocks, at strides 1 and 2, 1x1 (projections) and 3x3
const resnetCases: Case[] = [
  { n: 2, h: 12, w: 12, cin: 3, k: 3, cout: 16, stride: 1, pad: "same" },
  { n: 2, h: 12, w: 12, cin: 16, k: 3, cout: 16, stride: 1, pad: "same" },
  { n: 2, h: 12, w: 12, cin: 16, k: 3, cout: 32, stride: 2, pad: "same" },
  { n: 2, h: 12, w: 12, cin: 16, k: 1, cout: 32, stride: 2, pad: "valid" },
  { n: 2, h: 8, w: 8, cin: 32, k: 3, cout: 64, stride: 2, pad: "same" },
  { n: 2, h: 6, w: 6, cin: 64, k: 3, cout: 64, stride: 1, pad: "same" },
  { n: 2, h: 12, w: 12, cin: 32, k: 3, cout: 32, stride: 1, pad: "same" },
  { n: 2, h: 7, w: 9, cin: 20, k: 3, cout: 24, stride: 2, pad: "same" },
  { n: 2, h: 7, w: 9, cin: 20, k: 1, cout: 24, stride: 1, pad: "valid" },
];

function randomArray(n: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
}

function convAndGrads(backend: string, c: Case, seed: number) {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(randomArray(c.n * c.h * c.w * c.cin, seed), [c.n, c.h, c.w, c.cin]);
    const f = tf.tensor4d(randomArray(c.k * c.k * c.cin * c.cout, seed + 1), [c.k, c.k, c.cin, c.cout]);
    const y = tf.conv2d(x, f, c.stride, c.pad);
    const dy = tf.tensor(randomArray(y.size, seed + 2), y.shape);
    const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad).mul(dy).sum())([x, f]);
    return { y: y.dataSync(), dx: dx.dataSync(), df: df.dataSync() };
  });
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const errors: Record<string, number> = {};
afterAll(() => console.log("max abs error per kernel check:", JSON.stringify(errors)));

let addon: NativeAddon;
beforeAll(async () => {
  const a = loadNativeAddon();
  if (!a) throw new Error("native addon not built: run npm run build:native");
  addon = a;
  registerNativeBackend(addon);
  require("@tensorflow/tfjs-backend-wasm");
  registerWasmKernels();
  await tf.setBackend("wasm");
  await tf.ready();
  await tf.setBackend(NATIVE_BACKEND);
});

// Both convolution paths of the native backend, switched at run time in one process: oneDNN (CI installs it with
// scripts/setup-system.sh, and also tests a second build made without it) and the im2col + GEMM fallback.
describe.each(["onednn", "gemm"] as ConvPath[])("tailor-native conv kernels on the %s path match the cpu reference", (path) => {
  it.each([...cases, ...resnetCases])("k$k stride $stride $pad, $cin->$cout on $h x $w", (c) => {
    if (path === "onednn" && !dnnlExpected()) {
      // a build without oneDNN (CI makes one with TAILOR_DNNL=0) must refuse the path and stay on GEMM
      expect(addon.dnnlVersion()).toBe("");
      expect(addon.setConvPath("onednn")).toBe(false);
      expect(addon.convPath()).toBe("gemm");
      return;
    }
    if (path === "onednn") expect(addon.dnnlVersion(), "oneDNN's headers are present but the addon was built without it").not.toBe("");
    expect(addon.setConvPath(path)).toBe(true);
    const declined = addon.convDeclined().count;
    try {
      const ref = convAndGrads("cpu", c, 7);
      const got = convAndGrads(NATIVE_BACKEND, c, 7);
      const e = Math.max(maxAbsDiff(got.y, ref.y), maxAbsDiff(got.dx, ref.dx), maxAbsDiff(got.df, ref.df));
      errors[`${path} k${c.k} s${c.stride} ${c.pad} ${c.cin}->${c.cout}`] = e;
      // float32 sums of up to ~600 products of O(1) values
      expect(e).toBeLessThan(1e-4);
      // every call ran on the path under test: oneDNN declined none of them
      expect(addon.convDeclined().count - declined, addon.convDeclined().lastError).toBe(0);
    } finally {
      addon.setConvPath(addon.dnnlVersion() ? "onednn" : "gemm");
    }
  });
});

// The geometry array of native-kernels.ts (n, h, w, cin, kh, kw, cout, oh, ow, sh, sw, pad top, pad left, dh, dw)
const geom = (c: Case) => Int32Array.from([c.n, c.h, c.w, c.cin, c.k, c.k, c.cout, c.h / c.stride, c.w / c.stride, c.stride, c.stride, c.pad === "same" ? (c.k - 1) / 2 : 0, c.pad === "same" ? (c.k - 1) / 2 : 0, 1, 1]);

describe("oneDNN's Winograd kernels run on the 3x3 stride-1 layers of 32 channels and more, and only there", () => {
  const wide: Case = { n: 2, h: 12, w: 12, cin: 32, k: 3, cout: 32, stride: 1, pad: "same" };
  const narrow: Case = { n: 2, h: 12, w: 12, cin: 16, k: 3, cout: 16, stride: 1, pad: "same" };
  const strided: Case = { n: 2, h: 12, w: 12, cin: 32, k: 3, cout: 64, stride: 2, pad: "same" };
  it("chosen by geometry; switched off, every layer runs the direct kernels with results within rounding of Winograd's", () => {
    if (!dnnlExpected()) {
      expect(addon.winograd()).toBe(false);
      return;
    }
    expect(addon.setConvPath("onednn")).toBe(true);
    // oneDNN's Winograd kernels need AVX-512 (or the ISA may be capped for oneDNN): then the layer stays on the
    // direct kernels, never on the GEMM fallback
    const isaCap = process.env.ONEDNN_MAX_CPU_ISA ?? process.env.DNNL_MAX_CPU_ISA;
    const avx512 = /\bavx512f\b/.test(fs.readFileSync("/proc/cpuinfo", "utf8")) && (!isaCap || /AVX512/i.test(isaCap));
    const declined = addon.convDeclined().count;
    try {
      expect(addon.winograd()).toBe(true);
      const wino = convAndGrads(NATIVE_BACKEND, wide, 11);
      for (const c of [narrow, strided]) convAndGrads(NATIVE_BACKEND, c, 11);
      expect(addon.convDeclined().count - declined, addon.convDeclined().lastError).toBe(0);
      if (!avx512) {
        expect(addon.convImplementations(geom(wide))).not.toMatch(/wino/);
        return;
      }
      expect(addon.convImplementations(geom(wide))).toMatch(/fwd=jit_wino.* bwd_weights=jit_wino/);
      for (const c of [narrow, strided]) expect(addon.convImplementations(geom(c))).not.toMatch(/wino/);
      addon.setWinograd(false);
      const direct = convAndGrads(NATIVE_BACKEND, wide, 11);
      expect(addon.convImplementations(geom(wide))).not.toMatch(/wino/);
      // the same convolution in another summation order: equal within float32 rounding, and not bit-equal (so the
      // switch did change the kernels)
      const e = Math.max(maxAbsDiff(wino.y, direct.y), maxAbsDiff(wino.dx, direct.dx), maxAbsDiff(wino.df, direct.df));
      errors["winograd vs direct 32->32"] = e;
      expect(e).toBeLessThan(1e-4);
      expect(e).toBeGreaterThan(0);
    } finally {
      addon.setWinograd(true);
      addon.setConvPath(addon.dnnlVersion() ? "onednn" : "gemm");
    }
  });
});

describe("a 1x1 strided weight gradient of few input channels, where oneDNN's kernel overruns its buffers", () => {
  // oneDNN 2.6.3's jit_1x1 weight gradient of a 1x1 stride-2 conv reading 4 channels of an 8x8 map writes past its
  // buffers on AVX2 (valgrind; glibc then aborted on the heap within a few hundred calls, and test/qat-parity.test.ts,
  // whose projection reads 4 channels, crashed in 2 of 3 runs): the addon declines that kernel (dnnl_conv.cc) and the
  // gradient runs on the GEMM path
  const c: Case = { n: 8, h: 8, w: 8, cin: 4, k: 1, cout: 8, stride: 2, pad: "valid" };
  it("is declined to the GEMM path, equals the reference, and 300 calls leave the heap whole", () => {
    if (!dnnlExpected()) return void expect(addon.setConvPath("onednn")).toBe(false);
    expect(addon.setConvPath("onednn")).toBe(true);
    try {
      const declined = addon.convDeclined().count;
      const ref = convAndGrads("cpu", c, 5);
      const got = convAndGrads(NATIVE_BACKEND, c, 5);
      expect(Math.max(maxAbsDiff(got.y, ref.y), maxAbsDiff(got.dx, ref.dx), maxAbsDiff(got.df, ref.df))).toBeLessThan(1e-4);
      const g = Int32Array.from([c.n, c.h, c.w, c.cin, 1, 1, c.cout, 4, 4, 2, 2, 0, 0, 1, 1]);
      const jit1x1 = /bwd_weights=jit_1x1/.test(addon.convImplementations(g));
      // declined exactly when oneDNN chose that kernel (another ISA may choose another), and only the weight gradient
      expect(addon.convDeclined().count - declined).toBe(jit1x1 ? 1 : 0);
      if (jit1x1) expect(addon.convDeclined().lastError).toMatch(/jit_1x1 weight gradient of a strided conv of fewer than 16 input channels/);
      const x = randomArray(c.n * 64 * c.cin, 1);
      const dy = randomArray(c.n * 16 * c.cout, 2);
      const df = new Float32Array(c.cin * c.cout);
      for (let i = 0; i < 300; i++) addon.convBackFilter(g, x, dy, df);
      // a corrupted heap aborts the process in glibc's next check: allocate and free a little to give it the chance
      for (let i = 0; i < 100; i++) new Float32Array(1000 + i).fill(i);
      expect(Number.isFinite(df[0])).toBe(true);
    } finally {
      addon.setConvPath(addon.dnnlVersion() ? "onednn" : "gemm");
    }
  });
});

describe.each(["wasm"])("%s conv kernels match the cpu reference", (backend) => {
  it.each(cases)("k$k stride $stride $pad, $cin->$cout on $h x $w", (c) => {
    const ref = convAndGrads("cpu", c, 7);
    const got = convAndGrads(backend, c, 7);
    const e = Math.max(maxAbsDiff(got.y, ref.y), maxAbsDiff(got.dx, ref.dx), maxAbsDiff(got.df, ref.df));
    errors[`${backend} k${c.k} s${c.stride} ${c.pad}`] = e;
    // float32 sums of up to a few hundred O(1) products
    expect(e).toBeLessThan(1e-4);
  });
});

describe("native batch norm in training mode, alone and fused with skip add and ReLU, matches the reference ops", () => {
  const variants = [
    { name: "BN", relu: false, skip: false },
    { name: "ReLU(BN)", relu: true, skip: false },
    { name: "ReLU(BN + skip)", relu: true, skip: true },
  ];
  it.each(variants)("$name: output, batch statistics and every gradient", ({ relu, skip }) => {
    const shape: [number, number, number, number] = [4, 5, 6, 8];
    const run = (backend: string) => {
      tf.setBackend(backend);
      const ops = trainingOps();
      return tf.tidy(() => {
        const x = tf.tensor4d(randomArray(4 * 5 * 6 * 8, 3), shape).mul(3).add(1);
        const g = tf.tensor1d(randomArray(8, 4));
        const b = tf.tensor1d(randomArray(8, 5));
        const s = tf.tensor4d(randomArray(x.size, 7), shape);
        const dy = tf.tensor(randomArray(x.size, 6), shape);
        const f = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor, ss: tf.Tensor) => {
          const [x4, g1, b1] = [xx as tf.Tensor4D, gg as tf.Tensor1D, bb as tf.Tensor1D];
          return relu ? ops.batchNormReluTrain(x4, g1, b1, skip ? (ss as tf.Tensor4D) : undefined) : ops.batchNormTrain(x4, g1, b1);
        };
        const r = f(x, g, b, s);
        const inputs = skip ? [x, g, b, s] : [x, g, b];
        const grads = tf.grads((...a: tf.Tensor[]) => f(a[0], a[1], a[2], a[3] ?? s).y.mul(dy).sum())(inputs);
        return [r.y, r.mean, r.variance, ...grads].map((t) => t.dataSync());
      });
    };
    const ref = run("cpu");
    const got = run(NATIVE_BACKEND);
    expect(got.length).toBe(ref.length);
    ref.forEach((r, i) => {
      const e = maxAbsDiff(got[i], r);
      errors[`bn ${relu ? "relu " : ""}${skip ? "skip " : ""}output ${i}`] = e;
      expect(e).toBeLessThan(1e-4);
    });
  });
});

describe("the native training loss (softmax cross-entropy, KD mix) matches the reference ops", () => {
  it.each([
    { name: "CE alone", teacher: false },
    { name: "0.35 MSE + 0.65 CE", teacher: true },
  ])("$name: the loss and its gradient with respect to the student's logits", ({ teacher }) => {
    const run = (backend: string) => {
      tf.setBackend(backend);
      const ops = trainingOps();
      return tf.tidy(() => {
        // logits far from 0 (up to +-20) check the max-shifted softmax
        const s = tf.tensor2d(randomArray(7 * 10, 41), [7, 10]).mul(20) as tf.Tensor2D;
        const t = teacher ? (tf.tensor2d(randomArray(7 * 10, 42), [7, 10]).mul(5) as tf.Tensor2D) : undefined;
        const y = tf.tensor1d([0, 9, 3, 3, 5, 1, 7], "int32");
        const w = { mse: 0.35, ce: 0.65 };
        // a variable stands in for the student's logits
        const v = tf.variable(s, true);
        const { value, grads } = tf.variableGrads(() => ops.trainingLoss(v as tf.Tensor2D, y, t, w), [v]);
        const out = [value, grads[v.name]].map((x) => x.dataSync());
        v.dispose();
        return out;
      });
    };
    const ref = run("cpu");
    const got = run(NATIVE_BACKEND);
    expect(got.length).toBe(ref.length);
    ref.forEach((r, i) => {
      const e = maxAbsDiff(got[i], r);
      errors[`loss ${teacher ? "kd" : "ce"} output ${i}`] = e;
      expect(e).toBeLessThan(i === 0 ? 1e-4 : 1e-6);
    });
  });
  it("names a label outside the classes", () => {
    tf.setBackend(NATIVE_BACKEND);
    const s = tf.zeros([2, 10]) as tf.Tensor2D;
    expect(() => trainingOps().trainingLoss(s, tf.tensor1d([1, 10], "int32"), undefined, { mse: 0, ce: 1 })).toThrow(/label 10 of example 1 is outside 0..9/);
  });
});

describe("the native conv-BN unit (one kernel each way) matches the reference ops", () => {
  const variants = [
    { name: "BN(conv), 1x1 stride 2 (a projection)", k: 1, stride: 2, relu: false, skip: false, inputGrad: true },
    { name: "ReLU(BN(conv)), 3x3 stride 1", k: 3, stride: 1, relu: true, skip: false, inputGrad: true },
    { name: "ReLU(BN(conv) + skip), 3x3 stride 1", k: 3, stride: 1, relu: true, skip: true, inputGrad: true },
    { name: "ReLU(BN(conv)), 3x3 stride 2, 20 channels", k: 3, stride: 2, relu: true, skip: false, inputGrad: true },
    { name: "ReLU(BN(conv)) on the network's input (no input gradient)", k: 3, stride: 1, relu: true, skip: false, inputGrad: false },
  ];
  it.each(variants)("$name: output, batch statistics and every gradient", ({ k, stride, relu, skip, inputGrad }) => {
    const [n, h, w, cin, cout] = [3, 8, 7, 5, stride === 2 && k === 3 ? 20 : 16];
    const p = (k - 1) / 2;
    const conv = { stride: [stride, stride] as [number, number], pad: [[p, p], [p, p]] as [[number, number], [number, number]], dilation: [1, 1] as [number, number] };
    const run = (backend: string) => {
      tf.setBackend(backend);
      const ops = trainingOps();
      return tf.tidy(() => {
        const x = tf.tensor4d(randomArray(n * h * w * cin, 61), [n, h, w, cin]);
        const f = tf.tensor4d(randomArray(k * k * cin * cout, 62), [k, k, cin, cout]);
        const g = tf.tensor1d(randomArray(cout, 63));
        const b = tf.tensor1d(randomArray(cout, 64));
        const out = ops.convBatchNormTrain(x, f, g, b, conv, relu, undefined, inputGrad);
        const s = tf.tensor(randomArray(out.y.size, 65), out.y.shape) as tf.Tensor4D;
        const dy = tf.tensor(randomArray(out.y.size, 66), out.y.shape);
        const r = ops.convBatchNormTrain(x, f, g, b, conv, relu, skip ? s : undefined, inputGrad);
        const loss = (...a: tf.Tensor[]) =>
          ops.convBatchNormTrain((inputGrad ? a.shift() : x) as tf.Tensor4D, a[0] as tf.Tensor4D, a[1] as tf.Tensor1D, a[2] as tf.Tensor1D, conv, relu, skip ? (a[3] as tf.Tensor4D) : undefined, inputGrad).y.mul(dy).sum();
        const wrt = [...(inputGrad ? [x] : []), f, g, b, ...(skip ? [s] : [])];
        const grads = tf.grads(loss)(wrt);
        return [r.y, r.mean, r.variance, ...grads].map((t) => t.dataSync());
      });
    };
    const ref = run("cpu");
    const got = run(NATIVE_BACKEND);
    expect(got.length).toBe(ref.length);
    ref.forEach((r, i) => {
      const e = maxAbsDiff(got[i], r);
      errors[`unit k${k} s${stride}${relu ? " relu" : ""}${skip ? " skip" : ""}${inputGrad ? "" : " no-dx"} output ${i}`] = e;
      expect(e).toBeLessThan(1e-4);
    });
  });
});

describe("the native dense layer matches the reference ops", () => {
  it("x w + b and the gradients of x, w and b", () => {
    const run = (backend: string) => {
      tf.setBackend(backend);
      const ops = trainingOps();
      return tf.tidy(() => {
        const x = tf.tensor2d(randomArray(5 * 12, 51), [5, 12]);
        const w = tf.tensor2d(randomArray(12 * 7, 52), [12, 7]);
        const b = tf.tensor1d(randomArray(7, 53));
        const dy = tf.tensor2d(randomArray(5 * 7, 54), [5, 7]);
        const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => ops.dense(xx as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D);
        const grads = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => f(xx, ww, bb).mul(dy).sum())([x, w, b]);
        return [f(x, w, b), ...grads].map((t) => t.dataSync());
      });
    };
    const ref = run("cpu");
    const got = run(NATIVE_BACKEND);
    expect(got.map((g) => g.length)).toEqual([35, 60, 84, 7]);
    ref.forEach((r, i) => {
      const e = maxAbsDiff(got[i], r);
      errors[`dense output ${i}`] = e;
      expect(e).toBeLessThan(1e-5);
    });
  });
  it("names shapes that do not fit", () => {
    tf.setBackend(NATIVE_BACKEND);
    expect(() => trainingOps().dense(tf.zeros([2, 3]) as tf.Tensor2D, tf.zeros([4, 5]) as tf.Tensor2D, tf.zeros([5]) as tf.Tensor1D)).toThrow(/x \[2,3\], w \[4,5\] and bias \[5\] do not fit/);
  });
});

describe("native batch norm (inference mode) matches the cpu backend", () => {
  it("tf.batchNorm with running statistics", () => {
    const run = (backend: string) => {
      tf.setBackend(backend);
      return tf.tidy(() => {
        const x = tf.tensor4d(randomArray(2 * 8 * 8 * 6, 21), [2, 8, 8, 6]).mul(2);
        const mean = tf.tensor1d(randomArray(6, 22));
        const variance = tf.tensor1d(randomArray(6, 23)).abs().add(0.1);
        const beta = tf.tensor1d(randomArray(6, 24));
        const gamma = tf.tensor1d(randomArray(6, 25));
        return tf.batchNorm(x, mean, variance, beta, gamma, 1e-5).dataSync();
      });
    };
    const ref = run("cpu");
    const got = run(NATIVE_BACKEND);
    expect(maxAbsDiff(got, ref)).toBeLessThan(1e-5);
  });
});

describe("native element-wise and pooling kernels match the cpu backend", () => {
  it("Add, Multiply, Relu, Step, ReLU gradient, global average pooling and its gradient", () => {
    const run = (backend: string) => {
      tf.setBackend(backend);
      return tf.tidy(() => {
        const a = tf.tensor4d(randomArray(4 * 16 * 16 * 8, 31), [4, 16, 16, 8]);
        const b = tf.tensor4d(randomArray(4 * 16 * 16 * 8, 32), [4, 16, 16, 8]);
        const dy = tf.tensor2d(randomArray(4 * 8, 33), [4, 8]);
        const pool = (x: tf.Tensor) =>
          backend === NATIVE_BACKEND ? (tf.engine().runKernel(GAP, { x }, {}) as tf.Tensor) : tf.mean(x, [1, 2]);
        const [dRelu] = tf.grads((x: tf.Tensor) => tf.relu(x).mul(b).sum())([a]);
        const [dPool] = tf.grads((x: tf.Tensor) => pool(x).mul(dy).sum())([a]);
        return [tf.add(a, b), tf.mul(a, b), tf.relu(a), tf.step(a), dRelu, pool(a), dPool].map((t) => t.dataSync());
      });
    };
    const ref = run("cpu");
    const got = run(NATIVE_BACKEND);
    ref.forEach((r, i) => {
      const e = maxAbsDiff(got[i], r);
      errors[`element-wise ${i}`] = e;
      expect(e).toBeLessThan(1e-6);
    });
  });
});

describe("a bool tensor cast to float32 feeds the native kernels", () => {
  it("x * (x > 0.5) on 8192 values (tfjs's cpu Cast only relabels the bool array)", () => {
    const run = (backend: string) => {
      tf.setBackend(backend);
      return tf.tidy(() => {
        const a = tf.tensor1d(randomArray(8192, 71));
        return a.mul(a.greater(0.5).cast("float32")).dataSync();
      });
    };
    const ref = run("cpu");
    expect(ref.some((v) => v !== 0)).toBe(true);
    expect(maxAbsDiff(run(NATIVE_BACKEND), ref)).toBe(0);
  });
});

describe("native element-wise kernels keep NaN and Inf as the cpu backend does", () => {
  it("Add, Multiply, Relu, Step, the ReLU gradient and fused ReLU(BN) on NaN, +Inf and -Inf", () => {
    // large enough to take the native path (below 4096 elements the cpu kernel runs)
    const n = 8192;
    const special = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 3.5];
    const a = Float32Array.from({ length: n }, (_, i) => special[i % special.length]);
    const b = Float32Array.from({ length: n }, (_, i) => special[(i * 3 + 1) % special.length]);
    const run = (backend: string) => {
      tf.setBackend(backend);
      return tf.tidy(() => {
        const x = tf.tensor4d(a, [2, 64, 8, 8]);
        const y = tf.tensor4d(b, [2, 64, 8, 8]);
        const [dRelu] = tf.grads((t: tf.Tensor) => tf.relu(t).mul(y).sum())([x]);
        const fused = trainingOps().batchNormReluTrain(x, tf.ones([8]) as tf.Tensor1D, tf.zeros([8]) as tf.Tensor1D).y;
        return [tf.add(x, y), tf.mul(x, y), tf.relu(x), tf.step(x), dRelu, fused].map((t) => Array.from(t.dataSync()));
      });
    };
    const ref = run("cpu");
    const got = run(NATIVE_BACKEND);
    ref.forEach((r, i) => {
      const nanRef = r.map((v) => Number.isNaN(v));
      expect(got[i].map((v) => Number.isNaN(v)), `output ${i}: NaN positions`).toEqual(nanRef);
      // the fused batch norm's finite values differ by float rounding (its statistics are Inf/NaN anyway)
      if (i < 5) expect(got[i].map((v) => (Number.isNaN(v) ? 0 : v)), `output ${i}`).toEqual(r.map((v) => (Number.isNaN(v) ? 0 : v)));
    });
    // channel 0 is all NaN: its ReLU(BN) output must stay NaN, not become 0
    expect(got[5].filter((v, i) => i % 8 === 0).every((v) => Number.isNaN(v))).toBe(true);
  });
});

describe("native optimiser and running statistics (updated in place) match the reference ops", () => {
  it("three SGD steps of several parameters, one appearing at the second step, and two running-statistics updates", () => {
    const hyper = { lr: 0.05, momentum: 0.9, weightDecay: 1e-3, nesterov: true };
    const run = (backend: string) => {
      tf.setBackend(backend);
      const ops = trainingOps();
      const params = new Map<string, tf.Variable>([
        ["a", tf.variable(tf.tensor(randomArray(3 * 3 * 4 * 8, 41), [3, 3, 4, 8]), true, `opt-a-${backend}`)],
        ["b", tf.variable(tf.tensor(randomArray(8, 42)), true, `opt-b-${backend}`)],
      ]);
      const buffers = new Map<string, tf.Variable>();
      for (let step = 0; step < 3; step++) {
        if (step === 1) params.set("c", tf.variable(tf.tensor(randomArray(16, 43)), true, `opt-c-${backend}`));
        const grads = Object.fromEntries([...params.values()].map((p, i) => [p.name, tf.tensor(randomArray(p.size, 50 + 10 * step + i), p.shape)]));
        ops.sgdStep(params, grads, buffers, hyper);
        Object.values(grads).forEach((g) => g.dispose());
      }
      const mean = tf.variable(tf.tensor1d(randomArray(8, 61)), false, `rs-mean-${backend}`);
      const variance = tf.variable(tf.tensor1d(randomArray(8, 62)).abs(), false, `rs-var-${backend}`);
      for (let i = 0; i < 2; i++) {
        const [bm, bv] = [tf.tensor1d(randomArray(8, 63 + i)), tf.tensor1d(randomArray(8, 65 + i)).abs()];
        ops.updateRunningStats([{ mean, variance, batchMean: bm, batchVariance: bv, unbias: 32 / 31 }], 0.1);
        tf.dispose([bm, bv]);
      }
      const out = [...params.values(), ...buffers.values(), mean, variance].map((t) => t.dataSync().slice());
      tf.dispose([...params.values(), ...buffers.values(), mean, variance]);
      return out;
    };
    const ref = run("cpu");
    const got = run(NATIVE_BACKEND);
    expect(got.length).toBe(ref.length);
    ref.forEach((r, i) => {
      const e = maxAbsDiff(got[i], r);
      errors[`optimiser/statistics ${i}`] = e;
      // fused multiply-adds in the native update round differently from the reference's separate ops
      expect(e).toBeLessThan(1e-6);
    });
  });
});

describe("the buffer pool never recycles an array a live view still reads", () => {
  // cpu kernels may return a view of their input (a whole-tensor Slice, SplitV, StridedSlice); the native ReLU's
  // output comes from the pool, and disposing it hands its array to the next allocation of that size
  const n = 8192;
  const cases: [string, (x: tf.Tensor) => tf.Tensor][] = [
    ["tf.slice of the whole tensor", (x) => tf.slice(x, [0], [n])],
    ["tf.slice of half", (x) => tf.slice(x, [0], [n / 2])],
    ["tf.split", (x) => tf.split(x, 2)[0]],
    ["tf.stridedSlice", (x) => tf.stridedSlice(x, [0], [n / 2], [1])],
  ];
  it.each(cases)("%s", (_, view) => {
    tf.setBackend(NATIVE_BACKEND);
    const x = tf.relu(tf.tensor1d(Float32Array.from({ length: n }, (_, i) => i + 1)));
    const v = view(x);
    const before = Array.from(v.dataSync().slice(0, 4));
    x.dispose();
    const other = tf.relu(tf.fill([n], 7));
    expect(Array.from(v.dataSync().slice(0, 4))).toEqual(before);
    expect(before).toEqual([1, 2, 3, 4]);
    tf.dispose([other, v]);
  });
});

describe("native batch-norm statistics when OpenMP gives fewer threads than asked", () => {
  it("OMP_THREAD_LIMIT=1 with OMP_NUM_THREADS=2 sums every row (the mean of 1..1000 per channel)", () => {
    const script = `
      const a = require(${JSON.stringify(ADDON_PATH)});
      const P = 1000, C = 4, x = new Float32Array(P * C);
      for (let p = 0; p < P; p++) for (let c = 0; c < C; c++) x[p * C + c] = p + 1 + c;
      const one = new Float32Array(C).fill(1), zero = new Float32Array(C);
      const [y, mean, invstd, variance] = [new Float32Array(P * C), new Float32Array(C), new Float32Array(C), new Float32Array(C)];
      a.bnForwardTrain(P, C, x, one, zero, null, 0, 1e-5, y, mean, invstd, variance);
      console.log(JSON.stringify({ mean: Array.from(mean), variance: Array.from(variance) }));`;
    const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: "2", OMP_THREAD_LIMIT: "1" } });
    expect(r.status, r.stderr).toBe(0);
    const { mean, variance } = JSON.parse(r.stdout);
    // channel c holds c+1 .. c+1000: mean 500.5 + c, biased variance (1000^2 - 1) / 12
    expect(mean).toEqual([500.5, 501.5, 502.5, 503.5]);
    for (const v of variance) expect(v).toBeCloseTo((1000 * 1000 - 1) / 12, 1);
  });
});
