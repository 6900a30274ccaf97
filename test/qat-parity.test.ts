// Two SGD steps of quantisation-aware training against PyTorch (issue 12): test/fixtures/make_two_step_qat.py wrote,
// from the quantisers' documented semantics (src/train/quant.ts's header), not from our code, a float64 reference of
// two scenarios the QAT campaign runs: a Tailor student with KD from a quantised teacher whose batch norm uses batch
// statistics, and the QAT fine-tune of a float teacher. Here our trainStep runs the same start on the native backend
// and on tfjs's cpu backend (the reference ops), and we compare
//  1. every quantiser call of every step (each weight tensor and ReLU output, teacher and student): its range and the
//     histogram of its integer codes exactly, its scale within float32 rounding;
//  2. parameters, momentum buffers and running statistics (batch norm and each ReLU's `.actmax`) after each step,
//     and the losses, within float32 rounding as test/train-step.test.ts does for float training.
//
// Why exact codes and a rounding-level tolerance can be demanded of a discontinuous function: a value within float32
// rounding of a rounding boundary could land on either side in another float32 implementation, and one flipped code
// moves the values after it by a sizeable fraction of a quantisation step. The fixture's start was searched so that
// no quantiser input of the reference lies within `boundary.margin` (1e-4 quantisation steps) of a boundary, and
// PyTorch's own float32 run strayed at most `boundary.float32Deviation` (about 1e-5 steps, from 8-bit weights'
// codes up to 127) from it. Checked below: a float32 implementation that computes what quant.ts documents lands on
// the same codes everywhere, so what remains is float32 rounding. A failure of the histograms means a real
// difference in what is quantised (or, if the reported margin of our own values is tiny, a boundary case: then
// regenerate the fixture with a wider margin).
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadNativeAddon } from "../src/backend/native-addon.js";
import { NATIVE_BACKEND, registerNativeBackend } from "../src/backend/native-kernels.js";
import { registerTrainingOps, trainingOps, type TrainingOps } from "../src/backend/training-ops.js";
import type { NetSpec, SkipMode } from "../src/net/index.js";
import { cloneModel, createModel, setNet, type Model } from "../src/train/model.js";
import { Sgd } from "../src/train/optimizer.js";
import { ACT_STAT, useQuant } from "../src/train/quant.js";
import { trainStep } from "../src/train/step.js";

interface Rec {
  shape: number[];
  data: string;
}
type Group = "params" | "buffers" | "stats";
interface QuantCall {
  scale: number;
  float32Scale: number;
  qmin: number;
  qmax: number;
  size: number;
  histogram: number[];
  clamped: number;
  margin: number;
  float32Deviation: number;
}
interface Step extends Record<Group, Record<string, Rec>> {
  rounding: Record<Group, Record<string, number>>;
  loss: { float64: number; float32: number };
  quantisers: { teacher?: Record<string, QuantCall>; student: Record<string, QuantCall> };
}
interface Scenario {
  studentModes: SkipMode[];
  teacherModes: SkipMode[] | null;
  teacherBn: "batch" | null;
  steps: Step[];
}
const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "two-step-qat.json"), "utf8")) as {
  net: { batch: number; height: number; width: number; c1: number; c2: number; classes: number };
  quant: { weightBits: number; actBits: number; edgeBits: number; actMomentum: number };
  hyper: { lr: number; momentum: number; weightDecay: number; nesterov: boolean; kdMse: number; kdCe: number };
  boundary: { margin: number; worst: number; float32Deviation: number; safety: number };
  batches: { bytes: string; labels: number[] }[];
  init: { params: Record<string, Rec>; stats: Record<string, Rec> };
  scenarios: Record<"kd" | "finetune", Scenario>;
};

const f32 = (r: Rec) => {
  const b = Buffer.from(r.data, "base64");
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

/** the network of make_two_step_qat.py */
function net(modes: SkipMode[]): NetSpec {
  const { c1, c2, height, width, classes } = fixture.net;
  const u = (stride: number, out: number) => ({ kernel: 3, stride, out });
  return {
    name: "two-step-qat",
    dims: 2,
    input: { channels: 3, height, width },
    stem: { convs: [u(1, c1)] },
    blocks: [
      { name: "s0b0", units: [u(1, c1), u(1, c1)], form: "plain", skip: modes[0] },
      { name: "s1b0", units: [u(2, c2), u(1, c2)], form: "shortenable", skip: modes[1] },
      { name: "s2b0", units: [u(1, c2), u(1, c2)], form: "plain", skip: modes[2] },
    ],
    head: { kind: "gap-dense", classes },
  };
}

const QUANT = { quantWeightBits: fixture.quant.weightBits, quantActBits: fixture.quant.actBits, quantEdgeBits: fixture.quant.edgeBits };

/** A quantised model at the fixture's start; `actmax`: with the stored running maxima of a QAT model (else none). */
function load(modes: SkipMode[], actmax: boolean): Model {
  const m = useQuant(createModel(net(modes), 0), QUANT);
  expect([...m.params.keys()].sort()).toEqual(Object.keys(fixture.init.params).sort());
  for (const [k, v] of m.params) v.assign(tf.tensor(f32(fixture.init.params[k]), fixture.init.params[k].shape));
  const stored = Object.keys(fixture.init.stats).filter((k) => actmax || !k.endsWith(ACT_STAT));
  const relus = m.graph.layers.filter((l) => l.op === "relu").map((l) => l.name + ACT_STAT);
  expect(stored.sort()).toEqual([...m.stats.keys(), ...(actmax ? relus : [])].sort());
  for (const k of stored) {
    const r = fixture.init.stats[k];
    const t = tf.tensor(f32(r), r.shape);
    const v = m.stats.get(k);
    if (v) v.assign(t);
    else m.stats.set(k, tf.variable(t, false));
  }
  return m;
}

const batches = fixture.batches.map((b) => {
  const bytes = Buffer.from(b.bytes, "base64");
  return { x: Float32Array.from(bytes, (v) => (v - 128) / 64), labels: Int32Array.from(b.labels), n: b.labels.length };
});

/** round half to even, as torch.round and the quantiser kernels */
function roundEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

interface Seen {
  model: "teacher" | "student";
  name: string;
  scale: number;
  qmin: number;
  qmax: number;
  size: number;
  histogram: number[];
  clamped: number;
  /** our smallest distance to a rounding boundary, in quantisation steps */
  margin: number;
}

/**
 * Wraps the backend's fakeQuant op to see every quantiser call: which model and layer (a weight is the model's own
 * variable; ReLU outputs come in the order of the graph's ReLU layers within one model's forward pass), its scale,
 * range and the histogram of the codes our values give.
 */
function watchQuantisers(backend: string, models: { teacher?: Model; student: Model }) {
  const base = trainingOps(backend);
  const original = base.fakeQuant;
  const owner = new Map<tf.Tensor, { model: "teacher" | "student"; name: string }>();
  for (const model of ["teacher", "student"] as const) for (const [name, v] of models[model]?.params ?? []) owner.set(v, { model, name });
  const relus = (model: "teacher" | "student") => models[model]!.graph.layers.filter((l) => l.op === "relu").map((l) => l.name);
  let current: "teacher" | "student" = "student";
  let relu = 0;
  let seen: Seen[] = [];
  const fakeQuant: TrainingOps["fakeQuant"] = (x, scale, qmin, qmax, steClamp) => {
    let who = owner.get(x);
    if (who) {
      // a model's forward pass opens with its first conv's weights: its ReLUs start counting again
      if (who.name === "stem0.conv.weight") relu = 0;
      current = who.model;
    } else {
      who = { model: current, name: relus(current)[relu++] ?? `relu #${relu} (more than the graph has)` };
    }
    const s = Math.fround(scale);
    const values = x.dataSync();
    const histogram = new Array<number>(qmax - qmin + 1).fill(0);
    let clamped = 0;
    let margin = Infinity;
    for (const value of values) {
      const v = Math.fround(value / s);
      const q = roundEven(v);
      if (q < qmin || q > qmax) clamped++;
      histogram[Math.min(Math.max(q, qmin), qmax) - qmin]++;
      const boundary = Math.min(Math.max(Math.floor(value / s) + 0.5, qmin - 0.5), qmax + 0.5);
      margin = Math.min(margin, Math.abs(value / s - boundary));
    }
    seen.push({ ...who, scale: s, qmin, qmax, size: values.length, histogram, clamped, margin });
    return original.call(base, x, scale, qmin, qmax, steClamp);
  };
  registerTrainingOps(backend, { fakeQuant });
  return {
    /** the calls since the last take */
    take(): Seen[] {
      const out = seen;
      seen = [];
      return out;
    },
    restore: () => registerTrainingOps(backend, { fakeQuant: original }),
  };
}

let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  restore = undefined;
});

/** |ours - reference| / tolerance, worst per group; tolerance = 8 x PyTorch's own float32 error (or 1 ulp) */
function compareStep(step: Step, got: Record<Group, Map<string, tf.Variable>>) {
  const worst: Record<string, { ratio: number; name: string; abs: number }> = {};
  for (const g of ["params", "buffers", "stats"] as Group[]) {
    worst[g] = { ratio: 0, name: "", abs: 0 };
    expect([...got[g].keys()].sort()).toEqual(Object.keys(step[g]).sort());
    for (const [k, v] of got[g]) {
      const ref = f32(step[g][k]);
      const ours = v.dataSync();
      let scale = 0;
      for (const r of ref) scale = Math.max(scale, Math.abs(r));
      const tol = 8 * Math.max(step.rounding[g][k], scale * 2 ** -24);
      for (let i = 0; i < ref.length; i++) {
        const d = Math.abs(ours[i] - ref[i]);
        if (!(d / tol <= worst[g].ratio)) worst[g] = { ratio: d / tol, name: k, abs: d };
      }
    }
  }
  return worst;
}

/** Our quantiser calls of one step against the reference's: same calls, same codes, scales within float32 rounding. */
function compareQuantisers(step: Step, seen: Seen[]) {
  const expected = Object.entries(step.quantisers).flatMap(([model, calls]) => Object.keys(calls!).map((name) => `${model} ${name}`));
  expect(seen.map((s) => `${s.model} ${s.name}`).sort()).toEqual(expected.sort());
  let worstScale = 0;
  let ourMargin = Infinity;
  for (const s of seen) {
    const ref = step.quantisers[s.model]![s.name];
    const what = `${s.model} ${s.name}`;
    expect({ qmin: s.qmin, qmax: s.qmax, size: s.size }, what).toEqual({ qmin: ref.qmin, qmax: ref.qmax, size: ref.size });
    // exact: with no reference value near a boundary, every code of a correct implementation is the reference's
    expect({ histogram: s.histogram, clamped: s.clamped }, what).toEqual({ histogram: ref.histogram, clamped: ref.clamped });
    const tol = 8 * Math.max(Math.abs(ref.float32Scale - ref.scale), ref.scale * 2 ** -24);
    worstScale = Math.max(worstScale, Math.abs(s.scale - ref.scale) / tol);
    ourMargin = Math.min(ourMargin, s.margin);
  }
  expect(worstScale).toBeLessThanOrEqual(1);
  return { worstScale, ourMargin };
}

function run(backend: string, scenario: "kd" | "finetune") {
  tf.setBackend(backend);
  const sc = fixture.scenarios[scenario];
  const teacher = sc.teacherModes ? load(sc.teacherModes, true) : undefined;
  // the Tailor student starts as a copy of the QAT teacher, running maxima included, with its skips then altered (as
  // src/train/tailor.ts makes it); the fine-tune starts from a float model (no running maxima yet)
  let student: Model;
  if (teacher) {
    student = useQuant(cloneModel(teacher), QUANT);
    expect(setNet(student, net(sc.studentModes))).toEqual([]);
  } else {
    student = load(sc.studentModes, false);
  }
  const h = fixture.hyper;
  const opt = new Sgd({ lr: h.lr, momentum: h.momentum, weightDecay: h.weightDecay, nesterov: h.nesterov });
  const watch = watchQuantisers(backend, { teacher, student });
  restore = watch.restore;
  const kd = teacher ? { mse: h.kdMse, ce: h.kdCe } : undefined;
  const report = sc.steps.map((step, i) => {
    const loss = trainStep(student, opt, batches[i], h.lr, teacher, kd, sc.teacherBn ?? "running");
    const quant = compareQuantisers(step, watch.take());
    expect(loss, `loss of step ${i + 1}`).toBeCloseTo(step.loss.float64, 5);
    const worst = compareStep(step, { params: student.params, buffers: opt.buffers, stats: student.stats });
    return { step: i + 1, loss: Math.abs(loss - step.loss.float64), ...quant, worst };
  });
  console.log(`${backend} ${scenario}: ${JSON.stringify(report)}`);
  for (const r of report) for (const g of Object.values(r.worst)) expect(g.ratio).toBeLessThanOrEqual(1);
}

beforeAll(async () => {
  const addon = loadNativeAddon();
  if (!addon) throw new Error("native addon not built: run npm run build:native");
  registerNativeBackend(addon);
  for (const b of ["cpu", NATIVE_BACKEND]) {
    await tf.setBackend(b);
    await tf.ready();
  }
});

describe("the fixture keeps every quantiser input away from the rounding boundaries", () => {
  it("margin in the float64 reference, far wider than PyTorch's float32 deviation from it", () => {
    const b = fixture.boundary;
    const calls = Object.values(fixture.scenarios).flatMap((sc) => sc.steps.flatMap((st) => Object.values(st.quantisers).flatMap((m) => Object.values(m!))));
    expect(calls.length).toBeGreaterThan(100);
    for (const c of calls) {
      expect(c.margin).toBeGreaterThanOrEqual(b.margin);
      expect(c.float32Deviation * b.safety).toBeLessThanOrEqual(b.margin);
      expect(c.histogram.reduce((a, n) => a + n, 0)).toBe(c.size);
    }
    // the activations' plain clamp is exercised: some student ReLU outputs lie beyond the range (zero gradient there)
    const clamped = fixture.scenarios.kd.steps.map((st) => Object.values(st.quantisers.student).reduce((a, c) => a + c.clamped, 0));
    expect(Math.min(...clamped)).toBeGreaterThan(0);
  });
});

describe.each([NATIVE_BACKEND, "cpu"])("two QAT steps on %s match PyTorch", (backend) => {
  it.each(["kd", "finetune"] as const)("%s: every quantiser's codes, then weights, momentum, running statistics and scales after each step", (scenario) => {
    run(backend, scenario);
  });
});
