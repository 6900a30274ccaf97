/**
 * The CIFAR-10 experiment of the paper for one network: both teachers, Tailor (SkipRemover, SkipShortener) and the
 * baselines trained from scratch (no skips, no skips with KD, statically shortened skips), run as separate
 * `scripts/train.ts` processes, up to --lanes at once (each on cores/lanes threads: two one-thread processes train
 * more images per second on two cores than one two-thread process).
 *
 * Schedules:
 *   full   the authors': 200 epochs, lr 0.1 x0.1 every 30 epochs, a skip altered every 3 epochs.
 *   short  what fits one session on a 2-core machine: teachers and baselines 12 epochs (lr x0.1 at epochs 6 and 9),
 *          Tailor students 14 epochs (skips altered after epochs 3, 6, 9; lr x0.1 at 10 and 12).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { lastProgress } from "../src/campaign/status.js";
import { formatDuration, ProgressLine } from "../src/util/progress.js";
import { num, parseCli } from "./cli.js";

const JOB_NAMES = ["teacher", "teacher-shortenable", "remover", "shortener", "noskip", "noskip-kd", "shortened-scratch"];

const args = parseCli("Usage: npm run train:cifar -- [options]", {
  net: { type: "string", help: "network (resnet8, resnet20, ...)", default: "resnet8" },
  schedule: { type: "string", help: "short | full", default: "short" },
  out: { type: "string", help: "directory for the runs (default: data/runs/<net>-<schedule>)" },
  lanes: { type: "string", help: "training processes at once", default: "2" },
  only: { type: "string", help: `comma-separated subset of: ${JOB_NAMES.join(", ")}` },
  seed: { type: "string", help: "seed of every run", default: "1" },
});

interface Job {
  name: string;
  deps: string[];
  flags: string[];
}

const schedules: Record<string, { teacher: string[]; student: string[] }> = {
  full: { teacher: ["--epochs", "200", "--lr-step", "30"], student: ["--epochs", "200", "--lr-step", "30", "--every-epochs", "3"] },
  short: {
    teacher: ["--epochs", "12", "--lr-milestones", "6,9"],
    student: ["--epochs", "14", "--lr-milestones", "10,12", "--every-epochs", "3"],
  },
};

async function main() {
  const sched = schedules[args.schedule];
  if (!sched) throw new Error(`--schedule: expected short or full, got "${args.schedule}"`);
  const lanes = num("lanes", args.lanes, { int: true, min: 1 });
  // Relative to the working directory, so that the teacher paths recorded in each run's config stay valid in a clone.
  const root = path.relative(process.cwd(), path.resolve(args.out ?? path.join("data", "runs", `${args.net}-${args.schedule}`))) || ".";
  const dir = (n: string) => path.join(root, n);
  const common = ["--net", args.net, "--seed", args.seed];
  const jobs: Job[] = [
    { name: "teacher", deps: [], flags: [...common, ...sched.teacher, "--method", "teacher", "--form", "plain"] },
    { name: "teacher-shortenable", deps: [], flags: [...common, ...sched.teacher, "--method", "teacher", "--form", "shortenable"] },
    { name: "remover", deps: ["teacher"], flags: [...common, ...sched.student, "--method", "remover", "--teacher", path.join(dir("teacher"), "best.ckpt")] },
    {
      name: "shortener",
      deps: ["teacher-shortenable"],
      flags: [...common, ...sched.student, "--method", "shortener", "--form", "shortenable", "--teacher", path.join(dir("teacher-shortenable"), "best.ckpt")],
    },
    { name: "noskip", deps: [], flags: [...common, ...sched.teacher, "--method", "noskip"] },
    { name: "noskip-kd", deps: ["teacher"], flags: [...common, ...sched.teacher, "--method", "noskip-kd", "--teacher", path.join(dir("teacher"), "best.ckpt")] },
    { name: "shortened-scratch", deps: [], flags: [...common, ...sched.teacher, "--method", "shortened-scratch", "--form", "shortenable"] },
  ];
  const only = args.only ? new Set(args.only.split(",")) : null;
  for (const n of only ?? []) if (!JOB_NAMES.includes(n)) throw new Error(`--only: unknown run "${n}"; expected some of ${JOB_NAMES.join(", ")}`);
  const todo = jobs.filter((j) => !only || only.has(j.name));
  for (const j of todo) for (const d of j.deps) if (!todo.some((t) => t.name === d) && !fs.existsSync(path.join(dir(d), "best.ckpt"))) {
    throw new Error(`${j.name} needs ${dir(d)}/best.ckpt: train ${d} first (or drop --only)`);
  }
  const threads = Math.max(1, Math.floor(os.cpus().length / lanes));
  const done = new Set<string>(jobs.filter((j) => !todo.includes(j)).map((j) => j.name));
  const running = new Map<string, Promise<void>>();
  const start = (j: Job) => {
    fs.mkdirSync(dir(j.name), { recursive: true });
    const logFile = fs.openSync(path.join(dir(j.name), "stdout.log"), "a");
    const child = spawn(process.execPath, [...process.execArgv, path.join(__dirname, "train.ts"), ...j.flags, "--out", dir(j.name), "--resume-if-present"], {
      stdio: ["ignore", logFile, logFile],
      env: { ...process.env, OMP_NUM_THREADS: String(threads) },
    });
    progress.log(`[${new Date().toISOString()}] start ${j.name} (${threads} threads): log ${path.join(dir(j.name), "stdout.log")}`);
    return new Promise<void>((resolve, reject) =>
      child.on("exit", (code) => {
        progress.log(`[${new Date().toISOString()}] ${j.name} exited with ${code}`);
        code === 0 ? resolve() : reject(new Error(`${j.name} failed (exit ${code}); see ${dir(j.name)}/stdout.log`));
      }),
    );
  };
  // one status line: each running job's epoch, step and speed, read from its stdout.log (every 30 s in a log)
  const progress = new ProgressLine({ plainEveryMs: 30_000 });
  const readLog = (name: string) => {
    try {
      const f = path.join(dir(name), "stdout.log");
      const size = fs.statSync(f).size;
      const fd = fs.openSync(f, "r");
      const buf = Buffer.alloc(Math.min(4096, size));
      fs.readSync(fd, buf, 0, buf.length, size - buf.length);
      fs.closeSync(fd);
      return buf.toString("utf8");
    } catch {
      return "";
    }
  };
  const ticker = setInterval(() => {
    const parts = [...running.keys()].map((n) => {
      const p = lastProgress(readLog(n));
      return p ? `${n} ${p.epoch + 1}/${p.epochs} step ${p.step}/${p.steps} ${p.imagesPerSecond} img/s ETA ${formatDuration(p.etaSeconds)}` : `${n} starting`;
    });
    progress.update(`${done.size - (jobs.length - todo.length)}/${todo.length} done | ${parts.join(" | ")}`);
  }, 2000);
  const pending = [...todo];
  while (pending.length || running.size) {
    while (running.size < lanes) {
      const i = pending.findIndex((j) => j.deps.every((d) => done.has(d)));
      if (i < 0) break;
      const j = pending.splice(i, 1)[0];
      running.set(j.name, start(j).then(() => void done.add(j.name)).finally(() => running.delete(j.name)));
    }
    if (!running.size) throw new Error(`cannot start: ${pending.map((j) => j.name).join(", ")} wait on failed runs`);
    await Promise.race(running.values()).catch((e) => {
      clearInterval(ticker);
      throw e;
    });
  }
  clearInterval(ticker);
  progress.done(`all runs done under ${root}`);
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
