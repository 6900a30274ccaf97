// Our FIFO simulation against the co-simulated maximum occupancies the MLPerf Tiny hls4ml submissions published
// (data/published/mlperf-tiny/, src/report/mlperf-tiny-fifos.ts). The bounds are what was measured when this test
// was written (RN07 v0.7 and RN08 v1.0, 21 FIFOs): every simulated maximum is at or above the published one (so
// depths set from ours never starve a FIFO the co-simulation filled) and at most 10 pixels (6%) above it.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { compareFifos, type MaxDepthEntry, type MlperfTinyDesign } from "../src/report/mlperf-tiny-fifos.js";
import { runScript } from "./helpers/spawn.js";

const ROOT = path.resolve(__dirname, "..");
const DIR = path.join(ROOT, "data", "published", "mlperf-tiny");
const designs = (JSON.parse(fs.readFileSync(path.join(DIR, "designs.json"), "utf8")) as { designs: MlperfTinyDesign[] }).designs;
const published = (d: MlperfTinyDesign) => JSON.parse(fs.readFileSync(path.join(DIR, d.occupancies), "utf8")) as MaxDepthEntry[];

describe("MLPerf Tiny hls4ml designs: simulated vs published FIFO occupancies", () => {
  for (const d of designs) {
    it(`${d.name}: every published FIFO matched, simulated max in [published, published + 10] and within 6%`, () => {
      const { rows } = compareFifos(d, published(d));
      expect(rows.length).toBe(published(d).length);
      for (const r of rows) {
        expect(r.simulated - r.published, r.fifo).toBeGreaterThanOrEqual(0);
        expect(r.simulated - r.published, r.fifo).toBeLessThanOrEqual(10);
        expect(r.simulated / r.published, r.fifo).toBeLessThanOrEqual(1.06);
      }
    });
  }

  it("a published file that does not fit the design is refused (RN07's occupancies on RN08's design: a zero padding too many)", () => {
    const [rn07, rn08] = designs;
    expect(() => compareFifos(rn08, published(rn07))).toThrow(/do not line up/);
  });

  it("skips on cannot be expressed, and the error says why", () => {
    const d = { ...designs[0], network: { ...designs[0].network, skip: 1 } };
    expect(() => compareFifos(d, published(designs[0]))).toThrow(/4x4 stride-4 conv .* a NetSpec projection is a 1x1 conv \+ BN/);
  });

  it("the committed table is the script's output", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "mlperf-fifos-"));
    const r = await runScript(path.join(ROOT, "scripts", "mlperf-fifos.ts"), ["--out", out]);
    expect(r.status, r.stderr).toBe(0);
    for (const f of ["mlperf-tiny-fifos.md", "mlperf-tiny-fifos.csv"]) expect(fs.readFileSync(path.join(out, f), "utf8")).toBe(fs.readFileSync(path.join(ROOT, "figures", f), "utf8"));
    fs.rmSync(out, { recursive: true, force: true });
  }, 60_000);
});
