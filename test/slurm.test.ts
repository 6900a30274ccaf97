/**
 * `npm run campaign -- --scheduler slurm` against a real one-node SLURM cluster (test/helpers/slurm-cluster.ts:
 * Debian's slurm-wlm and munge, started here, stopped at the end whatever happened). A tiny plan (a ResNet-8 teacher
 * and two students of a few steps on random images) is submitted; the teacher's job is requeued mid-epoch
 * (`scontrol requeue`), a student's batch shell gets the time-limit warning (USR1, as --signal=B:USR1 sends it) and
 * requeues itself; the finished runs equal the local runner's bit for bit. A run that fails shows `failed` with
 * SLURM's exit code, its dependent is cancelled; bad input is a clear error and a failed submission leaves no job.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand, runScript } from "./helpers/spawn.js";
import { REFUSED_NAME, startSlurmCluster, type SlurmCluster } from "./helpers/slurm-cluster.js";
import { runOutcome } from "./helpers/run-outcome.js";
import { writeSyntheticCifar } from "./helpers/synthetic-cifar.js";

const ROOT = path.resolve(__dirname, "..");
const CAMPAIGN = path.join(ROOT, "scripts", "campaign.ts");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-slurm-test-"));
const data = path.join(tmp, "cifar");
// 12 steps an epoch (about 0.6 s here): room for a requeue to land inside an epoch
const common = { limitTrain: 384, limitEval: 64, valSize: 1000, logEvery: 1, batchSize: 32, teacherBn: "batch" };
const plan = {
  name: "tiny",
  root: "runs",
  runs: [
    { id: "resnet8/teacher", config: { ...common, epochs: 3, lrMilestones: [2] } },
    { id: "resnet8/remover", teacherRun: "resnet8/teacher", config: { ...common, method: "remover", epochs: 4, everyEpochs: 1, lrMilestones: [3] } },
    { id: "resnet8/noskip-kd", teacherRun: "resnet8/teacher", config: { ...common, method: "noskip-kd", epochs: 2, lrMilestones: [1] } },
  ],
};
const RUNS = plan.runs.map((r) => r.id);

let cluster: SlurmCluster | undefined;
const env = () => ({ OMP_NUM_THREADS: "1", ...cluster!.env });

function folder(name: string, p: object = plan): string {
  const d = path.join(tmp, name);
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, "plan.json"), JSON.stringify(p));
  return d;
}
const campaign = (cwd: string, extra: string[], e: NodeJS.ProcessEnv = env()) => runScript(CAMPAIGN, ["--plan", "plan.json", "--data", data, ...extra], { cwd, env: e });
const slurmCampaign = (cwd: string, extra: string[] = []) => campaign(cwd, ["--scheduler", "slurm", ...extra]);
const jobsOf = (d: string): Record<string, { jobId: string }> => JSON.parse(fs.readFileSync(path.join(d, "runs", "slurm-jobs.json"), "utf8")).jobs;
const logOf = (d: string, id: string) => {
  const f = path.join(d, "runs", id, "stdout.log");
  return fs.existsSync(f) ? fs.readFileSync(f, "utf8") : "";
};

/** scontrol's record of a job: "JobState=RUNNING ... Restarts=1 ... ExitCode=0:0" as fields */
async function job(id: string): Promise<Record<string, string>> {
  const r = await runCommand("scontrol", ["show", "job", "-o", id], { env: env() });
  return Object.fromEntries([...r.stdout.matchAll(/(\w[\w/:]*)=(\S*)/g)].map((m) => [m[1], m[2]]));
}

/** Poll with backoff until `f` holds; on timeout the error carries what was waited for and the cluster's logs. */
async function until(f: () => boolean | Promise<boolean>, what: string, ms = 600_000, detail: () => string = () => "", maxDelay = 1000): Promise<void> {
  const t0 = Date.now();
  let delay = 50;
  while (!(await f())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}\n${detail()}\n${cluster?.logs(20) ?? ""}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(maxDelay, delay * 1.3);
  }
}

const outcome = (d: string, ids = RUNS) => runOutcome(d, ids);

let reference: ReturnType<typeof outcome>;

beforeAll(async () => {
  // the daemons first: a machine without SLURM fails here, before minutes of training
  cluster = await startSlurmCluster();
  writeSyntheticCifar(data);
  const a = folder("local");
  // one thread a run, as each SLURM job's one CPU: a run training alone would otherwise take both cores
  const r = await campaign(a, ["--lanes", "2", "--threads", "1", "--refresh", "600"]);
  expect(r.status, r.stdout + r.stderr).toBe(0);
  reference = outcome(a);
}, 900_000);

afterAll(async () => {
  await cluster?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}, 120_000);

describe("the test cluster itself", () => {
  it("a daemon that does not come up is an error naming it, with the daemons' logs; nothing of it is left", async () => {
    const err = await startSlurmCluster({ extraConf: ["SelectType=select/nosuch"], timeoutMs: 30_000 }).then(
      (c) => (c.stop(), null),
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/^test SLURM cluster did not come up: .*slurmctld exited \(\d+\) before slurmctld to answer/);
    expect(err?.message).toMatch(/--- \/.*slurmctld\.log \(last 30 lines\)\n.*select\/nosuch/s);
    const dir = /--- (\/\S+)\/slurmctld\.log/.exec(err!.message)![1];
    expect(fs.existsSync(dir)).toBe(false);
  }, 120_000);
});

describe("campaign --scheduler slurm (a real SLURM: munged, slurmctld, slurmd)", () => {
  it("submits one job a run with afterok dependencies; a second submission submits nothing; a requeued and a time-warned run resume and end bit-identical to the local runner", async () => {
    const d = folder("slurm");
    // submitted held (a real sbatch option, through --sbatch-arg): the checks below see every job queued, none started
    const first = await slurmCampaign(d, ["--sbatch-arg=--hold"]);
    expect(first.status, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toMatch(/3 job\(s\) submitted, 0 queued already, 0 run\(s\) done/);
    const jobs = jobsOf(d);
    expect(Object.keys(jobs).sort()).toEqual([...RUNS].sort());
    const teacherJob = jobs["resnet8/teacher"].jobId;
    for (const s of ["resnet8/remover", "resnet8/noskip-kd"]) {
      const j = await job(jobs[s].jobId);
      expect(j.Dependency).toMatch(new RegExp(`^afterok:${teacherJob}`));
      expect(j.JobName).toBe(`tiny:${s}`);
      expect(j.StdOut).toBe(path.join(d, "runs", s, "stdout.log"));
    }

    // submitted again while queued: nothing new, the record unchanged
    const again = await slurmCampaign(d);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/0 job\(s\) submitted, 3 queued already/);
    expect(jobsOf(d)).toEqual(jobs);
    const queue = await runCommand("squeue", ["-h", "-o", "%j"], { env: env() });
    expect(queue.stdout.split("\n").filter((n) => n.startsWith("tiny:")).sort()).toEqual(RUNS.map((r) => `tiny:${r}`).sort());

    // a job of the plan that ended otherwise than COMPLETED fails the wait at once (not after its timeout)
    const healthy = async () => {
      for (const r of RUNS) {
        const j = await job(jobs[r].jobId);
        if (["FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY"].includes(j.JobState)) throw new Error(`${r}: job ${jobs[r].jobId} ${j.JobState} (exit ${j.ExitCode})\n--- its log\n${logOf(d, r)}`);
      }
      return true;
    };
    // the local runner refuses the plan while its jobs are queued: both would write the same run folders
    const local = await campaign(d, ["--lanes", "1"]);
    expect(local.status, local.stdout + local.stderr).toBe(1);
    expect(local.stderr).toMatch(/runs of plan tiny are queued or running on SLURM: resnet8\/teacher \(job \d+, \w+\).*; cancel them first \(npm run campaign -- --plan plan\.json --scheduler slurm --stop\)/);

    const states = () => Promise.all(RUNS.map(async (r) => `${r}: ${JSON.stringify(await job(jobs[r].jobId))}\n--- log\n${logOf(d, r)}`)).then((x) => x.join("\n"));
    let detail = "";
    const refresh = async () => void (detail = await states());

    const release = await runCommand("scontrol", ["release", ...Object.values(jobs).map((j) => j.jobId)], { env: env() });
    expect(release.status, release.stderr).toBe(0);
    // 1. `scontrol requeue` of the teacher inside its second epoch: slurmd sends SIGTERM, train.ts checkpoints that step
    await until(async () => (await healthy()) && /epoch 2\/3 step [1-6]\//.test(logOf(d, "resnet8/teacher")), "the teacher's second epoch", 600_000, () => logOf(d, "resnet8/teacher"), 100);
    const rq = await runCommand("scontrol", ["requeue", teacherJob], { env: env() });
    expect(rq.status, rq.stderr).toBe(0);
    // 2. the time-limit warning to a student's batch shell (what --signal=B:USR1@120 sends): it stops and requeues itself
    const removerJob = jobs["resnet8/remover"].jobId;
    await until(async () => (await healthy()) && /epoch 2\/4 step [1-6]\//.test(logOf(d, "resnet8/remover")), "the remover's second epoch", 600_000, () => logOf(d, "resnet8/remover"), 100);
    const warn = await runCommand("scancel", ["--batch", "--signal=USR1", removerJob], { env: env() });
    expect(warn.status, warn.stderr).toBe(0);

    await until(
      async () => (await healthy()) && (await Promise.all(RUNS.map((r) => job(jobs[r].jobId)))).every((j) => j.JobState === "COMPLETED"),
      "every job COMPLETED",
      900_000,
      () => detail,
    ).catch(async (e) => {
      await refresh();
      throw new Error(`${(e as Error).message}\n${detail}`);
    });

    const teacher = await job(teacherJob);
    expect(teacher.Restarts).toBe("1");
    expect(logOf(d, "resnet8/teacher")).toMatch(/CANCELLED AT .* DUE TO JOB REQUEUE/);
    // stopped inside an epoch (the signal's latency decides which), resumed from that very step
    const stopAt = /stopped in epoch (\d) after step (\d+)/.exec(logOf(d, "resnet8/teacher"));
    expect(stopAt, logOf(d, "resnet8/teacher")).not.toBeNull();
    expect(logOf(d, "resnet8/teacher")).toContain(`after epoch ${stopAt![1]}, step ${stopAt![2]}\n`);
    expect((await job(removerJob)).Restarts).toBe("1");
    expect(logOf(d, "resnet8/remover")).toMatch(/\[slurm\] time limit near: stopping after the current step/);
    const warnedAt = /stopped in epoch (\d) after step (\d+)/.exec(logOf(d, "resnet8/remover"));
    expect(warnedAt, logOf(d, "resnet8/remover")).not.toBeNull();
    expect(logOf(d, "resnet8/remover")).toContain(`after epoch ${warnedAt![1]}, step ${warnedAt![2]}\n`);
    expect(logOf(d, "resnet8/remover")).toMatch(/\[slurm job \d+ on .*, restart 1, /);
    expect(outcome(d)).toEqual(reference);

    // the status table: every run done, its job COMPLETED; a third submission submits nothing
    const st = await slurmCampaign(d, ["--status"]);
    expect(st.status, st.stderr).toBe(0);
    for (const r of RUNS) expect(st.stdout).toMatch(new RegExp(`${r} .* done .*COMPLETED \\(job ${jobs[r].jobId}`));
    const third = await slurmCampaign(d);
    expect(third.stdout).toMatch(/0 job\(s\) submitted, 0 queued already, 3 run\(s\) done/);
  }, 1_800_000);

  it("--stop cancels the plan's jobs and waits for the running run's checkpoint; submitted again, it continues and ends bit-identical", async () => {
    const d = folder("stop", { ...plan, name: "stopme", runs: [plan.runs[0]] });
    const r = await slurmCampaign(d);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const id = jobsOf(d)["resnet8/teacher"].jobId;
    await until(() => /epoch 2\/3 step [1-6]\//.test(logOf(d, "resnet8/teacher")), "the teacher's second epoch", 600_000, () => logOf(d, "resnet8/teacher"), 100);
    const stop = await slurmCampaign(d, ["--stop"]);
    expect(stop.status, stop.stdout + stop.stderr).toBe(0);
    expect(stop.stdout).toMatch(new RegExp(`cancelled resnet8/teacher \\(job ${id}, RUNNING\\); waiting for running runs to write their checkpoints`));
    expect(stop.stdout).toMatch(/stopped after [\d.]+ s/);
    // --stop returned once the job had ended: its checkpoint is written, the run not finished
    const j = await job(id);
    expect(j.JobState).toBe("CANCELLED");
    expect(fs.existsSync(path.join(d, "runs", "resnet8", "teacher", "last.ckpt"))).toBe(true);
    expect(fs.existsSync(path.join(d, "runs", "resnet8", "teacher", "results.json"))).toBe(false);
    expect(logOf(d, "resnet8/teacher")).toMatch(/stopped (in epoch \d after step \d+|after epoch \d): checkpoint/);
    const st = await slurmCampaign(d, ["--status"]);
    expect(st.stdout).toMatch(new RegExp(`resnet8/teacher .* paused +CANCELLED( exit \\d+)?( signal \\d+)? \\(job ${id}\\)`));
    // submitted again: a new job, which resumes
    const again = await slurmCampaign(d);
    expect(again.stdout).toMatch(/1 job\(s\) submitted, 0 queued already, 0 run\(s\) done/);
    const id2 = jobsOf(d)["resnet8/teacher"].jobId;
    expect(id2).not.toBe(id);
    await until(async () => {
      const s = (await job(id2)).JobState;
      if (s !== "COMPLETED" && s !== "RUNNING" && s !== "PENDING" && s !== "COMPLETING") throw new Error(`job ${id2} ${s}\n${logOf(d, "resnet8/teacher")}`);
      return s === "COMPLETED";
    }, `job ${id2} COMPLETED`, 600_000);
    expect(logOf(d, "resnet8/teacher")).toMatch(/resuming .* after epoch \d/);
    expect(outcome(d, ["resnet8/teacher"])).toEqual(reference.slice(0, 1));
  }, 900_000);

  it("a run that fails shows `failed` with SLURM's exit code; the run that needs it is cancelled, not left pending", async () => {
    // the plan is valid (a config that is not, such as a validation split as large as the training set, is refused
    // before anything is submitted since issue 32); the run fails once it trains: a learning rate of 1e30 diverges at
    // its second step (the loss NaN)
    const broken = { ...plan, name: "broken", runs: [{ ...plan.runs[0], config: { ...plan.runs[0].config, lr: 1e30 } }, plan.runs[1]] };
    const d = folder("broken", broken);
    const r = await slurmCampaign(d);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const jobs = jobsOf(d);
    const [t, s] = [jobs["resnet8/teacher"].jobId, jobs["resnet8/remover"].jobId];
    await until(async () => (await job(s)).JobState === "CANCELLED", "the student's job to be cancelled", 600_000, () => logOf(d, "resnet8/teacher"));
    const tj = await job(t);
    expect(tj.JobState).toBe("FAILED");
    expect(tj.ExitCode).toBe("1:0");
    const st = await slurmCampaign(d, ["--status"]);
    expect(st.status, st.stderr).toBe(0);
    expect(st.stdout).toMatch(new RegExp(`resnet8/teacher .* failed \\(SLURM job ${t} FAILED, exit code 1:0; see runs/resnet8/teacher/stdout.log\\) +FAILED exit 1 \\(job ${t}\\)`));
    expect(st.stdout).toMatch(new RegExp(`resnet8/remover .* blocked \\(needs resnet8/teacher, which failed or is invalid\\) +CANCELLED \\(job ${s}\\)`));
    expect(logOf(d, "resnet8/teacher")).toMatch(/error: loss became NaN at epoch 0, step \d+: stopping/);
  }, 600_000);

  it("bad input: unknown --scheduler, no sbatch, a partition that does not exist, a plan folder not writable: clear errors, nothing submitted", async () => {
    const d = folder("bad");
    const queued = async () => (await runCommand("squeue", ["-h", "-o", "%j"], { env: env() })).stdout.split("\n").filter((n) => n.startsWith("tiny:"));
    const before = await queued();

    const unknown = await campaign(d, ["--scheduler", "pbs"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('--scheduler: expected local or slurm, got "pbs"');

    // SLURM's commands not on PATH (node is started by its absolute path)
    const noPath = await campaign(d, ["--scheduler", "slurm"], { ...env(), PATH: path.join(tmp, "empty-bin") });
    expect(noPath.status).toBe(1);
    expect(noPath.stderr).toMatch(/sbatch: not found on PATH; --scheduler slurm needs SLURM's client commands/);

    const part = await slurmCampaign(d, ["--partition", "nosuch"]);
    expect(part.status).toBe(1);
    expect(part.stderr).toMatch(/--partition nosuch: Partition nosuch not found \(partitions: debug\)/);

    const time = await slurmCampaign(d, ["--time", "01:00"]);
    expect(time.status).toBe(2);
    expect(time.stderr).toMatch(/--time 01:00: a run is asked to stop 120 s before its time limit/);

    // the plan's root under a regular file: no folder can be made there
    const blockedPlan = { ...plan, root: "blocked/runs" };
    const b = folder("blocked", blockedPlan);
    fs.writeFileSync(path.join(b, "blocked"), "a file, not a folder\n");
    const blocked = await slurmCampaign(b);
    expect(blocked.status).toBe(1);
    expect(blocked.stderr).toMatch(new RegExp(`error: plan folder ${path.join(b, "blocked", "runs")} is not writable \\(ENOTDIR`));

    expect(await queued()).toEqual(before);
  }, 600_000);

  it("sbatch failing on the second run (the site's submission policy refuses it): its stderr is shown, the job already submitted is cancelled, the record stays empty", async () => {
    const refused = { ...plan, name: "half", runs: [plan.runs[0], { ...plan.runs[1], id: `resnet8/${REFUSED_NAME}` }] };
    const d = folder("half", refused);
    const r = await slurmCampaign(d);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`sbatch failed for resnet8/${REFUSED_NAME} \\(exit 1\\): sbatch: error: site policy: job name half:resnet8/${REFUSED_NAME} is refused`));
    const cancelled = /submission failed: cancelled the 1 job\(s\) it had submitted \((\d+)\)/.exec(r.stdout);
    expect(cancelled, r.stdout).not.toBeNull();
    expect(jobsOf(d)).toEqual({});
    await until(async () => ["CANCELLED"].includes((await job(cancelled![1])).JobState), `job ${cancelled![1]} cancelled`, 120_000);
    expect((await job(cancelled![1])).JobName).toBe("half:resnet8/teacher");
  }, 300_000);
});
