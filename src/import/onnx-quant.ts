/**
 * The quantisers of a quantised ONNX network, read and taken out of its graph, so that graph matching (onnx-walk.ts,
 * onnx-match.ts) sees the float network they quantise. Two spellings are read, each as our exporter writes it and
 * as other tools write the same quantisers:
 * - QONNX: `Quant` nodes (domain qonnx.custom_op.general, or finn.custom_op.general of older FINN and Brevitas
 *   files) with inputs X, scale, zero point, bit width and attributes signed, narrow, rounding_mode
 *   (fastmachinelearning/qonnx, docs/qonnx-custom-ops/quant_op.md at 48bff89);
 * - QCDQ: QuantizeLinear -> [Clip] -> DequantizeLinear, the Clip's integer bounds giving a width below the 8-bit
 *   type's (qonnx's QuantToQCDQ / QCDQToQuant convention, src/qonnx/transformation/qonnx_to_qcdq.py at 66b4c68), and
 *   an int8 initializer read by a DequantizeLinear alone (a weight quantised ahead of time).
 *
 * Only the family our QAT trains is read (src/train/quant.ts): a per-tensor scale, zero point 0, round half to even;
 * on a Conv's or dense layer's weight (signed, narrow range [-(2^(b-1) - 1), 2^(b-1) - 1]) and on a Relu's output
 * (unsigned, [0, 2^b - 1]). Anything else is an ImportError naming the node and what was expected. Whether the
 * quantisers together fit one run's config (one width for the body, one for the edges, every ReLU quantised) and
 * whether the weight scales are the ones our quantiser derives is onnx-quant-state.ts's question; this module only
 * reads the graph, and is pure and free of tfjs and Node's modules (the cost explorer page bundles it).
 */
import { roundHalfEven } from "../export/qcdq-quant.js";
import { describeNode, ImportError, type OnnxModel, type OnnxNode, type OnnxTensor } from "./onnx-types.js";

export const QONNX_DOMAINS = ["qonnx.custom_op.general", "finn.custom_op.general"];
export type QuantFormat = "qonnx" | "qcdq";

interface Quantiser {
  /** the node that names the quantiser in errors: the Quant, the QuantizeLinear, or a lone DequantizeLinear */
  node: OnnxNode;
  format: QuantFormat;
  bits: number;
  /** float32 */
  scale: number;
}

export interface WeightQuantiser extends Quantiser {
  /** the Conv, MatMul or Gemm (of the stripped graph) that reads the quantised weight as its input 1 */
  reader: OnnxNode;
  /** the float initializer the stripped graph gives that reader: the file's float weights, else its codes x scale */
  tensor: string;
  /** the float weights the quantiser reads, when the file has them (QONNX; QCDQ on a float initializer) */
  raw: Float32Array | null;
  /** the integer codes the file's quantiser gives, in the file's layout */
  codes: Int32Array;
}

export interface ActivationQuantiser extends Quantiser {
  /** the Relu (of the stripped graph) whose output is quantised */
  relu: OnnxNode;
}

export interface Quantisers {
  format: QuantFormat | null;
  weights: WeightQuantiser[];
  activations: ActivationQuantiser[];
}

const FLOAT = 1;
const UINT8 = 2;
const INT8 = 3;
const QUANT_OPS = ["Quant", "QuantizeLinear", "DequantizeLinear"];

/** The graph without its quantisers, and the quantisers (see the file comment). A float graph comes back as it was. */
export function stripQuantisers(m: OnnxModel): { model: OnnxModel; quant: Quantisers } {
  const quant: Quantisers = { format: null, weights: [], activations: [] };
  if (!m.nodes.some((n) => QUANT_OPS.includes(n.op))) return { model: m, quant };
  const fail = (msg: string): never => {
    throw new ImportError(`${m.file}: ${msg}`);
  };
  // copies: the stripped graph's nodes read renamed tensors, the file's model stays as decoded
  const nodes = m.nodes.map((n) => ({ ...n, inputs: [...n.inputs] }));
  const consts = new Map(m.initializers);
  for (const n of nodes) if (n.op === "Constant" && typeof n.attrs.value === "object" && !Array.isArray(n.attrs.value)) consts.set(n.outputs[0], n.attrs.value as OnnxTensor);
  const producer = new Map<string, OnnxNode>();
  const readers = new Map<string, OnnxNode[]>();
  for (const n of nodes) {
    for (const t of n.outputs) producer.set(t, n);
    for (const t of n.inputs) if (t) readers.set(t, [...(readers.get(t) ?? []), n]);
  }
  const onlyReader = (t: string) => (readers.get(t)?.length === 1 ? readers.get(t)![0] : null);
  const removed = new Set<OnnxNode>();
  /** activation quantisers: their output tensor -> the Relu's output they replace */
  const rename = new Map<string, string>();
  const added: OnnxTensor[] = [];

  const FAMILY = "a per-tensor quantiser of our QAT (signed narrow-range weights, unsigned ReLU outputs, zero point 0, round half to even)";
  /** the one value of a constant input; several values (per-channel) or none are errors */
  const scalar = (n: OnnxNode, i: number, what: string, def?: number): { value: number; type: number } => {
    const name = n.inputs[i];
    if (!name) {
      if (def !== undefined) return { value: def, type: UINT8 };
      return fail(`${describeNode(n)}: no ${what}; expected ${FAMILY}`);
    }
    const t = consts.get(name);
    if (!t) return fail(`${describeNode(n)}: its ${what} "${name}" is not an initializer (computed in the graph); expected a constant`);
    const v = t.floats ?? t.ints;
    if (!v) return fail(`${describeNode(n)}: its ${what} "${name}" has data type ${t.dataType}; expected float32, int8 or uint8`);
    if (v.length !== 1) return fail(`${describeNode(n)}: its ${what} "${name}" has ${v.length} values (shape [${t.dims}]): a per-channel quantiser; expected one per-tensor value (${FAMILY})`);
    return { value: v[0], type: t.dataType };
  };
  const scaleOf = (n: OnnxNode, i: number): number => {
    const s = scalar(n, i, "scale").value;
    if (!(Number.isFinite(s) && s > 0)) fail(`${describeNode(n)}: scale ${s}; expected a finite scale > 0`);
    return Math.fround(s);
  };
  const zeroOf = (n: OnnxNode, i: number): { value: number; type: number } => {
    const z = scalar(n, i, "zero point", 0);
    if (z.value !== 0) fail(`${describeNode(n)}: zero point ${z.value}; expected 0 (${FAMILY})`);
    return z;
  };
  const bitsIn = (n: OnnxNode, bits: number, weight: boolean) => {
    // the ranges a run's config accepts (src/train/config.ts): weights from 2 bits (1 signed narrow bit holds only 0)
    const min = weight ? 2 : 1;
    if (!(Number.isInteger(bits) && bits >= min && bits <= 16)) fail(`${describeNode(n)}: bit width ${bits}; expected an integer from ${min} to 16 for ${weight ? "weights (signed, narrow range)" : "activations (unsigned)"}`);
  };

  /**
   * The quantiser `q` (first node) of tensor x, whose result y the graph reads: a weight when x is constant, an
   * activation when x is a Relu's output. `signed` and `narrow` as the quantiser was written.
   */
  function file(q: OnnxNode, format: QuantFormat, x: string, y: string, scale: number, bits: number, signed: boolean, narrow: boolean, codesOf: (() => Int32Array) | null) {
    quant.format ??= format;
    if (quant.format !== format) fail(`${describeNode(q)}: a ${format.toUpperCase()} quantiser in a graph whose other quantisers are ${quant.format.toUpperCase()}; expected one spelling throughout`);
    const c = consts.get(x);
    if (c) {
      if (!signed || !narrow) fail(`${describeNode(q)}: a ${signed ? "" : "un"}signed${narrow ? " narrow" : ""}-range weight quantiser; expected signed, narrow range [-(2^(b-1) - 1), 2^(b-1) - 1] (${FAMILY})`);
      bitsIn(q, bits, true);
      const reader = onlyReader(y);
      if (!reader || !["Conv", "MatMul", "Gemm"].includes(reader.op) || reader.inputs[1] !== y) {
        fail(`${describeNode(q)}: the quantised weight "${y}" is read by ${(readers.get(y) ?? []).map(describeNode).join("; ") || "no node"}; expected one Conv, MatMul or Gemm reading it as its weight (input 1)`);
      }
      const raw = c.floats ?? null;
      if (!raw && !codesOf) fail(`${describeNode(q)}: quantises "${x}" of data type ${c.dataType}; expected float32 weights`);
      const qmax = 2 ** (bits - 1) - 1;
      const codes = codesOf ? codesOf() : Int32Array.from(raw!, (w) => Math.min(qmax, Math.max(-qmax, roundHalfEven(Math.fround(w / scale)))));
      // the stripped graph's float weight: the file's own, else the codes it stores, dequantised
      added.push({ name: y, dims: c.dims, dataType: FLOAT, floats: raw ?? Float32Array.from(codes, (k) => Math.fround(k * scale)) });
      quant.weights.push({ node: q, format, bits, scale, reader: reader!, tensor: y, raw, codes });
      return;
    }
    const p = producer.get(x);
    if (p?.op !== "Relu" || readers.get(x)?.length !== 1) {
      fail(`${describeNode(q)}: quantises ${p ? `the output of ${describeNode(p)}` : `the graph input "${x}"`}${p?.op === "Relu" ? ", which other nodes read too" : ""}; expected quantisers only on weight initializers and on a Relu's output (read by the quantiser alone)`);
    }
    if (signed || narrow) fail(`${describeNode(q)}: a ${signed ? "signed" : "narrow-range"} quantiser after ${describeNode(p!)}; expected unsigned, [0, 2^b - 1], not narrow (${FAMILY})`);
    bitsIn(q, bits, false);
    rename.set(y, x);
    quant.activations.push({ node: q, format, bits, scale, relu: p! });
  }

  for (const n of nodes) {
    if (n.op === "Quant") {
      if (!QONNX_DOMAINS.includes(n.domain)) fail(`${describeNode(n)}: op Quant of domain "${n.domain}"; expected QONNX's Quant (domain ${QONNX_DOMAINS.join(" or ")})`);
      const scale = scaleOf(n, 1);
      zeroOf(n, 2);
      const bits = scalar(n, 3, "bit width").value;
      const attr = (k: string, def: number | string) => n.attrs[k] ?? def;
      const rounding = attr("rounding_mode", "ROUND");
      if (rounding !== "ROUND") fail(`${describeNode(n)}: rounding_mode ${rounding}; expected ROUND (half to even, as our quantisers round)`);
      removed.add(n);
      file(n, "qonnx", n.inputs[0], n.outputs[0], scale, bits, attr("signed", 1) === 1, attr("narrow", 0) === 1, null);
    } else if (n.op === "QuantizeLinear") {
      const scale = scaleOf(n, 1);
      const zero = zeroOf(n, 2);
      if (zero.type !== INT8 && zero.type !== UINT8) fail(`${describeNode(n)}: zero point of data type ${zero.type}; expected int8 or uint8 codes`);
      const signed = zero.type === INT8;
      let next = onlyReader(n.outputs[0]);
      let clip: OnnxNode | null = null;
      if (next?.op === "Clip") {
        clip = next;
        next = onlyReader(clip.outputs[0]);
      }
      if (next?.op !== "DequantizeLinear") fail(`${describeNode(n)}: its codes are read by ${(readers.get((clip ?? n).outputs[0]) ?? []).map(describeNode).join("; ") || "no node"}; expected QuantizeLinear -> [Clip] -> DequantizeLinear`);
      const dq = next!;
      if (scaleOf(dq, 1) !== scale) fail(`${describeNode(dq)}: scale ${scalar(dq, 1, "scale").value}, its QuantizeLinear's ${scale}; expected the same scale`);
      zeroOf(dq, 2);
      const full = signed ? [-128, 127] : [0, 255];
      const [lo, hi] = clip ? [scalar(clip, 1, "minimum", full[0]).value, scalar(clip, 2, "maximum", full[1]).value] : full;
      // the width the bounds stand for (qonnx's QCDQToQuant: ceil(log2(max - min + 1))), exact ones only
      const bits = signed ? Math.log2(hi + 1) + 1 : Math.log2(hi + 1);
      const narrow = signed && lo === -hi;
      if (!Number.isInteger(bits) || (signed ? lo !== -hi && lo !== -hi - 1 : lo !== 0)) {
        fail(`${describeNode(clip ?? n)}: integer range [${lo}, ${hi}]; expected [-(2^(b-1) - 1), 2^(b-1) - 1] (signed, narrow) or [0, 2^b - 1] (unsigned)`);
      }
      removed.add(n).add(dq);
      if (clip) removed.add(clip);
      file(n, "qcdq", n.inputs[0], dq.outputs[0], scale, bits, signed, narrow, null);
    }
  }
  // DequantizeLinear of constant codes: a weight quantised ahead of time (8 bits: the type's width, as QCDQToQuant reads it)
  for (const n of nodes) {
    if (n.op !== "DequantizeLinear" || removed.has(n)) continue;
    const c = consts.get(n.inputs[0]);
    if (!c) fail(`${describeNode(n)}: reads "${n.inputs[0]}", which no QuantizeLinear (-> Clip) writes and no initializer holds; expected QuantizeLinear -> [Clip] -> DequantizeLinear, or an int8 weight initializer`);
    if (c!.dataType !== INT8 || !c!.ints) fail(`${describeNode(n)}: its codes "${c!.name}" have data type ${c!.dataType}; expected int8 weight codes`);
    const scale = scaleOf(n, 1);
    zeroOf(n, 2);
    const codes = Int32Array.from(c!.ints!);
    const bad = codes.findIndex((k) => k < -127);
    if (bad >= 0) fail(`${describeNode(n)}: code ${codes[bad]} at index ${bad} of "${c!.name}"; expected the signed narrow range [-127, 127] (${FAMILY})`);
    removed.add(n);
    file(n, "qcdq", n.inputs[0], n.outputs[0], scale, 8, true, true, () => codes);
  }
  const kept = nodes.filter((n) => !removed.has(n));
  const left = kept.find((n) => QUANT_OPS.includes(n.op) || n.op === "Clip");
  if (left) fail(`${describeNode(left)}: not part of a quantiser the importer reads; expected Quant, or QuantizeLinear -> [Clip] -> DequantizeLinear, on weights and Relu outputs`);
  for (const n of kept) n.inputs = n.inputs.map((t) => rename.get(t) ?? t);
  const initializers = new Map(m.initializers);
  for (const t of added) initializers.set(t.name, t);
  return { model: { ...m, nodes: kept, initializers }, quant };
}
