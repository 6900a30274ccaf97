/**
 * The accuracy group (claims C7a, C7b, C8): the verdict of C7a, and the group's tables and figures from the evaluated
 * runs (run-evaluation.ts). C7b's verdict is in depth.ts (checkC7b), C8's in codesign.ts (checkC8). Pure.
 */
import { RECIPE_HEADERS, recipeAnswer, recipeRows } from "./recipe-study.js";
import { GAP_HEADERS, gapAnswer, gapRows } from "./recipe-gap.js";
import { DEPTH_COMMON } from "../campaign/depth-plan.js";
import { AUTHORS_BATCH_PER_GPU, GAP_BATCH } from "../campaign/recipe-gap-plan.js";
import { POLICY_HEADERS, policyAnswer, policyFigure, policyRows, policyTable, seedNoise } from "./policy-study.js";
import { claimSpec, methodLabel, networkLabel, TAILOR_METHODS, teacherRoleOf, type ClaimSpec, type ClaimSpecs, type Method } from "../experiment/index.js";
import { csvTable, markdownTable } from "../util/table.js";
import { accuracyFigure, depthFigure, trainingFigure, type Curve, type CurvePanel } from "./accuracy-figures.js";
import { awaitingClaim, checkClaim, type ClaimResult } from "./claims.js";
import { CODESIGN_HEADERS, CODESIGN_HLS_REFERENCE, CODESIGN_PE_REFERENCE, codesignFigure, codesignRows, paperHeadline } from "./codesign.js";
import { c7aGaps, c7aWaiting, DEPTH_HEADERS, depthRows, kernelChanges, stateLabel } from "./depth.js";
import type { Outputs } from "./outputs.js";
import type { AccuracyEvidence, ShortRunsEvidence } from "./run-evaluation.js";

/** The short-schedule runs' gaps: each Tailor student (any seed) against its own teacher, [name, gap in points]. */
function shortRunGaps(short: ShortRunsEvidence): [string, number][] {
  const by = (run: string) => short.runs.find((a) => a.run === run);
  return short.runs.flatMap((a): [string, number][] => {
    const m = a.method as Method;
    if (!TAILOR_METHODS.includes(m as never)) return [];
    const teacher = by(teacherRoleOf(m as (typeof TAILOR_METHODS)[number]));
    const seed = /-(seed\d+)$/.exec(a.run)?.[1];
    return teacher ? [[`${methodLabel(m)}${seed ? ` (${seed})` : ""}`, 100 * (a.testTop1 - teacher.testTop1)]] : [];
  });
}

/**
 * C7a: the worst Tailor student, each against its own teacher (test top-1): the short-schedule ResNet-8 runs (scope
 * shortRuns) and the depth study's students of the scope's networks. In progress while those depth runs train.
 */
export function checkC7a(spec: ClaimSpec, ev: AccuracyEvidence): ClaimResult {
  const nets = spec.scope?.nets;
  if (!nets) throw new Error(`${spec.id}: its scope (data/claims.json) names no networks`);
  const short = ev.short;
  const deltas = [...(spec.scope?.shortRuns ? shortRunGaps(short) : []), ...c7aGaps(ev.depth.runs, nets)];
  const waiting = c7aWaiting(ev.depth.runs, nets);
  // a missing checkpoint of the short-schedule runs would silently drop students from the worst-student check
  const core = spec.scope?.shortRuns ? ["teacher", "remover", "teacher-shortenable", "shortener"].filter((r) => !short.runs.some((a) => a.run === r)) : [];
  const worst = deltas.length && !core.length ? deltas.reduce((m, d) => (d[1] < m[1] ? d : m)) : null;
  const gaps = `${deltas.map(([n, d]) => `${n} ${d >= 0 ? "+" : ""}${d.toFixed(2)} pp`).join(", ")} (test top-1 vs own teacher; ${short.where}, data/runs/depth)`;
  const schedule = (name: string) => (name.startsWith("depth ") ? "with the depth study's schedule (teachers 40 epochs" : "with our short schedule (12 epochs");
  // the claim covers the depth study's students of its networks: no verdict until they are all done
  if (waiting.length && worst) return awaitingClaim(spec, waiting, `the depth campaign: npm run campaign -- --status; so far, without them: ${gaps}`);
  return checkClaim(
    spec,
    worst ? worst[1] : null,
    worst ? gaps : `checkpoints missing: ${core.length ? core.join(", ") : "every run"} under ${short.where} (npm run train:cifar)`,
    (v) => `${worst![0]} loses ${(-v).toFixed(2)} pp ${schedule(worst![0])}; the paper trains for 200)`,
  );
}

function depthOutputs(ev: AccuracyEvidence, specs: ClaimSpecs): Outputs {
  const runs = ev.depth.runs;
  const curves = ev.depth.curves;
  const done = runs.filter((r) => r.state === "done").length;
  const changed = kernelChanges(runs);
  const intro =
    `# The depth study: Tailor on ResNet-8, -20 and -56, CIFAR-10 (data/runs/depth, ${done} of ${runs.length} runs finished)\n\n` +
    "Best checkpoint by validation loss (once every skip is altered), test top-1 on the 10,000 test images; gap = test top-1 minus the reference's " +
    "(students: their own teacher; noskip: the plain teacher). Schedules: src/campaign/depth-plan.ts. A run still training shows its progress, never a result. " +
    "Training hours: the wall time of each run's optimisation steps summed over its epochs and sessions (results.json trainSeconds; validation not included), " +
    "two runs at a time, one thread each, on the machines each run names (the env of its config.json and of each start and resume record in its log.jsonl)." +
    (changed.length ? ` Resumed on other convolution kernels (each resume is noted in the run's stdout.log): ${changed.join("; ")}.` : "") +
    "\n\n";
  const figures: Outputs["figures"] = { "accuracy-depth": depthFigure(runs, claimSpec(specs, "C7a")) };
  // training curves per depth, of every run that has begun (a run in progress is dashed and named so)
  for (const net of [...new Set(runs.map((r) => r.net))]) {
    const c = (run: string) => curves.get(`${net}/${run}`);
    const some = (...xs: (Curve | undefined)[]) => xs.filter((x): x is Curve => !!x);
    const panels: CurvePanel[] = [
      { title: "plain form: teacher, then SkipRemover", teacher: c("teacher"), curves: some(c("remover"), c("remover-seed2")) },
      { title: "shortenable form: teacher, then SkipShortener", teacher: c("teacher-shortenable"), curves: some(c("shortener"), c("shortener-seed2")) },
      { title: "no skips from scratch (the teacher's schedule)", curves: some(c("noskip")) },
    ].filter((p) => p.teacher || p.curves.length);
    if (!panels.length) continue;
    const waiting = runs.filter((r) => r.net === net && r.state !== "done").map((r) => `${r.run} ${stateLabel(r)}`);
    const note = waiting.length ? `Not finished: ${waiting.join(", ")}; dashed curves are runs in progress, not results.` : "";
    figures[`training-depth-${net}`] = trainingFigure(panels, `${networkLabel(net)}, depth study (data/runs/depth): validation top-1 per epoch`, note);
  }
  return {
    tables: { "accuracy-depth.md": intro + markdownTable(DEPTH_HEADERS, depthRows(runs)), "accuracy-depth.csv": csvTable(DEPTH_HEADERS, depthRows(runs)) },
    figures,
  };
}

function codesignOutputs(ev: AccuracyEvidence, specs: ClaimSpecs): Outputs {
  const points = ev.codesign;
  const done = points.filter((p) => p.state === "done").length;
  const intro =
    `# Codesign: accuracy against hardware at the trained precision (${done} of ${points.length} networks trained)\n\n` +
    `Float: the depth study's runs; 8-bit and 4-bit: the QAT runs of the campaign (src/campaign/qat-plan.ts). hls4ml at the reference configuration ` +
    `"${CODESIGN_HLS_REFERENCE}" with the trained widths (float: hls4ml's default ap_fixed<16,6>); PE array at "${CODESIGN_PE_REFERENCE}", ` +
    `its native 8-bit width at every precision (src/report/codesign.ts). Gap: test top-1 minus the own teacher's at the same precision. ` +
    `A "-seed2" run is a second training seed of a student, from the same teacher. ` +
    `A run still training shows its progress, never a result.\n\n`;
  const figures: Outputs["figures"] = {};
  for (const network of [...new Set(points.map((p) => p.network))]) figures[`codesign-${network}`] = codesignFigure(points, network, paperHeadline(specs.claims), ev.part);
  return { tables: { "codesign.md": intro + markdownTable(CODESIGN_HEADERS, codesignRows(points)), "codesign.csv": csvTable(CODESIGN_HEADERS, codesignRows(points)) }, figures };
}

function shortRunOutputs(ev: AccuracyEvidence, specs: ClaimSpecs): Outputs {
  const { runs: acc, where, seeded, curves } = ev.short;
  // top-1 values are k/10,000 images: always two decimals ("79.00", never "79" beside "79.51")
  const pct2 = (v: number) => (100 * v).toFixed(2);
  const rows = acc.map((a) => [a.run, a.method, a.skipModes.join(","), a.epoch + 1, pct2(a.valTop1), pct2(a.testTop1), pct2(a.testTop5)]);
  const headers = ["run", "method", "skip modes", "best epoch", "val top-1 %", "test top-1 %", "test top-5 %"];
  const figures: Outputs["figures"] = {};
  const teacherOf = (r: { method: string }) => (TAILOR_METHODS.includes(r.method as never) ? teacherRoleOf(r.method as (typeof TAILOR_METHODS)[number]) : undefined);
  if (acc.length) figures["accuracy-resnet8"] = accuracyFigure(acc, teacherOf, claimSpec(specs, "C7a"), `ResNet-8 on CIFAR-10 (${where}): Tailor's students against their teachers`);
  const panel = (title: string, teacher: string | null, students: string[]): CurvePanel[] => {
    const t = teacher ? (curves.get(teacher) ?? null) : null;
    const cs = students.map((s) => curves.get(s)).filter((c): c is Curve => !!c);
    return t || cs.length ? [{ title, teacher: t ?? undefined, curves: cs }] : [];
  };
  const panels = [
    ...panel("plain form: teacher, then SkipRemover", "teacher", ["remover", ...seeded.filter((d) => d.startsWith("remover"))]),
    ...panel("shortenable form: teacher, then SkipShortener", "teacher-shortenable", ["shortener", ...seeded.filter((d) => d.startsWith("shortener"))]),
    ...panel("from scratch, the teacher's schedule", null, ["teacher", "noskip", "noskip-kd", "shortened-scratch"]),
  ];
  if (panels.length) figures["training-resnet8"] = trainingFigure(panels, `ResNet-8 on CIFAR-10 (${where}): validation top-1 per epoch`);
  return { tables: { "accuracy.md": `# ResNet-8 on CIFAR-10 (${where})\n\n` + markdownTable(headers, rows), "accuracy.csv": csvTable(headers, rows) }, figures };
}

/** Beyond the paper: the per-skip policies (docs/policy-rule.md) against the pure ones, per network. */
function policyOutputs(ev: AccuracyEvidence): Outputs {
  const nets = [...new Set(ev.policy.map((p) => p.net))];
  // one seed noise for the study: the largest over its networks (a network with no policy of two finished seeds reads another's)
  const noise = seedNoise(ev.policy);
  const figures: Outputs["figures"] = {};
  for (const net of nets) figures[`policy-${net}`] = policyFigure(net, ev.policy.filter((p) => p.net === net));
  const intro =
    "# Per-skip policies (issue 27): the mixed policies chosen by docs/policy-rule.md beside the pure ones and the teachers\n\n" +
    "Hardware: the hls4ml model at the reference configuration. Test top-1 of each finished run's best checkpoint.\n\n" +
    nets.map((n) => `- ${policyAnswer(n, ev.policy.filter((p) => p.net === n), noise)}`).join("\n") +
    "\n\n";
  return { tables: { "policy-study.md": intro + policyTable(ev.policy), "policy-study.csv": csvTable(POLICY_HEADERS, policyRows(ev.policy)) }, figures };
}

/** The authors' 200-epoch ResNet-8 recipe (issue 28): its runs, the authors' released checkpoints, C7a at this schedule. */
function recipeOutputs(ev: AccuracyEvidence, specs: ClaimSpecs): Outputs {
  const { runs, curves, released } = ev.recipe;
  const done = runs.filter((r) => r.state === "done").length;
  const intro =
    `# The authors' 200-epoch ResNet-8 recipe (data/runs/recipe, ${done} of ${runs.length} runs finished)\n\n` +
    "Their schedule (src/campaign/recipe-plan.ts: 200 epochs, batch 32, StepLR 30 x 0.1, a skip altered every 3 epochs, KD 0.35/0.65, the teacher's batch norm in " +
    "batch statistics), the depth study's validation split and seeds. Best checkpoint by validation loss (students: once every skip is altered), test top-1 on the " +
    "10,000 test images. The authors' released checkpoints (data/published/tailor-released-checkpoints.json) were selected on their own validation images, other than ours: " +
    "10,000 on one GPU; under DDP on N GPUs, the validation loss that picks the checkpoint and the top-1 in its name are rank 0's share, 10,000/N images " +
    "(oliviaweng/tailor tailor.py logs them with sync_dist=False, rank_zero_only=True), so the named top-1 is read on the images that chose it.\n\n" +
    recipeAnswer(runs, curves, released, ev.depth.runs, claimSpec(specs, "C7a"))
      .map((s) => `- ${s}`)
      .join("\n") +
    "\n\n";
  const c = (run: string) => curves.get(`resnet8/${run}`);
  const some = (...xs: (Curve | undefined)[]) => xs.filter((x): x is Curve => !!x);
  const panels: CurvePanel[] = [
    { title: "plain form: teacher, then SkipRemover", teacher: c("teacher"), curves: some(c("remover")) },
    { title: "shortenable form: teacher, then SkipShortener", teacher: c("teacher-shortenable"), curves: some(c("shortener")) },
  ].filter((p) => p.teacher || p.curves.length);
  const waiting = runs.filter((r) => r.state !== "done").map((r) => `${r.run} ${stateLabel(r)}`);
  const figures: Outputs["figures"] = panels.length
    ? { "training-recipe-resnet8": trainingFigure(panels, "ResNet-8, the authors' 200-epoch recipe (data/runs/recipe): validation top-1 per epoch", waiting.length ? `Not finished: ${waiting.join(", ")}; dashed curves are runs in progress, not results.` : "") }
    : {};
  const base = DEPTH_COMMON.batchSize!;
  const gapSection =
    "\n## Why our teachers are below the authors': does the batch explain it? (data/runs/recipe-gap)\n\n" +
    `The authors' teacher scripts train with ${AUTHORS_BATCH_PER_GPU} images per GPU on every GPU of the machine (Lightning DDP), at our learning rate: with N GPUs, ${AUTHORS_BATCH_PER_GPU}N images a step (N is not stated). ` +
    `Tested on the depth study's ${ev.recipe.gapEpochs}-epoch ResNet-8 teacher (src/campaign/recipe-gap-plan.ts): at batch ${GAP_BATCH} (batch norm over all ${GAP_BATCH} images, where DDP's is over each GPU's ${AUTHORS_BATCH_PER_GPU}) against two seeds at batch ${base}.\n\n` +
    `- ${gapAnswer(ev.recipe.gap, base, ev.recipe.gapEpochs)}\n\n` +
    markdownTable(GAP_HEADERS, gapRows(ev.recipe.gap));
  return {
    tables: {
      "recipe.md": intro + markdownTable(RECIPE_HEADERS, recipeRows(runs, curves, released)) + gapSection,
      "recipe.csv": csvTable(RECIPE_HEADERS, recipeRows(runs, curves, released)),
      "recipe-gap.csv": csvTable(GAP_HEADERS, gapRows(ev.recipe.gap)),
    },
    figures,
  };
}

/** The group's tables and figures: the depth study, the codesign view, the short-schedule runs, the policy study, the recipe. */
export function accuracyOutputs(ev: AccuracyEvidence, specs: ClaimSpecs): Outputs {
  const parts = [depthOutputs(ev, specs), codesignOutputs(ev, specs), shortRunOutputs(ev, specs), policyOutputs(ev), recipeOutputs(ev, specs)];
  return { tables: Object.assign({}, ...parts.map((p) => p.tables)), figures: Object.assign({}, ...parts.map((p) => p.figures)) };
}
