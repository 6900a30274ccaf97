/**
 * Train a teacher, run Tailor (SkipRemover / SkipShortener) from a teacher, or train a baseline, on CIFAR-10.
 * Writes to --out: config.json, log.jsonl, last.ckpt.json, best.ckpt.json and, at the end, results.json; run.lock
 * (the PID of the run) while it runs.
 *
 *   npm run train -- --method teacher --epochs 30 --out runs/resnet8-teacher
 *   npm run train -- --method remover --teacher runs/resnet8-teacher/best.ckpt.json --out runs/resnet8-remover
 *   npm run train -- --quick            a tiny run (about a minute)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { initBackend } from "../src/backend/index.js";
import { defaultDataDir, loadCifar10 } from "../src/data/cifar10.js";
import { CONFIG_HELP, ConfigError, DEFAULT_CONFIG, validateConfig, type TrainConfig } from "../src/train/config.js";
import { CheckpointError, modelFromCheckpoint, parseCheckpoint, restoreOptimizer, type Checkpoint, type EpochRecord } from "../src/train/checkpoint.js";
import { evaluate } from "../src/train/evaluate.js";
import { methodPlan, newOptimizer, resumeTailor, runTailor, type Progress, type TailorData, type TailorResult } from "../src/train/tailor.js";
import { configFromTeacher } from "../src/train/teacher-check.js";
import { acquireRunLock } from "../src/util/run-lock.js";
import { runEnvironment } from "../src/util/env.js";
import { writeFileAtomic } from "../src/util/fs.js";
import { ensureHeapReuse, givenFlags, num, parseCli, type FlagSpec } from "./cli.js";

ensureHeapReuse();

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
  out: { type: "string", help: "run directory (default: runs/<net>-<method>); one run at a time (run.lock)" },
  data: { type: "string", help: "CIFAR-10 binary directory", default: defaultDataDir() },
  resume: { type: "boolean", help: "continue from <out>/last.ckpt.json" },
  quick: {
    type: "boolean",
    help: "tiny run: 2 epochs on 1,000 images, evaluated on 500, a skip altered every epoch (--epochs, --limit-train, --limit-eval, --every-epochs, --log-every given explicitly win)",
  },
};
const args = parseCli(
  "Usage: npm run train -- [options]\n\nWith --teacher, the network and block form are the teacher's (--net / --form, if given, must agree).",
  flagSpecs,
);
const given = givenFlags(flagSpecs);
const givenKeys = new Set((Object.keys(DEFAULT_CONFIG) as (keyof TrainConfig)[]).filter((k) => given.has(kebab(k))));

/** validateConfig's errors name the key; on the command line, name the flag */
function validateFlags(c: TrainConfig): TrainConfig {
  try {
    return validateConfig(c);
  } catch (e) {
    const m = /^(\w+): ([^]*)$/.exec((e as Error).message);
    if (e instanceof ConfigError && m && m[1] in DEFAULT_CONFIG) throw new ConfigError(`--${kebab(m[1])}: ${m[2]}`);
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
    } else if (Array.isArray(d)) c[k] = v === "" ? [] : v.split(",").map((x) => num(kebab(k), x, { int: true, min: 1 }));
    else c[k] = v;
  }
  if (args.quick) for (const [k, v] of Object.entries(QUICK)) if (!givenKeys.has(k as keyof TrainConfig)) c[k] = v;
  return validateFlags(c as unknown as TrainConfig);
}

function readCheckpoint(file: string): Checkpoint {
  if (!fs.existsSync(file)) throw new CheckpointError(`${file}: checkpoint not found`);
  if (fs.statSync(file).isDirectory()) throw new CheckpointError(`${file}: is a directory, expected a checkpoint file (such as ${path.join(file, "best.ckpt.json")})`);
  return parseCheckpoint(fs.readFileSync(file, "utf8"), file);
}

const fmtTime = (s: number) => (s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(0)} s`);

async function main() {
  let config = configFromArgs();
  // the teacher decides the network: read and check it before anything is written or decoded
  const plan = methodPlan(config.method);
  if (config.teacher && !plan.kd && !plan.fromTeacher) throw new ConfigError(`--teacher: --method ${config.method} does not use a teacher`);
  const teacherCkpt = config.teacher ? readCheckpoint(config.teacher) : undefined;
  if (teacherCkpt) config = configFromTeacher(config, teacherCkpt.net, config.teacher, givenKeys);
  const out = path.resolve(args.out ?? path.join("runs", `${config.net}-${config.method}${config.method === "teacher" && config.form === "shortenable" ? "-shortenable" : ""}`));
  if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) throw new ConfigError(`--out ${out}: exists and is not a directory (a run directory is expected)`);
  const backend = await initBackend();
  const env = runEnvironment();
  fs.mkdirSync(out, { recursive: true });
  acquireRunLock(out);
  const log = (o: object) => fs.appendFileSync(path.join(out, "log.jsonl"), JSON.stringify({ t: new Date().toISOString(), ...o }) + "\n");

  const t0 = Date.now();
  const raw = loadCifar10(args.data);
  const data: TailorData = { train: raw.train, test: raw.test };
  const teacher = teacherCkpt ? modelFromCheckpoint(teacherCkpt, config.teacher) : undefined;

  const hooks = {
    config,
    data,
    teacher,
    env,
    onProgress: (p: Progress) =>
      console.log(
        `epoch ${p.epoch + 1}/${p.epochs} step ${p.step}/${p.steps} loss ${p.loss.toFixed(4)} lr ${p.lr.toPrecision(2)} ` +
          `${p.imagesPerSecond.toFixed(0)} img/s ETA ${fmtTime(p.etaSeconds)}`,
      ),
    onAlter: (epoch: number, k: number, mode: string) => {
      console.log(`after epoch ${epoch + 1}: skip ${k} -> ${mode}`);
      log({ event: "alter", epoch, skip: k, mode });
    },
    onEpoch: (r: EpochRecord, ckpt: () => Checkpoint, isBest: boolean) => {
      const c = JSON.stringify(ckpt());
      writeFileAtomic(path.join(out, "last.ckpt.json"), c);
      if (isBest) writeFileAtomic(path.join(out, "best.ckpt.json"), c);
      log({ event: "epoch", ...r });
      console.log(`epoch ${r.epoch + 1}: val loss ${r.valLoss.toFixed(4)} top-1 ${(100 * r.valTop1).toFixed(2)}%${isBest ? " (best)" : ""}`);
    },
  };

  let result: TailorResult;
  if (args.resume && fs.existsSync(path.join(out, "last.ckpt.json"))) {
    const file = path.join(out, "last.ckpt.json");
    const ck = readCheckpoint(file);
    for (const k of ["net", "method", "form", "seed", "batchSize", "valSize", "everyEpochs"] as const) {
      if (ck.config[k] !== config[k]) throw new CheckpointError(`${file}: was trained with ${k}=${ck.config[k]}, this run has ${k}=${config[k]}`);
    }
    const model = modelFromCheckpoint(ck, file);
    const opt = newOptimizer(config);
    restoreOptimizer(opt, ck, file);
    console.log(`resuming ${out} after epoch ${ck.epoch + 1}`);
    log({ event: "resume", epoch: ck.epoch });
    result = resumeTailor(hooks, ck, model, opt);
  } else {
    writeFileAtomic(path.join(out, "config.json"), JSON.stringify({ config, env }, null, 2) + "\n");
    log({ event: "start", config, env });
    result = runTailor(hooks);
  }

  // evaluate the best checkpoint (by validation loss, once the architecture is final) and the last model
  const bestFile = path.join(out, "best.ckpt.json");
  const best = fs.existsSync(bestFile) ? modelFromCheckpoint(readCheckpoint(bestFile), bestFile) : result.model;
  const evalOf = (m: typeof best) => ({
    val: evaluate(m, data.train, result.split.val, result.norm),
    test: evaluate(m, data.test, result.split.test, result.norm),
  });
  const results = {
    config,
    env,
    backend: backend.name,
    net: best.net.name,
    skipModes: best.net.blocks.map((b) => b.skip),
    bestEpoch: result.best?.epoch ?? null,
    best: evalOf(best),
    last: evalOf(result.model),
    epochs: result.history.length,
    trainSeconds: result.history.reduce((s, h) => s + h.seconds, 0),
    wallSeconds: (Date.now() - t0) / 1000,
    normalisation: result.norm,
  };
  writeFileAtomic(path.join(out, "results.json"), JSON.stringify(results, null, 2) + "\n");
  log({ event: "done", best: results.best, bestEpoch: results.bestEpoch });
  console.log(
    `done: best epoch ${(results.bestEpoch ?? -1) + 1}, val top-1 ${(100 * results.best.val.top1).toFixed(2)}%, test top-1 ${(100 * results.best.test.top1).toFixed(2)}% -> ${out}/results.json`,
  );
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
