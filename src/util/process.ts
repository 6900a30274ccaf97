/** Whether another process still runs, from its PID or a file naming it. */
import * as fs from "node:fs";

/** Is a process with this PID running? (EPERM: it runs, under another user) */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/** The PID a pid file names, if that process runs; null for a missing, malformed or stale file. */
export function livePid(pidFile: string): number | null {
  if (!fs.existsSync(pidFile)) return null;
  const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 && processAlive(pid) ? pid : null;
}
