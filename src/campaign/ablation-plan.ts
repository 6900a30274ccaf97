/**
 * The paper's whole CIFAR-10 experiment for one network (`npm run train:cifar`): both teachers, Tailor's two
 * students (SkipRemover, SkipShortener) and the baselines trained from scratch (no skips, no skips with KD,
 * statically shortened skips), run by the campaign runner like every other plan. Its runs sit in flat folders,
 * <root>/<role>, as the committed data/runs/resnet8-short was written.
 *
 * Schedules:
 *   short  what fitted one session on a 2-core machine (the committed ResNet-8 runs): teachers and baselines 12 epochs
 *          (lr x0.1 at epochs 6 and 9), students 14 (a skip altered every 3 epochs; lr x0.1 at 10 and 12), with the
 *          settings those runs recorded (5,000 validation images, the teacher's running batch-norm statistics)
 *   full   the authors' recipe (recipe-plan.ts): 200 epochs, lr x0.1 every 30, a skip every 3 epochs
 */
import { formatRunId, formOf, isTailor, type Method, type NetName, type Role } from "../experiment/index.js";
import { DEFAULT_CONFIG, type TrainConfig } from "../train/config.js";
import { LEGACY_VALUES } from "../train/config-compare.js";
import { DEPTH_COMMON } from "./depth-plan.js";
import { bestCheckpointOf, validatePlan, type Plan, type PlannedRun } from "./plan.js";
import { RECIPE_SCHEDULE } from "./recipe-plan.js";

export type AblationSchedule = "short" | "full";

const SCHEDULES: Record<AblationSchedule, { common: Partial<TrainConfig>; teacher: Partial<TrainConfig>; student: Partial<TrainConfig> }> = {
  // the fields the committed short runs recorded, or ran with before they existed (config-compare.ts LEGACY_VALUES)
  short: {
    common: { ...LEGACY_VALUES, valSize: 5000, evalBatchSize: 500, logEvery: 200, everyEpochs: 3, lrStep: 30 },
    teacher: { epochs: 12, lrMilestones: [6, 9] },
    student: { epochs: 14, lrMilestones: [10, 12] },
  },
  full: { common: { ...DEPTH_COMMON, ...RECIPE_SCHEDULE }, teacher: {}, student: {} },
};

/** the runs, in the order the runner starts them; each baseline after the teacher it is measured against */
const RUNS: { role: Role; method: Method; teacher?: Role }[] = [
  { role: "teacher", method: "teacher" },
  { role: "teacher-shortenable", method: "teacher" },
  { role: "remover", method: "remover", teacher: "teacher" },
  { role: "shortener", method: "shortener", teacher: "teacher-shortenable" },
  { role: "noskip", method: "noskip" },
  { role: "noskip-kd", method: "noskip-kd", teacher: "teacher" },
  { role: "shortened-scratch", method: "shortened-scratch" },
];
export const ABLATION_ROLES = RUNS.map((r) => r.role);

export function ablationPlan(o: { net: NetName; schedule: AblationSchedule; root: string; seed: number }): Plan {
  const s = SCHEDULES[o.schedule];
  const plan: Plan = { name: `${o.net}-${o.schedule}`, root: o.root, folders: "flat", runs: [] };
  const id = (role: Role) => formatRunId({ net: o.net, role });
  plan.runs = RUNS.map((r): PlannedRun => {
    const tailor = isTailor(r.method);
    const form = r.role === "teacher-shortenable" ? "shortenable" : formOf(r.method);
    const config = { ...DEFAULT_CONFIG, ...s.common, ...(tailor ? s.student : s.teacher), net: o.net, method: r.method, form, seed: o.seed, teacher: r.teacher ? bestCheckpointOf(plan, id(r.teacher)) : "" } as TrainConfig;
    return { id: id(r.role), deps: r.teacher ? [id(r.teacher)] : [], config };
  });
  return validatePlan(plan, `${plan.name} plan (src/campaign/ablation-plan.ts)`);
}
