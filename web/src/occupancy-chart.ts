/**
 * The FIFOs' occupancy over one inference as a step chart on a canvas: a line per FIFO, the skip FIFOs in red on
 * top. Drawn by hand rather than with plotly because plotly took 100-200 ms to redraw some 60 lines of ResNet-20 in
 * headless Chromium (and an SVG of as many polylines 10-70 ms), longer than the whole recompute may take (issue 29:
 * under 100 ms). Names and maxima are in the FIFO table below it.
 */
import type { Occupancy } from "./compute.js";

/** about n round tick values from 0 to max (steps of 1, 2 or 5 times a power of ten) */
export function ticks(max: number, n = 5): number[] {
  if (!(max > 0)) return [0];
  const raw = max / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  return Array.from({ length: Math.floor(max / step) + 1 }, (_, i) => i * step);
}

const short = (v: number) => (v >= 1e6 ? `${+(v / 1e6).toFixed(2)}M` : v >= 1e3 ? `${+(v / 1e3).toFixed(1)}k` : String(v));

/** `width`: the host's width in pixels, read by the caller before it changes the page (reading it after forces a layout) */
export function drawOccupancy(host: HTMLElement, occ: Occupancy, width: number, skipsOnly = false): void {
  const W = Math.max(280, width || 800);
  const H = 280;
  let canvas = host.querySelector("canvas");
  if (!canvas) {
    canvas = document.createElement("canvas");
    canvas.className = "occ-chart";
    canvas.setAttribute("role", "img");
    host.replaceChildren(canvas);
  }
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(W * dpr);
  canvas.height = Math.round(H * dpr);
  canvas.style.width = `${W}px`;
  canvas.style.height = `${H}px`;
  const skips = occ.series.filter((s) => s.skip);
  // the skip FIFOs alone, on their own scale: beside the line buffers of the first layers they are a flat line
  const shown = skipsOnly ? skips : occ.series;
  canvas.setAttribute("aria-label", `FIFO occupancy over one inference: ${occ.series.length} FIFOs, ${skips.length} of them skip FIFOs${skips.length ? ` (largest maximum ${Math.max(...skips.map((s) => s.max))} words)` : ""}`);
  const g = canvas.getContext("2d");
  if (!g) return;
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, W, H);
  const m = { l: 48, r: 10, t: 24, b: 36 };
  const xMax = Math.max(1, occ.times[occ.times.length - 1]);
  const yMax = Math.max(1, ...shown.map((s) => s.max));
  const x = (t: number) => m.l + ((W - m.l - m.r) * t) / xMax;
  const y = (v: number) => H - m.b - ((H - m.t - m.b) * v) / yMax;
  g.font = "600 12.5px system-ui, sans-serif";
  g.fillStyle = "#1b1f24";
  g.textAlign = "left";
  const title = skipsOnly ? (skips.length ? "skip FIFOs" : "no skip FIFOs in this design") : "FIFO occupancy (red: skip FIFOs)";
  g.fillText(W < 500 || skipsOnly ? title : `${title.replace("FIFO occupancy", "FIFO occupancy over one inference")}`, m.l, 15);
  g.font = "11px system-ui, sans-serif";
  g.fillStyle = "#57606a";
  g.strokeStyle = "#e1e4e8";
  g.lineWidth = 1;
  g.textAlign = "right";
  for (const v of ticks(yMax, 4)) {
    g.beginPath();
    g.moveTo(m.l, y(v));
    g.lineTo(W - m.r, y(v));
    g.stroke();
    g.fillText(short(v), m.l - 4, y(v) + 4);
  }
  g.textAlign = "center";
  for (const t of ticks(xMax, Math.max(2, Math.floor(W / 120)))) {
    g.beginPath();
    g.moveTo(x(t), m.t);
    g.lineTo(x(t), H - m.b);
    g.stroke();
    g.fillText(short(t), x(t), H - m.b + 14);
  }
  g.fillText("cycle", (m.l + W - m.r) / 2, H - 4);
  g.save();
  g.translate(12, (m.t + H - m.b) / 2);
  g.rotate(-Math.PI / 2);
  g.fillText("words", 0, 0);
  g.restore();
  // the others first, the skip FIFOs on top; the occupancy holds from one sample to the next
  for (const s of skipsOnly ? skips : [...occ.series.filter((q) => !q.skip), ...skips]) {
    g.strokeStyle = s.skip ? "#d62728" : "#9aa5b1";
    g.lineWidth = s.skip ? 2 : 1;
    g.beginPath();
    s.values.forEach((v, i) => {
      if (i === 0) g.moveTo(x(occ.times[0]), y(v));
      else {
        g.lineTo(x(occ.times[i]), y(s.values[i - 1]));
        g.lineTo(x(occ.times[i]), y(v));
      }
    });
    g.stroke();
  }
}
