// The layers of src/ (docs/ARCHITECTURE.md): each folder imports only the folders below it, and no module imports
// itself through a circle. Read from the import statements of every source file.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const SRC = path.join(__dirname, "..", "src");
/** each layer and the layers it may import (besides itself); the same table as docs/ARCHITECTURE.md */
const ALLOWED: Record<string, string[]> = {
  util: [],
  net: ["util"],
  experiment: ["net", "util"],
  hw: ["net", "util"],
  data: ["util"],
  backend: ["util"],
  train: ["experiment", "net", "data", "backend", "util"],
  infer: ["train", "experiment", "net", "data", "backend", "util"],
  export: ["train", "experiment", "net", "data", "backend", "util"],
  import: ["infer", "export", "train", "experiment", "net", "data", "backend", "util"],
  campaign: ["train", "experiment", "net", "data", "util"],
  report: ["campaign", "infer", "export", "train", "hw", "experiment", "net", "data", "backend", "util"],
  handoff: ["report", "hw", "infer", "export", "train", "experiment", "net", "data", "backend", "util"],
};

const files = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));
const layerOf = (f: string) => path.relative(SRC, f).split(path.sep)[0];
/** the project modules a file imports (type-only imports too: a circle of types is still a circle to read) */
function importsOf(f: string): string[] {
  const text = fs.readFileSync(f, "utf8");
  return [...text.matchAll(/^(?:import|export)[^;]*?from "(\.[^"]+)"/gms)].map((m) => path.resolve(path.dirname(f), m[1].replace(/\.js$/, ".ts")));
}

describe("the layers of src/", () => {
  const all = files(SRC).filter((f) => path.dirname(f) !== SRC);
  it("every folder is a known layer", () => {
    expect([...new Set(all.map(layerOf))].filter((l) => !(l in ALLOWED))).toEqual([]);
  });
  it("each layer imports only the layers below it", () => {
    const wrong = all.flatMap((f) => importsOf(f).filter((to) => layerOf(to) !== layerOf(f) && !ALLOWED[layerOf(f)].includes(layerOf(to))).map((to) => `${path.relative(SRC, f)} -> ${path.relative(SRC, to)}`));
    expect(wrong).toEqual([]);
  });
  it("no import circles", () => {
    const graph = new Map(all.map((f) => [f, importsOf(f)]));
    const circles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (f: string, stack: string[]) => {
      if (state.get(f) === "done") return;
      if (state.get(f) === "open") {
        circles.push([...stack.slice(stack.indexOf(f)), f].map((x) => path.relative(SRC, x)).join(" -> "));
        return;
      }
      state.set(f, "open");
      for (const to of graph.get(f) ?? []) visit(to, [...stack, f]);
      state.set(f, "done");
    };
    for (const f of all) visit(f, []);
    expect(circles).toEqual([]);
  });
});
