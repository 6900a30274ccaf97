/**
 * The design hls4ml generates for a network in io_stream mode: one process per layer in a
 * DATAFLOW region, an hls::stream FIFO per edge (one word = one pixel, all channels), ZeroPadding as its own process
 * in front of a padded conv, and a Clone process with one copy stream per reader for every tensor read twice
 * (passes/clone.py). The flow's optimisations are options of the config, applied to every design they can apply to,
 * teacher and student alike, and counted in `applied`:
 * - bnFusion: BatchNormalization folded into the conv or dense before it (bn_fuse.py);
 * - reluMerge: a ReLU after a conv or dense computed in its output stage (hls4ml PR #586, merge_relu.py);
 * - shortImpl = "fused": a shortened skip added inside the conv that it spans, from the conv's own window (its
 *   centre pixel, or the pixel a stride-2 projection reads), after the conv's merged ReLU: no clone, no copy FIFO,
 *   no Add process.
 * So a teacher and its student differ only in the processes and streams of their skips (test/hls4ml.test.ts).
 */
import type { Layer, LayerGraph } from "../../net/graph.js";
import type { Hls4mlConfig } from "./config.js";
import { validReuseFactor } from "./config.js";

export type ProcessKind = "input" | "zeropad" | "conv" | "bn" | "relu" | "clone" | "add" | "pool" | "maxpool" | "dense" | "output";


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
  /** a zero-padding process's padding: the largest of `pads` (kept for callers that build symmetric designs) */
  pad: number;
  /** a zero-padding process's padding [top, bottom, left, right] (Keras "same" pads the odd pixel after); default `pad` on every side */
  pads?: [number, number, number, number];
  cin: number;
  cout: number;
  rf: number;
  /** "skip": exists because of a skip connection (Clone, Add, a skip projection and its padding) */
  role: "main" | "skip";
  /** the ReLU layer this conv or dense computes in its output stage (reluMerge, or a fused short skip) */
  mergedRelu?: string;
  /** a shortened skip added inside this conv: its channels, and the projection's 1x1 weights if any */
  fusedSkip?: { channels: number; projectionWeights: number };
  block?: string;
}

/** How often each optimisation of the flow applied to this design (config.ts: bnFusion, reluMerge, shortImpl). */
export interface AppliedOptimisations {
  bnFused: number;
  reluMerged: number;
  shortSkipsFused: number;
}

export interface Design {
  /** the reuse strategy: it decides the conv's per-pixel timing (simulate.ts) */
  strategy: Hls4mlConfig["strategy"];
  /** how the input arrives and the output leaves (config.ts, Wrapper); default "none" */
  wrapper?: Hls4mlConfig["wrapper"];
  processes: Process[];
  streams: Stream[];
  warnings: string[];
  applied: AppliedOptimisations;
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

const isWeighted = (l: Layer) => l.op === "conv" || l.op === "dense";

export function buildDesign(g: LayerGraph, c: Hls4mlConfig): Design {
  const L = g.layers;
  const warnings: string[] = [];
  const applied: AppliedOptimisations = { bnFused: 0, reluMerged: 0, shortSkipsFused: 0 };
  // 1. which layers become processes; the others are computed by the process of the layer they alias
  const alias = new Map<number, number>();
  const absorbed = new Set<number>();
  const fused = new Map<number, { channels: number; projectionWeights: number }>();
  const mergedRelu = new Map<number, string>();
  const absorb = (id: number, into: number) => {
    absorbed.add(id);
    alias.set(id, into);
  };
  if (c.bnFusion) {
    // bn_fuse.py: a BN whose input is a Dense/Conv read by nothing else
    for (const l of L) {
      if (l.op === "bn" && isWeighted(L[l.inputs[0]]) && g.consumers[l.inputs[0]].length === 1) {
        absorb(l.id, l.inputs[0]);
        applied.bnFused++;
      }
    }
  }
  // A Flatten before a Dense is no process in io_stream: hls4ml makes its output an in-place view of its input
  // (backends/fpga/passes/inplace_stream_flatten.py, v1.3.0 ef92ebd lines 13-31), and the Dense reads the n_in / C
  // words of the map itself (nnet_dense_stream.h lines 33-44). The tutorial reports list no stream for it.
  for (const l of L) if (l.op === "flatten") absorb(l.id, l.inputs[0]);
  if (c.shortImpl === "fused") {
    for (const l of L) {
      if (l.op !== "add") continue;
      const s = shortSkip(g, l);
      if (!s) continue;
      const proj = s.projConv !== undefined ? L[s.projConv] : undefined;
      fused.set(s.conv, { channels: l.shape.c, projectionWeights: proj && proj.op === "conv" ? proj.cin * proj.cout : 0 });
      applied.shortSkipsFused++;
      absorb(l.id, s.conv);
      if (s.relu !== undefined) {
        absorb(s.relu, s.conv);
        mergedRelu.set(s.conv, L[s.relu].name);
        applied.reluMerged++;
      }
      if (s.projConv !== undefined) {
        absorbed.add(s.projConv);
        absorbed.add(L[l.inputs[1]].id);
      }
    }
  }
  const rep = (id: number): number => {
    let x = id;
    while (alias.has(x)) x = alias.get(x)!;
    return x;
  };
  if (c.reluMerge) {
    // merge_relu.py (PR #586): an Activation whose input node is a Dense or Conv2D. A layer computes one ReLU: one
    // that already adds a fused skip keeps a following ReLU as its own process.
    for (const l of L) {
      if (l.op !== "relu" || absorbed.has(l.id)) continue;
      const r = rep(l.inputs[0]);
      if (!isWeighted(L[r]) || mergedRelu.has(r) || fused.has(r) || g.consumers[l.inputs[0]].length !== 1) continue;
      absorb(l.id, r);
      mergedRelu.set(r, l.name);
      applied.reluMerged++;
    }
    if (applied.reluMerged && c.strategy === "Latency") {
      warnings.push("reluMerge: hls4ml PR #586 implements the merged ReLU only in its Resource-strategy kernels (nnet_dense_resource.h); under the Latency strategy the model merges it as if the kernels did");
    }
  }
  const isNode = (l: Layer) => !absorbed.has(l.id);
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
  // result precision of each process's output: its layer's (layerActBits), a zero padding's or clone's that of its input
  const outBits = new Map<number, number>();
  const link = (from: number, to: number, channels: number, pixels: number, skip: boolean, block?: string) => {
    const s: Stream = {
      id: streams.length,
      name: `${processes[from].name}->${processes[to].name}`,
      channels,
      pixels,
      width: channels * (outBits.get(from) ?? c.actBits),
      from,
      to,
      skip,
      block,
    };
    streams.push(s);
    processes[from].outputs.push(s.id);
    processes[to].inputs.push(s.id);
  };
  const base = { h: 0, w: 0, k: 1, stride: 1, pad: 0, cin: 0, cout: 0, rf: 1, role: "main" as const };
  const reuse = (n: Layer, nIn: number, nOut: number): number => {
    const want = c.layerReuse?.[n.name] ?? c.reuseFactor;
    const v = validReuseFactor(nIn, nOut, want);
    if (v.adjusted) warnings.push(`${n.name}: reuse factor ${want} is not valid for n_in=${nIn}, n_out=${nOut}; hls4ml uses ${v.rf} (_validate_reuse_factor)`);
    return v.rf;
  };
  for (const n of nodes) {
    const inShape = n.inputs.length ? L[rep(n.inputs[0])].shape : n.shape;
    const role: Process["role"] = n.role === "skip" ? "skip" : "main";
    const geo = { ...base, h: inShape.h, w: inShape.w, cin: inShape.c, cout: n.shape.c, block: n.block, role };
    let id: number;
    switch (n.op) {
      case "input":
        id = proc({ ...geo, name: "input", kind: "input", h: n.shape.h, w: n.shape.w, cin: n.shape.c });
        break;
      case "conv":
      case "maxpool": {
        // [top, bottom, left, right]
        const pads: [number, number, number, number] = n.op === "conv" ? [n.pad[0], n.padAfter[0], n.pad[1], n.padAfter[1]] : [n.pad, n.pad, n.pad, n.pad];
        const k = n.op === "conv" ? n.kernel[1] : n.kernel;
        const kh = n.op === "conv" ? n.kernel[0] : n.kernel;
        const stride = n.op === "conv" ? n.stride[1] : n.stride;
        const padded = pads.some((x) => x > 0) || (c.zeroPad === "same" && n.op === "conv" && n.padding === "same" && kh !== 1 && k !== 1);
        let zp = -1;
        if (padded) {
          zp = proc({ ...geo, name: `${n.name}.pad`, kind: "zeropad", pad: Math.max(...pads), pads, cout: inShape.c });
          const src = rep(n.inputs[0]);
          outBits.set(zp, c.layerActBits?.[L[src].name] ?? c.actBits);
        }
        const rf = n.op === "conv" ? reuse(n, kh * k * (n.cin / n.groups), n.cout) : 1;
        id = proc({
          ...geo,
          name: n.name,
          kind: n.op,
          h: inShape.h + pads[0] + pads[1],
          w: inShape.w + pads[2] + pads[3],
          k,
          stride,
          rf,
          mergedRelu: mergedRelu.get(n.id),
          fusedSkip: fused.get(n.id),
        });
        if (zp >= 0) {
          link(zp, id, inShape.c, (inShape.h + pads[0] + pads[1]) * (inShape.w + pads[2] + pads[3]), false, n.block);
          entry.set(n.id, zp);
        }
        break;
      }
      case "relu":
        id = proc({ ...geo, name: n.name, kind: "relu" });
        break;
      case "bn":
        id = proc({ ...geo, name: n.name, kind: "bn" });
        break;
      case "add":
        id = proc({ ...geo, name: n.name, kind: "add", h: n.shape.h, w: n.shape.w });
        break;
      case "gap":
        id = proc({ ...geo, name: n.name, kind: "pool" });
        break;
      case "dense": {
        // after a Flatten it reads the map's h x w words (nnet_dense_stream.h, DataPrepare), else one
        id = proc({ ...geo, name: n.name, kind: "dense", h: inShape.h, w: inShape.w, cin: n.cin, rf: reuse(n, n.cin, n.cout), mergedRelu: mergedRelu.get(n.id) });
        break;
      }
      default: {
        const u = n as Layer;
        throw new Error(`hls4ml model: unsupported layer ${u.name} (${u.op})`);
      }
    }
    procOf.set(n.id, id);
    if (c.layerActBits?.[n.name] !== undefined) outBits.set(id, c.layerActBits[n.name]);
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
      const cl = proc({ ...base, name: `${n.name}.clone`, kind: "clone", role: "skip", h: n.shape.h, w: n.shape.w, cin: n.shape.c, cout: n.shape.c, block: n.block });
      if (outBits.has(from)) outBits.set(cl, outBits.get(from)!);
      link(from, cl, n.shape.c, pixels, false, n.block);
      rs.forEach((r, i) => {
        // the first reader in graph order is the main path; later readers (an add, a projection) are skip copies
        link(cl, r, n.shape.c, pixels, i > 0, processes[r].block);
      });
    }
  }
  const named = new Set(L.filter(isWeighted).map((l) => l.name));
  for (const name of Object.keys(c.layerReuse ?? {})) {
    if (!named.has(name)) warnings.push(`layerReuse["${name}"]: ${g.net.name} has no conv or dense layer of that name; the override is ignored`);
  }
  const processNames = new Set(nodes.map((l) => l.name));
  for (const name of Object.keys(c.layerActBits ?? {})) {
    if (!processNames.has(name)) warnings.push(`layerActBits["${name}"]: ${g.net.name} has no layer of that name that is its own process (a layer merged into another takes that one's precision); the override is ignored`);
  }
  return { strategy: c.strategy, wrapper: c.wrapper, processes, streams, warnings, applied };
}
