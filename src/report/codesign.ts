/**
 * The codesign view (issue 12, claim C8): what a designer chooses between, accuracy against hardware, per method and
 * per precision. Each trained network is costed at the precision it was trained at:
 * - hls4ml: at the hls4ml reference configuration of data/claims.json (`references`), with the weight and
 *   activation widths of the run; a float run at hls4ml's default precision, ap_fixed<16,6> (hls4ml
 *   utils/config.py: config_from_keras_model(..., default_precision='fixed<16,6>')), which is what a float network
 *   converted without a quantisation-aware flow gets, for every variable, its accumulator too. A trained network's
 *   accumulator follows the reference's own rule, the sum of the operand widths ("wide enough for the products",
 *   references.hls4ml-mlperf-tiny.rationale.accBits). hls4ml's
 *   config sets one width per model here (src/hw takes one weight width), so the first conv's and the last dense
 *   layer's 8-bit weights are costed at the body's width: the same for teacher and student, so their difference is
 *   unaffected.
 * - The PE array at its native integer width: the reference array computes on 8-bit integers (DPU-style engines are
 *   INT8, PG338), and values trained at 4 bits still occupy its 8-bit lanes and bytes, so its cost does not change
 *   with the trained precision (a float network would first be quantised to 8 bits to run on it at all).
 * Pure: the accuracies come in from the caller (scripts/reproduce.ts evaluates the committed checkpoints).
 */
import { formatRunId, precisionLabel, referenceRole, roleNet, type Precision, type Role } from "../experiment/index.js";
import { lower, type LayerGraph } from "../net/index.js";
import type { FpgaPart, Hls4mlConfig, SimCache } from "../hw/hls4ml/index.js";
import { designHardware, type CodesignHardware } from "./design-hardware.js";
import type { PeArrayConfig } from "../hw/pe-array/index.js";
import { awaitingClaim, checkClaim, decided, distribution, signedPp, type ClaimResult, type ClaimSpec } from "./claims.js";
import { isStuck, type RunOutcome } from "./depth.js";
import type { Figure, Trace } from "./plot-style.js";
import { designSymbol, seedOutline, splitLaterSeeds } from "./markers.js";
import { fixed2, type Cell } from "../util/table.js";

/** the references of data/claims.json the codesign view costs at */
export const CODESIGN_HLS_REFERENCE = "hls4ml-mlperf-tiny";
export const CODESIGN_PE_REFERENCE = "pe-scalesim-cgra4ml";

/** The paper's headline hls4ml savings (its claims C1-C3, from data/claims.json), for the figure's note. */
export function paperHeadline(specs: ClaimSpec[]): string {
  const q = (k: string, name: string) => specs.filter((s) => s.quantity === k).map((s) => `${name} ${s.paper}${s.unit}`);
  const parts = [...q("bram18", "BRAM"), ...q("ff", "FF"), ...q("lut", "LUT")];
  return parts.length ? `the paper's headline hls4ml savings ("up to", its own designs): ${parts.join(", ")} saved` : "";
}

/** hls4ml's default precision, ap_fixed<16,6>: the width a float network gets */
export const HLS4ML_DEFAULT_BITS = 16;

/** the precisions the view shows: float, and integer weights and activations of 8 and 4 bits (first/last layer weights at 8) */
export const PRECISIONS: Precision[] = ["float", 8, 4];

/** the designs a designer chooses between: both teachers and Tailor's two students */
export type Design = Extract<Role, "teacher" | "teacher-shortenable" | "remover" | "shortener">;
export const DESIGNS: Design[] = ["teacher", "remover", "teacher-shortenable", "shortener"];
/** the teacher a design is measured against (a teacher: itself) */
export const teacherOf = (d: Design): Design => (referenceRole(d) as Design | null) ?? d;

/** The hls4ml reference configuration at a trained precision. */
export function hlsAtPrecision(ref: Hls4mlConfig, p: Precision): Hls4mlConfig {
  // float: hls4ml's default precision for every variable, the accumulator too (a model-level Precision is the last
  // fallback of HLSConfig.get_precision(layer, 'accum'), hls4ml/model/graph.py); trained widths: the reference's rule
  if (p === "float") return { ...ref, weightBits: HLS4ML_DEFAULT_BITS, actBits: HLS4ML_DEFAULT_BITS, accBits: HLS4ML_DEFAULT_BITS };
  return { ...ref, weightBits: p, actBits: p, accBits: 2 * p };
}

/**
 * The accumulator hls4ml's automatic precision inference would give the widest sum of the network: it never truncates,
 * weight bits + input bits + ceil(log2 of the products summed) (hls4ml/model/optimizer/passes/infer_precision.py,
 * `_infer_common_precision`; conv: channels per group x kernel taps, dense: inputs). Ours has one accumulator width per
 * design, so this is its upper bound, set against the reference's rule (the operands' widths summed) to show what the
 * "fits" column rests on.
 */
export function neverTruncatingAccBits(g: LayerGraph, c: Hls4mlConfig): number {
  const sums = g.layers.map((l) => (l.op === "conv" ? (l.cin / l.groups) * l.kernel[0] * l.kernel[1] : l.op === "dense" ? l.cin : 1));
  return c.weightBits + c.actBits + Math.ceil(Math.log2(Math.max(...sums)));
}

/** The PE array at its native integer width, whatever the trained precision (see the file's comment). */
export const peAtPrecision = (ref: PeArrayConfig, _p: Precision): PeArrayConfig => ref;

export { designHardware, type CodesignHardware } from "./design-hardware.js";

export function codesignHardware(network: string, d: Design, p: Precision, hlsRef: Hls4mlConfig, peRef: PeArrayConfig, cache: SimCache = new Map()): CodesignHardware {
  const { peCycles: _cycles, ...hw } = designHardware(lower(roleNet(network, d)), hlsAtPrecision(hlsRef, p), peAtPrecision(peRef, p), cache);
  return hw;
}


/** One trained network of the codesign view: its accuracy (when its run is done) and its hardware. */
export interface CodesignPoint {
  network: string;
  design: Design;
  precision: Precision;
  /** the campaign run it comes from, "<net>/<run>" */
  run: string;
  /** the run's training seed: 1, or 2 for the second seed of some students (which share their teacher with seed 1) */
  seed: number;
  state: RunOutcome;
  /** "in progress (epoch e of n)" etc. */
  stateLabel: string;
  testTop1: number | null;
  hw: CodesignHardware;
}

/**
 * The run of the campaign a design at a precision comes from (float: the depth study; else src/campaign/qat-plan.ts);
 * a seed other than 1 is a suffix, as both plans name their second-seed students.
 */
export const codesignRun = (network: string, d: Design, p: Precision, seed = 1) => formatRunId({ net: network, role: d, precision: p, seed });

/** test top-1 of a student minus its own teacher's (same network, same precision), in points; null unless both are done */
export function codesignGap(pt: CodesignPoint, all: CodesignPoint[]): number | null {
  const t = all.find((x) => x.network === pt.network && x.precision === pt.precision && x.design === teacherOf(pt.design));
  if (!t || t === pt || pt.testTop1 === null || t.testTop1 === null) return null;
  return 100 * (pt.testTop1 - t.testTop1);
}

/** Indices of the points no other point beats in both cost (lower) and accuracy (higher): the Pareto front. */
export function paretoFront(points: { cost: number; acc: number }[]): number[] {
  const front: number[] = [];
  points.forEach((p, i) => {
    const dominated = points.some((q, j) => j !== i && q.cost <= p.cost && q.acc >= p.acc && (q.cost < p.cost || q.acc > p.acc));
    if (!dominated) front.push(i);
  });
  return front.sort((a, b) => points[a].cost - points[b].cost);
}

export const CODESIGN_HEADERS = ["network", "design", "precision", "run", "state", "test top-1 %", "gap to teacher (pp)", "BRAM18", "LUT", "FF", "DSP", "latency (cycles)", "fits", "PE array inferences/s", "PE array DRAM bytes"];

export function codesignRows(points: CodesignPoint[]): Cell[][] {
  return points.map((p) => {
    const g = codesignGap(p, points);
    return [
      p.network,
      p.design,
      precisionLabel(p.precision),
      p.run,
      p.stateLabel,
      fixed2(p.testTop1 === null ? null : 100 * p.testTop1),
      fixed2(g),
      Math.round(p.hw.bram18),
      Math.round(p.hw.lut),
      Math.round(p.hw.ff),
      Math.round(p.hw.dsp),
      p.hw.latencyCycles,
      p.hw.fits ? "yes" : "no",
      Math.round(p.hw.peInferencesPerSecond),
      Math.round(p.hw.peDramBytes),
    ];
  });
}

const COLOR: Record<string, string> = { float: "#1f77b4", "8-bit": "#2ca02c", "4-bit": "#d62728" };
const PART_COLOR = "#999";

/**
 * Accuracy (test top-1) against BRAM18 and against LUT for one network: a marker per design and precision (only
 * finished runs have an accuracy), and the Pareto front of each panel over the designs that fit (the table's "fits":
 * the reference part). `note` goes under the title (the paper's headline savings, for orientation; they are not ours). `part`: the reference's FPGA, whose BRAM18 and LUT totals
 * are drawn as a line in their panel, since whether a design fits at all is a designer's first question (the table's
 * "fits" column checks every resource; a line shows its panel's alone).
 */
export function codesignFigure(points: CodesignPoint[], network: string, note = "", part?: FpgaPart): Figure {
  const pts = points.filter((p) => p.network === network && p.testTop1 !== null);
  const data: Trace[] = [];
  (["bram18", "lut"] as const).forEach((k, i) => {
    const axis = i === 0 ? "" : "2";
    for (const p of PRECISIONS) {
      for (const d of DESIGNS) {
        const sel = pts.filter((x) => x.precision === p && x.design === d);
        if (!sel.length) continue;
        const trace: Trace = {
          type: "scatter",
          mode: "markers",
          name: `${d}, ${precisionLabel(p)}`,
          legendgroup: `${d}-${p}`,
          showlegend: i === 0,
          x: sel.map((x) => x.hw[k]),
          y: sel.map((x) => 100 * x.testTop1!),
          marker: { symbol: designSymbol(d), size: 11, color: COLOR[precisionLabel(p)], line: seedOutline(sel.map((x) => x.seed)) },
          // the run names the point: a design can have two (a second seed)
          text: sel.map((x) => x.run),
          hovertemplate: `%{text}: %{y:.2f}%, ${k === "bram18" ? "BRAM18" : "LUT"} %{x}<extra></extra>`,
          xaxis: `x${axis}`,
          yaxis: `y${axis}`,
        };
        data.push(...splitLaterSeeds(trace, sel.map((x) => x.seed)));
      }
    }
    // the choices a designer has on the part: a design that does not fit is no trade at all
    const fitting = pts.filter((x) => x.hw.fits);
    const front = paretoFront(fitting.map((x) => ({ cost: x.hw[k], acc: 100 * x.testTop1! })));
    if (front.length) {
      data.push({
        type: "scatter",
        mode: "lines",
        name: `Pareto front of the designs that fit${part ? ` the ${part.name}` : ""}`,
        legendgroup: "pareto",
        showlegend: i === 0,
        x: front.map((j) => fitting[j].hw[k]),
        y: front.map((j) => 100 * fitting[j].testTop1!),
        line: { shape: "hv", dash: "dot", color: "#555" },
        xaxis: `x${axis}`,
        yaxis: `y${axis}`,
      });
    }
  });
  // a design not trained yet has its hardware already: a strip above each panel puts its design's marker at its
  // cost, one row per design (so designs of nearly equal cost stay apart), and a dotted line down the panel shows
  // where its point will be. The strip is its own axis, apart from the accuracy axis, so no marker of an untrained
  // design can be read as an accuracy.
  const pending = points.filter((p) => p.network === network && p.testTop1 === null);
  const shapes: Record<string, unknown>[] = [];
  (["bram18", "lut"] as const).forEach((k, i) => {
    const seen = new Set<string>();
    for (const p of pending) {
      const key = `${p.precision} ${p.hw[k]}`;
      if (!seen.has(key)) shapes.push({ type: "line", xref: `x${i ? "2" : ""}`, yref: "paper", x0: p.hw[k], x1: p.hw[k], y0: 0, y1: 1, line: { color: COLOR[precisionLabel(p.precision)], width: 1, dash: "dot" } });
      seen.add(key);
    }
    for (const prec of PRECISIONS) {
      for (const d of DESIGNS) {
        const sel = pending.filter((p) => p.precision === prec && p.design === d);
        if (!sel.length) continue;
        data.push({
          type: "scatter",
          mode: "markers",
          name: `${d}, ${precisionLabel(prec)}: no result yet`,
          showlegend: false,
          x: sel.map((p) => p.hw[k]),
          y: sel.map(() => DESIGNS.indexOf(d)),
          marker: { symbol: designSymbol(d), size: 9, color: COLOR[precisionLabel(prec)] },
          // its state (in progress, not started, or failed and why): the strip holds every design without a result
          text: sel.map((p) => `${p.run} ${p.stateLabel}`),
          hovertemplate: `%{text}, ${k === "bram18" ? "BRAM18" : "LUT"} %{x}<extra></extra>`,
          xaxis: `x${i ? "2" : ""}`,
          yaxis: `y${i ? "4" : "3"}`,
        });
      }
    }
  });
  if (part) {
    (["bram18", "lut"] as const).forEach((k, i) => shapes.push({ type: "line", xref: `x${i ? "2" : ""}`, yref: "paper", x0: part[k], x1: part[k], y0: 0, y1: 1, line: { color: PART_COLOR, width: 2 } }));
    data.push({ type: "scatter", mode: "lines", name: `${part.name}'s total: right of it, a design does not fit`, legendgroup: "part", x: [null], y: [null], line: { color: PART_COLOR, width: 2 }, hoverinfo: "skip" });
  }
  for (const prec of PRECISIONS) {
    if (!pending.some((p) => p.precision === prec)) continue;
    // a legend entry for the lines (shapes have none): a trace with no drawable point (plotly lists no empty trace)
    data.push({ type: "scatter", mode: "lines", name: `${precisionLabel(prec)}, no result yet: its cost (strip above)`, legendgroup: `pending-${prec}`, x: [null], y: [null], line: { color: COLOR[precisionLabel(prec)], width: 1, dash: "dot" }, hoverinfo: "skip" });
  }
  const accDomain = pending.length ? [0, 0.74] : [0, 1];
  // two markers of one design and precision are two seeds: say so where the eye first looks for it
  const seeds = pts.some((p) => p.seed !== 1) ? "black outline: a second training seed of that student" : "";
  const subtitle = [note, seeds].filter(Boolean).join("; ");
  const strip = (anchor: string, labels: boolean) => ({
    domain: [0.8, 1],
    anchor,
    range: [DESIGNS.length - 0.5, -0.5],
    tickvals: DESIGNS.map((_, j) => j),
    ticktext: DESIGNS,
    showticklabels: labels,
    tickfont: { size: 10 },
    showgrid: false,
    zeroline: false,
    fixedrange: true,
  });
  return {
    data,
    layout: {
      title: { text: `${network}: accuracy against hardware at the trained precision (hls4ml reference configuration)${subtitle ? `<br><sub>${subtitle}</sub>` : ""}` },
      // explicit domains: both panels show even before any run has an accuracy to draw
      xaxis: { title: { text: "BRAM18" }, domain: [0, 0.45], rangemode: "tozero" },
      xaxis2: { title: { text: "LUT" }, domain: [0.55, 1], anchor: "y2", rangemode: "tozero" },
      // accuracy on its own scale (differences of tenths of a point matter: C8's tolerance is 0.5 pp)
      yaxis: { title: { text: "test top-1 (%)" }, domain: accDomain, ...(pts.length ? {} : { range: [0, 100] }) },
      yaxis2: { title: { text: "test top-1 (%)" }, anchor: "x2", domain: accDomain, ...(pts.length ? {} : { range: [0, 100] }) },
      // the strips of the designs not trained yet (above); the right one's rows are the left one's
      ...(pending.length ? { yaxis3: strip("x", true), yaxis4: strip("x2", false) } : {}),
      width: 1100,
      height: pending.length ? 620 : 540,
      legend: { orientation: "h", y: -0.2 },
      margin: { b: 150, ...(pending.length ? { l: 130 } : {}) },
      shapes,
      // what the strip is; and why a panel is empty, rather than leave blank axes
      annotations: [
        ...(pending.length ? [{ text: "no result yet, at its cost:", xref: "paper", yref: "paper", x: 0, y: 1, xanchor: "right", yanchor: "bottom", showarrow: false, font: { size: 11 } }] : []),
        ...(pts.length ? [] : [{ text: "no run of this network has finished yet: each design's accuracy shows on its dotted line once its run is done", xref: "paper", yref: "paper", x: 0.5, y: 1.01, yanchor: "bottom", showarrow: false }]),
      ],
    },
  };
}

/**
 * C8: under QAT, SkipShortener loses less accuracy against its teacher than SkipRemover: the value is SkipShortener's gap
 * minus SkipRemover's on the network and precision of the claim (its scope in data/claims.json: ResNet-20 at 4 bits), and the claim needs it to be
 * more than the tolerance; the other QAT pairs (networks and precisions) are its range, and another seed of the claim's
 * students is reported beside it. In progress until those four runs are done.
 */
export function checkC8(spec: ClaimSpec, points: CodesignPoint[]): ClaimResult {
  const network = spec.scope?.net;
  const precision = spec.scope?.bits;
  if (!network || !precision) throw new Error(`${spec.id}: its scope (data/claims.json) names no network and bits`);
  // the claim's value is the seed-1 pair's (fixed before the runs); a second seed's pair is reported beside it
  const at = (d: Design) => points.find((p) => p.network === network && p.precision === precision && p.design === d && p.seed === 1);
  // a run counts once it is done with an accuracy: "done" without one would make its gap null, and null - x is -x
  const missing = DESIGNS.map((d) => at(d) ?? ({ run: codesignRun(network, d, precision), state: "not started", stateLabel: "not in the plan" } as CodesignPoint)).filter(
    (p) => p.state !== "done" || p.testTop1 === null,
  );
  if (missing.length) return awaitingClaim(spec, missing.map((p) => ({ label: `${p.run} ${pendingLabel(p)}`, stuck: isStuck(p) || p.state === "done" })), "the campaign's QAT runs (src/campaign/qat-plan.ts): npm run campaign -- --status");
  const gapOf = (d: Design) => codesignGap(at(d)!, points)!;
  const diff = gapOf("shortener") - gapOf("remover");
  // shortener minus remover of each QAT pair, seed with seed (both seeds of a student share its teacher)
  const pairs = points
    .filter((p) => p.precision !== "float" && p.design === "shortener")
    .flatMap((s) => {
      const r = points.find((p) => p.network === s.network && p.precision === s.precision && p.design === "remover" && p.seed === s.seed);
      const gs = codesignGap(s, points);
      const gr = r ? codesignGap(r, points) : null;
      return gs === null || gr === null ? [] : [{ where: `${s.network} ${precisionLabel(s.precision)}`, seed: s.seed, reference: s.network === network && s.precision === precision, v: gs - gr }];
    });
  // The range is over configurations: the claim's own pair and the other networks and precisions (seed 1). A second
  // seed repeats a configuration: it says how much of the value is noise, and is reported beside it, never in the
  // range, where it could make the claim "attainable" on the very configuration it does not hold at.
  const inRange = pairs.filter((o) => o.seed === 1);
  const elsewhere = inRange.filter((o) => !o.reference);
  const repeats = pairs.filter((o) => o.seed !== 1);
  const fmt = signedPp;
  // The range is partial while other QAT runs train, or without a run that failed (the next `npm run campaign`
  // retries it) or is invalid (its reason says what a person must do): say which are not in it, and why. Either way
  // it is not complete, so "not attainable" cannot be said yet. Other seeds are not in the range, so they do not hold it up.
  const outOfRange = points.filter((p) => p.precision !== "float" && (p.state !== "done" || p.testTop1 === null));
  const listed = (ps: CodesignPoint[]) => ps.map((p) => `${p.run} ${pendingLabel(p)}`).join(", ");
  const [stuck, training] = [outOfRange.filter((p) => isStuck(p) || p.state === "done"), outOfRange.filter((p) => !isStuck(p) && p.state !== "done")];
  const [rangeStuck, rangeTraining] = [stuck, training].map((ps) => ps.filter((p) => p.seed === 1));
  const [repeatStuck, repeatTraining] = [stuck, training].map((ps) => ps.filter((p) => p.seed !== 1));
  const configuration =
    `${network} ${precisionLabel(precision)}: SkipShortener gap ${fmt(gapOf("shortener"))}, SkipRemover gap ${fmt(gapOf("remover"))} (test top-1 vs own QAT teacher)` +
    (elsewhere.length ? `; shortener minus remover elsewhere: ${elsewhere.map((o) => `${o.where} ${fmt(o.v)}`).join(", ")}` : "") +
    (repeats.length ? `; the same, another seed of the students (not in the range): ${repeats.map((o) => `${o.where} seed ${o.seed} ${fmt(o.v)}`).join(", ")}` : "") +
    (rangeTraining.length ? `; the range does not include yet (still training): ${listed(rangeTraining)}` : "") +
    (rangeStuck.length ? `; the range leaves out (cannot finish as they are): ${listed(rangeStuck)}` : "") +
    (repeatTraining.length ? `; another seed still training: ${listed(repeatTraining)}` : "") +
    (repeatStuck.length ? `; another seed that cannot finish as it is: ${listed(repeatStuck)}` : "");
  // better or worse, each against its own teacher: reads right whatever the gaps' signs (two students above their
  // teachers both have positive gaps, and "the smaller gap" would then be the worse student)
  const compared = (v: number) => {
    const d = decided(v);
    return `SkipShortener does ${d === 0 ? "as well as" : `${Math.abs(d).toFixed(2)} pp ${d > 0 ? "better" : "worse"} than`} SkipRemover, each against its own teacher`;
  };
  return checkClaim(
    spec,
    diff,
    configuration,
    (v) => `${compared(v)} (gaps ${fmt(gapOf("shortener"))} and ${fmt(gapOf("remover"))}): the claim needs more than ${spec.paper + spec.tolerance} pp better`,
    // (the pairs not in it are named in the configuration; Distribution.excluded counts designs that do not fit)
    distribution(inRange.length ? inRange.map((o) => o.v) : [diff]),
    rangeTraining.length + rangeStuck.length === 0,
  );
}

/** A run not (yet) counted, as the verdict names it: "done" without a test accuracy is not a result. */
const pendingLabel = (p: CodesignPoint) => (p.state === "done" && p.testTop1 === null ? "done, but without a test accuracy" : p.stateLabel);
