/**
 * Tests of why the recipe's teachers stay below the authors' released ones (issue 28; ARTIFACT.md, "the authors' full
 * 200-epoch ResNet-8 recipe"). Reading the authors' code found the same network and recipe but two differences: the
 * data (a JPEG copy here) and, possibly, the batch: their teacher scripts run Lightning DDP on every GPU of the machine
 * with 32 images per GPU at lr 0.1, so with N GPUs each step averaged 32N images. This plan tests the batch on the
 * depth study's 40-epoch ResNet-8 teacher (hours, not the recipe's days): the same run at batch 128 (N = 4; batch norm
 * over the 128, where DDP's would be over each GPU's 32), and a second seed at batch 32 to measure what a seed alone
 * moves. The first seed at batch 32 is the depth study's own run (its folder under data/runs/depth: read, never
 * retrained while it verifies).
 */
import { formatRunId } from "../experiment/index.js";
import { depthPlan } from "./depth-plan.js";
import { RECIPE_GAP_ROOT } from "./paths.js";
import { runDir, validatePlan, type Plan } from "./plan.js";

/**
 * The authors' batch per GPU: `--batch_size 32` in their teacher script (oliviaweng/tailor
 * scripts/resnet_cifar10_teacher_local.sh), which trainer_main.py runs with Lightning's DDPStrategy on `--num_gpu`
 * GPUs, default -1: all of the machine's.
 */
export const AUTHORS_BATCH_PER_GPU = 32;
/** the batch the test trains at: DDP's effective batch on four GPUs (the GPU count is not stated anywhere) */
export const GAP_BATCH = 4 * AUTHORS_BATCH_PER_GPU;

export function recipeGapPlan(root = RECIPE_GAP_ROOT): Plan {
  const depth = depthPlan();
  const base = formatRunId({ net: "resnet8", role: "teacher" });
  const reference = depth.runs.find((r) => r.id === base)!;
  const plan: Plan = {
    name: "recipe-gap",
    root,
    runs: [
      { ...reference, dir: runDir(depth, base) },
      { id: formatRunId({ net: "resnet8", role: "teacher", seed: 2 }), deps: [], config: { ...reference.config, seed: 2 } },
      { id: formatRunId({ net: "resnet8", role: "teacher", batch: GAP_BATCH }), deps: [], config: { ...reference.config, batchSize: GAP_BATCH } },
    ],
  };
  return validatePlan(plan, "recipe-gap plan (src/campaign/recipe-gap-plan.ts)");
}
