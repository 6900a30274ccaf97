/**
 * Lowering: NetSpec -> a flat layer graph with tensor shapes. Every consumer of a network (training, the hls4ml
 * model, the PE-array model) walks this graph, so they all see the same layers, the same skips, the same names.
 * Parameterised layers are named after their place in the NetSpec ("b1.u0.conv", "b1.proj.bn"), and a name never
 * depends on the skip mode, so switching a mode keeps every weight.
 */
import type { BlockSpec, ConvSpec, NetSpec, Padding, PoolSpec } from "./types.js";
import { NetSpecError, validateNetSpec } from "./validate.js";

export interface Shape {
  c: number;
  h: number;
  w: number;
}

/** Which path of a block a layer lies on: the main path, or the skip (a projection, or the add itself). */
export type PathRole = "main" | "skip";

export type LayerOp =
  | { op: "input" }
  | {
      op: "conv";
      kernel: [number, number];
      stride: [number, number];
      /** padding before (top, left) */
      pad: [number, number];
      /** padding after (bottom, right): differs from `pad` only for Keras "same" padding */
      padAfter: [number, number];
      padding: Padding;
      dilation: [number, number];
      groups: number;
      cin: number;
      cout: number;
      bias: boolean;
    }
  | { op: "bn"; channels: number }
  | { op: "relu" }
  | { op: "add" }
  | { op: "maxpool"; kernel: number; stride: number; pad: number }
  | { op: "gap" }
  /** a (c, h, w) map read as one vector of c*h*w values (shape 1 x 1 x c*h*w) */
  | { op: "flatten" }
  | { op: "dense"; cin: number; cout: number };

export type Layer = LayerOp & {
  id: number;
  /** unique; stable across skip modes for layers with parameters */
  name: string;
  inputs: number[];
  shape: Shape;
  /** the block this layer belongs to, if any */
  block?: string;
  role?: PathRole;
};

export type ConvLayer = Extract<Layer, { op: "conv" }>;

export interface LayerGraph {
  net: NetSpec;
  layers: Layer[];
  output: number;
  /** consumers[id] = ids of the layers that read layer id's output: a tensor read twice is a skip's fan-out */
  consumers: number[][];
}

/**
 * Output size of a convolution or pool along one axis, padded p before and pAfter after (the usual floor formula, as
 * in PyTorch and hls4ml).
 */
export function outSize(n: number, k: number, s: number, p: number, d = 1, pAfter = p): number {
  return Math.floor((n + p + pAfter - d * (k - 1) - 1) / s) + 1;
}

/** Padding [before, after] of one axis of n pixels (see Padding in types.ts for the three rules and their sources). */
export function padsOf(mode: Padding, n: number, k: number, s: number, d = 1): [number, number] {
  if (mode === "valid") return [0, 0];
  if (mode === "symmetric") {
    const p = Math.floor((d * (k - 1)) / 2);
    return [p, p];
  }
  // TensorFlow's 'same' (tf.nn.convolution: out = ceil(n / s)); for d = 1 the same as hls4ml's compute_padding_2d
  const total = Math.max((Math.ceil(n / s) - 1) * s + d * (k - 1) + 1 - n, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/**
 * A window larger than its input map sees mostly padding (with 'same' padding it always fits the padded map, so
 * that test alone never fires), and a stride larger than the padded input skips the whole map after the first
 * output (issue 16: a 65x65 kernel on a 32x32 map and stride 64 were costed): both are errors naming the layer.
 */
function checkWindow(name: string, s: Shape, kernel: [number, number], stride: [number, number], pad: [number, number], padAfter = pad): void {
  const dims: [number, string][] = [
    [s.h, "height"],
    [s.w, "width"],
  ];
  dims.forEach(([n, axis], i) => {
    const padded = n + pad[i] + padAfter[i];
    // the kernel's taps, not its dilated span: QuartzNet's C2 (kernel 87, dilation 2) spans 173 of 128 frames
    if (kernel[i] > n) throw new NetSpecError(`${name}: kernel ${kernel[i]} is larger than its input ${axis} ${n}; expected at most ${n}`);
    if (stride[i] > padded) throw new NetSpecError(`${name}: stride ${stride[i]} exceeds its padded input ${axis} ${padded}; expected at most ${padded}`);
  });
}

class Builder {
  layers: Layer[] = [];
  constructor(readonly net: NetSpec) {}

  add(op: LayerOp, name: string, inputs: number[], shape: Shape, block?: string, role?: PathRole): number {
    const id = this.layers.length;
    // the object a spread would give, key order included; V8 spreads the many op shapes an order of magnitude slower
    this.layers.push(Object.assign({}, op, { id, name, inputs, shape, block, role }) as Layer);
    return id;
  }

  shape(id: number): Shape {
    return this.layers[id].shape;
  }

  conv(x: number, c: ConvSpec, name: string, block?: string, role?: PathRole, groups = 1, bias = false): number {
    const s = this.shape(x);
    const d = c.dilation ?? 1;
    const oneD = this.net.dims === 1;
    const kernel: [number, number] = oneD ? [1, c.kernel] : [c.kernel, c.kernel];
    const stride: [number, number] = oneD ? [1, c.stride] : [c.stride, c.stride];
    const padding = c.padding ?? "symmetric";
    const [ph, phAfter] = oneD ? [0, 0] : padsOf(padding, s.h, c.kernel, c.stride, d);
    const [pw, pwAfter] = padsOf(padding, s.w, c.kernel, c.stride, d);
    const pad: [number, number] = [ph, pw];
    const padAfter: [number, number] = [phAfter, pwAfter];
    const dilation: [number, number] = oneD ? [1, d] : [d, d];
    checkWindow(name, s, kernel, stride, pad, padAfter);
    const shape = {
      c: c.out,
      h: outSize(s.h, kernel[0], stride[0], pad[0], dilation[0], padAfter[0]),
      w: outSize(s.w, kernel[1], stride[1], pad[1], dilation[1], padAfter[1]),
    };
    return this.add(
      { op: "conv", kernel, stride, pad, padAfter, padding, dilation, groups, cin: s.c, cout: c.out, bias },
      name,
      [x],
      shape,
      block,
      role,
    );
  }

  bn(x: number, name: string, block?: string, role?: PathRole): number {
    return this.add({ op: "bn", channels: this.shape(x).c }, name, [x], this.shape(x), block, role);
  }

  relu(x: number, name: string, block?: string, role?: PathRole): number {
    return this.add({ op: "relu" }, name, [x], this.shape(x), block, role);
  }

  sum(a: number, b: number, name: string, block?: string): number {
    return this.add({ op: "add" }, name, [a, b], this.shape(a), block, "skip");
  }

  /** conv (or depthwise + pointwise) followed by batch norm */
  unit(x: number, c: ConvSpec, prefix: string, block?: string, role: PathRole = "main"): number {
    let h = x;
    if (c.kind === "separable") {
      const cin = this.shape(x).c;
      h = this.conv(h, { ...c, out: cin }, `${prefix}.dw`, block, role, cin);
      h = this.conv(h, { kernel: 1, stride: 1, out: c.out }, `${prefix}.conv`, block, role);
    } else {
      h = this.conv(h, c, `${prefix}.conv`, block, role);
    }
    return c.bn === false ? h : this.bn(h, `${prefix}.bn`, block, role);
  }

  /** a max pool; `pad` symmetric (PyTorch's padding) */
  maxPool(x: number, kernel: number, stride: number, pad: number, name: string): number {
    const s = this.shape(x);
    checkWindow(name, s, [kernel, kernel], [stride, stride], [pad, pad]);
    return this.add({ op: "maxpool", kernel, stride, pad }, name, [x], { c: s.c, h: outSize(s.h, kernel, stride, pad), w: outSize(s.w, kernel, stride, pad) });
  }

  /** conv + BN + ReLU of the stem or tail, and its pool if any */
  stage(x: number, c: ConvSpec, prefix: string): number {
    const y = this.relu(this.unit(x, c, prefix), `${prefix}.relu`);
    return c.pool ? this.pool(y, c.pool, `${prefix}.pool`) : y;
  }

  pool(x: number, p: PoolSpec, name: string): number {
    return this.maxPool(x, p.kernel, p.stride ?? p.kernel, p.padding === "symmetric" ? Math.floor((p.kernel - 1) / 2) : 0, name);
  }

  /** identity when shapes agree (unless `always`), else a 1x1 conv + BN projection strided like the path it spans */
  shortcut(x: number, target: Shape, stride: number, name: string, block: string, always = false): number {
    const s = this.shape(x);
    if (!always && s.c === target.c && s.h === target.h && s.w === target.w) return x;
    return this.unit(x, { kernel: 1, stride, out: target.c }, name, block, "skip");
  }
}

function blockStride(b: BlockSpec): number {
  return b.units.reduce((p, u) => p * u.stride, 1);
}

function lowerBlock(g: Builder, x: number, b: BlockSpec): number {
  const n = b.units.length;
  const longShortcut = (from: number, to: number) =>
    b.shortcut === "identity" ? from : g.shortcut(from, g.shape(to), blockStride(b), `${b.name}.proj`, b.name, b.shortcut === "projection");
  if (b.form === "plain") {
    const xin = g.relu(x, `${b.name}.relu_in`, b.name);
    let h = xin;
    b.units.forEach((u, i) => {
      h = g.unit(h, u, `${b.name}.u${i}`, b.name);
      if (i < n - 1) h = g.relu(h, `${b.name}.u${i}.relu`, b.name);
    });
    if (b.skip === "removed") return h;
    return g.sum(h, longShortcut(xin, h), `${b.name}.add`, b.name);
  }
  // shortenable form
  if (b.skip === "shortened") {
    let h = x;
    b.units.forEach((u, i) => {
      const y = g.relu(g.unit(h, u, `${b.name}.u${i}`, b.name), `${b.name}.u${i}.relu`, b.name);
      // The first short skip of a basic block has the long projection's shape: reuse its weights by name.
      const longLike = i === 0 && u.stride === blockStride(b) && g.shape(y).c === b.units[n - 1].out;
      const projName = longLike ? `${b.name}.proj` : `${b.name}.u${i}.proj`;
      h = g.sum(y, g.shortcut(h, g.shape(y), u.stride, projName, b.name), `${b.name}.u${i}.add`, b.name);
    });
    return h;
  }
  let h = x;
  b.units.forEach((u, i) => {
    h = g.relu(g.unit(h, u, `${b.name}.u${i}`, b.name), `${b.name}.u${i}.relu`, b.name);
  });
  if (b.skip === "removed") return h;
  return g.sum(h, longShortcut(x, h), `${b.name}.add`, b.name);
}

/** Lower a NetSpec to its layer graph. Throws a clear error for an invalid spec (see validateNetSpec). */
export function lower(net: NetSpec): LayerGraph {
  validateNetSpec(net);
  const g = new Builder(net);
  let x = g.add({ op: "input" }, "input", [], { c: net.input.channels, h: net.input.height, w: net.input.width });
  net.stem.convs.forEach((c, i) => {
    x = g.stage(x, c, `stem${i}`);
  });
  if (net.stem.maxPool) {
    const { kernel, stride } = net.stem.maxPool;
    x = g.maxPool(x, kernel, stride, Math.floor((kernel - 1) / 2), "stem.pool");
  }
  for (const b of net.blocks) x = lowerBlock(g, x, b);
  (net.tail ?? []).forEach((c, i) => {
    x = g.stage(x, c, `tail${i}`);
  });
  if (net.head.kind === "flatten-dense") {
    const s = g.shape(x);
    x = g.add({ op: "flatten" }, "head.flatten", [x], { c: s.c * s.h * s.w, h: 1, w: 1 });
    const dense = (from: number, out: number, name: string) => g.add({ op: "dense", cin: g.shape(from).c, cout: out }, name, [from], { c: out, h: 1, w: 1 });
    net.head.hidden.forEach((d, i) => {
      x = dense(x, d.out, `head.fc${i}`);
      if (d.bn !== false) x = g.bn(x, `head.fc${i}.bn`);
      x = g.relu(x, `head.fc${i}.relu`);
    });
    x = dense(x, net.head.classes, "head.fc");
  } else if (net.head.kind === "gap-dense") {
    x = g.relu(x, "head.relu");
    const c = g.shape(x).c;
    x = g.add({ op: "gap" }, "head.pool", [x], { c, h: 1, w: 1 });
    x = g.add({ op: "dense", cin: c, cout: net.head.classes }, "head.fc", [x], { c: net.head.classes, h: 1, w: 1 });
  } else {
    x = g.conv(x, { kernel: 1, stride: 1, out: net.head.classes }, "head.conv", undefined, undefined, 1, true);
  }
  const consumers: number[][] = g.layers.map(() => []);
  for (const l of g.layers) for (const i of l.inputs) consumers[i].push(l.id);
  return { net, layers: g.layers, output: x, consumers };
}

/** Parameters a layer trains (conv weights and bias, BN scale and shift, dense weights and bias). */
export function layerParams(l: Layer): number {
  switch (l.op) {
    case "conv":
      return l.kernel[0] * l.kernel[1] * (l.cin / l.groups) * l.cout + (l.bias ? l.cout : 0);
    case "bn":
      return 2 * l.channels;
    case "dense":
      return l.cin * l.cout + l.cout;
    default:
      return 0;
  }
}

/** Multiply-accumulates of one inference (batch 1). */
export function layerMacs(l: Layer): number {
  switch (l.op) {
    case "conv":
      return l.shape.h * l.shape.w * l.cout * (l.cin / l.groups) * l.kernel[0] * l.kernel[1];
    case "dense":
      return l.cin * l.cout;
    default:
      return 0;
  }
}

export function countParams(g: LayerGraph): number {
  return g.layers.reduce((s, l) => s + layerParams(l), 0);
}

export function countMacs(g: LayerGraph): number {
  return g.layers.reduce((s, l) => s + layerMacs(l), 0);
}

/** Skip connections (adds) in input-to-output order, with the block each belongs to. */
export function skipAdds(g: LayerGraph): Layer[] {
  return g.layers.filter((l) => l.op === "add");
}
