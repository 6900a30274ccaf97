/**
 * The hls4ml model against public synthesis results (data/published/hls4ml-tutorial-cnn.json): the tutorial's CNN
 * is rebuilt as the design hls4ml generates (one process per layer, one stream per edge, default FIFO depths), and
 * every stream, FIFO total, process and the latency is set beside the report's figure. Nothing here is fitted: the
 * model's constants are the documented ones (config.ts, memory.ts, resources.ts).
 *
 * Two reports of the same design differ: the HLS estimate (csynth) and Vivado's logic synthesis. Synthesis moves
 * small memories out of block RAM; the model's storage rule (srlMaxBits, UG1399) describes the synthesised design,
 * so its BRAM is compared with the synthesis count, less the BRAM of processes the model does not cover (softmax).
 */
import { DEFAULT_HLS4ML, type Hls4mlConfig } from "../hw/hls4ml/config.js";
import type { Design, Process, ProcessKind, Stream } from "../hw/hls4ml/design.js";
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

/** The model's configuration for a published design: the tutorial's settings, every other constant at its default. */
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
    part: "xcu250",
  };
}

interface Built {
  design: Design;
  /** layer index -> process id, and the shape of the layer's output */
  procOf: Map<number, number>;
  shapeOf: Map<number, { h: number; w: number; c: number }>;
}

/**
 * The design of a sequential network of published layers. A Dense reading an h x w x c stream (after Flatten) reads
 * h x w words and fires once: the same schedule and arithmetic as an h x w valid conv, which is how it is modelled.
 * BatchNormalization left unfused is an element-wise process (its timing; its resources are not modelled).
 */
export function buildPublishedDesign(d: PublishedDesign): Built {
  const streamBits = new Map(d.csynth.streams.map((s) => [Number(s.name.match(/^layer(\d+)_out$/)?.[1]), s.bits]));
  const processes: Process[] = [];
  const streams: Stream[] = [];
  const procOf = new Map<number, number>();
  const shapeOf = new Map<number, { h: number; w: number; c: number }>();
  let shape = { h: d.input.h, w: d.input.w, c: d.input.c };
  let bits = d.input.bits;
  const add = (name: string, kind: ProcessKind, geo: Partial<Process>) => {
    processes.push({ id: processes.length, name, kind, inputs: [], outputs: [], h: shape.h, w: shape.w, k: 1, stride: 1, pad: 0, cin: shape.c, cout: shape.c, rf: d.hls4ml.reuseFactor, role: "main", ...geo });
    return processes.length - 1;
  };
  const link = (from: number, to: number) => {
    const s: Stream = { id: streams.length, name: `${processes[from].name}->${processes[to].name}`, channels: shape.c, pixels: shape.h * shape.w, width: shape.c * bits, from, to, skip: false };
    streams.push(s);
    processes[from].outputs.push(s.id);
    processes[to].inputs.push(s.id);
  };
  let prev = add("input", "input", {});
  for (const l of d.layers) {
    const name = `layer${l.index}`;
    let id: number;
    if (l.kind === "softmax") {
      id = add(name, "output", {});
      link(prev, id);
    } else if (l.kind === "conv" || (l.kind === "dense" && shape.h * shape.w > 1)) {
      if (l.kind === "dense" && shape.h !== shape.w) throw new Error(`${d.name}: layer ${l.index}: a dense layer after a ${shape.h}x${shape.w} map is not modelled (square maps only)`);
      const k = l.kind === "conv" ? l.k! : shape.h;
      id = add(name, "conv", { k, cout: l.out! });
      link(prev, id);
      shape = { h: shape.h - k + 1, w: shape.w - k + 1, c: l.out! };
    } else if (l.kind === "dense") {
      id = add(name, "dense", { cout: l.out! });
      link(prev, id);
      shape = { h: 1, w: 1, c: l.out! };
    } else if (l.kind === "maxpool") {
      id = add(name, "maxpool", { k: l.k!, stride: l.k! });
      link(prev, id);
      shape = { h: Math.floor(shape.h / l.k!), w: Math.floor(shape.w / l.k!), c: shape.c };
    } else {
      id = add(name, "relu", {});
      link(prev, id);
    }
    procOf.set(l.index, id);
    shapeOf.set(l.index, shape);
    // the bits of this layer's output stream, as the report gives them
    bits = streamBits.get(l.index) ?? bits;
    prev = id;
  }
  return { design: { strategy: d.hls4ml.strategy, processes, streams, warnings: [], applied: { bnFused: 0, reluMerged: 0, shortSkipsFused: 0 } }, procOf, shapeOf };
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
