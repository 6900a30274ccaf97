/** The codesign view (src/report/codesign.ts): hardware at the trained precision, the Pareto front, claim C8. */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_HLS4ML, PARTS } from "../src/hw/hls4ml/index.js";
import { DEFAULT_PE_ARRAY } from "../src/hw/pe-array/index.js";
import type { ClaimSpec } from "../src/report/claims.js";
import { hlsReferenceConfig } from "../src/report/hardware-claims.js";
import { roleNet as designNet, type Precision } from "../src/experiment/index.js";
import { checkC8, CODESIGN_HLS_REFERENCE, codesignFigure, codesignGap, codesignHardware, hlsAtPrecision, neverTruncatingAccBits, paretoFront, paperHeadline, type CodesignPoint, type Design } from "../src/report/codesign.js";
import { lower } from "../src/net/index.js";

const C8: ClaimSpec = { id: "C8", claim: "", metric: "", paper: 0, unit: "pp", tolerance: 0.5, group: "accuracy", check: "more-than", scope: { net: "resnet20", bits: 4, seeds: [1, 2] } };
const hw = { bram18: 0, lut: 0, ff: 0, dsp: 0, latencyCycles: 0, fits: true, peInferencesPerSecond: 0, peDramBytes: 0 };
const pt = (network: string, design: Design, precision: Precision, top1: number | null, hwOver = {}, seed = 1): CodesignPoint => ({
  network,
  design,
  precision,
  run: `${network}/${precision === "float" ? "" : `qat${precision}-`}${design}${seed === 1 ? "" : `-seed${seed}`}`,
  seed,
  state: top1 === null ? "in progress" : "done",
  stateLabel: top1 === null ? "in progress (epoch 3 of 15)" : "done",
  testTop1: top1,
  hw: { ...hw, ...hwOver },
});

describe("hardware at the trained precision", () => {
  it("hls4ml takes the trained widths, the accumulator their sum (float: ap_fixed<16,6> everywhere); the PE array stays at its native width", () => {
    expect(hlsAtPrecision(DEFAULT_HLS4ML, 4)).toMatchObject({ weightBits: 4, actBits: 4, accBits: 8 });
    // hls4ml's default precision is every variable's, the accumulator's too (graph.py, HLSConfig.get_precision's fallback)
    expect(hlsAtPrecision(DEFAULT_HLS4ML, "float")).toMatchObject({ weightBits: 16, actBits: 16, accBits: 16 });
    // the hls4ml reference configuration of data/claims.json (Resource strategy: weights in BRAM ROMs, LUT arithmetic)
    const claims = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "data", "claims.json"), "utf8"));
    const ref = hlsReferenceConfig(CODESIGN_HLS_REFERENCE, claims.references[CODESIGN_HLS_REFERENCE]);
    const at = (p: Precision) => codesignHardware("resnet8", "teacher", p, ref, DEFAULT_PE_ARRAY);
    const [f, b8, b4] = (["float", 8, 4] as Precision[]).map(at);
    // narrower data needs fewer FIFO bits and smaller arithmetic: could be false if the widths were not passed on
    expect(b4.bram18).toBeLessThan(b8.bram18);
    expect(b8.bram18).toBeLessThan(f.bram18);
    expect(b4.lut).toBeLessThan(b8.lut);
    expect(b8.lut).toBeLessThan(f.lut);
    expect([f.peDramBytes, b8.peDramBytes]).toEqual([b4.peDramBytes, b4.peDramBytes]);
    // the student differs from its teacher in its skips alone: removing them saves BRAM at every precision
    for (const p of ["float", 8, 4] as Precision[]) expect(codesignHardware("resnet8", "remover", p, ref, DEFAULT_PE_ARRAY).bram18).toBeLessThan(at(p).bram18);
  });
});

describe("the accumulator hls4ml would infer", () => {
  it("is the operands' widths plus ceil(log2) of the widest sum: ResNet-20's 3x3 convs over 64 channels, 576 products", () => {
    const c = hlsAtPrecision(DEFAULT_HLS4ML, 4);
    // 4 + 4 + ceil(log2 576) = 8 + 10; ResNet-8's widest conv also reads 64 channels
    expect(neverTruncatingAccBits(lower(designNet("resnet20", "teacher")), c)).toBe(18);
    // the two widths enter separately (8-bit weights, 4-bit activations): 8 + 4 + 10; the skips do not change the sum
    expect(neverTruncatingAccBits(lower(designNet("resnet8", "remover")), { ...c, weightBits: 8 })).toBe(22);
  });
});

describe("the Pareto front", () => {
  it("keeps the points no other beats in both cost and accuracy, by cost", () => {
    // (cost, acc): A(10, 90) B(5, 85) C(7, 84: B is cheaper and better) D(12, 90: A is cheaper, as good) E(3, 70)
    const pts = [{ cost: 10, acc: 90 }, { cost: 5, acc: 85 }, { cost: 7, acc: 84 }, { cost: 12, acc: 90 }, { cost: 3, acc: 70 }];
    expect(paretoFront(pts)).toEqual([4, 1, 0]);
  });
});

describe("claim C8", () => {
  const all = (r: number, s: number) => [
    pt("resnet20", "teacher", 4, 0.9),
    pt("resnet20", "remover", 4, 0.9 - r / 100),
    pt("resnet20", "teacher-shortenable", 4, 0.89),
    pt("resnet20", "shortener", 4, 0.89 - s / 100),
  ];
  it("is in progress, naming the runs, until ResNet-20's four 4-bit runs are done with an accuracy", () => {
    // "done" without a test accuracy (a record that lacks it) is not a result: its gap would be null, and null - x is -x
    const noAccuracy = all(2, 0.5);
    noAccuracy[1] = { ...noAccuracy[1], testTop1: null };
    // and waiting will not give it one
    expect(checkC8(C8, noAccuracy)).toMatchObject({ status: "not computed", ours: null });
    expect(checkC8(C8, noAccuracy).reason).toMatch(/^not computed: resnet20\/qat4-remover done, but without a test accuracy/);
    const pts = all(2, 0.5);
    pts[3] = pt("resnet20", "shortener", 4, null);
    const c = checkC8(C8, pts);
    expect(c.status).toBe("in progress");
    expect(c.ours).toBeNull();
    expect(c.reason).toBe("in progress: resnet20/qat4-shortener in progress (epoch 3 of 15)");
  });
  it("shortener gap minus remover gap: holds above the tolerance, not at or below it", () => {
    // remover loses 2 pp, shortener 0.5 pp: gaps -2 and -0.5, difference +1.5 > 0.5
    const yes = checkC8(C8, all(2, 0.5));
    expect(yes.ours).toBeCloseTo(1.5, 9);
    expect(yes.status).toBe("reproduced at reference");
    const no = checkC8(C8, all(1, 0.7));
    expect(no.ours).toBeCloseTo(0.3, 9);
    expect(no.atReference).toBe(false);
    expect(codesignGap(all(2, 0.5)[1], all(2, 0.5))).toBeCloseTo(-2, 9);
  });
  it("a difference of exactly 0.50 pp, from test top-1 values k/10,000, is not more than 0.5; 0.51 is", () => {
    let cases = 0;
    for (let t = 8000; t < 8300; t += 7)
      for (let ts = 8000; ts < 8200; ts += 13) {
        // remover 200 images below its teacher, shortener 150 (or 149) below its own: gaps -2.00 and -1.50 (-1.49)
        const pts = (s: number) => [pt("resnet20", "teacher", 4, t / 1e4), pt("resnet20", "remover", 4, (t - 200) / 1e4), pt("resnet20", "teacher-shortenable", 4, ts / 1e4), pt("resnet20", "shortener", 4, (ts - s) / 1e4)];
        expect(checkC8(C8, pts(150)).atReference, `t ${t} ts ${ts}: ${checkC8(C8, pts(150)).ours}`).toBe(false);
        expect(checkC8(C8, pts(149)).atReference).toBe(true);
        cases++;
      }
    expect(cases).toBeGreaterThan(500);
  });
  it("the other QAT pairs are listed beside the claim's own, which is not among them; the range covers all", () => {
    const pts = [...all(2, 0.5), pt("resnet20", "teacher", 8, 0.91), pt("resnet20", "remover", 8, 0.9), pt("resnet20", "teacher-shortenable", 8, 0.9), pt("resnet20", "shortener", 8, 0.895)];
    const c = checkC8(C8, pts);
    expect(c.configuration).toBe("resnet20 4-bit: SkipShortener gap -0.50 pp, SkipRemover gap -2.00 pp (test top-1 vs own QAT teacher); shortener minus remover elsewhere: resnet20 8-bit +0.50 pp");
    expect([c.range!.min, c.range!.max].map((v) => +v.toFixed(6))).toEqual([0.5, 1.5]);
    expect(checkC8(C8, all(2, 0.5)).configuration).not.toContain("elsewhere");
    // a pair still training is named: the range does not include it yet
    const partial = checkC8(C8, [...pts, pt("resnet8", "shortener", 4, null)]);
    expect(partial.configuration).toMatch(/; the range does not include yet \(still training\): resnet8\/qat4-shortener in progress \(epoch 3 of 15\)$/);
    expect(c.configuration).not.toContain("does not include");
    // off at the reference while other pairs train: not "not attainable" (the range is not all there)
    const off = [...all(0.5, 1.5), pt("resnet8", "shortener", 4, null)];
    expect(checkC8(C8, off)).toMatchObject({ status: "not at reference, range in progress", attainable: null });
    expect(checkC8(C8, all(0.5, 1.5)).status).toBe("not attainable");
    // a run that failed is not "still training": it will not join the range unless someone retrains it
    const failed = { ...pt("resnet8", "remover", 8, null), state: "failed", stateLabel: "failed: loss not finite at epoch 2" } as CodesignPoint;
    const f = checkC8(C8, [...pts, pt("resnet8", "shortener", 4, null), failed]);
    expect(f.configuration).toMatch(/still training\): resnet8\/qat4-shortener in progress \(epoch 3 of 15\); the range leaves out \(cannot finish as they are\): resnet8\/qat8-remover failed: loss not finite at epoch 2$/);
    // every other pair done, one failed: the range is not the whole plan's, so "not attainable" cannot be said yet
    const onlyFailed = checkC8(C8, [...all(0.5, 1.5), pt("resnet8", "shortener", 8, 0.8), failed]);
    expect(onlyFailed).toMatchObject({ status: "not at reference, range in progress", attainable: null });
    expect(onlyFailed.configuration).toMatch(/the range leaves out \(cannot finish as they are\): resnet8\/qat8-remover failed/);
  });
  it("a second seed's pair, paired seed with seed, is reported beside the value and never joins the range", () => {
    // seed 2: remover -1.00 (0.89 against 0.90), shortener -2.00 (0.87 against 0.89): shortener minus remover -1.00
    const seed2 = [pt("resnet20", "remover", 4, 0.89, {}, 2), pt("resnet20", "shortener", 4, 0.87, {}, 2)];
    // listed before the seed-1 students, so a lookup that ignored the seed would take them
    const c = checkC8(C8, [...all(2, 0.5).slice(0, 1), ...seed2, ...all(2, 0.5).slice(1)]);
    expect(c.ours).toBeCloseTo(1.5, 9);
    expect(c.configuration).toMatch(/; the same, another seed of the students \(not in the range\): resnet20 4-bit seed 2 -1\.00 pp$/);
    expect(c.range!.count).toBe(1);
    // a second seed above the bound does not make the claim attainable on the configuration it fails at
    const good2 = [pt("resnet20", "remover", 4, 0.88, {}, 2), pt("resnet20", "shortener", 4, 0.89, {}, 2)];
    expect(checkC8(C8, [...all(0.5, 1.5), ...good2])).toMatchObject({ status: "not attainable", attainable: false });
    // a second seed still training is named, and does not hold the range up
    const training = checkC8(C8, [...all(0.5, 1.5), seed2[0], pt("resnet20", "shortener", 4, null, {}, 2)]);
    expect(training.status).toBe("not attainable");
    expect(training.configuration).toMatch(/; another seed still training: resnet20\/qat4-shortener-seed2 in progress \(epoch 3 of 15\)$/);
  });
  it("why it does not hold reads right whatever the gaps' signs", () => {
    // both students above their teachers: shortener +1.00, remover +0.70 (the shortener's gap is the larger, and it
    // does better by 0.30 pp: not by more than 0.5)
    expect(checkC8(C8, all(-0.7, -1)).reason).toBe("SkipShortener does 0.30 pp better than SkipRemover, each against its own teacher (gaps +1.00 pp and +0.70 pp): the claim needs more than 0.5 pp better");
    // both below: shortener -1.00, remover -0.70: it does worse
    expect(checkC8(C8, all(0.7, 1)).reason).toBe("SkipShortener does 0.30 pp worse than SkipRemover, each against its own teacher (gaps -1.00 pp and -0.70 pp): the claim needs more than 0.5 pp better");
    expect(checkC8(C8, all(1, 1)).reason).toMatch(/^SkipShortener does as well as SkipRemover, each against its own teacher/);
  });
  it("the paper's headline savings come from the claims' own values", () => {
    const specs: ClaimSpec[] = [{ ...C8, id: "C1", paper: 34, unit: "%", quantity: "bram18" }, { ...C8, id: "C3", paper: 16, unit: "%", quantity: "lut" }];
    expect(paperHeadline(specs)).toBe('the paper\'s headline hls4ml savings ("up to", its own designs): BRAM 34%, LUT 16% saved');
  });
});

describe("the codesign figure", () => {
  type Trace = { name: string; x: number[]; y: number[]; yaxis?: string; showlegend?: boolean };
  const pts = [pt("resnet8", "teacher", "float", 0.83, { bram18: 120 }), pt("resnet8", "remover", 4, null, { bram18: 45 }), pt("resnet8", "shortener", 4, null, { bram18: 47 }), pt("resnet8", "teacher", 8, null, { bram18: 81 })];
  it("draws a design not trained yet in the strip above, never on the accuracy axis: its design's row, at its cost", () => {
    const fig = codesignFigure(pts, "resnet8");
    const data = fig.data as Trace[];
    const onAccuracy = data.filter((t) => (t.yaxis ?? "y") === "y" && t.x.some((x) => x !== null));
    expect(onAccuracy.map((t) => t.name)).toEqual(["teacher, float", "Pareto front of the designs that fit"]);
    const strip = data.filter((t) => t.yaxis === "y3");
    // rows are DESIGNS' order: teacher 0, remover 1, teacher-shortenable 2, shortener 3
    expect(strip.map((t) => [t.name, t.x[0], t.y[0]])).toEqual([
      ["teacher, 8-bit: no result yet", 81, 0],
      ["remover, 4-bit: no result yet", 45, 1],
      ["shortener, 4-bit: no result yet", 47, 3],
    ]);
    const layout = fig.layout as Record<string, { domain: number[] }>;
    // the strip and the accuracy panel do not overlap
    expect(layout.yaxis3.domain[0]).toBeGreaterThan(layout.yaxis.domain[1]);
    // one dotted line per precision and cost in each panel: BRAM18 3 (45, 47, 81); LUT (all 0 here) one per precision, 2
    expect((fig.layout.shapes as unknown[]).length).toBe(3 + 2);
  });
  it("draws the part's BRAM18 and LUT totals as a line in their panels, when given the part", () => {
    const lines = (fig: ReturnType<typeof codesignFigure>) => (fig.layout.shapes as { xref: string; x0: number; line: { dash?: string } }[]).filter((s) => !s.line.dash).map((s) => [s.xref, s.x0]);
    expect(lines(codesignFigure(pts, "resnet8"))).toEqual([]);
    const fig = codesignFigure(pts, "resnet8", "", PARTS.xc7z020);
    // DS190: 280 BRAM18 and 53,200 LUTs on the xc7z020
    expect(lines(fig)).toEqual([["x", 280], ["x2", 53_200]]);
    expect((fig.data as Trace[]).filter((t) => t.name.startsWith("xc7z020")).length).toBe(1);
  });
  it("draws the Pareto front over the designs that fit: a better design that does not fit is no choice", () => {
    // (BRAM18, top-1): a fitting 4-bit remover (40, 80%) and teacher (60, 82%); a float teacher (120, 85%) that does not fit
    const trained = [pt("resnet20", "remover", 4, 0.8, { bram18: 40 }), pt("resnet20", "teacher", 4, 0.82, { bram18: 60 }), pt("resnet20", "teacher", "float", 0.85, { bram18: 120, fits: false })];
    const front = (codesignFigure(trained, "resnet20", "", PARTS.xc7z020).data as Trace[]).filter((t) => t.name.startsWith("Pareto"));
    expect(front.map((t) => [t.name, t.x, t.y])).toEqual([
      ["Pareto front of the designs that fit the xc7z020", [40, 60], [80, 82]],
      // LUT: all 0 here, so the better fitting design alone
      ["Pareto front of the designs that fit the xc7z020", [0], [82]],
    ]);
  });
  it("says, under the title, that two markers of one kind are two seeds, when there are", () => {
    const one = [pt("resnet20", "remover", 4, 0.8)];
    const title = (ps: CodesignPoint[]) => (codesignFigure(ps, "resnet20", "note").layout.title as { text: string }).text;
    expect(title(one)).toMatch(/<sub>note<\/sub>$/);
    expect(title([...one, pt("resnet20", "remover", 4, 0.81, {}, 2)])).toMatch(/<sub>note; black outline: a second training seed of that student<\/sub>$/);
  });
  it("has no strip once every design is trained", () => {
    const fig = codesignFigure([pt("resnet8", "teacher", "float", 0.83, { bram18: 120 })], "resnet8");
    expect(fig.layout.yaxis3).toBeUndefined();
    expect((fig.layout.yaxis as { domain: number[] }).domain).toEqual([0, 1]);
    expect(fig.layout.shapes).toEqual([]);
  });
});
