/**
 * An inference plan: a trained model's eval forward pass compiled once into steps.
 * - A float network: each convolution becomes one fused step, its batch norm folded into filter and bias
 *   (fold.ts) and the ReLUs and the skip add that follow it in the graph (when nothing else reads the values in
 *   between) run as the step's chain (src/backend/inference-ops.ts: one oneDNN primitive with post-ops).
 * - A quantised network: nothing is folded (folding would change the values the activation quantisers round, and
 *   with them some codes). Each convolution becomes one quantised step: the same convolution as the eval forward's,
 *   then its batch norm, ReLUs, skip add and activation quantisers (the same chain rule as above) in one pass that
 *   computes the same floats as the eval forward's ops (inference-ops.ts quantConv). A ReLU whose quantiser has no
 *   stored statistic (it takes each batch's maximum) ends the chain before it and runs as a layer. The fake-quantised
 *   weights are computed once instead of once per batch.
 * Layers without a fused form (pooling, the head, a conv with a bias or groups, a batch norm or ReLU that does not
 * follow a conv) run through the same ops as the eval forward.
 */
import * as tf from "@tensorflow/tfjs";
import type { FusedConv, PostOp, QuantConv, QuantStage } from "../backend/index.js";
import { BN_EPS } from "../backend/training-ops.js";
import type { ConvLayer, Layer, LayerGraph } from "../net/index.js";
import type { Model } from "../train/model.js";
import { quantWeight, storedActScale, unsignedMax } from "../train/quant.js";
import { foldBatchNorm } from "./fold.js";

export type InferStep =
  /** `out` is the value of the chain's last layer */
  | { kind: "fused"; out: number; input: number; skip: number | null; conv: FusedConv; layers: number[] }
  | { kind: "quant"; out: number; input: number; skip: number | null; conv: QuantConv; layers: number[] }
  | { kind: "layer"; out: number; layer: Layer };

export interface InferPlan {
  model: Model;
  graph: LayerGraph;
  steps: InferStep[];
  /** per value (layer id): the index of the last step that reads it (-1: none); the graph's output is kept */
  lastUse: number[];
  /** conv and dense weights as the layer steps use them (fake-quantised once for a quantised network) */
  weights: Map<string, tf.Tensor>;
  /** the weights above the plan made (and disposes) */
  owned: Set<tf.Tensor>;
  /** true: every value is the eval forward's, bit for bit (a quantised network: nothing folded) */
  exact: boolean;
}

const array = (t: tf.Tensor): Float32Array => Float32Array.from(t.dataSync() as Float32Array);

function convShape(l: ConvLayer, input: Layer): FusedConv["shape"] {
  return {
    h: input.shape.h,
    w: input.shape.w,
    cin: l.cin,
    kh: l.kernel[0],
    kw: l.kernel[1],
    cout: l.cout,
    oh: l.shape.h,
    ow: l.shape.w,
    stride: l.stride,
    pad: [
      [l.pad[0], l.padAfter[0]],
      [l.pad[1], l.padAfter[1]],
    ],
    dilation: l.dilation,
  };
}

export interface PlanOptions {
  /** false: a quantised network's convs run layer by layer as the eval forward does (the benchmarks' peer) */
  quantSteps?: boolean;
}

/** Compile the eval forward of `m` (its current graph and skip modes). Dispose the plan with disposePlan. */
export function compilePlan(m: Model, options: PlanOptions = {}): InferPlan {
  const g = m.graph;
  const exact = m.quant !== null;
  const convSteps = !exact || options.quantSteps !== false;
  const p = (name: string) => m.params.get(name)!;
  const steps: { pos: number; step: InferStep }[] = [];
  const absorbed = new Set<number>();
  const weights = new Map<string, tf.Tensor>();
  const owned = new Set<tf.Tensor>();
  // the one reader of a value, unless the value is the output or its reader already closes another conv's chain
  const single = (id: number) => (id !== g.output && g.consumers[id].length === 1 && !absorbed.has(g.consumers[id][0]) ? g.layers[g.consumers[id][0]] : undefined);
  for (const l of g.layers) {
    if (absorbed.has(l.id)) continue;
    if (convSteps && l.op === "conv" && l.groups === 1 && (!exact || !l.bias)) {
      const layers = [l.id];
      let cur = l.id;
      const next = single(cur);
      const bn = next?.op === "bn" ? next : undefined;
      if (bn) layers.push((cur = bn.id));
      const post: PostOp[] = [];
      const stages: QuantStage[] = [];
      let skip: number | null = null;
      for (let n = single(cur); n; n = single(cur)) {
        if (n.op === "relu") {
          const quantised = exact && !!m.quant!.actBits;
          const scale = quantised ? storedActScale(m, n) : null;
          // a quantiser without a stored statistic reads the whole batch's maximum: not an element-wise stage
          if (quantised && scale === null) break;
          post.push("relu");
          stages.push({ op: "relu" });
          if (scale !== null) stages.push({ op: "quant", scale, qmin: 0, qmax: unsignedMax(m.quant!.actBits) });
        } else if (n.op === "add" && skip === null && n.inputs[0] !== n.inputs[1]) {
          skip = n.inputs[0] === cur ? n.inputs[1] : n.inputs[0];
          post.push("add");
          stages.push({ op: "add" });
        } else break;
        layers.push((cur = n.id));
      }
      const stat = (k: string) => array(m.stats.get(`${bn!.name}.${k}`)!);
      const stats = bn && { gamma: array(p(`${bn.name}.gamma`)), beta: array(p(`${bn.name}.beta`)), mean: stat("mean"), variance: stat("variance") };
      for (const id of layers) absorbed.add(id);
      const shape = convShape(l, g.layers[l.inputs[0]]);
      if (exact) {
        const w = p(`${l.name}.weight`);
        const q = quantWeight(m, l, w);
        const filter = array(q);
        if (q !== w) q.dispose();
        steps.push({ pos: cur, step: { kind: "quant", out: cur, input: l.inputs[0], skip, conv: { shape, filter, bn: stats ? { ...stats, epsilon: BN_EPS } : null, stages }, layers } });
      } else {
        const folded = foldBatchNorm(array(p(`${l.name}.weight`)), l.bias ? array(p(`${l.name}.bias`)) : null, l.cout, stats ?? null);
        steps.push({ pos: cur, step: { kind: "fused", out: cur, input: l.inputs[0], skip, conv: { shape, ...folded, post }, layers } });
      }
      continue;
    }
    if (l.op === "conv" || l.op === "dense") {
      const w = p(`${l.name}.weight`);
      const q = quantWeight(m, l, w);
      // a float network's weights are the model's own variables: the plan must not dispose them
      weights.set(l.name, q === w ? w : tf.keep(q));
      if (q !== w) owned.add(q);
    }
    else if (l.op === "flatten") throw new Error(`compilePlan: ${g.net.name} has a flatten layer (${l.name}), which the eval forward does not run`);
    steps.push({ pos: l.id, step: { kind: "layer", out: l.id, layer: l } });
  }
  const ordered = steps.sort((a, b) => a.pos - b.pos).map((s) => s.step);
  const lastUse = new Array<number>(g.layers.length).fill(-1);
  ordered.forEach((s, i) => {
    const reads = s.kind === "layer" ? s.layer.inputs : [s.input, ...(s.skip === null ? [] : [s.skip])];
    for (const r of reads) lastUse[r] = i;
  });
  return { model: m, graph: g, steps: ordered, lastUse, weights, owned, exact };
}

export function disposePlan(plan: InferPlan): void {
  for (const t of plan.owned) t.dispose();
  plan.owned.clear();
  plan.weights.clear();
}
