/**
 * The per-skip policy front (issue 27, item 3): the mixed policies that docs/policy-rule.md chose
 * (data/policy-choice.json, committed before any of them trained), each trained on the depth study's student schedule
 * from the depth study's teacher of its block form, so that it differs from the depth study's SkipRemover and
 * SkipShortener in its skips alone. The teachers are the depth study's own runs (their folders under
 * data/runs/depth: read, never retrained while they verify); the policies train under data/runs/policy.
 * The pure policies' runs are the depth study's too, every seed (src/campaign/depth-plan.ts: SECOND_SEED_NETS), in its
 * folders; this plan trains any of them not finished.
 * Order: ResNet-20's first (about an hour each on a core), then the second seeds, then ResNet-56's (hours each).
 */
import * as fs from "node:fs";
import { formatRunId, policyTeacherRole, TAILOR_METHODS, type NetName } from "../experiment/index.js";
import { policyForm, skipCount } from "../net/index.js";
import { buildNet } from "../train/tailor.js";
import { depthPlan, studentSchedule } from "./depth-plan.js";
import { POLICY_ROOT } from "./paths.js";
import { bestCheckpointOf, PlanError, runDir, validatePlan, type Plan, type PlannedRun } from "./plan.js";

export const POLICY_CHOICE_FILE = "data/policy-choice.json";

/** What the plan reads of data/policy-choice.json (scripts/choose-policies.ts writes it). */
export interface PolicyChoiceFile {
  networks: { net: NetName; chosen: string[] }[];
}

export function loadPolicyChoice(file = POLICY_CHOICE_FILE): PolicyChoiceFile {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new PlanError(`${file}: ${(e as Error).message} (written by npm run policy:choose)`);
  }
  const nets = (raw as PolicyChoiceFile)?.networks;
  if (!Array.isArray(nets) || nets.some((n) => typeof n?.net !== "string" || !Array.isArray(n.chosen) || n.chosen.some((p) => typeof p !== "string"))) {
    throw new PlanError(`${file}: networks: expected [{ net, chosen: [policy strings] }]`);
  }
  return raw as PolicyChoiceFile;
}

/**
 * Second seeds, chosen after the first results (issue 27: "a second seed for any policy whose result decides the
 * conclusion"); each trains from the same teacher on the same split as its first seed, after the first seeds of
 * ResNet-20 and before ResNet-56's runs. A decision made after seeing results, so it lives here and not in
 * data/policy-choice.json, whose policies were committed before any trained.
 */
export const SECOND_SEEDS: { net: NetName; policy: string }[] = [
  // 2026-12-07: its seed 1, the only mixed policy trained then, beat SkipShortener by 0.59 pp against 0.30 pp of seed noise
  { net: "resnet20", policy: "SSSLSSLSS" },
  // 2026-12-07, docs/policy-rule.md's rule made mechanical: its one seed, 85.85% at SkipRemover's 166 BRAM18, is 0.02 pp
  // above SkipRemover's mean; 0.30 pp higher it would beat both (figures/policy-study.md, "Not settled")
  { net: "resnet20", policy: "SSSRSSRSS" },
];

export function policyPlan(choice: PolicyChoiceFile = loadPolicyChoice(), root = POLICY_ROOT, secondSeeds = SECOND_SEEDS): Plan {
  const depth = depthPlan();
  const plan: Plan = { name: "policy", root, runs: [] };
  const students: PlannedRun[] = [];
  for (const { net, chosen } of choice.networks) {
    const skips = skipCount(buildNet({ net, form: "plain" }));
    for (const policy of chosen) {
      const t = formatRunId({ net, role: policyTeacherRole(policy) });
      const teacher = depth.runs.find((r) => r.id === t);
      if (!teacher) throw new PlanError(`policy plan: ${t}, the teacher of ${net} policy ${policy}, is not a run of the depth study`);
      if (!plan.runs.some((r) => r.id === t)) plan.runs.push({ ...teacher, dir: runDir(depth, t) });
      const config = { ...depth.runs.find((r) => r.id === formatRunId({ net, role: "remover" }))!.config, method: "policy" as const, policy, form: policyForm(policy), teacher: bestCheckpointOf(plan, t), ...studentSchedule(skips) };
      students.push({ id: formatRunId({ net, role: "policy", policy }), deps: [t], config });
    }
    for (const s of secondSeeds.filter((x) => x.net === net)) {
      const first = students.find((r) => r.id === formatRunId({ net, role: "policy", policy: s.policy }));
      if (!first) throw new PlanError(`policy plan: a second seed of ${net} policy ${s.policy}, which ${POLICY_CHOICE_FILE} does not choose`);
      students.push({ id: formatRunId({ net, role: "policy", policy: s.policy, seed: 2 }), deps: first.deps, config: { ...first.config, seed: 2 } });
    }
    // the pure policies a mixed one is compared with (the paper's two methods: all removed, all shortened) are the depth
    // study's SkipRemover and SkipShortener, every seed:
    // in this plan (in their own folders, like the teachers) so that this campaign trains any the depth study has not
    for (const pure of depth.runs.filter((r) => r.config.net === net && (TAILOR_METHODS as string[]).includes(r.config.method))) {
      for (const t of pure.deps) if (!plan.runs.some((r) => r.id === t)) plan.runs.push({ ...depth.runs.find((r) => r.id === t)!, dir: runDir(depth, t) });
      students.push({ ...pure, dir: runDir(depth, pure.id) });
    }
  }
  plan.runs.push(...students);
  return validatePlan(plan, `policy plan (src/campaign/policy-plan.ts, ${POLICY_CHOICE_FILE})`);
}
