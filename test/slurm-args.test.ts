// The pure parts of --scheduler slurm (src/campaign/slurm.ts): sbatch's arguments, the batch script, what to submit,
// parsing sbatch/scontrol/sacct output. test/slurm.test.ts runs them against a real cluster.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { planFromJson } from "../src/campaign/plan.js";
import {
  batchScript,
  checkTime,
  isLive,
  parseJobsFile,
  parseSacct,
  parseSbatchOutput,
  parseScontrolJobs,
  sbatchArgs,
  slurmStateText,
  SlurmError,
  submissionPlan,
  timeSeconds,
} from "../src/campaign/slurm.js";

const plan = planFromJson(
  JSON.stringify({
    name: "p",
    root: "runs",
    runs: [
      { id: "resnet8/remover", teacherRun: "resnet8/teacher", config: { method: "remover" } },
      { id: "resnet8/teacher" },
      { id: "resnet8/shortener", teacherRun: "resnet8/teacher-shortenable", config: { method: "shortener" } },
      { id: "resnet8/teacher-shortenable", config: { form: "shortenable" } },
    ],
  }),
  "test",
);
const none = { done: new Set<string>(), invalid: new Map<string, string>(), live: new Map<string, { jobId: string; state: string }>() };

describe("sbatch arguments and the batch script", () => {
  const opts = { cpusPerRun: 2, warnSeconds: 120, extra: ["--qos=long"], partition: "gpu", time: "12:00:00" };
  it("a job per run: name, output in the run's folder appended to, requeue, warning signal, dependencies, extra arguments last", () => {
    const a = sbatchArgs({ runId: "resnet8/remover", planName: "p", dir: "/w/runs/resnet8/remover", cwd: "/w", depJobs: ["11", "12"], opts });
    expect(a).toEqual([
      "--parsable",
      "--job-name=p:resnet8/remover",
      "--chdir=/w",
      "--output=/w/runs/resnet8/remover/stdout.log",
      "--open-mode=append",
      "--nodes=1",
      "--ntasks=1",
      "--cpus-per-task=2",
      "--requeue",
      "--signal=B:USR1@120",
      "--partition=gpu",
      "--time=12:00:00",
      "--dependency=afterok:11:12",
      "--kill-on-invalid-dep=yes",
      "--qos=long",
    ]);
    const b = sbatchArgs({ runId: "resnet8/teacher", planName: "p", dir: "/w/t", cwd: "/w", depJobs: [], opts: { cpusPerRun: 1, warnSeconds: 120, extra: [] } });
    expect(b.some((x) => x.startsWith("--dependency") || x.startsWith("--partition") || x.startsWith("--time"))).toBe(false);
  });

  it("the batch script is valid bash, quotes every word, and exports the threads", () => {
    const s = batchScript({ runId: "resnet8/teacher", dir: "/w/runs/it's", command: ["/usr/bin/node", "train.ts", "--teacher", "", "--out", "runs/a b"], env: { OMP_NUM_THREADS: "2", NODE_OPTIONS: "--max-semi-space-size=64" } });
    expect(s).toContain("export OMP_NUM_THREADS=2\n");
    expect(s).toContain("/usr/bin/node train.ts --teacher '' --out 'runs/a b' &\n");
    expect(s).toContain(`rm -f '/w/runs/it'\\''s/last.ckpt'`);
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tailor-batch-")), "job.sh");
    fs.writeFileSync(f, s);
    const r = spawnSync("bash", ["-n", f], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    fs.rmSync(path.dirname(f), { recursive: true });
  });

  it("--time: the forms sbatch takes, and their seconds", () => {
    expect(timeSeconds("12:00:00")).toBe(43200);
    expect(timeSeconds("90")).toBe(5400);
    expect(timeSeconds("30:15")).toBe(1815);
    expect(timeSeconds("1-12")).toBe(129600);
    expect(timeSeconds("2-00:30:00")).toBe(174600);
    expect(() => checkTime("12h")).toThrow(/--time: expected \[D-\]HH:MM:SS or minutes as sbatch takes it, got "12h"/);
  });
});

describe("what is submitted", () => {
  it("in dependency order, a student after its teacher's job; done runs and live jobs are not submitted again", () => {
    const all = submissionPlan(plan.runs, none);
    expect(all.submit.map((s) => [s.run.id, s.depRuns])).toEqual([
      ["resnet8/teacher", []],
      ["resnet8/teacher-shortenable", []],
      ["resnet8/remover", ["resnet8/teacher"]],
      ["resnet8/shortener", ["resnet8/teacher-shortenable"]],
    ]);
    const later = submissionPlan(plan.runs, { ...none, done: new Set(["resnet8/teacher"]), live: new Map([["resnet8/teacher-shortenable", { jobId: "7", state: "RUNNING" }]]) });
    expect(later.done).toEqual(["resnet8/teacher"]);
    expect(later.queued).toEqual([{ runId: "resnet8/teacher-shortenable", jobId: "7", state: "RUNNING" }]);
    expect(later.submit.map((s) => [s.run.id, s.depRuns])).toEqual([
      ["resnet8/remover", []],
      ["resnet8/shortener", ["resnet8/teacher-shortenable"]],
    ]);
  });

  it("an invalid finished run is not submitted, nor what needs it; a dependency outside --only that is not done is an error", () => {
    const p = submissionPlan(plan.runs, { ...none, invalid: new Map([["resnet8/teacher", "best.ckpt is of epoch 3"]]) });
    expect(p.skipped).toEqual([
      { runId: "resnet8/teacher", why: "invalid: best.ckpt is of epoch 3" },
      { runId: "resnet8/remover", why: "needs resnet8/teacher, which will not run" },
    ]);
    expect(() => submissionPlan(plan.runs.filter((r) => r.id === "resnet8/remover"), none)).toThrow(/resnet8\/remover needs resnet8\/teacher, which is neither done, nor queued, nor selected/);
  });
});

describe("parsing SLURM's output", () => {
  it("sbatch --parsable", () => {
    expect(parseSbatchOutput("42\n")).toBe("42");
    expect(parseSbatchOutput("42;cluster\n")).toBe("42");
    expect(() => parseSbatchOutput("Submitted batch job 42\n")).toThrow(SlurmError);
  });

  it("scontrol show job -o, sacct -P, live states and the status column", () => {
    const text =
      "JobId=5 JobName=p:resnet8/teacher UserId=root(0) JobState=PENDING Reason=BeginTime Dependency=(null) Requeue=1 Restarts=1 BatchFlag=1 ExitCode=0:0 RunTime=00:00:00\n" +
      "JobId=6 JobName=p:resnet8/remover JobState=FAILED Reason=NonZeroExitCode Restarts=0 ExitCode=1:0 RunTime=00:00:04\n";
    const jobs = parseScontrolJobs(text);
    expect(jobs.get("5")).toEqual({ jobId: "5", state: "PENDING", exitCode: "0:0", reason: "BeginTime", restarts: 1, runTime: "00:00:00" });
    expect(jobs.get("6")?.state).toBe("FAILED");
    expect(parseScontrolJobs("No jobs in the system\n").size).toBe(0);
    expect(parseSacct("7|CANCELLED by 0|0:15\n8|COMPLETED|0:0\n").get("7")).toEqual({ jobId: "7", state: "CANCELLED", exitCode: "0:15" });
    expect(["PENDING", "RUNNING", "REQUEUED", "COMPLETING", "SUSPENDED", "CONFIGURING"].every(isLive)).toBe(true);
    expect(["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY"].some(isLive)).toBe(false);
    expect(slurmStateText({ jobId: "5", submitted: "" }, jobs.get("5"))).toBe("PENDING (BeginTime, job 5, 1 restart)");
    expect(slurmStateText({ jobId: "6", submitted: "" }, jobs.get("6"))).toBe("FAILED exit 1 (job 6)");
    expect(slurmStateText({ jobId: "9", submitted: "" }, undefined)).toBe("job 9 (unknown to SLURM now)");
    expect(slurmStateText({ jobId: "7", submitted: "" }, { jobId: "7", state: "CANCELLED", exitCode: "0:15" })).toBe("CANCELLED signal 15 (job 7)");
  });

  it("slurm-jobs.json: a missing file is an empty record; a broken one is an error naming it", () => {
    expect(parseJobsFile(null, "f", "p")).toEqual({ plan: "p", jobs: {} });
    expect(() => parseJobsFile("{", "runs/slurm-jobs.json", "p")).toThrow(/runs\/slurm-jobs\.json: not valid JSON/);
    expect(() => parseJobsFile('{"jobs":{"a":{}}}', "f", "p")).toThrow(/f: run a: expected \{ jobId, submitted \}/);
  });
});
