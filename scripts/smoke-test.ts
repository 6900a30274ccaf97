/** The training smoke test of `npm run reproduce`: `npm run train -- --quick` in a temporary folder, end to end. */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Step } from "../src/report/outputs.js";
import type { ProgressLine } from "../src/util/progress.js";

export async function smokeTest(progress: ProgressLine, step: Step): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-smoke-"));
  const r = await step("training smoke test (train --quick)", () => runShowingProgress(progress, process.execPath, [...process.execArgv, path.join(__dirname, "train.ts"), "--quick", "--out", tmp], "smoke test"));
  if (r.status !== 0) throw new Error(`training smoke test failed:\n${r.stderr}`);
  console.log(`[reproduce] smoke test: ${r.stdout.trim().split("\n").pop()}`);
  fs.rmSync(tmp, { recursive: true, force: true });
}

/** Run a child (its output piped, so it prints plain lines), showing its last line on the progress line. */
function runShowingProgress(progress: ProgressLine, cmd: string, argv: string[], what: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // the trainer stops (with a checkpoint) if this process is gone (TAILOR_STOP_WITH_PARENT; cli.ts took the
    // launcher's pid out of this process's environment)
    const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, TAILOR_STOP_WITH_PARENT: String(process.pid) } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
      const last = stdout.trim().split("\n").pop();
      if (last) progress.update(`[reproduce] ${what}: ${last}`);
    });
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}
