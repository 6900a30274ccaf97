/**
 * How long the rest of a campaign will take, from what it has measured: a run's epoch takes the wall time its own
 * epochs took, or, before it has any, what epochs of runs of the same network and kind took (a KD student also runs
 * its teacher's forward pass; a quantised run its quantisers). Wall time includes validation and the other lane's
 * load, as the campaign runs. An estimate, printed as one.
 */
import { median } from "../util/stats.js";
import { method } from "../experiment/index.js";
import type { PlannedRun } from "./plan.js";
import type { RunStatus } from "./status.js";

/** the gaps an epoch's time is read from: the latest ones (a run resumed on another machine takes that one's speed) */
const RECENT_GAPS = 8;

/** the times (seconds) of a log.jsonl's epoch records, in order */
function epochTimes(logText: string): number[] {
  const times: number[] = [];
  for (const line of logText.split("\n")) {
    if (!line.includes('"event":"epoch"')) continue;
    try {
      const t = Date.parse(JSON.parse(line).t);
      if (Number.isFinite(t)) times.push(t / 1000);
    } catch {
      // a torn last line of a run that was killed: skip it
    }
  }
  return times;
}

/** a gap between consecutive epoch records: when its first record was written, and its length (seconds) */
interface Gap {
  from: number;
  seconds: number;
}

function epochGaps(logText: string): Gap[] {
  const times = epochTimes(logText);
  return times.slice(1).map((t, i) => ({ from: times[i], seconds: t - times[i] })).filter((g) => g.seconds > 0);
}

/** the median of the latest RECENT_GAPS gaps */
const recentMedian = (gaps: Gap[]) => median(gaps.slice(-RECENT_GAPS).map((g) => g.seconds));

/** epochWallSeconds on gaps already read */
function wallSeconds(all: Gap[], since?: number): number | null {
  if (since === undefined) return all.length >= 2 ? recentMedian(all) : null;
  const recent = all.filter((g) => g.from >= since);
  return recent.length >= 1 ? recentMedian(recent) : null;
}

/**
 * Wall seconds per epoch of a run: the median of the last RECENT_GAPS gaps between consecutive epoch records of its
 * log.jsonl (a stop between two epochs makes one gap long, which the median ignores); null with fewer than 3 records.
 * With `since`, only the gaps that began after it (the epochs of the runner started then: one is enough, as an
 * epoch of a ResNet-56 on a slow machine takes half an hour), null with none.
 */
export const epochWallSeconds = (logText: string, since?: number): number | null => wallSeconds(epochGaps(logText), since);

/** speedFactor on each run's gaps already read */
function factorOf(gapsOfRuns: Gap[][], since: number): number | null {
  const ratios: number[] = [];
  for (const gaps of gapsOfRuns) {
    const now = wallSeconds(gaps, since);
    const before = gaps.filter((g) => g.from + g.seconds <= since);
    if (now !== null && before.length >= 2) ratios.push(now / recentMedian(before));
  }
  return ratios.length ? median(ratios) : null;
}

/**
 * How much longer an epoch takes now than it did: over the runs with epochs both before and after `since` (the
 * runner's start), the median of their recent epoch time over their earlier one; null when no run has both. A
 * campaign resumed on another machine (the policy campaign went from an Intel Xeon to an AMD EPYC 3 times slower a
 * core, 2026-12-07) would otherwise estimate its unstarted runs at the old machine's speed.
 */
export const speedFactor = (logs: Map<string, string>, since: number): number | null => factorOf([...logs.values()].map(epochGaps), since);

/** how a run trains, apart from its network: KD or not, quantised or not (each costs more per epoch) */
const modeOf = (r: PlannedRun) => `${method(r.config.method).kd ? "kd" : "no-kd"} ${r.config.quantActBits > 0 || r.config.quantWeightBits > 0 ? "qat" : "float"}`;

/** runs whose epochs take alike: same network and mode */
export const speedKind = (r: PlannedRun) => `${r.config.net} ${modeOf(r)}`;

export interface TimeLeft {
  /** summed over the runs still to train, in seconds of one lane */
  laneSeconds: number;
  /** each run still to train (and estimated), in seconds of one lane */
  runSeconds: Map<string, number>;
  /** runs estimated from their network's other mode times that mode's ratio measured on another network */
  scaled: string[];
  /** runs that will train but have no measured epoch of their kind yet, nor a ratio to scale one */
  unknown: string[];
  /** speedFactor, when the runner's start was given and it differs from 1 by more than SPEED_CHANGE: the earlier epochs were scaled by it */
  speedFactor?: number;
}

/** a change of epoch time below this share is the other lane's load, not another machine: no scaling */
const SPEED_CHANGE = 0.15;

/**
 * `logs`: each run's log.jsonl text (absent: no log yet). Done and invalid runs need no time. `since`: the live
 * runner's start (seconds): a run's epochs since then give its speed; epochs measured before it are scaled by
 * speedFactor when this runner's epochs take much longer or shorter than the same runs' earlier ones.
 */
export function timeLeft(runs: PlannedRun[], st: RunStatus[], logs: Map<string, string>, since?: number): TimeLeft {
  // each log read once
  const gaps = new Map([...logs].map(([id, text]) => [id, epochGaps(text)]));
  const f = since === undefined ? null : factorOf([...gaps.values()], since);
  const factor = f !== null && Math.abs(f - 1) > SPEED_CHANGE ? f : 1;
  const own = new Map<string, number>();
  for (const r of runs) {
    const g = gaps.get(r.id);
    if (!g) continue;
    const now = since === undefined ? null : wallSeconds(g, since);
    const before = wallSeconds(g);
    const s = now ?? (before === null ? null : before * factor);
    if (s !== null) own.set(r.id, s);
  }
  const byKind = new Map<string, number[]>();
  for (const r of runs) if (own.has(r.id)) byKind.set(speedKind(r), [...(byKind.get(speedKind(r)) ?? []), own.get(r.id)!]);
  const kindSeconds = (net: string, mode: string) => (byKind.has(`${net} ${mode}`) ? median(byKind.get(`${net} ${mode}`)!) : null);
  const nets = [...new Set(runs.map((r) => r.config.net))];
  const modes = [...new Set(runs.map(modeOf))];
  // an unmeasured kind: its network's epoch in another mode, times the ratio of the two modes on other networks
  const scaledSeconds = (r: PlannedRun): number | null => {
    const ratios: number[] = [];
    let base: number | null = null;
    for (const m of modes) {
      const same = kindSeconds(r.config.net, m);
      if (same === null) continue;
      const rs = nets.flatMap((n) => {
        const [a, b] = [kindSeconds(n, modeOf(r)), kindSeconds(n, m)];
        return n !== r.config.net && a !== null && b !== null ? [a / b] : [];
      });
      if (rs.length) {
        base = same;
        ratios.push(...rs);
        break;
      }
    }
    return base === null ? null : base * median(ratios);
  };
  let laneSeconds = 0;
  const runSeconds = new Map<string, number>();
  const scaled: string[] = [];
  const unknown: string[] = [];
  for (const r of runs) {
    const s = st.find((x) => x.id === r.id);
    if (!s || s.state === "done" || s.state === "invalid") continue;
    let perEpoch = own.get(r.id) ?? kindSeconds(r.config.net, modeOf(r));
    if (perEpoch === null) {
      perEpoch = scaledSeconds(r);
      if (perEpoch !== null) scaled.push(r.id);
    }
    if (perEpoch === null) {
      unknown.push(r.id);
      continue;
    }
    const inEpoch = s.step !== undefined && s.steps ? s.step / s.steps : 0;
    const seconds = Math.max(0, s.total - s.epochs - inEpoch) * perEpoch;
    runSeconds.set(r.id, seconds);
    laneSeconds += seconds;
  }
  return { laneSeconds, runSeconds, scaled, unknown, ...(factor !== 1 ? { speedFactor: factor } : {}) };
}

/**
 * Wall seconds until the last run finishes on `lanes` lanes, as the runner schedules: the runs training now keep their
 * lanes; a free lane takes the first run in plan order that is not done and whose dependencies are; each run takes
 * its `runSeconds` (a run not in it, not estimated, takes none). Runs that can never start (a dependency failed or
 * invalid) are left out. A lane-speed model: a run left alone is widened to every core by the runner, which this
 * does not count, so the tail is estimated long.
 */
export function scheduleSeconds(runs: PlannedRun[], st: RunStatus[], runSeconds: Map<string, number>, lanes: number): number {
  const state = new Map(st.map((s) => [s.id, s.state]));
  // a dependency outside `runs` (a selection, --only) is done: the runner refuses to start otherwise
  const ids = new Set(runs.map((r) => r.id));
  const outside = runs.flatMap((r) => r.deps.filter((d) => !ids.has(d)));
  const finished = new Set([...runs.filter((r) => state.get(r.id) === "done").map((r) => r.id), ...outside]);
  const pending = runs.filter((r) => !finished.has(r.id) && state.get(r.id) !== "invalid" && state.get(r.id) !== "failed" && state.get(r.id) !== "blocked");
  // training now: [end time, id], first on the lanes
  const busy: [number, string][] = pending.filter((r) => state.get(r.id) === "running").map((r) => [runSeconds.get(r.id) ?? 0, r.id]);
  const queued = pending.filter((r) => state.get(r.id) !== "running");
  let now = 0;
  for (;;) {
    while (busy.length < lanes) {
      const i = queued.findIndex((r) => r.deps.every((d) => finished.has(d)));
      if (i < 0) break;
      const [r] = queued.splice(i, 1);
      busy.push([now + (runSeconds.get(r.id) ?? 0), r.id]);
    }
    if (!busy.length) return now;
    busy.sort((a, b) => a[0] - b[0]);
    const [end, id] = busy.shift()!;
    now = end;
    finished.add(id);
  }
}

/**
 * One line for the status: hours until the last run ends on `lanes` lanes (`wallSeconds`, from scheduleSeconds; without
 * it, the lane-hours shared evenly), the lane-hours, and what the estimate leaves out.
 */
export function timeLeftText(t: TimeLeft, lanes: number, wallSeconds?: number): string {
  const h = (s: number) => (s / 3600).toFixed(1);
  const wall = wallSeconds === undefined ? `about ${h(t.laneSeconds / lanes)} h on ${lanes} lane${lanes === 1 ? "" : "s"} (` : `about ${h(wallSeconds)} h on ${lanes} lane${lanes === 1 ? "" : "s"}, the runs taken in plan order as their dependencies finish, each at one lane's speed (`;
  return (
    `Left: ${wall}${h(t.laneSeconds)} lane-hours, each run at the measured wall time per epoch of its own or its kind's epochs` +
    (t.speedFactor !== undefined ? `; epochs measured before this runner started times ${t.speedFactor.toFixed(2)}, the change this runner measured on the same runs` : "") +
    (t.scaled.length ? `; ${t.scaled.length} scaled from their network's other runs by a ratio measured on another network` : "") +
    ")" +
    (t.unknown.length ? `, not counting ${t.unknown.length} run${t.unknown.length === 1 ? "" : "s"} of a kind not measured yet (${t.unknown.join(", ")})` : "") +
    "."
  );
}
