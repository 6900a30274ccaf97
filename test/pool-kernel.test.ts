// The native MaxPool (native/src/pool.cc through src/backend/native-pool.ts) against tfjs's pure-JS cpu backend, the
// reference: bit for bit, for the gradient (tfjs's MaxPoolGrad on both backends) relies on the forward being the cpu's.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { loadNativeAddon, type NativeAddon } from "../src/backend/native-addon.js";
import { NATIVE_BACKEND, registerNativeBackend } from "../src/backend/native-kernels.js";
import { poolFamily } from "../src/backend/native-pool.js";
import { mulberry32 } from "../src/util/random.js";

type Pad = "valid" | "same" | number;
type Shape = [number, number, number, number];
type Kind = "uniform" | "negative" | "-inf" | "NaN" | "signed zeros";

let addon: NativeAddon;
/** calls into the addon's maxPool: proof that a case ran native and not on the cpu fallback */
let nativeCalls = 0;

/** the addon with its maxPool replaced (its own properties are read-only: a plain assignment to a copy throws) */
function withMaxPool(a: NativeAddon, maxPool: NativeAddon["maxPool"]): NativeAddon {
  return Object.create(a, { maxPool: { value: maxPool } }) as NativeAddon;
}

beforeAll(async () => {
  const a = loadNativeAddon();
  if (!a) throw new Error("native addon not built: run npm run build:native");
  if (typeof a.maxPool !== "function") throw new Error("native addon built before pool.cc: run npm run build:native");
  addon = a;
  registerNativeBackend(
    withMaxPool(a, (g, x, y) => {
      nativeCalls++;
      a.maxPool!(g, x, y);
    }),
  );
  await tf.setBackend(NATIVE_BACKEND);
  await tf.ready();
});

/**
 * Inputs whose max a careless kernel gets wrong: negatives only (a padded zero would win), -inf sprinkled and a row of
 * it, NaN sprinkled and a whole channel of it (every window of that channel NaN only), +0 and -0 mixed (which of two
 * equal values wins shows in the bits).
 */
function input(kind: Kind, shape: Shape, seed: number): Float32Array {
  const r = mulberry32(seed);
  const [n, h, w, c] = shape;
  const x = Float32Array.from({ length: n * h * w * c }, () => r() * 2 - 1);
  for (let i = 0; i < x.length; i++) {
    if (kind === "negative") x[i] = -1 - r();
    if (kind === "-inf" && r() < 0.2) x[i] = -Infinity;
    if (kind === "NaN" && r() < 0.3) x[i] = NaN;
    if (kind === "signed zeros") x[i] = r() < 0.5 ? 0 : -0;
  }
  if (kind === "-inf") x.fill(-Infinity, 0, w * c);
  if (kind === "NaN") for (let i = c - 1; i < x.length; i += c) x[i] = NaN;
  return x;
}

interface Pool {
  k: number;
  stride: number;
  pad: Pad;
  round?: "floor" | "round" | "ceil";
}

function maxPoolOn(backend: string, x: Float32Array, shape: Shape, p: Pool): Uint32Array {
  tf.setBackend(backend);
  const y = tf.tidy(() => tf.maxPool(tf.tensor4d(x, shape), p.k, p.stride, p.pad, p.round));
  const bits = new Uint32Array(y.dataSync().slice().buffer);
  y.dispose();
  return bits;
}

/** the first index where the two arrays' bits differ, or -1 */
function firstDifference(a: Uint32Array, b: Uint32Array): number {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

const pools: Pool[] = [];
for (const k of [2, 3]) for (const stride of [1, 2]) for (const pad of ["valid", "same", 1] as Pad[]) pools.push({ k, stride, pad });
const shapes: Shape[] = [];
for (const n of [1, 3]) for (const c of [3, 16, 64, 20]) shapes.push([n, 7, 9, c]);
const kinds: Kind[] = ["uniform", "negative", "-inf", "NaN", "signed zeros"];

describe("the native MaxPool equals tfjs-cpu's bit for bit", () => {
  it.each(pools)("kernel $k, stride $stride, pad $pad: batch 1 and 3, 3/16/64/20 channels, odd sizes, every kind of input", (p) => {
    let seed = 1;
    for (const shape of shapes) {
      for (const kind of kinds) {
        const x = input(kind, shape, seed++);
        const before = nativeCalls;
        const ours = maxPoolOn(NATIVE_BACKEND, x, shape, p);
        expect(nativeCalls, "ran on the cpu fallback").toBe(before + 1);
        expect(firstDifference(ours, maxPoolOn("cpu", x, shape, p)), `${kind} input of shape ${shape}`).toBe(-1);
      }
    }
  });

  // windows that hang over the input's far edge (ceil), and tensors large enough to be split over two threads
  // (set here: a test run may have OMP_NUM_THREADS=1)
  const more: [Shape, Pool][] = [
    [[2, 8, 8, 20], { k: 3, stride: 2, pad: 0, round: "ceil" }],
    [[2, 9, 8, 16], { k: 2, stride: 2, pad: 0, round: "round" }],
    [[2, 112, 112, 64], { k: 3, stride: 2, pad: 1 }],
    [[3, 33, 35, 20], { k: 3, stride: 1, pad: "same" }],
  ];
  it.each(more)("shape %j, %j, on two threads", (shape, p) => {
    const threads = addon.threads();
    addon.setThreads(2);
    try {
      for (const kind of kinds) {
        const x = input(kind, shape, 100);
        expect(firstDifference(maxPoolOn(NATIVE_BACKEND, x, shape, p), maxPoolOn("cpu", x, shape, p)), kind).toBe(-1);
      }
    } finally {
      addon.setThreads(threads);
    }
  });

  it("NaN never wins and a window of NaN only gives -inf (tfjs-cpu's rule, worked by hand)", () => {
    // one 2x2 window per channel: [NaN, 1, -2, NaN] -> 1; [NaN x4] -> -inf
    const x = Float32Array.from([NaN, NaN, 1, NaN, -2, NaN, NaN, NaN]);
    tf.setBackend(NATIVE_BACKEND);
    const y = tf.tidy(() => tf.maxPool(tf.tensor4d(x, [1, 2, 2, 2]), 2, 2, "valid").dataSync().slice());
    expect(Array.from(y)).toEqual([1, -Infinity]);
  });
});

describe("the gradient through the native MaxPool equals the cpu backend's", () => {
  it.each([
    { k: 3, stride: 2, pad: 1 },
    { k: 2, stride: 1, pad: "same" },
    { k: 3, stride: 1, pad: "valid" },
  ] as Pool[])("kernel $k, stride $stride, pad $pad", (p) => {
    const shape: Shape = [3, 7, 9, 20];
    for (const kind of ["uniform", "NaN"] as Kind[]) {
      const x = input(kind, shape, 7);
      const grad = (backend: string): Uint32Array => {
        tf.setBackend(backend);
        const dx = tf.tidy(() => {
          const xt = tf.tensor4d(x, shape);
          const yShape = tf.maxPool(xt, p.k, p.stride, p.pad).shape;
          const r = mulberry32(8);
          const dy = tf.tensor(Float32Array.from({ length: tf.util.sizeFromShape(yShape) }, () => r() * 2 - 1), yShape);
          return tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, p.k, p.stride, p.pad).mul(dy).sum())(xt);
        });
        const bits = new Uint32Array(dx.dataSync().slice().buffer);
        dx.dispose();
        return bits;
      };
      const before = nativeCalls;
      const ours = grad(NATIVE_BACKEND);
      expect(nativeCalls).toBeGreaterThan(before);
      expect(firstDifference(ours, grad("cpu")), kind).toBe(-1);
    }
  });
});

describe("what the native MaxPool does not implement runs on the cpu kernel", () => {
  it("int32 input, and a 1x1 window of stride 1 (the cpu's identity: NaN passes through)", () => {
    const cases: [tf.DataType, Pool][] = [
      ["int32", { k: 3, stride: 2, pad: "same" }],
      ["float32", { k: 1, stride: 1, pad: "valid" }],
    ];
    for (const [dtype, p] of cases) {
      const shape: Shape = [2, 5, 5, 4];
      const floats = input(dtype === "int32" ? "uniform" : "NaN", shape, 3);
      const x = dtype === "int32" ? Int32Array.from(floats, (v) => Math.round(v * 100)) : floats;
      const run = (backend: string) => {
        tf.setBackend(backend);
        return tf.tidy(() => Array.from(tf.maxPool(tf.tensor4d(x, shape, dtype), p.k, p.stride, p.pad).dataSync()));
      };
      const before = nativeCalls;
      const ours = run(NATIVE_BACKEND);
      expect(nativeCalls, `${dtype} ${JSON.stringify(p)} went native`).toBe(before);
      expect(ours).toEqual(run("cpu"));
    }
  });

  it("an addon built before pool.cc registers no MaxPool (the cpu kernel stays)", () => {
    expect(poolFamily(withMaxPool(addon, undefined)).kernels).toEqual([]);
    expect(poolFamily(addon).kernels.map((k) => k.kernelName)).toEqual(["MaxPool"]);
  });

  it("the addon refuses a geometry that does not match its arrays", () => {
    const g = Int32Array.from([1, 4, 4, 2, 2, 2, 2, 2, 2, 2, 0, 0]);
    expect(() => addon.maxPool!(g, new Float32Array(31), new Float32Array(8))).toThrow(/maxPool: x or y does not match/);
    expect(() => addon.maxPool!(g.subarray(0, 11), new Float32Array(32), new Float32Array(8))).toThrow(/12 integers/);
  });
});
