/**
 * The per-layer overrides of a config (layerReuse, layerActBits) name layers: a name that matches nothing would be
 * silently ignored, as hls4ml ignores a config entry for a layer it does not have, so the design says so.
 */
import type { LayerGraph } from "../../net/graph.js";
import type { Hls4mlConfig } from "./config.js";
import type { ModelGraph } from "./model-graph.js";

export function overrideWarnings(g: LayerGraph, m: ModelGraph, c: Hls4mlConfig): string[] {
  const warnings: string[] = [];
  // a reuse factor is a property of the layer: one for a projection a fused skip removed names a real layer
  const weighted = new Set(g.layers.filter((l) => l.op === "conv" || l.op === "dense").map((l) => l.name));
  for (const name of Object.keys(c.layerReuse ?? {})) {
    if (!weighted.has(name)) warnings.push(`layerReuse["${name}"]: ${g.net.name} has no conv or dense layer of that name; the override is ignored`);
  }
  // a precision is one of a stream: only a layer that is its own process writes one
  const processNames = new Set(m.nodes.flatMap((n) => (n.layer ? [n.layer.name] : [])));
  for (const name of Object.keys(c.layerActBits ?? {})) {
    if (!processNames.has(name)) warnings.push(`layerActBits["${name}"]: ${g.net.name} has no layer of that name that is its own process (a layer merged into another takes that one's precision); the override is ignored`);
  }
  return warnings;
}
