/**
 * Where each run of a campaign stands, read from its folder alone (so a fresh clone sees what was committed):
 * results.json = done, once its files pass verify.ts (else "invalid", with the reason); failed.json = its last
 * attempt ended in an error; last.ckpt = in progress (epochs done, or where inside an epoch it stopped); stdout.log's
 * last progress line = speed and ETA of a run that is training now.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { readCheckpointMeta } from "../train/checkpoint-file.js";
import { BEST, FAILED, findCheckpoint, readFailure } from "../train/run-folder.js";
import { markdownTable } from "../util/table.js";
import { runDir, type Plan, type PlannedRun } from "./plan.js";
import { BUILT_IN_PLANS } from "./paths.js";
import { finishedRunProblem, type FinishedResults } from "./verify.js";

export type RunState = "done" | "invalid" | "running" | "paused" | "ready" | "waiting" | "failed" | "blocked";

export interface RunStatus {
  id: string;
  state: RunState;
  /** epochs completed */
  epochs: number;
  total: number;
  /** inside the current epoch (a stopped run's checkpoint, or a running run's last progress line) */
  step?: number;
  steps?: number;
  /** validation top-1 of the best epoch so far (by validation loss, once the architecture is final) */
  bestValTop1?: number;
  bestEpoch?: number;
  imagesPerSecond?: number;
  etaSeconds?: number;
  note?: string;
}

export interface Progress {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  imagesPerSecond: number;
  etaSeconds: number;
}

const fmtTime = (s: number | undefined) => (s === undefined || !Number.isFinite(s) ? "" : s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${(s / 60).toFixed(0)} min` : `${s.toFixed(0)} s`);

const UNITS: Record<string, number> = { s: 1, min: 60, h: 3600 };

/** The last progress line of a train.ts log ("epoch 3/40 step 200/1250 loss ... 512 img/s ETA 2.1 h"). */
export function lastProgress(log: string): Progress | null {
  const re = /epoch (\d+)\/(\d+) step (\d+)\/(\d+) loss \S+ lr \S+ (\d+) img\/s ETA ([\d.]+) (s|min|h)/g;
  let m: RegExpExecArray | null;
  let last: RegExpExecArray | null = null;
  while ((m = re.exec(log))) last = m;
  if (!last) return null;
  return { epoch: +last[1] - 1, epochs: +last[2], step: +last[3], steps: +last[4], imagesPerSecond: +last[5], etaSeconds: +last[6] * UNITS[last[7]] };
}

function tail(file: string, bytes = 8192): string {
  if (!fs.existsSync(file)) return "";
  const fd = fs.openSync(file, "r");
  try {
    const size = fs.fstatSync(fd).size;
    const n = Math.min(bytes, size);
    const buf = Buffer.alloc(n);
    fs.readSync(fd, buf, 0, n, size - n);
    return buf.toString("utf8");
  } finally {
    fs.closeSync(fd);
  }
}

export type Results = FinishedResults & { best: { val: { top1: number }; test: { top1: number; count?: number } }; trainSeconds: number };

/**
 * A finished run: its results.json, and why its files cannot be trusted as a result (verify.ts), or null. Paths of
 * the plan (its root, a teacher) are taken relative to `base`.
 */
export function readFinished(plan: Plan, run: PlannedRun, base = "."): { results: Results; resultsFile: string; problem: string | null } | null {
  const dir = path.resolve(base, runDir(plan, run.id));
  const resultsFile = path.join(dir, "results.json");
  if (!fs.existsSync(resultsFile)) return null;
  let results: Results;
  try {
    results = JSON.parse(fs.readFileSync(resultsFile, "utf8"));
  } catch (e) {
    return { results: {} as Results, resultsFile, problem: `${resultsFile}: not readable JSON (${(e as Error).message})` };
  }
  const bestFile = path.join(dir, BEST);
  const teacher = run.config.teacher ? path.resolve(base, run.config.teacher) : null;
  try {
    const best = fs.existsSync(bestFile) ? readCheckpointMeta(bestFile) : null;
    const teacherDigest = teacher && fs.existsSync(teacher) ? (readCheckpointMeta(teacher).modelDigest ?? null) : null;
    return { results, resultsFile, problem: finishedRunProblem(run.config, { results, resultsFile, best, bestFile, teacherDigest }) };
  } catch (e) {
    return { results, resultsFile, problem: (e as Error).message };
  }
}

type Finished = ReturnType<typeof readFinished>;
const verified = (f: Finished | undefined) => !!f && f.problem === null;

/**
 * The state of a run from its folder; `finished` holds readFinished of every run of the plan (read once per status);
 * `running` and `failed` come from the runner (it knows its children).
 */
function runStatus(plan: Plan, run: PlannedRun, finished: Map<string, Finished>, live: { running: Set<string>; failed: Map<string, string> }): RunStatus {
  const dir = runDir(plan, run.id);
  const total = run.config.epochs;
  const fin = finished.get(run.id);
  if (fin?.problem) return { id: run.id, state: "invalid", epochs: total, total, note: fin.problem };
  if (fin) {
    const res = fin.results;
    return { id: run.id, state: "done", epochs: total, total, bestValTop1: res.best.val.top1, bestEpoch: res.bestEpoch ?? undefined, note: `${fmtTime(res.trainSeconds)} training` };
  }
  const s: RunStatus = { id: run.id, state: "ready", epochs: 0, total };
  const last = findCheckpoint(dir, "last");
  if (last) {
    const m = readCheckpointMeta(last);
    s.epochs = m.epoch + 1;
    if (m.partial) {
      s.step = m.partial.step;
    }
    if (m.best) {
      s.bestEpoch = m.best.epoch;
      s.bestValTop1 = m.history.find((h) => h.epoch === m.best!.epoch)?.valTop1;
    }
    const h = m.history[m.history.length - 1];
    if (h) {
      s.imagesPerSecond = h.imagesPerSecond;
      s.etaSeconds = (total - s.epochs) * h.seconds;
    }
    s.state = "paused";
  }
  const recorded = readFailure(dir);
  if (live.running.has(run.id)) {
    s.state = "running";
    const p = lastProgress(tail(path.join(dir, "stdout.log")));
    if (p && p.epoch >= s.epochs - 1) {
      s.step = p.step;
      s.steps = p.steps;
      s.imagesPerSecond = p.imagesPerSecond;
      s.etaSeconds = p.etaSeconds;
    }
  } else if (live.failed.has(run.id) || recorded !== null) {
    s.state = "failed";
    s.note = live.failed.get(run.id) ?? `${recorded} (${path.join(dir, FAILED)}; the next npm run campaign tries again)`;
  } else if (!run.deps.every((d) => verified(finished.get(d)))) {
    const failedDep = run.deps.find((d) => live.failed.has(d) || readFailure(runDir(plan, d)) !== null || finished.get(d)?.problem);
    s.state = failedDep ? "blocked" : s.state === "paused" ? "paused" : "waiting";
    s.note = failedDep ? `needs ${failedDep}, which failed or is invalid` : `needs ${run.deps.filter((d) => !verified(finished.get(d))).join(", ")}`;
  }
  return s;
}

export function campaignStatus(plan: Plan, runs: PlannedRun[], live: { running: Set<string>; failed: Map<string, string> } = { running: new Set(), failed: new Map() }): RunStatus[] {
  const finished = new Map(plan.runs.map((r) => [r.id, readFinished(plan, r)]));
  return runs.map((r) => runStatus(plan, r, finished, live));
}

export const STATUS_HEADERS = ["run", "epoch", "best val top-1 %", "images/s", "ETA", "state"];

export function statusRows(st: RunStatus[]): string[][] {
  return st.map((s) => [
    s.id,
    `${s.epochs}/${s.total}${s.step !== undefined && s.state !== "done" ? ` +${s.step}${s.steps ? `/${s.steps}` : ""} steps` : ""}`,
    s.bestValTop1 === undefined ? "" : `${(100 * s.bestValTop1).toFixed(2)} (epoch ${s.bestEpoch! + 1})`,
    s.imagesPerSecond === undefined ? "" : s.imagesPerSecond.toFixed(0),
    s.state === "done" ? "" : fmtTime(s.etaSeconds),
    s.state + (s.note ? ` (${s.note})` : ""),
  ]);
}

/**
 * Fixed-width text table for the terminal and the log; `extra` adds a column (SLURM's state of each run's job, by
 * run id, for a campaign submitted with --scheduler slurm).
 */
export function statusText(st: RunStatus[], extra?: { header: string; cells: Map<string, string> }): string {
  const headers = extra ? [...STATUS_HEADERS, extra.header] : STATUS_HEADERS;
  const rows = [headers, ...statusRows(st).map((r, i) => (extra ? [...r, extra.cells.get(st[i].id) ?? ""] : r))];
  const w = headers.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(w[i])).join("  ").trimEnd()).join("\n");
}

/**
 * The command that continues `plan` with `more` flags: the depth plan is the default; a plan file is named by its path
 * (`file`, as the user gave it; without it, a placeholder).
 */
export function campaignCommand(plan: Plan, more = "", file?: string): string {
  const builtIn = (BUILT_IN_PLANS as string[]).includes(plan.name);
  const flag = plan.name === "depth" ? "" : builtIn ? ` --plan ${plan.name}` : ` --plan ${file ?? "<its plan file>"}`;
  return flag || more ? `npm run campaign --${flag}${more}` : "npm run campaign";
}

/** `by`: who wrote it, when not the plan's own runner (another plan's runner that trains some of its runs) */
export function statusMarkdown(plan: Plan, st: RunStatus[], when: string, machine: string, left = "", by?: string): string {
  const count = (x: RunState) => st.filter((s) => s.state === x).length;
  const cmd = (more: string) => campaignCommand(plan, more);
  return (
    `# Campaign "${plan.name}" (${plan.root})\n\n` +
    `Updated ${when} on ${machine}${by ? ` by ${by}` : ""}. ${count("done")} of ${st.length} runs done, ${count("running")} running, ${count("paused")} paused.\n` +
    (left ? `${left}\n` : "") +
    `Start or continue: \`${cmd("")}\`; stop: \`${cmd(" --stop")}\` (README, Depth campaign).\n\n` +
    markdownTable(STATUS_HEADERS, statusRows(st))
  );
}
