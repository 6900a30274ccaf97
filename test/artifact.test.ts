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
    const claims = JSON.parse(fs.readFileSync(path.join(ROOT, "data", "claims.json"), "utf8")).claims as { id: string }[];
    const got = JSON.parse(fs.readFileSync(path.join(out, "claims.json"), "utf8")).claims as { id: string; ours: number | null; status: string }[];
    expect(got.map((c) => c.id)).toEqual(claims.map((c) => c.id));
    for (const c of got as { id: string; ours: number | null; status: string; reason: string }[]) {
      // a claim of the depth campaign (C7b) waits for its runs: it must say which, and must not show a value
      if (c.status === "in progress") {
        expect(c.id).toBe("C7b");
        expect(c.ours).toBeNull();
        expect(c.reason).toMatch(/^in progress: .*resnet\d+\/\S+ (in progress \(epoch \d+ of \d+\)|not started)/);
        continue;
      }
      expect(c.ours, c.id).not.toBeNull();
      expect(Number.isFinite(c.ours), c.id).toBe(true);
      expect(["holds", "differs"]).toContain(c.status);
    }
    for (const f of ["hls4ml-sweep.csv", "hls4ml-published-check.md", "pe-array-sweep.csv", "accuracy.md", "accuracy-depth.md", "claims.md", "hls4ml-resources-8bit.html", "hls4ml-resources-8bit.png"]) {
      expect(fs.existsSync(path.join(out, f)), f).toBe(true);
    }
  }, 1_200_000);

  it("every notebook executes on the project's tslab kernel", async () => {
    const r = await run("bash", [path.join(ROOT, "scripts", "run-notebooks.sh")]);
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
  }, 1_800_000);
});
