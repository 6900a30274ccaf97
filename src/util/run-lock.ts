/**
 * One run per folder: `<run>/run.lock` holds the PID of the process writing there. Two runs sharing an --out would
 * otherwise both finish "successfully" with one's config and the other's checkpoints. A lock left by a process
 * that is gone (kill -9, power loss) is taken over with a warning; a live one is an error naming the folder and PID.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { processAlive } from "./process.js";

export const LOCK_FILE = "run.lock";

export class RunLockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RunLockError";
  }
}

interface Holder {
  pid: number;
  host: string;
  /** the process's start time in clock ticks since boot (/proc/<pid>/stat field 22): tells a reused PID apart */
  start: string | null;
  since: string;
}

function processStart(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // the command name (field 2) is in parentheses and may hold spaces: count fields after the last ")"
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

/** Is the process that wrote `h` still running (same PID, and the same process when the start time is known)? */
function alive(h: Holder): boolean {
  if (!processAlive(h.pid)) return false;
  // a process killed with -9 stays a zombie until its parent reaps it: it holds nothing any more (state field 3 "Z")
  try {
    const stat = fs.readFileSync(`/proc/${h.pid}/stat`, "utf8");
    if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) return false;
  } catch {
    // no /proc (not Linux) or gone: the checks below decide
  }
  const start = processStart(h.pid);
  return !(h.start && start && start !== h.start);
}

function readHolder(file: string): Holder | null {
  try {
    const h = JSON.parse(fs.readFileSync(file, "utf8"));
    return Number.isInteger(h?.pid) && h.pid > 0 ? h : null;
  } catch {
    return null;
  }
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

export interface RunLock {
  file: string;
  release(): void;
}

/** The PID of the live process holding `<dir>/run.lock` on this host, or null (no lock, unreadable, or its holder gone). */
export function lockHolder(dir: string): number | null {
  const h = readHolder(path.join(dir, LOCK_FILE));
  return h && h.host === os.hostname() && alive(h) ? h.pid : null;
}

/** Take `<dir>/run.lock` (the folder must exist); released at process exit. */
export function acquireRunLock(dir: string, warn: (msg: string) => void = (m) => console.error(m)): RunLock {
  const file = path.join(dir, LOCK_FILE);
  const me: Holder = { pid: process.pid, host: os.hostname(), start: processStart(process.pid), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      const fd = fs.openSync(file, "wx");
      fs.writeSync(fd, JSON.stringify(me) + "\n");
      fs.closeSync(fd);
      const release = () => {
        if (readHolder(file)?.pid === me.pid) fs.rmSync(file, { force: true });
        process.removeListener("exit", release);
      };
      process.on("exit", release);
      return { file, release };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw new RunLockError(`${dir}: cannot create the lock file ${file} (${(e as Error).message})`);
    }
    const h = readHolder(file);
    if (!h) {
      // another process is between creating and writing it, or the file is garbage: wait a little, then take it
      let age = 0;
      try {
        age = Date.now() - fs.statSync(file).mtimeMs;
      } catch {
        continue;
      }
      if (age < 2000) {
        sleep(100);
        continue;
      }
      warn(`warning: ${dir}: removing an unreadable lock file ${file} (${Math.round(age / 1000)} s old)`);
      fs.rmSync(file, { force: true });
      continue;
    }
    if (h.host !== me.host) {
      throw new RunLockError(`${dir}: in use by process ${h.pid} on host ${h.host} (lock file ${file}, since ${h.since}); if that run is gone, delete the lock file`);
    }
    if (alive(h)) {
      throw new RunLockError(`${dir}: in use by process ${h.pid} (running since ${h.since}; lock file ${file}). Wait for it to end or choose another --out.`);
    }
    // stale: move it aside and take over, unless what we moved is a lock someone else took meanwhile
    const aside = `${file}.${me.pid}.stale`;
    try {
      fs.renameSync(file, aside);
    } catch {
      continue;
    }
    const moved = readHolder(aside);
    if (moved && (moved.pid !== h.pid || moved.since !== h.since)) {
      try {
        fs.linkSync(aside, file);
      } catch {
        // someone holds the lock again; the next attempt reports them
      }
    } else {
      warn(`warning: ${dir}: taking over the lock of process ${h.pid} (started ${h.since}), which is no longer running`);
    }
    fs.rmSync(aside, { force: true });
  }
  throw new RunLockError(`${dir}: could not take the lock file ${file}`);
}
