// scripts/train.ts on bad flags, teachers and run folders: a clear error naming the flag, file or folder, a
// non-zero exit, and nothing written. No CIFAR-10 needed: every check runs before the data is read.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { cifarResNet, resnet8, withSkip, type NetSpec } from "../src/net/index.js";
import { makeCheckpoint } from "../src/train/checkpoint.js";
import { checkpointJsonV1 } from "./helpers/checkpoint-json.js";
import { DEFAULT_CONFIG } from "../src/train/config.js";
import { campaignPidFiles, heapReuseEnv, liveCampaign, shareCoresWithCampaign, stopCommand } from "../scripts/cli.js";
import { createModel } from "../src/train/model.js";

const root = path.resolve(__dirname, "..");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-cli-"));
const emptyData = path.join(dir, "no-data");
fs.mkdirSync(emptyData);

function checkpoint(name: string, net: NetSpec): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, checkpointJsonV1(makeCheckpoint(createModel(net, 1), null, DEFAULT_CONFIG, 0, [], null, {})));
  return file;
}

function train(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [path.join(root, "node_modules", "tsx", "dist", "cli.mjs"), path.join(root, "scripts", "train.ts"), "--data", emptyData, ...args], {
      cwd: dir,
      env: { ...process.env, TAILOR_NO_REEXEC: "1" },
    });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.on("close", (code) => resolve({ code, out }));
  });
}

describe("scripts/train.ts refuses bad input before reading data", () => {
  it("flags, teachers, --out and the run lock", async () => {
    const r20 = checkpoint("r20.ckpt.json", cifarResNet(20));
    const shortenable = checkpoint("shortenable.ckpt.json", resnet8({ form: "shortenable" }));
    const student = checkpoint("student.ckpt.json", withSkip(resnet8(), 0, "removed"));
    const outFile = path.join(dir, "a-file");
    fs.writeFileSync(outFile, "keep");
    const live = path.join(dir, "live");
    fs.mkdirSync(live);
    fs.writeFileSync(path.join(live, "run.lock"), JSON.stringify({ pid: process.pid, host: os.hostname(), start: null, since: "now" }));
    const stale = path.join(dir, "stale");
    fs.mkdirSync(stale);
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid;
    fs.writeFileSync(path.join(stale, "run.lock"), JSON.stringify({ pid: dead, host: os.hostname(), start: null, since: "then" }));
    const cases: [string[], RegExp][] = [
      [["--epochs", "-1"], /error: --epochs: expected an integer >= 1, got -1/],
      [["--lr", "-0.5"], /error: --lr: expected a number >= 0, got -0.5/],
      [["--quick", "--epochs", "0"], /error: --epochs: expected an integer >= 1, got 0/],
      [["--method", "remover", "--teacher", dir], /is a directory, expected a checkpoint file/],
      [["--method", "remover", "--net", "resnet8", "--teacher", r20], /error: --net resnet8: the teacher .*r20.ckpt.json is a resnet20/],
      [["--method", "remover", "--teacher", shortenable], /--method remover \(SkipRemover\) needs a teacher of the plain block form/],
      [["--method", "noskip-kd", "--teacher", student], /student.ckpt.json: 1 of its 3 skips are altered/],
      [["--method", "teacher", "--teacher", r20], /error: --teacher: --method teacher does not use a teacher/],
      // a policy is checked against the teacher's network (ResNet-20's 9 skips), not --net's default (resnet8's 3)
      [["--method", "policy", "--policy", "RRLLLLLL", "--teacher", r20], /error: --policy: RRLLLLLL: expected 9 letters .*got 8 \(resnet20 has 9 skips\)/],
      [["--method", "policy", "--policy", "LSLLLLLLL", "--teacher", r20], /error: --teacher .*r20.ckpt.json: --method policy .* needs a teacher of the shortenable block form: --policy LSLLLLLLL shortens the skip at position 2, this one has the plain form/],
      [["--method", "policy", "--policy", "RRLLLLLLL", "--teacher", r20, "--epochs", "20", "--out", path.join(dir, "policy-r20")], /error: [^\n]*no-data[/\\]data_batch_1.bin: missing/],
      // --quick (2 epochs) cannot alter ResNet-20's 9 skips one an epoch: it takes the 10 epochs the schedule needs
      // (9 alterations after epochs 1..9, then one epoch of the final network); an explicit --epochs still wins
      [["--quick", "--method", "remover", "--teacher", r20, "--out", path.join(dir, "quick-r20")], /--quick: 10 epochs, not 2: SkipRemover alters[^]*data_batch_1.bin: missing/],
      [["--quick", "--method", "policy", "--policy", "RLLRLLLLL", "--teacher", r20, "--out", path.join(dir, "quick-policy")], /--quick: 3 epochs, not 2[^]*data_batch_1.bin: missing/],
      [["--quick", "--epochs", "2", "--method", "remover", "--teacher", r20], /error: --epochs: SkipRemover alters the 9 skips of resnet20 .*it needs at least 10 epochs, got 2/],
      [["--out", outFile], /a-file: exists and is not a directory/],
      [["--out", live], new RegExp(`${live}: in use by process ${process.pid}`)],
      [["--out", stale], new RegExp(`taking over the lock of process ${dead}[^]*data_batch_1.bin: missing`)],
    ];
    const results = await Promise.all(cases.map(([a]) => train(a)));
    results.forEach((r, i) => {
      expect(r.out, cases[i][0].join(" ")).toMatch(cases[i][1]);
      expect(r.code, cases[i][0].join(" ")).not.toBe(0);
    });
    expect(fs.readFileSync(outFile, "utf8")).toBe("keep");
    expect(fs.readdirSync(live)).toEqual(["run.lock"]);
    // the stale lock was taken over, then released when that run ended
    expect(fs.existsSync(path.join(stale, "run.lock"))).toBe(false);
  });
});

describe("a wrong backend setting stops the run instead of falling back to a slower backend", () => {
  it("TAILOR_NATIVE_WINOGRAD and TAILOR_NATIVE_CONV with a value they do not take", () => {
    for (const [name, value, expected] of [
      ["TAILOR_NATIVE_WINOGRAD", "2", "expected 0 or 1"],
      ["TAILOR_NATIVE_CONV", "fast", "expected onednn or gemm"],
    ]) {
      const r = spawnSync(process.execPath, [path.join(root, "node_modules", "tsx", "dist", "cli.mjs"), path.join(root, "scripts", "train.ts"), "--data", emptyData, "--quick", "--out", path.join(dir, `bad-${name}`)], {
        cwd: dir,
        env: { ...process.env, TAILOR_NO_REEXEC: "1", [name]: value },
        encoding: "utf8",
      });
      expect(r.status, r.stdout + r.stderr).not.toBe(0);
      expect(r.stderr).toContain(`${name}=${value}: ${expected}`);
      expect(r.stderr).not.toMatch(/backend: (wasm|cpu)/);
    }
  });
});

describe("beside a running campaign", () => {
  it("the message names the command that stops that campaign: its plan's, the depth plan's without --plan", () => {
    const [depth, recipe, policy] = campaignPidFiles();
    expect([depth, recipe, policy].map(stopCommand)).toEqual(["npm run campaign -- --stop", "npm run campaign -- --plan recipe --stop", "npm run campaign -- --plan policy --stop"]);
    expect(stopCommand("/elsewhere/campaign.pid")).toBe("npm run campaign -- --stop");
  });

  it("a script computes on one thread unless OMP_NUM_THREADS says otherwise; a stale pid file changes nothing", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-share-"));
    const pidFile = path.join(dir, "campaign.pid");
    const quiet = console.error;
    console.error = () => {};
    const child = spawn("sleep", ["30"]);
    try {
      expect(shareCoresWithCampaign([pidFile], {})).toBeNull();
      fs.writeFileSync(pidFile, `${child.pid}\n`);
      const env: NodeJS.ProcessEnv = {};
      expect(shareCoresWithCampaign([pidFile], env)).toBe(child.pid);
      expect(env.OMP_NUM_THREADS).toBe("1");
      // any of the plans' pid files: the first one here names no campaign
      expect(shareCoresWithCampaign([path.join(dir, "other-plan.pid"), pidFile], {})).toBe(child.pid);
      // a campaign looking for others passes over its own pid file (scripts/campaign.ts: one thread beside another)
      const own = path.join(dir, "own.pid");
      fs.writeFileSync(own, `${process.pid}\n`);
      expect(liveCampaign([own, pidFile], (f) => f === own)).toEqual({ pidFile, pid: child.pid });
      expect(liveCampaign([own], (f) => f === own)).toBeNull();
      const chosen: NodeJS.ProcessEnv = { OMP_NUM_THREADS: "2" };
      expect(shareCoresWithCampaign([pidFile], chosen)).toBeNull();
      expect(chosen.OMP_NUM_THREADS).toBe("2");
      child.kill();
      await new Promise((r) => child.once("exit", r));
      const after: NodeJS.ProcessEnv = {};
      expect(shareCoresWithCampaign([pidFile], after)).toBeNull();
      expect(after.OMP_NUM_THREADS).toBeUndefined();
    } finally {
      console.error = quiet;
      child.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the heap settings of a training process", () => {
  it("are the sizes their comments say: 32 MiB, 4 GiB, 256 MiB (a 32-bit shift once made the 4 GiB a 0)", () => {
    const env = heapReuseEnv({});
    expect([env.MALLOC_MMAP_THRESHOLD_, env.MALLOC_TRIM_THRESHOLD_, env.MALLOC_TOP_PAD_]).toEqual([String(32 * 2 ** 20), "4294967296", String(256 * 2 ** 20)]);
  });
});

describe("TAILOR_STOP_WITH_PARENT", () => {
  it("is read once by cli.ts and not passed on to the processes a script starts", () => {
    // the script reads its launcher's pid, then starts a child that reports what it inherited
    const probe = `const m = require(${JSON.stringify(path.join(root, "scripts", "cli.ts"))});
      const child = require("node:child_process").spawnSync(process.execPath, ["-e", "console.log(process.env.TAILOR_STOP_WITH_PARENT ?? 'unset')"], { encoding: "utf8" });
      console.log(m.stopWithParentPid, child.stdout.trim());`;
    const r = spawnSync(process.execPath, ["--import", "tsx", "-e", probe], { cwd: root, encoding: "utf8", env: { ...process.env, TAILOR_STOP_WITH_PARENT: "4242" } });
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("4242 unset");
  });
});
