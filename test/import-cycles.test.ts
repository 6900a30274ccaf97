// No import circles in the training, data, backend and export code (issue 25). A circle makes the order modules
// initialise in depend on which one is imported first (a class or constant can be undefined when first read), and
// means neither module can be understood without the other. Type-only imports count too: they are the same tangle
// for a reader. The import graph is read with TypeScript's own pre-processor (relative imports only).
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const CHECKED = ["src/train", "src/data", "src/backend", "src/export"];

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** file -> the project files it imports ("./x.js" is x.ts, "../net/index.js" net/index.ts, "../net" too) */
function importGraph(files: string[]): Map<string, string[]> {
  const known = new Set(files);
  const resolve = (from: string, spec: string) => {
    const base = path.join(path.dirname(from), spec).replace(/\.js$/, "");
    return [`${base}.ts`, path.join(base, "index.ts")].find((p) => known.has(p));
  };
  return new Map(
    files.map((f) => {
      const { importedFiles } = ts.preProcessFile(fs.readFileSync(f, "utf8"), true, true);
      const deps = importedFiles.filter((i) => i.fileName.startsWith(".")).map((i) => resolve(f, i.fileName));
      return [f, deps.filter((d): d is string => d !== undefined)];
    }),
  );
}

/** Every circle, as the groups of files that import each other (Tarjan's strongly connected components). */
function importCircles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1 || (graph.get(v) ?? []).includes(v)) circles.push(group.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return circles;
}

describe("import circles", () => {
  it("the finder finds a circle, a self-import and nothing in a tree", () => {
    const g = new Map([
      ["a", ["b"]],
      ["b", ["c"]],
      ["c", ["a", "d"]],
      ["d", []],
      ["e", ["e"]],
    ]);
    expect(importCircles(g)).toEqual([["a", "b", "c"], ["e"]]);
    expect(importCircles(new Map([["a", ["b", "c"]], ["b", ["c"]], ["c", []]]))).toEqual([]);
  });

  it("the finder reads TypeScript imports: this project's graph has edges, type-only ones included", () => {
    const g = importGraph(tsFiles("src"));
    // model.ts imports quant.ts for its type QuantSpec and its quantisers; checkpoint.ts imports its types' module
    expect(g.get(path.join("src/train/model.ts"))).toContain(path.join("src/train/quant.ts"));
    expect(g.get(path.join("src/train/step.ts"))).toContain(path.join("src/data/batches.ts"));
    expect(g.get(path.join("src/train/checkpoint-records.ts"))).toEqual([path.join("src/train/checkpoint-types.ts")]);
  });

  it(`none in ${CHECKED.join(", ")}`, () => {
    const circles = importCircles(importGraph(tsFiles("src")));
    const touching = circles.filter((c) => c.some((f) => CHECKED.some((d) => f.startsWith(path.join(d) + path.sep))));
    expect(touching).toEqual([]);
  });

  it("src/data imports nothing from src/train: data sits below training (the Batch type lives in src/data)", () => {
    const g = importGraph(tsFiles("src"));
    const upward = [...g].flatMap(([f, deps]) => (f.startsWith(path.join("src/data") + path.sep) ? deps.filter((d) => d.startsWith(path.join("src/train") + path.sep)).map((d) => `${f} -> ${d}`) : []));
    expect(upward).toEqual([]);
  });
});
