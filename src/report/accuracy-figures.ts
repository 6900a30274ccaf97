/**
 * Plotly figure specs of the accuracy claims (C7a, C7b): each student's gap to its own teacher in points (the
 * paper's "no loss" as a dashed line at its value, our tolerance as a band, one marker per seed) beside absolute
 * top-1; training curves with every skip alteration and learning-rate step marked (read from the epoch records,
 * never from a schedule typed here); the depth study. A run that has not finished is never drawn as a result.
 */
import type { EpochRecord } from "../train/checkpoint.js";
import type { ClaimSpec } from "./claims.js";
import { depthOf, gap, stateLabel, type DepthRun } from "./depth.js";
import { DESIGN_SYMBOL, designSymbol, markerKey, runSymbol, seedOutline, splitLaterSeeds, STAR, VALIDATION_SYMBOL } from "./markers.js";
import { BASE_LAYOUT, caption, captionChars, claimMarks, FIGURE_WIDTH, METHOD_COLOR, methodName, NET_COLOR, netName, stackedDomain, wrap, type Figure, type Trace } from "./plot-style.js";

type Mark = Pick<ClaimSpec, "id" | "paper" | "tolerance" | "check" | "unit">;

const pp = (v: number) => `${v >= 0 ? "+" : ""}${v.toFixed(2)} pp`;
const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

/** A y range holding every value and the claim's band, padded. */
function gapRange(values: number[], c: Mark): [number, number] {
  const lo = Math.min(...values, c.paper - c.tolerance) - 0.5;
  const hi = Math.max(...values, c.paper + c.tolerance) + 0.5;
  return [lo, hi];
}

/** A top-1 range (in %) that shows differences of a fraction of a point: the data, padded, not 0-100. */
function top1Range(values: number[]): [number, number] {
  if (!values.length) return [0, 100];
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const pad = Math.max(1, (hi - lo) * 0.15);
  return [Math.max(0, Math.floor(lo - pad)), Math.min(100, Math.ceil(hi + pad))];
}

export interface RunTop1 {
  run: string;
  method: string;
  seed: number;
  valTop1: number;
  testTop1: number;
}

/**
 * Left: test top-1 of each Tailor student minus its own teacher's, in points, one marker per seed, with C7a's
 * paper value and tolerance. Right: absolute validation and test top-1 of every run (a dot plot on the data's
 * range, values printed). `teacherOf` names the teacher run of a student.
 */
/**
 * A learning rate as a label: 0.1, 0.01, 0.001, then 1e-4, 1e-5 (JavaScript alone writes 1e-6 as 0.000001 but 1e-7 as
 * 1e-7, so a long schedule's labels mixed the two forms)
 */
export const lrText = (lr: number): string => {
  const x = Number(lr.toPrecision(3));
  return x >= 1e-3 || x === 0 ? String(x) : x.toExponential();
};

export function accuracyFigure(rows: RunTop1[], teacherOf: (r: RunTop1) => string | undefined, claim: Mark, title: string): Figure {
  const students = rows.filter((r) => r.method === "remover" || r.method === "shortener");
  const gaps = students.flatMap((s) => {
    const t = rows.find((r) => r.run === teacherOf(s));
    return t ? [{ s, t, gap: 100 * (s.testTop1 - t.testTop1) }] : [];
  });
  const data: Trace[] = [];
  // x: one slot per method; seeds side by side in it, so that close values stay apart
  const methods = ["remover", "shortener"].filter((m) => gaps.some((x) => x.s.method === m));
  methods.forEach((method, i) => {
    const g = gaps.filter((x) => x.s.method === method);
    const trace: Trace = {
      type: "scatter",
      mode: "markers+text",
      name: `${methodName(method)} minus its teacher (one marker per seed)`,
      x: g.map((_, j) => i + (j - (g.length - 1) / 2) * 0.25),
      y: g.map((x) => x.gap),
      text: g.map((x) => `seed ${x.s.seed}<br>${pp(x.gap)}`),
      // the first seed's label to the left, the others' to the right
      textposition: g.map((_, j) => (j === 0 && g.length > 1 ? "middle left" : "middle right")),
      textfont: { size: 11 },
      cliponaxis: false,
      marker: { size: 12, color: METHOD_COLOR[method], symbol: designSymbol(method), line: seedOutline(g.map((x) => x.s.seed)) },
      hovertext: g.map((x) => `${x.s.run} (seed ${x.s.seed}): test top-1 ${pct(x.s.testTop1)}<br>teacher ${x.t.run}: ${pct(x.t.testTop1)}<br>gap ${pp(x.gap)}`),
      hoverinfo: "text",
    };
    data.push(...splitLaterSeeds(trace, g.map((x) => x.s.seed)));
  });
  const [lo, hi] = gapRange(gaps.map((x) => x.gap), claim);
  const runs = rows.map((r) => r.run);
  // validation as a dash, test as the run's design shape (markers.ts)
  for (const [k, name] of [
    ["valTop1", "validation top-1 (dash)"],
    ["testTop1", "test top-1 (the design's shape)"],
  ] as const) {
    const trace: Trace = {
      type: "scatter",
      mode: "markers+text",
      name,
      x: runs,
      y: rows.map((r) => 100 * r[k]),
      text: rows.map((r) => (100 * r[k]).toFixed(2)),
      textposition: k === "testTop1" ? "middle right" : "middle left",
      textfont: { size: 10 },
      cliponaxis: false,
      xaxis: "x2",
      yaxis: "y2",
      marker:
        k === "valTop1"
          ? { size: 14, symbol: VALIDATION_SYMBOL, color: rows.map((r) => METHOD_COLOR[r.method] ?? "#555"), line: { width: 3, color: rows.map((r) => METHOD_COLOR[r.method] ?? "#555") } }
          : { size: 10, symbol: rows.map((r) => runSymbol(r.run, r.method)), color: rows.map((r) => METHOD_COLOR[r.method] ?? "#555"), line: seedOutline(rows.map((r) => r.seed)) },
      hovertext: rows.map((r) => `${r.run} (${methodName(r.method)}, seed ${r.seed})<br>${name} ${pct(r[k])}`),
      hoverinfo: "text",
    };
    data.push(...(k === "testTop1" ? splitLaterSeeds(trace, rows.map((r) => r.seed)) : [trace]));
  }
  const designs = [...new Set(rows.map((r) => r.run.replace(/-seed\d+$/, "")))].map((d) => (d in DESIGN_SYMBOL ? d : rows.find((r) => r.run === d)!.method));
  const captionText =
    "Best checkpoint of each run by validation loss (students: once every skip is altered), evaluated on the 10,000 CIFAR-10 test images. Shaded: where C7a holds (a student loses at most the tolerance). " +
    `Bottom: a dash the validation split, the run's marker the test set. ${markerKey(designs, { seeds: rows.some((r) => r.seed > 1) })}`;
  // the caption's lines and a little air, under the rotated run names
  const captionPx = 17 * wrap(captionText, captionChars()).split("<br>").length + 10;
  return {
    data,
    layout: {
      ...BASE_LAYOUT,
      title: { text: title, subtitle: { text: "top: each student's test top-1 minus its own teacher's (C7a); bottom: top-1 of every run" } },
      // stacked: the two panels and the legend do not fit side by side in a notebook cell
      xaxis: { ...BASE_LAYOUT.xaxis, range: [-0.7, methods.length - 0.3], tickvals: methods.map((_, i) => i), ticktext: methods.map(methodName), zeroline: false, title: { text: "method" } },
      yaxis: { ...BASE_LAYOUT.yaxis, domain: [0.58, 1], range: [lo, hi], title: { text: "student − teacher (pp)" }, zeroline: true, zerolinecolor: "#888" },
      // a margin of a slot either side: the first and last runs' values are printed beside them, clear of the axis
      xaxis2: { ...BASE_LAYOUT.xaxis, type: "category", anchor: "y2", tickangle: -30, range: [-0.8, runs.length - 0.2] },
      yaxis2: { ...BASE_LAYOUT.yaxis, anchor: "x2", domain: [0, 0.4], range: top1Range(rows.flatMap((r) => [100 * r.valTop1, 100 * r.testTop1])), title: { text: "top-1 (%)" } },
      shapes: claimMarks(claim, "x", "y", true, hi),
      annotations: [caption(captionText, captionChars(), -110)],
      width: FIGURE_WIDTH,
      height: 840 + captionPx,
      margin: { t: 100, b: 110 + captionPx, l: 70, r: 30 },
    },
  };
}

export interface Curve {
  run: string;
  method: string;
  /** the epoch records, in order (one per finished epoch) */
  history: EpochRecord[];
  /** the best checkpoint's epoch (0-indexed), if any */
  best?: number;
  /** e.g. "in progress (epoch 8 of 40)": drawn dashed and so named */
  state?: string;
}

/** Epochs (0-indexed) whose validation already saw a newly altered skip, and epochs that began with a new lr. */
export function curveEvents(history: EpochRecord[]): { alterations: { epoch: number; skips: number[] }[]; lrSteps: { epoch: number; from: number; to: number }[] } {
  const alterations: { epoch: number; skips: number[] }[] = [];
  const lrSteps: { epoch: number; from: number; to: number }[] = [];
  for (let i = 1; i < history.length; i++) {
    const [a, b] = [history[i - 1], history[i]];
    const changed = b.skipModes.flatMap((m, k) => (m !== a.skipModes[k] ? [k] : []));
    if (changed.length) alterations.push({ epoch: b.epoch, skips: changed });
    if (b.lr !== a.lr) lrSteps.push({ epoch: b.epoch, from: a.lr, to: b.lr });
  }
  return { alterations, lrSteps };
}

export interface CurvePanel {
  title: string;
  /** the teacher drawn first; the students' epochs continue after its last one (they start from its best checkpoint) */
  teacher?: Curve;
  curves: Curve[];
}

/**
 * One panel per method pair: validation top-1 per epoch, the teacher first and its student after it. Dotted
 * vertical lines: a skip altered (after that epoch's training, before its validation); dashed: a learning-rate
 * step; stars: the best checkpoint.
 */
const ROW_PX = 260;
const GAP_PX = 100;

export function trainingFigure(panels: CurvePanel[], title: string, note = ""): Figure {
  const data: Trace[] = [];
  const shapes: object[] = [];
  const annotations: object[] = [];
  const layout: Record<string, unknown> = {};
  const n = panels.length;
  // each panel ROW_PX high, GAP_PX between them for the x-axis title and the next panel's title
  const plotPx = n * ROW_PX + (n - 1) * GAP_PX;
  const legendSeen = new Set<string>();
  panels.forEach((p, i) => {
    const ax = i === 0 ? "" : String(i + 1);
    const marked = new Set<string>(); // one line per event and position in a panel (seeds share their schedule)
    const offset = p.teacher ? p.teacher.history.length : 0;
    const all = [...(p.teacher ? [{ c: p.teacher, off: 0 }] : []), ...p.curves.map((c) => ({ c, off: p.teacher && c !== p.teacher ? offset : 0 }))];
    // lr labels sit at the panel's bottom, where the curves have risen by the first step (the stars, the best
    // checkpoints, sit near the top); a label closer than this to another in its row goes a row up
    const span = Math.max(1, ...all.map(({ c, off }) => c.history.length + off));
    const lrRows: number[][] = [];
    for (const { c, off } of all) {
      const color = METHOD_COLOR[c.run.replace(/-seed\d+$/, "")] ?? METHOD_COLOR[c.method] ?? "#555";
      const x = c.history.map((h) => h.epoch + 1 + off);
      data.push({
        type: "scatter",
        mode: "lines+markers",
        name: `${c.run}${c.state ? `, ${c.state}` : ""}`,
        legendgroup: c.run,
        showlegend: !legendSeen.has(`run ${c.run}`),
        x,
        y: c.history.map((h) => 100 * h.valTop1),
        xaxis: `x${ax}`,
        yaxis: `y${ax}`,
        line: { color, width: 2, dash: c.state ? "dash" : /-seed\d+$/.test(c.run) ? "dot" : "solid" },
        // large enough to tell the shapes apart (a hexagon from a circle) where the points are dense
        marker: { size: 6, color, symbol: runSymbol(c.run, c.method) },
        hovertext: c.history.map((h) => `${c.run}, epoch ${h.epoch + 1}: val top-1 ${pct(h.valTop1)}, loss ${h.valLoss.toFixed(3)}, lr ${Number(h.lr.toPrecision(3))}<br>skips: ${h.skipModes.join(" ")}`),
        hoverinfo: "text",
      });
      legendSeen.add(`run ${c.run}`);
      const best = c.history.find((h) => h.epoch === c.best);
      if (best && !c.state) {
        data.push({
          type: "scatter",
          mode: "markers",
          name: "best checkpoint (evaluated on the test set)",
          legendgroup: "best",
          showlegend: !legendSeen.has("best"),
          x: [best.epoch + 1 + off],
          y: [100 * best.valTop1],
          xaxis: `x${ax}`,
          yaxis: `y${ax}`,
          marker: { symbol: STAR, size: 14, color, line: { color: "black", width: 1 } },
          hovertext: [`${c.run}: best checkpoint, epoch ${best.epoch + 1}, val top-1 ${pct(best.valTop1)}`],
          hoverinfo: "text",
        });
        legendSeen.add("best");
      }
      const ev = curveEvents(c.history);
      for (const a of ev.alterations) {
        const key = `alter ${c.method} ${a.epoch + off}`;
        if (marked.has(key)) continue;
        marked.add(key);
        shapes.push({
          type: "line",
          xref: `x${ax}`,
          yref: `y${ax} domain`,
          x0: a.epoch + 1 + off - 0.15,
          x1: a.epoch + 1 + off - 0.15,
          y0: 0,
          y1: 1,
          line: { color, width: 1, dash: "dot" },
          name: `skip altered (${methodName(c.method)})`,
          legendgroup: `alter ${c.method}`,
          showlegend: !legendSeen.has(`alter ${c.method}`),
        });
        legendSeen.add(`alter ${c.method}`);
      }
      // a student after its teacher starts at its own learning rate: a step at its first epoch when that differs
      const before = off > 0 && p.teacher ? p.teacher.history[p.teacher.history.length - 1]?.lr : undefined;
      const first = c.history[0];
      const steps = before !== undefined && first && first.lr !== before ? [{ epoch: first.epoch, from: before, to: first.lr }, ...ev.lrSteps] : ev.lrSteps;
      for (const s of steps) {
        const key = `lr ${s.epoch + off}`;
        if (marked.has(key)) continue;
        marked.add(key);
        const x = s.epoch + 0.5 + off;
        let row = lrRows.findIndex((r) => r.every((b) => Math.abs(b - x) >= 0.1 * span));
        if (row < 0) row = lrRows.push([]) - 1;
        lrRows[row].push(x);
        shapes.push({
          type: "line",
          xref: `x${ax}`,
          yref: `y${ax} domain`,
          x0: x,
          x1: x,
          y0: 0,
          y1: 1,
          line: { color: "#222", width: 1.5, dash: "dash" },
          name: "learning-rate step",
          legendgroup: "lr",
          showlegend: !legendSeen.has("lr"),
        });
        annotations.push({ text: `lr ${lrText(s.to)}`, xref: `x${ax}`, yref: `y${ax} domain`, x, y: 0, xanchor: "left", yanchor: "bottom", xshift: 2, yshift: 2 + 13 * row, showarrow: false, font: { size: 10 } });
        legendSeen.add("lr");
      }
    }
    // one panel a row: side by side, three panels and the legend do not fit a notebook cell
    layout[`xaxis${ax}`] = { ...BASE_LAYOUT.xaxis, anchor: `y${ax}`, title: { text: p.teacher && p.curves.length ? `epoch (teacher 1-${offset}, then the student)` : "epoch" } };
    // one scale for every panel: the reader compares SkipRemover's curve with SkipShortener's across panels
    layout[`yaxis${ax}`] = { ...BASE_LAYOUT.yaxis, anchor: `x${ax}`, domain: stackedDomain(i, n, GAP_PX / plotPx), title: { text: "validation top-1 (%)" }, ...(i ? { matches: "y" } : {}) };
    annotations.push({ text: `<b>${p.title}</b>`, xref: `x${ax} domain`, yref: `y${ax} domain`, x: 0.5, y: 1.02, xanchor: "center", yanchor: "bottom", showarrow: false, font: { size: 13 } });
  });
  const width = FIGURE_WIDTH;
  const text =
    "Dotted vertical line: a skip altered at the end of that epoch's training (the point after it is validated on the altered network); dashed: the learning rate changes from that epoch on; " +
    `star: the checkpoint kept (lowest validation loss once every skip is altered).${note ? ` ${note}` : ""}`;
  const chars = captionChars(width);
  annotations.push(caption(text, chars, -62));
  const lines = wrap(text, chars).split("<br>").length;
  return {
    data,
    layout: {
      ...BASE_LAYOUT,
      ...layout,
      title: { text: title },
      shapes,
      annotations,
      legend: { font: { size: 11 }, tracegroupgap: 2 },
      width,
      height: plotPx + 90 + 80 + 17 * lines,
      margin: { t: 90, b: 80 + 17 * lines, l: 70, r: 30 },
    },
  };
}

/**
 * The depth study: per depth, left the gap of SkipRemover, SkipShortener and the network without skips to their
 * reference (C7a's tolerance band), right the absolute test top-1 of every finished run. Runs that have not
 * finished are not drawn; the caption lists them with their progress.
 */
export function depthFigure(runs: DepthRun[], claim: Mark): Figure {
  const nets = [...new Set(runs.map((r) => r.net))].sort((a, b) => depthOf(a) - depthOf(b));
  const cats = nets.map(netName);
  const done = runs.filter((r) => r.state === "done");
  const data: Trace[] = [];
  const gaps: number[] = [];
  const seedOf = (r: DepthRun) => /-seed(\d+)$/.exec(r.run)?.[1];
  for (const method of ["remover", "shortener", "noskip"]) {
    const pts = done
      .flatMap((r) => {
        const g = r.method === method ? gap(r, runs) : null;
        return g === null ? [] : [{ r, g }];
      })
      .sort((a, b) => depthOf(a.r.net) - depthOf(b.r.net));
    gaps.push(...pts.map((p) => p.g));
    const name = `${methodName(method)} minus ${method === "shortener" ? "its shortenable teacher" : "the plain teacher"}`;
    // the first seed, one line from the shallowest network to the deepest; other seeds (the seed-2 students of SECOND_SEED_NETS)
    // are markers of their own, with a legend entry, never joined to the line (it would run back from ResNet-56)
    const bySeed = new Map<string | undefined, typeof pts>();
    for (const p of pts) bySeed.set(seedOf(p.r), [...(bySeed.get(seedOf(p.r)) ?? []), p]);
    for (const [seed, sel] of [...bySeed].sort(([a], [b]) => Number(a ?? 1) - Number(b ?? 1))) {
      data.push({
        type: "scatter",
        mode: seed === undefined ? "markers+lines" : "markers",
        name: seed === undefined ? name : `${name}, seed ${seed}`,
        x: sel.map((p) => netName(p.r.net)),
        y: sel.map((p) => p.g),
        // side by side within a network's slot (scattermode "group"), so that close gaps stay apart
        offsetgroup: method,
        // a second seed outlined in black (markers.ts)
        marker: { size: 11, color: METHOD_COLOR[method], symbol: designSymbol(method), line: seedOutline(sel.map(() => Number(seed ?? 1))) },
        ...(seed === undefined ? { line: { color: METHOD_COLOR[method], width: 1 } } : {}),
        hovertext: sel.map((p) => `${p.r.id}: gap ${pp(p.g)} to ${p.r.reference}`),
        hoverinfo: "text",
      });
    }
  }
  for (const net of nets) {
    const rs = done.filter((r) => r.net === net && r.testTop1 !== undefined);
    if (!rs.length) continue;
    data.push({
      type: "scatter",
      mode: "markers",
      name: `${netName(net)} test top-1`,
      // "teacher-shortenable" and the seed-2 runs on two lines: with all 7 runs drawn, tick labels in one line would
      // be turned and run into the axis title and the caption
      x: rs.map((r) => r.run.replace("-", "-<br>")),
      y: rs.map((r) => 100 * r.testTop1!),
      xaxis: "x2",
      yaxis: "y2",
      offsetgroup: net,
      // its legend entry is the colour swatch below: a marker there would show one run's shape for all of them
      showlegend: false,
      legendgroup: `net ${net}`,
      marker: { size: 10, color: NET_COLOR[net], symbol: rs.map((r) => runSymbol(r.run, r.method)), line: seedOutline(rs.map((r) => Number(seedOf(r) ?? 1))) },
      hovertext: rs.map((r) => `${r.id}: test top-1 ${pct(r.testTop1!)} (best epoch ${(r.bestEpoch ?? 0) + 1})`),
      hoverinfo: "text",
    });
    data.push({ type: "scatter", mode: "lines", name: `${netName(net)} test top-1 (colour)`, legendgroup: `net ${net}`, x: [null], y: [null], xaxis: "x2", yaxis: "y2", line: { color: NET_COLOR[net], width: 6 }, hoverinfo: "skip" });
  }
  // plotly draws no subplot that no trace refers to: an empty trace keeps the right panel's axes when nothing is done
  if (!data.some((t) => t.xaxis === "x2")) data.push({ type: "scatter", mode: "markers", x: [], y: [], xaxis: "x2", yaxis: "y2", showlegend: false, hoverinfo: "skip" });
  const [lo, hi] = gapRange(gaps, claim);
  const waiting = runs.filter((r) => r.state !== "done");
  // each run begun and not done by name with its state (in progress, failed or invalid, with why); those not started counted
  const inProgress = waiting.filter((r) => r.state !== "not started").map((r) => `${r.id} ${stateLabel(r)}`);
  const notStarted = waiting.filter((r) => r.state === "not started").length;
  // nothing waiting: no sentence (it would read "Not drawn, not finished: none in progress.")
  const missing = waiting.length ? ` Not drawn, not finished: ${inProgress.length ? inProgress.join(", ") : "none in progress"}${notStarted ? `; ${notStarted} run${notStarted === 1 ? "" : "s"} not started` : ""}.` : "";
  const empty = done.length === 0;
  return {
    data,
    layout: {
      ...BASE_LAYOUT,
      title: { text: `The depth study: Tailor on ${cats.join(", ")}<br>(CIFAR-10, ${done.length} of ${runs.length} runs finished)`, subtitle: { text: "top: test top-1 minus the reference's (C7a, C7b); bottom: test top-1 of every finished run" } },
      scattermode: "group",
      // stacked: the two panels and the legend do not fit side by side in a notebook cell
      xaxis: { ...BASE_LAYOUT.xaxis, type: "category", categoryorder: "array", categoryarray: cats, range: [-0.5, cats.length - 0.5], title: { text: "network" } },
      yaxis: { ...BASE_LAYOUT.yaxis, domain: [0.6, 1], range: [lo, hi], title: { text: "gap to reference (pp)" }, zeroline: true, zerolinecolor: "#888" },
      xaxis2: { ...BASE_LAYOUT.xaxis, type: "category", anchor: "y2", title: { text: "run" } },
      yaxis2: { ...BASE_LAYOUT.yaxis, anchor: "x2", domain: [0, 0.4], range: top1Range(done.flatMap((r) => (r.testTop1 === undefined ? [] : [100 * r.testTop1]))), title: { text: "test top-1 (%)" } },
      shapes: claimMarks(claim, "x", "y", true, hi),
      annotations: [
        ...(empty
          ? ["", "2"].map((ax) => ({ text: "no run has finished yet:<br>no result to show", xref: `x${ax} domain`, yref: `y${ax} domain`, x: 0.5, y: 0.5, showarrow: false, font: { size: 18, color: "#888" } }))
          : !gaps.length
            ? [{ text: "no student nor baseline has finished<br>with its reference: no gap yet", xref: "x domain", yref: "y domain", x: 0.5, y: 0.25, showarrow: false, font: { size: 16, color: "#888" } }]
            : []),
        caption(`Best checkpoint by validation loss (students: once every skip is altered), 10,000 test images. ${markerKey([...new Set(done.map((r) => r.run.replace(/-seed\d+$/, "")))].filter((d) => d in DESIGN_SYMBOL), { seeds: done.some((r) => seedOf(r) !== undefined) })} Bottom: colour the network. Shaded: within ${claim.tolerance} ${claim.unit} of the teacher (C7a; C7b's shortener part).${missing}`, captionChars(), -100),
      ],
      width: FIGURE_WIDTH,
      height: 960,
      margin: { t: 110, b: 170, l: 70, r: 30 },
    },
  };
}
