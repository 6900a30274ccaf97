/**
 * QONNX Quant nodes where the training forward pass fake-quantises (quant.ts): after a weight initializer and after
 * a ReLU. The scales are those of the eval forward pass: weights max|w| / (2^(b-1) - 1), activations the stored
 * `<relu>.actmax` / (2^b - 1), each floored at SCALE_MIN and rounded to float32 (quantScale).
 */
import type { Layer } from "../net/index.js";
import { ACT_STAT, quantLabel, quantScale, signedMax, unsignedMax, weightBitsOf } from "../train/quant.js";
import { qcdqWeight } from "./qcdq-quant.js";
import type { GraphBuilder } from "./qonnx-graph.js";
import { ExportError, type ExportContext } from "./qonnx-types.js";

export const QONNX_DOMAIN = "qonnx.custom_op.general";

/** QONNX Quant of tensor x with a per-tensor scale: shared zero point and bit-width initializers */
export function quantNode(b: GraphBuilder, x: string, out: string, scale: number, bits: number, signed: boolean, dims: (number | string)[]): string {
  const zero = b.init("qonnx.zeropt", [], [0]);
  const width = b.init(`qonnx.bits${bits}`, [], [bits]);
  const s = b.init(`${out}.scale`, [], [scale]);
  return b.emit(
    {
      op: "Quant",
      domain: QONNX_DOMAIN,
      name: `${out}.quant`,
      inputs: [x, s, zero, width],
      output: out,
      attrs: [
        { name: "signed", i: signed ? 1 : 0 },
        { name: "narrow", i: signed ? 1 : 0 },
        { name: "rounding_mode", s: "ROUND" },
      ],
    },
    dims,
  );
}

function absMax(v: Float32Array): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]));
  return m;
}

/** a weight initializer, fake-quantised when the run quantises weights; the name a layer reads it by */
export function weightInput(c: ExportContext, l: Layer, dims: number[], values: Float32Array): string {
  if (!c.q?.weightBits) return c.b.init(`${l.name}.weight`, dims, values);
  c.quants.weights++;
  const bits = weightBitsOf(c.q, c.g, l);
  const scale = quantScale(absMax(values), signedMax(bits));
  if (c.format === "qcdq") return qcdqWeight(c.b, `${l.name}.weight`, `${l.name}.weight_q`, values, scale, bits, dims);
  return quantNode(c.b, c.b.init(`${l.name}.weight`, dims, values), `${l.name}.weight_q`, scale, bits, true, dims);
}

/** A quantised ReLU's scale, from its stored running maximum; an error when the checkpoint has none to give. */
export function activationScale(c: ExportContext, l: Layer, actBits: number): number {
  const statName = l.name + ACT_STAT;
  const v = c.src.stats?.[statName];
  if (!v || v.values.length !== 1) throw new ExportError(`${c.where}: quantised activations (${quantLabel(c.src.config)}) but no activation scale "${statName}" (one value): the checkpoint was not trained quantised`);
  if (!(v.values[0] > 0)) {
    throw new ExportError(`${c.where}: activation scale "${statName}" is ${v.values[0]}: evaluation then quantises that ReLU with each batch's own maximum, which a fixed graph cannot express`);
  }
  return quantScale(v.values[0], unsignedMax(actBits));
}
