/**
 * One process per pid file, taken atomically (issue 32): the file is created with O_EXCL, so of two processes that
 * start together exactly one creates it; the other reads the holder's PID and gets an error naming the file and the
 * PID. A check-then-write (the campaign's, separated by its data load) let two campaigns of one plan both run.
 *
 * The file holds the PID alone ("<pid>\n"), as every reader of a campaign's pid file expects (livePid). A file whose
 * process is gone (kill -9, power loss) is stale and taken over: moved aside first, so that of two processes taking
 * over one stale file only one succeeds. A PID reused by an unrelated process is told apart by `isHolder` (the
 * campaign checks the command line).
 */
import * as fs from "node:fs";
import { processAlive } from "./process.js";
import { writeFileAtomic } from "./fs.js";

export class PidLockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PidLockError";
  }
}

export interface PidLock {
  file: string;
  /** remove the file if it still names this process (also done at exit) */
  release(): void;
}

/** The PID a pid file names, or null (missing, empty, malformed). */
export function readPid(file: string): number | null {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/** Running and not a zombie: a process killed with -9 stays a zombie until reaped, and holds nothing any more. */
function running(pid: number): boolean {
  if (!processAlive(pid)) return false;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return !stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true; // no /proc (not Linux): processAlive decides
  }
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

export interface PidLockOptions {
  /** is this live PID a holder of this lock (and not an unrelated process that reuses a dead holder's PID)? */
  isHolder?: (pid: number) => boolean;
  /**
   * A PID whose lock this process takes over (the campaign's relaying parent, which took the lock before starting
   * its detached copy): only when the file names it and it is this process's parent.
   */
  inheritFrom?: number;
  /** the error for a live holder (default: the file and the PID) */
  heldBy?: (pid: number) => string;
  warn?: (msg: string) => void;
}

/** Take `file` for this process (its folder must exist); released at exit. */
export function acquirePidLock(file: string, opts: PidLockOptions = {}): PidLock {
  const isHolder = opts.isHolder ?? (() => true);
  const warn = opts.warn ?? ((m: string) => console.error(m));
  const me = process.pid;
  const taken = (): PidLock => {
    const release = () => {
      if (readPid(file) === me) fs.rmSync(file, { force: true });
      process.removeListener("exit", release);
    };
    process.on("exit", release);
    return { file, release };
  };
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      const fd = fs.openSync(file, "wx");
      try {
        fs.writeSync(fd, `${me}\n`);
      } finally {
        fs.closeSync(fd);
      }
      return taken();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw new PidLockError(`${file}: cannot create the pid file (${(e as Error).message})`);
    }
    const pid = readPid(file);
    if (pid === null) {
      // another process is between creating and writing it, or the file is garbage: wait a little, then take it
      let age: number;
      try {
        age = Date.now() - fs.statSync(file).mtimeMs;
      } catch {
        continue; // gone meanwhile: try again
      }
      if (age < 2000) {
        sleep(50);
        continue;
      }
      warn(`warning: removing the unreadable pid file ${file} (${Math.round(age / 1000)} s old)`);
      takeOverStale(file, null);
      continue;
    }
    if (pid === me) return taken();
    if (opts.inheritFrom !== undefined && pid === opts.inheritFrom && pid === process.ppid) {
      // the parent holds the lock for this process and waits for it: name this process instead (a rename, so the
      // file never stops existing and no other process can create it meanwhile)
      writeFileAtomic(file, `${me}\n`);
      return taken();
    }
    if (running(pid) && isHolder(pid)) throw new PidLockError(opts.heldBy ? opts.heldBy(pid) : `${file}: held by process ${pid}`);
    warn(`warning: taking over the pid file ${file} of process ${pid}, which is no longer running`);
    takeOverStale(file, pid);
  }
  throw new PidLockError(`${file}: could not take the pid file (it kept changing)`);
}

/**
 * Remove a stale pid file that named `pid`, unless another process took it meanwhile: move it aside (only one of
 * two processes doing this gets the file), then put it back if what was moved is no longer the stale one.
 */
function takeOverStale(file: string, pid: number | null): void {
  const aside = `${file}.${process.pid}.stale`;
  try {
    fs.renameSync(file, aside);
  } catch {
    return; // another process moved it first
  }
  if (readPid(aside) !== pid) {
    try {
      fs.linkSync(aside, file); // a live lock taken meanwhile: back where it was (fails if a newer one is there)
    } catch {
      // a newer lock is in place: the next attempt reads it
    }
  }
  fs.rmSync(aside, { force: true });
}
