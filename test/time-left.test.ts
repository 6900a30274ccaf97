// The campaign's estimate of what is left (src/campaign/time-left.ts), on logs and plans built by hand.
import { describe, expect, it } from "vitest";
import type { PlannedRun } from "../src/campaign/plan.js";
import type { RunStatus } from "../src/campaign/status.js";
import { epochWallSeconds, scheduleSeconds, timeLeft, timeLeftText } from "../src/campaign/time-left.js";
import type { NetName } from "../src/experiment/index.js";
import { DEFAULT_CONFIG, type TrainConfig } from "../src/train/config.js";

/** a log.jsonl whose epoch records are `gaps` seconds apart (a start record first, as train.ts writes) */
const log = (gaps: number[]) => {
  let t = Date.parse("2026-11-26T00:00:00Z");
  const lines = [JSON.stringify({ t: new Date(t).toISOString(), event: "start" }), JSON.stringify({ t: new Date(t).toISOString(), event: "epoch", epoch: 0 })];
  gaps.forEach((g, i) => {
    t += g * 1000;
    lines.push(JSON.stringify({ t: new Date(t).toISOString(), event: "epoch", epoch: i + 1 }));
  });
  return lines.join("\n") + "\n";
};

describe("epoch wall time", () => {
  it("the median of the latest gaps between epoch records: a stop (one long gap) and an older, slower machine do not count", () => {
    expect(epochWallSeconds(log([100, 100, 5000, 100, 102]))).toBe(100);
    // 10 slow epochs on an old machine, then 8 at 60 s: only the last 8 gaps count
    expect(epochWallSeconds(log([...Array(10).fill(150), ...Array(8).fill(60)]))).toBe(60);
    expect(epochWallSeconds(log([100]))).toBeNull();
    expect(epochWallSeconds(log([100, 100]) + '{"t":"2026-11-26T01:00:00Z","event":"epo')).toBe(100);
  });
});

describe("time left", () => {
  const run = (id: string, net: NetName, method: TrainConfig["method"], epochs: number, quant = 0): PlannedRun => ({ id, deps: [], config: { ...DEFAULT_CONFIG, net, method, epochs, quantActBits: quant, quantWeightBits: quant } });
  const st = (id: string, state: RunStatus["state"], epochs: number, total: number, step?: number, steps?: number): RunStatus => ({ id, state, epochs, total, step, steps });
  const runs = [
    run("r8/teacher", "resnet8", "teacher", 40),
    run("r8/remover", "resnet8", "remover", 14),
    run("r56/teacher", "resnet56", "teacher", 40),
    run("r56/remover", "resnet56", "remover", 38),
    run("r56/noskip", "resnet56", "noskip", 40),
    run("r8/qat", "resnet8", "finetune", 15, 4),
    run("r8/broken", "resnet8", "teacher", 40),
  ];
  const logs = new Map([
    ["r8/teacher", log([20, 20, 20])],
    ["r8/remover", log([30, 30, 30])],
    ["r56/teacher", log([200, 200, 200])],
  ]);
  it("own epochs, else the kind's, else the network's other mode times the ratio on another network; done and invalid need none", () => {
    const t = timeLeft(runs, [
      st("r8/teacher", "done", 40, 40),
      st("r8/remover", "running", 4, 14, 500, 1000),
      st("r56/teacher", "paused", 37, 40),
      st("r56/remover", "waiting", 0, 38),
      st("r56/noskip", "ready", 0, 40),
      st("r8/qat", "waiting", 0, 15),
      st("r8/broken", "invalid", 40, 40),
    ], logs);
    // r8/remover 9.5 epochs x 30 s; r56/teacher 3 x 200; r56/remover 38 x 200 x (30 / 20); r56/noskip (no KD, float) 40 x 200
    expect(t.laneSeconds).toBeCloseTo(9.5 * 30 + 3 * 200 + 38 * 300 + 40 * 200, 6);
    expect(t.scaled).toEqual(["r56/remover"]);
    expect(t.unknown).toEqual(["r8/qat"]);
    expect(timeLeftText(t, 2)).toMatch(/^Left: about 2\.8 h on 2 lanes \(5\.6 lane-hours, .*; 1 scaled from .*\), not counting 1 run of a kind not measured yet \(r8\/qat\)\.$/);
  });

  it("the wall time: runs training keep their lanes, a free lane takes the first run in plan order whose dependencies are done", () => {
    const r = (id: string, deps: string[] = []): PlannedRun => ({ ...run(id, "resnet8", "teacher", 10), deps });
    const plan = [r("a"), r("b"), r("c"), r("d", ["a"]), r("e", ["c"]), r("f", ["x"]), r("x"), r("g")];
    const states = [st("a", "running", 0, 10), st("b", "running", 0, 10), st("c", "ready", 0, 10), st("d", "waiting", 0, 10), st("e", "waiting", 0, 10), st("f", "blocked", 0, 10), st("x", "failed", 0, 10), st("g", "done", 10, 10)];
    const secs = new Map([["a", 100], ["b", 300], ["c", 200], ["d", 50], ["e", 10]]);
    // 2 lanes: a and b from 0; a ends at 100 and c (first ready) starts, ending at 300 with b; then d (300-350) and
    // e (300-310); f waits on the failed x and never starts
    expect(scheduleSeconds(plan, states, secs, 2)).toBe(350);
    // 1 lane: a and b are training already (both run on); at 300 c (to 500), then d (550), then e (560)
    expect(scheduleSeconds(plan, states, secs, 1)).toBe(560);
    // 3 lanes: c starts at 0 too, e at 200 (210), d at 100 (150): b's 300 is the end
    expect(scheduleSeconds(plan, states, secs, 3)).toBe(300);
    // a selection (--only) whose runs depend on a run outside it, done (the runner checks): they are scheduled, not
    // left out (c and e alone on 2 lanes: c 0-200, then e 200-210; on 1 lane the same)
    const only = [r("c", ["t"]), r("e", ["c"])];
    expect(scheduleSeconds(only, [st("c", "ready", 0, 10), st("e", "waiting", 0, 10)], secs, 2)).toBe(210);
    const t = { laneSeconds: 660, runSeconds: secs, scaled: [], unknown: [] };
    expect(timeLeftText(t, 2, 350 * 36)).toMatch(/^Left: about 3\.5 h on 2 lanes, the runs taken in plan order as their dependencies finish, each at one lane's speed \(0\.2 lane-hours, /);
  });

  it("a runner on a slower machine: its own epochs give its runs' speed, and the epochs measured before it are scaled by the change it saw on the same runs", () => {
    const T0 = Date.parse("2026-11-26T00:00:00Z") / 1000;
    /** epoch records `gaps` apart from `start`, then (after a stop) `later` apart from `resume` */
    const twoMachines = (start: number, gaps: number[], resume: number, later: number[]) => {
      const lines: string[] = [];
      const at = (t: number, epoch: number) => lines.push(JSON.stringify({ t: new Date(t * 1000).toISOString(), event: "epoch", epoch }));
      let t = start;
      let e = 0;
      at(t, e++);
      for (const g of gaps) at((t += g), e++);
      t = resume;
      if (later.length) at(t, e++);
      for (const g of later) at((t += g), e++);
      return lines.join("\n") + "\n";
    };
    const since = T0 + 100_000;
    const runs2 = [run("r56/teacher", "resnet56", "teacher", 40), run("r56/remover", "resnet56", "remover", 38), run("r56/noskip", "resnet56", "noskip", 40)];
    const logs2 = new Map([
      // done on the old machine
      ["r56/teacher", log([200, 200, 200])],
      // 100 s an epoch before this runner, 300 s since (the first gap after the resume begins after `since`)
      ["r56/remover", twoMachines(T0, [100, 100, 100], since + 60, [300, 310, 290])],
    ]);
    const states = [st("r56/teacher", "done", 40, 40), st("r56/remover", "running", 7, 38), st("r56/noskip", "ready", 0, 40)];
    const t = timeLeft(runs2, states, logs2, since);
    expect(t.speedFactor).toBeCloseTo(3, 9);
    // the remover at its own speed since the runner started; the no-skip baseline at the teacher's kind, times 3
    expect(t.runSeconds.get("r56/remover")).toBe(31 * 300);
    expect(t.runSeconds.get("r56/noskip")).toBe(40 * 200 * 3);
    expect(timeLeftText(t, 2)).toContain("; epochs measured before this runner started times 3.00, the change this runner measured on the same runs");
    // without the runner's start (no live runner): every epoch counts, the newest 8 gaps; nothing scaled
    const plain = timeLeft(runs2, states, logs2);
    expect(plain.speedFactor).toBeUndefined();
    expect(plain.runSeconds.get("r56/noskip")).toBe(40 * 200);
    // a change within the other lane's load (15%) is not another machine: not scaled
    const close = new Map([...logs2, ["r56/remover", twoMachines(T0, [100, 100, 100], since + 60, [110, 110, 110])]]);
    expect(timeLeft(runs2, states, close, since).speedFactor).toBeUndefined();
    expect(timeLeft(runs2, states, close, since).runSeconds.get("r56/noskip")).toBe(40 * 200);
  });
});

