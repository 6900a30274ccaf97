/**
 * Tailor toward a per-skip policy (issue 27, item 1): the schedule worked by hand, the config's checks, and real
 * training runs: a mixed policy ends with its own skips, and the paper's two methods are the all-removed and
 * all-shortened policies (the same weights after the same run).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../src/backend/index.js";
import { finalSkipModes, tailorTargets } from "../src/experiment/index.js";
import { finishedRunProblem } from "../src/campaign/verify.js";
import { policyOf } from "../src/net/index.js";
import { ConfigError, DEFAULT_CONFIG, validateConfig, type TrainConfig } from "../src/train/config.js";
import { alterationSchedule, skipsAlteredAfterEpoch } from "../src/train/schedule.js";
import { runToEndAsync, startTailor, type TailorData, type TailorRun } from "../src/train/tailor.js";
import type { Model } from "../src/train/model.js";
import { syntheticImages } from "./helpers/synthetic-cifar.js";

beforeAll(async () => {
  await initBackend({ quiet: true });
});

describe("the alteration schedule of a policy", () => {
  it("alters only the skips that change, from the input end, one every k epochs (worked by hand)", () => {
    // ResNet-20's 9 skips, every 3 epochs: S at skip 0 after epoch 3, R at skip 1 after 6, R at skip 5 after 9
    const t = finalSkipModes("policy", 9, "SRLLLRLLL");
    expect(alterationSchedule(t, 3)).toEqual([
      { skip: 0, mode: "shortened", epoch: 3 },
      { skip: 1, mode: "removed", epoch: 6 },
      { skip: 5, mode: "removed", epoch: 9 },
    ]);
  });

  it("a uniform policy has the paper's schedule (skipsAlteredAfterEpoch)", () => {
    for (const every of [1, 3]) {
      const paper = Array.from({ length: 40 }, (_, e) => skipsAlteredAfterEpoch(e, 9, every).map((k) => [e, k])).flat();
      const ours = alterationSchedule(tailorTargets("remover", 9, "")!, every).map((a) => [a.epoch, a.skip]);
      expect(ours).toEqual(paper);
    }
  });

  it("methods that alter no skip have no targets; SkipShortener's are all shortened", () => {
    expect(tailorTargets("teacher", 3, "")).toBeNull();
    expect(tailorTargets("noskip", 3, "")).toBeNull();
    expect(finalSkipModes("noskip", 3, "")).toEqual(["removed", "removed", "removed"]);
    expect(tailorTargets("shortener", 3, "")).toEqual(["shortened", "shortened", "shortened"]);
  });
});

describe("a policy in the config", () => {
  const base: TrainConfig = { ...DEFAULT_CONFIG, net: "resnet8", method: "policy", teacher: "t.ckpt", form: "shortenable", policy: "SRL" };
  const err = (o: Partial<TrainConfig>) => {
    try {
      validateConfig({ ...base, ...o });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    return null;
  };

  it("accepts a policy that matches the network and its form", () => {
    expect(err({})).toBeNull();
    expect(err({ policy: "RRL", form: "plain" })).toBeNull();
  });

  it("refuses a wrong length, an unknown letter, a form that does not fit, no alteration, or a policy on another method", () => {
    expect(err({ policy: "SR" })).toMatch(/^policy: SR: expected 3 letters .*got 2 \(resnet8 has 3 skips\)/);
    expect(err({ policy: "SXL" })).toMatch(/^policy: SXL: position 2 is "X", expected L \(long\), S \(shortened\) or R \(removed\)/);
    expect(err({ policy: "SRL", form: "plain" })).toMatch(/^form: policy SRL runs in the shortenable form/);
    expect(err({ policy: "RRL", form: "shortenable" })).toMatch(/^form: policy RRL runs in the plain form/);
    expect(err({ policy: "LLL", form: "plain" })).toMatch(/^policy: LLL alters no skip/);
    expect(err({ policy: "" })).toMatch(/^policy: expected one letter per skip/);
    expect(err({ method: "remover", policy: "RRR", form: "plain" })).toMatch(/^policy: only --method policy takes a policy/);
  });

  it("before its teacher is read (schedule: false), the network is not known: the letters are checked, not the length", () => {
    // a ResNet-20 policy on the default net (resnet8): its teacher decides the network, read after this check
    const early = (o: Partial<TrainConfig>) => {
      try {
        validateConfig({ ...base, ...o }, { schedule: false });
      } catch (e) {
        return (e as Error).message;
      }
      return null;
    };
    expect(early({ policy: "SSSLSSLSS" })).toBeNull();
    expect(early({ policy: "SSSLSSLSX" })).toMatch(/^policy: SSSLSSLSX: position 9 is "X"/);
    expect(early({ policy: "LLLLLLLLL", form: "plain" })).toMatch(/^policy: LLLLLLLLL alters no skip/);
    // once the network is known, the length is
    expect(err({ policy: "SSSLSSLSS" })).toMatch(/^policy: SSSLSSLSS: expected 3 letters .*got 9 \(resnet8 has 3 skips\)/);
  });

  it("needs the epochs to alter the skips its policy alters, and only those (worked by hand)", () => {
    // RLS alters 2 skips, every 3 epochs: the last after epoch 6 (0-indexed), so 7 epochs; SkipRemover's 3 skips need 10
    expect(err({ policy: "RLS", epochs: 6, everyEpochs: 3 })).toMatch(/^epochs: .* alters 2 skips of resnet8 one every 3 epochs .* needs at least 7 epochs, got 6/);
    expect(err({ policy: "RLS", epochs: 7, everyEpochs: 3 })).toBeNull();
  });
});

describe("training toward a policy", () => {
  const data: TailorData = { train: syntheticImages(64, 1), test: syntheticImages(16, 2) };
  const config: TrainConfig = { ...DEFAULT_CONFIG, epochs: 1, batchSize: 16, valSize: 16, logEvery: 1000, lrMilestones: [] };
  const env = { test: 1 };
  const train = (r: TailorRun) => runToEndAsync(startTailor(r));
  const weights = (m: Model) => [...m.params].map(([k, v]) => [k, Array.from(v.dataSync())] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));

  it("a mixed policy ends with its own skips, altered in order, and verifies", async () => {
    const teacher = (await train({ config: { ...config, form: "shortenable" }, data, env })).model;
    const altered: [number, number, string][] = [];
    const c: TrainConfig = { ...config, method: "policy", form: "shortenable", policy: "RLS", teacher: "t", epochs: 3, everyEpochs: 1 };
    const r = await train({ config: c, data, env, teacher, onAlter: (e, k, m) => altered.push([e, k, m]) });
    expect(altered).toEqual([
      [1, 0, "removed"],
      [2, 2, "shortened"],
    ]);
    expect(policyOf(r.model.net)).toBe("RLS");
    // the best checkpoint is chosen once both alterations are done (after epoch 2, 0-indexed)
    expect(r.best!.epoch).toBe(2);
    const files = { results: { config: c, bestEpoch: 2 }, resultsFile: "results.json", best: { config: c, epoch: 2, net: r.model.net }, bestFile: "best.ckpt", teacherDigest: null };
    expect(finishedRunProblem(c, files)).toBeNull();
    // a checkpoint whose skips are another policy's is not this run's
    expect(finishedRunProblem(c, { ...files, best: { ...files.best, net: teacher.net } })).toMatch(/2 of its 3 skips are not as policy RLS sets them/);
  });

  it("the all-removed and all-shortened policies are SkipRemover and SkipShortener (the same weights)", async () => {
    for (const [m, form, policy] of [["remover", "plain", "RRR"], ["shortener", "shortenable", "SSS"]] as const) {
      const teacher = (await train({ config: { ...config, form }, data, env })).model;
      const common = { ...config, form, teacher: "t", epochs: 4, everyEpochs: 1 };
      const paper = await train({ config: { ...common, method: m }, data, env, teacher });
      const ours = await train({ config: { ...common, method: "policy", policy }, data, env, teacher });
      expect(policyOf(ours.model.net)).toBe(policy);
      expect(ours.history.map((h) => h.valLoss)).toEqual(paper.history.map((h) => h.valLoss));
      expect(weights(ours.model)).toEqual(weights(paper.model));
    }
  });
});
