/**
 * What the page shows, from its state: the design and its teacher (the same network and form, every skip long) costed
 * by both models through the library's own `designReports` (src/report/design-hardware.ts), the FIFOs' occupancy
 * over time from the simulation, and the savings. Nothing here is a cost rule: every number comes from src/.
 */
import { network, isNetworkName } from "../../src/experiment/networks.js";
import { buildDesign, occupancyAt, simulateTrace, type Hls4mlConfig, type SimCache } from "../../src/hw/hls4ml/index.js";
import type { PeArrayConfig } from "../../src/hw/pe-array/index.js";
import { lower, skipCount, withAllSkips, withPolicy, type LayerGraph, type NetSpec } from "../../src/net/index.js";
import { designReports, hardwareOf, type DesignReports } from "../../src/report/design-hardware.js";
import { HLS_FIELDS, PE_FIELDS, type State } from "./state.js";
import { HLS_SPECS, parseField, PE_SPECS } from "./fields.js";

export interface Occupancy {
  /** the sampled cycles */
  times: number[];
  series: { name: string; skip: boolean; depth: number; max: number; values: number[] }[];
}

export interface Computed {
  net: NetSpec;
  teacherNet: NetSpec;
  graph: LayerGraph;
  hls: Hls4mlConfig;
  pe: PeArrayConfig;
  design: DesignReports;
  teacher: DesignReports;
  hw: ReturnType<typeof hardwareOf>;
  teacherHw: ReturnType<typeof hardwareOf>;
  /** the simulated maximum occupancy of each of the design's streams, by stream index */
  maxOccupancy: number[];
  occupancy: Occupancy;
  /** milliseconds: the two costings, and the occupancy over time */
  ms: { cost: number; occupancy: number };
}

export type Outcome = { ok: true; value: Computed } | { ok: false; errors: { field?: string; message: string }[] };

/** The network of a state before its policy: a built-in one in its form, or the dropped file's. */
export function baseNet(s: State, imported: Map<string, NetSpec>): NetSpec {
  if (s.net.startsWith("onnx:")) {
    const n = imported.get(s.net.slice(5));
    if (!n) throw new Error(`network ${s.net}: the ONNX file is not loaded in this page; drop it again (a link cannot carry the file)`);
    return n;
  }
  if (!isNetworkName(s.net)) throw new Error(`network "${s.net}" is not one of the built-in networks`);
  return network(s.net).build({ form: s.form });
}

/** both configurations from the state's fields over the references; errors name each field and its range */
export function configsOf(s: State, hlsRef: Hls4mlConfig, peRef: PeArrayConfig): { hls: Hls4mlConfig; pe: PeArrayConfig } | { errors: { field: string; message: string }[] } {
  const errors: { field: string; message: string }[] = [];
  const hls: Record<string, unknown> = { ...hlsRef };
  const pe: Record<string, unknown> = { ...peRef };
  for (const k of HLS_FIELDS) {
    const r = parseField(HLS_SPECS[k], s.hls[k]);
    if (r.ok) hls[k] = r.value;
    else errors.push({ field: `hls.${k}`, message: r.error });
  }
  for (const k of PE_FIELDS) {
    const r = parseField(PE_SPECS[k], s.pe[k]);
    if (r.ok) pe[k] = r.value;
    else errors.push({ field: `pe.${k}`, message: r.error });
  }
  return errors.length ? { errors } : { hls: hls as unknown as Hls4mlConfig, pe: pe as unknown as PeArrayConfig };
}

const SAMPLES = 240;

/** each stream's occupancy at SAMPLES cycles over one inference, and its maximum */
function occupancyOf(g: LayerGraph, c: Hls4mlConfig, depths: number[]): { occupancy: Occupancy; maxOccupancy: number[] } {
  const d = buildDesign(g, c);
  const t = simulateTrace(d, d.streams.map(() => Infinity));
  const end = Number.isFinite(t.latency) ? t.latency : Math.max(1, ...t.writes.map((w) => (w.length ? w[w.length - 1] : 0)));
  const times = Array.from({ length: SAMPLES + 1 }, (_, i) => Math.round((i * end) / SAMPLES));
  const series = d.streams.map((st, i) => ({ name: st.name, skip: st.skip, depth: depths[i], max: t.maxOccupancy[i], values: occupancyAt(t.writes[i], t.reads[i], times) }));
  return { occupancy: { times, series }, maxOccupancy: t.maxOccupancy };
}

/** Cost the state's design and its teacher. `cache` is the models' own schedule cache (src/hw/hls4ml/model.ts). */
export function compute(s: State, imported: Map<string, NetSpec>, hlsRef: Hls4mlConfig, peRef: PeArrayConfig, cache: SimCache): Outcome {
  const cfg = configsOf(s, hlsRef, peRef);
  if ("errors" in cfg) return { ok: false, errors: cfg.errors };
  try {
    const base = baseNet(s, imported);
    const net = withPolicy(base, s.policy, "skip policy");
    const teacherNet = withAllSkips(base, "long");
    const t0 = performance.now();
    const graph = lower(net);
    const design = designReports(graph, cfg.hls, cfg.pe, cache);
    const teacher = designReports(lower(teacherNet), cfg.hls, cfg.pe, cache);
    const t1 = performance.now();
    const { occupancy, maxOccupancy } = occupancyOf(graph, cfg.hls, design.hls.streams.map((x) => x.depth));
    const t2 = performance.now();
    // the schedules of every policy clicked stay cached; a long session starts over rather than grow without end
    if (cache.size > 400) cache.clear();
    return {
      ok: true,
      value: { net, teacherNet, graph, hls: cfg.hls, pe: cfg.pe, design, teacher, hw: hardwareOf(design), teacherHw: hardwareOf(teacher), maxOccupancy, occupancy, ms: { cost: t1 - t0, occupancy: t2 - t1 } },
    };
  } catch (e) {
    return { ok: false, errors: [{ message: (e as Error).message }] };
  }
}

/** (teacher - design) / teacher in percent: positive is a saving; null when the teacher's value is 0 */
export const savingPct = (design: number, teacher: number): number | null => (teacher === 0 ? null : (100 * (teacher - design)) / teacher);

export const skipsOf = (s: State, imported: Map<string, NetSpec>): number => skipCount(baseNet(s, imported));

