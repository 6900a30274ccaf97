/**
 * hls4ml's fuse_batch_normalization (model/optimizer/passes/bn_fuse.py, FuseBatchNormalization, v1.3.0 ef92ebd
 * lines 8-57; in the 'convert' flow, model/optimizer/__init__.py line 79): a BatchNormalization whose input node is
 * a Dense or Conv is folded into that layer's weights and bias, so its process and stream disappear. The transform
 * refuses when the layer's output is read by anything else (lines 55-57): the others need the value before the BN.
 * (Its quantizer checks are moot here: every layer's weights are requantised at the config's precision.)
 */
import { count, inputOf, isWeighted, readersOf, without } from "../model-graph.js";
import type { Pass } from "./pass.js";

export const fuseBatchNorm: Pass = {
  name: "fuse_batch_normalization",
  enabled: (c) => c.bnFusion,
  match: (m, n) => {
    if (n.kind !== "bn") return false;
    const layer = inputOf(m, n);
    return isWeighted(layer) && readersOf(m, layer.id).length === 1;
  },
  transform: (m, n) => count(without(m, n.id), "bnFused"),
};
