/**
 * Lowering: NetSpec -> a flat layer graph with tensor shapes. Every consumer of a network (training, the hls4ml
 * model, the PE-array model) walks this graph, so they all see the same layers, the same skips, the same names.
 * Parameterised layers are named after their place in the NetSpec ("b1.u0.conv", "b1.proj.bn"), and a name never
 * depends on the skip mode, so switching a mode keeps every weight.
 */
import type { BlockSpec, ConvSpec, NetSpec } from "./types.js";
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
      pad: [number, number];
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

/** Output size of a convolution or pool along one axis (the usual floor formula, as in PyTorch and hls4ml). */
export function outSize(n: number, k: number, s: number, p: number, d = 1): number {
  return Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;
}

/**
 * A window larger than its input map sees mostly padding (with 'same' padding it always fits the padded map, so
 * that test alone never fires), and a stride larger than the padded input skips the whole map after the first
 * output (issue 16: a 65x65 kernel on a 32x32 map and stride 64 were costed): both are errors naming the layer.
 */
function checkWindow(name: string, s: Shape, kernel: [number, number], stride: [number, number], pad: [number, number]): void {
  const dims: [number, string][] = [
    [s.h, "height"],
    [s.w, "width"],
  ];
  dims.forEach(([n, axis], i) => {
    const padded = n + 2 * pad[i];
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
    this.layers.push({ ...op, id, name, inputs, shape, block, role } as Layer);
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
    const p = Math.floor((d * (c.kernel - 1)) / 2);
    const pad: [number, number] = oneD ? [0, p] : [p, p];
    const dilation: [number, number] = oneD ? [1, d] : [d, d];
    checkWindow(name, s, kernel, stride, pad);
    const shape = {
      c: c.out,
      h: outSize(s.h, kernel[0], stride[0], pad[0], dilation[0]),
      w: outSize(s.w, kernel[1], stride[1], pad[1], dilation[1]),
    };
    return this.add(
      { op: "conv", kernel, stride, pad, dilation, groups, cin: s.c, cout: c.out, bias },
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
    return this.bn(h, `${prefix}.bn`, block, role);
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
    x = g.relu(g.unit(x, c, `stem${i}`), `stem${i}.relu`);
  });
  if (net.stem.maxPool) {
    const { kernel, stride } = net.stem.maxPool;
    const pad = Math.floor((kernel - 1) / 2);
    const s = g.shape(x);
    checkWindow("stem.pool", s, [kernel, kernel], [stride, stride], [pad, pad]);
    x = g.add({ op: "maxpool", kernel, stride, pad }, "stem.pool", [x], {
      c: s.c,
      h: outSize(s.h, kernel, stride, pad),
      w: outSize(s.w, kernel, stride, pad),
    });
  }
  for (const b of net.blocks) x = lowerBlock(g, x, b);
  (net.tail ?? []).forEach((c, i) => {
    x = g.relu(g.unit(x, c, `tail${i}`), `tail${i}.relu`);
  });
  if (net.head.kind === "gap-dense") {
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
