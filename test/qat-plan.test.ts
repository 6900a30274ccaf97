/** The QAT runs of the campaign (src/campaign/qat-plan.ts): after the depth study, from its float teachers. */
import { describe, expect, it } from "vitest";
import { depthPlan } from "../src/campaign/depth-plan.js";
import { bestCheckpointOf, selectRuns, trainFlags } from "../src/campaign/plan.js";
import { campaignPlan, QAT_NETS, qatClaimGroup } from "../src/campaign/qat-plan.js";
import { formatRunId, type Precision, type Role } from "../src/experiment/index.js";
import { codesignRun, type Design } from "../src/report/codesign.js";

const QAT_CLAIM = qatClaimGroup();
const qatRunId = (net: string, bits: number, role: Role, seed = 1) => formatRunId({ net, role, precision: bits, seed });
import { learningRate } from "../src/train/schedule.js";

describe("the campaign plan with the QAT runs", () => {
  const plan = campaignPlan();
  const depth = depthPlan();
  const run = (id: string) => plan.runs.find((r) => r.id === id)!;

  it("lists every depth run first, unchanged, then the QAT runs of ResNet-8 and ResNet-20 at 8 and 4 bits", () => {
    expect(plan.runs.slice(0, depth.runs.length)).toEqual(depth.runs);
    const qat = plan.runs.slice(depth.runs.length).map((r) => r.id);
    const want = [8, 4].flatMap((b) => ["resnet20", "resnet8"].flatMap((n) => ["teacher", "teacher-shortenable", "remover", "shortener"].map((role) => `${n}/qat${b}-${role}`)));
    // and last, a second seed of C8's own two students
    const seed2 = ["resnet20/qat4-remover-seed2", "resnet20/qat4-shortener-seed2"];
    expect(qat.slice(-2)).toEqual(seed2);
    expect([...qat.slice(0, -2)].sort()).toEqual([...want].sort());
    // C8's own four runs first, then group by group (network and precision), each group's teachers before its students
    expect(qat.slice(0, 4)).toEqual(["teacher", "teacher-shortenable", "remover", "shortener"].map((role) => qatRunId(QAT_CLAIM.net, QAT_CLAIM.bits, role as "teacher")));
    for (let g = 0; g < qat.length - 2; g += 4) {
      const group = qat.slice(g, g + 4);
      expect(new Set(group.map((id) => id.replace(/-.*/, ""))).size, group.join(", ")).toBe(1);
      expect(group.map((id) => /remover|shortener/.test(id))).toEqual([false, false, true, true]);
    }
  });

  it("each QAT teacher fine-tunes its float teacher after that network's depth runs; each student distils from its QAT teacher", () => {
    for (const net of ["resnet8", "resnet20"]) {
      const netDepth = depth.runs.filter((r) => r.id.startsWith(`${net}/`)).map((r) => r.id);
      for (const bits of [8, 4]) {
        for (const [role, float, student] of [["teacher", "teacher", "remover"], ["teacher-shortenable", "teacher-shortenable", "shortener"]] as const) {
          const t = run(qatRunId(net, bits, role));
          expect(t.config).toMatchObject({ method: "finetune", quantWeightBits: bits, quantActBits: bits, quantEdgeBits: 8, epochs: 15, lr: 0.01, lrMilestones: [10] });
          expect(t.config.teacher).toBe(bestCheckpointOf(plan, `${net}/${float}`));
          expect([...t.deps].sort()).toEqual([...netDepth].sort());
          const s = run(qatRunId(net, bits, student));
          expect(s.deps).toEqual([t.id]);
          expect(s.config).toMatchObject({ method: student, quantWeightBits: bits, quantActBits: bits, teacher: bestCheckpointOf(plan, t.id) });
          // the float student's schedule exactly: only the quantisers differ
          const f = depth.runs.find((r) => r.id === `${net}/${student}`)!.config;
          const { quantWeightBits: _w, quantActBits: _a, teacher: _t, ...rest } = s.config;
          const { quantWeightBits: _fw, quantActBits: _fa, teacher: _ft, ...frest } = f;
          expect(rest).toEqual(frest);
        }
      }
    }
    // the second seed differs from the first in its seed alone (same teacher, same split)
    for (const m of ["remover", "shortener"] as const) {
      const [s1, s2] = [1, 2].map((seed) => run(qatRunId(QAT_CLAIM.net, QAT_CLAIM.bits, m, seed)));
      expect(s2.deps).toEqual(s1.deps);
      expect(s2.config).toEqual({ ...s1.config, seed: 2 });
      expect(s1.config.seed).toBe(1);
    }
    // the codesign view finds each run by the id codesignRun builds from its network, design, precision and seed: a
    // run it cannot name would silently drop out of the figure and of C8
    for (const r of plan.runs.filter((x) => x.config.method === "remover" || x.config.method === "shortener" || x.config.method === "finetune" || (x.config.method === "teacher" && (x.id.startsWith("resnet8/") || x.id.startsWith("resnet20/"))))) {
      const c = r.config;
      const design = (c.method === "remover" || c.method === "shortener" ? c.method : c.form === "plain" ? "teacher" : "teacher-shortenable") as Design;
      const precision = (c.quantWeightBits ? c.quantWeightBits : "float") as Precision;
      if (!(QAT_NETS as string[]).includes(c.net)) continue;
      expect(codesignRun(c.net, design, precision, c.seed), `${r.id}`).toBe(r.id);
    }
    const ft = run("resnet8/qat4-teacher").config;
    expect([9, 10].map((e) => learningRate({ lr: ft.lr, gamma: ft.lrGamma, milestones: ft.lrMilestones }, e))).toEqual([0.01, 0.01 * 0.1]);
  });

  it("--only a network still selects a closed set of runs; the train flags carry the quantisers", () => {
    const sel = selectRuns(plan, "resnet8");
    const ids = new Set(sel.map((r) => r.id));
    for (const r of sel) for (const d of r.deps) expect(ids.has(d), `${r.id} needs ${d}`).toBe(true);
    expect(trainFlags(run("resnet20/qat4-shortener").config)).toEqual(expect.arrayContaining(["--quant-weight-bits", "4", "--quant-act-bits", "4", "--quant-edge-bits", "8", "--method", "shortener"]));
    // the depth runs' flags say float explicitly, which their (older) checkpoints compare equal to
    expect(trainFlags(run("resnet56/teacher").config)).toEqual(expect.arrayContaining(["--quant-weight-bits", "0", "--quant-act-bits", "0"]));
  });
});
