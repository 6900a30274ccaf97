/**
 * A trainable network: tfjs variables keyed by the layer names of the NetSpec's graph, and a forward pass that
 * walks the graph of the *current* skip modes. Changing a mode re-lowers the graph and keeps every weight, so the
 * Tailor student starts exactly as the teacher it was copied from.
 */
import * as tf from "@tensorflow/tfjs";
import { lower, type ConvLayer, type Layer, type LayerGraph, type NetSpec } from "../net/index.js";
import { Rng } from "../util/random.js";
import { fusionPlan, type FusionPlan } from "./fusion.js";
import { BN_EPS, trainingOps, type BatchNormResult, type ConvGeometry } from "./ops.js";
import { quantActivation, quantWeight, type QuantSpec } from "./quant.js";
import { assertTrainable } from "./trainable.js";

export const BN_MOMENTUM = 0.1; // PyTorch BatchNorm2d default

// tfjs variable names are global: give every model's variables a unique prefix
let modelCounter = 0;
const varName = (name: string) => `m${modelCounter}/${name}`;

export interface Model {
  net: NetSpec;
  graph: LayerGraph;
  /** trainable: "<layer>.weight", "<layer>.bias" (conv/dense), "<bn>.gamma", "<bn>.beta" */
  params: Map<string, tf.Variable>;
  /** BN running statistics: "<bn>.mean", "<bn>.variance" (not trained); a quantised run's "<relu>.actmax" too */
  stats: Map<string, tf.Variable>;
  /**
   * how the forward pass quantises (quant.ts; null = float). Set with useQuant. A field rather than a table beside
   * the model, so that a copy (cloneModel) is quantised as its original is.
   */
  quant: QuantSpec | null;
}

function paramShapes(l: Layer): [string, number[], "he" | "fc" | "ones" | "zeros", number][] {
  switch (l.op) {
    case "conv": {
      const [kh, kw] = l.kernel;
      const cinPerGroup = l.cin / l.groups;
      // depthwise weights use tfjs's [kh, kw, cin, 1] layout
      const shape = l.groups === 1 ? [kh, kw, cinPerGroup, l.cout] : [kh, kw, l.cin, 1];
      // PyTorch ResNet init: kaiming_normal_(mode="fan_out", nonlinearity="relu")
      const fanOut = kh * kw * (l.groups === 1 ? l.cout : 1);
      const out: [string, number[], "he" | "fc" | "ones" | "zeros", number][] = [[`${l.name}.weight`, shape, "he", fanOut]];
      if (l.bias) out.push([`${l.name}.bias`, [l.cout], "zeros", 0]);
      return out;
    }
    case "bn":
      return [
        [`${l.name}.gamma`, [l.channels], "ones", 0],
        [`${l.name}.beta`, [l.channels], "zeros", 0],
      ];
    case "dense":
      // PyTorch nn.Linear default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias
      return [
        [`${l.name}.weight`, [l.cin, l.cout], "fc", l.cin],
        [`${l.name}.bias`, [l.cout], "fc", l.cin],
      ];
    default:
      return [];
  }
}

function initValues(kind: "he" | "fc" | "ones" | "zeros", size: number, fan: number, rng: Rng): Float32Array {
  const v = new Float32Array(size);
  if (kind === "ones") v.fill(1);
  else if (kind === "he") {
    const std = Math.sqrt(2 / fan);
    for (let i = 0; i < size; i++) v[i] = rng.normal() * std;
  } else if (kind === "fc") {
    const b = 1 / Math.sqrt(fan);
    for (let i = 0; i < size; i++) v[i] = (rng.next() * 2 - 1) * b;
  }
  return v;
}

/** Create any variable the current graph needs and the model lacks (e.g. a projection a mode switch introduces). */
export function ensureParams(m: Model, rng: Rng): string[] {
  const created: string[] = [];
  for (const l of m.graph.layers) {
    for (const [name, shape, kind, fan] of paramShapes(l)) {
      if (m.params.has(name)) continue;
      const size = shape.reduce((a, b) => a * b, 1);
      m.params.set(name, tf.variable(tf.tensor(initValues(kind, size, fan, rng), shape), true, varName(name)));
      created.push(name);
    }
    if (l.op === "bn" && !m.stats.has(`${l.name}.mean`)) {
      m.stats.set(`${l.name}.mean`, tf.variable(tf.zeros([l.channels]), false, varName(`${l.name}.mean`)));
      m.stats.set(`${l.name}.variance`, tf.variable(tf.ones([l.channels]), false, varName(`${l.name}.variance`)));
    }
  }
  return created;
}

export function createModel(net: NetSpec, seed: number): Model {
  modelCounter++;
  const m: Model = { net, graph: lower(net), params: new Map(), stats: new Map(), quant: null };
  assertTrainable(m.graph);
  ensureParams(m, new Rng(seed));
  return m;
}

/** Switch to a new NetSpec (new skip modes); weights are kept, new ones (if any) are created from `seed`. */
export function setNet(m: Model, net: NetSpec, seed = 0): string[] {
  const graph = lower(net);
  assertTrainable(graph);
  m.net = net;
  m.graph = graph;
  return ensureParams(m, new Rng(seed));
}

/** The variables the current graph uses (a removed skip's projection is not trained). */
export function activeParams(m: Model): tf.Variable[] {
  const out: tf.Variable[] = [];
  for (const l of m.graph.layers) for (const [name] of paramShapes(l)) out.push(m.params.get(name)!);
  return out;
}

export interface BatchStats {
  /** per BN layer name: batch mean and biased variance, kept outside tidy scopes; dispose after use */
  [bn: string]: { mean: tf.Tensor1D; variance: tf.Tensor1D };
}

const plans = new WeakMap<LayerGraph, FusionPlan>();
function planOf(g: LayerGraph): FusionPlan {
  let plan = plans.get(g);
  if (!plan) plans.set(g, (plan = fusionPlan(g)));
  return plan;
}

/** A conv layer's geometry as the training ops take it. */
function convGeometry(l: ConvLayer): ConvGeometry {
  return { stride: l.stride, pad: [[l.pad[0], l.padAfter[0]], [l.pad[1], l.padAfter[1]]], dilation: l.dilation };
}

/**
 * Forward pass. In training mode BN uses batch statistics and, if `stats` is given, records them (kept) for the
 * running-average update; in eval mode it uses the running statistics.
 */
export function forward(m: Model, x: tf.Tensor4D, training: boolean, stats?: BatchStats): tf.Tensor2D {
  const v: tf.Tensor[] = new Array(m.graph.layers.length);
  const p = (name: string) => m.params.get(name)!;
  const ops = trainingOps();
  // In training, batch norm with the ReLU (and skip add) after it runs as one op; evaluation keeps every layer.
  const fused = training ? planOf(m.graph) : undefined;
  for (const l of m.graph.layers) {
    const a = v[l.inputs[0]];
    if (fused?.absorbed.has(l.id)) continue;
    // a ReLU of a ReLU is the same tensor, unless activations are quantised (each ReLU has its own quantiser)
    const same = fused && !m.quant?.actBits ? fused.same.get(l.id) : undefined;
    if (same !== undefined) {
      v[l.id] = v[same];
      continue;
    }
    const unit = fused?.byOutput.get(l.id);
    if (unit) {
      const bn = m.graph.layers[unit.bn];
      const gamma = p(`${bn.name}.gamma`) as tf.Tensor1D;
      const beta = p(`${bn.name}.beta`) as tf.Tensor1D;
      const skip = unit.add ? (v[unit.add.skip] as tf.Tensor4D) : undefined;
      let r: BatchNormResult;
      if (unit.conv !== undefined) {
        const conv = m.graph.layers[unit.conv] as ConvLayer;
        const input = conv.inputs[0];
        // the network's input needs no gradient
        const inputGrad = m.graph.layers[input].op !== "input";
        const w = quantWeight(m, conv, p(`${conv.name}.weight`) as tf.Tensor4D);
        r = ops.convBatchNormTrain(v[input] as tf.Tensor4D, w, gamma, beta, convGeometry(conv), unit.relu !== undefined, skip, inputGrad);
      } else {
        const x = v[bn.inputs[0]] as tf.Tensor4D;
        r = unit.relu !== undefined ? ops.batchNormReluTrain(x, gamma, beta, skip) : ops.batchNormTrain(x, gamma, beta);
      }
      v[l.id] = unit.relu !== undefined ? quantActivation(m, l, r.y, !!stats) : r.y;
      if (stats) stats[bn.name] = { mean: tf.keep(r.mean), variance: tf.keep(r.variance) };
      continue;
    }
    switch (l.op) {
      case "input":
        v[l.id] = x;
        break;
      case "conv": {
        const g = convGeometry(l);
        const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], g.pad[0], g.pad[1], [0, 0]];
        const w = quantWeight(m, l, p(`${l.name}.weight`) as tf.Tensor4D);
        let y =
          l.groups === 1
            ? tf.conv2d(a as tf.Tensor4D, w, l.stride, pad, "NHWC", l.dilation)
            : tf.depthwiseConv2d(a as tf.Tensor4D, w, l.stride, pad, "NHWC", l.dilation);
        if (l.bias) y = y.add(p(`${l.name}.bias`));
        v[l.id] = y;
        break;
      }
      case "bn": {
        const gamma = p(`${l.name}.gamma`) as tf.Tensor1D;
        const beta = p(`${l.name}.beta`) as tf.Tensor1D;
        if (training) {
          const r = ops.batchNormTrain(a as tf.Tensor4D, gamma, beta);
          v[l.id] = r.y;
          if (stats) stats[l.name] = { mean: tf.keep(r.mean), variance: tf.keep(r.variance) };
        } else {
          const mean = m.stats.get(`${l.name}.mean`)! as tf.Tensor1D;
          const variance = m.stats.get(`${l.name}.variance`)! as tf.Tensor1D;
          v[l.id] = tf.batchNorm(a as tf.Tensor4D, mean, variance, beta, gamma, BN_EPS);
        }
        break;
      }
      case "relu":
        v[l.id] = quantActivation(m, l, tf.relu(a), !!stats);
        break;
      case "add":
        v[l.id] = tf.add(a, v[l.inputs[1]]);
        break;
      case "maxpool":
        v[l.id] = tf.maxPool(a as tf.Tensor4D, l.kernel, l.stride, l.pad);
        break;
      case "gap":
        v[l.id] = ops.globalAvgPool(a as tf.Tensor4D);
        break;
      case "dense":
        v[l.id] = ops.dense((a.rank === 2 ? a : a.reshape([a.shape[0], -1])) as tf.Tensor2D, quantWeight(m, l, p(`${l.name}.weight`) as tf.Tensor2D), p(`${l.name}.bias`) as tf.Tensor1D);
        break;
    }
  }
  const out = v[m.graph.output];
  return (out.rank === 2 ? out : out.reshape([out.shape[0], -1])) as tf.Tensor2D;
}

/**
 * running = (1 - momentum) * running + momentum * batch; the variance is made unbiased first over the
 * batch x H x W values each channel saw, as PyTorch does.
 */
export function updateRunningStats(m: Model, stats: BatchStats, batch: number): void {
  const shapes = new Map(m.graph.layers.filter((l) => l.op === "bn").map((l) => [l.name, l.shape]));
  const updates = Object.entries(stats).map(([bn, s]) => {
    const sh = shapes.get(bn)!;
    const count = batch * sh.h * sh.w;
    return {
      mean: m.stats.get(`${bn}.mean`)!,
      variance: m.stats.get(`${bn}.variance`)!,
      batchMean: s.mean,
      batchVariance: s.variance,
      unbias: count > 1 ? count / (count - 1) : 1,
    };
  });
  trainingOps().updateRunningStats(updates, BN_MOMENTUM);
  for (const s of Object.values(stats)) {
    s.mean.dispose();
    s.variance.dispose();
  }
}

export function disposeModel(m: Model): void {
  for (const t of m.params.values()) t.dispose();
  for (const t of m.stats.values()) t.dispose();
}

/** A deep copy of the model's weights and statistics into new variables, quantised as the original (the Tailor student). */
export function cloneModel(m: Model): Model {
  modelCounter++;
  const copy = (src: Map<string, tf.Variable>, trainable: boolean) =>
    new Map([...src].map(([k, t]) => [k, tf.variable(tf.tensor(t.dataSync().slice(), t.shape), trainable, varName(k))]));
  return { net: m.net, graph: m.graph, params: copy(m.params, true), stats: copy(m.stats, false), quant: m.quant && { ...m.quant } };
}
