/**
 * The authors' full CIFAR-10 recipe for ResNet-8 (issue 28): both teachers, SkipRemover and SkipShortener, each 200
 * epochs, batch 32, SGD Nesterov 0.9, weight decay 1e-4, lr 0.1 decayed x0.1 every 30 epochs (StepLR), one skip
 * altered every 3 epochs (after epochs 3, 6 and 9), KD 0.35 MSE + 0.65 CE, the teacher's batch norm in batch
 * statistics during distillation, 10,000 validation images held out (pl_bolts CIFAR10DataModule val_split=0.2).
 * Everything but the schedule is the depth study's (depth-plan.ts DEPTH_COMMON), split seed included, so the two
 * studies select their checkpoints on the same validation images and differ in the schedule alone.
 *
 * The authors' released ResNet-8 checkpoints are named with 0.87 (plain) and 0.88 (shortenable) validation top-1 at
 * epochs 148 and 156: ARTIFACT.md reports ours beside them.
 */
import { formatRunId, formOf, TAILOR_METHODS, teacherRoleOf, type NetName, type Role } from "../experiment/index.js";
import { DEFAULT_CONFIG, type TrainConfig } from "../train/config.js";
import { DEPTH_COMMON } from "./depth-plan.js";
import { RECIPE_ROOT } from "./paths.js";
import { bestCheckpointOf, validatePlan, type Plan, type PlannedRun } from "./plan.js";

export const RECIPE_SCHEDULE = { epochs: 200, lrStep: 30, lrGamma: 0.1, lrMilestones: [] as number[], everyEpochs: 3 };
/** the authors' released checkpoints are ResNet-8s */
export const RECIPE_NET: NetName = "resnet8";

export function recipePlan(root = RECIPE_ROOT): Plan {
  const plan: Plan = { name: "recipe", root, runs: [] };
  const net = RECIPE_NET;
  const id = (role: Role) => formatRunId({ net, role });
  const cfg = (o: Partial<TrainConfig>): TrainConfig => ({ ...DEFAULT_CONFIG, ...DEPTH_COMMON, ...RECIPE_SCHEDULE, teacher: "", net, ...o }) as TrainConfig;
  const teachers: PlannedRun[] = (["plain", "shortenable"] as const).map((form) => ({ id: id(form === "plain" ? "teacher" : "teacher-shortenable"), deps: [], config: cfg({ method: "teacher", form }) }));
  const students: PlannedRun[] = TAILOR_METHODS.map((m) => {
    const t = id(teacherRoleOf(m));
    return { id: id(m), deps: [t], config: cfg({ method: m, form: formOf(m), teacher: bestCheckpointOf(plan, t) }) };
  });
  plan.runs = [...teachers, ...students];
  return validatePlan(plan, "recipe plan (src/campaign/recipe-plan.ts)");
}
