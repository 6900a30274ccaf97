/**
 * A resumable training campaign (default: the depth study, src/campaign/depth-plan.ts). Starts every run whose
 * dependencies are done, up to --lanes at once, each a scripts/train.ts process on cores/lanes threads (two
 * one-thread processes train more images per second on two cores than one two-thread process); when fewer runs than
 * lanes can train (the tail of a plan, a student waiting for its teacher), those that do share all the cores, and a
 * run already training on fewer threads is stopped after its step and resumed on more; resumes every unfinished run
 * from its last checkpoint; prints one status table and writes <root>/status.md; logs to <root>/campaign.log; runs
 * at low priority (nice 10).
 *
 * SIGTERM / SIGINT (or `--stop`): every child stops after its current optimisation step and writes a checkpoint of
 * that step (last.ckpt), then the runner exits; `npm run campaign` again continues bit-identically. A finished
 * run's last.ckpt is deleted (best.ckpt and results.json stay), so only runs in progress carry optimiser state.
 *
 *   npm run campaign                      start or continue
 *   npm run campaign -- --status          the table, nothing started
 *   npm run campaign -- --stop            stop a running campaign (waits for its checkpoints)
 *
 * --scheduler slurm hands the plan to SLURM instead (scripts/campaign-slurm.ts): one sbatch job a run, a student's
 * job after its teacher's (afterok), job ids in <root>/slurm-jobs.json; --status adds each job's state, --stop
 * cancels them. Nothing trains in this process then.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { campaignPlan } from "../src/campaign/qat-plan.js";
import { recipePlan } from "../src/campaign/recipe-plan.js";
import { recipeGapPlan } from "../src/campaign/recipe-gap-plan.js";
import { policyPlan } from "../src/campaign/policy-plan.js";
import { BUILT_IN_PLAN_INFO, CAMPAIGN_PID, type BuiltInPlan } from "../src/campaign/paths.js";
import { loadPlanFile, planFolders, plansSharedWith, runDir, selectRuns, trainFlags, type Plan, type PlannedRun } from "../src/campaign/plan.js";
import { campaignCommand, campaignStatus, readFinished, statusMarkdown, statusText, type RunStatus } from "../src/campaign/status.js";
import { scheduleSeconds, timeLeft, timeLeftText } from "../src/campaign/time-left.js";
import { runnerStart, runnerStartLine } from "../src/campaign/runner-log.js";
import { defaultDataDir, loadCifar10 } from "../src/data/cifar10.js";
import { LAST } from "../src/train/run-folder.js";
import { livePid, processAlive } from "../src/util/process.js";
import { lockHolder } from "../src/util/run-lock.js";
import { acquirePidLock } from "../src/util/pid-lock.js";
import { writeFileAtomic } from "../src/util/fs.js";
import { checkTime, JOBS_FILE, shellQuote, SlurmError, timeSeconds } from "../src/campaign/slurm.js";
import * as slurm from "./campaign-slurm.js";
import type { SlurmContext } from "./campaign-slurm.js";
import { ensureCifarCache } from "./cifar-cache.js";
import { campaignPidFiles, heapReuseEnv, liveCampaign, num, parseCli } from "./cli.js";

const EXIT_STOPPED = 75; // scripts/train.ts: stopped on request, checkpoint written
/** the exit code start() gives a child killed by SIGTERM's default action (before train.ts listens for it) */
const KILLED_BY_SIGTERM = 128 + os.constants.signals.SIGTERM;

const args = parseCli("Usage: npm run campaign -- [options]", {
  plan: { type: "string", help: `${Object.entries(BUILT_IN_PLAN_INFO).map(([name, p]) => `${name} (${p.about})`).join(", ")}, or a plan .json file`, default: "depth" },
  lanes: { type: "string", help: "training processes at once (each on cores/lanes threads, or more when fewer runs can train; default 2; --status: the live runner's)" },
  threads: { type: "string", help: "training threads of every run, fixed (default: the cores shared among the runs training, all of them for a run alone); a fixed count keeps a run's arithmetic the same whatever else trains, e.g. to compare with a SLURM run of --cpus-per-run 1" },
  only: { type: "string", help: "comma-separated run ids or nets (resnet8/teacher, resnet20); their deps must be done or included" },
  data: { type: "string", help: "CIFAR-10 binary directory passed to every run (default: data/cifar10, built from ../shared/data when absent)" },
  nice: { type: "string", help: "process priority (nice value) of the runner and its runs", default: "10" },
  refresh: { type: "string", help: "seconds between status refreshes (table in the log, status.md)", default: "60" },
  status: { type: "boolean", help: "print the status table and exit" },
  "dry-run": { type: "boolean", help: "print the status table and the train.ts commands that would start now, and exit" },
  stop: { type: "boolean", help: "stop the running campaign of this plan (SIGTERM) and wait until it has stopped; with --scheduler slurm: cancel the plan's jobs (scancel)" },
  scheduler: { type: "string", help: "local (this machine, --lanes at once) or slurm (one sbatch job a run; README, Running a campaign on a cluster)", default: "local" },
  partition: { type: "string", help: "slurm: the partition of every job (default: the cluster's default partition)" },
  time: { type: "string", help: "slurm: each job's time limit, [D-]HH:MM:SS; a run stops before it and queues itself again" },
  "cpus-per-run": { type: "string", help: "slurm: CPUs (and training threads) of each job", default: "1" },
  "sbatch-arg": { type: "string", multiple: true, help: "slurm: one more sbatch option for every job, e.g. --sbatch-arg=--account=abc (repeatable)" },
});

const SCHEDULERS = ["local", "slurm"];
if (!SCHEDULERS.includes(args.scheduler)) {
  console.error(`error: --scheduler: expected ${SCHEDULERS.join(" or ")}, got "${args.scheduler}"`);
  process.exit(2);
}
// an empty --partition read as "the cluster's default partition": a typo would submit every job there
if (args.partition !== undefined && args.partition.trim() === "") {
  console.error('error: --partition: expected a partition name (or leave the flag out for the cluster\'s default), got ""');
  process.exit(2);
}
const BUILT_IN: Record<BuiltInPlan, () => Plan> = { depth: campaignPlan, recipe: recipePlan, policy: () => policyPlan(), "recipe-gap": () => recipeGapPlan() };
/** a bad plan file or --only is one line naming it, not a stack trace (issue 32) */
function orExit<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return process.exit(2);
  }
}
const plan: Plan = orExit(() => (Object.hasOwn(BUILT_IN, args.plan) ? BUILT_IN[args.plan as BuiltInPlan]() : loadPlanFile(args.plan)));
/** the command of this plan with `more` flags (a bare `npm run campaign` is the depth plan: every other plan names itself) */
const again = (more = "") => campaignCommand(plan, more, Object.hasOwn(BUILT_IN, args.plan) ? undefined : shellQuote(args.plan));
const runs = orExit(() => selectRuns(plan, args.only));
const lanes = num("lanes", args.lanes ?? "2", { int: true, min: 1 });
if (args.threads !== undefined && args.scheduler === "slurm") {
  console.error("error: --threads: the local runner's; with --scheduler slurm each job's threads are its --cpus-per-run");
  process.exit(2);
}
const fixedThreads = args.threads === undefined ? undefined : num("threads", args.threads, { int: true, min: 1 });
// Linux nice values run from -20 to 19 (setpriority(2)); checked before anything starts, not when it is applied
const niceFlag = num("nice", args.nice, { int: true, min: -20, max: 19 });
const refresh = num("refresh", args.refresh, { min: 1 });
const pidFile = path.join(plan.root, CAMPAIGN_PID);
const logFile = path.join(plan.root, "campaign.log");
const statusFile = path.join(plan.root, "status.md");
const machine = `${os.cpus()[0]?.model ?? "?"}, ${os.cpus().length} cores`;

const campaignPid = (): number | null => livePid(pidFile);

/** Is this live PID a campaign runner, not an unrelated process that reuses the PID of a runner that is gone? */
function isCampaign(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("campaign.ts");
  } catch {
    return true; // no /proc: a live PID counts as the runner (an error, never a second runner)
  }
}

/**
 * One runner per plan, decided before any work (issue 32): the pid file is created with O_EXCL (src/util/pid-lock.ts).
 * Checking it and writing it after the data load let two runners started 0.5 s apart both run, the second
 * restarting from scratch the runs the first finished. The detached copy of ownSession takes over its parent's lock.
 */
function lockPlan() {
  fs.mkdirSync(plan.root, { recursive: true });
  const parent = Number(process.env.TAILOR_CAMPAIGN_LOCK_PARENT || 0);
  return acquirePidLock(pidFile, {
    isHolder: isCampaign,
    inheritFrom: parent > 0 ? parent : undefined,
    heldBy: (pid) => `${path.resolve(pidFile)}: a campaign of this plan is already running (pid ${pid}); stop it with ${again(" --stop")}`,
  });
}

/** The live SLURM jobs recorded for this plan (none when SLURM's commands are absent); an unreachable controller is an error. */
function slurmJobsOfPlan(): string[] {
  try {
    return slurm.liveSlurmJobs(plan);
  } catch (e) {
    throw new Error(`${path.join(plan.root, JOBS_FILE)} records SLURM jobs of this plan, and their state is unknown (${(e as Error).message}); remove the file if those jobs are gone`);
  }
}

function say(msg: string): void {
  const line = `[${new Date().toISOString()}] ${msg}`;
  console.log(line);
  fs.mkdirSync(plan.root, { recursive: true });
  fs.appendFileSync(logFile, line + "\n");
}

const running = new Map<string, ChildProcess>();
/** the threads each running run was started on, and the runs stopped to be resumed on another count */
const threadsOf = new Map<string, number>();
const restarting = new Set<string>();
const failed = new Map<string, string>();
const live = () => ({ running: new Set(running.keys()), failed });

/** when this process began running the plan (seconds): its runs' epochs since then are the machine's speed now */
let runnerSince: number | undefined;

/** The estimate of what is left, from every run's log.jsonl (src/campaign/time-left.ts). */
function leftText(st: RunStatus[], onLanes = lanes, of: Plan = plan, ofRuns: PlannedRun[] = runs, since = runnerSince): string {
  const logs = new Map<string, string>();
  for (const r of ofRuns) {
    const f = path.join(runDir(of, r.id), "log.jsonl");
    if (fs.existsSync(f)) logs.set(r.id, fs.readFileSync(f, "utf8"));
  }
  const t = timeLeft(ofRuns, st, logs, since);
  return timeLeftText(t, onLanes, scheduleSeconds(ofRuns, st, t.runSeconds, onLanes));
}

/**
 * The built-in plans whose folders this plan trains runs in (the policy plan trains the depth study's second seeds).
 * Their status.md is rewritten here too while no runner of their own is live: else it stays at what their own runner
 * last saw (the depth study's said 35 of 35 done while two of its runs trained).
 */
let shared: Plan[] | undefined;
const sharedPlans = (): Plan[] =>
  (shared ??= plansSharedWith(plan, Object.fromEntries(Object.entries(BUILT_IN_PLAN_INFO).map(([n, p]) => [n, p.root]))).map((n) => BUILT_IN[n as BuiltInPlan]()));

function writeSharedStatus(when: string): void {
  for (const p of sharedPlans()) {
    if (livePid(path.join(p.root, CAMPAIGN_PID)) !== null) continue; // its own runner writes it
    const ids = new Set(p.runs.map((r) => r.id));
    const mine = plan.runs.filter((r) => ids.has(r.id)).length;
    const st = campaignStatus(p, p.runs, { running: new Set([...running.keys()].filter((id) => ids.has(id))), failed: new Map([...failed].filter(([id]) => ids.has(id))) });
    const by = `the ${plan.name} plan's runner (\`${again()}\`), which shares ${mine} of these runs`;
    writeFileAtomic(path.join(p.root, "status.md"), statusMarkdown(p, st, when, machine, leftText(st, lanes, p, p.runs), by));
  }
}

/** Rewrites status.md; returns a signature of epochs and states (the log gets the table only when that changes). */
function writeStatus(print: boolean): string {
  const st = campaignStatus(plan, runs, live());
  const left = leftText(st);
  const when = new Date().toISOString();
  writeFileAtomic(statusFile, statusMarkdown(plan, st, when, machine, left));
  writeSharedStatus(when);
  if (print) say(`status:\n${statusText(st)}\n${left}`);
  return st.map((s) => `${s.id} ${s.epochs} ${s.state}`).join("\n");
}

function trainCommand(r: PlannedRun): string[] {
  return [path.join(__dirname, "train.ts"), ...trainFlags(r.config), "--out", runDir(plan, r.id), "--resume-if-present", ...(args.data ? ["--data", args.data] : [])];
}

/**
 * Threads of each run when `n` runs train at once: the cores shared among them, so that a run training alone (the
 * last of a plan) does not leave a lane's cores idle (ResNet-56, batch 32: 210 images/s on 2 threads against 122 on
 * 1, figures/bench-train.json); or 1 when another plan's campaign already trains on this machine. OpenMP's threads
 * wait for each other by spinning, and a run of two threads on cores another campaign also uses spends its time
 * waiting: measured 9-19 images/s for a ResNet-20 student on two threads beside the recipe's two lanes, against about
 * 300 expected from a third of the machine (2026-12-07).
 */
let warnedOther = false;
function threadsFor(n: number): number {
  if (fixedThreads !== undefined) return fixedThreads;
  const own = Math.max(1, Math.floor(os.cpus().length / Math.max(1, n)));
  if (own === 1 || args.scheduler === "slurm") return own;
  const other = liveCampaign(campaignPidFiles(), (f) => f === path.resolve(pidFile));
  if (!other) return own;
  if (!warnedOther) console.error(`[campaign] another campaign is running (pid ${other.pid}, ${other.pidFile}): each run on 1 thread beside it, not ${own} (stop it, or start this one after it, for ${own})`);
  warnedOther = true;
  return 1;
}

/**
 * Every run reads the same CIFAR-10 cache: check it once before any run starts (a missing cache would otherwise fail
 * every run, one after another). On a fresh clone the default cache is built first, so that `npm ci` and
 * `npm run campaign` are all a fresh clone needs.
 */
function ensureData(): void {
  const dir = args.data ?? defaultDataDir();
  if (!args.data) ensureCifarCache(dir, say);
  loadCifar10(dir); // throws naming the missing or malformed file
}

/** A child of an earlier runner that was killed stops by itself after its current step: wait for it. */
async function waitForOrphan(dir: string): Promise<void> {
  const f = path.join(dir, "campaign-child.pid");
  if (!fs.existsSync(f)) return;
  const pid = Number(fs.readFileSync(f, "utf8").trim());
  const isTrain = () => {
    try {
      return processAlive(pid) && fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("train.ts");
    } catch {
      return false;
    }
  };
  if (!(pid > 0) || !isTrain()) return;
  say(`${dir}: pid ${pid} of an earlier campaign is still training there; waiting for it to stop`);
  while (isTrain()) await new Promise((res) => setTimeout(res, 250));
}

async function start(r: PlannedRun, threads: number): Promise<number | null> {
  const dir = runDir(plan, r.id);
  fs.mkdirSync(dir, { recursive: true });
  await waitForOrphan(dir);
  if (stopping) return EXIT_STOPPED;
  // temporary files of a write cut short by a kill -9 (the rename never happened)
  for (const f of fs.readdirSync(dir)) if (/\.ckpt(\.json)?\.\d+\.tmp$/.test(f)) fs.rmSync(path.join(dir, f), { force: true });
  const out = fs.openSync(path.join(dir, "stdout.log"), "a");
  const child = spawn(process.execPath, [...process.execArgv, ...trainCommand(r)], {
    stdio: ["ignore", out, out],
    env: { ...heapReuseEnv(), OMP_NUM_THREADS: String(threads), TAILOR_STOP_WITH_PARENT: String(process.pid) },
  });
  fs.closeSync(out);
  fs.writeFileSync(path.join(dir, "campaign-child.pid"), `${child.pid}\n`);
  running.set(r.id, child);
  threadsOf.set(r.id, threads);
  if (stopping) child.kill("SIGTERM");
  say(`start ${r.id} (pid ${child.pid}, ${threads} thread${threads > 1 ? "s" : ""}): log ${path.join(dir, "stdout.log")}`);
  return new Promise((resolve) => child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1))));
}

let stopping = false;
function requestStop(sig: string): void {
  if (stopping) {
    say(`${sig} again: still waiting for ${[...running.keys()].join(", ")} to write their checkpoints`);
    return;
  }
  stopping = true;
  say(`${sig}: stopping; each run stops after its current step and writes its checkpoint`);
  // a run already stopping for a restart is left alone: a second SIGTERM makes train.ts exit at once, without the
  // checkpoint of its step (the work since its last epoch lost, and the run counted as failed)
  for (const [id, c] of running) if (!restarting.has(id)) c?.kill("SIGTERM");
}

async function stopOther(): Promise<void> {
  const pid = campaignPid();
  if (!pid) {
    console.log(`no campaign of plan ${plan.name} is running (${pidFile})`);
    return;
  }
  process.kill(pid, "SIGTERM");
  console.log(`sent SIGTERM to the campaign (pid ${pid}); waiting for its runs to checkpoint...`);
  const t0 = Date.now();
  while (processAlive(pid)) await new Promise((r) => setTimeout(r, 250));
  console.log(`stopped after ${((Date.now() - t0) / 1000).toFixed(1)} s; commit with: git add ${planFolders(plan).join(" ")} && git commit -m "campaign: progress"`);
}

/**
 * With the kernel's autogroup scheduling on (Debian's default), CPU time is shared between sessions first and nice
 * only orders processes inside one session (Linux sched(7), "The autogroup feature"): a niced campaign started from
 * a shell would still take half the machine from it. So the runner moves into a session of its own (unless it leads
 * one already: a detached copy of itself, signals forwarded) and gives that session's autogroup its nice; the runs
 * inherit it.
 * Returns true when this process only relayed to that copy, which has finished.
 */
async function ownSession(nice: number): Promise<boolean> {
  let enabled = false;
  try {
    enabled = fs.readFileSync("/proc/sys/kernel/sched_autogroup_enabled", "utf8").trim() === "1";
  } catch {
    // no autogroup support here: nice alone applies
  }
  if (!enabled) return false;
  // /proc/self/stat: "pid (comm) state ppid pgrp session ..."; comm may hold spaces, so split after its ")"
  const session = Number(fs.readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ")[3]);
  if (session === process.pid || process.env.TAILOR_CAMPAIGN_SESSION) {
    try {
      fs.writeFileSync("/proc/self/autogroup", String(nice));
    } catch (e) {
      say(`note: could not lower the session's CPU share (${(e as Error).message}); nice alone applies`);
    }
    return false;
  }
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    detached: true,
    stdio: "inherit",
    env: { ...process.env, TAILOR_CAMPAIGN_SESSION: "1", TAILOR_CAMPAIGN_LOCK_PARENT: String(process.pid) },
  });
  for (const sig of ["SIGTERM", "SIGINT"] as const) process.on(sig, () => child.kill(sig));
  const code = await new Promise<number>((resolve) => child.on("exit", (c, s) => resolve(c ?? (s ? 1 : 0))));
  process.exitCode = code;
  return true;
}

/** --scheduler slurm: submit, --status or --stop through SLURM (scripts/campaign-slurm.ts); nothing trains here. */
async function mainSlurm(): Promise<void> {
  const warnSeconds = 120;
  // a bad --time is a bad flag, exit 2 as every other (sbatch failing later is exit 1)
  const time = orExit(() => {
    const t = args.time === undefined ? undefined : checkTime(args.time);
    if (t !== undefined && timeSeconds(t) <= warnSeconds) throw new SlurmError(`--time ${t}: a run is asked to stop ${warnSeconds} s before its time limit, so the limit must be longer`);
    return t;
  });
  const ctx: SlurmContext = {
    plan,
    runs,
    opts: { partition: args.partition, time, cpusPerRun: num("cpus-per-run", args["cpus-per-run"], { int: true, min: 1 }), warnSeconds, extra: (args["sbatch-arg"] as unknown as string[] | undefined) ?? [] },
    data: args.data,
    trainCommand: [process.execPath, ...process.execArgv, path.join(__dirname, "train.ts")],
    say,
    again,
  };
  if (args.stop) return slurm.stop(ctx);
  if (args.status) return void console.log(slurm.status(ctx));
  // before the lock, which makes the plan's folder: a folder that cannot be made is this error, naming it
  if (!args["dry-run"]) slurm.checkWritable(plan, runs);
  // one submitter at a time, and never beside a local runner of the same plan: the same lock as the runner's
  const lock = lockPlan();
  try {
    if (!args["dry-run"] && runs.some((r) => campaignStatus(plan, [r])[0].state !== "done")) ensureData();
    slurm.submit(ctx, !!args["dry-run"]);
  } finally {
    lock.release();
  }
}

async function main(): Promise<void> {
  if (args.scheduler === "slurm") return mainSlurm();
  if (args.stop) return stopOther();
  if (args.status || args["dry-run"]) {
    const other = campaignPid();
    // another process's children: a run is training now when a live process holds its run.lock
    const training = new Set(runs.filter((r) => lockHolder(runDir(plan, r.id)) !== null).map((r) => r.id));
    const st = campaignStatus(plan, runs, { running: training, failed: new Map() });
    // while a runner trains, the estimate is for its lanes unless --lanes asks for another count
    // and from the epochs since it started: their speed is this machine's now
    const runner = other && fs.existsSync(logFile) ? runnerStart(fs.readFileSync(logFile, "utf8"), other) : null;
    const runnerOn = runner?.lanes ?? null;
    const on = runnerOn === null ? "" : ` on ${runnerOn} lane${runnerOn === 1 ? "" : "s"}`;
    const since = runner && Number.isFinite(runner.since) ? runner.since : undefined;
    console.log(statusText(st) + `\n${leftText(st, args.lanes === undefined ? (runnerOn ?? lanes) : lanes, plan, runs, since)}` + (other ? `\n(campaign running: pid ${other}${on}, log ${logFile})` : ""));
    if (args["dry-run"]) {
      const done = new Set(campaignStatus(plan, plan.runs).filter((s) => s.state === "done").map((s) => s.id));
      const ready = runs.filter((r) => !done.has(r.id) && r.deps.every((d) => done.has(d))).slice(0, lanes);
      const threads = threadsFor(ready.length);
      const quote = (a: string) => (a === "" || /[^\w@%+=:,./-]/.test(a) ? `'${a.replace(/'/g, "'\\''")}'` : a);
      for (const r of ready) console.log(`would start ${r.id}: OMP_NUM_THREADS=${threads} npx tsx ${path.relative(process.cwd(), trainCommand(r)[0])} ${trainCommand(r).slice(1).map(quote).join(" ")}`);
    }
    return;
  }
  const lock = lockPlan();
  const queued = slurmJobsOfPlan();
  if (queued.length) {
    lock.release();
    throw new Error(`runs of plan ${plan.name} are queued or running on SLURM: ${queued.join(", ")}; cancel them first (${again(" --scheduler slurm --stop")})`);
  }
  // a run outside --only that a selected run needs must be done already
  const selected = new Set(runs.map((r) => r.id));
  const initial = campaignStatus(plan, plan.runs);
  const doneIds = new Set(initial.filter((s) => s.state === "done").map((s) => s.id));
  // a finished run whose files do not verify is never retrained over (its results would be lost): it stops its dependents
  for (const s of initial) if (s.state === "invalid" && selected.has(s.id)) failed.set(s.id, `invalid: ${s.note}`);
  for (const r of runs) for (const d of r.deps) if (!selected.has(d) && !doneIds.has(d)) throw new Error(`${r.id} needs ${d}, which is neither done nor selected (--only)`);

  const niceValue = Math.max(os.getPriority(0), niceFlag);
  if (await ownSession(niceValue)) return;
  os.setPriority(0, niceValue);
  if (runs.some((r) => !doneIds.has(r.id))) ensureData();
  process.on("SIGTERM", () => requestStop("SIGTERM"));
  process.on("SIGINT", () => requestStop("SIGINT"));
  runnerSince = Date.now() / 1000;
  say(runnerStartLine(plan.name, runs.length, plan.root, lanes, threadsFor(lanes), os.getPriority(0), process.pid));
  for (const [id, why] of failed) say(`not starting ${id}, nor what needs it: ${why}`);

  const exits: Promise<void>[] = [];
  /** another process (not a child of ours) trains the run now: it holds the run's run.lock */
  const elsewhere = (r: PlannedRun) => !running.has(r.id) && lockHolder(runDir(plan, r.id)) !== null;
  const pendingIds = new Set(runs.filter((r) => !doneIds.has(r.id)).map((r) => r.id));
  let last = writeStatus(true);
  const wake: { fn: () => void } = { fn: () => {} };
  const timer = setInterval(() => {
    const now = writeStatus(false);
    if (now !== last) last = writeStatus(true);
    wake.fn(); // the loop looks again at the thread counts: another plan's campaign may have started
  }, refresh * 1000);
  try {
    for (;;) {
      if (!stopping) {
        // two plans can share a run (the policy plan trains depth-study runs): one another campaign finished is done
        // here too, and one it is training (its run.lock held by a live process not ours) is left to it, not waited on
        for (const r of runs) {
          if (!pendingIds.has(r.id) || running.has(r.id) || failed.has(r.id)) continue;
          const fin = readFinished(plan, r);
          if (fin && fin.problem === null) {
            doneIds.add(r.id);
            pendingIds.delete(r.id);
            say(`done ${r.id} (finished by another campaign)`);
          }
        }
        const ready = runs
          .filter((r) => pendingIds.has(r.id) && !running.has(r.id) && !failed.has(r.id) && r.deps.every((d) => doneIds.has(d)) && !elsewhere(r))
          .slice(0, Math.max(0, lanes - running.size));
        const threads = threadsFor(running.size + ready.length);
        for (const r of ready) {
          running.set(r.id, null as unknown as ChildProcess); // taken: start() replaces it with the child
          const p = start(r, threads).then((code) => {
            running.delete(r.id);
            threadsOf.delete(r.id);
            const restart = restarting.delete(r.id);
            fs.rmSync(path.join(runDir(plan, r.id), "campaign-child.pid"), { force: true });
            const results = path.join(runDir(plan, r.id), "results.json");
            if (code === 0 && fs.existsSync(results)) {
              // finished: its optimiser state is no longer needed (best.ckpt and results.json stay)
              fs.rmSync(path.join(runDir(plan, r.id), LAST), { force: true });
              doneIds.add(r.id);
              pendingIds.delete(r.id);
              say(`done ${r.id}`);
            } else if (code === EXIT_STOPPED) {
              say(`stopped ${r.id} (checkpoint written)${restart && !stopping ? "; it resumes on the new thread count" : ""}`);
            } else if (code === KILLED_BY_SIGTERM && (restart || stopping)) {
              // our SIGTERM reached it before train.ts listens for one (while it loads): it had not begun training
              say(`stopped ${r.id} before it began training${restart && !stopping ? "; it starts again on the new thread count" : ""}`);
            } else {
              failed.set(r.id, `exit ${code}, see ${path.join(runDir(plan, r.id), "stdout.log")}`);
              say(`FAILED ${r.id}: exit ${code}; see ${path.join(runDir(plan, r.id), "stdout.log")}`);
            }
            wake.fn();
          });
          exits.push(p);
        }
        // a run on another thread count than its share (a lane fell idle, or another campaign started): stop it after
        // its current step; the loop resumes it from that checkpoint on `threads` (its log records the change)
        for (const [id, child] of running) {
          const had = threadsOf.get(id);
          if (!child || had === undefined || had === threads || restarting.has(id)) continue;
          restarting.add(id);
          say(`${id}: its share of the ${os.cpus().length} cores is now ${threads} thread${threads === 1 ? "" : "s"}, not ${had}; stopping it after its current step to resume it on them`);
          child.kill("SIGTERM");
        }
      }
      // nothing of ours training: done, unless another campaign trains a run we wait for (the timer wakes us)
      if (!running.size && (stopping || !runs.some((r) => pendingIds.has(r.id) && !failed.has(r.id) && elsewhere(r)))) break;
      await new Promise<void>((resolve) => (wake.fn = resolve));
    }
  } finally {
    clearInterval(timer);
    writeStatus(true);
    lock.release();
  }
  const left = runs.filter((r) => pendingIds.has(r.id));
  if (stopping) say(`stopped: ${left.length} runs to go; continue with ${again()}`);
  else if (failed.size) {
    say(`${failed.size} run(s) failed: ${[...failed.keys()].join(", ")}`);
    process.exitCode = 1;
  } else if (left.length) {
    say(`cannot start ${left.map((r) => r.id).join(", ")}`);
    process.exitCode = 1;
  } else say(`all ${runs.length} runs done under ${plan.root}`);
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
