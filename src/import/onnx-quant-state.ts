/**
 * A quantised file's quantisers (onnx-quant.ts) as a run of our own: the config's widths (quantWeightBits for the
 * body, quantEdgeBits for the first conv and the last dense layer, quantActBits for every ReLU: src/train/quant.ts)
 * and the state that makes our eval forward pass quantise as the file does, to the same integer codes:
 * - an activation's scale is state: `<relu>.actmax` (the running maximum the eval forward pass divides by
 *   2^b - 1). The statistic stored is one whose scale, rounded to float32 as the quantiser rounds it
 *   (quantScale), is the file's scale bit for bit.
 * - a weight's scale is not state: our quantiser derives it from the weights, max|w| / (2^(b-1) - 1). The weights
 *   stored are the file's float weights when their derived scale is the file's (QONNX files of ours), else the
 *   file's codes times its scale, whose largest magnitude then gives the file's scale back; a file whose largest
 *   code is not 2^(b-1) - 1 has a scale our quantiser cannot derive, and is refused. Either way the codes our
 *   quantiser gives the stored weights are checked to be the file's, every one.
 * Whatever the quantisers together cannot be in one config (a weight or a ReLU left float among quantised ones,
 * two widths in the body, edges at two widths, two activation widths) is an error naming the node.
 */
import { roundHalfEven } from "../export/qcdq-quant.js";
import { lower } from "../net/index.js";
import type { TensorRecord } from "../train/checkpoint.js";
import { ACT_STAT, quantScale, signedMax, unsignedMax, type QuantFields } from "../train/quant.js";
import type { Match } from "./onnx-match.js";
import type { Quantisers, WeightQuantiser } from "./onnx-quant.js";
import { describeNode, ImportError, type OnnxNode } from "./onnx-types.js";

export interface QuantState {
  fields: QuantFields;
  /** `<relu>.actmax` of every lowered ReLU (activation quantisers only) */
  stats: Record<string, TensorRecord>;
  /** the weights to store where they are not the stripped graph's (by its initializer name, the file's layout) */
  weights: Map<string, Float32Array>;
}

/** float32 neighbours of x, nearest first: x, next up, next down, ... (k steps each way) */
function neighbours(x: number, k: number): number[] {
  const f = new Float32Array(1);
  const i = new Int32Array(f.buffer);
  f[0] = x;
  const base = i[0];
  const out: number[] = [];
  for (let d = 0; d <= k; d++) {
    for (const s of d ? [d, -d] : [0]) {
      // positive floats only here (scales and maxima): their bit patterns are ordered as their values
      i[0] = base + s;
      out.push(f[0]);
    }
  }
  return out;
}

const absMax = (v: Float32Array) => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

/** the statistic `<relu>.actmax` whose quantiser scale is `scale`, or null */
export function actmaxFor(scale: number, qmax: number): number | null {
  return neighbours(Math.fround(scale * qmax), 8).find((a) => a > 0 && quantScale(a, qmax) === scale) ?? null;
}

/** The weights to store for one weight quantiser (see the file comment); `fail` names the file. */
function storedWeights(w: WeightQuantiser, fail: (m: string) => never): Float32Array {
  const qmax = signedMax(w.bits);
  const codesOf = (v: Float32Array, s: number) => Int32Array.from(v, (x) => Math.min(qmax, Math.max(-qmax, roundHalfEven(Math.fround(x / s)))));
  let v: Float32Array;
  if (w.raw && quantScale(absMax(w.raw), qmax) === w.scale) v = w.raw;
  else {
    const top = w.codes.reduce((m, k) => Math.max(m, Math.abs(k)), 0);
    if (top !== qmax) {
      fail(`${describeNode(w.node)}: scale ${w.scale} puts the largest weight at code ${top}, not ${qmax}; expected the scale our weight quantiser derives, max|w| / (2^(b-1) - 1) at ${w.bits} bits (a learned or calibrated weight scale cannot be expressed)`);
    }
    v = Float32Array.from(w.codes, (k) => Math.fround(k * w.scale));
    // the largest weight must give the file's scale back when divided by qmax in float32: a neighbour of qmax x s
    const edge = neighbours(Math.fround(qmax * w.scale), 8).find((a) => quantScale(a, qmax) === w.scale && roundHalfEven(Math.fround(a / w.scale)) === qmax);
    if (edge === undefined) fail(`${describeNode(w.node)}: no float32 weight of code ${qmax} gives back scale ${w.scale} as max|w| / ${qmax}; expected a scale our weight quantiser can derive`);
    for (let i = 0; i < v.length; i++) if (Math.abs(w.codes[i]) === qmax) v[i] = Math.sign(w.codes[i]) * edge!;
  }
  const s = quantScale(absMax(v), qmax);
  const ours = codesOf(v, s);
  const off = ours.findIndex((k, i) => k !== w.codes[i]);
  if (s !== w.scale || off >= 0) {
    fail(`${describeNode(w.node)}: our weight quantiser would give ${s !== w.scale ? `scale ${s}, not ${w.scale}` : `code ${ours[off]}, not ${w.codes[off]}, at index ${off}`}; expected the file's codes exactly (an importer bug: please report it with the file)`);
  }
  return v;
}

/** The config's widths and the quantisers' state (see the file comment); null for a float file. */
export function quantState(match: Match, q: Quantisers, file: string): QuantState | null {
  if (!q.format) return null;
  const fail = (msg: string): never => {
    throw new ImportError(`${file}: ${msg}`);
  };
  const g = lower(match.net);
  const firstConv = g.layers.find((l) => l.op === "conv")?.name;
  const lastDense = [...g.layers].reverse().find((l) => l.op === "dense")?.name;
  const weights = new Map<string, Float32Array>();
  const fields: QuantFields = { quantWeightBits: 0, quantActBits: 0, quantEdgeBits: 8 };

  // weights: every conv and the dense layer, or none
  const byReader = new Map<OnnxNode, WeightQuantiser>(q.weights.map((w) => [w.reader, w]));
  const layers: { layer: string; node: OnnxNode }[] = [...match.convs.map((c) => ({ layer: `${c.prefix}.conv`, node: c.ref.conv })), { layer: "head.fc", node: match.dense.node }];
  if (q.weights.length) {
    const body: WeightQuantiser[] = [];
    const edges: WeightQuantiser[] = [];
    for (const { layer, node } of layers) {
      const w = byReader.get(node);
      if (!w) return fail(`${describeNode(node)}: its weight is not quantised, while ${q.weights.length} other weights are (${describeNode(q.weights[0].node)}); expected every conv's and dense layer's weight quantised, as our QAT does`);
      (layer === firstConv || layer === lastDense ? edges : body).push(w);
    }
    const one = (ws: WeightQuantiser[], what: string) => {
      const odd = ws.find((w) => w.bits !== ws[0].bits);
      if (odd) fail(`${describeNode(odd.node)}: ${odd.bits}-bit weights, ${describeNode(ws[0].node)} ${ws[0].bits}-bit; expected ${what}`);
    };
    one(edges, "the first conv and the last dense layer at one width (our quantEdgeBits)");
    one(body, "every other conv at one width (our quantWeightBits; only the first conv and the last dense layer may differ)");
    for (const w of q.weights) weights.set(w.tensor, storedWeights(w, fail));
    fields.quantEdgeBits = edges[0].bits;
    fields.quantWeightBits = (body[0] ?? edges[0]).bits;
  }

  // activations: every ReLU, one width
  const stats: Record<string, TensorRecord> = {};
  if (q.activations.length) {
    const byRelu = new Map(q.activations.map((a) => [a.relu, a]));
    const bits = q.activations[0].bits;
    const named = new Map<string, number>();
    for (const { layer, node } of match.relus) {
      const a = byRelu.get(node);
      if (!a) return fail(`${describeNode(node)}: its output is not quantised, while ${q.activations.length} other Relu outputs are (${describeNode(q.activations[0].node)}); expected every Relu's output quantised, as our QAT does`);
      if (a.bits !== bits) fail(`${describeNode(a.node)}: ${a.bits}-bit activations, ${describeNode(q.activations[0].node)} ${bits}-bit; expected every Relu's output at one width (our quantActBits)`);
      const actmax = actmaxFor(a.scale, unsignedMax(bits));
      if (actmax === null) return fail(`${describeNode(a.node)}: scale ${a.scale} has no running maximum m with float32(m / ${unsignedMax(bits)}) equal to it; expected a scale our activation quantiser can hold`);
      named.set(layer, actmax);
    }
    // a ReLU of the NetSpec the file does without (a plain first block reading the stem's ReLU: torchvision's form)
    // reads quantised values already >= 0: the previous ReLU's scale quantises them to the same codes again
    let prev = 0;
    for (const l of g.layers) {
      if (l.op !== "relu") continue;
      prev = named.get(l.name) ?? prev;
      stats[l.name + ACT_STAT] = { shape: [1], values: Float32Array.of(prev) };
    }
    fields.quantActBits = bits;
  }
  return { fields, stats, weights };
}
