/** Run a tsx script as a child process without blocking the test worker (a blocked worker misses vitest's RPC). */
import { spawn } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
/** node flags that load TypeScript through the project's tsx */
export const TSX = ["--require", path.join(ROOT, "node_modules/tsx/dist/preflight.cjs"), "--import", `file://${path.join(ROOT, "node_modules/tsx/dist/loader.mjs")}`];

/** Run a command, collecting its output, without blocking the test worker. */
export function runCommand(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env } });
    let stdout = "";
    let stderr = "";
    c.stdout.on("data", (d) => (stdout += d));
    c.stderr.on("data", (d) => (stderr += d));
    c.on("error", reject);
    c.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

export function runScript(script: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return runCommand(process.execPath, [...TSX, script, ...args], opts);
}
