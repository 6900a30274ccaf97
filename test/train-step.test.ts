// Two whole SGD steps with KD on every training backend, against PyTorch (test/fixtures/make_two_step_kd.py made
// the reference in float64, and measured how far PyTorch's own float32 run lands from it: float32 rounding).
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { loadNativeAddon } from "../src/backend/native-addon.js";
import { NATIVE_BACKEND, registerNativeBackend } from "../src/backend/native-kernels.js";
import { registerWasmKernels } from "../src/backend/wasm-kernels.js";
import type { NetSpec, SkipMode } from "../src/net/index.js";
import { createModel, type Model } from "../src/train/model.js";
import { Sgd } from "../src/train/optimizer.js";
import { trainStep } from "../src/train/step.js";

interface Rec {
  shape: number[];
  data: string;
}
type Group = "params" | "buffers" | "stats";
const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "two-step-kd.json"), "utf8")) as {
  hyper: { lr: number; momentum: number; weightDecay: number; nesterov: boolean; kdMse: number; kdCe: number };
  teacherModes: SkipMode[];
  studentModes: SkipMode[];
  batches: { bytes: string; labels: number[] }[];
  init: { params: Record<string, Rec>; stats: Record<string, Rec> };
  losses: { float64: number[] };
  final: Record<Group, Record<string, Rec>>;
  rounding: Record<Group, Record<string, number>>;
};

const f32 = (r: Rec) => {
  const b = Buffer.from(r.data, "base64");
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

/** the network of make_two_step_kd.py */
function net(modes: SkipMode[]): NetSpec {
  const u = (stride: number, out: number) => ({ kernel: 3, stride, out });
  return {
    name: "two-step",
    dims: 2,
    input: { channels: 3, height: 16, width: 16 },
    stem: { convs: [u(1, 8)] },
    blocks: [
      { name: "s0b0", units: [u(1, 8), u(1, 8)], form: "plain", skip: modes[0] },
      { name: "s1b0", units: [u(2, 16), u(1, 16)], form: "shortenable", skip: modes[1] },
      { name: "s2b0", units: [u(1, 16), u(1, 16)], form: "plain", skip: modes[2] },
    ],
    head: { kind: "gap-dense", classes: 10 },
  };
}

function load(modes: SkipMode[]): Model {
  const m = createModel(net(modes), 0);
  for (const [group, recs] of [
    [m.params, fixture.init.params],
    [m.stats, fixture.init.stats],
  ] as const) {
    expect([...group.keys()].sort()).toEqual(Object.keys(recs).sort());
    for (const [k, v] of group) v.assign(tf.tensor(f32(recs[k]), recs[k].shape));
  }
  return m;
}

const batches = fixture.batches.map((b) => {
  const bytes = Buffer.from(b.bytes, "base64");
  return { x: Float32Array.from(bytes, (v) => (v - 128) / 64), labels: Int32Array.from(b.labels), n: b.labels.length };
});

/** worst |ours - reference| / tolerance over each group; tolerance = 8 x PyTorch's own float32 error (or 1 ulp) */
function twoSteps(backend: string) {
  tf.setBackend(backend);
  const teacher = load(fixture.teacherModes);
  const student = load(fixture.studentModes);
  const h = fixture.hyper;
  const opt = new Sgd({ lr: h.lr, momentum: h.momentum, weightDecay: h.weightDecay, nesterov: h.nesterov });
  const losses = batches.map((b) => trainStep(student, opt, b, h.lr, teacher, { mse: h.kdMse, ce: h.kdCe }));
  const got: Record<Group, Map<string, tf.Variable>> = { params: student.params, buffers: opt.buffers, stats: student.stats };
  const worst: Record<string, { ratio: number; name: string; abs: number }> = {};
  for (const g of ["params", "buffers", "stats"] as Group[]) {
    worst[g] = { ratio: 0, name: "", abs: 0 };
    expect([...got[g].keys()].sort()).toEqual(Object.keys(fixture.final[g]).sort());
    for (const [k, v] of got[g]) {
      const ref = f32(fixture.final[g][k]);
      const ours = v.dataSync();
      let scale = 0;
      for (const r of ref) scale = Math.max(scale, Math.abs(r));
      const tol = 8 * Math.max(fixture.rounding[g][k], scale * 2 ** -24);
      for (let i = 0; i < ref.length; i++) {
        const d = Math.abs(ours[i] - ref[i]);
        if (!(d / tol <= worst[g].ratio)) worst[g] = { ratio: d / tol, name: k, abs: d };
      }
    }
  }
  return { losses, worst };
}

beforeAll(async () => {
  const addon = loadNativeAddon();
  if (!addon) throw new Error("native addon not built: run npm run build:native");
  registerNativeBackend(addon);
  require("@tensorflow/tfjs-backend-wasm");
  registerWasmKernels();
  for (const b of ["wasm", "cpu", NATIVE_BACKEND]) {
    await tf.setBackend(b);
    await tf.ready();
  }
});

describe.each([NATIVE_BACKEND, "wasm", "cpu"])("two SGD steps with KD on %s match PyTorch", (backend) => {
  it("parameters, momentum buffers and BN running statistics within float32 rounding", () => {
    const { losses, worst } = twoSteps(backend);
    console.log(`${backend}: worst error / tolerance ${JSON.stringify(worst)}`);
    losses.forEach((l, i) => expect(l).toBeCloseTo(fixture.losses.float64[i], 5));
    for (const g of Object.values(worst)) expect(g.ratio).toBeLessThanOrEqual(1);
  });
});

describe("wasm Sum and Mean", () => {
  it("over the batch x H x W values of a BN channel: within a few float32 roundings of the float64 sum", () => {
    tf.setBackend("wasm");
    const shape = [32, 32, 32, 4];
    const n = shape.reduce((a, b) => a * b);
    // terms that cancel (a BN shift's gradient): large values summing to little
    const v = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.7) * 3 + 0.01 * (i % 4));
    const exact = new Float64Array(4);
    const absSum = new Float64Array(4);
    for (let i = 0; i < n; i++) {
      exact[i % 4] += v[i];
      absSum[i % 4] += Math.abs(v[i]);
    }
    const [sum, mean, keep] = tf.tidy(() => {
      const x = tf.tensor(v, shape);
      return [tf.sum(x, [0, 1, 2]), tf.mean(x, [0, 1, 2]), tf.sum(x, [0, 1, 2], true)].map((t) => ({ shape: t.shape, data: t.dataSync() }));
    });
    expect(keep.shape).toEqual([1, 1, 1, 4]);
    const terms = n / 4;
    for (let c = 0; c < 4; c++) {
      // Rounding errors of a float32 sum scale with sum |x|: a sequential sum of these 8,192 terms (the stock kernel)
      // measured up to 1.5e-7 sum |x|, sums of blocks of 32 measured 5e-9 sum |x|.
      const bound = 2 ** -26 * absSum[c];
      expect(Math.abs(sum.data[c] - exact[c])).toBeLessThan(bound);
      expect(Math.abs(mean.data[c] - exact[c] / terms)).toBeLessThan(bound / terms);
      expect(keep.data[c]).toBe(sum.data[c]);
    }
    expect(sum.shape).toEqual([4]);
  });
});
