/**
 * Token-level simulation of the dataflow design: every process fires as soon as its input tokens are there, its
 * previous firing is II cycles old, and its output FIFOs have room (the ASAP schedule of the bounded-FIFO
 * process network). It yields each stream's write and read times, hence its maximum occupancy, the latency and
 * the interval, and it detects deadlock (no process can fire, some are unfinished) when a FIFO is too shallow.
 * With unbounded FIFOs this is hls4ml's FIFO depth optimisation (vivado/passes/fifo_depth_optimization.py:
 * co-simulate with very deep FIFOs, then set each depth to its maximum occupancy + 1).
 */
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

/** adder-tree depth of a conv's multiply-accumulate pipeline, plus multiplier and output registers */
function pipelineDepth(p: Process): number {
  const n = p.k * p.k * Math.max(p.cin, 1);
  return Math.ceil(Math.log2(Math.max(n, 2))) + 3;
}

interface Pattern {
  firings: number;
  ii: number;
  latency: number;
  /** does firing f read (one token from every input) / write (one token to every output)? */
  reads: (f: number) => boolean;
  writes: (f: number) => boolean;
}

function pattern(p: Process): Pattern {
  const all = () => true;
  switch (p.kind) {
    case "input":
      return { firings: p.h * p.w, ii: 1, latency: 1, reads: () => false, writes: all };
    case "zeropad": {
      const W = p.w + 2 * p.pad;
      return {
        firings: (p.h + 2 * p.pad) * W,
        ii: 1,
        latency: 1,
        reads: (f) => {
          const r = Math.floor(f / W) - p.pad;
          const c = (f % W) - p.pad;
          return r >= 0 && r < p.h && c >= 0 && c < p.w;
        },
        writes: all,
      };
    }
    case "conv":
    case "maxpool": {
      // one input pixel per firing (hls4ml's line-buffer conv: pipeline II = reuse factor); an output pixel when the
      // window it completes is a valid, stride-aligned position
      const ii = p.kind === "conv" ? p.rf : 1;
      return {
        firings: p.h * p.w,
        ii,
        latency: p.kind === "conv" ? ii + pipelineDepth(p) : 2,
        reads: all,
        writes: (f) => {
          const r = Math.floor(f / p.w) - (p.k - 1);
          const c = (f % p.w) - (p.k - 1);
          return r >= 0 && c >= 0 && r % p.stride === 0 && c % p.stride === 0;
        },
      };
    }
    case "pool":
      return { firings: p.h * p.w, ii: 1, latency: 2, reads: all, writes: (f) => f === p.h * p.w - 1 };
    case "dense":
      return { firings: 1, ii: p.rf, latency: p.rf + pipelineDepth(p), reads: all, writes: all };
    case "output":
      return { firings: p.h * p.w, ii: 1, latency: 0, reads: all, writes: () => false };
    default: // relu, clone, add: one pixel in, one out, II = 1
      return { firings: p.h * p.w, ii: 1, latency: 1, reads: all, writes: all };
  }
}

/** Simulate one inference with the given FIFO depths (Infinity: unbounded). */
export function simulate(d: Design, depths: number[]): SimResult {
  const S = d.streams.length;
  const writes: number[][] = Array.from({ length: S }, () => []);
  const reads: number[][] = Array.from({ length: S }, () => []);
  const pats = d.processes.map(pattern);
  const next = new Array(d.processes.length).fill(0);
  const last = new Array(d.processes.length).fill(-Infinity);
  let remaining = d.processes.length;
  const done = new Array(d.processes.length).fill(false);
  let progress = true;
  while (remaining > 0 && progress) {
    progress = false;
    for (const p of d.processes) {
      if (done[p.id]) continue;
      const pt = pats[p.id];
      for (;;) {
        const f = next[p.id];
        if (f >= pt.firings) {
          done[p.id] = true;
          remaining--;
          break;
        }
        let t = last[p.id] + pt.ii;
        if (t < 0) t = 0;
        const rd = pt.reads(f);
        const wr = pt.writes(f);
        let ready = true;
        if (rd) {
          for (const s of p.inputs) {
            const k = reads[s].length;
            if (k >= writes[s].length) {
              ready = false;
              break;
            }
            // a token can be read the cycle after it was written
            t = Math.max(t, writes[s][k] + 1);
          }
        }
        if (ready && wr) {
          for (const s of p.outputs) {
            const k = writes[s].length;
            const depth = depths[s];
            if (k >= depth) {
              const freed = k - depth;
              if (freed >= reads[s].length) {
                ready = false;
                break;
              }
              // the slot is free the cycle after its token was read
              t = Math.max(t, reads[s][freed] + 1 - pt.latency);
            }
          }
        }
        if (!ready) break;
        if (rd) for (const s of p.inputs) reads[s].push(t);
        if (wr) for (const s of p.outputs) writes[s].push(t + pt.latency);
        last[p.id] = t;
        next[p.id] = f + 1;
        progress = true;
      }
    }
  }
  const maxOccupancy = writes.map((w, s) => {
    const r = reads[s];
    let i = 0;
    let j = 0;
    let occ = 0;
    let max = 0;
    // a token occupies the FIFO from its write until its read; at equal times count the write first
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
  });
  const deadlock = remaining > 0;
  const blockedOn = deadlock
    ? d.streams.filter((s) => writes[s.id].length - reads[s.id].length >= depths[s.id] && writes[s.id].length < s.pixels).map((s) => `${s.name} (depth ${depths[s.id]})`)
    : [];
  const sink = d.processes.find((p) => p.kind === "output")!;
  const latency = deadlock ? Infinity : Math.max(...sink.inputs.map((s) => writes[s][writes[s].length - 1] ?? 0)) + 1;
  const interval = Math.max(...pats.map((p) => p.firings * p.ii));
  return { deadlock, blockedOn, latency, interval, maxOccupancy };
}
