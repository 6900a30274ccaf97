/**
 * The hls4ml model against public synthesis results (data/published/hls4ml-tutorial-cnn.json): the tutorial's CNN
 * is an ordinary NetSpec (publishedNetSpec), lowered and built by the same lower() and buildDesign() as every design
 * of the claims, and every stream, FIFO total, process and the latency is set beside the report's figure. Nothing here is fitted: the
 * model's constants are the documented ones (config.ts, memory.ts, resources.ts).
 *
 * Two reports of the same design differ: the HLS estimate (csynth) and Vivado's logic synthesis. Synthesis moves
 * small memories out of block RAM; the model's storage rule (srlMaxBits, UG1399) describes the synthesised design,
 * so its BRAM is compared with the synthesis count, less the BRAM of processes the model does not cover (softmax).
 */
import { DEFAULT_HLS4ML, type Hls4mlConfig } from "../hw/hls4ml/config.js";
import { buildDesign, type Design } from "../hw/hls4ml/design.js";
import { lower } from "../net/graph.js";
import type { ConvSpec, NetSpec } from "../net/types.js";
import { processResources, streamResources } from "../hw/hls4ml/resources.js";
import { simulate } from "../hw/hls4ml/simulate.js";
import type { Csynth, VivadoSynth } from "./hls-reports.js";

export interface PublishedLayer {
  /** hls4ml's layer number: the report's layer<index>_out stream and config<index> instance */
  index: number;
  kind: "conv" | "relu" | "maxpool" | "dense" | "batchnorm" | "softmax";
  k?: number;
  out?: number;
  /** this layer's weight bits where they differ from the design's */
  weightBits?: number;
}

export interface PublishedDesign {
  name: string;
  note: string;
  reports: string[];
  hls4ml: { ioType: string; reuseFactor: number; strategy: "Latency" | "Resource"; weightBits: number; fifoDepth: "default" | "optimised"; weightDensity: number };
  input: { h: number; w: number; c: number; bits: number };
  layers: PublishedLayer[];
  csynth: Csynth;
  synth: VivadoSynth;
}

export interface PublishedSet {
  source: { repository: string; commit: string; notebook: string; part: string; clockNs: number; extractedBy: string };
  designs: PublishedDesign[];
}

export interface StreamCheck {
  design: string;
  stream: string;
  tensor: string;
  bits: number;
  observed: { fifos: number; depth: number; bram18: number; ff: number };
  model: { fifos: number; depth: number; storage: string; bram18: number; ff: number };
}

export interface ProcessCheck {
  design: string;
  instance: string;
  kind: string;
  observed: { dsp: number; ff: number; lut: number; latency?: number };
  model: { dsp: number; ff: number; lut: number };
}

export interface TotalCheck {
  design: string;
  quantity: string;
  observed: number;
  model: number;
  /** (model - observed) / observed, in % */
  errorPct: number;
  note: string;
}

export interface PublishedComparison {
  streams: StreamCheck[];
  processes: ProcessCheck[];
  totals: TotalCheck[];
}

/**
 * The model's configuration for a published design: the tutorial's settings, every other constant at its default.
 * `bnFusion` is off because the published layer list names only the BatchNormalization layers hls4ml kept (it does
 * not fuse a BN into a layer with quantized weights: bn_fuse.py, v0.6.0 lines 5-8), and the NetSpec carries only
 * those: the ones it fused are already part of their conv or dense.
 */
export function publishedConfig(d: PublishedDesign, actBits: number): Hls4mlConfig {
  return {
    ...DEFAULT_HLS4ML,
    weightBits: d.hls4ml.weightBits,
    actBits,
    accBits: 16,
    reuseFactor: d.hls4ml.reuseFactor,
    strategy: d.hls4ml.strategy,
    fifoDepth: d.hls4ml.fifoDepth,
    fifoLayout: "per-channel",
    weightDensity: d.hls4ml.weightDensity,
    bnFusion: false,
    // the reports are of hls4ml's top function (myproject), its input an hls::stream port
    wrapper: "none",
    part: "xcu250",
  };
}

/**
 * The published network as an ordinary NetSpec (a CNN: conv stages, a flatten-dense head), with the name of the
 * model's layer for each hls4ml layer index. The tutorial's convs are Keras "valid", its pools 2x2 MaxPooling2D; the
 * last dense feeds the softmax, which the model leaves out (the design's output).
 */
export function publishedNetSpec(d: PublishedDesign): { net: NetSpec; names: Map<number, string> } {
  const names = new Map<number, string>();
  const convs: ConvSpec[] = [];
  const dense: { out: number; bn: boolean; index: number; relu?: number; bnIndex?: number }[] = [];
  const fail = (l: PublishedLayer, why: string) => new Error(`${d.name}: layer ${l.index} (${l.kind}): ${why}`);
  let last: PublishedLayer | undefined;
  for (const l of d.layers) {
    const conv = convs.length ? convs[convs.length - 1] : undefined;
    const prefix = `stem${convs.length - 1}`;
    if (l.kind === "conv") {
      if (dense.length) throw fail(l, "a conv after a dense layer is not a CNN of conv stages and a flatten-dense head");
      convs.push({ kernel: l.k!, stride: 1, out: l.out!, padding: "valid", bn: false });
      names.set(l.index, `stem${convs.length - 1}.conv`);
    } else if (l.kind === "dense") {
      dense.push({ out: l.out!, bn: false, index: l.index });
    } else if (l.kind === "batchnorm") {
      if (last?.kind === "conv") {
        conv!.bn = true;
        names.set(l.index, `${prefix}.bn`);
      } else if (last?.kind === "dense") {
        dense[dense.length - 1].bn = true;
        dense[dense.length - 1].bnIndex = l.index;
      } else throw fail(l, "a batch norm must follow a conv or a dense layer");
    } else if (l.kind === "relu") {
      if (dense.length) dense[dense.length - 1].relu = l.index;
      else if (conv) names.set(l.index, `${prefix}.relu`);
      else throw fail(l, "a ReLU must follow a conv or a dense layer");
    } else if (l.kind === "maxpool") {
      if (!conv || dense.length || last?.kind !== "relu") throw fail(l, "a max pool must follow a conv stage's ReLU");
      conv.pool = { kernel: l.k!, stride: l.k!, padding: "valid" };
      names.set(l.index, `${prefix}.pool`);
    } else if (l.kind === "softmax") {
      if (last?.kind !== "dense") throw fail(l, "the softmax must follow the last dense layer");
    }
    last = l;
  }
  if (!convs.length || !dense.length) throw new Error(`${d.name}: expected conv stages and a dense head`);
  const hidden = dense.slice(0, -1);
  hidden.forEach((x, i) => {
    if (x.relu === undefined) throw new Error(`${d.name}: dense layer ${x.index} has no ReLU after it; a hidden dense layer is dense, batch norm, ReLU`);
    names.set(x.index, `head.fc${i}`);
    if (x.bnIndex !== undefined) names.set(x.bnIndex, `head.fc${i}.bn`);
    names.set(x.relu, `head.fc${i}.relu`);
  });
  const head = dense[dense.length - 1];
  if (head.relu !== undefined || head.bn) throw new Error(`${d.name}: the last dense layer ${head.index} must feed the softmax directly`);
  names.set(head.index, "head.fc");
  const net: NetSpec = {
    name: d.name,
    dims: 2,
    input: { channels: d.input.c, height: d.input.h, width: d.input.w },
    stem: { convs },
    blocks: [],
    head: { kind: "flatten-dense", hidden: hidden.map((x) => ({ out: x.out, bn: x.bn })), classes: head.out },
  };
  return { net, names };
}

interface Built {
  design: Design;
  /** layer index -> process id, and the shape of the layer's output */
  procOf: Map<number, number>;
  shapeOf: Map<number, { h: number; w: number; c: number }>;
}

/**
 * The design of a published network, built as every design of the claims is: its NetSpec lowered (lower) and built
 * by buildDesign with the tutorial's configuration and the per-layer result precisions the report gives its streams.
 */
export function buildPublishedDesign(d: PublishedDesign): Built {
  const { net, names } = publishedNetSpec(d);
  const layerActBits: Record<string, number> = { input: d.input.bits };
  for (const s of d.csynth.streams) {
    const index = Number(s.name.match(/^layer(\d+)_out$/)?.[1]);
    const name = names.get(index);
    if (name === undefined) throw new Error(`${d.name}: report stream ${s.name} has no layer ${index} in the published network`);
    layerActBits[name] = s.bits;
  }
  const g = lower(net);
  const design = buildDesign(g, { ...publishedConfig(d, d.input.bits), layerActBits });
  if (design.warnings.length) throw new Error(`${d.name}: ${design.warnings.join("; ")}`);
  const procOf = new Map<number, number>();
  const shapeOf = new Map<number, { h: number; w: number; c: number }>();
  const byName = new Map(design.processes.map((p) => [p.name, p.id]));
  const layerByName = new Map(g.layers.map((l) => [l.name, l]));
  for (const [index, name] of names) {
    const pid = byName.get(name);
    if (pid !== undefined) procOf.set(index, pid);
    shapeOf.set(index, layerByName.get(name)!.shape);
  }
  return { design, procOf, shapeOf };
}

/** the FIFO shapes (depth x bits) the HLS estimate puts in BRAM and the model, like synthesis, does not */
function movedToLuts(rows: StreamCheck[]): string {
  const shapes = new Set(rows.filter((s) => s.observed.bram18 > 0 && s.model.storage === "srl").map((s) => `${s.observed.depth} x ${s.bits} bits`));
  return shapes.size ? [...shapes].join(", ") : "none";
}

/** (model - observed) / observed in %; Infinity where only the model is non-zero */
export const errorPct = (model: number, observed: number) => (observed === 0 ? (model === 0 ? 0 : Infinity) : (100 * (model - observed)) / observed);

export function comparePublished(set: PublishedSet): PublishedComparison {
  const streams: StreamCheck[] = [];
  const processes: ProcessCheck[] = [];
  const totals: TotalCheck[] = [];
  for (const d of set.designs) {
    const { design, procOf, shapeOf } = buildPublishedDesign(d);
    const depths = design.streams.map((s) => s.pixels);
    // streams: the report lists every FIFO between two layers (the input and output ports are not FIFOs)
    let fifoBram = 0;
    let fifoFf = 0;
    let packedBram = 0;
    for (const obs of d.csynth.streams) {
      const index = Number(obs.name.match(/^layer(\d+)_out$/)?.[1]);
      const pid = procOf.get(index);
      if (pid === undefined) throw new Error(`${d.name}: report stream ${obs.name} has no layer ${index} in the published network`);
      const s = design.streams[design.processes[pid].outputs[0]];
      const bits = s.width / s.channels;
      const r = streamResources(s, depths[s.id], publishedConfig(d, bits));
      fifoBram += r.bram18;
      packedBram += streamResources(s, depths[s.id], { ...publishedConfig(d, bits), fifoLayout: "packed" }).bram18;
      fifoFf += r.ff;
      const out = shapeOf.get(index)!;
      streams.push({
        design: d.name,
        stream: obs.name,
        tensor: `${out.h}x${out.w}x${out.c}`,
        bits: obs.bits,
        observed: { fifos: obs.fifos, depth: obs.depth, bram18: obs.fifos * obs.bram18, ff: obs.fifos * obs.ff },
        model: { fifos: s.channels, depth: depths[s.id], storage: r.storage.kind, bram18: r.bram18, ff: r.ff },
      });
    }
    const unmodelledBram = d.csynth.instances.filter((i) => /^softmax/.test(i.name)).reduce((a, i) => a + i.bram18, 0);
    const synthFifoBram = d.synth.ramb18 + 2 * d.synth.ramb36 - unmodelledBram;
    totals.push(
      { design: d.name, quantity: "FIFO BRAM18 (synthesis)", observed: synthFifoBram, model: fifoBram, errorPct: errorPct(fifoBram, synthFifoBram), note: `Vivado RAMB18 ${d.synth.ramb18} + 2 x RAMB36 ${d.synth.ramb36}, less the softmax's ${unmodelledBram} (its tables, not modelled)` },
      { design: d.name, quantity: "FIFO BRAM18 (synthesis), packed layout", observed: synthFifoBram, model: packedBram, errorPct: errorPct(packedBram, synthFifoBram), note: "the same streams as one FIFO C x b bits wide each: the layout these reports rule out" },
      { design: d.name, quantity: "FIFO BRAM18 (HLS estimate)", observed: d.csynth.fifo.bram18, model: fifoBram, errorPct: errorPct(fifoBram, d.csynth.fifo.bram18), note: `the HLS estimate keeps in BRAM FIFOs that synthesis moves to LUTs (${movedToLuts(streams.filter((x) => x.design === d.name))})` },
      { design: d.name, quantity: "FIFO FF (HLS estimate)", observed: d.csynth.fifo.ff, model: fifoFf, errorPct: errorPct(fifoFf, d.csynth.fifo.ff), note: "model: read and write pointers per FIFO, plus the output register of a BRAM FIFO" },
    );
    // processes the model covers
    for (const inst of d.csynth.instances) {
      const index = Number(inst.name.match(/config(\d+)_U0$/)?.[1]);
      const l = d.layers.find((x) => x.index === index);
      if (!l || l.kind === "softmax" || l.kind === "batchnorm") continue;
      const p = design.processes[procOf.get(index)!];
      const inBits = design.streams[p.inputs[0]].width / design.streams[p.inputs[0]].channels;
      const r = processResources(p, { ...publishedConfig(d, inBits), weightBits: l.weightBits ?? d.hls4ml.weightBits });
      processes.push({
        design: d.name,
        instance: inst.name.replace(/_U0$/, ""),
        kind: l.kind,
        observed: { dsp: inst.dsp, ff: inst.ff, lut: inst.lut, latency: inst.latencyCycles },
        model: { dsp: r.dsp, ff: r.ff, lut: r.lut },
      });
    }
    const sim = simulate(design, depths);
    totals.push(
      { design: d.name, quantity: "latency (cycles)", observed: d.csynth.latencyCycles, model: sim.latency, errorPct: errorPct(sim.latency, d.csynth.latencyCycles), note: "top-level dataflow latency, csynth" },
      { design: d.name, quantity: "interval (cycles)", observed: d.csynth.intervalCycles, model: sim.interval, errorPct: errorPct(sim.interval, d.csynth.intervalCycles), note: "top-level dataflow interval, csynth" },
    );
    const sum = (f: (x: ProcessCheck) => number) => processes.filter((x) => x.design === d.name).reduce((a, x) => a + f(x), 0);
    for (const q of ["dsp", "ff", "lut"] as const) {
      const o = sum((x) => x.observed[q]);
      const m = sum((x) => x.model[q]);
      totals.push({ design: d.name, quantity: `${q.toUpperCase()} of conv, pool, ReLU, dense (HLS estimate)`, observed: o, model: m, errorPct: errorPct(m, o), note: `weight density ${d.hls4ml.weightDensity}` });
    }
  }
  return { streams, processes, totals };
}
