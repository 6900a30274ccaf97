// Fake quantisation for QAT (src/train/quant.ts, src/backend/quant-ops.ts, native/src/quant.cc): hand-worked
// examples, the straight-through gradient against finite differences, the native kernels against the reference ops,
// and the hooks in a ResNet's forward pass (scales, running statistics, checkpoints, config).
import * as tf from "@tensorflow/tfjs";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadNativeAddon } from "../src/backend/native-addon.js";
import { NATIVE_BACKEND, registerNativeBackend } from "../src/backend/native-kernels.js";
import { trainingOps } from "../src/backend/training-ops.js";
import { resnet8 } from "../src/net/index.js";
import { makeCheckpoint, modelFromCheckpoint } from "../src/train/checkpoint.js";
import { readCheckpointFile, writeCheckpointFile } from "../src/train/checkpoint-file.js";
import { ConfigError, DEFAULT_CONFIG, validateConfig, type TrainConfig } from "../src/train/config.js";
import { configDifferences } from "../src/train/config-compare.js";
import { cloneModel, createModel, disposeModel, forward, updateRunningStats, type BatchStats, type Model } from "../src/train/model.js";
import { ACT_STAT, quantActivation, quantOf, quantWeight, teacherQuantMismatch, useQuant, weightBitsOf } from "../src/train/quant.js";
import { mulberry32 } from "../src/util/random.js";

const BACKENDS = ["cpu", NATIVE_BACKEND] as const;

beforeAll(async () => {
  const addon = loadNativeAddon();
  if (!addon) throw new Error("native addon not built: run npm run build:native");
  registerNativeBackend(addon);
  await tf.setBackend(NATIVE_BACKEND);
  await tf.ready();
});

function on<T>(backend: string, f: () => T): T {
  tf.setBackend(backend);
  try {
    return f();
  } finally {
    tf.setBackend(NATIVE_BACKEND);
  }
}

/** y and dL/dx of L = sum(dy * fakeQuant(x)) */
function quantAndGrad(x: Float32Array, dy: Float32Array, scale: number, qmin: number, qmax: number, ste: boolean) {
  return tf.tidy(() => {
    const xt = tf.tensor1d(x);
    const ops = trainingOps();
    const y = ops.fakeQuant(xt, scale, qmin, qmax, ste);
    const g = tf.grad((a: tf.Tensor) => ops.fakeQuant(a, scale, qmin, qmax, ste).mul(tf.tensor1d(dy)).sum())(xt);
    return { y: Array.from(y.dataSync()), g: Array.from(g.dataSync()), absMax: ops.absMax(xt) };
  });
}

describe("fake quantisation, worked by hand", () => {
  it("weights, 4 bits: scale max|w| / 7, round to nearest, straight-through gradient", () => {
    // w = [0.5, -0.25, 0.1, -0.9]; 4-bit signed narrow range: integers -7..7; scale s = 0.9 / 7 = 0.128571...
    // w / s = [3.889, -1.944, 0.778, -7] -> round -> [4, -2, 1, -7] -> y = [4s, -2s, s, -7s]
    //       = [0.514286, -0.257143, 0.128571, -0.9]; the clamp is straight-through, so dL/dw = dL/dy
    const w = Float32Array.from([0.5, -0.25, 0.1, -0.9]);
    const dy = Float32Array.from([1, -2, 3, 0.5]);
    for (const b of BACKENDS) {
      const r = on(b, () => {
        const ops = trainingOps();
        const s = ops.absMax(tf.tensor1d(w)) / 7;
        return quantAndGrad(w, dy, s, -7, 7, true);
      });
      expect(r.absMax, b).toBeCloseTo(0.9, 6);
      [0.514286, -0.257143, 0.128571, -0.9].forEach((v, i) => expect(r.y[i], `${b} y[${i}]`).toBeCloseTo(v, 5));
      expect(r.g, b).toEqual(Array.from(dy));
    }
  });

  it("activations, 2 bits: unsigned 0..3, ties to even, zero gradient where the clamp bites", () => {
    // scale 0.5 (a running maximum of 1.5 over qmax = 3); x / s = [0, 0.5, 0.6, 1.5, 2.4, 3.2, 4]
    // round (half to even, as torch.round) -> [0, 0, 1, 2, 2, 3, 4]; clamp to 0..3 -> [0, 0, 1, 2, 2, 3, 3]
    // y = [0, 0, 0.5, 1, 1, 1.5, 1.5]; gradient passes where the rounded value is inside 0..3: all but the last
    const x = Float32Array.from([0, 0.25, 0.3, 0.75, 1.2, 1.6, 2.0]);
    const dy = Float32Array.from([1, 2, 3, 4, 5, 6, 7]);
    for (const b of BACKENDS) {
      const r = on(b, () => quantAndGrad(x, dy, 0.5, 0, 3, false));
      expect(r.y, b).toEqual([0, 0, 0.5, 1, 1, 1.5, 1.5]);
      expect(r.g, b).toEqual([1, 2, 3, 4, 5, 6, 0]);
    }
  });
});

describe("straight-through gradient, numerically", () => {
  it("equals the finite-difference derivative of the clamp it stands for; the true derivative is zero between steps", () => {
    const rnd = mulberry32(11);
    const s = 0.1;
    // points inside and beyond the 3-bit unsigned range 0..0.7, none within 1e-3 of a rounding or clamp edge
    const x = Float32Array.from({ length: 64 }, () => {
      for (;;) {
        const v = rnd() * 1.0 - 0.1;
        const f = v / s - Math.floor(v / s);
        if (Math.abs(f - 0.5) > 0.02 && Math.abs(v - 0.75) > 0.002 && Math.abs(v + 0.05) > 0.002) return v;
      }
    });
    const dy = Float32Array.from({ length: 64 }, () => rnd() * 2 - 1);
    const h = 1e-3;
    // the surrogate the STE differentiates: clamp(x / s, qmin - 0.5, qmax + 0.5) * s (round taken as the identity;
    // the clamp edges are where round(x / s) leaves 0..7)
    const surrogate = (v: number) => Math.min(Math.max(v / s, -0.5), 7.5) * s;
    for (const b of BACKENDS) {
      const r = on(b, () => quantAndGrad(x, dy, s, 0, 7, false));
      for (let i = 0; i < x.length; i++) {
        const numeric = (dy[i] * (surrogate(x[i] + h) - surrogate(x[i] - h))) / (2 * h);
        expect(r.g[i], `${b} x=${x[i]}`).toBeCloseTo(numeric, 3);
        const trueFd = on(b, () => tf.tidy(() => {
          const ops = trainingOps();
          const at = (v: number) => ops.fakeQuant(tf.tensor1d([v]), s, 0, 7, false).dataSync()[0];
          return (at(x[i] + 1e-4) - at(x[i] - 1e-4)) / 2e-4;
        }));
        expect(trueFd).toBe(0);
      }
      // some points were clamped (zero gradient) and some were not: both branches are exercised
      expect(r.g.filter((g) => g === 0).length).toBeGreaterThan(3);
      expect(r.g.filter((g) => g !== 0).length).toBeGreaterThan(30);
    }
  });
});

describe("native kernels against the reference ops", () => {
  it("forward, both gradients and max |x| agree bit for bit, small and large tensors", () => {
    for (const [n, seed] of [[37, 1], [70_001, 2]] as const) {
      const rnd = mulberry32(seed);
      const x = Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * 3);
      const dy = Float32Array.from({ length: n }, () => rnd() * 2 - 1);
      for (const [scale, qmin, qmax, ste] of [[0.37 / 7, -7, 7, true], [1.3 / 15, 0, 15, false], [2.9 / 127, -127, 127, false]] as const) {
        const ref = on("cpu", () => quantAndGrad(x, dy, scale, qmin, qmax, ste));
        const nat = on(NATIVE_BACKEND, () => quantAndGrad(x, dy, scale, qmin, qmax, ste));
        // equal values; the sign of a zero may differ (the compiler's vector min/max return +0 for a clamped -0),
        // which no sum or product downstream can tell apart except in the sign of an exact zero
        const z = (a: number[]) => a.map((v) => v + 0);
        expect(z(nat.y)).toEqual(z(ref.y));
        expect(z(nat.g)).toEqual(z(ref.g));
        expect(nat.absMax).toBe(ref.absMax);
      }
    }
  });

  it("max |x| finds the largest magnitude wherever it sits: first, last, in a vector's tail, negative", () => {
    const ops = () => trainingOps();
    for (const n of [5, 16, 37, 70_001]) {
      for (const at of [0, n - 1, Math.floor(n / 2), n - (n % 16 || 1)]) {
        const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 0.5);
        x[at] = -7.25;
        const got = on(NATIVE_BACKEND, () => ops().absMax(tf.tensor1d(x)));
        expect(got, `n ${n}, at ${at}`).toBe(7.25);
      }
    }
  });
});

const qat = (o: Partial<TrainConfig> = {}) => ({ ...DEFAULT_CONFIG, quantWeightBits: 4, quantActBits: 4, quantEdgeBits: 8, ...o });
const distinct = (t: tf.Tensor) => new Set(Array.from(t.dataSync())).size;

describe("the hooks in the forward pass", () => {
  it("weights: at most 2^(b-1)*2-1 levels per tensor, 8 bits at the first conv and the last dense layer", () => {
    const m = useQuant(createModel(resnet8(), 1), qat());
    const first = m.graph.layers.find((l) => l.op === "conv")!;
    const dense = m.graph.layers.find((l) => l.op === "dense")!;
    const body = m.graph.layers.filter((l) => l.op === "conv")[3];
    expect(weightBitsOf(quantOf(m)!, m.graph, first)).toBe(8);
    expect(weightBitsOf(quantOf(m)!, m.graph, dense)).toBe(8);
    expect(weightBitsOf(quantOf(m)!, m.graph, body)).toBe(4);
    tf.tidy(() => {
      const wb = m.params.get(`${body.name}.weight`)!;
      const qb = quantWeight(m, body, wb);
      expect(distinct(qb)).toBeLessThanOrEqual(15);
      expect(distinct(qb)).toBeGreaterThan(10);
      // the largest weight is a grid point: it comes back unchanged (up to float rounding)
      expect(tf.max(tf.abs(qb)).dataSync()[0]).toBeCloseTo(tf.max(tf.abs(wb)).dataSync()[0], 6);
      const qf = quantWeight(m, first, m.params.get(`${first.name}.weight`)!);
      expect(distinct(qf)).toBeGreaterThan(15);
      expect(distinct(qf)).toBeLessThanOrEqual(255);
    });
    // a float model is untouched
    const f = createModel(resnet8(), 1);
    const w = f.params.get(`${body.name}.weight`)!;
    expect(quantWeight(f, body, w)).toBe(w);
  });

  it("activations: the first batch sets the running maximum, later ones move it by 0.1; evaluation reads it", () => {
    const m = useQuant(createModel(resnet8(), 1), qat({ quantWeightBits: 0, quantActBits: 3 }));
    const relu = m.graph.layers.find((l) => l.op === "relu")!;
    const stat = () => m.stats.get(relu.name + ACT_STAT)?.dataSync()[0];
    tf.tidy(() => {
      const y1 = tf.tensor1d([0, 1, 2.2, 4]);
      const q1 = quantActivation(m, relu, y1, true);
      expect(stat()).toBe(4);
      // 3 bits: 0..7, scale 4 / 7; [0, 1, 2.2, 4] / s = [0, 1.75, 3.85, 7] -> [0, 2, 4, 7] -> [0, 8/7, 16/7, 4]
      expect(Array.from(q1.dataSync()).map((v) => +v.toFixed(5))).toEqual([0, +(8 / 7).toFixed(5), +(16 / 7).toFixed(5), 4]);
      quantActivation(m, relu, tf.tensor1d([0, 14]), true);
      expect(stat()).toBeCloseTo(0.9 * 4 + 0.1 * 14, 5); // 5
      // not updating (evaluation, the KD teacher): the stored maximum 5 is the range, 14 is clamped to it
      const q3 = quantActivation(m, relu, tf.tensor1d([14]), false);
      expect(q3.dataSync()[0]).toBeCloseTo(5, 5);
      expect(stat()).toBeCloseTo(5, 5);
    });
  });

  it("a training step of a quantised ResNet-8 runs on both backends with the same loss, and checkpoints keep the scales", () => {
    const rnd = mulberry32(3);
    const n = 4;
    const x = Float32Array.from({ length: n * 32 * 32 * 3 }, () => rnd() * 2 - 1);
    const losses = BACKENDS.map((b) =>
      on(b, () => {
        const m = useQuant(createModel(resnet8(), 7), qat());
        // forward only on the slow pure-JS cpu backend; the gradient is checked on the native one below
        const loss = tf.tidy(() => forward(m, tf.tensor4d(x, [n, 32, 32, 3]), true, {}).square().mean().dataSync()[0]);
        return { loss, stats: [...m.stats.keys()].filter((k) => k.endsWith(ACT_STAT)).length, m };
      }),
    );
    expect(losses[0].stats).toBeGreaterThan(5);
    expect(losses[1].stats).toBe(losses[0].stats);
    expect(Math.abs(losses[0].loss - losses[1].loss)).toBeLessThan(1e-4 * Math.abs(losses[0].loss) + 1e-6);
    const m = losses[1].m;
    // every weight the graph uses gets a finite gradient through the quantisers, not all zero
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => forward(m, tf.tensor4d(x, [n, 32, 32, 3]), true, {}).square().mean() as tf.Scalar);
      const conv = m.graph.layers.filter((l) => l.op === "conv")[3];
      const g = grads[m.params.get(`${conv.name}.weight`)!.name].dataSync();
      expect(g.every(Number.isFinite)).toBe(true);
      expect(g.some((v) => v !== 0)).toBe(true);
    });
    // through a checkpoint file and back: the activation maxima and the quantisers come back
    const config = { ...qat(), seed: 7 } as TrainConfig;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-quant-"));
    try {
      const file = path.join(dir, "q.ckpt");
      writeCheckpointFile(file, makeCheckpoint(m, null, config, 0, [], null, {}));
      const back = modelFromCheckpoint(readCheckpointFile(file), file);
      expect(quantOf(back)).toEqual({ weightBits: 4, actBits: 4, edgeBits: 8 });
      for (const [k, v] of m.stats) expect(Array.from(back.stats.get(k)!.dataSync()), k).toEqual(Array.from(v.dataSync()));
      const xt = tf.tensor4d(x, [n, 32, 32, 3]);
      expect(Array.from(forward(back, xt, false).dataSync())).toEqual(Array.from(forward(m, xt, false).dataSync()));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a copy (cloneModel, the Tailor student) is quantised as its original and gives the same logits in evaluation", () => {
    const rnd = mulberry32(11);
    const n = 2;
    const x = tf.tensor4d(Float32Array.from({ length: n * 32 * 32 * 3 }, () => rnd() * 2 - 1), [n, 32, 32, 3]);
    const m = useQuant(createModel(resnet8(), 5), qat());
    // one training pass gives every ReLU its activation scale and the BN layers statistics, as a trained model has
    const s: BatchStats = {};
    tf.tidy(() => {
      forward(m, x, true, s);
    });
    updateRunningStats(m, s, n);
    const logits = (a: Model) => {
      const y = tf.tidy(() => forward(a, x, false));
      const v = Array.from(y.dataSync());
      y.dispose();
      return v;
    };
    const copy = cloneModel(m);
    expect(quantOf(copy)).toEqual({ weightBits: 4, actBits: 4, edgeBits: 8 });
    expect(logits(copy)).toEqual(logits(m));
    // the quantisers change these logits: a copy run float gives others, so the equality above says something
    const float = useQuant(cloneModel(m), {});
    expect(logits(float)).not.toEqual(logits(m));
    for (const a of [m, copy, float]) disposeModel(a);
    x.dispose();
  });
});

describe("the quantisation config", () => {
  it("is validated, compared on resume, and old (float) configs compare equal to float runs", () => {
    expect(() => validateConfig(qat({ quantWeightBits: 1 }))).toThrow(ConfigError);
    expect(() => validateConfig(qat({ quantActBits: 17 }))).toThrow(/quantActBits: expected 0 \(float\) or an integer from 1 to 16, got 17/);
    expect(() => validateConfig(qat({ quantEdgeBits: 0 }))).toThrow(/quantEdgeBits/);
    expect(() => validateConfig(qat({ quantWeightBits: 4.5 }))).toThrow(/quantWeightBits/);
    validateConfig(qat());
    // a checkpoint written before these fields existed ran float: no difference with a float config
    const old = Object.fromEntries(Object.entries(DEFAULT_CONFIG).filter(([k]) => !k.startsWith("quant"))) as Partial<TrainConfig>;
    expect(configDifferences(old, { ...DEFAULT_CONFIG })).toEqual([]);
    expect(configDifferences(old, qat()).map(([k]) => k)).toEqual(["quantWeightBits", "quantActBits"]);
    expect(configDifferences(qat(), qat({ quantEdgeBits: 6 })).map(([k]) => k)).toEqual(["quantEdgeBits"]);
  });

  it("a KD teacher must be quantised as its student", () => {
    expect(teacherQuantMismatch(qat(), qat())).toBeNull();
    expect(teacherQuantMismatch(DEFAULT_CONFIG, DEFAULT_CONFIG)).toBeNull();
    expect(teacherQuantMismatch(qat(), DEFAULT_CONFIG)).toMatch(/teacher was trained float, this run is w4a4 \(edges 8\)/);
    expect(teacherQuantMismatch(qat({ quantWeightBits: 8, quantActBits: 8 }), qat())).toMatch(/w4a4.*w8a8/);
    // a float teacher: fine-tune one; a quantised teacher: its own flags (it said "fine-tune" to a float run too)
    expect(teacherQuantMismatch(qat(), DEFAULT_CONFIG)).toMatch(/\(fine-tune the teacher at this run's precision with --method finetune first\)$/);
    expect(teacherQuantMismatch(DEFAULT_CONFIG, qat({ quantEdgeBits: 6 }))).toMatch(
      /teacher was trained w4a4 \(edges 6\), this run is float: .*\(give its flags, --quant-weight-bits 4 --quant-act-bits 4 --quant-edge-bits 6, or fine-tune/,
    );
  });
});
