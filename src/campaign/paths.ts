/** Where the campaign keeps its runs and its process id: read by scripts that must not load the plan (and tfjs). */
export const DEPTH_ROOT = "data/runs/depth";
/** the authors' 200-epoch ResNet-8 recipe (src/campaign/recipe-plan.ts) */
export const RECIPE_ROOT = "data/runs/recipe";
/** tests of why the recipe's teachers stay below the authors' (src/campaign/recipe-gap-plan.ts) */
export const RECIPE_GAP_ROOT = "data/runs/recipe-gap";
/** the per-skip policies chosen by docs/policy-rule.md (src/campaign/policy-plan.ts) */
export const POLICY_ROOT = "data/runs/policy";
/** the built-in plans (`npm run campaign -- --plan NAME`; depth is the default): each one's root and what it trains */
export const BUILT_IN_PLAN_INFO = {
  depth: { root: DEPTH_ROOT, about: "the depth study, src/campaign/depth-plan.ts, then the QAT runs, src/campaign/qat-plan.ts" },
  recipe: { root: RECIPE_ROOT, about: "the authors' 200-epoch ResNet-8 recipe, src/campaign/recipe-plan.ts" },
  policy: { root: POLICY_ROOT, about: "the per-skip policies of docs/policy-rule.md, src/campaign/policy-plan.ts" },
  "recipe-gap": { root: RECIPE_GAP_ROOT, about: "tests of why the recipe's teachers stay below the authors', src/campaign/recipe-gap-plan.ts" },
} as const;
export type BuiltInPlan = keyof typeof BUILT_IN_PLAN_INFO;
export const BUILT_IN_PLANS = Object.keys(BUILT_IN_PLAN_INFO) as BuiltInPlan[];
/** every built-in plan's root: a campaign of any of them shares the cores */
export const PLAN_ROOTS: string[] = Object.values(BUILT_IN_PLAN_INFO).map((p) => p.root);
/** the running campaign's pid, in its plan's root */
export const CAMPAIGN_PID = "campaign.pid";
