/**
 * A trained network as ONNX (opset 13) in the QONNX dialect, the format hls4ml's ONNX front end reads: the graph is
 * the network's *current* NetSpec lowered (src/net/graph.ts), so a Tailor student comes out with its final skips
 * (a removed skip has no Add and no projection, a shortened one its short Adds), and every layer is the op the eval
 * forward pass (src/train/model.ts, `forward(m, x, false)`) runs:
 *   conv -> Conv (weights OIHW, explicit pads), bn -> BatchNormalization (running statistics, epsilon BN_EPS),
 *   relu -> Relu, add -> Add, maxpool -> MaxPool, gap -> GlobalAveragePool + Flatten, dense -> MatMul + Add.
 *
 * Quantised runs (src/train/quant.ts) get QONNX `Quant` nodes (domain "qonnx.custom_op.general") where the forward
 * pass fake-quantises: on every conv's and dense layer's weight initializer (signed, narrow, bits from weightBitsOf:
 * quantEdgeBits at the first conv and the last dense layer) and on every ReLU's output (unsigned, not narrow, the
 * body's activation bits). Biases, batch norm and the sums of skip adds stay float, as in training.
 *
 * The Quant op, as QONNX specifies it (fastmachinelearning/qonnx, docs/qonnx-custom-ops/quant_op.md at 48bff89 and
 * src/qonnx/custom_op/general/intquant.py at 4426a3e, `int_quant`): inputs X, scale, zeropt, bitwidth (scalars
 * here: per-tensor); y = (round(clamp(X / scale + zeropt, min_int, max_int)) - zeropt) * scale with
 * min_int/max_int = -(2^(b-1) - 1)/(2^(b-1) - 1) for signed narrow, 0/(2^b - 1) for unsigned non-narrow, and
 * rounding_mode "ROUND" = numpy's round, half to even. Ours (quant.ts: clamp(round(x / s), qmin, qmax) * s, round
 * half to even) rounds before it clamps; with integer bounds both orders give the same integer, and zeropt is 0,
 * so the values are the same. intquant.py's `get_output_dtype` wants scale, zeropt and bitwidth as initializers and
 * the bit width a scalar of integer value: they are (bitwidth as a float32 scalar, as Brevitas exports it; the
 * spec's table says int32, its code only reads `int(bitwidth)`).
 * The scales are the ones the eval forward pass computes: weights max|w| / (2^(b-1) - 1), activations
 * `<relu>.actmax` / (2^b - 1), each floored at SCALE_MIN and rounded to float32 as the fake-quantisation op does.
 *
 * Input: NCHW float32, *already normalised*: (pixel / 255 - mean[c]) / std[c] with the training split's per-channel
 * statistics (src/data/batches.ts). The normalisation is a pre-processing step, not an op of the graph: folding it
 * into the first conv would change that conv's weights and so its 8-bit quantisation grid (the exported network
 * would no longer be the one trained), and a float Mul/Add in front would be one more layer for hls4ml to build.
 * When known (a finished run's results.json), mean and std are recorded in the model's metadata and doc string.
 *
 * Pure: bytes from a checkpoint's records (plain arrays: no tfjs tensor, no file).
 */
import { lower, type ConvLayer, type Layer, type LayerGraph, type NetSpec } from "../net/index.js";
import { BN_EPS } from "../backend/training-ops.js";
import type { TensorRecord } from "../train/checkpoint.js";
import type { TrainConfig } from "../train/config.js";
import { ACT_STAT, quantLabel, quantScale, quantSpecOf, signedMax, unsignedMax, weightBitsOf, type QuantSpec } from "../train/quant.js";
import type { Normalisation } from "../data/batches.js";
import { bytesField, concat, float32Bytes, floatField, intField, messageField, packedIntsField, stringField } from "./protobuf.js";

export const QONNX_DOMAIN = "qonnx.custom_op.general";
export const OPSET = 13;
/** ONNX IR version 7 goes with opset 13 (onnx 1.8; onnx.helper.VERSION_TABLE) */
export const IR_VERSION = 7;
export const INPUT_NAME = "input";
export const OUTPUT_NAME = "logits";

export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExportError";
  }
}

/** what the exporter reads: a checkpoint's network, quantisation fields and tensors */
export interface ExportSource {
  net: NetSpec;
  config: Partial<Pick<TrainConfig, "quantWeightBits" | "quantActBits" | "quantEdgeBits">>;
  params: Record<string, TensorRecord>;
  stats: Record<string, TensorRecord>;
}

export interface ExportOptions {
  /** the training split's input normalisation, recorded in the metadata when known */
  normalisation?: Normalisation | null;
  /** names the export in errors (the checkpoint file) */
  source?: string;
  producerVersion?: string;
}

export interface ExportSummary {
  quant: string;
  /** ONNX op type -> count */
  ops: Record<string, number>;
  weightQuants: number;
  activationQuants: number;
  initializers: number;
  skipModes: string[];
}

// ---- ONNX messages (field numbers from onnx.proto, onnx 1.12) ----
const FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_INTS = 7;

type Attr = { name: string } & ({ i: number } | { ints: number[] } | { s: string } | { f: number });

function attribute(a: Attr): Uint8Array {
  const f: Uint8Array[] = [stringField(1, a.name)];
  if ("i" in a) f.push(intField(3, a.i), intField(20, ATTR_INT));
  else if ("ints" in a) f.push(packedIntsField(8, a.ints), intField(20, ATTR_INTS));
  else if ("s" in a) f.push(stringField(4, a.s), intField(20, ATTR_STRING));
  else f.push(floatField(2, a.f), intField(20, ATTR_FLOAT));
  return concat(f);
}

interface Node {
  op: string;
  name: string;
  inputs: string[];
  output: string;
  attrs?: Attr[];
  domain?: string;
}

function node(n: Node): Uint8Array {
  return concat([
    ...n.inputs.map((i) => stringField(1, i)),
    stringField(2, n.output),
    stringField(3, n.name),
    stringField(4, n.op),
    ...(n.attrs ?? []).map((a) => messageField(5, [attribute(a)])),
    ...(n.domain ? [stringField(7, n.domain)] : []),
  ]);
}

/** a float32 initializer (raw little-endian data) */
function tensor(name: string, dims: number[], values: ArrayLike<number>): Uint8Array {
  return concat([packedIntsField(1, dims), intField(2, FLOAT), stringField(8, name), bytesField(9, float32Bytes(values))]);
}

/** a float32 tensor's type; a string dimension is symbolic (the batch) */
function valueInfo(name: string, dims: (number | string)[]): Uint8Array {
  const dim = (d: number | string) => messageField(1, [typeof d === "string" ? stringField(2, d) : intField(1, d)]);
  const shape = messageField(2, dims.map(dim));
  return concat([stringField(1, name), messageField(2, [messageField(1, [intField(1, FLOAT), shape])])]);
}

// ---- layouts: tfjs (NHWC activations, HWIO filters) to ONNX (NCHW, OIHW) ----

/** a conv's filter in ONNX's [out, in / groups, kh, kw] layout from tfjs's [kh, kw, in, out] (depthwise: [kh, kw, in, 1]) */
function convWeightOIHW(l: ConvLayer, v: Float32Array, where: string): { dims: number[]; values: Float32Array } {
  const [kh, kw] = l.kernel;
  const depthwise = l.groups !== 1;
  if (depthwise && l.groups !== l.cin) throw new ExportError(`${where}: layer ${l.name}: grouped convolution with ${l.groups} groups of ${l.cin} channels: only standard and depthwise convolutions are exported`);
  const cin = depthwise ? 1 : l.cin;
  const cout = l.cout;
  const out = new Float32Array(v.length);
  for (let o = 0; o < cout; o++)
    for (let i = 0; i < cin; i++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) {
          // tfjs index: ((y * kw + x) * C + c) * M + m, where depthwise reads channel o with multiplier 0
          const src = depthwise ? (y * kw + x) * l.cin + o : ((y * kw + x) * l.cin + i) * cout + o;
          out[((o * cin + i) * kh + y) * kw + x] = v[src];
        }
  return { dims: [cout, cin, kh, kw], values: out };
}

function absMax(v: Float32Array): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]));
  return m;
}

/** Refuse what the exporter cannot express, naming the layer or head and why. */
function checkExportable(g: LayerGraph, where: string): void {
  if (g.net.head.kind !== "gap-dense") {
    throw new ExportError(`${where}: ${g.net.name} has a "${g.net.head.kind}" head; the exporter writes networks ending ReLU, global average pool, dense ("gap-dense": the ResNets): a flattened or per-time output is laid out NHWC in training and NCHW in ONNX`);
  }
  for (const l of g.layers) {
    if (l.op === "flatten") throw new ExportError(`${where}: layer ${l.name} (flatten) is not exported (NHWC vs NCHW order)`);
  }
}

/**
 * ONNX ModelProto bytes of the checkpoint's network (see the file comment), and a summary of what was written.
 * Throws an ExportError naming the tensor, statistic or layer that is missing or cannot be expressed.
 */
export function exportQonnx(src: ExportSource, opts: ExportOptions = {}): { bytes: Uint8Array; summary: ExportSummary } {
  const where = opts.source ?? src.net?.name ?? "model";
  let g: LayerGraph;
  try {
    g = lower(src.net);
  } catch (e) {
    throw new ExportError(`${where}: invalid network: ${(e as Error).message}`);
  }
  checkExportable(g, where);
  const q: QuantSpec | null = quantSpecOf(src.config ?? {});
  const nodes: Uint8Array[] = [];
  const inits: Uint8Array[] = [];
  const infos: Uint8Array[] = [];
  const ops: Record<string, number> = {};
  let weightQuants = 0;
  let activationQuants = 0;
  const initNames = new Set<string>();

  const init = (name: string, dims: number[], values: ArrayLike<number>) => {
    if (!initNames.has(name)) inits.push(tensor(name, dims, values));
    initNames.add(name);
    return name;
  };
  const emit = (n: Node, dims: (number | string)[]) => {
    nodes.push(node(n));
    ops[n.op] = (ops[n.op] ?? 0) + 1;
    if (n.output !== OUTPUT_NAME) infos.push(valueInfo(n.output, dims));
    return n.output;
  };
  const shaped = (kind: string, r: TensorRecord | undefined, name: string, shape: number[]): TensorRecord => {
    if (!r) throw new ExportError(`${where}: missing ${kind} "${name}" for ${g.net.name}`);
    if (r.shape.join(",") !== shape.join(",") || r.values.length !== shape.reduce((a, b) => a * b, 1)) {
      throw new ExportError(`${where}: ${kind} "${name}" has shape [${r.shape}], the network needs [${shape}]`);
    }
    return r;
  };
  const param = (name: string, shape: number[]) => shaped("weight", src.params?.[name], name, shape);
  const stat = (name: string, shape: number[]) => shaped("statistic", src.stats?.[name], name, shape);
  /** QONNX Quant of tensor x with a per-tensor scale: shared zero point and bit-width initializers */
  const quant = (x: string, out: string, scale: number, bits: number, signed: boolean, dims: (number | string)[]) => {
    const zero = init("qonnx.zeropt", [], [0]);
    const width = init(`qonnx.bits${bits}`, [], [bits]);
    const s = init(`${out}.scale`, [], [scale]);
    return emit(
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
  };
  /** a weight initializer, fake-quantised when the run quantises weights */
  const weight = (l: Layer, dims: number[], values: Float32Array) => {
    const name = init(`${l.name}.weight`, dims, values);
    if (!q?.weightBits) return name;
    weightQuants++;
    const qmax = signedMax(weightBitsOf(q, g, l));
    return quant(name, `${l.name}.weight_q`, quantScale(absMax(values), qmax), weightBitsOf(q, g, l), true, dims);
  };

  const N = "N";
  const nchw = (l: Layer) => [N, l.shape.c, l.shape.h, l.shape.w];
  const names: string[] = new Array(g.layers.length);
  for (const l of g.layers) {
    const x = l.inputs.map((i) => names[i]);
    const out = l.id === g.output ? OUTPUT_NAME : l.name;
    switch (l.op) {
      case "input":
        names[l.id] = INPUT_NAME;
        break;
      case "conv": {
        // tfjs's filter layout (model.ts paramShapes): [kh, kw, in, out], depthwise [kh, kw, in, 1]
        const r = param(`${l.name}.weight`, l.groups === 1 ? [l.kernel[0], l.kernel[1], l.cin, l.cout] : [l.kernel[0], l.kernel[1], l.cin, 1]);
        const w = convWeightOIHW(l, r.values, where);
        const inputs = [x[0], weight(l, w.dims, w.values)];
        if (l.bias) inputs.push(init(`${l.name}.bias`, [l.cout], param(`${l.name}.bias`, [l.cout]).values));
        names[l.id] = emit(
          {
            op: "Conv",
            name: l.name,
            inputs,
            output: out,
            attrs: [
              { name: "kernel_shape", ints: [...l.kernel] },
              { name: "strides", ints: [...l.stride] },
              { name: "pads", ints: [l.pad[0], l.pad[1], l.padAfter[0], l.padAfter[1]] },
              { name: "dilations", ints: [...l.dilation] },
              { name: "group", i: l.groups },
            ],
          },
          nchw(l),
        );
        break;
      }
      case "bn": {
        const p = (k: string) => init(`${l.name}.${k}`, [l.channels], param(`${l.name}.${k}`, [l.channels]).values);
        const s = (k: string) => init(`${l.name}.${k}`, [l.channels], stat(`${l.name}.${k}`, [l.channels]).values);
        names[l.id] = emit({ op: "BatchNormalization", name: l.name, inputs: [x[0], p("gamma"), p("beta"), s("mean"), s("variance")], output: out, attrs: [{ name: "epsilon", f: BN_EPS }] }, nchw(l));
        break;
      }
      case "relu": {
        if (!q?.actBits) {
          names[l.id] = emit({ op: "Relu", name: l.name, inputs: [x[0]], output: out }, nchw(l));
          break;
        }
        const statName = l.name + ACT_STAT;
        const v = src.stats?.[statName];
        if (!v || v.values.length !== 1) throw new ExportError(`${where}: quantised activations (${quantLabel(src.config)}) but no activation scale "${statName}" (one value): the checkpoint was not trained quantised`);
        if (!(v.values[0] > 0)) {
          throw new ExportError(`${where}: activation scale "${statName}" is ${v.values[0]}: evaluation then quantises that ReLU with each batch's own maximum, which a fixed graph cannot express`);
        }
        const raw = emit({ op: "Relu", name: l.name, inputs: [x[0]], output: `${l.name}.float` }, nchw(l));
        activationQuants++;
        names[l.id] = quant(raw, out, quantScale(v.values[0], unsignedMax(q.actBits)), q.actBits, false, nchw(l));
        break;
      }
      case "add":
        names[l.id] = emit({ op: "Add", name: l.name, inputs: [x[0], x[1]], output: out }, nchw(l));
        break;
      case "maxpool":
        names[l.id] = emit(
          {
            op: "MaxPool",
            name: l.name,
            inputs: [x[0]],
            output: out,
            attrs: [
              { name: "kernel_shape", ints: [l.kernel, l.kernel] },
              { name: "strides", ints: [l.stride, l.stride] },
              { name: "pads", ints: [l.pad, l.pad, l.pad, l.pad] },
            ],
          },
          nchw(l),
        );
        break;
      case "gap": {
        const pooled = emit({ op: "GlobalAveragePool", name: l.name, inputs: [x[0]], output: `${l.name}.nchw` }, [N, l.shape.c, 1, 1]);
        names[l.id] = emit({ op: "Flatten", name: `${l.name}.flatten`, inputs: [pooled], output: out, attrs: [{ name: "axis", i: 1 }] }, [N, l.shape.c]);
        break;
      }
      case "dense": {
        const from = g.layers[l.inputs[0]];
        if (from.op !== "gap") throw new ExportError(`${where}: layer ${l.name} (dense) reads ${from.name} (${from.op}); only a dense layer after the global average pool is exported`);
        const w = weight(l, [l.cin, l.cout], param(`${l.name}.weight`, [l.cin, l.cout]).values);
        const mm = emit({ op: "MatMul", name: `${l.name}.matmul`, inputs: [x[0], w], output: `${l.name}.matmul` }, [N, l.cout]);
        names[l.id] = emit({ op: "Add", name: `${l.name}.bias_add`, inputs: [mm, init(`${l.name}.bias`, [l.cout], param(`${l.name}.bias`, [l.cout]).values)], output: out }, [N, l.cout]);
        break;
      }
      default:
        throw new ExportError(`${where}: layer ${l.name} (${(l as Layer).op}) is not exported`);
    }
  }

  const outLayer = g.layers[g.output];
  const normText = opts.normalisation
    ? `input: NCHW float32, normalised per channel as in training: (pixel / 255 - mean) / std, mean ${JSON.stringify(opts.normalisation.mean)}, std ${JSON.stringify(opts.normalisation.std)} (not folded into the graph)`
    : "input: NCHW float32, normalised per channel as in training: (pixel / 255 - mean) / std with the training split's statistics (results.json: normalisation; not folded into the graph, and not known to this export)";
  const skipModes = g.net.blocks.map((b) => b.skip);
  const graph = concat([
    ...nodes.map((n) => bytesField(1, n)),
    stringField(2, `${g.net.name}`),
    ...inits.map((t) => bytesField(5, t)),
    stringField(10, `${g.net.name}, skips ${skipModes.join(",")}, ${quantLabel(src.config ?? {})}. ${normText}`),
    bytesField(11, valueInfo(INPUT_NAME, [N, g.net.input.channels, g.net.input.height, g.net.input.width])),
    bytesField(12, valueInfo(OUTPUT_NAME, [N, outLayer.shape.c])),
    ...infos.map((v) => bytesField(13, v)),
  ]);
  const opset = (domain: string, version: number) => messageField(8, [stringField(1, domain), intField(2, version)]);
  const meta = (key: string, value: string) => messageField(14, [stringField(1, key), stringField(2, value)]);
  const bytes = concat([
    intField(1, IR_VERSION),
    opset("", OPSET),
    ...(weightQuants + activationQuants > 0 ? [opset(QONNX_DOMAIN, 1)] : []),
    stringField(2, "tailor-ts"),
    stringField(3, opts.producerVersion ?? "0.1.0"),
    messageField(7, [graph]),
    meta("tailor.net", g.net.name),
    meta("tailor.skip_modes", skipModes.join(",")),
    meta("tailor.quant", quantLabel(src.config ?? {})),
    meta("tailor.input_layout", "NCHW"),
    meta("tailor.input_normalisation", opts.normalisation ? JSON.stringify(opts.normalisation) : "unknown"),
  ]);
  return {
    bytes,
    summary: { quant: quantLabel(src.config ?? {}), ops, weightQuants, activationQuants, initializers: inits.length, skipModes },
  };
}
