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
  const toVisit = new Set(m.nodes.map((n) => n.id));
  let out = m;
  // a rewrite only inserts and removes nodes, never reorders them: after one, the first unvisited node from the
  // start is the next in graph order
  for (let i = 0; i < out.nodes.length; ) {
    const n = out.nodes[i];
    if (!toVisit.delete(n.id)) {
      i++;
      continue;
    }
    if (pass.match(out, n, c)) {
      out = pass.transform(out, n, c);
      i = 0;
    } else i++;
  }
  return out;
}

export const applyPasses = (m: ModelGraph, passes: readonly Pass[], c: Hls4mlConfig): ModelGraph => passes.reduce((g, p) => applyPass(g, p, c), m);
