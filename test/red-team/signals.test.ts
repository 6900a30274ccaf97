/**
 * Red team, issue 32: SIGTERM to the launched `train` killed only the process that re-ran itself with the heap
 * settings (scripts/cli.ts) and left the trainer running, orphaned. Now the launcher passes the signal on and exits
 * with the trainer's status. A real process tree on synthetic CIFAR-10 files: the launcher gets SIGTERM mid-run.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { processAlive } from "../../src/util/process.js";
import { TSX } from "../helpers/spawn.js";
import { writeSyntheticCifar } from "../helpers/synthetic-cifar.js";

const ROOT = path.resolve(__dirname, "..", "..");
let data = "";

beforeAll(() => {
  data = writeSyntheticCifar(fs.mkdtempSync(path.join(os.tmpdir(), "tailor-red-signal-data-")));
});

/** the PIDs of the children of `pid` (Linux /proc) */
function childrenOf(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

describe("SIGTERM to the launched train reaches the trainer", () => {
  it("the trainer stops with a checkpoint, no orphan is left, and the launcher exits with the trainer's status (75)", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-red-signal-"));
    const env = { ...process.env, OMP_NUM_THREADS: "1" } as NodeJS.ProcessEnv;
    // the launcher re-runs itself only when the heap settings are not in its environment yet
    for (const k of ["MALLOC_MMAP_THRESHOLD_", "TAILOR_NO_REEXEC", "TAILOR_STOP_WITH_PARENT"]) delete env[k];
    const args = ["--epochs", "200", "--limit-train", "256", "--limit-eval", "32", "--log-every", "1", "--data", data, "--out", out];
    const launcher = spawn(process.execPath, [...TSX, path.join(ROOT, "scripts", "train.ts"), ...args], { env });
    let stdout = "";
    let stderr = "";
    launcher.stdout.on("data", (d) => (stdout += d));
    launcher.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<{ code: number | null; signal: string | null }>((res) => launcher.on("exit", (code, signal) => res({ code, signal })));
    // wait until the trainer (the launcher's child) has finished an epoch: a checkpoint exists to compare with
    const deadline = Date.now() + 90_000;
    while (!/epoch 2\/200 step/.test(stdout) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(stdout, stderr).toMatch(/epoch 2\/200 step/);
    const trainers = childrenOf(launcher.pid!);
    expect(trainers.length).toBe(1);
    const trainer = trainers[0];
    launcher.kill("SIGTERM");
    const { code } = await exited;
    // the trainer is gone too (not an orphan still writing the folder)
    const gone = Date.now() + 10_000;
    while (processAlive(trainer) && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
    expect(processAlive(trainer)).toBe(false);
    expect(code, stderr).toBe(75);
    expect(stdout).toMatch(/SIGTERM: stopping after the current step/);
    expect(stdout).toMatch(/stopped in epoch 2 after step \d+: checkpoint /);
    const log = fs.readFileSync(path.join(out, "log.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const stop = log.find((e) => e.event === "stop");
    expect(stop?.partial?.epoch).toBe(1);
    expect(fs.statSync(path.join(out, "last.ckpt")).mtimeMs).toBeGreaterThan(fs.statSync(path.join(out, "config.json")).mtimeMs);
  });
});
