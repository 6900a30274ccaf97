// Each of hls4ml's optimizer passes (src/hw/hls4ml/passes/) alone, on tiny layer graphs built by hand, with the
// expectations worked out by hand; then the pipeline that runs them in hls4ml's order.
import { describe, expect, it } from "vitest";
import type { Layer, LayerGraph, LayerOp, NetSpec, Shape } from "../src/net/index.js";
import { lower, resnet8, withAllSkips } from "../src/net/index.js";
import { buildDesign, DEFAULT_HLS4ML, MLPERF_TINY_HLS4ML, PASSES, type Hls4mlConfig } from "../src/hw/hls4ml/index.js";
import { fromLayers, withNode, type ModelGraph, type Node } from "../src/hw/hls4ml/model-graph.js";
import { cloneOutput } from "../src/hw/hls4ml/passes/clone-output.js";
import { fuseBatchNorm } from "../src/hw/hls4ml/passes/fuse-batch-norm.js";
import { fuseShortSkip } from "../src/hw/hls4ml/passes/fuse-short-skip.js";
import { inplaceStreamFlatten } from "../src/hw/hls4ml/passes/inplace-stream-flatten.js";
import { insertZeroPadding } from "../src/hw/hls4ml/passes/insert-zero-padding.js";
import { mergeRelu, warnMergedReluKernels } from "../src/hw/hls4ml/passes/merge-relu.js";
import { applyPass, applyPasses, type Pass } from "../src/hw/hls4ml/passes/pass.js";
import { setReuseFactor } from "../src/hw/hls4ml/passes/set-reuse-factor.js";

const cfg = (o: Partial<Hls4mlConfig> = {}): Hls4mlConfig => ({ ...DEFAULT_HLS4ML, ...o });

/** A layer graph written layer by layer; the last layer added is the network's output. */
class Tiny {
  layers: Layer[] = [];
  private add(op: LayerOp, name: string, inputs: number[], shape: Shape): number {
    this.layers.push({ ...op, id: this.layers.length, name, inputs, shape } as Layer);
    return this.layers.length - 1;
  }
  private shape = (x: number) => this.layers[x].shape;
  input(c: number, h: number, w: number) {
    return this.add({ op: "input" }, "input", [], { c, h, w });
  }
  /** a square conv, padded [before, after] on both axes */
  conv(x: number, name: string, cout: number, k = 3, stride = 1, pad: [number, number] = [(k - 1) / 2, (k - 1) / 2], padding: "symmetric" | "same" | "valid" = "symmetric") {
    const s = this.shape(x);
    const out = (n: number) => Math.floor((n + pad[0] + pad[1] - k) / stride) + 1;
    const op: LayerOp = { op: "conv", kernel: [k, k], stride: [stride, stride], pad: [pad[0], pad[0]], padAfter: [pad[1], pad[1]], padding, dilation: [1, 1], groups: 1, cin: s.c, cout, bias: false };
    return this.add(op, name, [x], { c: cout, h: out(s.h), w: out(s.w) });
  }
  bn(x: number, name: string) {
    return this.add({ op: "bn", channels: this.shape(x).c }, name, [x], this.shape(x));
  }
  relu(x: number, name: string) {
    return this.add({ op: "relu" }, name, [x], this.shape(x));
  }
  sum(a: number, b: number, name: string) {
    return this.add({ op: "add" }, name, [a, b], this.shape(a));
  }
  maxpool(x: number, name: string, k: number, stride: number, pad: number) {
    const s = this.shape(x);
    const out = (n: number) => Math.floor((n + 2 * pad - k) / stride) + 1;
    return this.add({ op: "maxpool", kernel: k, stride, pad }, name, [x], { c: s.c, h: out(s.h), w: out(s.w) });
  }
  flatten(x: number) {
    const s = this.shape(x);
    return this.add({ op: "flatten" }, "flatten", [x], { c: s.c * s.h * s.w, h: 1, w: 1 });
  }
  dense(x: number, name: string, cout: number) {
    return this.add({ op: "dense", cin: this.shape(x).c, cout }, name, [x], { c: cout, h: 1, w: 1 });
  }
  graph(): LayerGraph {
    const consumers: number[][] = this.layers.map(() => []);
    for (const l of this.layers) for (const i of l.inputs) consumers[i].push(l.id);
    return { net: { name: "tiny" } as NetSpec, layers: this.layers, output: this.layers.length - 1, consumers };
  }
}

const byName = (m: ModelGraph, name: string): Node => {
  const n = m.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`no node ${name}`);
  return n;
};
const has = (m: ModelGraph, name: string) => m.nodes.some((x) => x.name === name);
/** the names of the nodes a node reads, in port order */
const reads = (m: ModelGraph, name: string) => byName(m, name).inputs.map((p) => m.nodes.find((x) => x.id === p.from)!.name);
const run = (g: LayerGraph, passes: Pass[], c = cfg()) => applyPasses(fromLayers(g), passes, c);

/** input 4x8x8 -> conv c (3x3, 8 out) -> bn b -> relu r -> output */
function convBnRelu() {
  const t = new Tiny();
  t.relu(t.bn(t.conv(t.input(4, 8, 8), "c", 8), "b"), "r");
  return t.graph();
}

describe("fuseBatchNorm (hls4ml fuse_batch_normalization)", () => {
  it("folds a BN into the conv before it: the ReLU reads the conv", () => {
    const m = run(convBnRelu(), [fuseBatchNorm]);
    expect(has(m, "b")).toBe(false);
    expect(reads(m, "r")).toEqual(["c"]);
    expect(m.applied.bnFused).toBe(1);
  });
  it("folds a BN after a dense", () => {
    const t = new Tiny();
    t.bn(t.dense(t.input(16, 1, 1), "d", 10), "b");
    const m = run(t.graph(), [fuseBatchNorm]);
    expect(reads(m, "output")).toEqual(["d"]);
  });
  it("keeps a BN whose conv's output is also read by another layer (it needs the value before the BN)", () => {
    const t = new Tiny();
    const c = t.conv(t.input(4, 8, 8), "c", 8);
    t.sum(t.bn(c, "b"), c, "a");
    const m = run(t.graph(), [fuseBatchNorm]);
    expect(has(m, "b")).toBe(true);
    expect(m.applied.bnFused).toBe(0);
  });
  it("keeps a BN after a ReLU: there are no weights to fold it into", () => {
    const t = new Tiny();
    t.bn(t.relu(t.conv(t.input(4, 8, 8), "c", 8), "r"), "b");
    expect(has(run(t.graph(), [fuseBatchNorm]), "b")).toBe(true);
  });
  it("does nothing with bnFusion off, and leaves the graph it was given as it was", () => {
    const m0 = fromLayers(convBnRelu());
    const before = structuredClone(m0);
    expect(applyPass(m0, fuseBatchNorm, cfg({ bnFusion: false }))).toBe(m0);
    applyPass(m0, fuseBatchNorm, cfg());
    expect(m0).toEqual(before);
  });
});

describe("mergeRelu (hls4ml PR #586 merge_relu)", () => {
  const on = cfg({ reluMerge: true });
  it("computes a ReLU in the output stage of the conv before it (after BN fusion): the output reads the conv", () => {
    const m = run(convBnRelu(), [fuseBatchNorm, mergeRelu], on);
    expect(has(m, "r")).toBe(false);
    expect(byName(m, "c").mergedRelu).toBe("r");
    expect(reads(m, "output")).toEqual(["c"]);
    expect(m.applied).toEqual({ bnFused: 1, reluMerged: 1, shortSkipsFused: 0 });
  });
  it("keeps a ReLU after an unfused BN: it merges only into a conv or dense", () => {
    const m = run(convBnRelu(), [mergeRelu], on);
    expect(has(m, "r")).toBe(true);
    expect(byName(m, "c").mergedRelu).toBeUndefined();
  });
  it("keeps a ReLU after an Add", () => {
    const t = new Tiny();
    const x = t.input(4, 8, 8);
    t.relu(t.sum(t.conv(x, "c", 4), x, "a"), "r");
    expect(has(run(t.graph(), [mergeRelu], on), "r")).toBe(true);
  });
  it("keeps a ReLU whose conv's output another layer also reads", () => {
    const t = new Tiny();
    const c = t.conv(t.input(4, 8, 8), "c", 8);
    t.sum(t.relu(c, "r"), c, "a");
    expect(has(run(t.graph(), [mergeRelu], on), "r")).toBe(true);
  });
  it("keeps a ReLU after a conv that already adds a fused skip (its output stage computes one ReLU)", () => {
    const g = convBnRelu();
    const m0 = withNode(fromLayers(g), 1, { fusedSkip: { channels: 8, projectionWeights: 0 } });
    const m = applyPasses(m0, [fuseBatchNorm, mergeRelu], on);
    expect(has(m, "r")).toBe(true);
  });
  it("warns that the PR's kernels merge the ReLU only under the Resource strategy, once, when one merged", () => {
    const merged = run(convBnRelu(), [fuseBatchNorm, mergeRelu], on);
    expect(warnMergedReluKernels(merged, cfg({ reluMerge: true, strategy: "Latency" })).warnings).toHaveLength(1);
    expect(warnMergedReluKernels(merged, cfg({ reluMerge: true, strategy: "Resource" })).warnings).toHaveLength(0);
    const none = run(convBnRelu(), [fuseBatchNorm], on);
    expect(warnMergedReluKernels(none, cfg({ reluMerge: true, strategy: "Latency" })).warnings).toHaveLength(0);
  });
});

describe("fuseShortSkip (ours: a short skip added inside the conv it spans)", () => {
  const fused = cfg({ reluMerge: true, shortImpl: "fused" });
  /** x = relu(bn(c0(input))) 16x8x8; y = relu(bn(c1(x))); add(y, skip) where skip is x or a 1x1 projection of x */
  function block(projection: boolean) {
    const t = new Tiny();
    const x = t.relu(t.bn(t.conv(t.input(4, 8, 8), "c0", 16), "b0"), "r0");
    const cout = projection ? 32 : 16;
    const y = t.relu(t.bn(t.conv(x, "c1", cout, 3, projection ? 2 : 1), "b1"), "r1");
    const skip = projection ? t.bn(t.conv(x, "pc", 32, 1, 2, [0, 0]), "pb") : x;
    t.sum(y, skip, "a");
    return t.graph();
  }
  it("an identity short skip: the conv adds it, the Add disappears and its reader reads the conv", () => {
    const m = run(block(false), [fuseBatchNorm, mergeRelu, fuseShortSkip], fused);
    expect(has(m, "a")).toBe(false);
    expect(byName(m, "c1").fusedSkip).toEqual({ channels: 16, projectionWeights: 0 });
    expect(byName(m, "c1").mergedRelu).toBe("r1");
    expect(reads(m, "output")).toEqual(["c1"]);
    // x is now read by c1 alone: no clone will be needed
    expect(m.nodes.filter((n) => n.inputs.some((p) => p.from === byName(m, "c0").id)).map((n) => n.name)).toEqual(["c1"]);
    expect(m.applied.shortSkipsFused).toBe(1);
  });
  it("a stride-2 skip with a 1x1 projection: the projection goes too, its weights (16 x 32 = 512) counted in the conv", () => {
    const m = run(block(true), [fuseBatchNorm, mergeRelu, fuseShortSkip], fused);
    expect(has(m, "pc") || has(m, "pb") || has(m, "a")).toBe(false);
    expect(byName(m, "c1").fusedSkip).toEqual({ channels: 32, projectionWeights: 512 });
    // both BNs were fused first (b0, b1, pb): the count stays
    expect(m.applied).toEqual({ bnFused: 3, reluMerged: 2, shortSkipsFused: 1 });
  });
  it("a skip spanning two convs is no short skip: the Add stays", () => {
    const t = new Tiny();
    const x = t.input(4, 8, 8);
    const y = t.relu(t.bn(t.conv(t.relu(t.bn(t.conv(x, "c1", 4), "b1"), "r1"), "c2", 4), "b2"), "r2");
    t.sum(y, x, "a");
    const m = run(t.graph(), [fuseBatchNorm, mergeRelu, fuseShortSkip], fused);
    expect(has(m, "a")).toBe(true);
    expect(m.nodes.some((n) => n.fusedSkip)).toBe(false);
  });
  it("merges the main path's ReLU itself when merge_relu did not, and counts it", () => {
    const m = run(block(false), [fuseBatchNorm, fuseShortSkip], fused);
    expect(has(m, "r1")).toBe(false);
    expect(byName(m, "c1").mergedRelu).toBe("r1");
    expect(m.applied.reluMerged).toBe(1);
  });
  it("does nothing under the stock build", () => {
    expect(has(run(block(false), [fuseBatchNorm, mergeRelu, fuseShortSkip], cfg({ reluMerge: true })), "a")).toBe(true);
  });
});

describe("setReuseFactor (hls4ml init_layers: set_closest_reuse_factor)", () => {
  // conv 3x3, 4 -> 8: n_in = 3*3*4 = 36, n_out = 8, 288 products
  const conv = () => {
    const t = new Tiny();
    t.maxpool(t.conv(t.input(4, 8, 8), "c", 8), "p", 2, 2, 0);
    return t.graph();
  };
  it("keeps a valid reuse factor: 3 (ceil(288/3) = 96 is a multiple of 8, and 3 divides 288)", () => {
    const m = run(conv(), [setReuseFactor], cfg({ reuseFactor: 3 }));
    expect(byName(m, "c").rf).toBe(3);
    expect(m.warnings).toEqual([]);
  });
  it("replaces an invalid one by the closest valid, with a warning: 5 (288 % 5 != 0) -> 4", () => {
    const m = run(conv(), [setReuseFactor], cfg({ reuseFactor: 5 }));
    expect(byName(m, "c").rf).toBe(4);
    expect(m.warnings).toEqual(["c: reuse factor 5 is not valid for n_in=36, n_out=8; hls4ml uses 4 (_validate_reuse_factor)"]);
  });
  it("takes a layer's own override, and a dense's n_in is its inputs: 32 -> 10 at 7 becomes 8 (6 fails: ceil(320/6) = 54)", () => {
    const t = new Tiny();
    t.dense(t.conv(t.input(4, 8, 8), "c", 32, 8, 1, [0, 0]), "d", 10);
    const m = run(t.graph(), [setReuseFactor], cfg({ reuseFactor: 1, layerReuse: { d: 7 } }));
    expect([byName(m, "c").rf, byName(m, "d").rf]).toEqual([1, 8]);
  });
  it("gives a max pool none (it has no products)", () => {
    expect(byName(run(conv(), [setReuseFactor], cfg({ reuseFactor: 3 })), "p").rf).toBeUndefined();
  });
});

describe("inplaceStreamFlatten (hls4ml inplace_stream_flatten)", () => {
  it("a Flatten is no node: the dense reads the conv's map", () => {
    const t = new Tiny();
    t.dense(t.flatten(t.conv(t.input(4, 8, 8), "c", 8)), "d", 10);
    const m = run(t.graph(), [inplaceStreamFlatten]);
    expect(has(m, "flatten")).toBe(false);
    expect(reads(m, "d")).toEqual(["c"]);
  });
});

describe("cloneOutput (hls4ml clone_output)", () => {
  /** x = conv c0 read by conv c1 and by the Add */
  function skip() {
    const t = new Tiny();
    const x = t.conv(t.input(4, 8, 8), "c0", 4);
    t.sum(t.conv(x, "c1", 4), x, "a");
    return t.graph();
  }
  it("a tensor read twice gets a Clone at the end of the graph: copy 1 to the main path, copy 2 to the skip", () => {
    const m = run(skip(), [cloneOutput]);
    const clone = m.nodes[m.nodes.length - 1];
    expect(clone).toMatchObject({ name: "c0.clone", kind: "clone", role: "skip", inputs: [{ from: byName(m, "c0").id }] });
    expect(byName(m, "c1").inputs).toEqual([{ from: clone.id, copy: 1 }]);
    expect(byName(m, "a").inputs[1]).toEqual({ from: clone.id, copy: 2 });
    // the Add's main input and every other tensor have one reader: one Clone only
    expect(m.nodes.filter((n) => n.kind === "clone")).toHaveLength(1);
  });
  it("the network's output counts as a reader, and takes the last copy", () => {
    const t = new Tiny();
    const c = t.conv(t.input(4, 8, 8), "c", 4);
    t.relu(c, "r");
    const g = t.graph();
    const m = run({ ...g, output: c }, [cloneOutput]);
    expect(byName(m, "output").inputs).toEqual([{ from: byName(m, "c.clone").id, copy: 2 }]);
  });
});

describe("insertZeroPadding (hls4ml insert_zero_padding_before_conv2d)", () => {
  it("a 3x3 conv padded 1 on 4x8x8 reads a ZeroPadding node just before it that writes 4x10x10", () => {
    const t = new Tiny();
    t.conv(t.input(4, 8, 8), "c", 8);
    const m = run(t.graph(), [insertZeroPadding]);
    expect(m.nodes.map((n) => n.name)).toEqual(["input", "c.pad", "c", "output"]);
    expect(byName(m, "c.pad")).toMatchObject({ kind: "zeropad", pads: [1, 1, 1, 1], shape: { c: 4, h: 10, w: 10 } });
    expect(reads(m, "c.pad")).toEqual(["input"]);
    expect(reads(m, "c")).toEqual(["c.pad"]);
  });
  it("Keras 'same' at stride 2 pads the odd pixel after: 3x3 on 8x8 pads [0, 1] -> 9x9", () => {
    const t = new Tiny();
    t.conv(t.input(4, 8, 8), "c", 8, 3, 2, [0, 1], "same");
    expect(byName(run(t.graph(), [insertZeroPadding]), "c.pad")).toMatchObject({ pads: [0, 1, 0, 1], shape: { c: 4, h: 9, w: 9 } });
  });
  it("takes over the conv's input, a Clone's copy included", () => {
    const t = new Tiny();
    const x = t.conv(t.input(4, 8, 8), "c0", 4, 1, 1, [0, 0]);
    t.sum(t.conv(x, "c1", 4), x, "a");
    const m = run(t.graph(), [cloneOutput, insertZeroPadding]);
    expect(byName(m, "c1.pad").inputs).toEqual([{ from: byName(m, "c0.clone").id, copy: 1 }]);
  });
  it("none before an unpadded conv; the v0.6.0 rule ('same') puts one before a 'same' 2x2 conv whose pads are all zero", () => {
    const t = new Tiny();
    t.conv(t.conv(t.input(4, 8, 8), "one", 4, 1, 1, [0, 0]), "two", 4, 2, 2, [0, 0], "same");
    expect(run(t.graph(), [insertZeroPadding], cfg({ zeroPad: "nonzero" })).nodes.some((n) => n.kind === "zeropad")).toBe(false);
    const old = run(t.graph(), [insertZeroPadding], cfg({ zeroPad: "same" }));
    expect(old.nodes.filter((n) => n.kind === "zeropad").map((n) => [n.name, n.pads])).toEqual([["two.pad", [0, 0, 0, 0]]]);
  });
  it("a padded max pool gets one too", () => {
    const t = new Tiny();
    t.maxpool(t.input(4, 8, 8), "p", 3, 2, 1);
    expect(byName(run(t.graph(), [insertZeroPadding]), "p.pad").pads).toEqual([1, 1, 1, 1]);
  });
});

describe("the pipeline", () => {
  it("runs the passes in hls4ml's order: optimize (BN fusion, ReLU merge, then ours), init_layers, streaming", () => {
    expect(PASSES.map((p) => p.name)).toEqual([
      "fuse_batch_normalization",
      "merge_relu",
      "fuse_short_skip",
      "set_closest_reuse_factor",
      "inplace_stream_flatten",
      "clone_output",
      "insert_zero_padding_before_conv2d",
    ]);
  });
  it("one visit per node reaches hls4ml's fixed point: a second run of every pass changes nothing", () => {
    for (const [net, c] of [
      [resnet8({ form: "shortenable" }), cfg()],
      [withAllSkips(resnet8({ form: "shortenable" }), "shortened"), { ...MLPERF_TINY_HLS4ML }],
      [resnet8({ form: "plain" }), cfg({ reluMerge: true })],
    ] as const) {
      const once = applyPasses(fromLayers(lower(net)), PASSES, c);
      expect(applyPasses(once, PASSES, c).nodes).toEqual(once.nodes);
    }
  });
  it("numbers a block with a long skip as processes and streams, worked by hand", () => {
    // input 4x8x8 -> c0 (3x3) -> b0 -> r0 -> c1 (3x3) -> b1 -> add(b1, r0); BN fused, no ReLU merge, stock skips
    const t = new Tiny();
    const r0 = t.relu(t.bn(t.conv(t.input(4, 8, 8), "c0", 4), "b0"), "r0");
    t.sum(t.bn(t.conv(r0, "c1", 4), "b1"), r0, "add");
    const d = buildDesign(t.graph(), cfg());
    // layers in order, each padded conv after its padding, then the output, then the clones
    expect(d.processes.map((p) => p.name)).toEqual(["input", "c0.pad", "c0", "r0", "c1.pad", "c1", "add", "output", "r0.clone"]);
    // the paddings' streams first, then each node's output (through its clone)
    expect(d.streams.map((s) => s.name)).toEqual(["c0.pad->c0", "c1.pad->c1", "input->c0.pad", "c0->r0", "r0->r0.clone", "r0.clone->c1.pad", "r0.clone->add", "c1->add", "add->output"]);
    expect(d.streams.filter((s) => s.skip).map((s) => s.name)).toEqual(["r0.clone->add"]);
    // a padded map is 10 x 10 pixels, every other 8 x 8; words of 4 channels x 8 bits
    expect(d.streams.map((s) => s.pixels)).toEqual([100, 100, 64, 64, 64, 64, 64, 64, 64]);
    expect(new Set(d.streams.map((s) => s.width))).toEqual(new Set([32]));
    expect(d.applied).toEqual({ bnFused: 2, reluMerged: 0, shortSkipsFused: 0 });
    // each process lists the streams it reads and writes
    const add = d.processes.find((p) => p.name === "add")!;
    expect(add.inputs.map((s) => d.streams[s].name)).toEqual(["r0.clone->add", "c1->add"]);
  });
});
