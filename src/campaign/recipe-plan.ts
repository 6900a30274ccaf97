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
import { DEFAULT_CONFIG, type TrainConfig } from "../train/config.js";
import { DEPTH_COMMON } from "./depth-plan.js";
import { RECIPE_ROOT } from "./paths.js";
import { bestCheckpointOf, validatePlan, type Plan } from "./plan.js";

export const RECIPE_SCHEDULE = { epochs: 200, lrStep: 30, lrGamma: 0.1, lrMilestones: [] as number[], everyEpochs: 3 };

export function recipePlan(root = RECIPE_ROOT): Plan {
  const plan: Plan = { name: "recipe", root, runs: [] };
  const cfg = (o: Partial<TrainConfig>): TrainConfig => ({ ...DEFAULT_CONFIG, ...DEPTH_COMMON, ...RECIPE_SCHEDULE, teacher: "", net: "resnet8", ...o }) as TrainConfig;
  plan.runs = [
    { id: "resnet8/teacher", deps: [], config: cfg({ method: "teacher", form: "plain" }) },
    { id: "resnet8/teacher-shortenable", deps: [], config: cfg({ method: "teacher", form: "shortenable" }) },
    { id: "resnet8/remover", deps: ["resnet8/teacher"], config: cfg({ method: "remover", form: "plain", teacher: bestCheckpointOf(plan, "resnet8/teacher") }) },
    {
      id: "resnet8/shortener",
      deps: ["resnet8/teacher-shortenable"],
      config: cfg({ method: "shortener", form: "shortenable", teacher: bestCheckpointOf(plan, "resnet8/teacher-shortenable") }),
    },
  ];
  return validatePlan(plan, "recipe plan (src/campaign/recipe-plan.ts)");
}
