/**
 * hls4ml PR #586's merge_relu (head 347a6bd, hls4ml/model/optimizer/passes/merge_relu.py lines 4-21; registered in
 * the 'optimize' flow after fuse_batch_normalization, model/optimizer/__init__.py lines 17 and 20): a ReLU whose input
 * node is a Dense or Conv2D is computed in that layer's output stage, so the ReLU's process and stream disappear. The
 * PR merges unconditionally; we also require that the layer's output has no other reader (one that needs it before
 * the ReLU) and that the layer does not already compute a ReLU or add a fused short skip (a layer's output stage
 * computes one ReLU).
 */
import type { Hls4mlConfig } from "../config.js";
import { count, inputOf, isWeighted, readersOf, warn, withNode, without, type ModelGraph } from "../model-graph.js";
import type { Pass } from "./pass.js";

export const mergeRelu: Pass = {
  name: "merge_relu",
  enabled: (c) => c.reluMerge,
  match: (m, n) => {
    if (n.kind !== "relu") return false;
    const layer = inputOf(m, n);
    return isWeighted(layer) && !layer.mergedRelu && !layer.fusedSkip && readersOf(m, layer.id).length === 1;
  },
  transform: (m, n) => count(withNode(without(m, n.id), n.inputs[0].from, { mergedRelu: n.name }), "reluMerged"),
};

/**
 * The PR's kernels compute the merged ReLU only under the Resource strategy: warn when the model merges one under
 * Latency. Called once the whole 'optimize' flow has run, because a fused short skip's ReLU (fuseShortSkip) is
 * computed by the same output stage and counts too.
 */
export function warnMergedReluKernels(m: ModelGraph, c: Hls4mlConfig): ModelGraph {
  if (!(c.reluMerge && m.applied.reluMerged && c.strategy === "Latency")) return m;
  return warn(m, "reluMerge: hls4ml PR #586 implements the merged ReLU only in its Resource-strategy kernels (nnet_dense_resource.h); under the Latency strategy the model merges it as if the kernels did");
}
