/**
 * The depth study (issue 15, claims C7a and C7b): Tailor on ResNet-8, -20 and -56 on one schedule, so that depth
 * is the only variable. CIFAR-10 with the authors' recipe (SGD Nesterov 0.9, wd 1e-4, batch 32, KD 0.35/0.65),
 * the authors' validation split (10,000 held out: pl_bolts CIFAR10DataModule's default val_split=0.2) and the
 * authors' teacher batch norm during distillation (batch statistics, see TrainConfig.teacherBn).
 *
 *   teacher, teacher-shortenable   40 epochs, lr 0.1, x0.1 at epochs 20 and 30
 *   noskip                         the plain network without skips from scratch, the teachers' schedule
 *   remover, shortener             from their teacher with KD, one skip altered per epoch (everyEpochs 1) from the
 *                                  input end; lr 0.1 until the last alteration, then 0.01 for 5 epochs and 0.001
 *                                  for 5 epochs: S skips -> S + 11 epochs (ResNet-8 14, ResNet-20 20, ResNet-56 38)
 *   remover-seed2, shortener-seed2 a second seed of the students of SECOND_SEED_NETS (same teachers), right after them
 *
 * The authors alter a skip every 3 epochs over 200 epochs; every-3 on ResNet-56's 27 skips would alter the last skip only after 82
 * epochs per student (about 90 with the fine-tuning), hence one skip per epoch at every depth (ARTIFACT.md).
 * Order is priority: the deepest (longest) teachers first; then the students, shallowest first (ResNet-20's second
 * seed with its first), so that a problem of the student runs shows in minutes (ResNet-8) rather than after hours
 * (ResNet-56) and C7a, which needs the ResNet-8 and ResNet-20 students only, is complete early; then the baselines.
 */
import { formatRunId, formOf, network, teacherRoleOf, type NetName, type Role, type TailorMethod } from "../experiment/index.js";
import { skipCount } from "../net/index.js";
import { DEFAULT_CONFIG, type TrainConfig } from "../train/config.js";
import { DEPTH_ROOT } from "./paths.js";
import { bestCheckpointOf, validatePlan, type Plan, type PlannedRun } from "./plan.js";

export const DEPTH_NETS: NetName[] = ["resnet56", "resnet20", "resnet8"];

/**
 * The networks whose SkipRemover and SkipShortener train a second seed. ResNet-20: the seed noise C7a is read
 * against, planned with the study. ResNet-56: added on 2026-12-07 for the per-skip policy study (issue 27), whose
 * every ResNet-56 comparison stands on these two one-seed runs (docs/policy-rule.md); added before any ResNet-56
 * policy run had finished, so no result chose them. C7b still reads the first seeds, as it was defined.
 */
export const SECOND_SEED_NETS: NetName[] = ["resnet20", "resnet56"];
export { DEPTH_ROOT };

/** what every run of the study shares */
export const DEPTH_COMMON: Partial<TrainConfig> = {
  batchSize: 32,
  lr: 0.1,
  momentum: 0.9,
  weightDecay: 1e-4,
  nesterov: true,
  lrGamma: 0.1,
  kdMse: 0.35,
  kdCe: 0.65,
  teacherBn: "batch",
  valSize: 10_000,
  // one split for every run, whatever its seed: a seed-2 student is selected on images its teacher never trained on
  splitSeed: 1,
  seed: 1,
  limitTrain: 0,
  limitEval: 0,
  logEvery: 200,
  // batches of 100: several times faster per image than 500 on ResNet-56 (native backend), and a stop request waits
  // for one batch at most
  evalBatchSize: 100,
};

export const TEACHER_SCHEDULE = { epochs: 40, lrMilestones: [20, 30] };

/** Tailor students: one skip per epoch; skip k is altered after epoch k + 1 (0-indexed), the last after epoch S. */
export function studentSchedule(skips: number): Pick<TrainConfig, "epochs" | "lrMilestones" | "everyEpochs"> {
  return { everyEpochs: 1, lrMilestones: [skips + 1, skips + 6], epochs: skips + 11 };
}

export function depthPlan(root = DEPTH_ROOT): Plan {
  const plan: Plan = { name: "depth", root, runs: [] };
  const cfg = (o: Partial<TrainConfig>): TrainConfig => ({ ...DEFAULT_CONFIG, ...DEPTH_COMMON, lrStep: 30, everyEpochs: 1, teacher: "", ...o }) as TrainConfig;
  const teachers: PlannedRun[] = [];
  const students: PlannedRun[] = [];
  const baselines: PlannedRun[] = [];
  for (const net of DEPTH_NETS) {
    const id = (role: Role, seed = 1) => formatRunId({ net, role, seed });
    teachers.push({ id: id("teacher"), deps: [], config: cfg({ net, method: "teacher", form: "plain", ...TEACHER_SCHEDULE }) });
    teachers.push({ id: id("teacher-shortenable"), deps: [], config: cfg({ net, method: "teacher", form: "shortenable", ...TEACHER_SCHEDULE }) });
    const skips = skipCount(network(net).build());
    const student = (method: TailorMethod, seed: number): PlannedRun => {
      const t = id(teacherRoleOf(method));
      return {
        id: id(method, seed),
        deps: [t],
        config: cfg({ net, method, form: formOf(method), teacher: bestCheckpointOf(plan, t), seed, ...studentSchedule(skips) }),
      };
    };
    const seeds2 = SECOND_SEED_NETS.includes(net) ? [student("remover", 2), student("shortener", 2)] : [];
    students.unshift(student("remover", 1), student("shortener", 1), ...seeds2);
    baselines.push({ id: id("noskip"), deps: [], config: cfg({ net, method: "noskip", form: "plain", ...TEACHER_SCHEDULE }) });
  }
  plan.runs = [...teachers, ...students, ...baselines];
  return validatePlan(plan, "depth plan (src/campaign/depth-plan.ts)");
}
