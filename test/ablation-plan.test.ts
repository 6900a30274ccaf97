// `npm run train:cifar` as a campaign plan (src/campaign/ablation-plan.ts): its short schedule is what the committed
// ResNet-8 runs (data/runs/resnet8-short) recorded, field by field, so the runner would continue them, not start over.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ablationPlan } from "../src/campaign/ablation-plan.js";
import { runDir } from "../src/campaign/plan.js";
import { configDifferences } from "../src/train/config-compare.js";

const ROOT = path.join(__dirname, "..");

describe("the ablation plan (train:cifar)", () => {
  it("its short schedule is the committed ResNet-8 runs' recorded config, the teacher's path aside", () => {
    const plan = ablationPlan({ net: "resnet8", schedule: "short", root: "data/runs/resnet8-short", seed: 1 });
    expect(plan.runs).toHaveLength(7);
    for (const r of plan.runs) {
      const dir = path.join(ROOT, runDir(plan, r.id));
      expect(dir.endsWith(path.join("resnet8-short", r.id.split("/")[1])), dir).toBe(true);
      const saved = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8")).config;
      // the committed students name their teacher by the first checkpoint format's path (runs/.../best.ckpt.json)
      expect(configDifferences(saved, r.config).filter(([k]) => k !== "teacher"), r.id).toEqual([]);
      expect(Boolean(saved.teacher), r.id).toBe(Boolean(r.config.teacher));
    }
  });
  it("its full schedule is the authors' recipe for every run; every student and KD baseline reads its own teacher", () => {
    const plan = ablationPlan({ net: "resnet20", schedule: "full", root: "x", seed: 3 });
    for (const r of plan.runs) expect(r.config, r.id).toMatchObject({ net: "resnet20", epochs: 200, lrStep: 30, everyEpochs: 3, valSize: 10_000, teacherBn: "batch", seed: 3 });
    const by = (role: string) => plan.runs.find((r) => r.id === `resnet20/${role}`)!;
    expect(by("shortener").deps).toEqual(["resnet20/teacher-shortenable"]);
    expect(by("shortener").config.teacher).toBe(path.join("x", "teacher-shortenable", "best.ckpt"));
    expect(by("noskip-kd").deps).toEqual(["resnet20/teacher"]);
    expect(by("shortened-scratch").config).toMatchObject({ form: "shortenable", teacher: "" });
    expect(by("teacher-shortenable").config.form).toBe("shortenable");
  });
});
