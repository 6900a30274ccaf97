/** Skip modes over a NetSpec: Tailor alters skips one at a time, numbered from the input end. */
import type { NetSpec, SkipMode } from "./types.js";
import { NetSpecError } from "./validate.js";

/** Indices of the blocks that have a skip (hasSkip !== false), input end first: skip k is blocks[skipBlocks[k]]. */
export function skipBlocks(net: NetSpec): number[] {
  return net.blocks.flatMap((b, i) => (b.hasSkip === false ? [] : [i]));
}

export function skipCount(net: NetSpec): number {
  return skipBlocks(net).length;
}

/** A copy of `net` with skip k (0 = nearest the input) set to `mode`. */
export function withSkip(net: NetSpec, k: number, mode: SkipMode): NetSpec {
  const idx = skipBlocks(net);
  if (!Number.isInteger(k) || k < 0 || k >= idx.length) {
    throw new NetSpecError(`${net.name}: skip index ${k} out of range (the network has ${idx.length} skips)`);
  }
  const blocks = net.blocks.map((b, i) => (i === idx[k] ? { ...b, skip: mode } : b));
  return { ...net, blocks };
}

/** A copy of `net` with every skip set to `mode`. */
export function withAllSkips(net: NetSpec, mode: SkipMode): NetSpec {
  return { ...net, blocks: net.blocks.map((b) => (b.hasSkip === false ? b : { ...b, skip: mode })) };
}

export function skipModes(net: NetSpec): SkipMode[] {
  return skipBlocks(net).map((i) => net.blocks[i].skip);
}
