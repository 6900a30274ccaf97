/**
 * Train a teacher, run Tailor (SkipRemover / SkipShortener) from a teacher, or train a baseline, on CIFAR-10.
 * Writes to --out: config.json, log.jsonl, last.ckpt, best.ckpt (src/train/run-folder.ts) and, at the end,
 * results.json; run.lock (the PID of the run) while it runs. SIGTERM or SIGINT stops it after the current step
 * with a checkpoint of that step (exit code 75); --resume continues from there bit-identically. A start from
 * scratch on an --out that holds a run (a checkpoint or results.json) is an error: nothing already written is lost.
 *
 *   npm run train -- --method teacher --epochs 30 --out runs/resnet8-teacher
 *   npm run train -- --method remover --teacher runs/resnet8-teacher/best.ckpt --out runs/resnet8-remover
 *   npm run train -- --quick            a tiny run (about a minute)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { initBackend } from "../src/backend/index.js";
import { isMethod, method, runForm, type Method } from "../src/experiment/index.js";
import type { BlockForm } from "../src/net/index.js";
import { defaultDataDir, loadCifar10 } from "../src/data/cifar10.js";
import { CONFIG_HELP, ConfigError, DEFAULT_CONFIG, tailorEpochsNeeded, validateConfig, type TrainConfig } from "../src/train/config.js";
import { CheckpointError, modelFromCheckpoint, restoreOptimizer, type Checkpoint, type EpochRecord } from "../src/train/checkpoint.js";
import { modelDigest, readCheckpointFile } from "../src/train/checkpoint-file.js";
import { describeConfigMismatch, recordedConfig } from "../src/train/config-compare.js";
import { teacherQuantMismatch } from "../src/train/quant.js";
import { evaluateSteps, type EvalResult } from "../src/train/evaluate.js";
import { CheckpointCommitter, clearFailure, findCheckpoint, recordFailure, removeRunTemps, startOverProblem, verifyBestOnResume } from "../src/train/run-folder.js";
import { inputNormOf, newOptimizer, resumeTailorSteps, runToEndAsync, startTailor, type Progress, type TailorData, type TailorResult } from "../src/train/tailor.js";
import { normalisationText, type Normalisation } from "../src/data/batches.js";
import { importedNormalisation } from "../src/import/onnx-import.js";
import { configFromTeacher } from "../src/train/teacher-check.js";
import { acquireRunLock } from "../src/util/run-lock.js";
import { runEnvironment } from "../src/backend/environment.js";
import { writeFileAtomic } from "../src/util/fs.js";
import { formatDuration, ProgressLine } from "../src/util/progress.js";
import { relaunchedWithHeapReuse, shareCoresWithCampaign, givenFlags, num, parseCli, stopWithParentPid, type FlagSpec } from "./cli.js";

shareCoresWithCampaign();

const kebab = (k: string) => k.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`);
const configFlags = Object.fromEntries(
  (Object.keys(DEFAULT_CONFIG) as (keyof TrainConfig)[]).map((k) => {
    const d = DEFAULT_CONFIG[k];
    return [kebab(k), { type: "string", help: CONFIG_HELP[k], default: Array.isArray(d) ? d.join(",") || undefined : String(d) } as FlagSpec];
  }),
);
/** --quick: a tiny run; any of these keys given explicitly wins */
const QUICK: Partial<TrainConfig> = { epochs: 2, limitTrain: 1000, limitEval: 500, everyEpochs: 1, logEvery: 10 };
const flagSpecs: Record<string, FlagSpec> = {
  ...configFlags,
  out: { type: "string", help: "run directory (default: runs/<net>-<method>); one run at a time (run.lock); one holding a run (a checkpoint or results.json) is refused unless --resume continues it" },
  data: { type: "string", help: "CIFAR-10 binary directory", default: defaultDataDir() },
  resume: { type: "boolean", help: "continue from <out>/last.ckpt (an error when there is none; the config must equal the checkpoint's)" },
  "resume-if-present": { type: "boolean", help: "continue from <out>/last.ckpt when it exists, else start (the campaign runner's mode)" },
  quick: {
    type: "boolean",
    help: "tiny run: 2 epochs on 1,000 images, evaluated on 500, a skip altered every epoch (a Tailor method: as many epochs as it needs to alter its skips, plus one; --epochs, --limit-train, --limit-eval, --every-epochs, --log-every given explicitly win)",
  },
};
const args = parseCli(
  "Usage: npm run train -- [options]\n\nWith --teacher, the network and block form are the teacher's (--net / --form, if given, must agree).",
  flagSpecs,
);
const given = givenFlags(flagSpecs);
const givenKeys = new Set((Object.keys(DEFAULT_CONFIG) as (keyof TrainConfig)[]).filter((k) => given.has(kebab(k))));
/** true: this process only launched the trainer (with the heap settings) and passes signals on to it */
const launcherOnly = relaunchedWithHeapReuse();

/** validateConfig's errors name the key; on the command line, name the flag (and the keys the text mentions) */
function validateFlags(c: TrainConfig, opts?: { schedule?: boolean }): TrainConfig {
  try {
    return validateConfig(c, opts);
  } catch (e) {
    const m = /^(\w+): ([^]*)$/.exec((e as Error).message);
    if (e instanceof ConfigError && m && m[1] in DEFAULT_CONFIG) {
      // camelCase keys only: a one-word key ("epochs") is also an ordinary word of the text
      const text = m[2].replace(/\b([a-z]+[A-Z]\w*)\b/g, (k) => (k in DEFAULT_CONFIG ? `--${kebab(k)}` : k));
      throw new ConfigError(`--${kebab(m[1])}: ${text}`);
    }
    throw e;
  }
}

function configFromArgs(): TrainConfig {
  const c = { ...DEFAULT_CONFIG } as Record<string, unknown>;
  for (const k of Object.keys(DEFAULT_CONFIG) as (keyof TrainConfig)[]) {
    const v = (args as unknown as Record<string, string | undefined>)[kebab(k)];
    if (v === undefined) continue;
    const d = DEFAULT_CONFIG[k];
    if (typeof d === "number") c[k] = num(kebab(k), v);
    else if (typeof d === "boolean") {
      if (v !== "true" && v !== "false") {
        console.error(`error: --${kebab(k)} expects true or false, got "${v}"`);
        process.exit(2);
      }
      c[k] = v === "true";
    } else if (Array.isArray(d)) c[k] = v === "" ? [] : v.split(",").map((x) => num(kebab(k), x, k === "inputNorm" ? {} : { int: true, min: 1 }));
    else c[k] = v;
  }
  if (args.quick) for (const [k, v] of Object.entries(QUICK)) if (!givenKeys.has(k as keyof TrainConfig)) c[k] = v;
  // the block form a method (or a per-skip policy) trains, unless --form is given (then it must agree)
  if (!givenKeys.has("form") && isMethod(String(c.method))) c.form = runForm(c.method as Method, c.form as BlockForm, String(c.policy));
  // a teacher decides the network, so whether the epochs alter every skip is checked once it is read
  return validateFlags(c as unknown as TrainConfig, { schedule: !c.teacher });
}


/**
 * --quick without --epochs for a Tailor method: 2 epochs cannot alter the skips (one an epoch) and then validate the
 * final network, so the run gets the fewest epochs that do; known once the teacher has given the network.
 */
function quickEpochs(c: TrainConfig): TrainConfig {
  if (!args.quick || givenKeys.has("epochs")) return c;
  const need = tailorEpochsNeeded(c);
  if (need === null || need <= c.epochs) return c;
  say(`--quick: ${need} epochs, not ${c.epochs}: ${method(c.method).label} alters its skips of ${c.net} one every ${c.everyEpochs} epoch(s), then the final network trains one more`);
  return { ...c, epochs: need };
}

/**
 * A teacher was trained on inputs normalised its own way: an import's as import:onnx recorded (--mean --std, in its
 * checkpoint's config and its folder's config.json), a teacher trained here with --input-norm as its checkpoint's
 * config says. Its students and its KD targets need the same inputs, so a run from it takes that normalisation unless
 * --input-norm is given. Said either way; and when an import recorded none, that the train split's statistics stand
 * in for it.
 */
function normaliseAsTeacher(c: TrainConfig, teacher: Checkpoint): TrainConfig {
  // the checkpoint's own config wins over its folder's config.json: it is checked by its digest and goes with the file
  // wherever it is copied (an import before session 18, or a teacher's config from before inputNorm, carries none)
  const own = inputNormOf(recordedConfig(teacher.config));
  const imported = importedNormalisation(c.teacher);
  const isImport = imported !== undefined || teacher.env.importedFrom !== undefined;
  const recorded: Normalisation | null | undefined = own ?? imported ?? (isImport ? null : undefined);
  if (recorded === undefined) return c;
  if (recorded === null) {
    say(`note: the teacher ${c.teacher} was imported without --mean/--std: this run normalises with ${c.inputNorm.length ? "--input-norm" : "the training split's own statistics"}; if the network was trained with another normalisation, give it (--input-norm mean r,g,b,std r,g,b)`);
    return c;
  }
  const where = own ? (isImport ? "its checkpoint's config, as its import recorded (--mean/--std)" : "its checkpoint's config: it was trained with --input-norm") : "its import's config.json";
  if (givenKeys.has("inputNorm")) {
    const same = c.inputNorm.join(",") === [...recorded.mean, ...recorded.std].join(",");
    if (!same) say(`note: --input-norm ${c.inputNorm.length ? c.inputNorm.join(",") : '""'} given; the teacher ${c.teacher} ${isImport ? "was imported with" : "was trained with"} ${normalisationText(recorded)} (${where})`);
    return c;
  }
  say(`input normalisation: the teacher's, ${normalisationText(recorded)} (${where}; --input-norm to give another)`);
  return { ...c, inputNorm: [...recorded.mean, ...recorded.std] };
}

/** exit code of a run stopped on request with its checkpoint written (sysexits EX_TEMPFAIL: try again later) */
const EXIT_STOPPED = 75;

// one line redrawn in place on a terminal; without one (CI, the campaign's stdout.log) every onProgress call is a
// plain line (--log-every sets how often), in the format src/campaign/status.ts reads
const progress = new ProgressLine({ plainEveryMs: 0 });
const say = (s: string) => progress.log(s);

/** the run folder once it is locked: a failure is recorded there (failed.json) for campaign --status and reproduce */
let runFolder: string | null = null;

async function main() {
  let config = configFromArgs();
  // the teacher decides the network: read and check it before anything is written or decoded
  const plan = method(config.method);
  if (config.teacher && !plan.kd && !plan.fromTeacher) throw new ConfigError(`--teacher: --method ${config.method} does not use a teacher`);
  const teacherCkpt = config.teacher ? readCheckpointFile(config.teacher) : undefined;
  if (teacherCkpt) config = validateFlags(normaliseAsTeacher(quickEpochs(configFromTeacher(config, teacherCkpt.net, config.teacher, givenKeys)), teacherCkpt));
  const quantMismatch = teacherCkpt && plan.kd ? teacherQuantMismatch(config, recordedConfig(teacherCkpt.config)) : null;
  if (quantMismatch) throw new ConfigError(`--teacher ${config.teacher}: ${quantMismatch}`);
  const out = path.resolve(args.out ?? path.join("runs", `${config.net}-${config.method}${config.method === "teacher" && config.form === "shortenable" ? "-shortenable" : ""}`));
  if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) throw new ConfigError(`--out ${out}: exists and is not a directory (a run directory is expected)`);
  // a start from scratch never overwrites a run: refused before anything is written (and runFolder is unset, so
  // not even failed.json is written there); checked again once the folder is locked, as another run may have
  // written it meanwhile (the lock is released at exit: the folder is left as it was)
  const startsOver = () => !(args.resume || (args["resume-if-present"] && findCheckpoint(out, "last")));
  const refuseStartOver = () => {
    const problem = startsOver() ? startOverProblem(out) : null;
    if (problem) throw new ConfigError(problem);
  };
  refuseStartOver();
  const backend = await initBackend();
  const env = runEnvironment();
  fs.mkdirSync(out, { recursive: true });
  acquireRunLock(out);
  refuseStartOver();
  runFolder = out;
  // temp files of a killed attempt (its checkpoint or results half written): the lock says no writer owns them
  for (const f of removeRunTemps(out)) say(`removed ${f}, left by an attempt that was killed while writing`);
  const log = (o: object) => fs.appendFileSync(path.join(out, "log.jsonl"), JSON.stringify({ t: new Date().toISOString(), ...o }) + "\n");

  const lastFile = findCheckpoint(out, "last");
  if (args.resume && !lastFile) throw new CheckpointError(`${path.join(out, "last.ckpt")}: no checkpoint to resume (--resume); drop --resume to start a new run, or use --resume-if-present`);
  const resuming = (args.resume || args["resume-if-present"]) && lastFile !== null;
  const ck = resuming ? readCheckpointFile(lastFile!) : undefined;
  // a resume must continue the run that was started (checked before the minutes of data loading)
  if (ck) {
    const mismatch = describeConfigMismatch(ck.config, config, lastFile!);
    if (mismatch) throw new CheckpointError(mismatch);
  }
  const teacherDigest = teacherCkpt ? modelDigest(teacherCkpt) : undefined;
  if (ck?.teacherDigest && teacherDigest && ck.teacherDigest !== teacherDigest) {
    throw new CheckpointError(`${config.teacher}: not the teacher ${lastFile} was trained from (model ${teacherDigest.slice(0, 12)}..., the checkpoint recorded ${ck.teacherDigest.slice(0, 12)}...)`);
  }
  const teacher = teacherCkpt ? modelFromCheckpoint(teacherCkpt, config.teacher) : undefined;
  clearFailure(out); // this attempt got past every check: an earlier failure no longer describes the run

  // a stop request (SIGTERM, SIGINT) ends the run after the current step, with a checkpoint of that step
  let stopRequested = false;
  const onSignal = (sig: string) => {
    if (stopRequested) {
      say(`${sig} again: exiting now (the last checkpoint is kept)`);
      process.exit(130);
    }
    stopRequested = true;
    say(`${sig}: stopping after the current step`);
  };
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));

  const t0 = Date.now();
  const raw = loadCifar10(args.data);
  const data: TailorData = { train: raw.train, test: raw.test };

  const committer = new CheckpointCommitter(out, ck);
  const stamp = (c: Checkpoint) => {
    if (teacherDigest) c.teacherDigest = teacherDigest;
    return c;
  };

  // started by the campaign runner: stop (with a checkpoint) when it dies, so that no orphan keeps writing the folder
  const hooks = {
    shouldStop: () => stopRequested || (stopWithParentPid > 0 && process.ppid !== stopWithParentPid),
    onStop: (ckpt: () => Checkpoint, partial: unknown) => {
      if (partial) committer.commitPartial(stamp(ckpt()));
      const c = ckpt();
      log({ event: "stop", epoch: c.epoch, partial: c.partial ?? null });
      progress.done(`stopped${c.partial ? ` in epoch ${c.partial.epoch + 1} after step ${c.partial.step}` : ` after epoch ${c.epoch + 1}`}: checkpoint ${path.join(out, "last.ckpt")}`);
    },
    config,
    data,
    teacher,
    env,
    onProgress: (p: Progress) =>
      progress.update(
        `epoch ${p.epoch + 1}/${p.epochs} step ${p.step}/${p.steps} loss ${p.loss.toFixed(4)} lr ${p.lr.toPrecision(2)} ` +
          `${p.imagesPerSecond.toFixed(0)} img/s ETA ${formatDuration(p.etaSeconds)}`,
        p.step === p.steps,
      ),
    onAlter: (epoch: number, k: number, mode: string) => {
      say(`after epoch ${epoch + 1}: skip ${k} -> ${mode}`);
      log({ event: "alter", epoch, skip: k, mode });
    },
    onEpoch: (r: EpochRecord, ckpt: () => Checkpoint, isBest: boolean) => {
      committer.commit(stamp(ckpt()), isBest);
      log({ event: "epoch", ...r });
      say(`epoch ${r.epoch + 1}: val loss ${r.valLoss.toFixed(4)} top-1 ${(100 * r.valTop1).toFixed(2)}%${isBest ? " (best)" : ""}`);
    },
  };

  let result: TailorResult;
  if (ck) {
    const file = lastFile!;
    const repaired = verifyBestOnResume(out, ck);
    if (repaired) {
      say(repaired);
      log({ event: "repair", note: repaired });
    }
    const model = modelFromCheckpoint(ck, file);
    const opt = newOptimizer(config);
    restoreOptimizer(opt, ck, file);
    const where = ck.partial ? `epoch ${ck.partial.epoch + 1}, step ${ck.partial.step}` : `epoch ${ck.epoch + 1}`;
    say(`resuming ${out} after ${where}`);
    // the arithmetic of what follows: a different backend, convolution path, thread count or CPU (oneDNN picks its
    // kernels by the instruction set: AVX-512 on one machine, AVX2 on the next) continues the run with other
    // roundings, so say so and record it (config.json keeps the start's environment, log.jsonl each resume's)
    const changed = (["backend", "backendKernels", "backendThreads", "cpu"] as const).filter((k) => ck.env[k] !== undefined && ck.env[k] !== env[k]);
    if (changed.length) say(`note: resuming with ${changed.map((k) => `${k} ${env[k]} (the run started with ${ck.env[k]})`).join(", ")}: not bit-identical to an uninterrupted run`);
    log({ event: "resume", epoch: ck.epoch, partial: ck.partial ?? null, env });
    result = await runToEndAsync(resumeTailorSteps(hooks, ck, model, opt));
  } else {
    writeFileAtomic(path.join(out, "config.json"), JSON.stringify({ config, env }, null, 2) + "\n");
    log({ event: "start", config, env });
    result = await runToEndAsync(startTailor(hooks));
  }
  if (result.stopped) process.exit(EXIT_STOPPED);

  // evaluate the best checkpoint (by validation loss, once the architecture is final), checked to be the model the
  // run recorded as its best, and the last model
  const bestFile = committer.bestFile(result.best);
  const best = bestFile ? modelFromCheckpoint(readCheckpointFile(bestFile), bestFile) : result.model;
  // minutes on a deep network: a stop request is honoured between batches (a resume repeats only this evaluation)
  const evaluate = async (what: string, ...a: Parameters<typeof evaluateSteps>): Promise<EvalResult> => {
    let seen = 0;
    const t0 = Date.now();
    const g = evaluateSteps(a[0], a[1], a[2], a[3], a[4], (n, total) => {
      seen += n;
      const rate = seen / Math.max(1e-3, (Date.now() - t0) / 1000);
      progress.update(`final evaluation, ${what}: ${seen}/${total} images, ${rate.toFixed(0)} img/s, ETA ${formatDuration((total - seen) / rate)}`);
    });
    for (;;) {
      const r = g.next();
      if (r.done) return r.value;
      await new Promise((res) => setImmediate(res));
      if (hooks.shouldStop()) {
        log({ event: "stop", epoch: result.history.length - 1, during: "final evaluation" });
        progress.done(`stopped during the final evaluation: every epoch is done, a resume evaluates again`);
        process.exit(EXIT_STOPPED);
      }
    }
  };
  const evalOf = async (m: typeof best, which: string) => ({
    val: await evaluate(`${which} model, validation split`, m, data.train, result.split.val, result.norm, config.evalBatchSize),
    test: await evaluate(`${which} model, test set`, m, data.test, result.split.test, result.norm, config.evalBatchSize),
  });
  const results = {
    config,
    env,
    backend: backend.name,
    net: best.net.name,
    skipModes: best.net.blocks.map((b) => b.skip),
    bestEpoch: result.best?.epoch ?? null,
    best: await evalOf(best, "best"),
    last: await evalOf(result.model, "last"),
    epochs: result.history.length,
    trainSeconds: result.history.reduce((s, h) => s + h.seconds, 0),
    wallSeconds: (Date.now() - t0) / 1000,
    normalisation: result.norm,
  };
  writeFileAtomic(path.join(out, "results.json"), JSON.stringify(results, null, 2) + "\n");
  log({ event: "done", best: results.best, bestEpoch: results.bestEpoch });
  progress.done(
    `done: best epoch ${(results.bestEpoch ?? -1) + 1}, val top-1 ${(100 * results.best.val.top1).toFixed(2)}%, test top-1 ${(100 * results.best.test.top1).toFixed(2)}% -> ${out}/results.json`,
  );
}

if (!launcherOnly) main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  if (runFolder) recordFailure(runFolder, (e as Error).message);
  // a flag, file or config the run cannot take exits 2, as the other scripts' usage errors do; a run that failed, 1
  process.exit(e instanceof ConfigError ? 2 : 1);
});
