// The sweep summaries read designs that fit their part only (figures/hls4ml-summary.md says so in its heading): a
// design too large for its part moves neither the savings nor the latency change. Rows made up by hand.
import { describe, expect, it } from "vitest";
import type { HlsRow } from "../src/report/hls4ml-sweep.js";
import { hlsLatency, hlsSaving } from "../src/report/summary.js";

const row = (fits: boolean, latency: number, bram18: number, label: string) =>
  ({ network: "resnet8", method: "remover", label, shortImpl: "-", strategy: "Latency", part: "xc7z020", fits, base: { bram18: 100 }, change: { bram18, ff: 0, lut: 0, dsp: 0, latency } }) as unknown as HlsRow;

describe("the hls4ml summary", () => {
  const rows = [row(true, 0.1, -20, "a"), row(true, -0.3, -30, "b"), row(false, 4.8, -60, "too large")];

  it("the largest latency change (either way) and its median among the designs that fit", () => {
    expect(hlsLatency(rows)).toEqual({ value: 0.3, where: "resnet8 remover, b", median: expect.closeTo(0.2, 12), count: 2 });
  });

  it("the largest saving among the same designs", () => {
    expect(hlsSaving(rows, "bram18")).toMatchObject({ value: 30, count: 2 });
  });

  it("no design fits: no value, and says so", () => {
    expect(hlsLatency([rows[2]])).toMatchObject({ value: NaN, where: "no design fits", count: 0 });
  });
});
