/**
 * The graph hls4ml's passes rewrite, reduced to what the cost model needs: hls4ml's ModelGraph (model/graph.py, v1.3.0
 * ef92ebd), whose converter makes one node per Keras layer. Ours starts as one node per layer of the LayerGraph plus
 * the network's output; every pass (passes/) returns a new graph, and dataflow.ts numbers the last one's nodes as
 * processes and its edges as streams. All functions here are pure: a graph is never changed in place. They are written
 * as plain loops and Object.assign (the same objects as maps and spreads would give): an exhaustive policy search
 * builds thousands of designs, and V8 runs these several times faster over the many node shapes.
 */
import type { Layer, LayerGraph, Shape } from "../../net/graph.js";
import type { AppliedOptimisations, Process, ProcessKind } from "./design-types.js";

/**
 * One input of a node: the node it reads and, for a reader of a Clone, which copy (hls4ml's `<tensor>_cpy<i>`,
 * clone.py): copy 1 is the main path, the later ones are the skip's copies.
 */
export interface Port {
  from: number;
  copy?: number;
}

export interface Node {
  /** unique and stable across passes (a layer's node has the layer's id); not its place in `nodes` */
  id: number;
  name: string;
  /** "flatten" only until inplaceStreamFlatten removes it: it never becomes a process */
  kind: ProcessKind | "flatten";
  /** the layer it computes; none for a node a pass inserted (Clone, ZeroPadding) or the network's output */
  layer?: Layer;
  inputs: Port[];
  /** the map it writes */
  shape: Shape;
  role: Process["role"];
  block?: string;
  /** the reuse factor hls4ml settles on (setReuseFactor) */
  rf?: number;
  mergedRelu?: string;
  fusedSkip?: Process["fusedSkip"];
  /** a ZeroPadding node's padding [top, bottom, left, right] */
  pads?: [number, number, number, number];
}

export interface ModelGraph {
  /** in the order the design numbers its processes */
  nodes: Node[];
  applied: AppliedOptimisations;
  warnings: string[];
}

const kindOf = (l: Layer): Node["kind"] => {
  switch (l.op) {
    case "gap":
      return "pool";
    case "input":
    case "conv":
    case "bn":
    case "relu":
    case "add":
    case "maxpool":
    case "flatten":
    case "dense":
      return l.op;
    default: {
      const u = l as Layer;
      throw new Error(`hls4ml model: unsupported layer ${u.name} (${u.op})`);
    }
  }
};

/** One node per layer, in the layer graph's order, then the network's output (the design's sink process). */
export function fromLayers(g: LayerGraph): ModelGraph {
  const nodes: Node[] = g.layers.map((l) => ({
    id: l.id,
    name: l.name,
    kind: kindOf(l),
    layer: l,
    inputs: l.inputs.map((from) => ({ from })),
    shape: l.shape,
    role: l.role === "skip" ? "skip" : "main",
    block: l.block,
  }));
  nodes.push({ id: g.layers.length, name: "output", kind: "output", inputs: [{ from: g.output }], shape: g.layers[g.output].shape, role: "main" });
  return { nodes, applied: { bnFused: 0, reluMerged: 0, shortSkipsFused: 0 }, warnings: [] };
}

export function nodeOf(m: ModelGraph, id: number): Node {
  for (const n of m.nodes) if (n.id === id) return n;
  throw new Error(`hls4ml model graph: no node ${id}`);
}

/** the node a node reads on its first (for most, only) input */
export const inputOf = (m: ModelGraph, n: Node): Node => nodeOf(m, n.inputs[0].from);

/** Every input that reads node `id`, in graph order: a node reading it twice is two readers (hls4ml's output use map). */
export function readersOf(m: ModelGraph, id: number): { node: Node; port: number }[] {
  const out: { node: Node; port: number }[] = [];
  for (const node of m.nodes) {
    for (let port = 0; port < node.inputs.length; port++) if (node.inputs[port].from === id) out.push({ node, port });
  }
  return out;
}

export const nextId = (m: ModelGraph): number => Math.max(...m.nodes.map((n) => n.id)) + 1;

export function withNode(m: ModelGraph, id: number, patch: Partial<Omit<Node, "id">>): ModelGraph {
  const nodes = m.nodes.slice();
  for (let i = 0; i < nodes.length; i++) if (nodes[i].id === id) nodes[i] = Object.assign({}, nodes[i], patch);
  return { ...m, nodes };
}

/**
 * The graph without node `id`, its readers reading `into` instead (by default what the node read: hls4ml's
 * ModelGraph.remove_node, which rewires the next nodes to the removed node's input).
 */
export function without(m: ModelGraph, id: number, into: Port = nodeOf(m, id).inputs[0]): ModelGraph {
  const rewire = (p: Port): Port => (p.from === id ? { ...into } : p);
  const nodes: Node[] = [];
  for (const n of m.nodes) {
    if (n.id === id) continue;
    let reads = false;
    for (const p of n.inputs) if (p.from === id) reads = true;
    nodes.push(reads ? Object.assign({}, n, { inputs: n.inputs.map(rewire) }) : n);
  }
  return { ...m, nodes };
}

export function insertBefore(m: ModelGraph, beforeId: number, node: Node): ModelGraph {
  const at = m.nodes.findIndex((n) => n.id === beforeId);
  return { ...m, nodes: [...m.nodes.slice(0, at), node, ...m.nodes.slice(at)] };
}

export const append = (m: ModelGraph, node: Node): ModelGraph => ({ ...m, nodes: [...m.nodes, node] });

export const count = (m: ModelGraph, what: keyof AppliedOptimisations): ModelGraph => ({ ...m, applied: { ...m.applied, [what]: m.applied[what] + 1 } });

export const warn = (m: ModelGraph, message: string): ModelGraph => ({ ...m, warnings: [...m.warnings, message] });

export const isWeighted = (n: Node): boolean => n.kind === "conv" || n.kind === "dense";
