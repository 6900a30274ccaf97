/**
 * The checkpoints of one run folder, and the one routine that commits them.
 *
 *   last.ckpt   the state after the last completed epoch (or step, for a run stopped mid-epoch), optimiser included:
 *               what a resume continues from
 *   best.ckpt   the model of the best epoch (by validation loss), without optimiser state
 *
 * Commit order: last first, then best. last.ckpt records the best's epoch and model digest, so a crash between the
 * two writes is detected on resume; when the epoch in last.ckpt is itself the best (the only case where the two
 * writes belong together) the best is rebuilt from it. Any other disagreement is an error naming the file: the
 * best checkpoint is never silently stale. Folders of the first format (last.ckpt.json / best.ckpt.json) still load.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CheckpointError, type Checkpoint } from "./checkpoint.js";
import { modelDigest, readCheckpointFile, readCheckpointMeta, writeCheckpointFile } from "./checkpoint-file.js";
import { removeStaleTemps, writeFileAtomic } from "../util/fs.js";

export const LAST = "last.ckpt";
export const BEST = "best.ckpt";
/** written when a run ends in an error (it diverged, its resume was refused...), removed when it trains again */
export const FAILED = "failed.json";

/** Record why the run in `dir` stopped with an error, so that a status read later (another process, a clone) shows it. */
export function recordFailure(dir: string, message: string): void {
  writeFileAtomic(path.join(dir, FAILED), JSON.stringify({ t: new Date().toISOString(), error: message }) + "\n");
}

/** The recorded failure of the run in `dir`, or null. */
export function readFailure(dir: string): string | null {
  const f = path.join(dir, FAILED);
  if (!fs.existsSync(f)) return null;
  try {
    return String(JSON.parse(fs.readFileSync(f, "utf8")).error ?? "unknown error");
  } catch {
    return `${f}: unreadable`;
  }
}

export const clearFailure = (dir: string) => fs.rmSync(path.join(dir, FAILED), { force: true });

/** the files of a run folder that are written through a temp file (`<name>.<pid>.tmp`) */
const WRITTEN_VIA_TEMP = [LAST, BEST, FAILED, "config.json", "results.json"];

/** Remove the temp files a killed attempt left in the run folder `dir` (only those); the caller holds its run.lock. */
export const removeRunTemps = (dir: string): string[] => removeStaleTemps(dir, WRITTEN_VIA_TEMP);

/** The last / best checkpoint of a run folder: the binary file, else one of the first (JSON) format, else null. */
export function findCheckpoint(dir: string, which: "last" | "best"): string | null {
  for (const f of [`${which}.ckpt`, `${which}.ckpt.json`]) {
    const p = path.join(dir, f);
    if (fs.existsSync(p)) return p;
  }
  return null;
}

/**
 * Why a run may not start from scratch in `dir`, or null. Issue 32: `npm run train` on a folder holding an unfinished
 * run, without --resume, silently started over and overwrote its checkpoints; and the campaign's mode
 * (--resume-if-present) started a finished run over once its last.ckpt was deleted (best.ckpt and results.json then
 * overwritten). So a start from scratch needs a folder without results, checkpoints of either format or both.
 */
export function startOverProblem(dir: string): string | null {
  if (!fs.existsSync(dir)) return null;
  const results = path.join(dir, "results.json");
  if (fs.existsSync(results)) return `--out ${dir}: holds a finished run (${results}); starting over would overwrite its results and checkpoints. Choose another --out (or delete the folder to train that run again)`;
  const last = findCheckpoint(dir, "last");
  if (last) return `--out ${dir}: holds an unfinished run (${last}, no results.json); starting over would overwrite its checkpoints. Continue it with --resume, or choose another --out`;
  // a best checkpoint alone (no last.ckpt to resume from, no results): nothing to continue, but still a model
  const best = findCheckpoint(dir, "best");
  if (best) return `--out ${dir}: holds a run's best checkpoint (${best}) but no last.ckpt to resume from; starting over would overwrite it. Choose another --out (or delete the folder to train that run again)`;
  return null;
}

export class CheckpointCommitter {
  /** digest of the best model written so far (from the resumed checkpoint, then from each new best) */
  private bestDigest: string | undefined;

  constructor(
    readonly dir: string,
    resumed?: Checkpoint,
  ) {
    this.bestDigest = resumed?.best?.digest;
  }

  /** After an epoch: last, then (when this epoch is the best) best. */
  commit(c: Checkpoint, isBest: boolean): void {
    if (isBest) this.bestDigest = modelDigest(c);
    if (c.best) c.best.digest = this.bestDigest;
    writeCheckpointFile(path.join(this.dir, LAST), c);
    if (isBest) writeCheckpointFile(path.join(this.dir, BEST), c, { optimizer: false });
    this.dropLegacy();
  }

  /** A stop mid-epoch: only last (the best cannot have changed). */
  commitPartial(c: Checkpoint): void {
    if (c.best) c.best.digest = this.bestDigest;
    writeCheckpointFile(path.join(this.dir, LAST), c);
    this.dropLegacy();
  }

  /** The best checkpoint's path, checked against the digest (or epoch) the run recorded for it. */
  bestFile(best: Checkpoint["best"]): string | null {
    const file = findCheckpoint(this.dir, "best");
    if (!best) return null;
    if (!file) throw new CheckpointError(`${path.join(this.dir, BEST)}: missing, the run recorded a best epoch ${best.epoch + 1}`);
    checkBestMatches(file, { ...best, digest: best.digest ?? this.bestDigest });
    return file;
  }

  /** a resumed run of the first format: its JSON last checkpoint is superseded once last.ckpt exists */
  private dropLegacy(): void {
    fs.rmSync(path.join(this.dir, "last.ckpt.json"), { force: true });
  }
}

function checkBestMatches(file: string, best: NonNullable<Checkpoint["best"]>): void {
  const meta = readCheckpointMeta(file);
  const digest = meta.modelDigest ?? (best.digest ? modelDigest(readCheckpointFile(file)) : undefined);
  if (meta.epoch !== best.epoch || (best.digest && digest !== best.digest)) {
    throw new CheckpointError(
      `${file}: holds epoch ${meta.epoch + 1}${digest ? ` (model ${digest.slice(0, 12)}...)` : ""}, but the run recorded its best as epoch ${best.epoch + 1}` +
        `${best.digest ? ` (model ${best.digest.slice(0, 12)}...)` : ""}: stale or foreign best checkpoint`,
    );
  }
}

/**
 * Before resuming from `last`: the best checkpoint must be the one `last` recorded. A crash between the two writes
 * of a best epoch leaves last.ckpt new and best.ckpt old: then best is rebuilt from last (same model). Returns a
 * note when it repaired something.
 */
export function verifyBestOnResume(dir: string, last: Checkpoint): string | null {
  const best = last.best;
  const file = findCheckpoint(dir, "best");
  if (!best) return null;
  const repairable = best.epoch === last.epoch && !last.partial && (!best.digest || modelDigest(last) === best.digest);
  try {
    if (!file) throw new CheckpointError(`${path.join(dir, BEST)}: missing, the run recorded a best epoch ${best.epoch + 1}`);
    checkBestMatches(file, best);
    return null;
  } catch (e) {
    if (!repairable) throw e;
    writeCheckpointFile(path.join(dir, BEST), last, { optimizer: false });
    if (file && file !== path.join(dir, BEST)) fs.rmSync(file, { force: true });
    return `${(e as Error).message}; rebuilt ${path.join(dir, BEST)} from the last checkpoint (epoch ${last.epoch + 1}, the recorded best)`;
  }
}
