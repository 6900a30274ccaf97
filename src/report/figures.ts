/** Plotly figure specs (plain JSON) for the sweeps and the training runs. */
import type { HlsRow } from "./hls4ml-sweep.js";
import type { PeRow } from "./pe-sweep.js";

export interface Figure {
  data: object[];
  layout: object;
}

const layout = (title: string, x: string, y: string, extra: object = {}) => ({
  title: { text: title },
  xaxis: { title: { text: x } },
  yaxis: { title: { text: y } },
  width: 900,
  height: 520,
  legend: { orientation: "h", y: -0.25 },
  margin: { b: 140 },
  ...extra,
});

/**
 * Change of BRAM, FF and LUT vs reuse factor, one line per network and method (8-bit, default FIFO depths), in the
 * flow with the ReLU merge (the shortener's short skips fused).
 */
export function hlsResourceFigure(rows: HlsRow[], precision = 8, fifoDepth = "default"): Figure {
  const sel = rows.filter((r) => r.precision === precision && r.fifoDepth === fifoDepth && !r.label.startsWith("MLPerf") && r.reluMerge && (r.method === "remover" || r.shortImpl === "fused"));
  const data: object[] = [];
  const keys: ["bram18" | "ff" | "lut", string][] = [
    ["bram18", "BRAM"],
    ["ff", "FF"],
    ["lut", "LUT"],
  ];
  keys.forEach(([k, name], i) => {
    for (const net of [...new Set(sel.map((r) => r.network))]) {
      for (const method of ["remover", "shortener"]) {
        const pts = sel.filter((r) => r.network === net && r.method === method).sort((a, b) => a.reuseFactor - b.reuseFactor);
        data.push({
          type: "scatter",
          mode: "lines+markers",
          name: `${name} ${net} ${method}`,
          x: pts.map((r) => r.reuseFactor),
          y: pts.map((r) => r.change[k]),
          xaxis: `x${i + 1}`,
          yaxis: `y${i + 1}`,
          line: { dash: method === "remover" ? "solid" : "dot" },
        });
      }
    }
  });
  return {
    data,
    layout: {
      ...layout(`hls4ml (${precision}-bit, ${fifoDepth} FIFO depths, ReLU merge, fused short skips): resource change of the Tailor network vs its teacher`, "", ""),
      grid: { rows: 1, columns: 3, pattern: "independent" },
      xaxis: { type: "log", title: { text: "reuse factor (BRAM)" } },
      xaxis2: { type: "log", title: { text: "reuse factor (FF)" } },
      xaxis3: { type: "log", title: { text: "reuse factor (LUT)" } },
      yaxis: { title: { text: "change (%)" } },
      width: 1200,
      height: 560,
    },
  };
}

/** Performance and DRAM-byte change vs DRAM bandwidth on a 32x32 array, per add mode (64 KiB buffers). */
export function peFigure(rows: PeRow[], network: string): Figure {
  const sel = rows.filter((r) => r.network === network && r.config.rows === 32 && r.config.ifmapBufferBytes === 64 * 1024 && r.config.dataflow === "os" && !r.config.keepOnChip);
  const data: object[] = [];
  for (const method of ["remover", "shortener"])
    for (const add of ["fused", "separate"]) {
      const pts = sel.filter((r) => r.method === method && r.config.addMode === add).sort((a, b) => a.config.dramBytesPerCycle - b.config.dramBytesPerCycle);
      data.push({ type: "scatter", mode: "lines+markers", name: `performance, ${method}, ${add} add`, x: pts.map((r) => r.config.dramBytesPerCycle), y: pts.map((r) => r.perf) });
      data.push({ type: "scatter", mode: "lines+markers", name: `DRAM bytes, ${method}, ${add} add`, x: pts.map((r) => r.config.dramBytesPerCycle), y: pts.map((r) => r.bytes), line: { dash: "dot" } });
    }
  return { data, layout: layout(`${network} on a 32x32 output-stationary array: change vs its teacher`, "DRAM bandwidth (bytes/cycle, log)", "change (%)", { xaxis: { type: "log", title: { text: "DRAM bandwidth (bytes/cycle)" } } }) };
}

export interface AccuracyRow {
  run: string;
  valTop1: number;
  testTop1: number;
}

export function accuracyFigure(rows: AccuracyRow[], title: string): Figure {
  return {
    data: [
      { type: "bar", name: "validation top-1", x: rows.map((r) => r.run), y: rows.map((r) => 100 * r.valTop1) },
      { type: "bar", name: "test top-1", x: rows.map((r) => r.run), y: rows.map((r) => 100 * r.testTop1) },
    ],
    layout: layout(title, "", "top-1 (%)", { barmode: "group", yaxis: { title: { text: "top-1 (%)" }, range: [50, 100] } }),
  };
}

export interface Curve {
  run: string;
  epochs: number[];
  valTop1: number[];
  alterations: number[];
}

export function trainingFigure(curves: Curve[], title: string): Figure {
  return {
    data: curves.map((c) => ({ type: "scatter", mode: "lines+markers", name: c.run, x: c.epochs.map((e) => e + 1), y: c.valTop1.map((v) => 100 * v) })),
    layout: layout(title, "epoch", "validation top-1 (%)"),
  };
}

export interface ClaimPoint {
  /** the box it belongs to, e.g. "resnet8 remover" */
  group: string;
  value: number;
}

/**
 * One claim's values over the sweep as a distribution per network and method (box with every design as a point),
 * the paper's value as a line, and the reference configuration's value of each pair as a star. `leftOut` designs
 * (that do not fit their part) are not drawn; the title says how many.
 */
export function claimDistributionFigure(o: { id: string; metric: string; unit: string; paper: number; points: ClaimPoint[]; reference: ClaimPoint[]; leftOut: number }): Figure {
  const groups = [...new Set(o.points.map((p) => p.group))];
  const data: object[] = groups.map((g) => ({
    type: "box",
    name: g,
    y: o.points.filter((p) => p.group === g).map((p) => p.value),
    boxpoints: "all",
    jitter: 0.4,
    pointpos: 0,
    marker: { size: 3, opacity: 0.5 },
    showlegend: false,
  }));
  data.push({ type: "scatter", mode: "markers", name: "reference configuration", x: o.reference.map((p) => p.group), y: o.reference.map((p) => p.value), marker: { symbol: "star", size: 14, color: "black" } });
  data.push({ type: "scatter", mode: "lines", name: `paper: ${o.paper}${o.unit}`, x: groups.length ? [groups[0], groups[groups.length - 1]] : [], y: [o.paper, o.paper], line: { color: "red", dash: "dash" } });
  const left = o.leftOut ? `; ${o.leftOut} designs that do not fit their part left out` : "";
  return { data, layout: layout(`${o.id}: ${o.metric}${left}`, "network, method", `${o.unit === "%" ? "%" : o.unit}`, { title: { text: `${o.id}: ${o.metric}${left}`, font: { size: 13 } } }) };
}
