/** Markdown and CSV tables from rows of plain values. */
export type Cell = string | number | boolean | null | undefined;

/** a number's toFixed, but never a negative zero: -1e-16 (two equal values subtracted in floating point) reads 0.00 */
export const toFixedNoNegZero = (v: number, digits: number): string => {
  const s = v.toFixed(digits);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
};

/**
 * A measured value to 2 decimals, as a string, so that one which happens to be whole still shows them ("86.00", not
 * "86": fmt prints whole numbers bare, as counts should be); null or undefined gives an empty cell.
 */
export const fixed2 = (v: number | null | undefined): string => (v === null || v === undefined ? "" : toFixedNoNegZero(v, 2));

const fmt = (v: Cell): string => (typeof v === "number" ? (Number.isInteger(v) ? String(v) : toFixedNoNegZero(v, 2)) : v === null || v === undefined ? "" : String(v));

export function markdownTable(headers: string[], rows: Cell[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(headers), line(headers.map(() => "---")), ...rows.map((r) => line(r.map((c) => fmt(c).replace(/\|/g, "\\|"))))].join("\n") + "\n";
}

export function csvTable(headers: string[], rows: Cell[][]): string {
  const esc = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return [headers, ...rows.map((r) => r.map((c) => (typeof c === "number" ? String(c) : fmt(c))))].map((r) => r.map(esc).join(",")).join("\n") + "\n";
}
