/**
 * Readers for the two text reports of a Vivado HLS / Vivado flow, as hls4ml's build writes them:
 * `myproject_prj/solution1/syn/report/myproject_csynth.rpt` (the HLS estimate: per-instance and per-FIFO rows) and
 * `vivado_synth.rpt` (Vivado's utilisation after logic synthesis). Only the figures the model is checked against.
 */

export interface CsynthInstance {
  name: string;
  bram18: number;
  dsp: number;
  ff: number;
  lut: number;
  latencyCycles?: number;
  intervalCycles?: number;
}

/** The FIFOs of one hls4ml stream: Vivado HLS names them <stream>_V_data_<i>_V_U, one per array element. */
export interface CsynthStream {
  name: string;
  fifos: number;
  depth: number;
  bits: number;
  /** per FIFO */
  bram18: number;
  ff: number;
  lut: number;
}

export interface Resources4 {
  bram18: number;
  dsp: number;
  ff: number;
  lut: number;
}

export interface Csynth {
  tool: string;
  device: string;
  latencyCycles: number;
  intervalCycles: number;
  fifo: Resources4;
  total: Resources4;
  instances: CsynthInstance[];
  streams: CsynthStream[];
}

export interface VivadoSynth {
  tool: string;
  device: string;
  lut: number;
  lutAsShiftRegister: number;
  lutAsDistributedRam: number;
  ff: number;
  ramb18: number;
  ramb36: number;
  dsp: number;
}

export class ReportError extends Error {}

const cells = (line: string) => line.split("|").slice(1, -1).map((s) => s.trim());
const int = (s: string, what: string) => {
  const n = s === "-" ? 0 : Number(s);
  if (!Number.isFinite(n)) throw new ReportError(`${what}: expected a number, got "${s}"`);
  return n;
};

function field(text: string, label: string, file: string): string {
  const m = text.match(new RegExp(`\\* ${label}:\\s*(.+)`));
  if (!m) throw new ReportError(`${file}: no "${label}" line`);
  return m[1].trim();
}

function summaryRow(lines: string[], name: string, file: string): Resources4 {
  const row = lines.find((l) => l.startsWith("|" + name + " "));
  if (!row) throw new ReportError(`${file}: no "${name}" row in the utilisation summary`);
  const [, bram, dsp, ff, lut] = cells(row);
  return { bram18: int(bram, `${file} ${name} BRAM_18K`), dsp: int(dsp, `${file} ${name} DSP48E`), ff: int(ff, `${file} ${name} FF`), lut: int(lut, `${file} ${name} LUT`) };
}

/** Parse a csynth.rpt; `file` names it in errors. */
export function parseCsynth(text: string, file: string): Csynth {
  const lines = text.split("\n").map((l) => l.trim());
  const perf = text.indexOf("== Performance Estimates");
  const util = text.indexOf("== Utilization Estimates");
  if (perf < 0 || util < 0) throw new ReportError(`${file}: not a Vivado HLS csynth report (no performance or utilisation section)`);
  const top = lines.find((l) => /\|\s*dataflow\s*\|$/.test(l));
  if (!top) throw new ReportError(`${file}: no top-level dataflow latency row`);
  const t = cells(top);
  const perfLines = text.slice(perf, util).split("\n").map((l) => l.trim());
  const utilLines = text.slice(util).split("\n").map((l) => l.trim());
  const latency = new Map<string, { lat: number; ii: number }>();
  for (const l of perfLines) {
    const c = cells(l);
    if (c.length === 9 && c[0].endsWith("_U0")) latency.set(c[0], { lat: int(c[3], `${file} ${c[0]} latency`), ii: int(c[7], `${file} ${c[0]} interval`) });
  }
  const instances: CsynthInstance[] = [];
  const streams = new Map<string, CsynthStream>();
  for (const l of utilLines) {
    const c = cells(l);
    if (c.length === 7 && c[0].endsWith("_U0")) {
      const lt = latency.get(c[0]);
      instances.push({
        name: c[0],
        bram18: int(c[2], `${file} ${c[0]} BRAM_18K`),
        dsp: int(c[3], `${file} ${c[0]} DSP48E`),
        ff: int(c[4], `${file} ${c[0]} FF`),
        lut: int(c[5], `${file} ${c[0]} LUT`),
        latencyCycles: lt?.lat,
        intervalCycles: lt?.ii,
      });
    }
    const m = c.length === 8 ? c[0].match(/^(.+)_V_data_(\d+)_V_U$/) : null;
    if (m) {
      const row = { bram18: int(c[1], `${c[0]} BRAM_18K`), ff: int(c[2], `${c[0]} FF`), lut: int(c[3], `${c[0]} LUT`), depth: int(c[5], `${c[0]} Depth`), bits: int(c[6], `${c[0]} Bits`) };
      const s = streams.get(m[1]);
      if (!s) streams.set(m[1], { name: m[1], fifos: 1, ...row });
      else {
        if (s.depth !== row.depth || s.bits !== row.bits || s.bram18 !== row.bram18 || s.ff !== row.ff || s.lut !== row.lut) {
          throw new ReportError(`${file}: the FIFOs of stream ${m[1]} differ (${c[0]}); expected one shape per stream`);
        }
        s.fifos++;
      }
    }
  }
  if (!instances.length) throw new ReportError(`${file}: no instance rows in the utilisation detail`);
  return {
    tool: field(text, "Version", file),
    device: field(text, "Target device", file),
    latencyCycles: int(t[0], `${file} latency`),
    intervalCycles: int(t[4], `${file} interval`),
    fifo: summaryRow(utilLines, "FIFO", file),
    total: summaryRow(utilLines, "Total", file),
    instances,
    streams: [...streams.values()].sort((a, b) => Number(a.name.match(/\d+/)?.[0]) - Number(b.name.match(/\d+/)?.[0])),
  };
}

/** Parse a vivado_synth.rpt (UltraScale+ or 7-series wording). */
export function parseVivadoSynth(text: string, file: string): VivadoSynth {
  const row = (label: RegExp, what: string, optional = false): number => {
    const l = text.split("\n").find((x) => label.test(x));
    if (!l) {
      if (optional) return 0;
      throw new ReportError(`${file}: no "${what}" row`);
    }
    return int(cells(l.trim())[1], `${file} ${what}`);
  };
  const tool = text.match(/\| Tool Version :\s*(.+)/)?.[1].trim();
  const device = text.match(/\| Device\s*:\s*(.+)/)?.[1].trim();
  if (!tool || !device) throw new ReportError(`${file}: not a Vivado utilisation report (no Tool Version / Device)`);
  return {
    tool,
    device,
    lut: row(/^\|\s*(CLB|Slice) LUTs\*?\s*\|/, "CLB LUTs"),
    lutAsShiftRegister: row(/^\|\s*LUT as Shift Register\s*\|/, "LUT as Shift Register"),
    lutAsDistributedRam: row(/^\|\s*LUT as Distributed RAM\s*\|/, "LUT as Distributed RAM"),
    ff: row(/^\|\s*(CLB|Slice) Registers\s*\|/, "CLB Registers"),
    ramb18: row(/^\|\s*RAMB18\s*\|/, "RAMB18"),
    ramb36: row(/^\|\s*RAMB36\/FIFO\*?\s*\|/, "RAMB36/FIFO"),
    dsp: row(/^\|\s*DSPs\s*\|/, "DSPs"),
  };
}
