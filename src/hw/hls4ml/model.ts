/** hls4ml io_stream cost of a network: design, FIFO depths (default or simulated), resources, latency. */
import type { LayerGraph } from "../../net/graph.js";
import { PARTS, validateHls4mlConfig, Hls4mlConfigError, type Hls4mlConfig } from "./config.js";
import { buildDesign, type AppliedOptimisations, type Design } from "./design.js";
import type { StorageKind } from "./memory.js";
import { addRes, processResources, streamResources, zero, type Resources } from "./resources.js";
import { simulate, type SimResult } from "./simulate.js";

export interface StreamCost extends Resources {
  name: string;
  depth: number;
  width: number;
  storage: StorageKind;
  skip: boolean;
  block?: string;
}

export interface ProcessCost extends Resources {
  name: string;
  kind: string;
  rf: number;
}

export interface Hls4mlReport {
  network: string;
  config: Hls4mlConfig;
  processes: ProcessCost[];
  streams: StreamCost[];
  totals: Resources & { latencyCycles: number; intervalCycles: number; latencyUs: number };
  /** fraction of the part's resources */
  utilisation: { bram18: number; lut: number; ff: number; dsp: number };
  /** resources of the FIFOs, and of the skip copy FIFOs alone */
  fifo: Resources;
  skipFifo: Resources;
  /** the flow's optimisations as configured, and how often each applied to this design */
  optimisations: { bnFusion: boolean; reluMerge: boolean; shortImpl: Hls4mlConfig["shortImpl"]; applied: AppliedOptimisations };
  /** what a designer must know: reuse factors hls4ml would change, ignored overrides, resources above the part */
  warnings: string[];
}

/**
 * The schedule depends only on the network, the shortened-skip build and the reuse factors, so callers sweeping
 * bit widths, strategies, FIFO policies or parts share it; the design (its stream widths) also depends on the bits.
 */
export type SimCache = Map<string, SimResult | Design>;

/** Everything the schedule depends on: the structure, strategy, reuse factors, padding rule and wrapper (not bit widths, FIFO policy, part). */
function scheduleKey(g: LayerGraph, c: Hls4mlConfig): string {
  return [g.net.name, g.net.blocks.map((b) => `${b.form}:${b.skip}`).join(","), c.bnFusion, c.reluMerge, c.shortImpl, c.zeroPad, c.wrapper, c.strategy, c.reuseFactor, JSON.stringify(c.layerReuse ?? {})].join("|");
}

/**
 * FIFO depths under either policy, and the schedule. One simulation with unbounded FIFOs serves both: the default
 * depth (the whole map) can never fill, and with depth = max occupancy + 1 the unbounded schedule stays feasible
 * (a write never finds its FIFO full), so the bounded design runs the same schedule, with the same latency. The
 * tests check that claim against the bounded simulation.
 */
export function fifoDepths(d: Design, c: Hls4mlConfig, sim: SimResult = simulate(d, d.streams.map(() => Infinity))): { depths: number[]; sim: SimResult } {
  // hls4ml's default depth is the whole feature map, H x W words (StreamVariableConverter); the optimisation pass
  // sets max occupancy + 1 (fifo_depth_optimization.py)
  // The network's input and output variables are left out of the optimisation (fifo_depth_optimization.py, v1.3.0
  // ef92ebd: vars_to_profile excludes get_input_variables()[0] and get_output_variables()[0]) and keep their default
  // depth: for io_stream the VivadoAccelerator wrapper (vivado_accelerator_writer.py, myproject_axi.cpp) copies the
  // AXI stream into an in_local stream of that depth inside its DATAFLOW region, concurrently with the network
  // (the model's input process, one pixel a cycle), and collects out_local the same way.
  const io = (s: Design["streams"][number]) => d.processes[s.from].kind === "input" || d.processes[s.to].kind === "output";
  const depths = c.fifoDepth === "default" ? d.streams.map((s) => s.pixels) : sim.maxOccupancy.map((m, i) => (io(d.streams[i]) ? d.streams[i].pixels : m + 1));
  return { depths, sim };
}

/**
 * `unbounded`: how to get the design's unbounded-FIFO schedule, simulate() by default; a search over many related
 * designs passes a SharedSchedule's (shared-schedule.ts), which returns the same result.
 */
export function hls4mlCost(g: LayerGraph, config: Hls4mlConfig, cache?: SimCache, unbounded: (d: Design) => SimResult = (d) => simulate(d, d.streams.map(() => Infinity))): Hls4mlReport {
  const c = validateHls4mlConfig(config);
  if (g.net.dims !== 2) throw new Hls4mlConfigError(`hls4ml model: ${g.net.name} is a 1D network; only 2D networks are modelled`);
  const key = scheduleKey(g, c);
  // Bit widths change only the streams' widths: without per-layer precisions every stream is actBits wide, so one
  // design serves every precision of a sweep (the widths are applied below); with them, the design is built per config.
  const uniform = Object.keys(c.layerActBits ?? {}).length === 0;
  const dKey = uniform ? `${key}|design` : `${key}|${c.actBits}|${JSON.stringify(c.layerActBits)}`;
  let d = cache?.get(dKey) as Design | undefined;
  if (!d) {
    d = buildDesign(g, c);
    cache?.set(dKey, d);
  }
  let schedule = cache?.get(key) as SimResult | undefined;
  if (!schedule) {
    schedule = unbounded(d);
    cache?.set(key, schedule);
  }
  const { depths, sim } = fifoDepths(d, c, schedule);
  if (sim.deadlock) throw new Error(`hls4ml model: the design deadlocks with these FIFO depths: ${sim.blockedOn.join(", ")}`);
  const processes: ProcessCost[] = d.processes.map((p) => ({ name: p.name, kind: p.kind, rf: p.rf, ...strip(processResources(p, c)) }));
  const streams: StreamCost[] = d.streams.map((s) => {
    const width = uniform ? s.channels * c.actBits : s.width;
    const r = streamResources(uniform ? { ...s, width } : s, depths[s.id], c);
    return { name: s.name, depth: depths[s.id], width, storage: r.storage.kind, skip: s.skip, block: s.block, bram18: r.bram18, lut: r.lut, ff: r.ff, dsp: 0 };
  });
  const sum = (xs: Resources[]) => xs.reduce(addRes, zero());
  const fifo = sum(streams);
  const totals = addRes(sum(processes), fifo);
  const part = PARTS[c.part];
  const utilisation = { bram18: totals.bram18 / part.bram18, lut: totals.lut / part.lut, ff: totals.ff / part.ff, dsp: totals.dsp / part.dsp };
  const over = (Object.keys(utilisation) as (keyof typeof utilisation)[]).filter((k) => utilisation[k] > 1);
  const warnings = [...d.warnings];
  if (over.length) {
    const avail = { bram18: part.bram18, lut: part.lut, ff: part.ff, dsp: part.dsp };
    warnings.push(`does not fit ${part.name}: ${over.map((k) => `${k === "bram18" ? "BRAM18" : k.toUpperCase()} ${Math.round(totals[k])} of ${avail[k]} (${(100 * utilisation[k]).toFixed(0)}%)`).join(", ")}`);
  }
  return {
    network: g.net.name,
    config: c,
    processes,
    streams,
    totals: { ...totals, latencyCycles: sim.latency, intervalCycles: sim.interval, latencyUs: sim.latency / c.clockMHz },
    utilisation,
    fifo,
    skipFifo: sum(streams.filter((s) => s.skip)),
    optimisations: { bnFusion: c.bnFusion, reluMerge: c.reluMerge, shortImpl: c.shortImpl, applied: d.applied },
    warnings,
  };
}

function strip(r: Resources): Resources {
  return { bram18: r.bram18, lut: r.lut, ff: r.ff, dsp: r.dsp };
}
