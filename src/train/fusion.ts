/**
 * Which layers of a graph train as one fused op, a unit: a batch norm in training mode together with the conv that
 * feeds it (when that conv has no other reader, no bias and one group) and, after it, either a ReLU (conv-BN-ReLU)
 * or a skip add and a ReLU (the close of a plain ResNet unit: ReLU(BN(conv(x)) + skip)), each when the BN or the add
 * has no other reader. Every op tfjs runs costs it bookkeeping (a tape entry, a clone per saved tensor, the garbage
 * of both), so fewer, larger ops train faster. A unit runs where its last layer stands, when every input is ready.
 * A ReLU of a ReLU's output (the graph keeps one where a block re-applies its input ReLU, as the hardware does) is
 * the same tensor and costs nothing. Pure: from the graph alone.
 */
import type { LayerGraph } from "../net/index.js";

export interface FusedUnit {
  /** the conv folded in front of the batch norm, if any */
  conv?: number;
  bn: number;
  /** the skip add folded in, and the id of the tensor it adds (the other input of that add) */
  add?: { id: number; skip: number };
  /** the ReLU that closes the unit, if any */
  relu?: number;
}

export interface FusionPlan {
  /** by the id of the unit's last layer (its ReLU, else its batch norm) */
  byOutput: Map<number, FusedUnit>;
  /** layers computed inside a unit, skipped when walking the graph */
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
    const unit: FusedUnit = { bn: l.id };
    const src = g.layers[l.inputs[0]];
    if (src.op === "conv" && src.groups === 1 && !src.bias && only(src.id)?.id === l.id) unit.conv = src.id;
    const next = only(l.id);
    if (next?.op === "relu") unit.relu = next.id;
    else if (next?.op === "add" && next.inputs[0] === l.id && next.inputs[1] !== l.id && only(next.id)?.op === "relu") {
      unit.add = { id: next.id, skip: next.inputs[1] };
      unit.relu = only(next.id)!.id;
    }
    const last = unit.relu ?? l.id;
    plan.byOutput.set(last, unit);
    for (const id of [unit.conv, l.id, unit.add?.id]) if (id !== undefined && id !== last) plan.absorbed.add(id);
  }
  return plan;
}
