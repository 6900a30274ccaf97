// The campaign's estimate of what is left (src/campaign/time-left.ts), on logs and plans built by hand.
import { describe, expect, it } from "vitest";
import type { PlannedRun } from "../src/campaign/plan.js";
import type { RunStatus } from "../src/campaign/status.js";
import { epochWallSeconds, timeLeft, timeLeftText } from "../src/campaign/time-left.js";
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
});
