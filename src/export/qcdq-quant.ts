/**
 * The QCDQ form of the quantisers: standard ONNX QuantizeLinear -> Clip -> DequantizeLinear (opset 13) where the
 * QONNX form has a `Quant` node (qonnx-quant.ts), so that ONNX Runtime and any standard ONNX consumer run the
 * quantised network. Same scales, same integer codes as the eval forward pass (src/train/quant.ts):
 *
 * - QuantizeLinear computes saturate(round(x / scale) + zero_point), rounding half to even (ONNX operator spec,
 *   QuantizeLinear-13), and DequantizeLinear (q - zero_point) * scale: with zero point 0 that is our
 *   clamp(round(x / s), qmin, qmax) * s whenever [qmin, qmax] is the 8-bit type's range. 8-bit codes need no more.
 * - Narrower codes (our 4-bit runs), and the signed narrow range [-(2^(b-1) - 1), 2^(b-1) - 1] of the weights, take
 *   a Clip on the integer tensor between the two: the convention of qonnx's QuantToQCDQ
 *   (fastmachinelearning/qonnx, src/qonnx/transformation/qonnx_to_qcdq.py at 66b4c68, `qcdq_pattern`: a Clip
 *   "if (signed and narrow) or bitwidth < 8", bounds min_int/max_int of the Quant's signed/narrow/bits, int8 for
 *   signed and uint8 for unsigned codes). Its inverse, QCDQToQuant (src/qonnx/transformation/qcdq_to_qonnx.py at
 *   0d2639c, `extract_elem_type`), reads the bit width back from the Clip's bounds: ceil(log2(max - min + 1)).
 *
 * Weights. 8-bit weights are stored as their int8 codes, an initializer read by DequantizeLinear alone: exact, a
 * quarter of the float bytes, and what QCDQToQuant takes as an already folded weight quantiser ("standalone
 * DequantizeLinear node with initializer", read as 8 bits from the element type). Narrower weights cannot go that
 * way without losing their width (QCDQToQuant finds no Clip before a standalone DequantizeLinear), so they take the
 * full QuantizeLinear -> Clip -> DequantizeLinear on a float initializer holding the dequantised values q * s
 * (round((q * s) / s) is q: the codes survive any float32 division).
 *
 * Activations (ReLU outputs, unsigned, not narrow): QuantizeLinear to uint8, a Clip to [0, 2^b - 1] below 8 bits,
 * DequantizeLinear. Every scale is a float32 scalar and every zero point an 8-bit scalar 0 (per-tensor quantisers).
 */
import type { GraphBuilder } from "./qonnx-graph.js";
import { INT8, UINT8 } from "./onnx-proto.js";

type Dims = (number | string)[];

/** QuantizeLinear -> [Clip] -> DequantizeLinear of float tensor x on the codes [qmin, qmax]; returns `out`. */
function qcdq(b: GraphBuilder, x: string, out: string, scale: string, qmin: number, qmax: number, signed: boolean, dims: Dims): string {
  const type = signed ? INT8 : UINT8;
  const zero = b.intInit(signed ? "qcdq.zero_int8" : "qcdq.zero_uint8", [], [0], type);
  let q = b.emit({ op: "QuantizeLinear", name: `${out}.quantize`, inputs: [x, scale, zero], output: `${out}.int` }, dims, type);
  const full = signed ? qmin === -128 && qmax === 127 : qmin === 0 && qmax === 255;
  if (!full) {
    const tag = signed ? "int8" : "uint8";
    const lo = b.intInit(`qcdq.min_${tag}_${qmin}`, [], [qmin], type);
    const hi = b.intInit(`qcdq.max_${tag}_${qmax}`, [], [qmax], type);
    q = b.emit({ op: "Clip", name: `${out}.clip`, inputs: [q, lo, hi], output: `${out}.int_clipped` }, dims, type);
  }
  return b.emit({ op: "DequantizeLinear", name: `${out}.dequantize`, inputs: [q, scale, zero], output: out }, dims);
}

/** A ReLU's output quantised to unsigned `bits` with scale `scale`. */
export function qcdqActivation(b: GraphBuilder, x: string, out: string, scale: number, bits: number, dims: Dims): string {
  if (bits > 8) throw new RangeError(`QCDQ export: ${out}: ${bits}-bit activations do not fit uint8 (QuantizeLinear-13 has 8-bit types only)`);
  return qcdq(b, x, out, b.init(`${out}.scale`, [], [scale]), 0, 2 ** bits - 1, false, dims);
}

/**
 * A weight tensor as integer codes and a scale: `values` are the float weights, quantised here as the forward pass
 * quantises them (signed, narrow range, clamp(round(w / s))), in float32 as native/src/quant.cc computes them.
 */
export function qcdqWeight(b: GraphBuilder, name: string, out: string, values: Float32Array, scale: number, bits: number, dims: number[]): string {
  if (bits > 8) throw new RangeError(`QCDQ export: ${name}: ${bits}-bit weights do not fit int8 (QuantizeLinear-13 has 8-bit types only)`);
  const qmax = 2 ** (bits - 1) - 1;
  const s = Math.fround(scale);
  const codes = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    // Math.fround(values[i] / s): the float32 quotient the forward pass rounds (a float32 division is correctly rounded)
    const r = roundHalfEven(Math.fround(values[i] / s));
    codes[i] = Math.min(qmax, Math.max(-qmax, r));
  }
  const scaleName = b.init(`${out}.scale`, [], [s]);
  if (bits === 8) {
    const q = b.intInit(`${name}_int8`, dims, codes, INT8);
    const zero = b.intInit("qcdq.zero_int8", [], [0], INT8);
    return b.emit({ op: "DequantizeLinear", name: `${out}.dequantize`, inputs: [q, scaleName, zero], output: out }, dims);
  }
  const deq = b.init(`${name}_dequantised`, dims, codes.map((q) => Math.fround(q * s)));
  return qcdq(b, deq, out, scaleName, -qmax, qmax, true, dims);
}

/** round half to even (std::nearbyint in the default rounding mode, numpy's round, torch.round) */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
