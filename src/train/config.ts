/**
 * One training configuration (nanoGPT style): every default in one place, each overridable from the command line
 * (scripts/train.ts), unknown keys rejected. Defaults are the authors' CIFAR-10 recipe.
 */
import { isMethod, isNetworkName, method, METHODS, needsTeacher, network, NETWORKS, tailorTargets, TRAINABLE_NETS, type Method, type NetName } from "../experiment/index.js";
import { RECORDS_PER_FILE, TRAIN_FILES } from "../data/cifar10.js";
import { policyForm, policyModes, skipCount } from "../net/index.js";
import { alterationSchedule, lastAlterationEpoch } from "./schedule.js";

export interface TrainConfig {
  net: NetName;
  /**
   * teacher: train with every skip; remover / shortener: Tailor from --teacher; finetune: continue training --teacher's
   * weights without KD, skips unchanged (the float teacher fine-tuned under quantisation); the rest: baselines from scratch
   */
  method: Method;
  /** block form of a teacher: "plain" (SkipRemover's teacher) or "shortenable" (SkipShortener's own teacher) */
  form: "plain" | "shortenable";
  /** teacher checkpoint, for remover, shortener, policy and noskip-kd */
  teacher: string;
  /**
   * method policy: the mode Tailor alters each skip to, one letter a skip from the input end (L kept, S shortened,
   * R removed; src/net/policy.ts); "" for every other method. It shortens a skip: the shortenable form and teacher
   */
  policy: string;
  epochs: number;
  batchSize: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  nesterov: boolean;
  /** step decay: x lrGamma every lrStep epochs, or at lrMilestones when given */
  lrStep: number;
  lrGamma: number;
  lrMilestones: number[];
  /** Tailor alters skip k after epoch everyEpochs * (k + 1) */
  everyEpochs: number;
  kdMse: number;
  kdCe: number;
  /**
   * batch norm of the frozen teacher when it produces the KD targets: "batch" (batch statistics, as the authors'
   * code runs it: the teacher is a submodule of their LightningModule, which Lightning puts in training mode) or
   * "running" (its running statistics, eval mode: what every run before this option used; config-compare.ts
   * LEGACY_VALUES reads their checkpoints so)
   */
  teacherBn: "batch" | "running";
  /**
   * images held out of the 50,000 training images for validation. The authors' data module (pl_bolts
   * CIFAR10DataModule, default val_split=0.2 in lightning-bolts 0.5.0) holds out 10,000 (the project's first
   * ResNet-8 runs held out 5,000, and their configs record it)
   */
  valSize: number;
  /**
   * seed of the train/validation split; 0 = the run's seed (every run before this option). The authors' split has
   * its own fixed seed (pl_bolts: seed=42), independent of the training seed; a student of another seed than its
   * teacher needs the teacher's split, or its validation images were the teacher's training images
   */
  splitSeed: number;
  seed: number;
  /** use only this many training / validation / test images (0 = all): quick runs and tests */
  limitTrain: number;
  limitEval: number;
  /** print progress every this many steps */
  logEvery: number;
  /**
   * images per evaluation batch: changes only the rounding of the summed validation loss, and how long a stop
   * request waits during validation (and, on the native backend, speed: batches of 500 run several times slower per
   * image than batches of 100 on ResNet-56)
   */
  evalBatchSize: number;
  /**
   * quantisation-aware training (src/train/quant.ts): bits of every conv's weights (signed, per-tensor scale) and of
   * every ReLU's output (unsigned, running scale); 0 = float (no quantiser). The first conv's and the last dense
   * layer's weights take quantEdgeBits instead of quantWeightBits.
   */
  quantWeightBits: number;
  quantActBits: number;
  quantEdgeBits: number;
  /**
   * the input normalisation, (pixel / 255 - mean) / std per channel, as mean r,g,b then std r,g,b; [] = the train
   * split's own per-channel statistics (every run before this option). A network imported with its own normalisation
   * (import:onnx --mean --std) was trained on inputs so normalised: its students and its KD targets need them too
   * (scripts/train.ts takes them from an imported teacher's config.json unless given)
   */
  inputNorm: number[];
}

export const DEFAULT_CONFIG: TrainConfig = {
  net: "resnet8",
  method: "teacher",
  form: "plain",
  teacher: "",
  policy: "",
  epochs: 200,
  batchSize: 32,
  lr: 0.1,
  momentum: 0.9,
  weightDecay: 1e-4,
  nesterov: true,
  lrStep: 30,
  lrGamma: 0.1,
  lrMilestones: [],
  everyEpochs: 3,
  kdMse: 0.35,
  kdCe: 0.65,
  teacherBn: "batch",
  valSize: 10_000,
  splitSeed: 0,
  seed: 1,
  limitTrain: 0,
  limitEval: 0,
  logEvery: 200,
  evalBatchSize: 500,
  quantWeightBits: 0,
  quantActBits: 0,
  quantEdgeBits: 8,
  inputNorm: [],
};

/** One-line description of every key, for --help. */
export const CONFIG_HELP: Record<keyof TrainConfig, string> = {
  net: `network: ${TRAINABLE_NETS.join(" | ")}`,
  method: `${METHODS.join(" | ")}`,
  form: "teacher block form: plain (for SkipRemover) | shortenable (for SkipShortener)",
  teacher: "teacher checkpoint (remover, shortener, policy, noskip-kd)",
  policy: "method policy: a letter per skip from the input end, L keep, S shorten, R remove (e.g. SSRRLLLLL; S needs --form shortenable)",
  epochs: "epochs to train",
  batchSize: "batch size",
  lr: "initial learning rate",
  momentum: "SGD momentum",
  weightDecay: "weight decay (all parameters)",
  nesterov: "Nesterov momentum (true | false)",
  lrStep: "decay the learning rate every N epochs",
  lrGamma: "decay factor",
  lrMilestones: "comma-separated epochs to decay at (overrides lrStep)",
  everyEpochs: "alter one skip every N epochs",
  kdMse: "weight of MSE(teacher logits, student logits); 0 trains without distillation (loss = kd-ce x cross-entropy)",
  kdCe: "weight of the cross-entropy with the labels",
  teacherBn: "teacher batch norm during KD: batch (batch statistics, the authors' code) | running (running statistics)",
  valSize: "validation images held out of the training set (the authors' data module: 10000)",
  splitSeed: "seed of the train/validation split (0 = --seed)",
  seed: "seed of every random choice",
  limitTrain: "train on only this many images (0 = all)",
  limitEval: "evaluate on only this many images (0 = all)",
  logEvery: "progress line every N steps",
  evalBatchSize: "images per evaluation batch",
  quantWeightBits: "QAT: bits of the conv and dense weights (signed integers, per-tensor scale; 0 = float)",
  quantActBits: "QAT: bits of every ReLU output (unsigned integers, running scale; 0 = float)",
  quantEdgeBits: "QAT: bits of the first conv's and the last dense layer's weights (when --quant-weight-bits is set)",
  inputNorm: "input normalisation (pixel / 255 - mean) / std as mean r,g,b,std r,g,b (6 numbers; empty: the train split's statistics; default with --teacher: the teacher's, as its import recorded (--mean/--std) or as it was trained (--input-norm))",
};

export class ConfigError extends Error {}

/** the largest seed: the random streams are seeded with 32-bit unsigned integers */
export const MAX_SEED = 2 ** 32 - 1;

/** CIFAR-10's training images, out of which the validation split is held */
export const TRAIN_IMAGES = TRAIN_FILES.length * RECORDS_PER_FILE;

/**
 * Validate a full config; throws a ConfigError naming the key. `schedule: false` leaves out the checks that need the
 * network: that a Tailor run alters all its skips, and a policy's length (for a config whose network its teacher
 * decides, not read yet: check it again after).
 */
export function validateConfig(c: TrainConfig, opts: { schedule?: boolean } = {}): TrainConfig {
  const posInt = (k: keyof TrainConfig, min = 1) => {
    const v = c[k] as number;
    if (!Number.isInteger(v) || v < min) throw new ConfigError(`${k}: expected an integer >= ${min}, got ${v}`);
  };
  const posNum = (k: keyof TrainConfig) => {
    const v = c[k] as number;
    if (!Number.isFinite(v) || v < 0) throw new ConfigError(`${k}: expected a number >= 0, got ${v}`);
  };
  if (!isNetworkName(c.net) || !NETWORKS[c.net].trains) throw new ConfigError(`net: expected one of ${TRAINABLE_NETS.join(", ")}, got "${c.net}"`);
  if (!isMethod(c.method)) throw new ConfigError(`method: expected one of ${METHODS.join(", ")}, got "${c.method}"`);
  if (c.form !== "plain" && c.form !== "shortenable") throw new ConfigError(`form: expected plain or shortenable, got "${c.form}"`);
  if (c.teacherBn !== "batch" && c.teacherBn !== "running") throw new ConfigError(`teacherBn: expected batch or running, got "${c.teacherBn}"`);
  if (needsTeacher(c.method) && !c.teacher) throw new ConfigError(`teacher: method ${c.method} needs a teacher checkpoint`);
  if (typeof c.policy !== "string") throw new ConfigError(`policy: expected a string of L, S and R, got ${JSON.stringify(c.policy)}`);
  if (method(c.method).perSkip) {
    const skips = skipCount(network(c.net).build({ form: c.form }));
    try {
      // before the teacher is read the network is not known: the letters alone
      if (opts.schedule === false) policyModes(c.policy, "policy");
      else tailorTargets(c.method, skips, c.policy);
    } catch (e) {
      throw new ConfigError(`policy: ${(e as Error).message.replace(/^policy:? ?/, "")}${opts.schedule === false ? "" : ` (${c.net} has ${skips} skips)`}`);
    }
    if (!/[SR]/.test(c.policy)) throw new ConfigError(`policy: ${c.policy} alters no skip (every letter L); that is the teacher itself`);
    if (c.form !== policyForm(c.policy)) {
      throw new ConfigError(`form: policy ${c.policy} runs in the ${policyForm(c.policy)} form (${policyForm(c.policy) === "shortenable" ? "it shortens a skip" : "it shortens no skip, as SkipRemover"}), got "${c.form}"`);
    }
  } else if (c.policy !== "") {
    throw new ConfigError(`policy: only --method policy takes a policy, got method ${c.method} with policy "${c.policy}"`);
  }
  posInt("epochs");
  posInt("lrStep");
  posInt("everyEpochs");
  posInt("limitTrain", 0);
  posInt("limitEval", 0);
  posInt("logEvery");
  // issue 32: --val-size 50000 failed only after files were written, 0 left validation empty (its NaN loss read as
  // divergence), a huge batch ended in "Invalid typed array length": all decided here, before anything is written
  if (!Number.isInteger(c.valSize) || c.valSize < 1 || c.valSize >= TRAIN_IMAGES) {
    throw new ConfigError(`valSize: expected an integer from 1 to ${TRAIN_IMAGES - 1} (validation images held out of the ${TRAIN_IMAGES} training images; the best epoch is chosen on them), got ${c.valSize}`);
  }
  const trainImages = Math.min(TRAIN_IMAGES - c.valSize, c.limitTrain || Infinity);
  if (!Number.isInteger(c.batchSize) || c.batchSize < 1 || c.batchSize > trainImages) {
    throw new ConfigError(`batchSize: expected an integer from 1 to ${trainImages} (the training images left after the validation split of valSize ${c.valSize}${c.limitTrain ? ` and limitTrain ${c.limitTrain}` : ""}), got ${c.batchSize}`);
  }
  if (!Number.isInteger(c.evalBatchSize) || c.evalBatchSize < 1 || c.evalBatchSize > TRAIN_IMAGES) {
    throw new ConfigError(`evalBatchSize: expected an integer from 1 to ${TRAIN_IMAGES}, got ${c.evalBatchSize}`);
  }
  // the random streams take a seed as a 32-bit unsigned integer (src/util/random.ts, `>>> 0` in the training loop):
  // a larger one would silently train as another seed does
  for (const k of ["seed", "splitSeed"] as const) {
    posInt(k, 0);
    if (c[k] > MAX_SEED) throw new ConfigError(`${k}: expected an integer from 0 to ${MAX_SEED}, got ${c[k]}`);
  }
  for (const k of ["lr", "momentum", "weightDecay", "lrGamma", "kdMse", "kdCe"] as const) posNum(k);
  const bits = (k: "quantWeightBits" | "quantActBits" | "quantEdgeBits", min: number) => {
    const v = c[k];
    if (!Number.isInteger(v) || (v !== 0 && (v < min || v > 16)) || (v === 0 && k === "quantEdgeBits")) {
      throw new ConfigError(`${k}: expected ${k === "quantEdgeBits" ? "" : "0 (float) or "}an integer from ${min} to 16, got ${v}`);
    }
  };
  // a signed narrow-range integer needs 2 bits for any non-zero value ({-1, 0, 1}); an unsigned one 1 bit
  bits("quantWeightBits", 2);
  bits("quantActBits", 1);
  bits("quantEdgeBits", 2);
  for (const m of c.lrMilestones) if (!Number.isInteger(m) || m < 1) throw new ConfigError(`lrMilestones: expected positive integers, got ${c.lrMilestones.join(",")}`);
  if (!Array.isArray(c.inputNorm) || (c.inputNorm.length !== 0 && c.inputNorm.length !== 6) || !c.inputNorm.every((v, i) => Number.isFinite(v) && (i < 3 ? v >= 0 && v <= 1 : v > 0))) {
    throw new ConfigError(`inputNorm: expected nothing (the train split's statistics) or 6 numbers, mean r,g,b of pixel / 255 (each in [0, 1]) then std r,g,b (each > 0), got ${Array.isArray(c.inputNorm) ? c.inputNorm.join(",") : JSON.stringify(c.inputNorm)}`);
  }
  // issue 32: KD weights were accepted and ignored by a run that distils from nothing. The defaults are let through:
  // a plan passes every field, a teacher's included (src/campaign/plan.ts trainFlags)
  const kdSet = (["kdMse", "kdCe"] as const).filter((k) => c[k] !== DEFAULT_CONFIG[k]);
  if (!method(c.method).kd && kdSet.length) {
    throw new ConfigError(
      `${kdSet[0]}: method ${c.method} trains without knowledge distillation, so ${kdSet.map((k) => `${k} ${c[k]}`).join(" and ")} would be ignored ` +
        `(the KD loss weights are for methods ${METHODS.filter((m) => method(m).kd).join(", ")}); leave kdMse and kdCe at their defaults`,
    );
  }
  if (opts.schedule !== false) {
    const need = tailorEpochsNeeded(c);
    if (need !== null && c.epochs < need) {
      const skips = alteredSkips(c)!;
      const fit = Math.floor((c.epochs - 1) / skips);
      throw new ConfigError(
        `epochs: ${method(c.method).label} alters ${method(c.method).perSkip ? "" : "the "}${skips} skips of ${c.net} one every ${c.everyEpochs} epochs (everyEpochs), the last after epoch ${need - 1}: ` +
          `it needs at least ${need} epochs, got ${c.epochs} (${fit >= 1 ? `give ${need} epochs or more, or everyEpochs ${fit} or less` : `give ${need} epochs or more; at least ${skips + 1} even with everyEpochs 1`})`,
      );
    }
  }
  return c;
}

/**
 * The fewest epochs in which a Tailor run alters every skip of its network and then validates the final network once
 * (its best epoch is chosen among those: src/train/tailor.ts), or null for a method that alters no skip. Issue 32: a
 * SkipRemover run too short for its schedule exited 0 with long skips left and "best epoch 0".
 */
export function tailorEpochsNeeded(c: Pick<TrainConfig, "net" | "method" | "form" | "everyEpochs"> & Partial<Pick<TrainConfig, "policy">>): number | null {
  const altered = alteredSkips(c);
  return altered === null ? null : lastAlterationEpoch(altered, c.everyEpochs) + 1;
}

/** How many skips a Tailor run alters (every skip, or a policy's letters other than L); null for other methods. */
function alteredSkips(c: Pick<TrainConfig, "net" | "method" | "form" | "everyEpochs"> & Partial<Pick<TrainConfig, "policy">>): number | null {
  const targets = tailorTargets(c.method, skipCount(network(c.net).build({ form: c.form })), c.policy ?? "");
  return targets ? alterationSchedule(targets, c.everyEpochs).length : null;
}

/** The seed of the train/validation split (configs written before splitSeed existed used the run's seed). */
export const splitSeedOf = (c: Pick<TrainConfig, "seed"> & Partial<Pick<TrainConfig, "splitSeed">>): number => c.splitSeed || c.seed;
