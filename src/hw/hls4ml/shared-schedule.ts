/**
 * The unbounded-FIFO schedule (simulate.ts with every depth Infinity) of many designs that share parts, each part
 * simulated once. With unbounded FIFOs no write ever waits, so a process's firing times depend only on its own timing
 * pattern and the token times of its inputs, that is on the processes upstream of it: two designs whose process has
 * the same upstream (the same patterns wired the same way, all the way back to the input) give it the same times.
 * Skip policies that agree on the skips nearest the input share that part of the design, so an exhaustive policy
 * search (report/policy-front.ts) simulates each shared prefix once instead of once per policy.
 *
 * Each process is named by its upstream: its pattern and the names of the processes it reads, interned as a number.
 * A design's SimResult is then assembled from the runs of its processes exactly as simulate() computes it (same
 * arithmetic, same order), so it is equal to simulate(d, unbounded) bit for bit; test/policy-front-fast.test.ts
 * compares the two on every policy it costs. A design the shortcut does not cover (a process that runs out of input
 * tokens, i.e. a deadlock, or writes more tokens than its stream holds) is simulated the plain way.
 */
import type { Design } from "./design.js";
import { maxOccupancy, pattern, runUnbounded, simulate, sinkLatency, topologicalOrder, type ProcessRun, type SimResult } from "./simulate.js";

interface Run extends ProcessRun {
  /** max occupancy of each input stream (written by its producer, read by this process), in input order */
  occupancy: number[];
}

/**
 * Runs kept in two generations: a run used in the current one stays, the older one is dropped when the current
 * one is full. Policies visited in prefix order reuse recent runs, so memory stays bounded without losing hits.
 */
class Generations<V> {
  private current = new Map<number, V>();
  private previous = new Map<number, V>();
  constructor(private readonly limit: number) {}
  get(k: number): V | undefined {
    const v = this.current.get(k);
    if (v !== undefined) return v;
    const old = this.previous.get(k);
    if (old !== undefined) this.set(k, old);
    return old;
  }
  set(k: number, v: V): void {
    if (this.current.size >= this.limit) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(k, v);
  }
}

export class SharedSchedule {
  /** process runs simulated, and taken from an earlier design */
  readonly counts = { simulated: 0, reused: 0 };
  private readonly names = new Map<string, number>();
  private readonly runs: Generations<Run>;
  /** `limit`: runs kept per generation (a ResNet-20 policy has about 70 processes) */
  constructor(limit = 20_000) {
    this.runs = new Generations(limit);
  }

  /** simulate(d, every depth Infinity), with the runs of processes seen upstream-alike in earlier designs reused */
  simulate(d: Design): SimResult {
    const wrapper = d.wrapper ?? "none";
    const order = topologicalOrder(d);
    // a cycle leaves processes out of the order: simulate() reports the deadlock
    if (order.length !== d.processes.length) return simulate(d, d.streams.map(() => Infinity));
    const runs: Run[] = new Array(d.processes.length);
    const ids: number[] = new Array(d.processes.length);
    for (const pid of order) {
      const p = d.processes[pid];
      const pt = pattern(p, d.strategy, wrapper);
      const producers = p.inputs.map((s) => d.streams[s].from);
      // every Pattern field, in its declared order, then what the process reads
      const key = `${pt.fire},${pt.firings},${pt.ii},${pt.iiIdle},${pt.latency},${pt.w},${pt.h},${pt.padTop},${pt.padLeft},${pt.rowEnd},${pt.colEnd},${pt.k},${pt.stride},${pt.whole}|${producers.map((q) => ids[q]).join(",")}`;
      let id = this.names.get(key);
      if (id === undefined) this.names.set(key, (id = this.names.size));
      let run = this.runs.get(id);
      if (!run) {
        const inputs = producers.map((q) => runs[q].writes);
        const r = runUnbounded(pt, inputs);
        if (!r || p.outputs.some((s) => r.writes.length > d.streams[s].pixels)) return simulate(d, d.streams.map(() => Infinity));
        run = { ...r, occupancy: inputs.map((w) => maxOccupancy(w, r.reads)) };
        this.runs.set(id, run);
        this.counts.simulated++;
      } else this.counts.reused++;
      ids[pid] = id;
      runs[pid] = run;
    }
    // simulate()'s totals, from the runs
    const maxOcc = d.streams.map((s) => runs[s.to].occupancy[d.processes[s.to].inputs.indexOf(s.id)]);
    const sinkId = d.processes.findIndex((p) => p.kind === "output");
    const sink = d.processes[sinkId];
    const sinkPat = pattern(sink, d.strategy, wrapper);
    const last = (a: Float64Array) => (a.length ? a[a.length - 1] : 0);
    const lastWrite = Math.max(...sink.inputs.map((s) => last(runs[d.streams[s].from].writes)));
    const lastRead = Math.max(...sink.inputs.map(() => last(runs[sinkId].reads)));
    const latency = sinkLatency(wrapper, sinkPat, lastWrite, lastRead);
    const interval = wrapper === "axi_master" ? latency : Math.max(...runs.map((r) => r.busy));
    return { deadlock: false, blockedOn: [], latency, interval, maxOccupancy: maxOcc };
  }
}
