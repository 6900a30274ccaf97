/**
 * The DATAFLOW region of a model graph the passes have finished with: one process per node, in graph order, and one
 * hls::stream per edge (after clone_output every node has at most one reader). Stream ids are numbered as the design
 * has always numbered them, since every report and the simulation index streams by id: first each ZeroPadding's
 * stream into its conv, then, node by node, each node's output and, when a Clone reads it, the Clone's copies.
 */
import type { Shape } from "../../net/graph.js";
import type { Hls4mlConfig } from "./config.js";
import type { Process, Stream } from "./design-types.js";
import type { ModelGraph, Node, Port } from "./model-graph.js";

const base = { h: 0, w: 0, k: 1, stride: 1, pad: 0, cin: 0, cout: 0, rf: 1, role: "main" as const };

type ProcessFields = Omit<Process, "id" | "inputs" | "outputs">;

/**
 * A node's process. `input` is the map it reads (for a conv, padded by its ZeroPadding if it has one). Built with
 * Object.assign rather than spreads: the same object, key order included, and several times faster in V8 over the
 * many object shapes here (a policy search builds thousands of designs).
 */
function processOf(n: Node, input: Shape): ProcessFields {
  const { name } = n;
  if (n.kind === "output") return Object.assign({}, base, { name, kind: "output" as const, h: input.h, w: input.w, cin: input.c });
  if (n.kind === "clone") return Object.assign({}, base, { name, kind: "clone" as const, role: "skip" as const, h: n.shape.h, w: n.shape.w, cin: n.shape.c, cout: n.shape.c, block: n.block });
  const geo = Object.assign({}, base, { h: input.h, w: input.w, cin: input.c, cout: n.shape.c, block: n.block, role: n.role });
  const l = n.layer;
  switch (n.kind) {
    case "input":
      return Object.assign(geo, { name, kind: "input" as const, h: n.shape.h, w: n.shape.w, cin: n.shape.c });
    case "zeropad":
      return Object.assign(geo, { name, kind: "zeropad" as const, pad: Math.max(...n.pads!), pads: n.pads, cout: input.c });
    case "conv":
    case "maxpool": {
      if (l?.op !== "conv" && l?.op !== "maxpool") break;
      const [k, stride] = l.op === "conv" ? [l.kernel[1], l.stride[1]] : [l.kernel, l.stride];
      return Object.assign(geo, { name, kind: n.kind, k, stride, rf: n.rf ?? 1, mergedRelu: n.mergedRelu, fusedSkip: n.fusedSkip });
    }
    case "relu":
    case "bn":
    case "pool":
      return Object.assign(geo, { name, kind: n.kind });
    case "add":
      return Object.assign(geo, { name, kind: "add" as const, h: n.shape.h, w: n.shape.w });
    case "dense":
      // after a Flatten it reads the map's h x w words (nnet_dense_stream.h, DataPrepare), else one
      if (l?.op !== "dense") break;
      return Object.assign(geo, { name, kind: "dense" as const, cin: l.cin, rf: n.rf ?? 1, mergedRelu: n.mergedRelu });
  }
  throw new Error(`hls4ml model: ${n.name} (${n.kind}) cannot be a process`);
}

export function toDataflow(m: ModelGraph, c: Hls4mlConfig): { processes: Process[]; streams: Stream[] } {
  const index = new Map(m.nodes.map((n, i) => [n.id, i]));
  const node = (id: number) => m.nodes[index.get(id)!];
  // each node's readers, with the input they read it on, in graph order
  const readers = new Map<number, { to: Node; port: Port }[]>(m.nodes.map((n) => [n.id, []]));
  for (const n of m.nodes) for (const p of n.inputs) readers.get(p.from)!.push({ to: n, port: p });
  const shapeIn = (n: Node) => (n.inputs.length ? node(n.inputs[0].from).shape : n.shape);
  const processes: Process[] = m.nodes.map((n, id) => Object.assign(processOf(n, shapeIn(n)), { id, inputs: [] as number[], outputs: [] as number[] }));
  // a layer's result precision (hls4ml's per-layer `Precision: result`); a ZeroPadding or Clone passes its input's on
  const bits = (n: Node): number => (n.layer ? (c.layerActBits?.[n.layer.name] ?? c.actBits) : n.inputs.length ? bits(node(n.inputs[0].from)) : c.actBits);
  const streams: Stream[] = [];
  const link = (from: Node, to: Node, port: Port) => {
    const p = processes[index.get(from.id)!];
    const q = processes[index.get(to.id)!];
    const channels = from.shape.c;
    streams.push({
      id: streams.length,
      name: `${p.name}->${q.name}`,
      channels,
      pixels: from.shape.h * from.shape.w,
      width: channels * bits(from),
      from: p.id,
      to: q.id,
      // a Clone's first copy is the main path; the later copies are the skip's
      skip: from.kind === "clone" && (port.copy ?? 1) > 1,
      block: from.kind === "clone" ? q.block : from.block,
    });
  };
  const readersOf = (n: Node) => readers.get(n.id)!;
  for (const n of m.nodes) if (n.kind === "zeropad") for (const r of readersOf(n)) link(n, r.to, r.port);
  for (const n of m.nodes) {
    if (n.kind === "zeropad" || n.kind === "clone") continue;
    for (const r of readersOf(n)) {
      link(n, r.to, r.port);
      if (r.to.kind !== "clone") continue;
      const copies = [...readersOf(r.to)].sort((a, b) => (a.port.copy ?? 1) - (b.port.copy ?? 1));
      for (const cp of copies) link(r.to, cp.to, cp.port);
    }
  }
  for (const s of streams) {
    processes[s.from].outputs.push(s.id);
    processes[s.to].inputs.push(s.id);
  }
  return { processes, streams };
}
