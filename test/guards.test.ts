// Bad input and shared folders get clear errors, before anything is decoded or written (issue 16).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { loadCifar10, TEST_FILE, TRAIN_FILES } from "../src/data/cifar10.js";
import { prepareFromJpeg, prepareFromOfficial, removeLeftovers } from "../src/data/prepare.js";
import { cifarResNet, resnet8, withSkip } from "../src/net/index.js";
import { makeCheckpoint, parseCheckpoint } from "../src/train/checkpoint.js";
import { DEFAULT_CONFIG } from "../src/train/config.js";
import { createModel } from "../src/train/model.js";
import { configFromTeacher, identifyNet } from "../src/train/teacher-check.js";
import { acquireRunLock, LOCK_FILE, lockHolder } from "../src/util/run-lock.js";
import { checkpointJsonV1 } from "./helpers/checkpoint-json.js";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "tailor-guards-"));
/** the PID of a process that has ended */
const deadPid = () => spawnSync(process.execPath, ["-e", "0"]).pid!;

describe("run lock", () => {
  it("a live holder is an error naming the folder and PID; released at the end", () => {
    const dir = tmp();
    const lock = acquireRunLock(dir);
    expect(JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), "utf8")).pid).toBe(process.pid);
    expect(() => acquireRunLock(dir)).toThrow(new RegExp(`${dir}: in use by process ${process.pid} .*choose another --out`));
    lock.release();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    acquireRunLock(dir).release();
  });

  it("a stale lock of a process that is gone is taken over with a warning", () => {
    const dir = tmp();
    const pid = deadPid();
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid, host: os.hostname(), start: null, since: "2026-01-01T00:00:00Z" }));
    const warnings: string[] = [];
    const lock = acquireRunLock(dir, (m) => warnings.push(m));
    expect(warnings).toEqual([expect.stringMatching(new RegExp(`taking over the lock of process ${pid} .*no longer running`))]);
    expect(JSON.parse(fs.readFileSync(lock.file, "utf8")).pid).toBe(process.pid);
    lock.release();
  });

  it("lockHolder (campaign --status): the live holder's PID; null when there is no lock or its process is gone", () => {
    const dir = tmp();
    expect(lockHolder(dir)).toBeNull();
    const lock = acquireRunLock(dir);
    expect(lockHolder(dir)).toBe(process.pid);
    lock.release();
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: os.hostname(), start: null, since: "x" }));
    expect(lockHolder(dir)).toBeNull();
  });

  it("a reused PID (same number, another process) counts as gone", () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: process.pid, host: os.hostname(), start: "1", since: "x" }));
    const warnings: string[] = [];
    acquireRunLock(dir, (m) => warnings.push(m)).release();
    expect(warnings).toHaveLength(1);
  });
});

describe("the teacher decides the network", () => {
  const remover = { ...DEFAULT_CONFIG, method: "remover" as const, teacher: "t.json" };
  it("a ResNet-20 teacher trains and records a ResNet-20 student; a contradicting flag is an error naming it", () => {
    expect(identifyNet(cifarResNet(20, { form: "shortenable" }))).toEqual({ net: "resnet20", form: "shortenable" });
    const r20 = cifarResNet(20);
    expect(configFromTeacher(remover, r20, "t.json", new Set()).net).toBe("resnet20");
    expect(() => configFromTeacher(remover, r20, "t.json", new Set(["net"]))).toThrow(/--net resnet8: the teacher t.json is a resnet20 of the plain form; omit --net or pass --net resnet20/);
    const sc = { ...remover, method: "shortener" as const, form: "shortenable" as const };
    expect(configFromTeacher(sc, cifarResNet(20, { form: "shortenable" }), "t.json", new Set(["form"]))).toMatchObject({ net: "resnet20", form: "shortenable" });
  });
  it("SkipRemover needs a plain teacher, SkipShortener a shortenable one", () => {
    expect(() => configFromTeacher(remover, resnet8({ form: "shortenable" }), "t.json", new Set())).toThrow(
      /--method remover \(SkipRemover\) needs a teacher of the plain block form, this one has the shortenable form/,
    );
    expect(() => configFromTeacher({ ...remover, method: "shortener" }, resnet8(), "t.json", new Set())).toThrow(/--method shortener \(SkipShortener\) needs a teacher of the shortenable/);
  });
  it("a half-altered student is not a teacher", () => {
    expect(() => configFromTeacher(remover, withSkip(resnet8(), 0, "removed"), "s.json", new Set())).toThrow(/--teacher s.json: 1 of its 3 skips are altered \(s0b0 removed\): it is a student/);
  });
});

describe("checkpoint tensor records", () => {
  it("shape: null is an error naming the record", () => {
    const c = JSON.parse(checkpointJsonV1(makeCheckpoint(createModel(resnet8(), 1), null, DEFAULT_CONFIG, 0, [], null, {})));
    c.params["stem0.conv.weight"].shape = null;
    expect(() => parseCheckpoint(JSON.stringify(c), "x.ckpt.json")).toThrow(/x.ckpt.json: params "stem0.conv.weight": shape must be an array of non-negative integers, got null/);
    c.params["stem0.conv.weight"] = null;
    expect(() => parseCheckpoint(JSON.stringify(c), "x.ckpt.json")).toThrow(/params "stem0.conv.weight": expected a tensor record/);
  });
});

describe("data input", () => {
  it("an archive of random bytes is not a CIFAR-10 archive", async () => {
    const dir = tmp();
    const archive = path.join(dir, "random.tar.gz");
    fs.writeFileSync(archive, Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919 + 13) % 256)));
    await expect(prepareFromJpeg(archive, path.join(dir, "a"))).rejects.toThrow(/random.tar.gz: not a CIFAR-10 archive/);
    await expect(prepareFromOfficial(archive, path.join(dir, "b"), { expectMd5: null })).rejects.toThrow(/random.tar.gz: not a CIFAR-10 archive/);
    expect(fs.readdirSync(dir)).toEqual(["random.tar.gz"]);
  });

  it("an unwritable cache location fails before the archive is read; an existing file or foreign folder is never replaced", async () => {
    const dir = tmp();
    const file = path.join(dir, "file");
    fs.writeFileSync(file, "keep me");
    const logs: string[] = [];
    await expect(prepareFromJpeg(path.join(dir, "never-read.tar.gz"), path.join(file, "cifar10"), { log: (s) => logs.push(s) })).rejects.toThrow(
      /cannot write the cache .*file\/cifar10: .*file is not writable .*set TAILOR_DATA_DIR/,
    );
    expect(logs).toEqual([]);
    await expect(prepareFromJpeg(path.join(dir, "x.tar.gz"), file)).rejects.toThrow(/file: exists and is not a directory/);
    fs.mkdirSync(path.join(dir, "mine"));
    fs.writeFileSync(path.join(dir, "mine", "notes.txt"), "mine");
    await expect(prepareFromOfficial(path.join(dir, "x.tar.gz"), path.join(dir, "mine"))).rejects.toThrow(/mine: exists and holds files that are not the CIFAR-10 cache \(notes.txt\)/);
    expect(fs.readFileSync(file, "utf8")).toBe("keep me");
    await expect(prepareFromOfficial(dir, path.join(dir, "c"))).rejects.toThrow(/is a directory, expected a .tar.gz archive/);
  });

  it("leftover temporary folders of interrupted conversions are removed, those of running ones kept", () => {
    const dir = tmp();
    const mk = (n: string, old = false) => {
      fs.mkdirSync(path.join(dir, n));
      fs.writeFileSync(path.join(dir, n, "data_batch_1.bin"), "x");
      if (old) fs.utimesSync(path.join(dir, n), new Date(2020, 0, 1), new Date(2020, 0, 1));
    };
    mk(`.cifar10-tmp-${deadPid()}-abc`);
    mk(`.cifar10-tmp-${process.pid}-def`);
    mk(".cifar10-tmp-OLD123", true);
    mk(".cifar10-tmp-NEW456");
    removeLeftovers(dir);
    expect(fs.readdirSync(dir).sort()).toEqual([`.cifar10-tmp-${process.pid}-def`, ".cifar10-tmp-NEW456"]);
  });

  it("a directory given as a batch file, a file as the data directory", () => {
    const dir = tmp();
    for (const f of [...TRAIN_FILES, TEST_FILE]) fs.mkdirSync(path.join(dir, f));
    expect(() => loadCifar10(dir)).toThrow(/data_batch_1.bin: is a directory, expected a CIFAR-10 batch file/);
    fs.writeFileSync(path.join(dir, "f"), "");
    expect(() => loadCifar10(path.join(dir, "f"))).toThrow(/f: is a file, expected the CIFAR-10 binary directory/);
  });
});
