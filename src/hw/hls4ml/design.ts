/**
 * The design hls4ml generates for a network in io_stream mode: one process per layer in a
 * DATAFLOW region, an hls::stream FIFO per edge (one word = one pixel, all channels), ZeroPadding as its own process
 * in front of a padded conv, and a Clone process with one copy stream per reader for every tensor read twice
 * (clone.py). It is built as hls4ml builds it: one node per layer, rewritten by hls4ml's optimizer passes in the
 * order its Vivado flow runs them (PASSES, one file each in passes/), then numbered as processes and streams
 * (dataflow.ts). The flow's optimisations are options of the config, applied to every design they can apply to,
 * teacher and student alike, and counted in `applied`:
 * - bnFusion: BatchNormalization folded into the conv or dense before it (passes/fuse-batch-norm.ts);
 * - reluMerge: a ReLU after a conv or dense computed in its output stage (hls4ml PR #586, passes/merge-relu.ts);
 * - shortImpl = "fused": a shortened skip added inside the conv that it spans, from the conv's own window (its
 *   centre pixel, or the pixel a stride-2 projection reads), after the conv's merged ReLU: no clone, no copy FIFO,
 *   no Add process (passes/fuse-short-skip.ts).
 * So a teacher and its student differ only in the processes and streams of their skips (test/hls4ml.test.ts).
 */
import type { LayerGraph } from "../../net/graph.js";
import type { Hls4mlConfig } from "./config.js";
import { toDataflow } from "./dataflow.js";
import { fromLayers } from "./model-graph.js";
import { overrideWarnings } from "./overrides.js";
import { cloneOutput } from "./passes/clone-output.js";
import { fuseBatchNorm } from "./passes/fuse-batch-norm.js";
import { fuseShortSkip } from "./passes/fuse-short-skip.js";
import { inplaceStreamFlatten } from "./passes/inplace-stream-flatten.js";
import { insertZeroPadding } from "./passes/insert-zero-padding.js";
import { mergeRelu, warnMergedReluKernels } from "./passes/merge-relu.js";
import { applyPasses, type Pass } from "./passes/pass.js";
import { setReuseFactor } from "./passes/set-reuse-factor.js";

export type { AppliedOptimisations, Design, Process, ProcessKind, Stream } from "./design-types.js";
import type { Design } from "./design-types.js";

/**
 * The passes in the order hls4ml runs them: its Vivado backend's default 'ip' flow requires 'optimize', then
 * 'init_layers', then 'streaming' (vivado_backend.py, v1.3.0 ef92ebd, lines 143-155 and 227-237), and a flow's
 * passes run in their listed order:
 * - model-level flows: fuse_batch_normalization ('convert', model/optimizer/__init__.py line 79, which 'optimize'
 *   requires, line 99), then merge_relu (hls4ml PR #586, head 347a6bd: the last pass of its 'optimize' flow,
 *   model/optimizer/__init__.py lines 17 and 20), then our fuseShortSkip, which needs the conv's BN and ReLU merged;
 * - 'init_layers' (vivado_backend.py line 145): setReuseFactor;
 * - 'streaming' (lines 147-155): inplaceStreamFlatten, cloneOutput, insertZeroPadding (line 148, 150, 152).
 */
export const OPTIMIZE_PASSES: readonly Pass[] = [fuseBatchNorm, mergeRelu, fuseShortSkip];
export const BACKEND_PASSES: readonly Pass[] = [setReuseFactor, inplaceStreamFlatten, cloneOutput, insertZeroPadding];
export const PASSES: readonly Pass[] = [...OPTIMIZE_PASSES, ...BACKEND_PASSES];

export function buildDesign(g: LayerGraph, c: Hls4mlConfig): Design {
  const optimised = warnMergedReluKernels(applyPasses(fromLayers(g), OPTIMIZE_PASSES, c), c);
  const m = applyPasses(optimised, BACKEND_PASSES, c);
  const { processes, streams } = toDataflow(m, c);
  return { strategy: c.strategy, wrapper: c.wrapper, processes, streams, warnings: [...m.warnings, ...overrideWarnings(g, m, c)], applied: m.applied };
}
