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

/** a fraction (0.8618) as a percentage to 2 decimals ("86.18"); undefined gives an empty cell */
export const percent2 = (v: number | undefined): string => (v === undefined ? "" : fixed2(100 * v));

const fmt = (v: Cell): string => (typeof v === "number" ? (Number.isInteger(v) ? String(v) : toFixedNoNegZero(v, 2)) : v === null || v === undefined ? "" : String(v));

export function markdownTable(headers: string[], rows: Cell[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(headers), line(headers.map(() => "---")), ...rows.map((r) => line(r.map((c) => fmt(c).replace(/\|/g, "\\|"))))].join("\n") + "\n";
}

export function csvTable(headers: string[], rows: Cell[][]): string {
  const esc = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return [headers, ...rows.map((r) => r.map((c) => (typeof c === "number" ? String(c) : fmt(c))))].map((r) => r.map(esc).join(",")).join("\n") + "\n";
}

/**
 * The rows of a CSV text as csvTable writes it (RFC 4180: a field in double quotes may hold commas, newlines and
 * doubled quotes). `file` names the source in the error for an unclosed quote.
 */
export function parseCsv(text: string, file = "CSV"): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  const endField = () => {
    row.push(field);
    field = "";
  };
  const endRow = () => {
    endField();
    rows.push(row);
    row = [];
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch !== '"') field += ch;
      else if (text[i + 1] === '"') field += text[++i];
      else quoted = false;
    } else if (ch === '"' && field === "") quoted = true;
    else if (ch === ",") endField();
    else if (ch === "\n") endRow();
    else if (ch !== "\r" || text[i + 1] !== "\n") field += ch;
  }
  if (quoted) throw new Error(`${file}: a quoted field is not closed`);
  if (field !== "" || row.length) endRow();
  return rows;
}
