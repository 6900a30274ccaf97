/**
 * Quantisation-aware training (QAT): fake quantisation of weights and activations in the forward pass, as Brevitas's
 * default integer quantisers do (the Tailor authors trained with Brevitas), with a straight-through estimator (STE)
 * for the gradient. The training forward pass (model.ts) calls `quantWeight` on a conv's or dense layer's weights
 * before it uses them and `quantActivation` on every ReLU's output; both return their input unchanged when the run
 * is float, so float training is untouched.
 *
 * What Brevitas does by default (github.com/Xilinx/brevitas, commit b106358, src/brevitas/...):
 * - QuantConv2d's weight_quant is Int8WeightPerTensorFloat and its input_quant None (nn/quant_conv.py:43-45);
 *   QuantLinear likewise. Int8WeightPerTensorFloat = NarrowIntQuant + MaxStatsScaling + PerTensorFloatScaling8bit
 *   (quant/scaled_int.py:155-167): signed, narrow range [-(2^(b-1)-1), 2^(b-1)-1], round (quant/base.py:180-188);
 *   scale = max|w| / (2^(b-1)-1) per tensor (quant/base.py:95-100: STATS + MAX, core/stats/stats_op.py:177-190
 *   AbsMax; core/scaling/int_scaling.py:14-33 the threshold; core/scaling/runtime.py _StatsScaling.forward:
 *   stats / threshold, floored at scaling_min_val = 1e-10), float scale (base.py:242-247).
 * - Quantisation: y = clamp(round_ste(x / scale), min_int, max_int) * scale (core/quant/int_base.py:66-91). The clamp
 *   is straight-through for weights (TensorClampSte) and a plain clamp for activations (TensorClamp: zero gradient
 *   where the rounded value is clamped), chosen by the scaling type (quant/solver/parameter.py:56-66).
 * - QuantReLU's act_quant is Uint8ActPerTensorFloat (nn/quant_activation.py:34-38): unsigned, [0, 2^b - 1]
 *   (quant/base.py:191-199; unsigned threshold = max_int, int_scaling.py), scale from the 99.999th percentile of the
 *   activations collected over the first 300 training steps as a running average with momentum 0.1 (base.py:111-118
 *   ParamFromRuntimePercentileScaling; core/scaling/standalone.py:466-495 ParameterFromRuntimeStatsScaling;
 *   core/stats/stats_wrapper.py:21 DEFAULT_MOMENTUM; the first step sets it: standalone.py:478-479), then a learned
 *   parameter initialised from that average.
 *
 * Where ours differs (each a simplification, applied to teacher and students alike):
 * - The scales are constants to the gradient. Brevitas differentiates through max|w| (a gradient reaches the
 *   largest weight of each tensor) and, after its 300 collection steps, learns each activation scale.
 * - The activation scale comes from a running average (momentum 0.1, the first batch sets it) of each batch's
 *   maximum, not its 99.999th percentile, and keeps being updated for the whole run instead of becoming a learned
 *   parameter. Training uses the average updated with the current batch; evaluation and the frozen KD teacher use
 *   the stored average (stored with the batch-norm statistics, `<relu>.actmax`, so checkpoints carry it). A stored
 *   average of exactly 0 (a ReLU silent on every batch so far) counts as none: the next batch sets it, and
 *   evaluation uses the batch's maximum (Brevitas counts steps instead and would keep averaging from its floor,
 *   1e-10). While Brevitas collects its statistic, a training step quantises with that batch's own statistic, not
 *   the average (ParameterFromRuntimeStatsScaling.training_forward returns the batch's clamped stats); ours uses
 *   the average updated with the batch at every step.
 * - Only weights and ReLU outputs are quantised: the input image, biases (Brevitas's default bias_quant is None as
 *   well), batch norm (folded into the conv in hardware) and the sums of skip adds stay float. A conv reading a
 *   skip sum (the shortenable form's block input) therefore sees values off the activation grid; hls4ml gives an
 *   Add its own wider output type, which the hardware model's accumulator width stands for.
 * - The first conv and the last dense layer take `quantEdgeBits` (8 by default) for their weights, the common
 *   practice the issue names; their activations take the body's bits.
 *
 * test/qat-parity.test.ts checks two training steps under these quantisers (KD from a quantised teacher, and a
 * fine-tune) against PyTorch: test/fixtures/make_two_step_qat.py, written from this description, not from our code.
 */
import * as tf from "@tensorflow/tfjs";
import type { Layer, LayerGraph } from "../net/index.js";
import type { TrainConfig } from "./config.js";
import { trainingOps } from "./ops.js";
import { quantLabel, quantSpecOf, type QuantFields, type QuantSpec } from "./quant-spec.js";

export { quantLabel, quantSpecOf, type QuantFields, type QuantSpec } from "./quant-spec.js";

/** Brevitas's scaling_min_val (quant/base.py:100, 118): no scale below it */
export const SCALE_MIN = 1e-10;
/** momentum of the activation scale's running average (Brevitas DEFAULT_MOMENTUM, core/stats/stats_wrapper.py:21) */
export const ACT_STAT_MOMENTUM = 0.1;
/** suffix of an activation's running statistic in Model.stats */
export const ACT_STAT = ".actmax";

/** signed narrow range: [-qmax, qmax] (Brevitas min_int / max_int with narrow_range, function/ops.py) */
export const signedMax = (bits: number) => 2 ** (bits - 1) - 1;
/** unsigned: [0, qmax] */
export const unsignedMax = (bits: number) => 2 ** bits - 1;

/**
 * What the quantisers read of a model: its spec (null = float), its graph (which layers are the edges) and its
 * statistics (the activation scales). Model (model.ts) has these fields; naming them here instead of importing
 * Model keeps the import one way, model.ts -> quant.ts.
 */
export interface Quantisable {
  quant: QuantSpec | null;
  graph: LayerGraph;
  stats: Map<string, tf.Variable>;
}

/** Quantise this model's forward pass as the config says (or stop quantising it: a float config). */
export function useQuant<M extends Pick<Quantisable, "quant">>(m: M, c: Partial<QuantFields>): M {
  m.quant = quantSpecOf(c);
  return m;
}

export const quantOf = (m: Pick<Quantisable, "quant">): QuantSpec | null => m.quant;

// A memo of a pure function of the graph, not state of a model: a graph is never changed (setNet lowers a new one),
// and the exporter asks it of a graph no model holds, so it stays keyed by the graph rather than moving into Model.
const edges = new WeakMap<LayerGraph, { first: number; last: number }>();
/** the ids of the first conv and the last dense layer (the layers of quantEdgeBits) */
function edgeLayers(g: LayerGraph): { first: number; last: number } {
  let e = edges.get(g);
  if (!e) {
    const first = g.layers.find((l) => l.op === "conv")?.id ?? -1;
    const last = [...g.layers].reverse().find((l) => l.op === "dense")?.id ?? -1;
    edges.set(g, (e = { first, last }));
  }
  return e;
}

/** The bits of a layer's weights under this spec. */
export function weightBitsOf(q: QuantSpec, g: LayerGraph, l: Layer): number {
  const e = edgeLayers(g);
  return l.id === e.first || l.id === e.last ? q.edgeBits : q.weightBits;
}

/** The scale a quantiser applies for statistic `stat` (max |x|) and range [.., qmax]: floored, in float32 as fakeQuant uses it. */
export const quantScale = (stat: number, qmax: number) => Math.fround(Math.max(stat, SCALE_MIN) / qmax);

/** A conv's or dense layer's weights as the forward pass uses them: fake-quantised with a per-tensor scale. */
export function quantWeight<T extends tf.Tensor>(m: Pick<Quantisable, "quant" | "graph">, l: Layer, w: T): T {
  const q = m.quant;
  if (!q || !q.weightBits) return w;
  const qmax = signedMax(weightBitsOf(q, m.graph, l));
  const ops = trainingOps();
  return ops.fakeQuant(w, quantScale(ops.absMax(w), qmax), -qmax, qmax, true) as T;
}

/**
 * A ReLU's output as the forward pass uses it: fake-quantised to unsigned integers. `update` (the training step of
 * the model being trained) folds this batch's maximum into the running statistic first and quantises with it;
 * otherwise the stored statistic is used (a model without one, never trained quantised, uses the batch's maximum).
 */
export function quantActivation<T extends tf.Tensor>(m: Pick<Quantisable, "quant" | "stats">, l: Layer, y: T, update: boolean): T {
  const q = m.quant;
  if (!q || !q.actBits) return y;
  const ops = trainingOps();
  const qmax = unsignedMax(q.actBits);
  if (!update) return ops.fakeQuant(y, storedActScale(m, l) ?? quantScale(ops.absMax(y), qmax), 0, qmax, false) as T;
  const name = l.name + ACT_STAT;
  let stat = m.stats.get(name);
  const running = stat ? stat.dataSync()[0] : 0;
  const batchMax = ops.absMax(y);
  const s = Math.fround(running > 0 ? (1 - ACT_STAT_MOMENTUM) * running + ACT_STAT_MOMENTUM * batchMax : batchMax);
  if (!stat) m.stats.set(name, (stat = tf.variable(tf.zeros([1]), false)));
  stat.assign(tf.tensor1d([s]));
  return ops.fakeQuant(y, quantScale(s, qmax), 0, qmax, false) as T;
}

/**
 * The scale quantActivation gives a ReLU's output at evaluation when the model stores its statistic (then the same
 * for every batch); null when the activations are float or the statistic is missing or 0 (each batch's maximum then).
 */
export function storedActScale(m: Pick<Quantisable, "quant" | "stats">, l: Layer): number | null {
  const q = m.quant;
  if (!q || !q.actBits) return null;
  const running = m.stats.get(l.name + ACT_STAT)?.dataSync()[0] ?? 0;
  return running > 0 ? quantScale(running, unsignedMax(q.actBits)) : null;
}

/** A KD teacher must be quantised as its student is (or be float when the student is). */
export function teacherQuantMismatch(student: Partial<QuantFields>, teacher: Partial<QuantFields>): string | null {
  const a = quantLabel(student);
  const b = quantLabel(teacher);
  if (a === b) return null;
  // a quantised teacher (an imported QAT network, say): the flags that make this run its precision; a float one:
  // only a teacher fine-tuned at the run's precision will do
  const t = quantSpecOf(teacher);
  const how = t
    ? `give its flags, --quant-weight-bits ${t.weightBits} --quant-act-bits ${t.actBits} --quant-edge-bits ${t.edgeBits}, or fine-tune a teacher at this run's precision with --method finetune`
    : "fine-tune the teacher at this run's precision with --method finetune first";
  return `the teacher was trained ${b}, this run is ${a}: a Tailor student distils from a teacher quantised as it is (${how})`;
}
