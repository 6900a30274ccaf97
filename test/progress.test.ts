// The progress line: redrawn in place on a terminal, throttled plain lines without one.
import { describe, expect, it } from "vitest";
import { bar, eta, fitLine, formatDuration, ProgressLine } from "../src/util/progress.js";

function fakeStream(columns = 40) {
  const out: string[] = [];
  return { out, stream: { write: (s: string) => (out.push(s), true), columns, isTTY: true } as unknown as NodeJS.WriteStream };
}

describe("progress line", () => {
  it("on a terminal: one line redrawn with \\r and erase, cut to the width, log lines above it", () => {
    const { out, stream } = fakeStream(20);
    let t = 0;
    const p = new ProgressLine({ stream, tty: true, redrawEveryMs: 100, now: () => t });
    p.update("epoch 1 step 1");
    t = 50;
    p.update("epoch 1 step 2"); // throttled
    t = 200;
    p.update("epoch 1 step 3 loss 0.123456789");
    p.log("after epoch 1: skip 0 removed");
    p.done("done");
    expect(out).toEqual(["\repoch 1 step 1\x1b[K", "\repoch 1 step 3 los…\x1b[K", "\r\x1b[Kafter epoch 1: skip 0 removed\n", "\repoch 1 step 3 los…\x1b[K", "\r\x1b[K", "done\n"]);
  });

  it("without a terminal: plain lines at most every plainEveryMs, forced ones always", () => {
    const { out, stream } = fakeStream();
    let t = 0;
    const p = new ProgressLine({ stream, tty: false, plainEveryMs: 1000, now: () => t });
    p.update("a");
    t = 500;
    p.update("b");
    p.update("c", true);
    t = 1400;
    p.update("d");
    t = 1600;
    p.update("e");
    p.log("f");
    // "c" (forced, at 500) restarts the interval: "d" at 1400 is too soon, "e" at 1600 is not
    expect(out).toEqual(["a\n", "c\n", "e\n", "f\n"]);
  });

  it("formats", () => {
    expect(fitLine("abcdefghijklmnop", 12)).toBe("abcdefghij…");
    expect(fitLine("short", 80)).toBe("short");
    expect([formatDuration(42), formatDuration(210), formatDuration(7560), formatDuration(NaN)]).toEqual(["42 s", "3.5 min", "2.1 h", "?"]);
    expect(bar(0.5, 10)).toBe("[#####.....]");
    expect(eta(250, 1000, 5)).toEqual({ rate: 50, etaSeconds: 15 });
  });
});
