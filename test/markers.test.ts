// One meaning per marker style (issue 31): every committed figure draws its markers from markers.ts's vocabulary,
// names each symbol explicitly (plotly's default circle would read as SkipRemover), and a design keeps its shape
// in every figure.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { baseSymbol, designSymbol, MARKER_MEANING, markerKey, runSymbol, seedOutline, splitLaterSeeds, traceSymbols } from "../src/report/markers.js";
import { textOverStars, type TextBox } from "../src/report/layout-check.js";
import type { Trace } from "../src/report/plot-style.js";

const FIGURES = path.resolve(__dirname, "..", process.env.TAILOR_FIGURES || "figures");
const pages = fs.readdirSync(FIGURES).filter((f) => f.endsWith(".html"));

function spec(page: string): { data: Trace[] } {
  const html = fs.readFileSync(path.join(FIGURES, page), "utf8");
  const m = /<script type="application\/json" id="figure-spec">([\s\S]*?)<\/script>/.exec(html);
  if (!m) throw new Error(`${page}: no figure-spec`);
  return JSON.parse(m[1]);
}

const drawsPoints = (t: Trace) => [t.y].flat().some((v) => v !== null && v !== undefined);

describe("marker vocabulary", () => {
  it("gives each design one shape, hollow when it does not fit, and refuses an unknown design", () => {
    expect(designSymbol("remover")).toBe("circle");
    expect(designSymbol("shortener", false)).toBe("diamond-open");
    expect(designSymbol("remover-seed2")).toBe("circle");
    expect(designSymbol("qat4-shortener")).toBe("diamond");
    expect(runSymbol("resnet20/teacher-shortenable", "teacher")).toBe("hexagon");
    expect(runSymbol("policy-sssrssrss", "policy")).toBe("pentagon");
    expect(() => designSymbol("distiller")).toThrow(/no symbol for design "distiller"/);
    // two designs never share a shape
    const shapes = ["teacher", "teacher-shortenable", "remover", "shortener", "policy", "noskip", "noskip-kd", "shortened-scratch", "finetune"].map((d) => designSymbol(d));
    expect(new Set(shapes).size).toBe(shapes.length);
    expect(seedOutline([1, 2, 1]).width).toEqual([0, 2.5, 0]);
    expect(markerKey(["remover", "shortener", "remover"], { hollow: true })).toBe("Markers: circle SkipRemover; diamond SkipShortener; hollow: does not fit its part.");
  });

  it("finds text over a star and nothing else", () => {
    const b = (left: number, top: number, w: number, h: number, kind = "annotation"): TextBox => ({ kind, text: kind, left, top, right: left + w, bottom: top + h });
    const star = b(100, 100, 14, 14, "star");
    expect(textOverStars([b(90, 105, 40, 12)], [star])).toHaveLength(1);
    expect(textOverStars([b(116, 105, 40, 12), b(90, 80, 40, 12)], [star])).toHaveLength(0);
  });

  for (const page of pages) {
    it(`${page}: every marker named and from the vocabulary`, () => {
      const bad: string[] = [];
      for (const t of spec(page).data) {
        const symbols = traceSymbols(t);
        if (!symbols.length || !drawsPoints(t)) continue;
        const m = t.marker as { symbol?: unknown } | undefined;
        if (m?.symbol === undefined) bad.push(`trace "${t.name}": no marker symbol (plotly's default circle means SkipRemover here)`);
        for (const s of symbols) if (!(baseSymbol(s) in MARKER_MEANING)) bad.push(`trace "${t.name}": symbol "${s}" is not in markers.ts`);
      }
      expect(bad).toEqual([]);
    });
  }

  it("draws SkipRemover as a circle and SkipShortener as a diamond in every figure that names them", () => {
    const seen: string[] = [];
    for (const page of pages)
      for (const t of spec(page).data) {
        const name = String(t.name ?? "");
        const symbols = traceSymbols(t).map((s) => baseSymbol(s));
        if (!drawsPoints(t) || !symbols.length) continue;
        for (const [label, shape] of [
          ["SkipRemover", "circle"],
          ["SkipShortener", "diamond"],
        ] as const)
          if (name.startsWith(label)) {
            seen.push(`${page}: ${name}`);
            expect(new Set(symbols), `${page}: trace "${name}"`).toEqual(new Set([shape]));
          }
      }
    // the claim figures, the PE-array figures, the depth and policy figures all have such traces
    expect(seen.length).toBeGreaterThan(10);
  });
});

describe("splitLaterSeeds", () => {
  it("keeps the legend on the first seeds and splits every per-point array", () => {
    const t: Trace = { name: "SkipRemover", x: [1, 2, 3], y: [4, 5, 6], text: ["a", "b", "c"], marker: { symbol: "circle", size: 10, line: { color: "black", width: [0, 2.5, 0] } }, showlegend: true };
    const [a, b] = splitLaterSeeds(t, [1, 2, 1]);
    expect(a).toMatchObject({ x: [1, 3], y: [4, 6], text: ["a", "c"], marker: { symbol: "circle", size: 10, line: { width: [0, 0] } }, showlegend: true, legendgroup: "SkipRemover" });
    expect(b).toMatchObject({ x: [2], y: [5], text: ["b"], marker: { line: { width: [2.5] } }, showlegend: false, legendgroup: "SkipRemover" });
    expect(splitLaterSeeds(t, [1, 1, 1])).toEqual([t]);
  });
});
