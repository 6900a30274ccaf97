/**
 * Which layers of a graph train as one fused op: a batch norm whose only reader is a ReLU (conv-BN-ReLU), or whose
 * only reader is a skip add whose only reader is a ReLU (the close of a plain ResNet unit: ReLU(BN(x) + skip)).
 * The fused op runs where its last layer stands, when every input is ready. A ReLU of a ReLU's output (the graph
 * keeps one where a block re-applies its input ReLU, as the hardware does) is the same tensor and costs nothing.
 * Pure: from the graph alone.
 */
import type { LayerGraph } from "../net/index.js";

export interface FusedBatchNorm {
  bn: number;
  /** the skip add folded in, and the id of the tensor it adds (the other input of that add) */
  add?: { id: number; skip: number };
  relu: number;
}

export interface FusionPlan {
  /** by the id of the group's last layer (its ReLU) */
  byOutput: Map<number, FusedBatchNorm>;
  /** layers computed inside a group, skipped when walking the graph */
  absorbed: Set<number>;
  /** ReLU layers whose input is already a ReLU's output: by id, the id of the tensor they equal */
  same: Map<number, number>;
}

export function fusionPlan(g: LayerGraph): FusionPlan {
  const plan: FusionPlan = { byOutput: new Map(), absorbed: new Set(), same: new Map() };
  const only = (id: number) => (g.consumers[id].length === 1 && id !== g.output ? g.layers[g.consumers[id][0]] : undefined);
  for (const l of g.layers) {
    if (l.op === "relu" && g.layers[l.inputs[0]].op === "relu") plan.same.set(l.id, plan.same.get(l.inputs[0]) ?? l.inputs[0]);
    if (l.op !== "bn") continue;
    const next = only(l.id);
    if (next?.op === "relu") {
      plan.byOutput.set(next.id, { bn: l.id, relu: next.id });
      plan.absorbed.add(l.id);
    } else if (next?.op === "add" && next.inputs[0] === l.id && next.inputs[1] !== l.id) {
      const relu = only(next.id);
      if (relu?.op !== "relu") continue;
      plan.byOutput.set(relu.id, { bn: l.id, add: { id: next.id, skip: next.inputs[1] }, relu: relu.id });
      plan.absorbed.add(l.id).add(next.id);
    }
  }
  return plan;
}
