// The artifact end to end: `npm run reproduce` in its default mode, and every notebook on real Jupyter.
// Both need system packages (.ci/run installs them) and the CIFAR-10 copy in ../shared/data.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..");

/** Run a command without blocking this worker's event loop (vitest's RPC times out on a long spawnSync). */
function run(cmd: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

describe("the artifact", () => {
  it("npm run reproduce computes every claim of data/claims.json", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-reproduce-"));
    const r = await run(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", "reproduce.ts"), "--out", out]);
    expect(r.status, r.stderr + r.stdout.slice(-2000)).toBe(0);
    const spec = JSON.parse(fs.readFileSync(path.join(ROOT, "data", "claims.json"), "utf8"));
    const claims = spec.claims as { id: string }[];
    const statuses = Object.keys(spec.statuses);
    const tol: number = spec.regressionTolerance.value;
    type Got = { id: string; ours: number | null; status: string; atReference: boolean | null; attainable: boolean | null; range: { min: number; median: number; max: number } | null };
    const got = JSON.parse(fs.readFileSync(path.join(out, "claims.json"), "utf8")).claims as Got[];
    // the committed results: a change that moves a claim must update figures/claims.json in the same commit
    const committed = JSON.parse(fs.readFileSync(path.join(ROOT, "figures", "claims.json"), "utf8")).claims as Got[];
    expect(got.map((c) => c.id)).toEqual(claims.map((c) => c.id));
    expect(committed.map((c) => c.id)).toEqual(claims.map((c) => c.id));
    for (const c of got) {
      const was = committed.find((x) => x.id === c.id)!;
      // a claim of the training campaign (C7a and C7b: the depth study; C8: its QAT runs) waits for its runs: it must say
      // which, and must not show a value
      if (c.status === "in progress") {
        expect(["C7a", "C7b", "C8"]).toContain(c.id);
        expect(c.ours).toBeNull();
        expect((c as Got & { reason: string }).reason).toMatch(/^in progress: .*resnet\d+\/\S+ (in progress \(epoch \d+ of \d+\)|not started)/);
        expect(was.status, "the committed figures/claims.json").toBe("in progress");
        continue;
      }
      expect(c.ours, c.id).not.toBeNull();
      expect(Number.isFinite(c.ours), c.id).toBe(true);
      expect(statuses, c.id).toContain(c.status);
      expect(Math.abs(c.ours! - was.ours!), `${c.id}: ${c.ours} vs committed ${was.ours} (tolerance ${tol})`).toBeLessThanOrEqual(tol);
      for (const k of ["min", "median", "max"] as const) expect(Math.abs(c.range![k] - was.range![k]), `${c.id} range ${k}`).toBeLessThanOrEqual(tol);
      // the reference configurations produce the committed verdicts
      expect({ status: c.status, atReference: c.atReference, attainable: c.attainable }, c.id).toEqual({ status: was.status, atReference: was.atReference, attainable: was.attainable });
    }
    for (const f of ["hls4ml-sweep.csv", "hls4ml-published-check.md", "pe-array-sweep.csv", "accuracy.md", "accuracy-depth.md", "claims.md", "codesign.md", "codesign-resnet20.html", "hls4ml-resources-8bit.html", "hls4ml-resources-8bit.png", "hls4ml-resources-8bit.svg", "hls4ml-reference.md", "pe-array-reference.md", "claim-C1.html", "claim-C1.svg", "accuracy-depth.html", "plotly-cartesian.min.js"]) {
      expect(fs.existsSync(path.join(out, f)), f).toBe(true);
    }
  }, 1_200_000);

  it("every notebook executes on the project's tslab kernel", async () => {
    const r = await run("bash", [path.join(ROOT, "scripts", "run-notebooks.sh")]);
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
  }, 1_800_000);
});
