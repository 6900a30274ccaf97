/**
 * hls4ml's insert_zero_padding_before_conv2d (backends/vivado/passes/conv_same_pad.py, v1.3.0 ef92ebd lines 50-105;
 * in the Vivado 'streaming' flow after clone_output, vivado_backend.py line 152): in io_stream a conv's padding is a
 * ZeroPadding2D process of its own in front of it, which streams the padded map. When (config.ts ZeroPadRule):
 * - "nonzero" (hls4ml >= v0.7.0): any of its four pads is non-zero (lines 53-60, and the transform's early return,
 *   lines 72-74);
 * - "same" (hls4ml v0.6.0, model/optimizer/passes/conv_same_pad.py lines 43-48): also before every 'same' conv
 *   with a kernel larger than 1 in both axes, even when its pads are all zero.
 * A padded max pool gets one too (the model's choice: its line buffer reads a padded map like a conv's). The node
 * goes just before the conv (hls4ml inserts it after the conv's input node), and takes over the conv's input, a
 * Clone's copy included.
 */
import type { Layer } from "../../../net/graph.js";
import type { Hls4mlConfig } from "../config.js";
import { inputOf, insertBefore, nextId, withNode } from "../model-graph.js";
import type { Pass } from "./pass.js";

/** [top, bottom, left, right]; Keras 'same' pads the odd pixel after */
function padsOf(l: Layer): [number, number, number, number] | null {
  if (l.op === "conv") return [l.pad[0], l.padAfter[0], l.pad[1], l.padAfter[1]];
  if (l.op === "maxpool") return [l.pad, l.pad, l.pad, l.pad];
  return null;
}

function padded(l: Layer, c: Hls4mlConfig): boolean {
  const pads = padsOf(l);
  if (!pads) return false;
  if (pads.some((x) => x > 0)) return true;
  return c.zeroPad === "same" && l.op === "conv" && l.padding === "same" && l.kernel[0] !== 1 && l.kernel[1] !== 1;
}

export const insertZeroPadding: Pass = {
  name: "insert_zero_padding_before_conv2d",
  // hls4ml zeroes the conv's pads once it has its ZeroPadding (lines 92-96); ours keeps the layer's, so a conv that
  // already reads its padding is done
  match: (m, n, c) => n.layer !== undefined && padded(n.layer, c) && inputOf(m, n).kind !== "zeropad",
  transform: (m, n) => {
    const pads = padsOf(n.layer!)!;
    const input = inputOf(m, n).shape;
    const id = nextId(m);
    const shape = { c: input.c, h: input.h + pads[0] + pads[1], w: input.w + pads[2] + pads[3] };
    const zp = { id, name: `${n.name}.pad`, kind: "zeropad" as const, inputs: [n.inputs[0]], shape, role: n.role, block: n.block, pads };
    return withNode(insertBefore(m, n.id, zp), n.id, { inputs: [{ from: id }] });
  },
};
