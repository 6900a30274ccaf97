/**
 * Plotly figure specs (plain JSON) of the hardware sweeps and the claims C1-C6. One house style for every figure
 * (plot-style.ts): savings as positive numbers, one metric per panel, the paper's value as a dashed line and our
 * tolerance as a shaded band on every claim figure, a configuration's settings in the hover of its points. The paper's values
 * and tolerances always come in through the claim specs (data/claims.json), never as numbers typed here.
 */
import type { ClaimResult, ClaimSpec } from "./claims.js";
import { hlsValue, peValue, type HlsQuantity, type PeQuantity } from "./hardware-claims.js";
import type { HlsRow } from "./hls4ml-sweep.js";
import type { PeRow } from "./pe-sweep.js";
import { designSymbol, STAR } from "./markers.js";
import { BASE_LAYOUT, caption, claimMarks, FIGURE_WIDTH, METHOD_COLOR, methodName, NET_COLOR, netName, stackedDomain, wrap, captionChars, type Figure, type Trace } from "./plot-style.js";

export type { Figure } from "./plot-style.js";

/** What a claim figure needs of a claim: its paper value, tolerance and check (data/claims.json). */
export type ClaimMark = Pick<ClaimSpec, "id" | "paper" | "tolerance" | "check" | "unit">;

/** The axis title of each claim quantity: savings and gains are positive numbers. */
export const QUANTITY_AXIS: Record<string, string> = {
  bram18: "BRAM18 saving (%)",
  ff: "FF saving (%)",
  lut: "LUT saving (%)",
  latency: "|latency change| (%)",
  perf: "performance gain (%)",
  bytes: "DRAM-byte saving (%)",
};

const r1 = (v: number) => (Math.round(v * 10) / 10).toFixed(1);

/**
 * hls4ml: saving of BRAM18, FF and LUT (one panel each) vs reuse factor, one line per network (colour, the same in
 * every panel) and method (dash), for one precision and FIFO policy of the sweep. SkipRemover's designs are built
 * with the ReLU merge, SkipShortener's with the ReLU merge and fused short skips. Open markers: a design (teacher or
 * student) that does not fit the part. `claims` are C1-C3 (matched by their quantity), drawn in their panels.
 */
export function hlsResourceFigure(rows: HlsRow[], precision: number, fifoDepth: string, claims: (ClaimMark & Pick<ClaimSpec, "quantity">)[]): Figure {
  const sel = rows.filter((r) => r.precision === precision && r.fifoDepth === fifoDepth && !r.label.startsWith("MLPerf") && r.reluMerge && (r.method === "remover" || r.shortImpl === "fused"));
  const rfs = [...new Set(sel.map((r) => r.reuseFactor))].sort((a, b) => a - b);
  const part = [...new Set(sel.map((r) => r.part))].join(", ");
  const panels: ["bram18" | "ff" | "lut", string][] = [
    ["bram18", "BRAM18"],
    ["ff", "FF"],
    ["lut", "LUT"],
  ];
  const data: Trace[] = [];
  const shapes: object[] = [];
  const layout: Record<string, unknown> = {};
  // three panels do not fit side by side in a notebook cell: one above the other, the reuse factor shared
  panels.forEach(([k, label], i) => {
    const ax = i === 0 ? "" : String(i + 1);
    for (const net of [...new Set(sel.map((r) => r.network))]) {
      for (const method of ["remover", "shortener"] as const) {
        const pts = sel.filter((r) => r.network === net && r.method === method).sort((a, b) => a.reuseFactor - b.reuseFactor);
        if (!pts.length) continue;
        data.push({
          type: "scatter",
          mode: "lines+markers",
          name: `${netName(net)} ${methodName(method)}`,
          legendgroup: `${net} ${method}`,
          showlegend: i === 0,
          x: pts.map((r) => r.reuseFactor),
          y: pts.map((r) => -r.change[k]),
          xaxis: `x${ax}`,
          yaxis: `y${ax}`,
          line: { color: NET_COLOR[net], dash: method === "remover" ? "solid" : "dot", width: 2 },
          marker: { color: NET_COLOR[net], size: 8, symbol: pts.map((r) => designSymbol(method, r.fits)) },
          hovertext: pts.map(
            (r) =>
              `${netName(net)} ${methodName(method)}, reuse factor ${r.reuseFactor} (${r.strategy})<br>${label} saving ${r1(-r.change[k])}%: ` +
              `teacher ${Math.round(r.base[k])}, student ${Math.round(r.altered[k])}<br>${r.fits ? `fits ${r.part}` : `does not fit ${r.part}`}`,
          ),
          hoverinfo: "text",
        });
      }
    }
    const claim = claims.find((c) => c.quantity === k);
    // every panel's claim in the legend: the panels judge different claims
    if (claim) shapes.push(...claimMarks(claim, `x${ax}`, `y${ax}`, true));
    const last = i === panels.length - 1;
    // a log axis: the reuse factors step x16 and x4, and the distance between them says so
    layout[`xaxis${ax}`] = { ...BASE_LAYOUT.xaxis, type: "log", tickvals: rfs, ticktext: rfs.map(String), title: { text: last ? "reuse factor (log scale)" : "" }, anchor: `y${ax}`, ...(i ? { matches: "x" } : {}) };
    // every panel from 0: a saving read against no saving, never against the band's edge
    layout[`yaxis${ax}`] = { ...BASE_LAYOUT.yaxis, title: { text: `${label} saving (%)` }, rangemode: "tozero", zeroline: true, zerolinecolor: "#888", anchor: `x${ax}`, domain: stackedDomain(i, panels.length, 0.07) };
  });
  // a legend entry for the hollow markers (no data: only its symbol is drawn in the legend)
  data.push({ type: "scatter", mode: "markers", name: `hollow: does not fit ${part}`, x: [null], y: [null], marker: { symbol: designSymbol("remover", false), color: "#444", size: 8 }, hoverinfo: "skip" });
  return {
    data,
    layout: {
      ...BASE_LAYOUT,
      ...layout,
      title: {
        text: `hls4ml sweep (${precision}-bit, ${fifoDepth} FIFO depths, ${part}):<br>saving of the Tailor network over its teacher`,
        subtitle: { text: "SkipRemover: ReLU merge flow. SkipShortener: ReLU merge with fused short skips." },
      },
      shapes,
      annotations: [
        caption(
          "Colour: network; solid line, filled circle: SkipRemover; dotted line, filled diamond: SkipShortener; hollow marker: the teacher or the student does not fit the part. " +
            "Dashed line: the paper's 'up to' value of C1/C2/C3, shaded: our tolerance. The claims are judged at their reference configuration " +
            "(figures claim-C1..C3, the MLPerf-Tiny-like hls4ml design); this sweep shows how the saving moves with the reuse factor.",
        ),
      ],
      legend: { font: { size: 11 }, tracegroupgap: 2 },
      width: FIGURE_WIDTH,
      height: 980,
      margin: { t: 110, b: 130, l: 70, r: 30 },
    },
  };
}

/** The configuration fields a PE-array figure fixes (the reference's), and how they read in a title. */
export interface PeReference {
  name: string;
  config: PeRow["config"];
}

/**
 * PE array: performance gain and DRAM-byte saving (one panel each, both "up is good") vs DRAM bandwidth, for one
 * network at the claims' reference configuration with the bandwidth and the add mode varied; the reference point
 * itself is a star. `claims` are C4 (perf) and C5 (bytes).
 */
export function peFigure(rows: PeRow[], network: string, ref: PeReference, claims: (ClaimMark & Pick<ClaimSpec, "quantity">)[]): Figure {
  const c = ref.config;
  const same = (r: PeRow) =>
    r.network === network &&
    r.config.rows === c.rows &&
    r.config.cols === c.cols &&
    r.config.dataflow === c.dataflow &&
    r.config.ifmapBufferBytes === c.ifmapBufferBytes &&
    r.config.filterBufferBytes === c.filterBufferBytes &&
    r.config.ofmapBufferBytes === c.ofmapBufferBytes &&
    r.config.keepOnChip === c.keepOnChip;
  const sel = rows.filter(same);
  const bws = [...new Set(sel.map((r) => r.config.dramBytesPerCycle))].sort((a, b) => a - b).map(String);
  const panels: ["perf" | "bytes", string][] = [
    ["perf", QUANTITY_AXIS.perf],
    ["bytes", QUANTITY_AXIS.bytes],
  ];
  const value = (r: PeRow, q: "perf" | "bytes") => (q === "perf" ? r.perf : -r.bytes);
  const kib = (b: number) => `${b / 1024} KiB`;
  // the reference's settings go in the stars' hover, not in the title
  const refSettings = `${kib(c.ifmapBufferBytes)} buffers, ${c.keepOnChip ? "activations kept on chip" : "every activation through DRAM"}, ${c.addMode} add, ${c.dramBytesPerCycle} B/cycle`;
  const data: Trace[] = [];
  const shapes: object[] = [];
  const layout: Record<string, unknown> = {};
  panels.forEach(([q, axis], i) => {
    const ax = i === 0 ? "" : "2";
    for (const method of ["remover", "shortener"] as const)
      for (const add of ["fused", "separate"] as const) {
        const pts = sel.filter((r) => r.method === method && r.config.addMode === add).sort((a, b) => a.config.dramBytesPerCycle - b.config.dramBytesPerCycle);
        if (!pts.length) continue;
        const isRef = add === c.addMode;
        data.push({
          type: "scatter",
          mode: "lines+markers",
          name: `${methodName(method)}, ${add} add${isRef ? " (reference)" : ""}`,
          legendgroup: `${method} ${add}`,
          showlegend: i === 0,
          x: pts.map((r) => String(r.config.dramBytesPerCycle)),
          y: pts.map((r) => value(r, q)),
          xaxis: `x${ax}`,
          yaxis: `y${ax}`,
          line: { color: METHOD_COLOR[method], dash: add === "fused" ? "solid" : "dot", width: 2 },
          marker: { color: METHOD_COLOR[method], size: 7, symbol: designSymbol(method) },
          hovertext: pts.map(
            (r) =>
              `${netName(network)} ${methodName(method)}, ${add} add, ${r.config.dramBytesPerCycle} B/cycle<br>${axis.replace(" (%)", "")} ${r1(value(r, q))}%` +
              `<br>teacher ${r.base.inferencesPerSecond.toFixed(0)} inf/s, ${(r.base.dramBytes / 1e6).toFixed(2)} MB per inference`,
          ),
          hoverinfo: "text",
        });
      }
    const refPts = sel.filter((r) => r.config.addMode === c.addMode && r.config.dramBytesPerCycle === c.dramBytesPerCycle);
    data.push({
      type: "scatter",
      mode: "markers",
      name: "reference configuration",
      legendgroup: "reference",
      showlegend: i === 0,
      x: refPts.map((r) => String(r.config.dramBytesPerCycle)),
      y: refPts.map((r) => value(r, q)),
      xaxis: `x${ax}`,
      yaxis: `y${ax}`,
      marker: { symbol: STAR, size: 16, color: refPts.map((r) => METHOD_COLOR[r.method]), line: { color: "black", width: 1 } },
      hovertext: refPts.map((r) => `reference "${ref.name}": ${netName(network)} ${methodName(r.method)} ${r1(value(r, q))}%<br>${refSettings}`),
      hoverinfo: "text",
    });
    const claim = claims.find((cl) => cl.quantity === q);
    if (claim) shapes.push(...claimMarks(claim, `x${ax}`, `y${ax}`, true));
    // stacked: two panels and a legend do not fit side by side in a notebook cell
    layout[`xaxis${ax}`] = { ...BASE_LAYOUT.xaxis, type: "category", categoryorder: "array", categoryarray: bws, title: { text: i ? "DRAM bandwidth (bytes/cycle)" : "" }, anchor: `y${ax}`, ...(i ? { matches: "x" } : {}) };
    layout[`yaxis${ax}`] = { ...BASE_LAYOUT.yaxis, title: { text: axis }, zeroline: true, zerolinecolor: "#888", anchor: `x${ax}`, domain: stackedDomain(i, 2, 0.1) };
  });
  return {
    data,
    layout: {
      ...BASE_LAYOUT,
      ...layout,
      title: {
        text: `${netName(network)} on a ${c.rows}x${c.cols} ${c.dataflow === "os" ? "output" : "weight"}-stationary PE array:<br>Tailor network vs its teacher`,
        subtitle: { text: `the reference configuration "${ref.name}" with the DRAM bandwidth and the add mode varied (its settings: hover a star)` },
      },
      shapes,
      annotations: [
        caption(
          "Both panels: up is better for the Tailor network. Solid: the skip added inside the conv that ends it (fused), dotted: a separate element-wise pass. " +
            "Star: the reference configuration, where C4 and C5 are judged (largest value over all networks, claim-C4/C5). Dashed line: the paper's value, shaded: our tolerance.",
        ),
      ],
      width: FIGURE_WIDTH,
      height: 820,
      margin: { t: 110, b: 130, l: 70, r: 30 },
    },
  };
}

export interface ClaimPoint {
  /** network and method, e.g. "resnet8 remover" */
  network: string;
  method: string;
  value: number;
  /** the design's configuration, for the hover text */
  label?: string;
  /** a design that does not fit its part: drawn hollow, never counted */
  fits?: boolean;
}

/**
 * One claim's values over the sweep: a box per network and method with every design as a point, the reference
 * configuration's pairs as stars (hollow when a design does not fit and is not counted), the paper's value as a
 * dashed line and our tolerance as a band; title: the claim, our value and verdict; caption: the configuration.
 */
export function claimDistributionFigure(o: { result: ClaimResult; axis: string; points: ClaimPoint[]; reference: ClaimPoint[]; leftOut: number; referenceName: string; settings: string }): Figure {
  const { result } = o;
  // x: the network; the two methods side by side in each (grouped boxes, stars offset with their method)
  const nets = [...new Set([...o.points, ...o.reference].map((p) => p.network))];
  const cats = nets.map(netName);
  const methods = [...new Set([...o.points, ...o.reference].map((p) => p.method))];
  const data: Trace[] = [];
  for (const method of methods) {
    const pts = o.points.filter((p) => p.method === method);
    if (!pts.length) continue;
    data.push({
      type: "box",
      name: `${methodName(method)}: sweep designs`,
      offsetgroup: method,
      x: pts.map((p) => netName(p.network)),
      y: pts.map((p) => p.value),
      boxpoints: "all",
      jitter: 0.6,
      pointpos: 0,
      marker: { size: 3, opacity: 0.45, color: METHOD_COLOR[method], symbol: designSymbol(method) },
      line: { color: METHOD_COLOR[method] },
      fillcolor: "rgba(0,0,0,0)",
      hovertext: pts.map((p) => `${netName(p.network)} ${methodName(p.method)}: ${r1(p.value)}${result.unit}${p.label ? `<br>${p.label}` : ""}`),
      hoverinfo: "text",
    });
  }
  for (const [fits, name] of [
    [true, "reference configuration"],
    [false, "reference, does not fit the part (not counted)"],
  ] as const) {
    methods.forEach((method, i) => {
      const pts = o.reference.filter((p) => p.method === method && (p.fits !== false) === fits);
      if (!pts.length) return;
      data.push({
        type: "scatter",
        mode: "markers",
        name,
        legendgroup: name,
        showlegend: !data.some((t) => t.legendgroup === name),
        offsetgroup: method,
        x: pts.map((p) => netName(p.network)),
        y: pts.map((p) => p.value),
        marker: fits ? { symbol: STAR, size: 16, color: METHOD_COLOR[method], line: { color: "black", width: 1 } } : { symbol: `${STAR}-open`, size: 14, color: "#555" },
        hovertext: pts.map((p) => `reference "${o.referenceName}": ${netName(p.network)} ${methodName(p.method)} ${r1(p.value)}${result.unit}${fits ? "" : ", does not fit: not counted"}<br>${wrap(o.settings, 70)}`),
        hoverinfo: "text",
      });
      void i;
    });
  }
  const ours = result.ours === null ? "not computed" : `${r1(result.ours)}${result.unit}`;
  const drawn = o.leftOut
    ? `the ${o.points.length} designs of the sweep that fit their part, one dot each (${o.leftOut} more do not fit and are not drawn)`
    : `the ${o.points.length} designs of the sweep, one dot each`;
  // an absolute value (|latency change|) cannot go below 0: the axis starts there, not at the band's lower edge
  const absolute = o.axis.startsWith("|");
  // an absolute value far inside its band (C6: at most a fraction of a percent against ± 5) is drawn on its own
  // scale, the band filling the panel, so that the values themselves can be read
  const top = 1.1 * Math.max(absolute ? 0.1 : result.paper + result.tolerance, ...o.points.map((p) => p.value), ...o.reference.map((p) => p.value));
  // each network's reference values under its name, in its methods' colours: readable wherever the stars sit
  const refText = (net: string) =>
    methods
      .map((m) => o.reference.find((p) => p.network === net && p.method === m))
      .map((p) => (p ? `<span style="color:${METHOD_COLOR[p.method]}">${r1(p.value)}${result.unit}${p.fits === false ? "*" : ""}</span>` : ""))
      .filter(Boolean)
      .join(" · ");
  return {
    data,
    layout: {
      ...BASE_LAYOUT,
      title: {
        text: `${result.id}: ${result.claim}`,
        subtitle: { text: `paper ${result.paper}${result.unit}; ours at the reference ${ours} (largest over its pairs): ${result.status}` },
      },
      boxmode: "group",
      scattermode: "group",
      xaxis: { ...BASE_LAYOUT.xaxis, type: "category", categoryorder: "array", categoryarray: cats, tickvals: cats, ticktext: nets.map((n) => `${netName(n)}<br>${refText(n)}`), title: { text: "network (left: SkipRemover, right: SkipShortener)" } },
      // enough ticks that a value below 0 (C4's shortener) has labelled ticks around it
      yaxis: { ...BASE_LAYOUT.yaxis, title: { text: o.axis }, zeroline: true, zerolinecolor: "#888", nticks: 12, ...(absolute ? { range: [-0.05 * top, top] } : {}) },
      shapes: claimMarks(result, "x", "y", true, top),
      annotations: [
        caption(
          `Boxes: ${drawn}. Stars: each network and method at the reference configuration "${o.referenceName}" (hover a star for its settings), ` +
            `their values under the network's name; hollow star and *: does not fit its part, not counted.`,
          captionChars(),
          -80,
        ),
      ],
      width: FIGURE_WIDTH,
      height: 640,
      margin: { t: 100, b: 150, l: 70, r: 30 },
    },
  };
}

/** The settings of a reference, for a hover: every field data/claims.json fixes. */
export const referenceSettings = (config: Record<string, unknown>) => `data/claims.json: ${Object.entries(config).map(([k, v]) => `${k} ${v}`).join(", ")}`;

const hlsPoint = (r: HlsRow, q: HlsQuantity): ClaimPoint => ({ network: r.network, method: r.method, value: hlsValue(r, q), fits: r.fits, label: `${r.label}, ${r.strategy}, flow ${r.flow}, ${r.part}` });

const pePoint = (r: PeRow, q: PeQuantity): ClaimPoint => ({
  network: r.network,
  method: r.method,
  value: peValue(r, q),
  label: `${r.config.rows}x${r.config.cols} ${r.config.dataflow}, ${r.config.dramBytesPerCycle} B/cycle, ${r.config.ifmapBufferBytes / 1024} KiB buffers, ${r.config.addMode} add, ${r.config.keepOnChip ? "on-chip reuse" : "all through DRAM"}`,
});

/** C1-C3, C6: the sweep's designs that fit their part, and every pair of the reference (those that do not fit, hollow). */
export function hlsClaimFigure(result: ClaimResult, quantity: HlsQuantity, sweep: HlsRow[], reference: HlsRow[], refName: string, refConfig: Record<string, unknown>): Figure {
  return claimDistributionFigure({
    result,
    axis: QUANTITY_AXIS[quantity],
    points: sweep.filter((r) => r.fits).map((r) => hlsPoint(r, quantity)),
    reference: reference.map((r) => hlsPoint(r, quantity)),
    leftOut: sweep.filter((r) => !r.fits).length,
    referenceName: refName,
    settings: referenceSettings(refConfig),
  });
}

/** C4, C5: every design of the sweep, and every pair of the reference. */
export function peClaimFigure(result: ClaimResult, quantity: PeQuantity, sweep: PeRow[], reference: PeRow[], refName: string, refConfig: Record<string, unknown>): Figure {
  return claimDistributionFigure({
    result,
    axis: QUANTITY_AXIS[quantity],
    points: sweep.map((r) => pePoint(r, quantity)),
    reference: reference.map((r) => pePoint(r, quantity)),
    leftOut: 0,
    referenceName: refName,
    settings: referenceSettings(refConfig),
  });
}
