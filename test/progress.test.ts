// The progress line: redrawn in place on a terminal, throttled plain lines without one.
import { describe, expect, it } from "vitest";
import { bar, eta, evalProgressLine, fitLine, formatDuration, ProgressLine, RateMeter } from "../src/util/progress.js";

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

  it("without a terminal and plainUpdates false: one line per stage (its done line), log lines, no updates", () => {
    const { out, stream } = fakeStream();
    let t = 0;
    const p = new ProgressLine({ stream, tty: false, plainUpdates: false, now: () => t });
    p.update("[reproduce] depth study ...", true);
    t = 60_000;
    p.update("depth study: a (1/2), 10000/20000 images, 2000 img/s, ETA 5 s");
    p.log("[reproduce] missing.ckpt: missing");
    p.done("[reproduce] depth study: 10.0 s");
    p.update("[reproduce] codesign ...", true);
    p.done("[reproduce] codesign: 1.0 s");
    expect(out).toEqual(["[reproduce] missing.ckpt: missing\n", "[reproduce] depth study: 10.0 s\n", "[reproduce] codesign: 1.0 s\n"]);
  });

  it("an evaluation stage's line: rate over the stage so far, ETA of the images left at that rate", () => {
    let t = 1000;
    const m = new RateMeter(1000, () => t);
    // 500 images in the first 2 s: 250 img/s, 500 left -> 2 s
    t = 3000;
    expect(m.add(500)).toEqual({ done: 500, total: 1000, rate: 250, etaSeconds: 2 });
    // 300 more by 5 s: 800 in 4 s = 200 img/s, 200 left -> 1 s
    t = 5000;
    const s = m.add(300);
    expect(s).toEqual({ done: 800, total: 1000, rate: 200, etaSeconds: 1 });
    expect(evalProgressLine({ stage: "depth study", item: "resnet20/teacher", index: 3, items: 14, ...s })).toBe("depth study: resnet20/teacher (3/14), 800/1000 images, 200 img/s, ETA 1 s");
    // before any time has passed there is no rate: the ETA is unknown
    const first = new RateMeter(10_000, () => 0).add(0);
    expect(evalProgressLine({ stage: "codesign", item: "x", index: 1, items: 1, ...first })).toBe("codesign: x (1/1), 0/10000 images, 0 img/s, ETA ?");
    // 140,000 images at 2,300 img/s after 1 s (2,300 done): 137,700 left -> 59.87 s, under a minute: whole seconds
    let u = 0;
    const big = new RateMeter(140_000, () => u);
    u = 1000;
    expect(evalProgressLine({ stage: "depth study", item: "resnet8/teacher", index: 1, items: 14, ...big.add(2300) })).toBe("depth study: resnet8/teacher (1/14), 2300/140000 images, 2300 img/s, ETA 60 s");
  });
});
