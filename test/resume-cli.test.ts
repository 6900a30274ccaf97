/**
 * scripts/train.ts --resume (issue 16, finding 5): a resume with a config that differs from the checkpoint's is an
 * error naming the field and flag; --resume without a checkpoint is an error (--resume-if-present is the runner's
 * mode). Both are decided before any data is read, so these runs need no CIFAR-10.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../src/backend/index.js";
import { resnet8 } from "../src/net/index.js";
import { makeCheckpoint } from "../src/train/checkpoint.js";
import { writeCheckpointFile } from "../src/train/checkpoint-file.js";
import { DEFAULT_CONFIG, type TrainConfig } from "../src/train/config.js";
import { createModel } from "../src/train/model.js";
import { readFailure } from "../src/train/run-folder.js";
import { runScript } from "./helpers/spawn.js";

const ROOT = path.resolve(__dirname, "..");
const config: TrainConfig = { ...DEFAULT_CONFIG, epochs: 4, limitTrain: 64, limitEval: 32 };
const flags = ["--epochs", "4", "--limit-train", "64", "--limit-eval", "32", "--data", path.join(os.tmpdir(), "no-cifar-needed")];
const train = (...a: string[]) => runScript(path.join(ROOT, "scripts", "train.ts"), a, { env: { TAILOR_NO_REEXEC: "1" } });
let out = "";

beforeAll(async () => {
  await initBackend({ quiet: true });
  out = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-resume-cli-"));
  writeCheckpointFile(path.join(out, "last.ckpt"), makeCheckpoint(createModel(resnet8(), 1), null, config, 0, [], null, {}));
});

describe("train.ts --resume", () => {
  it("a different result-changing flag is an error naming every such field and its flag", async () => {
    const f = flags.slice();
    f[f.indexOf("--epochs") + 1] = "5";
    f[f.indexOf("--limit-train") + 1] = "128";
    const r = await train(...f, "--lr", "0.2", "--teacher-bn", "running", "--log-every", "7", "--out", out, "--resume");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /last\.ckpt: the checkpoint was trained with a different config: epochs \(--epochs\) was 4, this run has 5; lr \(--lr\) was 0\.1, this run has 0\.2; teacherBn \(--teacher-bn\) was batch, this run has running; limitTrain \(--limit-train\) was 64, this run has 128\. Resume with/,
    );
    // the failure stays in the folder for campaign --status and reproduce (another process, a clone)
    expect(readFailure(out)).toMatch(/^\S*last\.ckpt: the checkpoint was trained with a different config: epochs \(--epochs\) was 4/);
    // and an attempt that gets past the checks clears it (it then fails on the data, which is not there)
    const again = await train(...flags, "--out", out, "--resume");
    expect(again.status).toBe(1);
    expect(readFailure(out)).toMatch(/no-cifar-needed/);
  });

  it("--resume without a checkpoint is an error, not a fresh start", async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-resume-cli-"));
    const r = await train(...flags, "--out", empty, "--resume");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/last\.ckpt: no checkpoint to resume \(--resume\); drop --resume to start a new run, or use --resume-if-present/);
    expect(fs.existsSync(path.join(empty, "config.json"))).toBe(false);
  });
});

describe("train.ts on an --out that holds a run, without --resume (issue 32, silent class 2)", () => {
  /** every file of a folder with its bytes: what a refused command must leave as it was */
  const snapshot = (dir: string) => Object.fromEntries(fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(path.join(dir, f)).toString("base64")]));

  it("an unfinished run (last.ckpt, no results.json) is an error naming --resume and --out, and nothing is written", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-unfinished-"));
    writeCheckpointFile(path.join(dir, "last.ckpt"), makeCheckpoint(createModel(resnet8(), 1), null, config, 0, [], null, {}));
    fs.writeFileSync(path.join(dir, "config.json"), "{}\n");
    fs.writeFileSync(path.join(dir, "log.jsonl"), '{"event":"start"}\n');
    const before = snapshot(dir);
    const r = await train(...flags, "--out", dir);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`--out ${dir}: holds an unfinished run (${path.join(dir, "last.ckpt")}, no results.json)`);
    expect(r.stderr).toMatch(/Continue it with --resume, or choose another --out/);
    expect(snapshot(dir)).toEqual(before);
  });

  it("a finished run (results.json, best.ckpt) is never started over, neither without --resume nor with --resume-if-present", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-finished-"));
    // as the campaign leaves a finished run: last.ckpt deleted, best.ckpt and results.json kept
    writeCheckpointFile(path.join(dir, "best.ckpt"), makeCheckpoint(createModel(resnet8(), 1), null, config, 3, [], null, {}), { optimizer: false });
    fs.writeFileSync(path.join(dir, "results.json"), '{"epochs":4}\n');
    const before = snapshot(dir);
    for (const mode of [[], ["--resume-if-present"]]) {
      const r = await train(...flags, "--out", dir, ...mode);
      expect(r.status, mode.join(" ")).not.toBe(0);
      expect(r.stderr).toContain(`--out ${dir}: holds a finished run (${path.join(dir, "results.json")})`);
      expect(r.stderr).toMatch(/Choose another --out/);
      expect(snapshot(dir)).toEqual(before);
    }
    // results.json gone (deleted by hand, say): the best checkpoint alone is still never overwritten
    fs.rmSync(path.join(dir, "results.json"));
    const bestOnly = snapshot(dir);
    const r = await train(...flags, "--out", dir, "--resume-if-present");
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`--out ${dir}: holds a run's best checkpoint (${path.join(dir, "best.ckpt")}) but no last.ckpt to resume from`);
    expect(snapshot(dir)).toEqual(bestOnly);
  });
});
