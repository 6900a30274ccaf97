/**
 * A training campaign: runs with their full configs, output folders and dependencies (a student needs its
 * teacher's best checkpoint). Plain data, so a plan can be a TypeScript builder (depth-plan.ts) or a JSON file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError, DEFAULT_CONFIG, validateConfig, type TrainConfig } from "../train/config.js";
import { BEST } from "../train/run-folder.js";
import { parseRunId } from "../experiment/index.js";

export interface PlannedRun {
  /** "<net>/<run>", unique in the plan; also the folder under the plan's root */
  id: string;
  /** ids of the runs whose best checkpoints this one reads */
  deps: string[];
  /** every field explicit: what the run's config.json and checkpoints will record */
  config: TrainConfig;
  /**
   * the run's folder when it is another plan's run that this one reads (the depth study's teachers, for the policy
   * plan); absent: the plan's own folder for the id (runDir)
   */
  dir?: string;
}

export interface Plan {
  name: string;
  /** folder of the runs, relative to the working directory (so recorded teacher paths stay valid in a clone) */
  root: string;
  /**
   * "by-net" (default): a run's folder is <root>/<net>/<run>, its id; "flat": <root>/<run>, for a plan of one network
   * (the ResNet-8 runs of data/runs/resnet8-short were written so)
   */
  folders?: "by-net" | "flat";
  runs: PlannedRun[];
}

export class PlanError extends Error {}

export const runDir = (plan: Plan, id: string) =>
  plan.runs.find((r) => r.id === id)?.dir ?? path.join(plan.root, ...(plan.folders === "flat" ? id.split("/").slice(1) : id.split("/")));
/**
 * The folders a plan writes: its root, and the root of any run it keeps elsewhere (a run of another plan it trains,
 * in that plan's folder: its dir less the id's segments). What a campaign's progress commit adds.
 */
export function planFolders(plan: Plan): string[] {
  const rootOf = (r: { id: string; dir: string }) => {
    const tail = path.join(...r.id.split("/"));
    return r.dir.endsWith(path.sep + tail) ? r.dir.slice(0, -tail.length - 1) : r.dir;
  };
  return [...new Set([plan.root, ...plan.runs.filter((r): r is PlannedRun & { dir: string } => r.dir !== undefined).map(rootOf)])];
}
/** The names among `roots` (plan name -> root) of the other plans whose folders `plan` keeps runs in. */
export function plansSharedWith(plan: Plan, roots: Record<string, string>): string[] {
  const foreign = new Set(planFolders(plan).map((f) => path.resolve(f)).filter((f) => f !== path.resolve(plan.root)));
  return Object.entries(roots).filter(([name, root]) => name !== plan.name && foreign.has(path.resolve(root))).map(([name]) => name);
}
export const bestCheckpointOf = (plan: Plan, id: string) => path.join(runDir(plan, id), BEST);

/** Check ids, dependencies (known, acyclic, teacher paths pointing at them) and every config. */
export function validatePlan(plan: Plan, source: string): Plan {
  if (!plan || typeof plan.root !== "string" || !plan.root || !Array.isArray(plan.runs)) throw new PlanError(`${source}: expected { name, root, runs: [...] }`);
  const ids = new Set<string>();
  for (const r of plan.runs) {
    if (typeof r.id !== "string" || !/^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/.test(r.id)) throw new PlanError(`${source}: run id ${JSON.stringify(r.id)}: expected lower-case path segments like "resnet8/teacher"`);
    if (ids.has(r.id)) throw new PlanError(`${source}: run "${r.id}" listed twice`);
    ids.add(r.id);
  }
  if (plan.folders !== undefined && plan.folders !== "by-net" && plan.folders !== "flat") throw new PlanError(`${source}: folders: expected "by-net" or "flat", got ${JSON.stringify(plan.folders)}`);
  if (plan.folders === "flat") {
    const nets = new Set(plan.runs.map((r) => r.id.split("/")[0]));
    if (nets.size > 1 || plan.runs.some((r) => r.id.split("/").length !== 2)) throw new PlanError(`${source}: folders "flat" needs ids "<net>/<run>" of one network, got ${plan.runs.map((r) => r.id).join(", ")}`);
  }
  for (const r of plan.runs) {
    if (r.dir !== undefined && (typeof r.dir !== "string" || !r.dir || path.isAbsolute(r.dir))) throw new PlanError(`${source}: run "${r.id}": dir: expected a folder relative to the working directory, got ${JSON.stringify(r.dir)}`);
    for (const d of r.deps) if (!ids.has(d)) throw new PlanError(`${source}: run "${r.id}" depends on "${d}", which is not in the plan`);
    try {
      validateConfig(r.config);
    } catch (e) {
      throw new PlanError(`${source}: run "${r.id}": ${(e as ConfigError).message}`);
    }
    const named = parseRunId(r.id)?.batch;
    if (named !== undefined && named !== r.config.batchSize) throw new PlanError(`${source}: run "${r.id}": its id names batch ${named}, its config trains at batch ${r.config.batchSize}`);
    if (r.config.teacher && !r.deps.some((d) => path.normalize(bestCheckpointOf(plan, d)) === path.normalize(r.config.teacher))) {
      throw new PlanError(`${source}: run "${r.id}": teacher ${r.config.teacher} is not the best checkpoint of one of its deps (${r.deps.join(", ") || "none"})`);
    }
  }
  // no cycles: repeatedly take runs whose deps are all taken
  const taken = new Set<string>();
  let progress = true;
  while (progress) {
    progress = false;
    for (const r of plan.runs) if (!taken.has(r.id) && r.deps.every((d) => taken.has(d))) taken.add(r.id), (progress = true);
  }
  const cyclic = plan.runs.filter((r) => !taken.has(r.id)).map((r) => r.id);
  if (cyclic.length) throw new PlanError(`${source}: dependency cycle among ${cyclic.join(", ")}`);
  return plan;
}

/**
 * A plan from a JSON file: { name, root, runs: [{ id, teacherRun?, deps?, config: { ...fields that differ from
 * DEFAULT_CONFIG } }] }. `teacherRun` sets config.teacher to that run's best checkpoint and adds it to deps.
 */
export function planFromJson(text: string, source: string): Plan {
  let raw: { name?: string; root?: string; folders?: Plan["folders"]; runs?: { id: string; teacherRun?: string; deps?: string[]; config?: Partial<TrainConfig> }[] };
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new PlanError(`${source}: not valid JSON (${(e as Error).message})`);
  }
  if (!raw || typeof raw.root !== "string" || !Array.isArray(raw.runs)) throw new PlanError(`${source}: expected { name, root, runs: [...] }`);
  const base: Plan = { name: raw.name ?? path.basename(source), root: raw.root, ...(raw.folders ? { folders: raw.folders } : {}), runs: [] };
  for (const [i, r] of raw.runs.entries()) {
    // a malformed file is an error naming the run, never a TypeError (issue 32)
    if (!r || typeof r !== "object" || Array.isArray(r)) throw new PlanError(`${source}: runs[${i}]: expected an object { id, config, teacherRun?, deps? }, got ${JSON.stringify(r)}`);
    if (r.config !== undefined && (!r.config || typeof r.config !== "object" || Array.isArray(r.config))) throw new PlanError(`${source}: run "${r.id}": config: expected an object of TrainConfig fields, got ${JSON.stringify(r.config)}`);
    if (r.deps !== undefined && !(Array.isArray(r.deps) && r.deps.every((d) => typeof d === "string"))) throw new PlanError(`${source}: run "${r.id}": deps: expected an array of run ids, got ${JSON.stringify(r.deps)}`);
    if (r.teacherRun !== undefined && typeof r.teacherRun !== "string") throw new PlanError(`${source}: run "${r.id}": teacherRun: expected a run id, got ${JSON.stringify(r.teacherRun)}`);
    for (const k of Object.keys(r.config ?? {})) if (!(k in DEFAULT_CONFIG)) throw new PlanError(`${source}: run "${r.id}": unknown config field "${k}"`);
    const deps = [...(r.deps ?? []), ...(r.teacherRun && !(r.deps ?? []).includes(r.teacherRun) ? [r.teacherRun] : [])];
    const config = { ...DEFAULT_CONFIG, ...r.config } as TrainConfig;
    if (r.teacherRun) config.teacher = bestCheckpointOf(base, r.teacherRun);
    base.runs.push({ id: r.id, deps, config });
  }
  return validatePlan(base, source);
}

export function loadPlanFile(file: string): Plan {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new PlanError(`${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "plan file not found" : (e as Error).message}`);
  }
  return planFromJson(text, file);
}

/** The runs selected by --only: run ids ("resnet8/teacher") or prefixes ("resnet8"), comma-separated. */
export function selectRuns(plan: Plan, only: string | undefined): PlannedRun[] {
  if (!only) return plan.runs;
  const keys = only.split(",").map((s) => s.trim()).filter(Boolean);
  for (const k of keys) {
    if (!plan.runs.some((r) => r.id === k || r.id.startsWith(`${k}/`))) throw new PlanError(`--only: "${k}" matches no run of plan ${plan.name} (runs: ${plan.runs.map((r) => r.id).join(", ")})`);
  }
  return plan.runs.filter((r) => keys.some((k) => r.id === k || r.id.startsWith(`${k}/`)));
}

/** The command-line flags of scripts/train.ts that give exactly this config (every field, none left to defaults). */
export function trainFlags(c: TrainConfig): string[] {
  const kebab = (k: string) => k.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`);
  return (Object.keys(DEFAULT_CONFIG) as (keyof TrainConfig)[]).flatMap((k) => {
    const v = c[k];
    return [`--${kebab(k)}`, Array.isArray(v) ? v.join(",") : String(v)];
  });
}
