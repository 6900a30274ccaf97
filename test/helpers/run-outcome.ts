// What must be identical between two ways of running the same plan (local runner, resumed runner, SLURM): the best
// model of every run, its results and the per-epoch validation losses. Shared by the campaign and SLURM tests.
import * as fs from "node:fs";
import * as path from "node:path";
import { modelDigest, readCheckpointFile } from "../../src/train/checkpoint-file.js";

/** the outcome of each run `ids` in the plan folder `d` (runs under d/runs/<id>) */
export function runOutcome(d: string, ids: string[]) {
  return ids.map((id) => {
    const dir = path.join(d, "runs", id);
    const results = JSON.parse(fs.readFileSync(path.join(dir, "results.json"), "utf8"));
    const epochs = fs
      .readFileSync(path.join(dir, "log.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((e) => e.event === "epoch");
    // a run resumed from an epoch's checkpoint repeats nothing, one killed between checkpoints repeats epochs after
    // its last checkpoint: the last record of each epoch counts
    const valLoss = new Map<number, number>(epochs.map((e) => [e.epoch, e.valLoss]));
    return {
      id,
      best: modelDigest(readCheckpointFile(path.join(dir, "best.ckpt"))),
      bestEpoch: results.bestEpoch,
      bestMetrics: results.best,
      lastMetrics: results.last,
      valLoss: [...valLoss].sort((a, b) => a[0] - b[0]),
      lastDeleted: !fs.existsSync(path.join(dir, "last.ckpt")),
    };
  });
}

export type RunOutcome = ReturnType<typeof runOutcome>;
