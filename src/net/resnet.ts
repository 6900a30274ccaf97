/** ResNet builders: ResNet-8 (authors' code / MLPerf Tiny), CIFAR ResNets (He et al. 2016), ImageNet ResNets. */
import type { BlockForm, BlockSpec, NetSpec, SkipMode } from "./types.js";

export interface ResNetOptions {
  /** block form (src/net/types.ts BlockForm): "plain" for teachers and SkipRemover, "shortenable" for SkipShortener */
  form?: BlockForm;
  /** initial skip mode of every block */
  skip?: SkipMode;
}

function basic(name: string, out: number, stride: number, o: ResNetOptions): BlockSpec {
  return {
    name,
    units: [
      { kernel: 3, stride, out },
      { kernel: 3, stride: 1, out },
    ],
    form: o.form ?? "plain",
    skip: o.skip ?? "long",
  };
}

/** torchvision's bottleneck (ResNet v1.5): stride on the 3x3 conv, 4x expansion */
function bottleneck(name: string, mid: number, stride: number, o: ResNetOptions): BlockSpec {
  return {
    name,
    units: [
      { kernel: 1, stride: 1, out: mid },
      { kernel: 3, stride, out: mid },
      { kernel: 1, stride: 1, out: 4 * mid },
    ],
    form: o.form ?? "plain",
    skip: o.skip ?? "long",
  };
}

/** CIFAR stages: `perStage` blocks at 16/32/64 filters, the first block of stages 2 and 3 downsamples. */
function cifarBlocks(perStage: number, o: ResNetOptions): BlockSpec[] {
  const blocks: BlockSpec[] = [];
  [16, 32, 64].forEach((f, s) => {
    for (let i = 0; i < perStage; i++) blocks.push(basic(`s${s}b${i}`, f, s > 0 && i === 0 ? 2 : 1, o));
  });
  return blocks;
}

function cifarNet(name: string, perStage: number, o: ResNetOptions): NetSpec {
  return {
    name,
    dims: 2,
    input: { channels: 3, height: 32, width: 32 },
    stem: { convs: [{ kernel: 3, stride: 1, out: 16 }] },
    blocks: cifarBlocks(perStage, o),
    head: { kind: "gap-dense", classes: 10 },
  };
}

/** ResNet-8 as in the Tailor authors' code and the MLPerf Tiny image-classification model: one block per stage. */
export function resnet8(o: ResNetOptions = {}): NetSpec {
  return cifarNet("resnet8", 1, o);
}

/** CIFAR ResNet of He et al. (2016), depth = 6n + 2: 20, 32, 44, 56, 110 (projection shortcuts). */
export function cifarResNet(depth: number, o: ResNetOptions = {}): NetSpec {
  if (!Number.isInteger(depth) || depth < 8 || (depth - 2) % 6 !== 0) {
    throw new Error(`cifarResNet: depth must be 6n+2 (20, 32, 44, 56, 110), got ${depth}`);
  }
  return cifarNet(`resnet${depth}`, (depth - 2) / 6, o);
}

const IMAGENET_STAGES: Record<number, { blocks: number[]; bottleneck: boolean }> = {
  18: { blocks: [2, 2, 2, 2], bottleneck: false },
  34: { blocks: [3, 4, 6, 3], bottleneck: false },
  50: { blocks: [3, 4, 6, 3], bottleneck: true },
};

/** ImageNet ResNet-18/34/50 (He et al. 2016; torchvision layout), 224x224 input, 1000 classes. */
export function imagenetResNet(depth: 18 | 34 | 50, o: ResNetOptions = {}): NetSpec {
  const cfg = IMAGENET_STAGES[depth];
  if (!cfg) throw new Error(`imagenetResNet: depth must be 18, 34 or 50, got ${depth}`);
  const blocks: BlockSpec[] = [];
  cfg.blocks.forEach((n, s) => {
    const f = 64 << s;
    for (let i = 0; i < n; i++) {
      const stride = s > 0 && i === 0 ? 2 : 1;
      blocks.push(cfg.bottleneck ? bottleneck(`s${s}b${i}`, f, stride, o) : basic(`s${s}b${i}`, f, stride, o));
    }
  });
  return {
    name: `resnet${depth}`,
    dims: 2,
    input: { channels: 3, height: 224, width: 224 },
    stem: { convs: [{ kernel: 7, stride: 2, out: 64 }], maxPool: { kernel: 3, stride: 2 } },
    blocks,
    head: { kind: "gap-dense", classes: 1000 },
  };
}
