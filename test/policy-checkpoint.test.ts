/**
 * The policy search of a loaded network (`npm run policy -- --checkpoint`): a network with one block form has the
 * policies of that form (plain: L and R; shortenable: those that shorten a skip, and itself), each costed as the
 * built-in search costs the same design (costPolicy, one design at a time, is the reference), on any number of
 * threads; the CLI on a committed run's checkpoint and on a network the trainer does not build.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadClaimSpecs } from "../src/experiment/index.js";
import { loadCostConfig } from "../src/handoff/cost-config.js";
import { resnet8, withPolicy, type NetSpec } from "../src/net/index.js";
import { peReferenceConfig } from "../src/report/hardware-claims.js";
import { allPolicies, costPolicy, policyCosts, policyDesigns, policyFront, policyNets, prefixOrder } from "../src/report/policy-front.js";
import { policyCostsParallel } from "../src/report/policy-front-parallel.js";
import { makeCheckpoint } from "../src/train/checkpoint.js";
import { writeCheckpointFile } from "../src/train/checkpoint-file.js";
import { DEFAULT_CONFIG } from "../src/train/config.js";
import { createModel } from "../src/train/model.js";
import { runScript } from "./helpers/spawn.js";

const ROOT = path.resolve(__dirname, "..");
const POLICY = path.join(ROOT, "scripts", "policy.ts");
const hls = loadCostConfig("reference");
const pe = peReferenceConfig("pe-scalesim-cgra4ml", loadClaimSpecs().references["pe-scalesim-cgra4ml"]);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-policy-ckpt-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("the policies of a loaded network", () => {
  const nets = policyNets("resnet8");

  it("a plain network: its 2^3 L and R policies, each as costPolicy costs it in the plain form", () => {
    const costs = policyCosts(resnet8(), hls, pe);
    expect(costs.map((c) => c.policy)).toEqual(["LLL", "RLL", "LRL", "RRL", "LLR", "RLR", "LRR", "RRR"]);
    for (const c of costs) expect(c).toEqual(costPolicy(nets, c.policy, hls, pe, new Map(), "plain"));
  });

  it("a shortenable network: the 19 policies that shorten a skip, then itself, every one in the shortenable form", () => {
    const costs = policyCosts(resnet8({ form: "shortenable" }), hls, pe);
    expect(costs).toHaveLength(27 - 8 + 1);
    expect(costs.slice(0, -1).every((c) => c.policy.includes("S"))).toBe(true);
    expect(costs.at(-1)!.policy).toBe("LLL");
    expect(new Set(costs.map((c) => c.form))).toEqual(new Set(["shortenable"]));
    for (const c of costs) expect(c).toEqual(costPolicy(nets, c.policy, hls, pe, new Map(), "shortenable"));
    // the built-in search costs the same designs the same
    const builtIn = policyCosts("resnet8", hls, pe);
    for (const c of costs) expect(builtIn.find((b) => b.policy === c.policy && b.form === c.form)).toEqual(c);
  });

  it("the prefix order of two letters visits each policy once, the input end's letter changing slowest", () => {
    expect(prefixOrder(3, 2).map((i) => allPolicies(3, "LR")[i])).toEqual(["LLL", "LLR", "LRL", "LRR", "RLL", "RLR", "RRL", "RRR"]);
    const { designs, order } = policyDesigns(resnet8({ form: "shortenable" }));
    expect([...order].sort((a, b) => a - b)).toEqual([...designs.keys()]);
  });

  it("on two threads as on one (the network goes to the worker threads whole)", async () => {
    const net = resnet8({ form: "shortenable" });
    expect(await policyCostsParallel(net, hls, pe, 2)).toEqual(policyCosts(net, hls, pe));
  });

  it("refuses a network of both block forms, and one of too many designs", () => {
    const mixed: NetSpec = { ...resnet8(), blocks: resnet8().blocks.map((b, i) => ({ ...b, form: i === 0 ? "shortenable" : "plain" })) };
    expect(() => policyDesigns(mixed)).toThrow('network "resnet8": blocks of both forms (shortenable, plain); a policy search takes a network of one block form');
    const deep: NetSpec = { ...resnet8(), blocks: Array.from({ length: 16 }, (_, i) => ({ ...resnet8().blocks[2], name: `b${i}`, units: resnet8().blocks[2].units.map((u) => ({ ...u, stride: 1 })) })) };
    expect(() => policyDesigns(deep)).toThrow('network "resnet8": 16 skips, 2^16 policies; the exhaustive search takes at most 59049 designs');
  });
});

describe("notebook 05's front of a loaded network", () => {
  it("the front's rows, as policyFront(policyCosts(...)) gives them at the reference configurations", async () => {
    const { loadedFrontView } = await import("../src/report/policy-views.js");
    const { CODESIGN_HLS_REFERENCE, CODESIGN_PE_REFERENCE } = await import("../src/report/codesign.js");
    const { hlsReferenceConfig } = await import("../src/report/hardware-claims.js");
    const specs = loadClaimSpecs();
    const h = hlsReferenceConfig(CODESIGN_HLS_REFERENCE, specs.references[CODESIGN_HLS_REFERENCE]);
    const p = peReferenceConfig(CODESIGN_PE_REFERENCE, specs.references[CODESIGN_PE_REFERENCE]);
    // a student's network (every skip removed) is searched with its skips long
    const view = loadedFrontView(withPolicy(resnet8(), "RRR"), "lut", specs);
    const front = policyFront(policyCosts(resnet8(), h, p), "lut");
    expect(view.split("\n")[0]).toBe("8 designs of resnet8 in its plain form; the cheapest by lut for each number of altered skips:");
    const rows = view.split("\n").filter((l) => /^\| [LR]{3} \|/.test(l));
    expect(rows.map((l) => l.split("|").map((x) => x.trim()).slice(1, 5))).toEqual(front.map((c) => [c.policy, String(c.altered), String(c.bram18), String(Math.round(c.lut))]));
  });
});

describe("npm run policy -- --checkpoint", () => {
  it("a committed teacher's checkpoint: its front, and the command that trains a front policy from it", async () => {
    const ckpt = path.join(ROOT, "data", "runs", "depth", "resnet8", "teacher", "best.ckpt");
    const r = await runScript(POLICY, ["--checkpoint", ckpt, "--objective", "bram18"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`8 policies of ${ckpt} costed`);
    const front = policyCosts(resnet8(), hls, pe);
    const teacher = front.find((c) => c.policy === "LLL")!;
    expect(r.stdout).toContain(`read its saving against the network itself, LLL, ${teacher.bram18} bram18`);
    expect(r.stdout).toMatch(new RegExp(`npm run train -- --method policy --policy [LR]{3} --teacher ${ckpt.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}`));
  });

  it("the printed command is one train.ts accepts: a quantised teacher's bits are passed; a student's checkpoint is not given as the teacher", async () => {
    const train = path.join(ROOT, "scripts", "train.ts");
    const noData = path.join(tmp, "no-cifar");
    // train.ts checks the teacher and the flags before it reads the data: a missing data file is the first error past them
    const accepted = async (command: string, out: string) => {
      const flags = command.replace(/^npm run train -- /, "").split(" ");
      const t = await runScript(train, [...flags, "--out", path.join(tmp, out), "--data", noData]);
      return t.stderr;
    };
    const qat = path.join(ROOT, "data", "runs", "depth", "resnet8", "qat4-teacher-shortenable", "best.ckpt");
    const r = await runScript(POLICY, ["--checkpoint", qat, "--threads", "1"]);
    expect(r.status, r.stderr).toBe(0);
    const command = r.stdout.match(/npm run train -- .*$/m)![0];
    expect(command).toMatch(/--policy [LSR]*S[LSR]* --teacher /);
    expect(await accepted(command, "qat")).toContain(`${path.join(noData, "data_batch_1.bin")}: missing`);
    const student = path.join(ROOT, "data", "runs", "depth", "resnet8", "remover", "best.ckpt");
    const s = await runScript(POLICY, ["--checkpoint", student, "--threads", "1"]);
    expect(s.status, s.stderr).toBe(0);
    expect(s.stdout).toContain("has 3 altered skip(s) (RRR)");
    expect(s.stdout).not.toContain(`--teacher ${student}`);
    expect(s.stdout).toMatch(/Train one from its teacher \(the checkpoint is a student.*--teacher TEACHER\.ckpt$/m);
    // its teacher in place of TEACHER.ckpt is accepted
    const teacher = path.join(ROOT, "data", "runs", "depth", "resnet8", "teacher", "best.ckpt");
    expect(await accepted(s.stdout.match(/npm run train -- .*$/m)![0].replace("TEACHER.ckpt", teacher), "student")).toContain(`${path.join(noData, "data_batch_1.bin")}: missing`);
  }, 120_000);

  it("a network the trainer does not build (ResNet-8 of 12 classes): the costs, and why it cannot be trained here", async () => {
    const net: NetSpec = { ...resnet8(), name: "mine", head: { kind: "gap-dense", classes: 12 } };
    const file = path.join(tmp, "mine.ckpt");
    writeCheckpointFile(file, makeCheckpoint(createModel(net, 1), null, DEFAULT_CONFIG, 0, [], null, {}));
    const r = await runScript(POLICY, ["--checkpoint", file, "--objective", "lut", "--budget", "lut=1"]);
    // no policy meets a budget of 1 LUT: exit 1 and the cheapest
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toContain("8 policies of");
    expect(r.stdout).toContain("none of the ones the trainer builds");
    expect(r.stdout).toContain("No policy meets lut=1. The cheapest by lut:");
    expect(r.stdout).not.toContain("npm run train");
  });

  it("bad flags: both --net and --checkpoint, a missing file, the additive search", async () => {
    const ckpt = path.join(ROOT, "data", "runs", "depth", "resnet8", "teacher", "best.ckpt");
    const both = await runScript(POLICY, ["--net", "resnet8", "--checkpoint", ckpt]);
    expect([both.status, both.stderr.trim()]).toEqual([2, "error: --net and --checkpoint: give one of them"]);
    const missing = await runScript(POLICY, ["--checkpoint", path.join(tmp, "none.ckpt")]);
    expect([missing.status, missing.stderr.trim()]).toEqual([2, `error: --checkpoint ${path.join(tmp, "none.ckpt")}: file not found`]);
    const folder = await runScript(POLICY, ["--checkpoint", tmp]);
    expect([folder.status, folder.stderr.trim()]).toEqual([2, `error: --checkpoint ${tmp}: a directory; expected a checkpoint file (a run's best.ckpt)`]);
    const additive = await runScript(POLICY, ["--checkpoint", ckpt, "--search", "additive"]);
    expect(additive.status).toBe(2);
    expect(additive.stderr).toContain("--search additive and --swap-check take a built-in network (--net)");
  });
});
