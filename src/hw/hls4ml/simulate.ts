/**
 * Token-level simulation of the dataflow design: every process fires as soon as its input tokens are there, its
 * previous firing is II cycles old, and its output FIFOs have room (the ASAP schedule of the bounded-FIFO
 * process network). It yields each stream's write and read times, hence its maximum occupancy, the latency and
 * the interval, and it detects deadlock (no process can fire, some are unfinished) when a FIFO is too shallow.
 * With unbounded FIFOs this is hls4ml's FIFO depth optimisation (vivado/passes/fifo_depth_optimization.py:
 * co-simulate with very deep FIFOs, then set each depth to its maximum occupancy + 1).
 */
import type { Strategy, Wrapper } from "./config.js";
import type { Design, Process } from "./design.js";

export interface SimResult {
  deadlock: boolean;
  /** when deadlocked: the streams that were full, with their depths */
  blockedOn: string[];
  latency: number;
  /** cycles between inferences: the busiest process's firings x II */
  interval: number;
  maxOccupancy: number[];
}

/**
 * Pipeline depth of a conv's multiply-accumulate: the adder tree's log2(K*K*C_in) levels plus three register
 * stages (multiplier output, tree input, result). The three is our assumption, not a documented figure; it shifts
 * latencies by a few cycles per layer and FIFO occupancies by less than a pixel.
 */
function pipelineDepth(p: Process): number {
  const n = p.k * p.k * Math.max(p.cin, 1);
  return Math.ceil(Math.log2(Math.max(n, 2))) + 3;
}

/** How a process fires: which firings read one token from every input, which write one to every output. */
const enum Fire {
  /** every firing reads and writes (relu, clone, add, dense) */
  Each,
  /** writes only (the input source) */
  Source,
  /** writes every firing, reads only for an interior pixel (zero padding) */
  Pad,
  /** reads every firing, writes when a valid, stride-aligned window completes (line-buffer conv, max pool) */
  Window,
  /** reads every firing, writes once at the end (global pooling) */
  Reduce,
  /** reads only (the output sink) */
  Sink,
}

export interface Pattern {
  fire: Fire;
  firings: number;
  ii: number;
  /** cycles of a firing that writes nothing (a Window step that completes no window): ii, or 1 */
  iiIdle: number;
  latency: number;
  /** row width of the firing grid, and the zero-pad (top, left, and the interior's end row and column) or window geometry */
  w: number;
  h: number;
  padTop: number;
  padLeft: number;
  rowEnd: number;
  colEnd: number;
  k: number;
  stride: number;
  /** a Source that writes every token when its last firing ends (the input loaded whole before the network starts) */
  whole: boolean;
}

export function pattern(p: Process, strategy: Strategy, wrapper: Wrapper): Pattern {
  const [pt, pb, pl, pr] = p.pads ?? [p.pad, p.pad, p.pad, p.pad];
  // the wrapper's copy loops move one value (one channel) per AXI beat (config.ts, Wrapper); without a wrapper the
  // top function's stream port carries a pixel a cycle
  const beats = wrapper === "none" ? 1 : Math.max(p.cin, 1);
  let fire = Fire.Each;
  let firings = p.h * p.w;
  let ii = 1;
  let iiIdle = 1;
  let latency = 1;
  let w = p.w;
  let whole = false;
  switch (p.kind) {
    case "input":
      fire = Fire.Source;
      ii = beats;
      whole = wrapper === "axi_master";
      break;
    case "zeropad":
      fire = Fire.Pad;
      firings = (p.h + pt + pb) * (p.w + pl + pr);
      w = p.w + pl + pr;
      break;
    case "conv":
      // One input pixel per firing. hls4ml's line-buffer conv (nnet_conv2d_stream.h, conv_2d_buffer_cl: the same
      // rule in v0.6.0, v0.7.0 and v1.3.0 at ef92ebd) pipelines its per-pixel loop at II = reuse factor only under
      // the Latency strategy; under Resource the loop is not pipelined, and a step runs the RF-cycle dense kernel
      // only when it completes a stride-aligned window (nnet_conv_stream.h, compute_output_buffer_2d); other steps
      // only shift the line buffer, about a cycle.
      fire = Fire.Window;
      ii = p.rf;
      iiIdle = strategy === "Resource" ? 1 : p.rf;
      latency = p.rf + pipelineDepth(p);
      break;
    case "maxpool":
      fire = Fire.Window;
      latency = 2;
      break;
    case "pool":
      fire = Fire.Reduce;
      latency = 2;
      break;
    case "dense":
      // after a Flatten a dense reads its h x w words in a loop pipelined at II = 1 and then computes once
      // (nnet_dense_stream.h, v1.3.0 ef92ebd lines 33-46; the same in v0.6.0): a Reduce whose last step costs RF
      ii = p.rf;
      latency = p.rf + pipelineDepth(p);
      if (firings > 1) fire = Fire.Reduce;
      else firings = 1;
      break;
    case "output":
      fire = Fire.Sink;
      ii = beats;
      latency = 0;
      break;
    default: // relu, bn, clone, add: one pixel in, one out, II = 1
  }
  // one object shape for every process: the simulation's inner loop reads these fields for every token
  return { fire, firings, ii, iiIdle, latency, w, h: p.h, padTop: pt, padLeft: pl, rowEnd: pt + p.h, colEnd: pl + p.w, k: p.k, stride: p.stride, whole };
}

const READS = 1;
const WRITES = 2;

/** Whether firing `f` of a process reads a token from every input (READS) and writes one to every output (WRITES). */
function firing(pt: Pattern, f: number): number {
  switch (pt.fire) {
    case Fire.Source:
      return WRITES;
    case Fire.Pad: {
      const r = (f / pt.w) | 0;
      const c = f - r * pt.w;
      return (r >= pt.padTop && r < pt.rowEnd && c >= pt.padLeft && c < pt.colEnd ? READS : 0) | WRITES;
    }
    case Fire.Window: {
      const r = ((f / pt.w) | 0) - (pt.k - 1);
      const c = (f % pt.w) - (pt.k - 1);
      return READS | (r >= 0 && c >= 0 && r % pt.stride === 0 && c % pt.stride === 0 ? WRITES : 0);
    }
    case Fire.Reduce:
      return READS | (f === pt.firings - 1 ? WRITES : 0);
    case Fire.Sink:
      return READS;
    default:
      return READS | WRITES;
  }
}

/** A FIFO's maximum occupancy: a token occupies it from its write until its read; at equal times the write counts first. */
export function maxOccupancy(w: Float64Array, r: Float64Array): number {
  let i = 0;
  let j = 0;
  let occ = 0;
  let max = 0;
  while (i < w.length) {
    if (j < r.length && r[j] < w[i]) {
      occ--;
      j++;
    } else {
      occ++;
      i++;
      if (occ > max) max = occ;
    }
  }
  return max;
}

/**
 * When the last output value leaves the design: when the sink has read the last pixel and moved its beats out;
 * without a wrapper (one beat a pixel) the cycle after the last write. With axi_master the copy-out loop runs only
 * after the network has finished: every pixel's beats after the last write.
 */
export const sinkLatency = (wrapper: Wrapper, sink: Pattern, lastWrite: number, lastRead: number): number =>
  wrapper === "axi_master" ? lastWrite + sink.firings * sink.ii : Math.max(lastWrite + 1, lastRead + sink.ii - 1);

/** A simulation with every token's times: what the cost explorer page draws as occupancy over time. */
export interface SimTrace extends SimResult {
  /** per stream, the cycle each token was written and read (as many as were, in order) */
  writes: Float64Array[];
  reads: Float64Array[];
}

/** Simulate one inference with the given FIFO depths (Infinity: unbounded). */
export function simulate(d: Design, depths: number[]): SimResult {
  const { writes: _w, reads: _r, ...result } = simulateTrace(d, depths);
  return result;
}

/** simulate, keeping the token times (callers that sweep keep only the SimResult: the times are H x W per stream) */
export function simulateTrace(d: Design, depths: number[]): SimTrace {
  const S = d.streams.length;
  if (!Array.isArray(depths) || depths.length !== S) {
    throw new RangeError(`simulate: depths has ${Array.isArray(depths) ? depths.length : "no"} entries, the design has ${S} streams (one depth per stream expected)`);
  }
  depths.forEach((v, i) => {
    if (!(v >= 1) || (v !== Infinity && !Number.isInteger(v))) throw new RangeError(`simulate: depths[${i}] (${d.streams[i].name}) must be a positive integer or Infinity, got ${v}`);
  });
  // per stream: token write / read times, preallocated (a stream carries exactly `pixels` tokens)
  const writes = d.streams.map((s) => new Float64Array(s.pixels));
  const reads = d.streams.map((s) => new Float64Array(s.pixels));
  const nw = new Int32Array(S);
  const nr = new Int32Array(S);
  const wrapper = d.wrapper ?? "none";
  const pats = d.processes.map((p) => pattern(p, d.strategy, wrapper));
  // cycles the previous firing of each process occupies it, and its busy cycles in total
  const lastCost = new Float64Array(d.processes.length);
  const busy = new Float64Array(d.processes.length);
  const next = new Int32Array(d.processes.length);
  const last = new Float64Array(d.processes.length).fill(-Infinity);
  const done = new Uint8Array(d.processes.length);
  // visit producers before consumers so an unbounded run needs a single pass
  const order = topologicalOrder(d);
  let remaining = d.processes.length;
  let progress = true;
  while (remaining > 0 && progress) {
    progress = false;
    for (const pid of order) {
      if (done[pid]) continue;
      const p = d.processes[pid];
      const pt = pats[pid];
      const ins = p.inputs;
      const outs = p.outputs;
      let f = next[pid];
      let prev = last[pid];
      for (;;) {
        if (f >= pt.firings) {
          done[pid] = 1;
          remaining--;
          break;
        }
        let t = prev + lastCost[pid];
        if (t < 0) t = 0;
        const io = firing(pt, f);
        const rd = (io & READS) !== 0;
        const wr = (io & WRITES) !== 0;
        let ready = true;
        if (rd) {
          for (let i = 0; i < ins.length; i++) {
            const s = ins[i];
            const k = nr[s];
            if (k >= nw[s]) {
              ready = false;
              break;
            }
            // a token can be read the cycle after it was written
            const w = writes[s][k] + 1;
            if (w > t) t = w;
          }
        }
        if (ready && wr) {
          for (let i = 0; i < outs.length; i++) {
            const s = outs[i];
            const k = nw[s];
            const depth = depths[s];
            if (k >= depth) {
              const freed = k - depth;
              if (freed >= nr[s]) {
                ready = false;
                break;
              }
              // the slot is free the cycle after its token was read
              const r = reads[s][freed] + 1 - pt.latency;
              if (r > t) t = r;
            }
          }
        }
        if (!ready) break;
        if (rd) for (let i = 0; i < ins.length; i++) reads[ins[i]][nr[ins[i]]++] = t;
        if (wr) {
          const at = (pt.whole ? Math.max(t, (pt.firings - 1) * pt.ii) : t) + pt.latency;
          for (let i = 0; i < outs.length; i++) writes[outs[i]][nw[outs[i]]++] = at;
        }
        prev = t;
        const cost = wr ? pt.ii : pt.iiIdle;
        lastCost[pid] = cost;
        busy[pid] += cost;
        f++;
        progress = true;
      }
      next[pid] = f;
      last[pid] = prev;
    }
  }
  // the tokens each stream carried, as written and read
  const written = writes.map((w, s) => w.subarray(0, nw[s]));
  const read = reads.map((r, s) => r.subarray(0, nr[s]));
  const occupancy = written.map((w, s) => maxOccupancy(w, read[s]));
  const deadlock = remaining > 0;
  const blockedOn = deadlock
    ? d.streams.filter((s) => nw[s.id] - nr[s.id] >= depths[s.id] && nw[s.id] < s.pixels).map((s) => `${s.name} (depth ${depths[s.id]})`)
    : [];
  const sinkId = d.processes.findIndex((p) => p.kind === "output");
  const sink = d.processes[sinkId];
  const sinkPat = pats[sinkId];
  const lastWrite = Math.max(...sink.inputs.map((s) => (nw[s] ? writes[s][nw[s] - 1] : 0)));
  const lastRead = Math.max(...sink.inputs.map((s) => (nr[s] ? reads[s][nr[s] - 1] : 0)));
  const latency = deadlock ? Infinity : sinkLatency(wrapper, sinkPat, lastWrite, lastRead);
  // the busiest process's cycles per inference (a deadlocked run did not finish: its busiest process's full count);
  // with axi_master the wrapper is not a dataflow region: one inference ends before the next starts
  const interval = deadlock ? Math.max(...pats.map((p) => p.firings * p.ii)) : wrapper === "axi_master" ? latency : Math.max(...busy);
  return { deadlock, blockedOn, latency, interval, maxOccupancy: occupancy, writes: written, reads: read };
}

/** One process's every firing with unbounded FIFOs: the times it read its inputs and wrote its outputs, and its busy cycles. */
export interface ProcessRun {
  /** the cycle of each firing that read (one token from every input at once) */
  reads: Float64Array;
  /** the cycle each token was written (the same token time on every output) */
  writes: Float64Array;
  busy: number;
}

/**
 * The firings of one process whose producers have all finished, with unbounded output FIFOs: simulateTrace's inner
 * loop for depth Infinity (a write never waits, so only the inputs' write times matter), kept beside it so the two
 * read alike. `inputs[i]` holds every token written to input i. Null when an input runs out of tokens before the
 * process finishes (simulateTrace then reports a deadlock: the caller must use it).
 */
export function runUnbounded(pt: Pattern, inputs: Float64Array[]): ProcessRun | null {
  const reads = new Float64Array(pt.fire === Fire.Source ? 0 : pt.firings);
  const writes = new Float64Array(pt.firings);
  let nr = 0;
  let nw = 0;
  let prev = -Infinity;
  let lastCost = 0;
  let busy = 0;
  for (let f = 0; f < pt.firings; f++) {
    let t = prev + lastCost;
    if (t < 0) t = 0;
    const io = firing(pt, f);
    const rd = (io & READS) !== 0;
    const wr = (io & WRITES) !== 0;
    if (rd) {
      for (let i = 0; i < inputs.length; i++) {
        if (nr >= inputs[i].length) return null;
        const w = inputs[i][nr] + 1;
        if (w > t) t = w;
      }
      reads[nr++] = t;
    }
    if (wr) writes[nw++] = (pt.whole ? Math.max(t, (pt.firings - 1) * pt.ii) : t) + pt.latency;
    prev = t;
    const cost = wr ? pt.ii : pt.iiIdle;
    lastCost = cost;
    busy += cost;
  }
  return { reads: reads.slice(0, nr), writes: writes.slice(0, nw), busy };
}

/** Producers before consumers. */
export function topologicalOrder(d: Design): number[] {
  const indeg = d.processes.map((p) => p.inputs.length);
  const queue = d.processes.filter((p) => p.inputs.length === 0).map((p) => p.id);
  const order: number[] = [];
  while (queue.length) {
    const id = queue.shift()!;
    order.push(id);
    for (const s of d.processes[id].outputs) {
      const to = d.streams[s].to;
      if (--indeg[to] === 0) queue.push(to);
    }
  }
  return order;
}
