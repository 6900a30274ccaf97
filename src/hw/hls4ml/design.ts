/**
 * The design hls4ml generates for a network in io_stream mode (DESIGN.md section 5): one process per layer in a
 * DATAFLOW region, an hls::stream FIFO per edge (one word = one pixel, all channels), BatchNormalization fused into
 * the conv before it (hls4ml's fuse_batchnorm pass), ZeroPadding as its own process in front of a padded conv, and
 * a Clone process with one copy stream per reader for every tensor read twice (passes/clone.py).
 * With shortImpl = "fused", a shortened skip is instead added inside the conv that it spans, from the conv's own
 * window (its centre pixel, or the pixel a stride-2 projection reads): no clone, no copy FIFO, no Add process.
 */
import type { Layer, LayerGraph } from "../../net/graph.js";
import type { Hls4mlConfig } from "./config.js";
import { validReuseFactor } from "./config.js";

export type ProcessKind = "input" | "zeropad" | "conv" | "relu" | "clone" | "add" | "pool" | "maxpool" | "dense" | "output";

export interface Stream {
  id: number;
  name: string;
  channels: number;
  /** tokens (pixels) that pass through it per inference */
  pixels: number;
  /** bits per word: channels x activation bits */
  width: number;
  from: number;
  to: number;
  /** a copy stream of a skip (Clone output read by an Add or a skip projection) */
  skip: boolean;
  block?: string;
}

export interface Process {
  id: number;
  name: string;
  kind: ProcessKind;
  inputs: number[];
  outputs: number[];
  /** input feature map as streamed in (padded for a conv), kernel, stride */
  h: number;
  w: number;
  k: number;
  stride: number;
  pad: number;
  cin: number;
  cout: number;
  rf: number;
  /** a shortened skip added inside this conv: its channels, and the projection's 1x1 weights if any */
  fusedSkip?: { channels: number; projectionWeights: number };
  block?: string;
}

export interface Design {
  processes: Process[];
  streams: Stream[];
  warnings: string[];
}

/** For an add whose skip spans exactly one conv: that conv's layer id and the skip projection's conv, if any. */
function shortSkip(g: LayerGraph, add: Layer): { conv: number; projConv?: number; relu?: number } | null {
  const L = g.layers;
  // main path back to its conv: add <- relu? <- bn <- conv
  let m = L[add.inputs[0]];
  let relu: number | undefined;
  if (m.op === "relu") {
    relu = m.id;
    m = L[m.inputs[0]];
  }
  if (m.op === "bn") m = L[m.inputs[0]];
  if (m.op !== "conv") return null;
  const convInput = m.inputs[0];
  const s = L[add.inputs[1]];
  if (s.id === convInput) return { conv: m.id, relu };
  if (s.op === "bn" && L[s.inputs[0]].op === "conv" && L[s.inputs[0]].inputs[0] === convInput) return { conv: m.id, projConv: s.inputs[0], relu };
  return null;
}

export function buildDesign(g: LayerGraph, c: Hls4mlConfig): Design {
  const L = g.layers;
  const warnings: string[] = [];
  // 1. which layers become processes; aliases for the rest
  const alias = new Map<number, number>();
  const absorbed = new Set<number>();
  const fused = new Map<number, { channels: number; projectionWeights: number }>();
  if (c.shortImpl === "fused") {
    for (const l of L) {
      if (l.op !== "add") continue;
      const s = shortSkip(g, l);
      if (!s) continue;
      const proj = s.projConv !== undefined ? L[s.projConv] : undefined;
      fused.set(s.conv, { channels: l.shape.c, projectionWeights: proj && proj.op === "conv" ? proj.cin * proj.cout : 0 });
      absorbed.add(l.id);
      alias.set(l.id, s.conv);
      if (s.relu !== undefined) {
        absorbed.add(s.relu);
        alias.set(s.relu, s.conv);
      }
      if (s.projConv !== undefined) {
        absorbed.add(s.projConv);
        absorbed.add(L[l.inputs[1]].id);
      }
    }
  }
  const rep = (id: number): number => {
    let x = id;
    for (;;) {
      const l = L[x];
      if (alias.has(x)) x = alias.get(x)!;
      else if (l.op === "bn") x = l.inputs[0];
      else return x;
    }
  };
  const isNode = (l: Layer) => !absorbed.has(l.id) && l.op !== "bn";
  const nodes = L.filter(isNode);
  // 2. readers of each node's output
  const readers = new Map<number, number[]>();
  for (const n of nodes) {
    const ins = n.op === "add" ? n.inputs : n.inputs.slice(0, 1);
    for (const i of ins) {
      const r = rep(i);
      readers.set(r, [...(readers.get(r) ?? []), n.id]);
    }
  }
  const out = rep(g.output);
  // 3. processes and streams
  const processes: Process[] = [];
  const streams: Stream[] = [];
  const entry = new Map<number, number>(); // node -> the process that reads its input (zeropad if any)
  const procOf = new Map<number, number>();
  const proc = (p: Omit<Process, "id" | "inputs" | "outputs">) => {
    processes.push({ ...p, id: processes.length, inputs: [], outputs: [] });
    return processes.length - 1;
  };
  const link = (from: number, to: number, channels: number, pixels: number, skip: boolean, block?: string) => {
    const s: Stream = {
      id: streams.length,
      name: `${processes[from].name}->${processes[to].name}`,
      channels,
      pixels,
      width: channels * c.actBits,
      from,
      to,
      skip,
      block,
    };
    streams.push(s);
    processes[from].outputs.push(s.id);
    processes[to].inputs.push(s.id);
  };
  const base = { h: 0, w: 0, k: 1, stride: 1, pad: 0, cin: 0, cout: 0, rf: 1 };
  for (const n of nodes) {
    const inShape = n.inputs.length ? L[rep(n.inputs[0])].shape : n.shape;
    const geo = { ...base, h: inShape.h, w: inShape.w, cin: inShape.c, cout: n.shape.c, block: n.block };
    let id: number;
    switch (n.op) {
      case "input":
        id = proc({ ...geo, name: "input", kind: "input", h: n.shape.h, w: n.shape.w, cin: n.shape.c });
        break;
      case "conv":
      case "maxpool": {
        const pad = n.op === "conv" ? n.pad[0] : n.pad;
        const pw = n.op === "conv" ? n.pad[1] : n.pad;
        const k = n.op === "conv" ? n.kernel[1] : n.kernel;
        const kh = n.op === "conv" ? n.kernel[0] : n.kernel;
        const stride = n.op === "conv" ? n.stride[1] : n.stride;
        let zp = -1;
        if (pad > 0 || pw > 0) zp = proc({ ...geo, name: `${n.name}.pad`, kind: "zeropad", pad: Math.max(pad, pw), cout: inShape.c });
        let rf = 1;
        if (n.op === "conv") {
          const nIn = kh * k * (n.cin / n.groups);
          const want = c.layerReuse?.[n.name] ?? c.reuseFactor;
          const v = validReuseFactor(nIn, n.cout, want);
          if (v.adjusted && want !== c.reuseFactor) warnings.push(`${n.name}: reuse factor ${want} is not valid for n_in=${nIn}, n_out=${n.cout}; using ${v.rf} (as hls4ml does)`);
          rf = v.rf;
        }
        id = proc({
          ...geo,
          name: n.name,
          kind: n.op,
          h: inShape.h + 2 * pad,
          w: inShape.w + 2 * pw,
          k,
          stride,
          rf,
          fusedSkip: fused.get(n.id),
        });
        if (zp >= 0) {
          link(zp, id, inShape.c, (inShape.h + 2 * pad) * (inShape.w + 2 * pw), false, n.block);
          entry.set(n.id, zp);
        }
        break;
      }
      case "relu":
        id = proc({ ...geo, name: n.name, kind: "relu" });
        break;
      case "add":
        id = proc({ ...geo, name: n.name, kind: "add", h: n.shape.h, w: n.shape.w });
        break;
      case "gap":
        id = proc({ ...geo, name: n.name, kind: "pool" });
        break;
      case "dense": {
        const v = validReuseFactor(n.cin, n.cout, c.layerReuse?.[n.name] ?? c.reuseFactor);
        id = proc({ ...geo, name: n.name, kind: "dense", h: 1, w: 1, cin: n.cin, rf: v.rf });
        break;
      }
      default:
        throw new Error(`hls4ml model: unsupported layer ${n.name} (${n.op})`);
    }
    procOf.set(n.id, id);
    if (!entry.has(n.id)) entry.set(n.id, id);
  }
  const sink = proc({ ...base, name: "output", kind: "output", h: L[out].shape.h, w: L[out].shape.w, cin: L[out].shape.c });
  // edges: one stream per reader, through a Clone when a tensor is read more than once
  for (const n of nodes) {
    const rs = (readers.get(n.id) ?? []).map((r) => entry.get(r)!);
    if (n.id === out) rs.push(sink);
    const from = procOf.get(n.id)!;
    const pixels = n.shape.h * n.shape.w;
    if (rs.length === 1) link(from, rs[0], n.shape.c, pixels, false, n.block);
    else if (rs.length > 1) {
      const cl = proc({ ...base, name: `${n.name}.clone`, kind: "clone", h: n.shape.h, w: n.shape.w, cin: n.shape.c, cout: n.shape.c, block: n.block });
      link(from, cl, n.shape.c, pixels, false, n.block);
      rs.forEach((r, i) => {
        // the first reader in graph order is the main path; later readers (an add, a projection) are skip copies
        link(cl, r, n.shape.c, pixels, i > 0, processes[r].block);
      });
    }
  }
  return { processes, streams, warnings };
}
