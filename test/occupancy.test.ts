// FIFO occupancy over time (src/hw/hls4ml/occupancy.ts) from the simulation's token times (simulateTrace): a small
// case counted by hand, and on a real design its largest value at the token times is the simulation's own maximum.
import { describe, expect, it } from "vitest";
import { buildDesign, DEFAULT_HLS4ML, occupancyAt, simulate, simulateTrace } from "../src/hw/hls4ml/index.js";
import { lower, resnet8, withAllSkips } from "../src/net/index.js";

describe("FIFO occupancy over time", () => {
  it("counts by hand: tokens written at 0, 1, 2 and read at 2, 3, 5", () => {
    const w = Float64Array.from([0, 1, 2]);
    const r = Float64Array.from([2, 3, 5]);
    // at 2 the third token is written and the first read: a token read at t still counts at t (write first)
    expect(occupancyAt(w, r, [-1, 0, 1, 2, 3, 4, 5, 6])).toEqual([0, 1, 2, 3, 2, 1, 1, 0]);
  });

  it("on ResNet-8: simulateTrace agrees with simulate, and each stream's peak at its write times is its maximum occupancy", () => {
    const d = buildDesign(lower(withAllSkips(resnet8({ form: "shortenable" }), "long")), { ...DEFAULT_HLS4ML, reuseFactor: 8 });
    const depths = d.streams.map(() => Infinity);
    const t = simulateTrace(d, depths);
    const s = simulate(d, depths);
    expect({ deadlock: t.deadlock, latency: t.latency, interval: t.interval, maxOccupancy: t.maxOccupancy }).toEqual({ deadlock: s.deadlock, latency: s.latency, interval: s.interval, maxOccupancy: s.maxOccupancy });
    d.streams.forEach((st, i) => {
      expect(t.writes[i].length, st.name).toBe(st.pixels);
      const peak = Math.max(0, ...occupancyAt(t.writes[i], t.reads[i], [...t.writes[i]]));
      expect(peak, st.name).toBe(s.maxOccupancy[i]);
    });
    expect(d.streams.some((st) => st.skip && s.maxOccupancy[st.id] > 1)).toBe(true);
  });
});
