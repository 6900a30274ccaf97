/**
 * QuartzNet 5x5 (Kriman et al., ICASSP 2020, Table 1): 1D time-channel separable convolutions. C1, five blocks
 * B1..B5 of R = 5 separable units each with a residual (1x1 conv + BN) around the block, then C2, C3, C4.
 */
import type { BlockSpec, NetSpec } from "./types.js";
import type { ResNetOptions } from "./resnet.js";

// (kernel, channels) of B1..B5, Kriman et al. Table 1
const BLOCKS: [number, number][] = [
  [33, 256],
  [39, 256],
  [51, 512],
  [63, 512],
  [75, 512],
];

export interface QuartzNetOptions extends ResNetOptions {
  /** input frames (time steps); the paper's 64 mel features are the channels */
  frames?: number;
  /** sub-blocks per block (R); 5 for QuartzNet 5x5 */
  repeats?: number;
}

export function quartznet5x5(o: QuartzNetOptions = {}): NetSpec {
  const r = o.repeats ?? 5;
  const blocks: BlockSpec[] = BLOCKS.map(([k, c], i) => ({
    name: `B${i + 1}`,
    units: Array.from({ length: r }, () => ({ kernel: k, stride: 1, out: c, kind: "separable" as const })),
    form: o.form ?? "plain",
    skip: o.skip ?? "long",
    // every residual is a pointwise conv + BN (Kriman et al., figure 2)
    shortcut: "projection" as const,
  }));
  return {
    name: "quartznet5x5",
    dims: 1,
    input: { channels: 64, height: 1, width: o.frames ?? 256 },
    stem: { convs: [{ kernel: 33, stride: 2, out: 256, kind: "separable" }] },
    blocks,
    tail: [
      { kernel: 87, stride: 1, out: 512, kind: "separable", dilation: 2 },
      { kernel: 1, stride: 1, out: 1024 },
    ],
    // 28 characters + CTC blank
    head: { kind: "conv1x1", classes: 29 },
  };
}
