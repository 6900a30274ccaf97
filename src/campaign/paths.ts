/** Where the campaign keeps its runs and its process id: read by scripts that must not load the plan (and tfjs). */
export const DEPTH_ROOT = "data/runs/depth";
/** the authors' 200-epoch ResNet-8 recipe (src/campaign/recipe-plan.ts) */
export const RECIPE_ROOT = "data/runs/recipe";
/** tests of why the recipe's teachers stay below the authors' (src/campaign/recipe-gap-plan.ts) */
export const RECIPE_GAP_ROOT = "data/runs/recipe-gap";
/** the per-skip policies chosen by docs/policy-rule.md (src/campaign/policy-plan.ts) */
export const POLICY_ROOT = "data/runs/policy";
/** the names of the built-in plans (`npm run campaign -- --plan NAME`; depth is the default) */
export const BUILT_IN_PLANS = ["depth", "recipe", "policy", "recipe-gap"];
/** every built-in plan's root: a campaign of any of them shares the cores */
export const PLAN_ROOTS = [DEPTH_ROOT, RECIPE_ROOT, POLICY_ROOT, RECIPE_GAP_ROOT];
/** the running campaign's pid, in its plan's root */
export const CAMPAIGN_PID = "campaign.pid";
