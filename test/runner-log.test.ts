// The runner's start line, written by the runner and read back by `--status` (src/campaign/runner-log.ts).
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { runnerStart, runnerStartLine } from "../src/campaign/runner-log.js";

const at = (t: string, msg: string) => `[${t}] ${msg}`;
const runnerLanes = (log: string, pid: number) => runnerStart(log, pid)?.lanes ?? null;

describe("the live runner's lanes", () => {
  it("the latest start line of that pid, not another runner's", () => {
    const log = [
      at("2026-12-06T10:00:00.000Z", runnerStartLine("policy", 10, "data/runs/policy", 2, 1, 10, 111)),
      at("2026-12-06T10:01:00.000Z", "status:"),
      at("2026-12-07T10:00:00.000Z", runnerStartLine("policy", 10, "data/runs/policy", 1, 1, 10, 222)),
      at("2026-12-07T10:05:00.000Z", runnerStartLine("policy", 10, "data/runs/policy", 3, 1, -5, 222)),
    ].join("\n");
    expect(runnerLanes(log, 111)).toBe(2);
    expect(runnerLanes(log, 222)).toBe(3);
    expect(runnerLanes(log, 333)).toBeNull();
    expect(runnerLanes("", 111)).toBeNull();
    // and when it started: the estimate takes that runner's epochs as the machine's speed now
    expect(runnerStart(log, 222)).toEqual({ lanes: 3, since: Date.parse("2026-12-07T10:05:00.000Z") / 1000 });
  });
  it("reads every start line of a committed campaign log as the runner wrote it", () => {
    const log = fs.readFileSync("data/runs/policy/campaign.log", "utf8");
    const starts = [...log.matchAll(/ (\d+) lanes of \d+ thread\(s\), nice -?\d+, pid (\d+)$/gm)].map((m) => ({ lanes: Number(m[1]), pid: Number(m[2]) }));
    expect(starts.length).toBeGreaterThan(0);
    // the latest start line of each pid (a pid the system reuses for a later runner reads as that runner)
    const latest = new Map(starts.map(({ lanes, pid }) => [pid, lanes]));
    for (const [pid, lanes] of latest) expect(runnerLanes(log, pid)).toBe(lanes);
  });
});
