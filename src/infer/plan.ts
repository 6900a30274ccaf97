/**
 * An inference plan: a trained model's eval forward pass compiled once into steps.
 * - A float network: each convolution becomes one fused step, its batch norm folded into filter and bias
 *   (fold.ts) and the ReLUs and the skip add that follow it in the graph (when nothing else reads the values in
 *   between) run as the step's chain (src/backend/inference-ops.ts: one oneDNN primitive with post-ops).
 * - A quantised network keeps every layer as the training path's eval forward runs it (model.ts), with the same
 *   ops and the same quantisers: folding would change the values the activation quantisers round, and with them
 *   some codes. Only the fake-quantised weights are computed once instead of once per batch.
 * Layers without a fused form (pooling, the head, a batch norm or ReLU that does not follow a conv) run through the
 * same ops as the eval forward.
 */
import * as tf from "@tensorflow/tfjs";
import type { FusedConv, PostOp } from "../backend/index.js";
import type { ConvLayer, Layer, LayerGraph } from "../net/index.js";
import type { Model } from "../train/model.js";
import { quantWeight } from "../train/quant.js";
import { foldBatchNorm } from "./fold.js";

export type InferStep =
  /** `out` is the value of the chain's last layer */
  | { kind: "fused"; out: number; input: number; skip: number | null; conv: FusedConv; layers: number[] }
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
  /** true: every layer runs as the eval forward does (a quantised network) */
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

/** Compile the eval forward of `m` (its current graph and skip modes). Dispose the plan with disposePlan. */
export function compilePlan(m: Model): InferPlan {
  const g = m.graph;
  const exact = m.quant !== null;
  const p = (name: string) => m.params.get(name)!;
  const steps: { pos: number; step: InferStep }[] = [];
  const absorbed = new Set<number>();
  const weights = new Map<string, tf.Tensor>();
  const owned = new Set<tf.Tensor>();
  for (const l of g.layers) {
    if (absorbed.has(l.id)) continue;
    if (!exact && l.op === "conv" && l.groups === 1) {
      const layers = [l.id];
      let cur = l.id;
      // the one reader of a value, unless the value is the output or its reader already closes another conv's chain
      const single = (id: number) => (id !== g.output && g.consumers[id].length === 1 && !absorbed.has(g.consumers[id][0]) ? g.layers[g.consumers[id][0]] : undefined);
      const next = single(cur);
      const bn = next?.op === "bn" ? next : undefined;
      if (bn) layers.push((cur = bn.id));
      const post: PostOp[] = [];
      let skip: number | null = null;
      for (let n = single(cur); n; n = single(cur)) {
        if (n.op === "relu") post.push("relu");
        else if (n.op === "add" && skip === null && n.inputs[0] !== n.inputs[1]) {
          skip = n.inputs[0] === cur ? n.inputs[1] : n.inputs[0];
          post.push("add");
        } else break;
        layers.push((cur = n.id));
      }
      const stat = (k: string) => array(m.stats.get(`${bn!.name}.${k}`)!);
      const stats = bn && { gamma: array(p(`${bn.name}.gamma`)), beta: array(p(`${bn.name}.beta`)), mean: stat("mean"), variance: stat("variance") };
      const folded = foldBatchNorm(array(p(`${l.name}.weight`)), l.bias ? array(p(`${l.name}.bias`)) : null, l.cout, stats ?? null);
      for (const id of layers) absorbed.add(id);
      steps.push({ pos: cur, step: { kind: "fused", out: cur, input: l.inputs[0], skip, conv: { shape: convShape(l, g.layers[l.inputs[0]]), ...folded, post }, layers } });
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
    const reads = s.kind === "fused" ? [s.input, ...(s.skip === null ? [] : [s.skip])] : s.layer.inputs;
    for (const r of reads) lastUse[r] = i;
  });
  return { model: m, graph: g, steps: ordered, lastUse, weights, owned, exact };
}

export function disposePlan(plan: InferPlan): void {
  for (const t of plan.owned) t.dispose();
  plan.owned.clear();
  plan.weights.clear();
}
