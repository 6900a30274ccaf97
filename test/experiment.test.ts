// The vocabulary (src/experiment): one registry of networks, one table of methods, one run-id format.
import { describe, expect, it } from "vitest";
import {
  formatRunId,
  formOf,
  method,
  METHODS,
  NETWORK_NAMES,
  NETWORKS,
  parseRunId,
  sibling,
  referenceRole,
  roleNet,
  roleOf,
  runId,
  sweepNetworks,
  tailorPair,
  teacherRoleOf,
  TRAINABLE_NETS,
} from "../src/experiment/index.js";
import { lower, skipCount, skipModes } from "../src/net/index.js";

describe("the network registry", () => {
  it("every network builds in both block forms, with the name and depth its key says", () => {
    for (const n of NETWORK_NAMES) {
      for (const form of ["plain", "shortenable"] as const) {
        const net = NETWORKS[n].build({ form });
        expect(net.name.startsWith(n), `${n} ${form}: ${net.name}`).toBe(true);
        expect(skipModes(net).every((m) => m === "long")).toBe(true);
      }
      // weighted layers: ResNet-N has N conv and dense layers on its main path (projections aside)
      const g = lower(NETWORKS[n].build());
      const main = g.layers.filter((l) => (l.op === "conv" && !l.name.includes("proj") && !l.name.includes("short")) || l.op === "dense").length;
      if (n !== "resnet8") expect(main, n).toBe(Number(n.slice(6)));
    }
  });
  it("trains the CIFAR networks only, and the sweeps list theirs in the registry's order", () => {
    expect(TRAINABLE_NETS).toEqual(["resnet8", "resnet20", "resnet32", "resnet44", "resnet56", "resnet110"]);
    expect(sweepNetworks("hls4ml")).toEqual(["resnet8", "resnet20", "resnet56"]);
    expect(sweepNetworks("peArray")).toEqual(["resnet8", "resnet20", "resnet56", "resnet18", "resnet34", "resnet50"]);
    expect(NETWORKS.resnet56.label).toBe("ResNet-56");
  });
});

describe("the method table", () => {
  it("pairs each Tailor method with its teacher and block form", () => {
    expect(teacherRoleOf("remover")).toBe("teacher");
    expect(teacherRoleOf("shortener")).toBe("teacher-shortenable");
    expect(formOf("remover")).toBe("plain");
    expect(formOf("shortener")).toBe("shortenable");
    expect(formOf("teacher", "shortenable")).toBe("shortenable");
    expect(referenceRole("noskip")).toBe("teacher");
    expect(referenceRole("teacher-shortenable")).toBeNull();
    expect(roleOf("finetune", "shortenable")).toBe("teacher-shortenable");
    expect(roleOf("remover", "plain")).toBe("remover");
  });
  it("says which methods read a teacher and distil from it", () => {
    const kd = METHODS.filter((m) => method(m).kd);
    const fromTeacher = METHODS.filter((m) => method(m).fromTeacher);
    expect(kd).toEqual(["remover", "shortener", "policy", "noskip-kd"]);
    expect(fromTeacher).toEqual(["remover", "shortener", "policy", "finetune"]);
  });
  it("builds a student as its method leaves it: SkipRemover without skips, SkipShortener with short ones", () => {
    const { base, altered } = tailorPair("resnet20", "remover");
    expect(skipModes(base).every((m) => m === "long")).toBe(true);
    expect(skipModes(altered)).toEqual(Array(skipCount(base)).fill("removed"));
    expect(lower(altered).layers.some((l) => l.op === "add")).toBe(false);
    expect(skipModes(roleNet("resnet8", "shortener"))).toEqual(["shortened", "shortened", "shortened"]);
    expect(roleNet("resnet8", "shortener").blocks[0].form).toBe("shortenable");
  });
});

describe("run ids", () => {
  it("format and parse each other", () => {
    const cases = [
      ["resnet20/shortener", { net: "resnet20", role: "shortener", precision: "float", seed: 1 }],
      ["resnet20/qat4-remover-seed2", { net: "resnet20", role: "remover", precision: 4, seed: 2 }],
      ["resnet8/teacher-shortenable", { net: "resnet8", role: "teacher-shortenable", precision: "float", seed: 1 }],
      ["resnet56/noskip", { net: "resnet56", role: "noskip", precision: "float", seed: 1 }],
      ["resnet8/qat8-teacher", { net: "resnet8", role: "teacher", precision: 8, seed: 1 }],
      ["resnet8/teacher-batch128", { net: "resnet8", role: "teacher", precision: "float", seed: 1, batch: 128 }],
      ["resnet8/teacher-shortenable-batch128-seed2", { net: "resnet8", role: "teacher-shortenable", precision: "float", seed: 2, batch: 128 }],
      ["resnet20/policy-srl-batch64", { net: "resnet20", role: "policy", precision: "float", seed: 1, policy: "SRL", batch: 64 }],
    ] as const;
    for (const [id, parts] of cases) {
      expect(parseRunId(id)).toEqual(parts);
      expect(formatRunId(parts)).toBe(id);
    }
  });
  it("refuses what is not an id: an unknown network or role, a seed 1 written out", () => {
    for (const bad of ["resnet9/teacher", "resnet8/student", "resnet8/remover-seed1", "resnet8", "resnet8/teacher/x", "Resnet8/teacher", "resnet8/teacher-batch0", "resnet8/teacher-batch032", "resnet8/teacher-seed2-batch128"])
      expect(parseRunId(bad), bad).toBeNull();
    expect(() => runId("resnet8/student")).toThrow(/run id "resnet8\/student": expected "<net>\/\[qat<bits>-\]<role>\[-batch<b>\]\[-seed<s>\]"/);
    expect(() => formatRunId({ net: "resnet8", role: "teacher", batch: 0 })).toThrow(/batch 0 is not a whole number >= 1/);
  });
  it("a student's sibling teacher keeps its precision and batch, at seed 1", () => {
    expect(sibling(runId("resnet8/qat4-remover-batch128-seed2"), "teacher")).toBe("resnet8/qat4-teacher-batch128");
    expect(sibling(runId("resnet20/shortener-seed2"), "teacher-shortenable")).toBe("resnet20/teacher-shortenable");
  });
});
