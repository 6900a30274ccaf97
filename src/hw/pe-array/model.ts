/**
 * Layer-by-layer cost of a network on a 2D PE array (SCALE-Sim's analytical form, Samajdar et al. 2020):
 * compute cycles from the im2col mapping's folds, DRAM traffic from the tensors each layer reads and writes,
 * time per layer = max(compute, memory) (double buffering). BN and ReLU are folded into the conv; pooling runs in
 * the conv's output stage. Skips: a long skip's tensor must be in DRAM when its add runs (written once, read by
 * the add); a shortened skip adds the conv's own input, which is in the input buffer.
 */
import type { Layer, LayerGraph } from "../../net/graph.js";
import { validatePeArrayConfig, PeArrayConfigError, type PeArrayConfig } from "./config.js";

interface Tensor {
  id: number;
  elements: number;
  producer: number; // op index, -1 for the network input
}

interface ConvOp {
  kind: "conv";
  name: string;
  input: number;
  output: number;
  k: number;
  cin: number;
  cout: number;
  groups: number;
  pixels: number;
  macs: number;
  weights: number;
  /** the skip tensor this conv adds in its output stage (fused add), if any */
  skip?: { tensor: number; short: boolean };
  /** a projection computed from the same input tile as the conv it sits beside (shortened skip) */
  onChipInput?: boolean;
  onChipOutput?: boolean;
}

interface AddOp {
  kind: "add";
  name: string;
  a: number;
  b: number;
  output: number;
  short: boolean;
}

type Op = ConvOp | AddOp;

export interface PeLayerCost {
  name: string;
  kind: "conv" | "add";
  macs: number;
  computeCycles: number;
  memoryCycles: number;
  cycles: number;
  utilisation: number;
  bytes: { ifmap: number; weights: number; ofmap: number; skip: number; total: number };
}

export interface PeArrayReport {
  network: string;
  config: PeArrayConfig;
  layers: PeLayerCost[];
  totals: {
    cycles: number;
    computeCycles: number;
    inferencesPerSecond: number;
    latencyMs: number;
    macs: number;
    utilisation: number;
    dramBytes: number;
    skipBytes: number;
    averageBandwidthGBs: number;
    peakBandwidthGBs: number;
    memoryBoundLayers: number;
  };
}

/** Turn the layer graph into the array's ops: convs (BN, ReLU, pooling fused) and, if separate, add passes. */
function lowerToOps(g: LayerGraph, c: PeArrayConfig): { ops: Op[]; tensors: Tensor[] } {
  const tensors: Tensor[] = [];
  const ops: Op[] = [];
  const tensorOf = new Map<number, number>();
  const newTensor = (l: Layer, producer: number) => {
    tensors.push({ id: tensors.length, elements: l.shape.c * l.shape.h * l.shape.w, producer });
    return tensors.length - 1;
  };
  const convOf = new Map<number, ConvOp>(); // tensor -> the conv that produced it
  for (const l of g.layers) {
    switch (l.op) {
      case "input":
        tensorOf.set(l.id, newTensor(l, -1));
        break;
      case "conv":
      case "dense": {
        const input = tensorOf.get(l.inputs[0])!;
        const out = newTensor(l, ops.length);
        const conv: ConvOp =
          l.op === "conv"
            ? {
                kind: "conv",
                name: l.name,
                input,
                output: out,
                k: l.kernel[0] * l.kernel[1],
                cin: l.cin,
                cout: l.cout,
                groups: l.groups,
                pixels: l.shape.h * l.shape.w,
                macs: l.shape.h * l.shape.w * l.cout * (l.cin / l.groups) * l.kernel[0] * l.kernel[1],
                weights: l.kernel[0] * l.kernel[1] * (l.cin / l.groups) * l.cout,
              }
            : { kind: "conv", name: l.name, input, output: out, k: 1, cin: l.cin, cout: l.cout, groups: 1, pixels: 1, macs: l.cin * l.cout, weights: l.cin * l.cout };
        ops.push(conv);
        convOf.set(out, conv);
        tensorOf.set(l.id, out);
        break;
      }
      case "bn":
      case "relu":
      case "flatten": // a view of the same tensor
        tensorOf.set(l.id, tensorOf.get(l.inputs[0])!);
        break;
      case "maxpool":
      case "gap": {
        // pooled in the producing conv's output stage: the tensor written is the pooled one
        const t = tensorOf.get(l.inputs[0])!;
        tensors[t].elements = l.shape.c * l.shape.h * l.shape.w;
        tensorOf.set(l.id, t);
        break;
      }
      case "add": {
        const main = tensorOf.get(l.inputs[0])!;
        const skip = tensorOf.get(l.inputs[1])!;
        const producer = convOf.get(main)!;
        const skipConv = convOf.get(skip);
        // short: the skip is the main conv's own input, or a projection of that input
        const projection = skipConv !== undefined && skipConv.input === producer.input ? skipConv : undefined;
        const short = skip === producer.input || projection !== undefined;
        if (projection && c.addMode === "fused") {
          // computed from the input tile the main conv holds, consumed by its output stage: never leaves the chip
          projection.onChipInput = true;
          projection.onChipOutput = true;
        }
        if (c.addMode === "fused") {
          producer.skip = { tensor: skip, short };
          tensorOf.set(l.id, main);
        } else {
          const out = newTensor(l, ops.length);
          ops.push({ kind: "add", name: l.name, a: main, b: skip, output: out, short });
          tensorOf.set(l.id, out);
        }
        break;
      }
    }
  }
  return { ops, tensors };
}

/**
 * SCALE-Sim's fold formulas. Output stationary: folds x (T + R + C - 2) cycles: in scale-sim-v2
 * (scalesim/compute/systolic_compute_os.py) a fold's demand matrix has T rows, C - 1 drain rows, and is skewed by
 * R - 1 rows for the pipeline fill. Weight stationary: folds x (T + 2R + C - 2): systolic_compute_ws.py
 * (commit a47e96e, create_ifmap_demand_mat) also prefixes each fold with R rows while the R weight rows load
 * (inter_fold_gap_prefix = arr_row), then T input rows, C - 1 drain rows, and the R - 1 skew.
 */
export function convComputeCycles(op: { k: number; cin: number; cout: number; groups: number; pixels: number }, c: Pick<PeArrayConfig, "rows" | "cols" | "dataflow"> & { lanes?: number }): number {
  const window = op.k * (op.cin / op.groups);
  const coutPerGroup = op.cout / op.groups;
  const lanes = c.lanes ?? 1;
  if (c.dataflow === "os") {
    // rows <- output pixels, columns <- filters, time <- window (lanes products per PE per cycle)
    return op.groups * Math.ceil(op.pixels / c.rows) * Math.ceil(coutPerGroup / c.cols) * (Math.ceil(window / lanes) + c.rows + c.cols - 2);
  }
  // weight stationary: rows <- window (lanes per row), columns <- filters, time <- output pixels; R cycles of
  // weight load per fold
  return op.groups * Math.ceil(window / (c.rows * lanes)) * Math.ceil(coutPerGroup / c.cols) * (op.pixels + 2 * c.rows + c.cols - 2);
}

/** DRAM bytes of a layer's input and weights, re-fetching the cheaper operand when neither fits (loop tiling). */
export function operandTraffic(inputBytes: number, weightBytes: number, c: PeArrayConfig): { ifmap: number; weights: number } {
  const inFits = inputBytes <= c.ifmapBufferBytes;
  const wFits = weightBytes <= c.filterBufferBytes;
  if (inFits || wFits) return { ifmap: inputBytes, weights: weightBytes };
  const keepWeights = { ifmap: inputBytes * Math.ceil(weightBytes / c.filterBufferBytes), weights: weightBytes };
  const keepInput = { ifmap: inputBytes, weights: weightBytes * Math.ceil(inputBytes / c.ifmapBufferBytes) };
  return keepWeights.ifmap + keepWeights.weights <= keepInput.ifmap + keepInput.weights ? keepWeights : keepInput;
}

export function peArrayCost(g: LayerGraph, config: PeArrayConfig): PeArrayReport {
  const c = validatePeArrayConfig(config);
  const actB = c.actBits / 8;
  const wB = c.weightBits / 8;
  const { ops, tensors } = lowerToOps(g, c);
  for (const op of ops) {
    if (op.kind !== "conv") continue;
    const window = op.k * (op.cin / op.groups);
    if (window * actB > c.ifmapBufferBytes) throw new PeArrayConfigError(`pe-array config: ifmapBufferBytes ${c.ifmapBufferBytes} cannot hold one ${window}-element window of ${op.name}`);
    if (window * wB > c.filterBufferBytes) throw new PeArrayConfigError(`pe-array config: filterBufferBytes ${c.filterBufferBytes} cannot hold one filter of ${op.name} (${window * wB} bytes)`);
    if (c.rows * c.cols * actB > c.ofmapBufferBytes) throw new PeArrayConfigError(`pe-array config: ofmapBufferBytes ${c.ofmapBufferBytes} cannot hold one ${c.rows}x${c.cols} output fold`);
  }
  // who reads each tensor from DRAM
  const readers = tensors.map(() => [] as number[]);
  ops.forEach((op, i) => {
    if (op.kind === "conv") {
      if (!op.onChipInput) readers[op.input].push(i);
      if (op.skip && !op.skip.short) readers[op.skip.tensor].push(i);
    } else {
      // a separate add pass reads both operands back, even a short skip's (the conv's input is gone by then)
      readers[op.a].push(i);
      readers[op.b].push(i);
    }
  });
  const output = tensors.length - 1;
  // a tensor stays on chip when only the next op reads it and it fits the buffers
  const onChip = tensors.map((t, id) => {
    if (id === output || t.producer < 0 || !c.keepOnChip) return false;
    const r = readers[id];
    const bytes = t.elements * actB;
    return r.length === 1 && r[0] === t.producer + 1 && bytes <= Math.min(c.ofmapBufferBytes, c.ifmapBufferBytes);
  });
  ops.forEach((op) => {
    if (op.kind === "conv" && op.onChipOutput) onChip[op.output] = true;
  });
  const layers: PeLayerCost[] = ops.map((op) => {
    if (op.kind === "conv") {
      const inBytes = onChip[op.input] || op.onChipInput ? 0 : tensors[op.input].elements * actB;
      const t = operandTraffic(inBytes, op.weights * wB, c);
      const ofmap = onChip[op.output] ? 0 : tensors[op.output].elements * actB;
      const skip = op.skip && !op.skip.short ? tensors[op.skip.tensor].elements * actB : 0;
      const total = t.ifmap + t.weights + ofmap + skip;
      const computeCycles = convComputeCycles(op, c);
      const memoryCycles = total / c.dramBytesPerCycle;
      return {
        name: op.name,
        kind: "conv",
        macs: op.macs,
        computeCycles,
        memoryCycles,
        cycles: Math.max(computeCycles, memoryCycles),
        utilisation: op.macs / (c.rows * c.cols * c.lanes * computeCycles),
        bytes: { ifmap: t.ifmap, weights: t.weights, ofmap, skip, total },
      };
    }
    const n = tensors[op.a].elements;
    const ifmap = onChip[op.a] ? 0 : n * actB;
    const skip = tensors[op.b].elements * actB;
    const ofmap = onChip[op.output] ? 0 : tensors[op.output].elements * actB;
    const total = ifmap + skip + ofmap;
    const computeCycles = Math.ceil(n / c.addLanes);
    const memoryCycles = total / c.dramBytesPerCycle;
    return { name: op.name, kind: "add", macs: 0, computeCycles, memoryCycles, cycles: Math.max(computeCycles, memoryCycles), utilisation: 0, bytes: { ifmap, weights: 0, ofmap, skip, total } };
  });
  const cycles = layers.reduce((s, l) => s + l.cycles, 0);
  const computeCycles = layers.reduce((s, l) => s + l.computeCycles, 0);
  const macs = layers.reduce((s, l) => s + l.macs, 0);
  const dramBytes = layers.reduce((s, l) => s + l.bytes.total, 0);
  const hz = c.clockMHz * 1e6;
  const ips = hz / cycles;
  return {
    network: g.net.name,
    config: c,
    layers,
    totals: {
      cycles,
      computeCycles,
      inferencesPerSecond: ips,
      latencyMs: (cycles / hz) * 1e3,
      macs,
      utilisation: macs / (c.rows * c.cols * c.lanes * cycles),
      dramBytes,
      skipBytes: layers.reduce((s, l) => s + l.bytes.skip + (l.kind === "add" ? l.bytes.ifmap + l.bytes.ofmap : 0), 0),
      averageBandwidthGBs: (dramBytes * ips) / 1e9,
      peakBandwidthGBs: Math.max(...layers.map((l) => (l.bytes.total / l.cycles) * hz)) / 1e9,
      memoryBoundLayers: layers.filter((l) => l.memoryCycles > l.computeCycles).length,
    },
  };
}
