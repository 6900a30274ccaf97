/**
 * Tailor's training loop (Weng et al., section 3; authors' code): a student initialised from the frozen teacher is
 * fine-tuned with knowledge distillation while one skip at a time, from the input end, is removed (SkipRemover)
 * or shortened (SkipShortener). The same loop trains the teacher and the from-scratch baselines.
 * Pure of I/O: progress and checkpoints go out through the callbacks.
 */
import * as tf from "@tensorflow/tfjs";
import type { ImageSet } from "../data/cifar10.js";
import { channelStats, epochBatches, splitTrainVal, type Normalisation } from "../data/batches.js";
import { method, network, tailorTargets } from "../experiment/index.js";
import { skipCount, skipModes, withAllSkips, withSkip, type NetSpec, type SkipMode } from "../net/index.js";
import { Rng } from "../util/random.js";
import { splitSeedOf, type TrainConfig } from "./config.js";
import { recordedConfig } from "./config-compare.js";
import { evaluateSteps, type EvalResult } from "./evaluate.js";
import { cloneModel, createModel, setNet, type Model } from "./model.js";
import { Sgd } from "./optimizer.js";
import { alterationSchedule, lastAlterationEpoch, learningRate } from "./schedule.js";
import { trainStep } from "./step.js";
import type { Checkpoint, EpochRecord, PartialEpoch } from "./checkpoint.js";
import { makeCheckpoint } from "./checkpoint.js";
import { assertFinite, DivergedError } from "./finite.js";
import { useQuant } from "./quant.js";

/** The network a config trains from scratch: its net in its block form, every skip long. */
export const buildNet = (c: Pick<TrainConfig, "net" | "form">): NetSpec => network(c.net).build({ form: c.form });

export interface Progress {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number;
  lr: number;
  imagesPerSecond: number;
  etaSeconds: number;
}

export interface TailorData {
  train: ImageSet;
  test: ImageSet;
}

export interface TailorRun {
  config: TrainConfig;
  data: TailorData;
  /** the frozen teacher (remover, shortener, noskip-kd) */
  teacher?: Model;
  env: Checkpoint["env"];
  onProgress?: (p: Progress) => void;
  onAlter?: (epoch: number, skip: number, mode: SkipMode) => void;
  /** called after every epoch with the record, the checkpoint and whether it is the best so far */
  onEpoch?: (r: EpochRecord, ckpt: () => Checkpoint, isBest: boolean) => void;
  /** asked after every step and every epoch: true stops the run (onStop gets the checkpoint of where it stopped) */
  shouldStop?: () => boolean;
  /** a stop inside an epoch: the checkpoint holds the steps taken (PartialEpoch); at an epoch's end onEpoch has it */
  onStop?: (ckpt: () => Checkpoint, partial: PartialEpoch | null) => void;
}

export { DivergedError } from "./finite.js";

export interface TailorResult {
  model: Model;
  history: EpochRecord[];
  best: Checkpoint["best"];
  norm: Normalisation;
  split: { train: Int32Array; val: Int32Array; test: Int32Array };
  /** stopped on request (shouldStop) before the last epoch */
  stopped: boolean;
}

/**
 * A run is a generator that yields after every optimisation step, so that a driver can let the event loop run
 * (signals) between steps: `runToEnd` drives it synchronously, `runToEndAsync` yields to the event loop each step.
 */
export type TailorSteps = Generator<void, TailorResult, void>;

export function runToEnd(g: TailorSteps): TailorResult {
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
  }
}

export async function runToEndAsync(g: TailorSteps): Promise<TailorResult> {
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const limit = (a: Int32Array, n: number) => (n > 0 && n < a.length ? a.slice(0, n) : a);

/**
 * The normalisation a run applies to every image, the student's and (under KD) the teacher's: its config's inputNorm
 * when given (an imported network's own), else the per-channel statistics of its train split (before --limit-train).
 */
export function runNormalisation(c: TrainConfig, data: Pick<TailorData, "train">): Normalisation {
  return inputNormOf(c) ?? channelStats(data.train, splitTrainVal(data.train.count, c.valSize, splitSeedOf(c)).train);
}

/** A config's inputNorm as a Normalisation; null when it gives none (the run takes its train split's statistics). */
export function inputNormOf(c: Pick<TrainConfig, "inputNorm">): Normalisation | null {
  // a recorded config is read as written: anything but an array of 6 gives none
  if (!Array.isArray(c.inputNorm) || c.inputNorm.length !== 6) return null;
  const [r, g, b, sr, sg, sb] = c.inputNorm;
  return { mean: [r, g, b], std: [sr, sg, sb] };
}

/**
 * The normalisation a checkpoint's run applied, from the config it recorded (one written before inputNorm existed:
 * the train split's statistics). What evaluates a checkpoint later (reproduce, bn-check) uses this, not the split's
 * statistics, which an --input-norm run never saw.
 */
export function recordedRunNormalisation(saved: Partial<TrainConfig>, data: Pick<TailorData, "train">): Normalisation {
  return runNormalisation(recordedConfig(saved), data);
}

/**
 * The seeded train/val split (valSize held out; the authors' data module holds out 10,000 of the 50,000, see
 * config.ts), the test indices, and the run's normalisation.
 */
function prepareData(c: TrainConfig, data: TailorData) {
  const split = splitTrainVal(data.train.count, c.valSize, splitSeedOf(c));
  // a limited test set is a seeded random subset (files may be ordered by class), kept in file order
  const test = Int32Array.from({ length: data.test.count }, (_, i) => i);
  if (c.limitEval > 0 && c.limitEval < test.length) new Rng(c.seed + 17).shuffle(test);
  return {
    // runNormalisation's, on the split made here
    norm: inputNormOf(c) ?? channelStats(data.train, split.train),
    split: {
      train: limit(split.train, c.limitTrain),
      val: limit(split.val, c.limitEval),
      test: limit(test, c.limitEval).sort(),
    },
  };
}

export function newOptimizer(c: TrainConfig): Sgd {
  return new Sgd({ lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay, nesterov: c.nesterov });
}

/** Start a run: the student copies the teacher (Tailor) or is initialised from the seed (teacher, baselines). */
export function runTailor(run: TailorRun): TailorResult {
  return runToEnd(startTailor(run));
}

/** Continue a run from its checkpoint (model and optimiser restored by the caller); the next epoch (or step) follows. */
export function resumeTailor(run: TailorRun, ckpt: Checkpoint, model: Model, opt: Sgd): TailorResult {
  return runToEnd(resumeTailorSteps(run, ckpt, model, opt));
}

export function startTailor(run: TailorRun): TailorSteps {
  const c = run.config;
  const plan = method(c.method);
  let model: Model;
  if (plan.fromTeacher) {
    if (!run.teacher) throw new Error(`method ${c.method} needs a teacher`);
    model = cloneModel(run.teacher);
  } else {
    let net = buildNet(c);
    if (plan.fixed) net = withAllSkips(net, plan.fixed);
    model = createModel(net, c.seed);
  }
  useQuant(model, c);
  return trainLoop(run, model, newOptimizer(c), -1, [], null, prepareData(c, run.data), null);
}

export function resumeTailorSteps(run: TailorRun, ckpt: Checkpoint, model: Model, opt: Sgd): TailorSteps {
  return trainLoop(run, model, opt, ckpt.epoch, ckpt.history.slice(), ckpt.best, prepareData(run.config, run.data), ckpt.partial ?? null);
}

function* trainLoop(
  run: TailorRun,
  model: Model,
  opt: Sgd,
  lastEpoch: number,
  history: EpochRecord[],
  best: Checkpoint["best"],
  d: { norm: Normalisation; split: { train: Int32Array; val: Int32Array; test: Int32Array } },
  partial: PartialEpoch | null,
): TailorSteps {
  const c = run.config;
  const plan = method(c.method);
  const targets = tailorTargets(c.method, skipCount(model.net), c.policy);
  const steps = targets ? alterationSchedule(targets, c.everyEpochs) : [];
  // the best checkpoint is chosen only once the architecture is final (every scheduled skip altered)
  const finalFrom = targets ? lastAlterationEpoch(steps.length, c.everyEpochs) : 0;
  const kd = plan.kd && run.teacher ? { mse: c.kdMse, ce: c.kdCe } : undefined;
  const teacher = plan.kd ? run.teacher : undefined;
  const stepsPerEpoch = Math.ceil(d.split.train.length / c.batchSize);
  let trainSeconds = 0;
  let imagesDone = 0;
  for (let epoch = lastEpoch + 1; epoch < c.epochs; epoch++) {
    const lr = learningRate({ lr: c.lr, gamma: c.lrGamma, stepEvery: c.lrStep, milestones: c.lrMilestones.length ? c.lrMilestones : undefined }, epoch);
    const rng = new Rng((c.seed * 1_000_003 + epoch * 7919) >>> 0);
    const e0 = performance.now();
    // a run stopped inside this epoch continues after its last step: the batches before it are drawn again (same
    // shuffle and augmentation draws) and skipped
    const from = partial?.epoch === epoch ? partial : null;
    let lossSum = from?.lossSum ?? 0;
    let seen = from?.seen ?? 0;
    const earlierSeconds = from?.seconds ?? 0;
    let step = 0;
    for (const b of epochBatches(run.data.train, d.split.train, c.batchSize, d.norm, rng)) {
      if (from && step < from.step) {
        step++;
        continue;
      }
      const s0 = performance.now();
      const loss = trainStep(model, opt, b, lr, teacher, kd, c.teacherBn);
      trainSeconds += (performance.now() - s0) / 1000;
      if (!Number.isFinite(loss)) {
        throw new DivergedError(`loss became ${loss} at epoch ${epoch}, step ${step}: stopping (the last checkpoint is kept)`);
      }
      lossSum += loss * b.n;
      seen += b.n;
      imagesDone += b.n;
      step++;
      if (run.onProgress && (step % c.logEvery === 0 || step === stepsPerEpoch)) {
        const ips = imagesDone / trainSeconds;
        const remaining = (c.epochs - epoch - 1) * d.split.train.length + (d.split.train.length - seen);
        run.onProgress({ epoch, epochs: c.epochs, step, steps: stepsPerEpoch, loss: lossSum / seen, lr, imagesPerSecond: ips, etaSeconds: remaining / ips });
      }
      yield;
      if (run.shouldStop?.()) {
        const p: PartialEpoch = { epoch, step, lossSum, seen, seconds: earlierSeconds + (performance.now() - e0) / 1000 };
        run.onStop?.(() => makeCheckpoint(model, opt, c, epoch - 1, history, best, run.env, p), p);
        return { model, history, best, norm: d.norm, split: d.split, stopped: true };
      }
    }
    const seconds = earlierSeconds + (performance.now() - e0) / 1000;
    // Tailor: alter the scheduled skip at the end of this epoch (before validating the new architecture)
    for (const a of steps) {
      if (a.epoch !== epoch) continue;
      setNet(model, withSkip(model.net, a.skip, a.mode), c.seed + a.skip + 1);
      run.onAlter?.(epoch, a.skip, a.mode);
    }
    // validation can take minutes on deep networks: a stop request is honoured between its batches too (the
    // checkpoint then holds every step of the epoch, and the alteration, which a resume repeats as a no-op)
    const evalSteps = evaluateSteps(model, run.data.train, d.split.val, d.norm, c.evalBatchSize);
    let val: EvalResult;
    for (;;) {
      const r = evalSteps.next();
      if (r.done) {
        val = r.value;
        break;
      }
      yield;
      if (run.shouldStop?.()) {
        const p: PartialEpoch = { epoch, step, lossSum, seen, seconds };
        run.onStop?.(() => makeCheckpoint(model, opt, c, epoch - 1, history, best, run.env, p), p);
        return { model, history, best, norm: d.norm, split: d.split, stopped: true };
      }
    }
    const rec: EpochRecord = {
      epoch,
      lr,
      trainLoss: lossSum / seen,
      valLoss: val.loss,
      valTop1: val.top1,
      valTop5: val.top5,
      skipModes: skipModes(model.net),
      seconds,
      imagesPerSecond: seen / seconds,
    };
    // the loss can stay finite while weights or statistics do not: check them all before anything is written
    assertFinite({ params: model.params, stats: model.stats, buffers: opt.buffers }, `in epoch ${epoch + 1}`);
    if (!Number.isFinite(val.loss)) {
      throw new DivergedError(`training diverged in epoch ${epoch + 1}: the validation loss is ${val.loss}. Nothing of this epoch was written; the last checkpoint is kept.`);
    }
    history.push(rec);
    // (a checkpoint of older code may hold a NaN best, stored by JSON as null: any finite loss beats it)
    const isBest = epoch >= finalFrom && Number.isFinite(val.loss) && (best === null || !Number.isFinite(best.valLoss) || val.loss < best.valLoss);
    if (isBest) best = { epoch, valLoss: val.loss };
    run.onEpoch?.(rec, () => makeCheckpoint(model, opt, c, epoch, history, best, run.env), isBest);
    if (tf.memory().numTensors > 10_000) throw new Error(`tensor leak: ${tf.memory().numTensors} tensors alive`);
    if (epoch < c.epochs - 1 && run.shouldStop?.()) {
      run.onStop?.(() => makeCheckpoint(model, opt, c, epoch, history, best, run.env), null);
      return { model, history, best, norm: d.norm, split: d.split, stopped: true };
    }
  }
  return { model, history, best, norm: d.norm, split: d.split, stopped: false };
}
