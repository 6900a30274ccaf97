/**
 * The recipe-gap plan (issue 28): each test run differs from the depth study's ResNet-8 teacher in the one thing it
 * tests, and a run id that names a batch must train at it.
 */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { depthPlan } from "../src/campaign/depth-plan.js";
import { PlanError, runDir, validatePlan } from "../src/campaign/plan.js";
import { GAP_BATCH, recipeGapPlan } from "../src/campaign/recipe-gap-plan.js";

describe("the recipe-gap plan", () => {
  const plan = recipeGapPlan();
  const depth = depthPlan();
  const reference = depth.runs.find((r) => r.id === "resnet8/teacher")!.config;

  it("reads the depth study's teacher from its folder and trains a second seed and a larger batch beside it", () => {
    expect(plan.runs.map((r) => r.id)).toEqual(["resnet8/teacher", "resnet8/teacher-seed2", `resnet8/teacher-batch${GAP_BATCH}`]);
    expect(runDir(plan, "resnet8/teacher")).toBe(runDir(depth, "resnet8/teacher"));
    expect(runDir(plan, "resnet8/teacher-seed2")).toBe(path.join("data/runs/recipe-gap/resnet8/teacher-seed2"));
    const [, seed2, batch] = plan.runs;
    expect(seed2.config).toEqual({ ...reference, seed: 2 });
    expect(batch.config).toEqual({ ...reference, batchSize: GAP_BATCH });
    expect(reference.batchSize).toBe(32);
    expect(reference.seed).toBe(1);
  });

  it("refuses a run whose id names another batch than its config trains at", () => {
    const bad = { name: "x", root: "x", runs: [{ id: "resnet8/teacher-batch64", deps: [], config: { ...reference } }] };
    expect(() => validatePlan(bad, "test plan")).toThrow(PlanError);
    expect(() => validatePlan(bad, "test plan")).toThrow(/run "resnet8\/teacher-batch64": its id names batch 64, its config trains at batch 32/);
  });
});
