/**
 * `npm run campaign -- --scheduler slurm`: the plan's runs as SLURM batch jobs (issue 28). The commands and their
 * parsing are in src/campaign/slurm.ts; this file runs sbatch, scontrol, sinfo, sacct and scancel.
 *
 * The job ids go to <plan root>/slurm-jobs.json (written atomically after every sbatch), so that a run whose job is
 * queued or running is not submitted again and --status / --stop find the plan's jobs. A failed submission cancels
 * the jobs it had submitted and removes them from the record: a plan is submitted whole or not at all.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { runDir, trainFlags, type Plan, type PlannedRun } from "../src/campaign/plan.js";
import {
  batchScript,
  isLive,
  JOBS_FILE,
  parseJobsFile,
  parseSacct,
  parseSbatchOutput,
  parseScontrolJobs,
  sbatchArgs,
  shellQuote,
  SlurmError,
  slurmStateText,
  submissionPlan,
  type JobInfo,
  type JobsFile,
  type SlurmOptions,
} from "../src/campaign/slurm.js";
import { campaignStatus, statusText } from "../src/campaign/status.js";
import { writeFileAtomic } from "../src/util/fs.js";
import { heapReuseEnv } from "./cli.js";

export interface SlurmContext {
  plan: Plan;
  runs: PlannedRun[];
  opts: SlurmOptions;
  /** --data, passed to every run */
  data?: string;
  /** node, its flags (tsx's loader) and scripts/train.ts: the start of every run's command */
  trainCommand: string[];
  say: (msg: string) => void;
  /** this plan's campaign command with more flags (`--plan` named unless it is the depth plan) */
  again: (more?: string) => string;
}

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
  error?: Error;
}

/** Run a SLURM client command; a missing binary is an error naming it and what provides it. */
function slurm(cmd: string, args: string[], input?: string): Result {
  const r = spawnSync(cmd, args, { encoding: "utf8", input, timeout: 120_000 });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") {
    throw new SlurmError(`${cmd}: not found on PATH; --scheduler slurm needs SLURM's client commands (sbatch, squeue, scontrol, scancel) on this machine`);
  }
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "", error: r.error };
}

const described = (r: Result) => (r.stderr.trim() || r.stdout.trim() || r.error?.message || `exit ${r.status}`).trim();

const jobsFileOf = (plan: Plan) => path.join(plan.root, JOBS_FILE);

function readJobs(plan: Plan): JobsFile {
  const f = jobsFileOf(plan);
  return parseJobsFile(fs.existsSync(f) ? fs.readFileSync(f, "utf8") : null, f, plan.name);
}

function writeJobs(plan: Plan, jobs: JobsFile): void {
  writeFileAtomic(jobsFileOf(plan), JSON.stringify(jobs, null, 2) + "\n");
}

/**
 * What SLURM knows of these jobs: slurmctld's memory (`scontrol show job`, finished jobs for MinJobAge), then the
 * accounting database for the rest when the cluster keeps one (sacct; "accounting storage is disabled" otherwise).
 */
export function jobStates(ids: string[]): Map<string, JobInfo> {
  if (!ids.length) return new Map();
  const r = slurm("scontrol", ["show", "job", "-o"]);
  if (r.status !== 0) throw new SlurmError(`scontrol show job failed: ${described(r)}`);
  const all = parseScontrolJobs(r.stdout);
  const out = new Map([...all].filter(([id]) => ids.includes(id)));
  const forgotten = ids.filter((id) => !out.has(id));
  if (forgotten.length) {
    try {
      const s = slurm("sacct", ["-n", "-P", "-X", "-o", "JobID,State,ExitCode", "-j", forgotten.join(",")]);
      if (s.status === 0) for (const [id, info] of parseSacct(s.stdout)) if (forgotten.includes(id)) out.set(id, info);
    } catch {
      // no sacct: those jobs are unknown, hence not live
    }
  }
  return out;
}

/** The plan root exists and takes files: every run's folder is created (sbatch's --output goes there). */
export function checkWritable(plan: Plan, runs: PlannedRun[]): void {
  const probe = path.join(plan.root, `.write-test.${process.pid}`);
  try {
    fs.mkdirSync(plan.root, { recursive: true });
    fs.writeFileSync(probe, "");
    fs.rmSync(probe);
    for (const r of runs) fs.mkdirSync(runDir(plan, r.id), { recursive: true });
  } catch (e) {
    throw new SlurmError(`plan folder ${path.resolve(plan.root)} is not writable (${(e as Error).message}); the runs and ${JOBS_FILE} are written there`);
  }
}

function checkPartition(partition: string | undefined): void {
  if (!partition) return;
  const r = slurm("scontrol", ["show", "partition", partition]);
  if (r.status === 0) return;
  const known = slurm("sinfo", ["-h", "-o", "%R"]);
  const list = known.status === 0 ? known.stdout.trim().split("\n").filter(Boolean).join(", ") : "";
  throw new SlurmError(`--partition ${partition}: ${described(r)}${list ? ` (partitions: ${list})` : ""}`);
}

/** The environment of every job's train.ts: its threads, and the heap settings that spare it a re-exec. */
function jobEnv(threads: number): Record<string, string> {
  const heap = heapReuseEnv({ NODE_OPTIONS: process.env.NODE_OPTIONS });
  const env: Record<string, string> = { OMP_NUM_THREADS: String(threads) };
  for (const k of ["MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "NODE_OPTIONS"]) if (heap[k]) env[k] = heap[k]!;
  return env;
}

function runCommand(ctx: SlurmContext, r: PlannedRun): string[] {
  return [...ctx.trainCommand, ...trainFlags(r.config), "--out", runDir(ctx.plan, r.id), "--resume-if-present", ...(ctx.data ? ["--data", ctx.data] : [])];
}

/** The live jobs of the plan's runs, by run id (from the record and SLURM). */
function liveJobs(plan: Plan, jobs: JobsFile): { states: Map<string, JobInfo>; live: Map<string, { jobId: string; state: string }> } {
  const states = jobStates(Object.values(jobs.jobs).map((j) => j.jobId));
  const live = new Map<string, { jobId: string; state: string }>();
  for (const [runId, rec] of Object.entries(jobs.jobs)) {
    const info = states.get(rec.jobId);
    if (info && isLive(info.state)) live.set(runId, { jobId: rec.jobId, state: info.state });
  }
  return { states, live };
}

/** Submit every run that is not done and has no live job; returns the ids of the jobs submitted. */
export function submit(ctx: SlurmContext, dryRun: boolean): string[] {
  const { plan, runs, opts, say } = ctx;
  if (!dryRun) checkWritable(plan, runs);
  checkPartition(opts.partition);
  const jobs = readJobs(plan);
  const { live } = liveJobs(plan, jobs);
  const st = campaignStatus(plan, plan.runs);
  const done = new Set(st.filter((s) => s.state === "done").map((s) => s.id));
  const invalid = new Map(st.filter((s) => s.state === "invalid").map((s) => [s.id, s.note ?? ""]));
  const todo = submissionPlan(runs, { done, invalid, live });
  for (const q of todo.queued) say(`${q.runId}: job ${q.jobId} is ${q.state} already: not submitted again`);
  for (const s of todo.skipped) say(`not submitting ${s.runId}: ${s.why}`);
  const jobOf = new Map([...live].map(([id, j]) => [id, j.jobId]));
  const submitted: { runId: string; jobId: string }[] = [];
  const cwd = process.cwd();
  try {
    for (const { run, depRuns } of todo.submit) {
      const dir = path.resolve(runDir(plan, run.id));
      const script = batchScript({ runId: run.id, dir, command: runCommand(ctx, run), env: jobEnv(opts.cpusPerRun) });
      const args = sbatchArgs({ runId: run.id, planName: plan.name, dir, cwd, depJobs: depRuns.map((d) => jobOf.get(d) ?? `<job of ${d}>`), opts });
      if (dryRun) {
        console.log(`would submit ${run.id}: sbatch ${args.map(shellQuote).join(" ")} <<'EOF'\n${script}EOF`);
        jobOf.set(run.id, `<job of ${run.id}>`);
        continue;
      }
      const r = slurm("sbatch", args, script);
      if (r.status !== 0) throw new SlurmError(`sbatch failed for ${run.id} (exit ${r.status}): ${described(r)}`);
      const jobId = parseSbatchOutput(r.stdout);
      submitted.push({ runId: run.id, jobId });
      jobOf.set(run.id, jobId);
      jobs.jobs[run.id] = { jobId, submitted: new Date().toISOString() };
      // recorded at once: a submitter killed now still leaves the record of every job it made
      writeJobs(plan, jobs);
      say(`submitted ${run.id}: job ${jobId}${depRuns.length ? ` (after ${depRuns.map((d) => `${d} = job ${jobOf.get(d)}`).join(", ")})` : ""}`);
    }
  } catch (e) {
    if (submitted.length) {
      const ids = submitted.map((s) => s.jobId);
      const c = slurm("scancel", ids);
      for (const s of submitted) delete jobs.jobs[s.runId];
      writeJobs(plan, jobs);
      say(`submission failed: cancelled the ${ids.length} job(s) it had submitted (${ids.join(", ")})${c.status === 0 ? "" : `; scancel: ${described(c)}`}`);
    }
    throw e;
  }
  if (!dryRun) say(`plan ${plan.name}: ${submitted.length} job(s) submitted, ${todo.queued.length} queued already, ${todo.done.length} run(s) done${todo.skipped.length ? `, ${todo.skipped.length} not submitted` : ""}; record ${jobsFileOf(plan)}`);
  return submitted.map((s) => s.jobId);
}

/** SLURM states where a run's job ended without a result that its folder explains. */
const FAILED_STATES = new Set(["FAILED", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE"]);

/** The status table with a SLURM column: each run's job state (queued, running, failed with its exit code). */
export function status(ctx: SlurmContext): string {
  const { plan, runs } = ctx;
  const jobs = readJobs(plan);
  const states = jobStates(Object.values(jobs.jobs).map((j) => j.jobId));
  const running = new Set<string>();
  const failed = new Map<string, string>();
  for (const r of runs) {
    const rec = jobs.jobs[r.id];
    const info = rec && states.get(rec.jobId);
    if (!info) continue;
    if (info.state === "RUNNING") running.add(r.id);
    if (FAILED_STATES.has(info.state)) failed.set(r.id, `SLURM job ${rec.jobId} ${info.state}, exit code ${info.exitCode ?? "?"}; see ${path.join(runDir(plan, r.id), "stdout.log")}`);
  }
  const st = campaignStatus(plan, runs, { running, failed });
  // a finished run's job may have failed after results.json (it never does; the folder decides then)
  const cells = new Map(runs.map((r) => [r.id, slurmStateText(jobs.jobs[r.id], jobs.jobs[r.id] && states.get(jobs.jobs[r.id].jobId))]));
  return statusText(st, { header: "SLURM", cells });
}

/** Cancel the plan's live jobs and wait until they have ended (a running one writes its checkpoint first). */
export async function stop(ctx: SlurmContext): Promise<void> {
  const { plan } = ctx;
  const jobs = readJobs(plan);
  const { live } = liveJobs(plan, jobs);
  if (!live.size) {
    console.log(`no job of plan ${plan.name} is queued or running (${jobsFileOf(plan)})`);
    return;
  }
  const ids = [...live.values()].map((j) => j.jobId);
  const r = slurm("scancel", ids);
  if (r.status !== 0) throw new SlurmError(`scancel ${ids.join(" ")} failed: ${described(r)}`);
  console.log(`cancelled ${[...live].map(([id, j]) => `${id} (job ${j.jobId}, ${j.state})`).join(", ")}; waiting for running runs to write their checkpoints...`);
  const t0 = Date.now();
  for (let delay = 250; ; delay = Math.min(5000, delay * 1.5)) {
    const left = [...jobStates(ids).values()].filter((j) => isLive(j.state));
    if (!left.length) break;
    await new Promise((res) => setTimeout(res, delay));
  }
  console.log(`stopped after ${((Date.now() - t0) / 1000).toFixed(1)} s; submit again with ${ctx.again(" --scheduler slurm")}`);
}

/** The local runner refuses a plan whose runs are queued on SLURM: both would write the same run folders. */
export function liveSlurmJobs(plan: Plan): string[] {
  if (!fs.existsSync(jobsFileOf(plan))) return [];
  const jobs = readJobs(plan);
  try {
    return [...liveJobs(plan, jobs).live].map(([id, j]) => `${id} (job ${j.jobId}, ${j.state})`);
  } catch (e) {
    if (e instanceof SlurmError && /not found on PATH/.test(e.message)) return []; // no SLURM here: its jobs cannot run here either
    throw e;
  }
}
