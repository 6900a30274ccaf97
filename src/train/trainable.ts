/**
 * What the training code (model.ts) implements, checked on the lowered graph before any variable is made: the
 * hardware models read layer kinds that training does not (issue 13: the tutorial CNN's flatten-dense head, Keras
 * "same" padding of even kernels). Such a network is refused with the layer and what it is, never trained wrongly.
 */
import type { LayerGraph } from "../net/index.js";

export class UntrainableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UntrainableError";
  }
}

/** Throws an UntrainableError naming the first layer training does not implement. */
export function assertTrainable(g: LayerGraph): void {
  for (const l of g.layers) {
    const where = `${g.net.name}: layer ${l.name} (${l.op})`;
    if (l.op === "flatten") throw new UntrainableError(`${where}: training does not implement a flatten-dense head (the hardware models do); use head "gap-dense" or "conv1x1"`);
    if (l.op === "conv" && (l.pad[0] !== l.padAfter[0] || l.pad[1] !== l.padAfter[1])) {
      throw new UntrainableError(`${where}: training does not implement asymmetric padding (${l.padding} padding of a ${l.kernel.join("x")} kernel: ${l.pad.join(",")} before, ${l.padAfter.join(",")} after); use padding "symmetric" or "valid"`);
    }
    if (l.op === "bn" && g.layers[l.inputs[0]].op !== "conv") {
      throw new UntrainableError(`${where}: training implements batch norm after a convolution only, this one follows ${g.layers[l.inputs[0]].name} (${g.layers[l.inputs[0]].op})`);
    }
  }
}
