/**
 * Import time and peak memory of the PyTorch-made ResNet-50 fixture (issue 26: under 10 s and 2 GiB). The file is made
 * by scripts/make_onnx_fixtures.py (Debian's python3-torch) into a temp folder unless --model gives one; the import
 * (read, decode, match, weights, checkpoint written) runs in a child process, which reports its own peak RSS at the end
 * (process.resourceUsage().maxRSS, getrusage's ru_maxrss): the import's and node's, nothing of this script's. Timings on a machine shared with other work are disturbed: say so with them.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseCli } from "./cli.js";

const args = parseCli("Usage: npx tsx scripts/bench-import.ts [--model resnet50.onnx]", {
  model: { type: "string", help: "ONNX file to import (default: make the ResNet-50 fixture with scripts/make_onnx_fixtures.py)" },
});

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-import-"));
try {
  let model = args.model;
  if (!model) {
    const r = spawnSync("/usr/bin/python3", ["scripts/make_onnx_fixtures.py", "--out", dir, "--nets", "resnet50"], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`scripts/make_onnx_fixtures.py failed (exit ${r.status}; it needs Debian's python3-torch): ${(r.stderr ?? "").slice(-500)}`);
    model = path.join(dir, "resnet50.onnx");
  }
  if (!fs.existsSync(model)) throw new Error(`--model ${model}: file not found`);
  // the child: tsx loading the importer, then the import itself timed inside it
  const child = `
    const t0 = process.hrtime.bigint();
    const mod = await import(${JSON.stringify(path.resolve("src/import/onnx-import.ts"))});
    const { importOnnx, writeImport } = mod.importOnnx ? mod : mod.default;
    const fs = await import("node:fs");
    const t1 = process.hrtime.bigint();
    const imp = importOnnx(fs.readFileSync(${JSON.stringify(model)}), ${JSON.stringify(model)});
    writeImport(${JSON.stringify(path.join(dir, "out"))}, imp);
    const t2 = process.hrtime.bigint();
    console.log(JSON.stringify({ load: Number(t1 - t0) / 1e9, import: Number(t2 - t1) / 1e9, blocks: imp.checkpoint.net.blocks.length, maxRssKiB: process.resourceUsage().maxRSS }));`;
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", child], { encoding: "utf8" });
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`import failed: ${r.stderr}`);
  const m = JSON.parse(r.stdout.trim().split("\n").pop()!) as { load: number; import: number; blocks: number; maxRssKiB: number };
  const gib = m.maxRssKiB / 2 ** 20;
  console.log(`${path.basename(model)} (${(fs.statSync(model).size / 2 ** 20).toFixed(1)} MiB, ${m.blocks} blocks): import ${m.import.toFixed(2)} s (+ ${m.load.toFixed(2)} s loading the importer; ${wall.toFixed(2)} s wall with node start), peak RSS ${gib.toFixed(2)} GiB`);
  console.log(`  target (issue 26): under 10 s and 2 GiB: ${m.import + m.load < 10 && gib < 2 ? "met" : "NOT met"}`);
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  process.exitCode = 1;
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
