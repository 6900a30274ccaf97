/**
 * hls4ml's layer initialisation (the 'init_layers' flow, which runs after 'optimize': vivado_backend.py, v1.3.0
 * ef92ebd, line 145; init_dense line 334, init_conv2d line 493): each Dense and Conv gets the reuse factor the config
 * asks for, or the closest valid one, with a warning (fpga_backend.py set_closest_reuse_factor, line 294; the rule is
 * config.ts validReuseFactor). It runs after the 'optimize' passes, so a projection a fused skip removed gets none.
 * (hls4ml v1.3.0 does this only under the Resource strategy; the model checks every layer, as it did before.)
 */
import type { Layer } from "../../../net/graph.js";
import { validReuseFactor } from "../config.js";
import { warn, withNode } from "../model-graph.js";
import type { Pass } from "./pass.js";

/** hls4ml's get_layer_mult_size: the inputs and outputs of one output pixel's products (a conv: K_h x K_w x C_in / groups, C_out) */
function multSize(l: Layer): [number, number] {
  if (l.op === "conv") return [l.kernel[0] * l.kernel[1] * (l.cin / l.groups), l.cout];
  if (l.op === "dense") return [l.cin, l.cout];
  throw new Error(`hls4ml model: ${l.name} (${l.op}) has no reuse factor`);
}

export const setReuseFactor: Pass = {
  name: "set_closest_reuse_factor",
  match: (_m, n) => n.layer?.op === "conv" || n.layer?.op === "dense",
  transform: (m, n, c) => {
    const [nIn, nOut] = multSize(n.layer!);
    const want = c.layerReuse?.[n.name] ?? c.reuseFactor;
    const v = validReuseFactor(nIn, nOut, want);
    const out = withNode(m, n.id, { rf: v.rf });
    return v.adjusted ? warn(out, `${n.name}: reuse factor ${want} is not valid for n_in=${nIn}, n_out=${nOut}; hls4ml uses ${v.rf} (_validate_reuse_factor)`) : out;
  },
};
