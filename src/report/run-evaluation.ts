/**
 * The accuracy group's evidence (claims C7a, C7b, C8): every trained run the claims read, its best checkpoint
 * re-evaluated on the 10,000 CIFAR-10 test images (never a number copied from its own record: a run whose record and
 * re-evaluation disagree is invalid), its state when it is not finished, and its training curve for the figures.
 * - the depth study (data/runs/depth, src/campaign/depth-plan.ts)
 * - the codesign view: the float and QAT runs of the campaign at their hardware (src/campaign/qat-plan.ts)
 * - the ResNet-8 short-schedule runs (data/runs/resnet8-short), the first runs of the project
 * This module reads files and evaluates networks; the verdicts and the tables are pure (accuracy-report.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { depthPlan } from "../campaign/depth-plan.js";
import { recipePlan } from "../campaign/recipe-plan.js";
import { recipeGapPlan } from "../campaign/recipe-gap-plan.js";
import { loadReleasedCheckpoints, RELEASED_CHECKPOINTS_FILE, type ReleasedCheckpoint } from "./recipe-study.js";
import type { GapRun } from "./recipe-gap.js";
import { runDir, type Plan, type PlannedRun } from "../campaign/plan.js";
import { campaignPlan } from "../campaign/qat-plan.js";
import { readFinished } from "../campaign/status.js";
import { testRecordProblem } from "../campaign/verify.js";
import type { Cifar10 } from "../data/cifar10.js";
import { NETWORK_NAMES, parseRunId, referenceRole, runId, sibling, type ClaimSpecs } from "../experiment/index.js";
import { PARTS } from "../hw/hls4ml/index.js";
import { evaluateInfer, INFER_BATCH } from "../infer/index.js";
import { modelFromCheckpoint, type EpochRecord } from "../train/checkpoint.js";
import { readCheckpointFile, readCheckpointMeta } from "../train/checkpoint-file.js";
import { recordedRunNormalisation } from "../train/tailor.js";
import { disposeModel } from "../train/model.js";
import { BEST, findCheckpoint, readFailure } from "../train/run-folder.js";
import { evalProgressLine, RateMeter } from "../util/progress.js";
import { checkpointAccuracy, type RunAccuracy } from "./accuracy.js";
import type { Curve } from "./accuracy-figures.js";
import { CODESIGN_HLS_REFERENCE, CODESIGN_PE_REFERENCE, codesignHardware, codesignRun, DESIGNS, PRECISIONS, type CodesignPoint } from "./codesign.js";
import { stateLabel, type DepthRun } from "./depth.js";
import { hlsReferenceConfig, peReferenceConfig } from "./hardware-claims.js";
import { historyFromLog, kernelsFromLog } from "./history.js";
import type { Step } from "./outputs.js";
import { loadPolicyChoice, POLICY_CHOICE_FILE, policyPlan } from "../campaign/policy-plan.js";
import { policyPoints, policyTeacherRun, type PolicyPoint } from "./policy-study.js";

/** Where the runs are, how to get CIFAR-10, and where progress goes. */
export interface RunSources {
  /** the repository: plan roots and run folders are relative to it */
  root: string;
  /** the ResNet-8 short-schedule runs (data/runs/resnet8-short) */
  shortRuns: string;
  /** CIFAR-10, loaded once by the caller (built on a fresh clone first) */
  data: () => Promise<Cifar10>;
  /** a progress line: a transient state (images evaluated) */
  progress: (line: string) => void;
  /** a line to keep (a missing checkpoint) */
  log: (line: string) => void;
  step: Step;
}

export interface DepthEvidence {
  runs: DepthRun[];
  /** run id -> its training curve (every run that has begun) */
  curves: Map<string, Curve>;
}

export interface RecipeEvidence extends DepthEvidence {
  /** the authors' released checkpoints its teachers are compared with */
  released: ReleasedCheckpoint[];
  /** the tests of why its teachers stay below the authors' (src/campaign/recipe-gap-plan.ts), the depth study's run first */
  gap: GapRun[];
  /** the schedule those tests train on, in epochs */
  gapEpochs: number;
}

export interface ShortRunsEvidence {
  /** the folder, relative to the repository */
  where: string;
  runs: RunAccuracy[];
  /** students of a second seed (same teachers), "<method>-seed<N>" */
  seeded: string[];
  /** run folder -> its curve, for the runs with a best checkpoint */
  curves: Map<string, Curve>;
}

export interface AccuracyEvidence {
  depth: DepthEvidence;
  /** the authors' 200-epoch ResNet-8 recipe (src/campaign/recipe-plan.ts), beyond the claims' own runs */
  recipe: RecipeEvidence;
  /** the per-skip policy study (issue 27): its networks' points, pure and mixed */
  policy: PolicyPoint[];
  codesign: CodesignPoint[];
  short: ShortRunsEvidence;
  /** finished runs whose files do not verify (src/campaign/verify.ts): reported, never a result */
  invalid: string[];
  /** the codesign view's FPGA part, for its figures */
  part: (typeof PARTS)[string];
}

/** The progress line of a stage that evaluates `runs` runs, `images` images in all: its rate and ETA. */
function stageProgress(src: RunSources, stage: string, runs: number, images: number) {
  const meter = new RateMeter(images);
  let index = 0;
  return {
    /** the next run: the callback of its batches */
    run(item: string): (n: number) => void {
      const i = ++index;
      return (n) => src.progress(`[reproduce] ${evalProgressLine({ stage, item, index: i, items: runs, ...meter.add(n) })}`);
    },
  };
}
type StageProgress = ReturnType<typeof stageProgress>;

/** How many of `runs` are finished and verify: the runs a stage evaluates (for its ETA). */
function finishedCount(src: RunSources, plan: Plan, runs: PlannedRun[]): number {
  return runs.filter((r) => {
    const f = readFinished(plan, r, src.root);
    return f !== null && f.problem === null;
  }).length;
}

/** A stage's progress over the finished ones of `runs`, on the test set (CIFAR-10 loaded only when one is finished). */
async function testStage(src: RunSources, stage: string, plan: Plan, runs: PlannedRun[]): Promise<StageProgress> {
  const n = finishedCount(src, plan, runs);
  return stageProgress(src, stage, n, n > 0 ? n * (await src.data()).test.count : 0);
}

/** Every epoch of a run: its log.jsonl when present (the best checkpoint's history stops at the best epoch). */
function runHistory(dir: string, fallback: EpochRecord[]): EpochRecord[] {
  const log = path.join(dir, "log.jsonl");
  const h = fs.existsSync(log) ? historyFromLog(fs.readFileSync(log, "utf8"), log) : [];
  return h.length >= fallback.length ? h : fallback;
}

/**
 * A planned run as the report shows it: a finished run's best checkpoint evaluated on the test set, a run still
 * training as "in progress" (never a result); with `curves`, its training history is added for the figures.
 */
async function evaluatePlanRun(src: RunSources, invalid: string[], plan: Plan, r: PlannedRun, base0: DepthRun, stage: StageProgress, curves?: Map<string, Curve>): Promise<DepthRun> {
  const dir = path.join(src.root, runDir(plan, r.id));
  const logFile = path.join(dir, "log.jsonl");
  const base: DepthRun = { ...base0, kernels: fs.existsSync(logFile) ? kernelsFromLog(fs.readFileSync(logFile, "utf8")) : undefined };
  const fin = readFinished(plan, r, src.root);
  // a run whose files do not verify is shown with the reason, never evaluated; the rest of the report goes on
  const markInvalid = (note: string): DepthRun => {
    invalid.push(`${r.id}: ${note}`);
    return { ...base, state: "invalid", note };
  };
  if (fin?.problem) return markInvalid(fin.problem);
  if (fin) {
    const res = fin.results;
    const file = path.join(dir, BEST);
    const ck = readCheckpointFile(file);
    const data = await src.data();
    // as the run normalised (its inputNorm, else its train split's statistics)
    const norm = recordedRunNormalisation(ck.config, data);
    const m = modelFromCheckpoint(ck, file);
    // the inference path (src/infer/): the eval forward with batch norm folded and the unit fused, on large batches
    const test = evaluateInfer(m, data.test, Int32Array.from({ length: data.test.count }, (_, i) => i), norm, INFER_BATCH, stage.run(r.id));
    disposeModel(m);
    const contradiction = testRecordProblem(res, path.relative(src.root, fin.resultsFile), test.top1, data.test.count);
    if (contradiction) return markInvalid(contradiction);
    const valTop1 = ck.history.find((h) => h.epoch === ck.epoch)?.valTop1;
    curves?.set(r.id, { run: base.run, method: r.config.method, history: runHistory(dir, ck.history), best: ck.epoch });
    const trainHours = typeof res.trainSeconds === "number" ? res.trainSeconds / 3600 : undefined;
    return { ...base, state: "done", epoch: r.config.epochs, bestEpoch: ck.epoch, valTop1, testTop1: test.top1, trainHours };
  }
  const failure = readFailure(dir);
  const last = findCheckpoint(dir, "last");
  if (!last && !failure) return base;
  const meta = last ? readCheckpointMeta(last) : null;
  const x: DepthRun = failure ? { ...base, state: "failed", note: failure, epoch: meta ? meta.epoch + 1 : 0 } : { ...base, state: "in progress", epoch: meta!.epoch + 1 };
  if (!meta) return x;
  // the figure's legend names the state; a failure's message is in the table and the claims
  curves?.set(r.id, { run: base.run, method: r.config.method, history: runHistory(dir, meta.history), state: x.state === "failed" ? "failed" : stateLabel(x) });
  return x;
}

/** A planned run before evaluation: its id's parts, and the run its gap is measured against. */
function depthRunBase(r: PlannedRun): DepthRun {
  const id = runId(r.id);
  const ref = referenceRole(id.role);
  return { id: r.id, net: id.net, run: r.id.slice(id.net.length + 1), method: r.config.method, reference: ref ? sibling(id, ref) : undefined, state: "not started", epoch: 0, epochs: r.config.epochs };
}

/** The depth study: every finished run's best checkpoint on the test set; a run still training shows as in progress. */
async function depthEvidence(src: RunSources, invalid: string[]): Promise<DepthEvidence> {
  const plan = depthPlan(); // relative root: the configs the campaign recorded
  const runs: DepthRun[] = [];
  const curves = new Map<string, Curve>();
  await src.step("depth study: accuracy of the finished runs", async () => {
    const stage = await testStage(src, "depth study", plan, plan.runs);
    for (const r of plan.runs) runs.push(await evaluatePlanRun(src, invalid, plan, r, depthRunBase(r), stage, curves));
  });
  return { runs, curves };
}

/** The codesign view: each design at each precision, its accuracy where its run is done, and its hardware at that precision. */
async function codesignEvidence(src: RunSources, specs: ClaimSpecs, depth: DepthRun[], invalid: string[]): Promise<CodesignPoint[]> {
  const plan = campaignPlan();
  const hlsRef = hlsReferenceConfig(CODESIGN_HLS_REFERENCE, specs.references[CODESIGN_HLS_REFERENCE]);
  const peRef = peReferenceConfig(CODESIGN_PE_REFERENCE, specs.references[CODESIGN_PE_REFERENCE]);
  // the networks with QAT runs, in the registry's order
  const qat = new Set(plan.runs.map((r) => runId(r.id)).filter((id) => id.precision !== "float").map((id) => id.net));
  const nets = NETWORK_NAMES.filter((n) => qat.has(n));
  const points: CodesignPoint[] = [];
  await src.step("codesign: QAT runs, and hardware at each trained precision", async () => {
    // a second seed only where the plan has one (students of ResNet-20: float, and C8's own at 4 bits)
    const cells = nets.flatMap((network) =>
      PRECISIONS.flatMap((precision) =>
        DESIGNS.flatMap((design) => [1, 2].map((seed) => ({ network, precision, design, seed, id: codesignRun(network, design, precision, seed) })))
          .map((c) => ({ ...c, r: plan.runs.find((x) => x.id === c.id) }))
          .filter((c) => c.seed === 1 || c.r),
      ),
    );
    // the float runs are the depth study's, evaluated once (depthEvidence)
    const own = (id: string) => !depth.some((x) => x.id === id);
    const stage = await testStage(src, "codesign", plan, cells.flatMap((c) => (c.r && own(c.id) ? [c.r] : [])));
    const cache = new Map();
    for (const { network, precision, design, seed, id, r } of cells) {
      const base: DepthRun = { id, net: network, run: id.slice(network.length + 1), method: r?.config.method ?? "", state: "not started", epoch: 0, epochs: r?.config.epochs ?? 0 };
      const st = !r ? base : (depth.find((x) => x.id === id) ?? (await evaluatePlanRun(src, invalid, plan, r, base, stage)));
      points.push({
        network,
        design,
        precision,
        run: id,
        // what ran: the run's own config (the id's suffix only names it)
        seed: r?.config.seed ?? seed,
        state: st.state,
        stateLabel: r ? stateLabel(st) : "not in the plan",
        testTop1: st.state === "done" && st.testTop1 !== undefined ? st.testTop1 : null,
        hw: codesignHardware(network, design, precision, hlsRef, peRef, cache),
      });
    }
  });
  return points;
}

/** The ResNet-8 short-schedule runs: validation and test top-1 of each best checkpoint, and each run's curve. */
async function shortRunsEvidence(src: RunSources): Promise<ShortRunsEvidence> {
  const runsDir = src.shortRuns;
  const data = await src.data();
  const seeded = fs.existsSync(runsDir) ? fs.readdirSync(runsDir).filter((d) => /^(remover|shortener)-seed\d+$/.test(d) && parseRunId(`resnet8/${d}`)).sort() : [];
  const names = ["teacher", "remover", ...seeded.filter((d) => d.startsWith("remover")), "noskip", "noskip-kd", "teacher-shortenable", "shortener", ...seeded.filter((d) => d.startsWith("shortener")), "shortened-scratch"];
  const runs: RunAccuracy[] = [];
  await src.step("accuracy of the committed checkpoints", () => {
    const present = names.flatMap((run) => {
      const file = findCheckpoint(path.join(runsDir, run), "best") ?? path.join(runsDir, run, "best.ckpt");
      if (fs.existsSync(file)) return [{ run, file }];
      src.log(`[reproduce] ${file}: missing (train it with npm run train:cifar)`);
      return [];
    });
    // each run's validation split and the test set
    const images = present.reduce((s, { file }) => s + readCheckpointMeta(file).config.valSize + data.test.count, 0);
    const stage = stageProgress(src, "ResNet-8 short runs", present.length, images);
    for (const { run, file } of present) runs.push(checkpointAccuracy(run, readCheckpointFile(file), file, data, stage.run(run)));
  });
  const curves = new Map<string, Curve>();
  for (const run of names) {
    const dir = path.join(runsDir, run);
    const f = findCheckpoint(dir, "best") ?? path.join(dir, "best.ckpt");
    if (!fs.existsSync(f)) continue;
    const meta = readCheckpointMeta(f);
    curves.set(run, { run, method: meta.config.method, history: runHistory(dir, meta.history), best: meta.epoch });
  }
  return { where: path.relative(src.root, runsDir), runs, seeded, curves };
}

/**
 * The per-skip policy study: the policy plan's runs evaluated (its teachers are the depth study's, evaluated there),
 * beside the depth study's pure runs of the same networks, with their hardware at the hls4ml reference configuration.
 */
async function policyEvidence(src: RunSources, specs: ClaimSpecs, depth: DepthRun[], invalid: string[]): Promise<PolicyPoint[]> {
  const plan = policyPlan(loadPolicyChoice(path.join(src.root, POLICY_CHOICE_FILE)));
  const hls = hlsReferenceConfig(CODESIGN_HLS_REFERENCE, specs.references[CODESIGN_HLS_REFERENCE]);
  const pe = peReferenceConfig(CODESIGN_PE_REFERENCE, specs.references[CODESIGN_PE_REFERENCE]);
  return src.step("per-skip policies: accuracy of the finished runs, hardware of every policy", async () => {
    const runs: DepthRun[] = [];
    const policyRuns = plan.runs.filter((x) => x.config.method === "policy");
    const stage = await testStage(src, "per-skip policies", plan, policyRuns);
    for (const r of policyRuns) {
      const id = runId(r.id);
      const base: DepthRun = { id: r.id, net: id.net, run: r.id.slice(id.net.length + 1), method: r.config.method, reference: policyTeacherRun(id.net, id.policy!), state: "not started", epoch: 0, epochs: r.config.epochs };
      runs.push(await evaluatePlanRun(src, invalid, plan, r, base, stage));
    }
    const cache = new Map();
    const nets = [...new Set(plan.runs.map((r) => runId(r.id).net))];
    return nets.flatMap((net) => policyPoints(net, depth, runs, hls, pe, cache));
  });
}

/** The authors' 200-epoch recipe: every finished run's best checkpoint on the test set; a run still training shows as in progress. */
async function recipeEvidence(src: RunSources, invalid: string[], depth: DepthRun[]): Promise<RecipeEvidence> {
  const plan = recipePlan();
  const released = loadReleasedCheckpoints(path.join(src.root, RELEASED_CHECKPOINTS_FILE));
  const runs: DepthRun[] = [];
  const curves = new Map<string, Curve>();
  await src.step("the authors' 200-epoch recipe: accuracy of the finished runs", async () => {
    const stage = await testStage(src, "recipe", plan, plan.runs);
    for (const r of plan.runs) runs.push(await evaluatePlanRun(src, invalid, plan, r, depthRunBase(r), stage, curves));
  });
  // the gap tests' own runs; the depth study's run they are read against is evaluated there already
  const gapPlan = recipeGapPlan();
  const gap: GapRun[] = [];
  const fromDepth = (r: PlannedRun) => (r.dir !== undefined ? depth.find((d) => d.id === r.id) : undefined);
  await src.step("why the recipe's teachers stay below the authors': the test runs", async () => {
    const stage = await testStage(src, "recipe gap", gapPlan, gapPlan.runs.filter((r) => !fromDepth(r)));
    for (const r of gapPlan.runs) {
      const run = fromDepth(r) ?? (await evaluatePlanRun(src, invalid, gapPlan, r, depthRunBase(r), stage));
      gap.push({ ...run, batch: r.config.batchSize, seed: r.config.seed });
    }
  });
  return { runs, curves, released, gap, gapEpochs: gapPlan.runs[0].config.epochs };
}

/** Every run the accuracy claims read, evaluated once. */
export async function accuracyEvidence(src: RunSources, specs: ClaimSpecs): Promise<AccuracyEvidence> {
  const invalid: string[] = [];
  const depth = await depthEvidence(src, invalid);
  const codesign = await codesignEvidence(src, specs, depth.runs, invalid);
  const short = await shortRunsEvidence(src);
  const policy = await policyEvidence(src, specs, depth.runs, invalid);
  const recipe = await recipeEvidence(src, invalid, depth.runs);
  const part = PARTS[hlsReferenceConfig(CODESIGN_HLS_REFERENCE, specs.references[CODESIGN_HLS_REFERENCE]).part];
  return { depth, recipe, policy, codesign, short, invalid, part };
}
