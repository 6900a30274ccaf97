/**
 * Ours, no hls4ml pass (DESIGN.md section 5): a shortened skip spans one conv, and the value it adds is that conv's
 * own input pixel, which the conv already holds in its window (the window's centre, or the pixel a stride-2 1x1
 * projection reads). So the conv adds it after its BN and ReLU, and the skip's Clone, copy FIFO, projection and Add
 * all disappear. It runs after fuse_batch_normalization and merge_relu, in the 'optimize' flow: the add comes after
 * the conv's BN and ReLU, which the conv must compute (config.ts refuses "fused" without bnFusion and reluMerge).
 */
import { count, inputOf, nodeOf, withNode, without, type ModelGraph, type Node } from "../model-graph.js";
import type { Pass } from "./pass.js";

interface ShortSkip {
  conv: Node;
  /** the main path's ReLU when it is still a node of its own */
  relu?: Node;
  /** the skip's projection: its conv, after its BN when that is still a node */
  projection: Node[];
}

/** The conv an Add's skip spans when it spans exactly one: main path Add <- ReLU? <- BN? <- conv <- x, skip x or proj(x). */
function shortSkip(m: ModelGraph, add: Node): ShortSkip | null {
  let x = inputOf(m, add);
  const relu = x.kind === "relu" ? x : undefined;
  if (relu) x = inputOf(m, relu);
  if (x.kind === "bn") x = inputOf(m, x);
  if (x.kind !== "conv") return null;
  const convInput = x.inputs[0].from;
  const skip = nodeOf(m, add.inputs[1].from);
  if (skip.id === convInput) return { conv: x, relu, projection: [] };
  const proj = skip.kind === "bn" ? inputOf(m, skip) : skip;
  if (proj.kind === "conv" && proj.inputs[0].from === convInput) return { conv: x, relu, projection: proj === skip ? [proj] : [skip, proj] };
  return null;
}

export const fuseShortSkip: Pass = {
  name: "fuse_short_skip",
  enabled: (c) => c.shortImpl === "fused",
  match: (m, n) => n.kind === "add" && shortSkip(m, n) !== null,
  transform: (m, n) => {
    const s = shortSkip(m, n)!;
    const proj = s.projection.find((p) => p.kind === "conv")?.layer;
    const projectionWeights = proj?.op === "conv" ? proj.cin * proj.cout : 0;
    // the Add's readers now read the conv, which writes the sum
    let out = withNode(without(m, n.id, { from: s.conv.id }), s.conv.id, { fusedSkip: { channels: n.shape.c, projectionWeights } });
    if (s.relu) out = count(withNode(without(out, s.relu.id, { from: s.conv.id }), s.conv.id, { mergedRelu: s.relu.name }), "reluMerged");
    // the projection's only reader was the Add: it goes with it
    for (const p of s.projection) out = without(out, p.id);
    return count(out, "shortSkipsFused");
  },
};
