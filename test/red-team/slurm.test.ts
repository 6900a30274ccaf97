/**
 * Red team, issue 32 extended to plans submitted to SLURM: a partition that does not exist (alone, or in a list
 * sbatch would accept) and an empty --partition are one-line errors naming the flag, and nothing is submitted or
 * recorded. A real one-node SLURM (test/helpers/slurm-cluster.ts); the plan is never trained.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JOBS_FILE } from "../../src/campaign/slurm.js";
import { startSlurmCluster, type SlurmCluster } from "../helpers/slurm-cluster.js";
import { runCommand, runScript } from "../helpers/spawn.js";
import { writeSyntheticCifar } from "../helpers/synthetic-cifar.js";

const ROOT = path.resolve(__dirname, "..", "..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-red-slurm-"));
const data = path.join(tmp, "cifar");
const plan = { name: "red", root: "runs", runs: [{ id: "resnet8/teacher", config: { epochs: 1, limitTrain: 64, limitEval: 32, valSize: 1000 } }] };
let cluster: SlurmCluster | undefined;

beforeAll(async () => {
  cluster = await startSlurmCluster();
  writeSyntheticCifar(data);
  fs.writeFileSync(path.join(tmp, "plan.json"), JSON.stringify(plan));
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}, 120_000);

const submit = (...extra: string[]) =>
  runScript(path.join(ROOT, "scripts", "campaign.ts"), ["--plan", "plan.json", "--data", data, "--scheduler", "slurm", ...extra], { cwd: tmp, env: { OMP_NUM_THREADS: "1", ...cluster!.env } });

describe("campaign --scheduler slurm with a bad partition", () => {
  it("a partition that does not exist, alone or in a list: one line naming --partition and the cluster's partitions; nothing queued", async () => {
    for (const p of ["nosuch", "debug,nosuch"]) {
      const r = await submit("--partition", p);
      expect(r.status, r.stdout + r.stderr).toBe(1);
      const lines = r.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^error: --partition ${p}: .*not found \\(partitions: debug\\)$`));
    }
    const q = await runCommand("squeue", ["-h", "-o", "%j"], { env: cluster!.env });
    expect(q.stdout.trim()).toBe("");
    expect(fs.existsSync(path.join(tmp, "runs", JOBS_FILE))).toBe(false);
  }, 120_000);

  it("an empty --partition is an error, not the default partition", async () => {
    const r = await submit("--partition", "");
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`error: --partition: expected a partition name (or leave the flag out for the cluster's default), got ""`);
    expect(fs.existsSync(path.join(tmp, "runs", JOBS_FILE))).toBe(false);
  }, 60_000);
});
