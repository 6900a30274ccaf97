/**
 * Each layer of the lowered network as the ONNX nodes the eval forward pass (model.ts, `forward(m, x, false)`)
 * amounts to: conv -> Conv, bn -> BatchNormalization, relu -> Relu (+ Quant), add -> Add, maxpool -> MaxPool,
 * gap -> GlobalAveragePool + Flatten, dense -> MatMul + Add. Activations are NCHW with a symbolic batch N.
 */
import type { ConvLayer, Layer } from "../net/index.js";
import { BN_EPS } from "../backend/training-ops.js";
import type { TensorRecord } from "../train/checkpoint-types.js";
import { convWeightOIHW } from "./onnx-layout.js";
import { INPUT_NAME } from "./qonnx-graph.js";
import { qcdqActivation } from "./qcdq-quant.js";
import { activationScale, quantNode, weightInput } from "./qonnx-quant.js";
import { ExportError, type ExportContext } from "./qonnx-types.js";

type LayerOf<K extends Layer["op"]> = Extract<Layer, { op: K }>;

const N = "N";
const nchw = (l: Layer) => [N, l.shape.c, l.shape.h, l.shape.w];

function shaped(c: ExportContext, kind: string, r: TensorRecord | undefined, name: string, shape: number[]): TensorRecord {
  if (!r) throw new ExportError(`${c.where}: missing ${kind} "${name}" for ${c.g.net.name}`);
  if (r.shape.join(",") !== shape.join(",") || r.values.length !== shape.reduce((a, b) => a * b, 1)) {
    throw new ExportError(`${c.where}: ${kind} "${name}" has shape [${r.shape}], the network needs [${shape}]`);
  }
  return r;
}
const param = (c: ExportContext, name: string, shape: number[]) => shaped(c, "weight", c.src.params?.[name], name, shape);
const stat = (c: ExportContext, name: string, shape: number[]) => shaped(c, "statistic", c.src.stats?.[name], name, shape);

function conv(c: ExportContext, l: ConvLayer, x: string[], out: string): string {
  // tfjs's filter layout (model.ts paramShapes): [kh, kw, in, out], depthwise [kh, kw, in, 1]
  const r = param(c, `${l.name}.weight`, l.groups === 1 ? [l.kernel[0], l.kernel[1], l.cin, l.cout] : [l.kernel[0], l.kernel[1], l.cin, 1]);
  const w = convWeightOIHW(l, r.values, c.where);
  const inputs = [x[0], weightInput(c, l, w.dims, w.values)];
  if (l.bias) inputs.push(c.b.init(`${l.name}.bias`, [l.cout], param(c, `${l.name}.bias`, [l.cout]).values));
  return c.b.emit(
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
}

function batchNorm(c: ExportContext, l: LayerOf<"bn">, x: string[], out: string): string {
  const p = (k: string) => c.b.init(`${l.name}.${k}`, [l.channels], param(c, `${l.name}.${k}`, [l.channels]).values);
  const s = (k: string) => c.b.init(`${l.name}.${k}`, [l.channels], stat(c, `${l.name}.${k}`, [l.channels]).values);
  return c.b.emit({ op: "BatchNormalization", name: l.name, inputs: [x[0], p("gamma"), p("beta"), s("mean"), s("variance")], output: out, attrs: [{ name: "epsilon", f: BN_EPS }] }, nchw(l));
}

/** a ReLU; quantised activations add a Quant (or QCDQ) after it, which then carries the layer's name as its output */
function relu(c: ExportContext, l: LayerOf<"relu">, x: string[], out: string): string {
  if (!c.q?.actBits) return c.b.emit({ op: "Relu", name: l.name, inputs: [x[0]], output: out }, nchw(l));
  const scale = activationScale(c, l, c.q.actBits);
  const raw = c.b.emit({ op: "Relu", name: l.name, inputs: [x[0]], output: `${l.name}.float` }, nchw(l));
  c.quants.activations++;
  if (c.format === "qcdq") return qcdqActivation(c.b, raw, out, scale, c.q.actBits, nchw(l));
  return quantNode(c.b, raw, out, scale, c.q.actBits, false, nchw(l));
}

function maxPool(c: ExportContext, l: LayerOf<"maxpool">, x: string[], out: string): string {
  return c.b.emit(
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
}

/** ONNX pools to [N, C, 1, 1]; the network's pooled tensor is [N, C] */
function globalAvgPool(c: ExportContext, l: LayerOf<"gap">, x: string[], out: string): string {
  const pooled = c.b.emit({ op: "GlobalAveragePool", name: l.name, inputs: [x[0]], output: `${l.name}.nchw` }, [N, l.shape.c, 1, 1]);
  return c.b.emit({ op: "Flatten", name: `${l.name}.flatten`, inputs: [pooled], output: out, attrs: [{ name: "axis", i: 1 }] }, [N, l.shape.c]);
}

function dense(c: ExportContext, l: LayerOf<"dense">, x: string[], out: string): string {
  const from = c.g.layers[l.inputs[0]];
  if (from.op !== "gap") throw new ExportError(`${c.where}: layer ${l.name} (dense) reads ${from.name} (${from.op}); only a dense layer after the global average pool is exported`);
  const w = weightInput(c, l, [l.cin, l.cout], param(c, `${l.name}.weight`, [l.cin, l.cout]).values);
  const mm = c.b.emit({ op: "MatMul", name: `${l.name}.matmul`, inputs: [x[0], w], output: `${l.name}.matmul` }, [N, l.cout]);
  return c.b.emit({ op: "Add", name: `${l.name}.bias_add`, inputs: [mm, c.b.init(`${l.name}.bias`, [l.cout], param(c, `${l.name}.bias`, [l.cout]).values)], output: out }, [N, l.cout]);
}

/** Write layer l reading tensors x, its output named `out`; returns the name its readers use. */
export function emitLayer(c: ExportContext, l: Layer, x: string[], out: string): string {
  switch (l.op) {
    case "input":
      return INPUT_NAME;
    case "conv":
      return conv(c, l, x, out);
    case "bn":
      return batchNorm(c, l, x, out);
    case "relu":
      return relu(c, l, x, out);
    case "add":
      return c.b.emit({ op: "Add", name: l.name, inputs: [x[0], x[1]], output: out }, nchw(l));
    case "maxpool":
      return maxPool(c, l, x, out);
    case "gap":
      return globalAvgPool(c, l, x, out);
    case "dense":
      return dense(c, l, x, out);
    default:
      throw new ExportError(`${c.where}: layer ${l.name} (${(l as Layer).op}) is not exported`);
  }
}
