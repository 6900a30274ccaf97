/**
 * The second half of graph matching: the walk's tokens (onnx-walk.ts) read as a NetSpec (src/net/types.ts): stem,
 * blocks with their form, skip mode and shortcut, and the gap-dense head; and, for each conv and dense layer, the
 * name the lowered NetSpec gives it (src/net/graph.ts), so that onnx-weights.ts can file the weights under it.
 *
 * The two block forms as they appear on the main path (U a Conv [+ BN], R a Relu, F a fork, A the Add closing it):
 *   plain        long: R F U (R U)* A          removed: R U (R U)*         (R: the ReLU at the block input)
 *   shortenable  long: F (U R)+ A              removed: (U R)+              shortened: (F U R A) per unit
 * The Add follows a unit in the plain form and a ReLU in the shortenable one. A plain network's first block may lack
 * its input ReLU when the stem's ReLU feeds it (torchvision's ResNets): ReLU(ReLU(x)) = ReLU(x), the same network.
 *
 * What the graph alone cannot tell: where a removed block ends (a removed block is a run of units), and whether one-
 * unit skips are a shortened block or one-unit blocks. The units per block (K) come from the blocks that still have
 * their long skip; failing that, from the block count our exporter records (metadata "tailor.skip_modes"); failing
 * that, one-unit skips are read as one-unit long blocks and a network without any skip is refused.
 */
import { type BlockSpec, type ConvSpec, type NetSpec, type Shape, type SkipMode } from "../net/index.js";
import type { ConvRef, DenseRef, Token, Walk } from "./onnx-walk.js";
import { describeNode, ImportError, type OnnxModel, type OnnxNode } from "./onnx-types.js";

export interface NamedConv {
  /** the lowered layer's prefix: "stem0", "s1b0.u0", "s1b0.proj", "s1b0.u1.proj" (its conv is "<prefix>.conv") */
  prefix: string;
  ref: ConvRef;
}

export interface Match {
  net: NetSpec;
  convs: NamedConv[];
  /** each Relu of the graph and the name the lowered NetSpec gives it ("stem0.relu", "s1b0.relu_in", "s1b0.u0.relu", "head.relu") */
  relus: { layer: string; node: OnnxNode }[];
  dense: DenseRef;
  /** how the blocks were delimited, for the summary */
  unitsPerBlock: number;
  source: "long skips" | "metadata" | "one-unit skips";
}

const convSpec = (u: ConvRef): ConvSpec => ({ kernel: u.kernel, stride: u.stride, out: u.out, ...(u.padding === "symmetric" ? {} : { padding: u.padding }) });
const sameShape = (a: Shape, b: Shape) => a.c === b.c && a.h === b.h && a.w === b.w;

/** Read the tokens as a NetSpec named `name`; `file` names the file in errors. */
export function matchNet(m: OnnxModel, walk: Walk, name: string): Match {
  const fail = (msg: string): never => {
    throw new ImportError(`${m.file}: ${msg}`);
  };
  const t = walk.tokens;
  const nodeOf = (k: Token): string => {
    switch (k.kind) {
      case "unit":
        return describeNode(k.unit.conv);
      case "fork":
        return `the fork at "${k.tensor}"`;
      case "dense":
        return describeNode(k.dense.node);
      default:
        return describeNode(k.node);
    }
  };

  // head: ReLU, global average pool, dense
  const [r, g, d] = t.slice(-3);
  if (d?.kind !== "dense") fail(`the network ends in ${d ? nodeOf(d) : "nothing"}; expected a dense layer (MatMul + Add, or Gemm) after a global average pool`);
  if (g?.kind !== "gap") fail(`${nodeOf(d)} reads ${g ? nodeOf(g) : "the input"}; expected a global average pool (GlobalAveragePool or ReduceMean) before the dense layer`);
  if (r?.kind !== "relu") fail(`${nodeOf(g)} reads ${r ? nodeOf(r) : "the input"}; expected a Relu before the global average pool (a ResNet head: ReLU, pool, dense)`);
  const body = t.slice(0, -3);

  // block form: what the Adds follow (with no Add, where the doubled ReLU is: after the stem, or before the head)
  const adds = body.flatMap((k, i) => (k.kind === "add" ? [i] : []));
  let form: "plain" | "shortenable";
  if (adds.length) {
    const after = (i: number) => body[i - 1]?.kind;
    form = after(adds[0]) === "unit" ? "plain" : "shortenable";
    const odd = adds.find((i) => (after(i) === "unit") !== (form === "plain") || (after(i) !== "unit" && after(i) !== "relu"));
    if (odd !== undefined) fail(`${nodeOf(body[odd])} adds its skip after ${nodeOf(body[odd - 1])}, while ${nodeOf(body[adds[0]])} adds after ${nodeOf(body[adds[0] - 1])}; expected one block form throughout (plain: the Add after the last BatchNormalization; shortenable: after the last Relu)`);
  } else {
    form = body[body.length - 1]?.kind === "relu" ? "shortenable" : "plain";
  }

  // stem: leading (U R) pairs, a max pool ends it for sure
  let pairs = 0;
  while (body[2 * pairs]?.kind === "unit" && body[2 * pairs + 1]?.kind === "relu") pairs++;
  if (pairs === 0) fail(`the network starts with ${body[0] ? nodeOf(body[0]) : "its head"}; expected a stem: Conv, BatchNormalization, Relu`);
  const pool = body[2 * pairs]?.kind === "pool" ? body[2 * pairs] : null;

  // units per block (K)
  let unitsPerBlock = 0;
  let source: Match["source"] = "long skips";
  const spans = body.flatMap((k, i) => {
    if (k.kind !== "fork") return [];
    const end = body.findIndex((x, j) => j > i && x.kind === "add" && x.id === k.id);
    return [{ at: i, end, units: body.slice(i, end).filter((x) => x.kind === "unit").length }];
  });
  const long = spans.filter((s) => s.units > 1 || form === "plain");
  if (long.length) {
    unitsPerBlock = long[0].units;
    const other = long.find((s) => s.units !== unitsPerBlock);
    if (other) fail(`${nodeOf(body[other.end])} closes a skip over ${other.units} convolutions, ${nodeOf(body[long[0].end])} one over ${unitsPerBlock}; expected the same number of convolutions in every block`);
  }
  const hint = m.metadata["tailor.skip_modes"]?.split(",").filter(Boolean).length ?? 0;
  const bodyUnits = body.filter((k) => k.kind === "unit").length;
  if (!unitsPerBlock && hint > 0) {
    // the stem is known exactly when a pool or a doubled ReLU ends it; otherwise the shortest stem that fits
    const exact = pool || body[2 * pairs]?.kind === "relu";
    const fits = (k: number) => (bodyUnits - (exact ? pairs : 0)) - hint * k;
    for (let k = Math.floor(bodyUnits / hint); k >= 1 && !unitsPerBlock; k--) if (exact ? fits(k) === 0 : fits(k) >= 1) unitsPerBlock = k;
    source = "metadata";
  }
  if (!unitsPerBlock && spans.length) {
    unitsPerBlock = 1;
    source = "one-unit skips";
  }
  if (!unitsPerBlock) fail(`no skip connection in the graph, and no block count in its metadata: the blocks of a network whose skips are all removed cannot be told apart; expected a ResNet-style network with at least one skip`);
  const K = unitsPerBlock;

  const stemConvs = pool || body[2 * pairs]?.kind === "relu" ? pairs : ((pairs - 1) % K) + 1;
  const convs: NamedConv[] = [];
  const relus: Match["relus"] = [];
  const stem: NetSpec["stem"] = { convs: [] };
  for (let i = 0; i < stemConvs; i++) {
    const u = (body[2 * i] as Extract<Token, { kind: "unit" }>).unit;
    stem.convs.push(convSpec(u));
    convs.push({ prefix: `stem${i}`, ref: u });
    relus.push({ layer: `stem${i}.relu`, node: (body[2 * i + 1] as Extract<Token, { kind: "relu" }>).node });
  }
  let i = 2 * stemConvs;
  if (pool) {
    const p = pool as Extract<Token, { kind: "pool" }>;
    if (p.pad !== Math.floor((p.kernel - 1) / 2)) fail(`${nodeOf(p)}: pads ${p.pad}; expected ${Math.floor((p.kernel - 1) / 2)} (a ResNet stem's max pool pads (kernel-1)/2)`);
    stem.maxPool = { kernel: p.kernel, stride: p.stride };
    i++;
  }

  // blocks
  const blocks: (Omit<BlockSpec, "name"> & { units: ConvSpec[]; refs: ConvRef[]; projs: (ConvRef | null)[]; inShape: Shape; relus: [string, OnnxNode][] })[] = [];
  const expect = (kind: Token["kind"], why: string): Token => {
    const k = body[i];
    if (k?.kind !== kind) fail(`${k ? nodeOf(k) : "the head's Relu"} where ${why}; expected ${kind === "unit" ? "a Conv" : kind === "relu" ? "a Relu" : kind === "add" ? "the Add closing the skip" : "a skip (a tensor read twice)"}`);
    i++;
    return k;
  };
  const unit = (why: string) => (expect("unit", why) as Extract<Token, { kind: "unit" }>).unit;
  const relu = (why: string) => (expect("relu", why) as Extract<Token, { kind: "relu" }>).node;
  while (i < body.length) {
    const n = blocks.length;
    const where = `block ${n} (counting from 0) of the ${form} form`;
    if (form === "plain") {
      // the block's input ReLU, unless the stem's ReLU is right before (ReLU(ReLU(x)) = ReLU(x))
      // (or the stem's max pool of ReLU outputs, itself >= 0: torchvision's ImageNet ResNets)
      const rs: [string, OnnxNode][] = [];
      if (!(n === 0 && (body[i - 1]?.kind === "relu" || body[i - 1]?.kind === "pool") && body[i]?.kind !== "relu")) rs.push(["relu_in", relu(`${where} should start with its input ReLU`)]);
      const fork = body[i]?.kind === "fork" ? (body[i++] as Extract<Token, { kind: "fork" }>) : null;
      const refs: ConvRef[] = [];
      for (let j = 0; j < K; j++) {
        if (j > 0) rs.push([`u${j - 1}.relu`, relu(`${where} should have a Relu between its convolutions`)]);
        refs.push(unit(`${where} should have ${K} convolutions`));
      }
      if (fork) {
        const a = expect("add", `${where} should add its skip after its last BatchNormalization`) as Extract<Token, { kind: "add" }>;
        if (a.id !== fork.id) fail(`${nodeOf(a)} closes another skip than the one ${where} opened`);
      }
      blocks.push({ units: refs.map(convSpec), refs, form, skip: fork ? "long" : "removed", projs: [fork?.proj ?? null], inShape: refs[0].inShape, relus: rs });
    } else {
      const k0 = body[i];
      const closesAfterOne = k0?.kind === "fork" && body[i + 3]?.kind === "add" && (body[i + 3] as Extract<Token, { kind: "add" }>).id === k0.id;
      const mode: SkipMode = k0?.kind !== "fork" ? "removed" : K > 1 && closesAfterOne ? "shortened" : "long";
      const refs: ConvRef[] = [];
      const projs: (ConvRef | null)[] = [];
      const rs: [string, OnnxNode][] = [];
      const fork = mode === "long" ? (body[i++] as Extract<Token, { kind: "fork" }>) : null;
      for (let j = 0; j < K; j++) {
        const f = mode === "shortened" ? (expect("fork", `${where} is shortened: each convolution should have its own skip`) as Extract<Token, { kind: "fork" }>) : null;
        refs.push(unit(`${where} should have ${K} convolutions`));
        rs.push([`u${j}.relu`, relu(`${where} should end each convolution with a Relu`)]);
        if (f) {
          const a = expect("add", `${where} is shortened: each convolution's skip should close after its Relu`) as Extract<Token, { kind: "add" }>;
          if (a.id !== f.id) fail(`${nodeOf(a)} closes another skip than the one ${where} opened`);
          projs.push(f.proj);
        }
      }
      if (fork) {
        const a = expect("add", `${where} should add its skip after its last Relu`) as Extract<Token, { kind: "add" }>;
        if (a.id !== fork.id) fail(`${nodeOf(a)} closes another skip than the one ${where} opened`);
        projs.push(fork.proj);
      }
      blocks.push({ units: refs.map(convSpec), refs, form, skip: mode, projs, inShape: refs[0].inShape, relus: rs });
    }
  }
  if (hint && source !== "one-unit skips" && blocks.length !== hint) fail(`read ${blocks.length} blocks of ${K} convolutions, the file's metadata (tailor.skip_modes) lists ${hint}`);

  // names: stage s, block b within it (a new stage where the channel count changes), as the builders name them
  const specs: BlockSpec[] = [];
  let stage = -1;
  let inStage = 0;
  let prevOut = -1;
  for (const b of blocks) {
    const out = b.units[b.units.length - 1].out;
    if (out !== prevOut) {
      stage++;
      inStage = 0;
    }
    prevOut = out;
    const bname = `s${stage}b${inStage++}`;
    const stride = b.units.reduce((p, u) => p * u.stride, 1);
    const spec: BlockSpec = { name: bname, units: b.units, form: b.form, skip: b.skip };
    b.refs.forEach((u, j) => convs.push({ prefix: `${bname}.u${j}`, ref: u }));
    for (const [layer, node] of b.relus) relus.push({ layer: `${bname}.${layer}`, node });
    const checkProj = (p: ConvRef, s: number, shape: Shape) => {
      if (p.kernel !== 1 || p.stride !== s || p.padding === "same" || p.out !== shape.c) fail(`${describeNode(p.conv)}: a projection ${p.kernel}x${p.kernel}, stride ${p.stride}, ${p.out} channels; expected a 1x1 conv, stride ${s}, ${shape.c} channels, no padding (block ${bname})`);
    };
    if (b.skip === "long") {
      const p = b.projs[0];
      const outShape = b.refs[b.refs.length - 1].outShape;
      const changes = !sameShape(b.inShape, outShape);
      if (p) {
        checkProj(p, stride, outShape);
        if (!changes) spec.shortcut = "projection";
        convs.push({ prefix: `${bname}.proj`, ref: p });
      } else if (changes) fail(`block ${bname}: an identity skip from [${Object.values(b.inShape)}] to [${Object.values(outShape)}]; expected a projection where the shape changes`);
    } else if (b.skip === "shortened") {
      b.refs.forEach((u, j) => {
        const p = b.projs[j];
        const changes = !sameShape(u.inShape, u.outShape);
        if (!!p !== changes) fail(`block ${bname}, convolution ${j}: ${p ? "a projection where the shape does not change" : "an identity skip where the shape changes"}; a shortened skip has a 1x1 projection exactly where its convolution changes the shape`);
        if (!p) return;
        checkProj(p, u.stride, u.outShape);
        // the first short skip of a basic block shares the long projection's weights and name (src/net/graph.ts)
        const longLike = j === 0 && u.stride === stride && u.out === b.units[b.units.length - 1].out;
        convs.push({ prefix: longLike ? `${bname}.proj` : `${bname}.u${j}.proj`, ref: p });
      });
    }
    specs.push(spec);
  }
  const dense = (d as Extract<Token, { kind: "dense" }>).dense;
  const net: NetSpec = {
    name,
    dims: 2,
    input: { channels: walk.input.channels, height: walk.input.height, width: walk.input.width },
    stem,
    blocks: specs,
    head: { kind: "gap-dense", classes: dense.cout },
  };
  relus.push({ layer: "head.relu", node: (r as Extract<Token, { kind: "relu" }>).node });
  return { net, convs, relus, dense, unitsPerBlock: K, source };
}
