/**
 * An optimizer pass as hls4ml writes one (model/optimizer/optimizer.py, OptimizerPass, v1.3.0 ef92ebd): a predicate
 * on a node and a rewrite of the graph around it. Ours are pure: `transform` returns a new graph.
 */
import type { Hls4mlConfig } from "../config.js";
import type { ModelGraph, Node } from "../model-graph.js";

export interface Pass {
  /** hls4ml's registered name for the pass, or ours for a pass hls4ml does not have */
  name: string;
  /** the config switch that turns the pass on; always on without one */
  enabled?: (c: Hls4mlConfig) => boolean;
  match: (m: ModelGraph, n: Node, c: Hls4mlConfig) => boolean;
  transform: (m: ModelGraph, n: Node, c: Hls4mlConfig) => ModelGraph;
}

/**
 * Apply one pass: visit every node once, in graph order, matching it against the graph as rewritten so far (so a
 * rewrite that makes a later node match is seen). hls4ml instead repeats a flow until nothing matches
 * (optimize_model); none of our passes makes a node already visited match again, so one visit reaches the same
 * graph (test/hls4ml-passes.test.ts runs the passes twice to check it). Nodes a pass inserts are not visited.
 */
export function applyPass(m: ModelGraph, pass: Pass, c: Hls4mlConfig): ModelGraph {
  if (pass.enabled && !pass.enabled(c)) return m;
  // 1: a node of `m` not visited yet, 0: visited; by node id (small integers). A node a pass inserts has a larger id
  // than every node of `m` (nextId), so it lies outside and is never visited.
  const toVisit = new Uint8Array(Math.max(-1, ...m.nodes.map((n) => n.id)) + 1);
  for (const n of m.nodes) toVisit[n.id] = 1;
  const visitedOriginal = (n: Node) => n.id < toVisit.length && toVisit[n.id] === 0;
  let out = m;
  // Each step visits the first unvisited node in graph order, so every visited node of `m` comes before every
  // unvisited one; a rewrite only inserts and removes nodes, never reorders them, so that stays true after it. The
  // next node to visit is therefore the first unvisited one after any visited node of `m` that survived the rewrite:
  // the scan resumes just after the last such node at or before the rewritten position, not from the start.
  for (let i = 0; i < out.nodes.length; ) {
    const n = out.nodes[i];
    if (toVisit[n.id] !== 1) {
      i++;
      continue;
    }
    toVisit[n.id] = 0;
    if (pass.match(out, n, c)) {
      out = pass.transform(out, n, c);
      let q = Math.min(i, out.nodes.length - 1);
      while (q >= 0 && !visitedOriginal(out.nodes[q])) q--;
      i = q + 1;
    } else i++;
  }
  return out;
}

export const applyPasses = (m: ModelGraph, passes: readonly Pass[], c: Hls4mlConfig): ModelGraph => passes.reduce((g, p) => applyPass(g, p, c), m);
