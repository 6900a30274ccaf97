/** Accuracy of trained checkpoints on the validation split and the test set (the authors' protocol: best checkpoint by validation loss, and the test set). */
import { splitTrainVal } from "../data/batches.js";
import type { Cifar10 } from "../data/cifar10.js";
import { modelFromCheckpoint, type Checkpoint } from "../train/checkpoint.js";
import { splitSeedOf } from "../train/config.js";
import { compilePlan, disposePlan, evaluatePlan, INFER_BATCH } from "../infer/index.js";
import { disposeModel } from "../train/model.js";
import { recordedRunNormalisation } from "../train/tailor.js";

export interface RunAccuracy {
  run: string;
  method: string;
  seed: number;
  skipModes: string[];
  epoch: number;
  valTop1: number;
  valTop5: number;
  testTop1: number;
  testTop5: number;
}

/** `onBatch(n, total)` after every evaluated batch (total: the images of both sets), for a progress line. */
export function checkpointAccuracy(run: string, ckpt: Checkpoint, file: string, data: Cifar10, onBatch?: (n: number, total: number) => void): RunAccuracy {
  const c = ckpt.config;
  const split = splitTrainVal(data.train.count, c.valSize, splitSeedOf(c));
  // as the run normalised (its inputNorm, else its train split's statistics)
  const norm = recordedRunNormalisation(c, data);
  const m = modelFromCheckpoint(ckpt, file);
  // the inference path (src/infer/), compiled once for both sets
  const plan = compilePlan(m);
  try {
    const total = split.val.length + data.test.count;
    const tick = onBatch && ((n: number) => onBatch(n, total));
    const val = evaluatePlan(plan, data.train, split.val, norm, INFER_BATCH, tick);
    const test = evaluatePlan(plan, data.test, Int32Array.from({ length: data.test.count }, (_, i) => i), norm, INFER_BATCH, tick);
    return {
      run,
      method: c.method,
      seed: c.seed,
      skipModes: ckpt.net.blocks.map((b) => b.skip),
      epoch: ckpt.epoch,
      valTop1: val.top1,
      valTop5: val.top5,
      testTop1: test.top1,
      testTop5: test.top5,
    };
  } finally {
    disposePlan(plan);
    disposeModel(m);
  }
}
