/**
 * The first half of graph matching: walk an ONNX graph from its input to its output along the main path and write
 * down what happens on the way, as tokens: a unit (Conv, and the BatchNormalization that reads it alone), a Relu, a
 * fork (a tensor read twice: the main path and a skip, identity or a 1x1 Conv + BatchNormalization projection), the
 * Add that closes a fork, a MaxPool, the global average pool, the dense layer. Shapes are followed along the way.
 * onnx-match.ts reads the tokens as stem, blocks and head. Anything outside that family stops the walk with an error
 * naming the node and what was expected there.
 */
import { outSize, padsOf, type ConvSpec, type Padding, type Shape } from "../net/index.js";
import { describeNode, ImportError, type OnnxModel, type OnnxNode, type OnnxTensor } from "./onnx-types.js";

/** a Conv, the BatchNormalization after it (if any), and what it computes in NetSpec terms */
export interface ConvRef {
  conv: OnnxNode;
  bn: OnnxNode | null;
  kernel: number;
  stride: number;
  out: number;
  padding: Padding;
  inShape: Shape;
  outShape: Shape;
}

export interface DenseRef {
  node: OnnxNode;
  /** the weight initializer, [cin, cout] (MatMul, Gemm with transB 0) or [cout, cin] (Gemm with transB 1) */
  weight: string;
  transposed: boolean;
  bias: string;
  /** the Add of a MatMul + Add */
  biasNode: OnnxNode | null;
  cin: number;
  cout: number;
}

export type Token =
  | { kind: "unit"; unit: ConvRef }
  | { kind: "relu"; node: OnnxNode }
  | { kind: "fork"; id: number; tensor: string; shape: Shape; proj: ConvRef | null; add: OnnxNode }
  | { kind: "add"; id: number; node: OnnxNode }
  | { kind: "pool"; node: OnnxNode; kernel: number; stride: number; pad: number }
  | { kind: "gap"; node: OnnxNode }
  | { kind: "dense"; dense: DenseRef };

export interface Walk {
  input: { name: string; channels: number; height: number; width: number };
  tokens: Token[];
  /** constant tensors: initializers and Constant nodes' values */
  consts: Map<string, OnnxTensor>;
}

export const SUPPORTED_OPS = ["Conv", "BatchNormalization", "Relu", "Add", "MaxPool", "GlobalAveragePool", "ReduceMean", "Flatten", "Reshape", "Squeeze", "MatMul", "Gemm", "Identity", "Dropout", "Constant"];
const FLOAT = 1;

/** Walk the graph (see the file comment). Throws an ImportError naming the file and node. */
export function walkGraph(m: OnnxModel): Walk {
  const fail = (msg: string): never => {
    throw new ImportError(`${m.file}: ${msg}`);
  };
  for (const n of m.nodes) {
    if ((n.domain !== "" && n.domain !== "ai.onnx") || !SUPPORTED_OPS.includes(n.op)) {
      fail(`${describeNode(n)}: op ${n.domain ? `${n.domain}:` : ""}${n.op} is not supported; the importer reads ResNet-style CNNs made of ${SUPPORTED_OPS.filter((o) => o !== "Constant").join(", ")}, quantised by QONNX Quant or QuantizeLinear -> [Clip] -> DequantizeLinear`);
    }
  }
  const consts = new Map(m.initializers);
  for (const n of m.nodes) {
    if (n.op !== "Constant") continue;
    const v = n.attrs.value;
    if (typeof v !== "object" || Array.isArray(v)) fail(`${describeNode(n)}: a Constant without a tensor "value"`);
    consts.set(n.outputs[0], v as OnnxTensor);
  }
  const data = m.inputs.filter((i) => !consts.has(i.name));
  if (data.length !== 1) fail(`the graph has ${data.length} inputs besides its initializers (${data.map((d) => d.name).join(", ")}); expected one image batch`);
  const inp = data[0];
  const dims = inp.dims;
  if (inp.elemType !== FLOAT || !dims || dims.length !== 4 || !dims.slice(1).every((d) => typeof d === "number" && d > 0)) {
    fail(`graph input "${inp.name}" is ${inp.elemType === FLOAT ? "float32" : `of element type ${inp.elemType}`} [${dims?.map((d) => d ?? "?").join(", ") ?? "no shape"}]; expected float32 NCHW with fixed C, H and W (the batch dimension may be symbolic)`);
  }
  if (m.outputs.length !== 1) fail(`the graph has ${m.outputs.length} outputs (${m.outputs.map((o) => o.name).join(", ")}); expected one (the logits)`);
  const output = m.outputs[0].name;

  const consumers = new Map<string, OnnxNode[]>();
  for (const n of m.nodes) {
    const data = n.inputs.filter((t) => t !== "" && !consts.has(t));
    // x + x is no skip: a skip adds a tensor from earlier on the path
    if (new Set(data).size < data.length) fail(`${describeNode(n)} reads the same tensor twice; expected a skip Add to read the main path and a skip from an earlier tensor`);
    for (const t of data) consumers.set(t, [...(consumers.get(t) ?? []), n]);
  }
  const readers = (t: string) => consumers.get(t) ?? [];
  const only = (t: string) => (readers(t).length === 1 && t !== output ? readers(t)[0] : null);
  const visited = new Set<OnnxNode>();

  const constOf = (n: OnnxNode, i: number, what: string): OnnxTensor => {
    const name = n.inputs[i];
    const t = name ? consts.get(name) : undefined;
    if (!t) fail(`${describeNode(n)}: its ${what} "${name ?? ""}" is not an initializer (missing, or computed in the graph); expected constant weights`);
    return t!;
  };
  const floatConst = (n: OnnxNode, i: number, what: string, dims?: number[]): OnnxTensor => {
    const t = constOf(n, i, what);
    if (t.dataType !== FLOAT || !t.floats) fail(`${describeNode(n)}: its ${what} "${t.name}" has data type ${t.dataType}; expected float32 (1)`);
    if (dims && t.dims.join(",") !== dims.join(",")) fail(`${describeNode(n)}: its ${what} "${t.name}" has shape [${t.dims}]; expected [${dims}]`);
    return t;
  };
  const ints = (n: OnnxNode, key: string, def: number[]): number[] => {
    const v = n.attrs[key];
    return v === undefined ? def : Array.isArray(v) ? v : fail(`${describeNode(n)}: attribute ${key} is not a list of integers`);
  };
  const intAttr = (n: OnnxNode, key: string, def: number): number => {
    const v = n.attrs[key];
    return v === undefined ? def : typeof v === "number" ? v : fail(`${describeNode(n)}: attribute ${key} is not a number`);
  };

  function parseConv(n: OnnxNode, s: Shape): ConvRef {
    visited.add(n);
    const w = floatConst(n, 1, "weight");
    if (w.dims.length !== 4) fail(`${describeNode(n)}: weight "${w.name}" has shape [${w.dims}]; expected a 2D convolution's [out, in, kh, kw]`);
    const [out, cin, kh, kw] = w.dims;
    if (intAttr(n, "group", 1) !== 1) fail(`${describeNode(n)}: group ${n.attrs.group}; grouped and depthwise convolutions are not imported yet (expected group 1)`);
    if (cin !== s.c) fail(`${describeNode(n)}: weight "${w.name}" reads ${cin} channels, its input has ${s.c}`);
    if (kh !== kw) fail(`${describeNode(n)}: kernel ${kh}x${kw}; expected a square kernel`);
    const strides = ints(n, "strides", [1, 1]);
    if (strides.length !== 2 || strides[0] !== strides[1]) fail(`${describeNode(n)}: strides [${strides}]; expected equal strides on both axes`);
    if (ints(n, "dilations", [1, 1]).some((d) => d !== 1)) fail(`${describeNode(n)}: dilations [${n.attrs.dilations}]; expected 1`);
    const stride = strides[0];
    const auto = n.attrs.auto_pad ?? "NOTSET";
    let pads: number[];
    if (auto === "VALID") pads = [0, 0, 0, 0];
    else if (auto === "SAME_UPPER") {
      // SAME_UPPER puts an odd pixel after: TensorFlow's 'same'
      const [t, b] = padsOf("same", s.h, kh, stride);
      const [l, r] = padsOf("same", s.w, kw, stride);
      pads = [t, l, b, r];
    } else if (auto === "NOTSET") pads = ints(n, "pads", [0, 0, 0, 0]);
    else return fail(`${describeNode(n)}: auto_pad ${auto}; expected NOTSET, VALID or SAME_UPPER`);
    // the NetSpec's three paddings (src/net/types.ts Padding), the authors' symmetric one first
    const padding = (["symmetric", "same", "valid"] as const).find((p) => {
      const [t, b] = padsOf(p, s.h, kh, stride);
      const [l, r] = padsOf(p, s.w, kw, stride);
      return [t, l, b, r].join(",") === pads.join(",");
    });
    if (!padding) fail(`${describeNode(n)}: pads [${pads}] (top, left, bottom, right) on a ${s.h}x${s.w} input; expected ${(kh - 1) >> 1} on every side (PyTorch padding=k//2), TensorFlow 'same', or none`);
    if (n.inputs[2]) floatConst(n, 2, "bias", [out]);
    const outShape = { c: out, h: outSize(s.h, kh, stride, pads[0], 1, pads[2]), w: outSize(s.w, kw, stride, pads[1], 1, pads[3]) };
    // the BatchNormalization that alone reads the conv belongs to it (a conv read twice keeps no BN of its own)
    const next = only(n.outputs[0]);
    let bn: OnnxNode | null = null;
    if (next?.op === "BatchNormalization") {
      bn = next;
      visited.add(bn);
      if (intAttr(bn, "training_mode", 0) !== 0) fail(`${describeNode(bn)}: training_mode 1; expected an inference graph (export the model in eval mode)`);
      (["scale", "bias", "mean", "variance"] as const).forEach((what, i) => floatConst(bn!, i + 1, what, [out]));
      if (bn.outputs.filter(Boolean).length > 1) fail(`${describeNode(bn)}: outputs running statistics; expected an inference graph`);
    }
    return { conv: n, bn, kernel: kh, stride, out, padding: padding!, inShape: s, outShape };
  }

  /** the skip branch that starts at node c, if it is one: the Add itself (identity) or a Conv [+ BN] into an Add */
  function skipBranch(c: OnnxNode): { add: OnnxNode; conv: OnnxNode | null } | null {
    if (c.op === "Add") return { add: c, conv: null };
    if (c.op !== "Conv") return null;
    let t = c.outputs[0];
    const bn = only(t);
    if (bn?.op === "BatchNormalization") t = bn.outputs[0];
    const add = only(t);
    return add?.op === "Add" ? { add, conv: c } : null;
  }

  const tokens: Token[] = [];
  const open: { id: number; add: OnnxNode; skip: string }[] = [];
  let forks = 0;
  let cur = inp.name;
  let shape: Shape = { c: dims![1] as number, h: dims![2] as number, w: dims![3] as number };
  const producer = new Map<string, OnnxNode>();
  for (const n of m.nodes) for (const t of n.outputs) producer.set(t, n);
  const what = (t: string) => (producer.has(t) ? `the output "${t}" of ${describeNode(producer.get(t)!)}` : `the graph input "${t}"`);

  while (cur !== output || readers(cur).length > 0) {
    const rs = readers(cur);
    if (rs.length === 0) fail(`${what(cur)} is read by no node and is not the graph output "${output}"; expected one path from the input to the output`);
    let next: OnnxNode;
    if (rs.length === 1) next = rs[0];
    else if (rs.length === 2) {
      const b = rs.map(skipBranch);
      let skip = b[0] && !b[1] ? 0 : b[1] && !b[0] ? 1 : -1;
      // both could be skips (a one-unit block of 1x1 convs): the skip is the one written later, as exporters do
      if (b[0] && b[1]) skip = b[0].add === b[1].add ? (rs[0].index > rs[1].index ? 0 : 1) : -1;
      if (skip < 0) fail(`${what(cur)} is read by ${describeNode(rs[0])} and ${describeNode(rs[1])}; a tensor read twice must start a skip: one reader an Add, or a Conv (+ BatchNormalization) that an Add reads`);
      const { add, conv } = b[skip]!;
      next = rs[1 - skip];
      const proj = conv ? parseConv(conv, shape) : null;
      const id = forks++;
      tokens.push({ kind: "fork", id, tensor: cur, shape, proj, add });
      open.push({ id, add, skip: proj ? (proj.bn ?? proj.conv).outputs[0] : cur });
    } else {
      fail(`${what(cur)} is read by ${rs.length} nodes (${rs.map(describeNode).join("; ")}); expected at most two (the main path and one skip)`);
    }
    const n = next!;
    if (visited.has(n)) fail(`${describeNode(n)} is reached twice on the main path; expected a ResNet's chain of blocks`);
    visited.add(n);
    switch (n.op) {
      case "Conv": {
        const u = parseConv(n, shape);
        tokens.push({ kind: "unit", unit: u });
        cur = (u.bn ?? u.conv).outputs[0];
        shape = u.outShape;
        break;
      }
      case "Relu":
        tokens.push({ kind: "relu", node: n });
        cur = n.outputs[0];
        break;
      case "Identity":
      case "Dropout":
        // inference: both pass their input through
        cur = n.outputs[0];
        break;
      case "Add": {
        const top = open[open.length - 1];
        if (!top || top.add !== n) fail(`${describeNode(n)}: an Add on the main path that closes no skip${top ? ` (the open skip, from ${what(open[open.length - 1].skip)}, is closed by ${describeNode(top.add)})` : ""}; expected Adds only where a skip joins the main path, and MatMul + Add as the last layer`);
        const other = n.inputs[0] === cur ? n.inputs[1] : n.inputs[1] === cur ? n.inputs[0] : "";
        if (other !== top.skip) fail(`${describeNode(n)}: adds "${other}", expected the skip "${top.skip}"`);
        open.pop();
        tokens.push({ kind: "add", id: top.id, node: n });
        cur = n.outputs[0];
        break;
      }
      case "MaxPool": {
        const k = ints(n, "kernel_shape", []);
        const st = ints(n, "strides", [1, 1]);
        const p = ints(n, "pads", [0, 0, 0, 0]);
        if (k.length !== 2 || k[0] !== k[1] || st[0] !== st[1] || new Set(p).size > 1 || intAttr(n, "ceil_mode", 0) !== 0) {
          fail(`${describeNode(n)}: kernel [${k}], strides [${st}], pads [${p}]; expected a square kernel, equal strides, equal pads and floor rounding`);
        }
        tokens.push({ kind: "pool", node: n, kernel: k[0], stride: st[0], pad: p[0] ?? 0 });
        shape = { c: shape.c, h: outSize(shape.h, k[0], st[0], p[0] ?? 0), w: outSize(shape.w, k[0], st[0], p[0] ?? 0) };
        cur = n.outputs[0];
        break;
      }
      case "GlobalAveragePool":
      case "ReduceMean": {
        if (n.op === "ReduceMean") {
          const axes = n.inputs[1] ? (constOf(n, 1, "axes").ints ?? []) : ints(n, "axes", []);
          if (axes.map((a) => (a < 0 ? a + 4 : a)).sort().join(",") !== "2,3") fail(`${describeNode(n)}: axes [${axes}]; expected the spatial axes [2, 3] (a global average pool)`);
        }
        tokens.push({ kind: "gap", node: n });
        shape = { c: shape.c, h: 1, w: 1 };
        cur = n.outputs[0];
        // reshapes of the pooled [N, C, 1, 1] to [N, C] belong to the pool
        for (let r = only(cur); r && ["Flatten", "Reshape", "Squeeze"].includes(r.op); r = only(cur)) {
          visited.add(r);
          cur = r.outputs[0];
        }
        break;
      }
      case "MatMul":
      case "Gemm": {
        const gemm = n.op === "Gemm";
        if (gemm && (intAttr(n, "transA", 0) !== 0 || (n.attrs.alpha ?? 1) !== 1 || (n.attrs.beta ?? 1) !== 1)) fail(`${describeNode(n)}: transA ${n.attrs.transA ?? 0}, alpha ${n.attrs.alpha ?? 1}, beta ${n.attrs.beta ?? 1}; expected 0, 1, 1`);
        const transposed = gemm && intAttr(n, "transB", 0) === 1;
        const w = floatConst(n, 1, "weight");
        const [a, b] = w.dims;
        const cin = transposed ? b : a;
        const cout = transposed ? a : b;
        if (w.dims.length !== 2 || cin !== shape.c) fail(`${describeNode(n)}: weight "${w.name}" has shape [${w.dims}]; expected ${transposed ? `[out, ${shape.c}]` : `[${shape.c}, out]`} after a pool of ${shape.c} channels`);
        let bias = n.inputs[2] ?? "";
        let biasNode: OnnxNode | null = null;
        if (gemm) {
          if (!bias) fail(`${describeNode(n)}: no bias (C); expected a dense layer with a bias`);
          floatConst(n, 2, "bias", [cout]);
        } else {
          biasNode = only(n.outputs[0]);
          const ci = biasNode?.op === "Add" ? biasNode.inputs.findIndex((t) => t !== n.outputs[0]) : -1;
          if (!biasNode || ci < 0) fail(`${describeNode(n)}: expected an Add of the bias after it (dense = MatMul + Add)`);
          bias = biasNode!.inputs[ci];
          floatConst(biasNode!, ci, "bias", [cout]);
          visited.add(biasNode!);
        }
        tokens.push({ kind: "dense", dense: { node: n, weight: w.name, transposed, bias, biasNode, cin, cout } });
        cur = (biasNode ?? n).outputs[0];
        shape = { c: cout, h: 1, w: 1 };
        break;
      }
      default:
        fail(`${describeNode(n)}: ${n.op} here (reading ${what(cur)}); expected ${n.op === "BatchNormalization" ? "a BatchNormalization only right after the Conv it normalises" : "Flatten, Reshape and Squeeze only after the global average pool"}`);
    }
  }
  if (open.length) fail(`the skip from ${what(open[0].skip)} is never added back (${describeNode(open[0].add)} is not on the main path); expected every skip to close its block`);
  const left = m.nodes.find((n) => !visited.has(n) && n.op !== "Constant");
  if (left) fail(`${describeNode(left)} is not on the path from the input to the output; expected no other branches`);
  return { input: { name: inp.name, channels: shape && (dims![1] as number), height: dims![2] as number, width: dims![3] as number }, tokens, consts };
}
