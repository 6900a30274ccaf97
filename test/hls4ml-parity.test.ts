// Design parity: a teacher and its Tailor student are built by the same flow (the same optimisation passes), so
// their designs may differ only in what their skips need: Clone and Add processes, skip projections, the copy
// streams, and the ReLU processes a skip kept from merging (or that merge once it is gone).
import { describe, expect, it } from "vitest";
import { buildDesign, DEFAULT_HLS4ML, MLPERF_TINY_HLS4ML, type Design, type Hls4mlConfig, type Process } from "../src/hw/hls4ml/index.js";
import { lower, resnet8, withAllSkips, type LayerGraph } from "../src/net/index.js";
import { DEFAULT_HLS_SWEEP, hlsSweepPoints } from "../src/report/hls4ml-sweep.js";
import { tailorGraphs } from "../src/experiment/index.js";

/** Every way the two designs differ other than in their skips; empty when they are a fair pair. */
export function parityViolations(a: Design, b: Design): string[] {
  const out: string[] = [];
  const byName = (d: Design) => new Map(d.processes.map((p) => [p.name, p]));
  const A = byName(a);
  const B = byName(b);
  const mergedIn = (d: Design) => new Set(d.processes.map((p) => p.mergedRelu).filter((x): x is string => !!x));
  const mergedA = mergedIn(a);
  const mergedB = mergedIn(b);
  // a ReLU that is a process in one design and merged into a layer in the other, because in the first its input is
  // an Add or a conv that adds a fused skip (the merge pass cannot merge into either): the skip's doing
  const movedRelu = (d: Design, p: Process, otherMerged: Set<string>) => {
    if (p.kind !== "relu" || !otherMerged.has(p.name)) return false;
    const from = d.processes[d.streams[p.inputs[0]].from];
    const src = from.kind === "clone" ? d.processes[d.streams[from.inputs[0]].from] : from;
    return src.kind === "add" || !!src.fusedSkip;
  };
  for (const [d, mine, other, otherMerged, tag] of [
    [a, A, B, mergedB, "teacher"],
    [b, B, A, mergedA, "student"],
  ] as const) {
    for (const p of d.processes) {
      if (other.has(p.name) || p.role === "skip" || movedRelu(d, p, otherMerged)) continue;
      out.push(`${tag} only: ${p.kind} ${p.name}`);
    }
    void mine;
  }
  const same = ["kind", "h", "w", "k", "stride", "pad", "cin", "cout", "rf", "role"] as const;
  for (const p of a.processes) {
    const q = B.get(p.name);
    if (!q) continue;
    for (const f of same) if (p[f] !== q[f]) out.push(`${p.name}: ${f} ${p[f]} vs ${q[f]}`);
    if (p.mergedRelu !== q.mergedRelu) {
      // allowed only when the ReLU the other lacks is a process in that other design
      const ok = (x: string | undefined, d: Map<string, Process>) => x === undefined || d.get(x)?.kind === "relu";
      if (!(ok(p.mergedRelu, B) && ok(q.mergedRelu, A))) out.push(`${p.name}: merged ReLU ${p.mergedRelu} vs ${q.mergedRelu}`);
    }
  }
  // the main-path streams, with Clone, Add and moved ReLU processes made transparent
  const edges = (d: Design, otherMerged: Set<string>) => {
    const transparent = (p: Process) => p.kind === "clone" || p.kind === "add" || movedRelu(d, p, otherMerged);
    const source = (pid: number): Process => {
      const p = d.processes[pid];
      if (!transparent(p)) return p;
      const ins = p.inputs.map((s) => d.streams[s]).filter((s) => !s.skip && (p.kind !== "add" || d.processes[s.from].role === "main"));
      if (ins.length !== 1) throw new Error(`${p.name}: expected one main-path input, found ${ins.length}`);
      return source(ins[0].from);
    };
    const keys: string[] = [];
    for (const p of d.processes) {
      if (transparent(p) || p.role === "skip") continue;
      for (const sid of p.inputs) {
        const s = d.streams[sid];
        if (s.skip) continue;
        const src = source(s.from);
        if (src.role === "skip") continue;
        keys.push(`${src.name}->${p.name} ${s.channels}x${s.pixels}x${s.width}`);
      }
    }
    return keys.sort();
  };
  const ea = edges(a, mergedB);
  const eb = edges(b, mergedA);
  const setB = new Set(eb);
  const setA = new Set(ea);
  for (const e of ea) if (!setB.has(e)) out.push(`teacher only: stream ${e}`);
  for (const e of eb) if (!setA.has(e)) out.push(`student only: stream ${e}`);
  return out;
}

describe("design parity over the whole hls4ml sweep", () => {
  const graphs = new Map<string, { base: LayerGraph; altered: LayerGraph }>();
  const points = hlsSweepPoints(DEFAULT_HLS_SWEEP);
  it("covers every flow, network and method of the sweep", () => {
    expect(new Set(points.map((p) => p.flow))).toEqual(new Set(DEFAULT_HLS_SWEEP.flows));
    expect(new Set(points.map((p) => `${p.network} ${p.method}`)).size).toBe(DEFAULT_HLS_SWEEP.networks.length * 2);
  });
  it("every teacher/student pair differs only in skip-related processes and streams", () => {
    // the design's structure depends on the network, the flow and the reuse factors, not on bits or FIFO policy
    const seen = new Set<string>();
    let checked = 0;
    for (const pt of points) {
      const key = [pt.network, pt.method, pt.flow, pt.config.reuseFactor, pt.config.strategy].join("|");
      if (seen.has(key)) continue;
      seen.add(key);
      const gk = `${pt.network}|${pt.method}`;
      if (!graphs.has(gk)) graphs.set(gk, tailorGraphs(pt.network, pt.method));
      const g = graphs.get(gk)!;
      const v = parityViolations(buildDesign(g.base, pt.config), buildDesign(g.altered, pt.config));
      expect(v, `${pt.network} ${pt.method} ${pt.label} ${pt.flow}`).toEqual([]);
      checked++;
    }
    expect(checked).toBeGreaterThan(50);
  });
  it("catches an unequal pair: the old build (fused student, teacher with its ReLU processes)", () => {
    const base = resnet8({ form: "shortenable" });
    const teacher = buildDesign(lower(base), { ...DEFAULT_HLS4ML, reluMerge: false, shortImpl: "stock" });
    const student = buildDesign(lower(withAllSkips(base, "shortened")), { ...MLPERF_TINY_HLS4ML } as Hls4mlConfig);
    const v = parityViolations(teacher, student);
    expect(v.some((x) => /teacher only: relu s0b0.u0.relu/.test(x)), v.join("\n")).toBe(true);
  });
  it("records the optimisations applied, equally: ResNet-8 shortenable, ReLU merge + fused skip", () => {
    const base = resnet8({ form: "shortenable" });
    const c: Hls4mlConfig = { ...DEFAULT_HLS4ML, reluMerge: true, shortImpl: "fused" };
    const t = buildDesign(lower(base), c).applied;
    const s = buildDesign(lower(withAllSkips(base, "shortened")), c).applied;
    // by hand: stem conv + 3 blocks x 2 convs = 7 main convs, 2 projections (stride-2 blocks): 9 BN fused in the
    // teacher; the teacher's 7 conv ReLUs merge (head.relu follows an Add: it stays)
    expect(t).toEqual({ bnFused: 9, reluMerged: 7, shortSkipsFused: 0 });
    // the student: 6 short skips fused; BN fusion runs first (hls4ml's order, src/hw/hls4ml/design.ts PASSES), so the
    // 2 projections' BNs are counted with the 7 main ones before the fused convs take the projections; head.relu
    // follows a conv that already adds a skip: it stays a process
    expect(s.shortSkipsFused).toBe(6);
    expect(s.bnFused).toBe(9);
    expect(s.reluMerged).toBe(7);
  });
});
