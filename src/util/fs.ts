import * as fs from "node:fs";
import * as path from "node:path";

/** A file the user named cannot be written as asked (not a regular file, under a kernel file system...). */
export class WriteTargetError extends Error {}

/** Kernel pseudo-file systems: a "file" there is an interface to the kernel or a device, never a result. */
const KERNEL_ROOTS = ["/proc", "/sys", "/dev"];

/** What is at `p` when it is not a regular file, in words; null when it is one or nothing is there. */
export function nonRegularKind(p: string): string | null {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
  if (st.isFile()) return null;
  if (st.isSymbolicLink()) return "a symbolic link";
  if (st.isDirectory()) return "a directory";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device node";
  if (st.isFIFO()) return "a named pipe";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

/** The nearest folder of `p` (itself or an ancestor) that exists, resolved through links. */
function nearestExisting(p: string): string {
  let d = path.resolve(p);
  while (!fs.existsSync(d)) d = path.dirname(d);
  return fs.realpathSync(d);
}

/**
 * Why `file` may not be written (replaced by rename) as a result, or null: what is there is not a regular file (a
 * rename would replace a device node or a link, or fail on a folder), or it lies on a kernel file system (/proc, /sys,
 * /dev: node's recursive mkdir loops forever under /proc, and a file there is not a result).
 */
export function writeTargetProblem(file: string): string | null {
  const kind = nonRegularKind(file);
  if (kind) return `${file}: is ${kind}; expected a regular file or a new name (nothing was written)`;
  const under = nearestExisting(path.dirname(path.resolve(file)));
  const root = KERNEL_ROOTS.find((r) => under === r || under.startsWith(r + "/"));
  if (root) return `${file}: lies under ${root}, a kernel file system; expected a path on a disk (nothing was written)`;
  return null;
}

/**
 * Why the folder `dir` cannot hold outputs, or null: it, or the nearest path above it that exists, is not a folder
 * (mkdir would fail only after the work), or it lies under a kernel file system.
 */
export function outputDirProblem(dir: string): string | null {
  let d = path.resolve(dir);
  while (!fs.existsSync(d)) d = path.dirname(d);
  if (!fs.statSync(d).isDirectory()) return d === path.resolve(dir) ? `${dir}: exists and is not a directory` : `${dir}: ${d} is a file, not a directory`;
  const real = fs.realpathSync(d);
  const root = KERNEL_ROOTS.find((r) => real === r || real.startsWith(r + "/"));
  return root ? `${dir}: lies under ${root}, a kernel file system; expected a folder on a disk` : null;
}

/** Create `dir` and its missing parents one by one (node's recursive mkdir never returns for a path under /proc). */
export function makeDirs(dir: string): void {
  const abs = path.resolve(dir);
  const missing: string[] = [];
  for (let d = abs; !fs.existsSync(d); d = path.dirname(d)) missing.unshift(d);
  for (const d of missing) fs.mkdirSync(d);
}

/**
 * Write a file so that readers see the old content or the new, never half of it: temp file (created exclusively, so
 * never through a link someone left at its name), then rename. A target that is not a regular file, or that lies
 * under a kernel file system, is refused (WriteTargetError) before anything is written.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const problem = writeTargetProblem(file);
  if (problem) throw new WriteTargetError(problem);
  makeDirs(path.dirname(path.resolve(file)));
  const tmp = tempNameFor(file);
  fs.rmSync(tmp, { force: true });
  const fd = fs.openSync(tmp, "wx");
  try {
    fs.writeFileSync(fd, data);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
}

/** The temp file a write of `file` goes through (this process's): `<file>.<pid>.tmp`. */
export const tempNameFor = (file: string, pid = process.pid) => `${file}.${pid}.tmp`;

/**
 * Remove the temp files a killed writer left beside `names` in `dir` (`<name>.<pid>.tmp`, written by writeFileAtomic
 * and the checkpoint writer): only those names, only in that folder. The caller holds the folder's lock, so no live
 * writer owns them. Returns the files removed.
 */
export function removeStaleTemps(dir: string, names: readonly string[]): string[] {
  if (!fs.existsSync(dir)) return [];
  const removed: string[] = [];
  for (const f of fs.readdirSync(dir)) {
    const m = /^(.*)\.(\d+)\.tmp$/.exec(f);
    if (!m || !names.includes(m[1])) continue;
    const p = path.join(dir, f);
    if (nonRegularKind(p)) continue;
    fs.rmSync(p, { force: true });
    removed.push(p);
  }
  return removed;
}
