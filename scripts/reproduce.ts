/**
 * Reproduce the paper's claims C1-C8 (data/claims.json) and write every table and figure under figures/.
 *   npm run reproduce                 cost-model sweeps, accuracy of the committed checkpoints, a training smoke test
 *   npm run reproduce -- --only C3    one claim (its group is computed; the other claims carry over in claims.json|md)
 *   npm run reproduce -- --full       first retrain ResNet-8 with the paper's schedule (hours), then the same
 * Ends with the claims table: per claim the value at its reference configuration (data/claims.json "references"),
 * whether it is within the tolerance, the sweep's min / median / max, whether the paper's value is attainable, and
 * one status; figures/claims.json holds it with where each value comes from.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend } from "../src/backend/index.js";
import { defaultDataDir, loadCifar10 } from "../src/data/cifar10.js";
import { awaitingClaim, checkClaim, type ClaimResult, type ClaimSpec } from "../src/report/claims.js";
import { claimsNotes, claimsTable, claimsTerminalTable } from "../src/report/claims-table.js";
import { carriedOverNote, mergeClaims, parseClaimsFile, type ClaimsFile } from "../src/report/claims-file.js";
import { accuracyFigure, depthFigure, trainingFigure, type Curve, type CurvePanel } from "../src/report/accuracy-figures.js";
import { hlsClaimFigure, hlsResourceFigure, peClaimFigure, peFigure, type Figure } from "../src/report/figures.js";
import { hlsClaim, hlsReferenceConfig, hlsReferenceRows, peClaim, peReferenceConfig, peReferenceRows, type HlsQuantity, type PeQuantity, type ReferenceSpec } from "../src/report/hardware-claims.js";
import { historyFromLog, kernelsFromLog } from "../src/report/history.js";
import { hls4mlSweep, type HlsRow } from "../src/report/hls4ml-sweep.js";
import { comparePublished, errorPct, type PublishedSet } from "../src/report/published-hls4ml.js";
import { peSweep, type PeRow } from "../src/report/pe-sweep.js";
import { hlsLatency, hlsSaving, peGain } from "../src/report/summary.js";
import { csvTable, markdownTable } from "../src/report/table.js";
import { checkpointAccuracy, type RunAccuracy } from "../src/report/accuracy.js";
import { depthPlan } from "../src/campaign/depth-plan.js";
import { runDir, type Plan, type PlannedRun } from "../src/campaign/plan.js";
import { campaignPlan, QAT_NETS } from "../src/campaign/qat-plan.js";
import { checkC8, CODESIGN_HEADERS, CODESIGN_HLS_REFERENCE, CODESIGN_PE_REFERENCE, paperHeadline, codesignFigure, codesignHardware, codesignRows, codesignRun, DESIGNS, PRECISIONS, type CodesignPoint } from "../src/report/codesign.js";
import { PARTS } from "../src/hw/hls4ml/index.js";
import { channelStats, splitTrainVal } from "../src/data/batches.js";
import { c7aGaps, c7aWaiting, checkC7b, DEPTH_HEADERS, depthRows, kernelChanges, stateLabel, type DepthRun } from "../src/report/depth.js";
import { netName } from "../src/report/plot-style.js";
import { modelFromCheckpoint } from "../src/train/checkpoint.js";
import { readCheckpointFile, readCheckpointMeta } from "../src/train/checkpoint-file.js";
import { splitSeedOf } from "../src/train/config.js";
import { evaluate } from "../src/train/evaluate.js";
import { disposeModel } from "../src/train/model.js";
import { BEST, findCheckpoint, readFailure } from "../src/train/run-folder.js";
import { readFinished } from "../src/campaign/status.js";
import { testRecordProblem } from "../src/campaign/verify.js";
import { runEnvironment } from "../src/util/env.js";
import { writeFileAtomic } from "../src/util/fs.js";
import { eta, formatDuration, ProgressLine } from "../src/util/progress.js";
import type { EpochRecord } from "../src/train/checkpoint.js";
import { ensureCifarCache } from "./cifar-cache.js";
import { ensureHeapReuse, shareCoresWithCampaign, parseCli } from "./cli.js";
import { writeHtml, writeImages } from "./render.js";

shareCoresWithCampaign();
ensureHeapReuse();
const ROOT = path.resolve(__dirname, "..");
const args = parseCli("Usage: npm run reproduce -- [options]", {
  only: { type: "string", help: "compute one claim (C1..C8) and its group only" },
  full: { type: "boolean", help: "retrain ResNet-8 with the paper's 200-epoch schedule first (about 21 hours on this 2-core machine: seven runs of 200 epochs in two lanes)" },
  runs: { type: "string", help: "directory of the trained runs to evaluate (default: data/runs/resnet8-short, with --full data/runs/resnet8-full)" },
  out: { type: "string", help: "output directory", default: path.join(ROOT, "figures") },
  "no-smoke": { type: "boolean", help: "skip the training smoke test" },
});

const claimsFile = path.join(ROOT, "data", "claims.json");
const claimsData = JSON.parse(fs.readFileSync(claimsFile, "utf8"));
const specs: ClaimSpec[] = claimsData.claims;
const references: Record<string, ReferenceSpec> = claimsData.references ?? {};
for (const s of specs) {
  if (s.reference !== undefined && !references[s.reference]) {
    console.error(`error: ${claimsFile}: ${s.id}.reference "${s.reference}" is not one of references (${Object.keys(references).join(", ")})`);
    process.exit(2);
  }
}
if (args.only && !specs.some((s) => s.id === args.only)) {
  console.error(`error: --only ${args.only}: expected one of ${specs.map((s) => s.id).join(", ")}`);
  process.exit(2);
}
const wanted = (group: string) => !args.only || specs.find((s) => s.id === args.only)!.group === group;
const out = path.resolve(args.out);
// read before minutes of work, so that a damaged file stops the run at once
const claimsJson = path.join(out, "claims.json");
let earlierClaims: ClaimsFile | null = null;
if (args.only && fs.existsSync(claimsJson)) {
  try {
    earlierClaims = parseClaimsFile(fs.readFileSync(claimsJson, "utf8"), claimsJson);
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    process.exit(2);
  }
}
fs.mkdirSync(out, { recursive: true });
const figures: { fig: Figure; file: string }[] = [];
const addFigure = (name: string, fig: Figure) => {
  writeHtml(fig, path.join(out, `${name}.html`));
  figures.push({ fig, file: path.join(out, `${name}.png`) });
};
const timings: Record<string, number> = {};
const progress = new ProgressLine();
const timed = async <T>(name: string, f: () => T | Promise<T>): Promise<T> => {
  const t0 = performance.now();
  progress.update(`[reproduce] ${name} ...`, true);
  const r = await f();
  timings[name] = (performance.now() - t0) / 1000;
  progress.done(`[reproduce] ${name}: ${timings[name].toFixed(1)} s`);
  return r;
};
const results: ClaimResult[] = [];
const spec = (id: string) => specs.find((s) => s.id === id)!;

function hlsTables(rows: HlsRow[]) {
  const headers = ["network", "method", "config", "flow", "strategy", "shortened build", "fits", "BRAM18", "BRAM change %", "FF", "FF change %", "LUT", "LUT change %", "DSP", "latency cycles", "latency change %"];
  const cells = (r: HlsRow) => [r.network, r.method, r.label, r.flow, r.strategy, r.shortImpl, r.fits, r.base.bram18, r.change.bram18, Math.round(r.base.ff), r.change.ff, Math.round(r.base.lut), r.change.lut, r.base.dsp, r.base.latencyCycles, r.change.latency];
  writeFileAtomic(path.join(out, "hls4ml-sweep.csv"), csvTable(headers, rows.map(cells)));
  const mlperf = rows.filter((r) => r.label.startsWith("MLPerf"));
  writeFileAtomic(
    path.join(out, "hls4ml-mlperf-tiny.md"),
    "# hls4ml, MLPerf-Tiny-like configuration (xc7z020, Resource, RF 16384, 8-bit weights, 10-bit activations), every flow\n\n" +
      markdownTable(headers, mlperf.map(cells)),
  );
}

/** The model beside public synthesis reports of hls4ml's CNN tutorial (data/published/hls4ml-tutorial-cnn.json). */
function publishedCheck() {
  const file = path.join(ROOT, "data", "published", "hls4ml-tutorial-cnn.json");
  const set: PublishedSet = JSON.parse(fs.readFileSync(file, "utf8"));
  const r = comparePublished(set);
  const err = (m: number, o: number) => {
    const e = errorPct(m, o);
    return Number.isFinite(e) ? e.toFixed(1) : "n/a";
  };
  const streamRows = r.streams.map((s) => [s.design, s.stream, s.tensor, s.bits, s.observed.fifos, s.model.fifos, s.observed.depth, s.model.depth, s.model.storage, s.observed.bram18, s.model.bram18, s.observed.ff, s.model.ff]);
  const streamHeaders = ["design", "stream", "tensor", "bits", "FIFOs", "model FIFOs", "depth", "model depth", "model storage", "BRAM18 (HLS est.)", "model BRAM18", "FF (HLS est.)", "model FF"];
  const procRows = r.processes.map((p) => [p.design, p.instance, p.kind, p.observed.dsp, p.model.dsp, p.observed.ff, p.model.ff, err(p.model.ff, p.observed.ff), p.observed.lut, p.model.lut, err(p.model.lut, p.observed.lut)]);
  const procHeaders = ["design", "instance", "kind", "DSP", "model DSP", "FF", "model FF", "FF error %", "LUT", "model LUT", "LUT error %"];
  const totalRows = r.totals.map((t) => [t.design, t.quantity, t.observed, t.model, Number.isFinite(t.errorPct) ? t.errorPct : "n/a", t.note]);
  const totalHeaders = ["design", "quantity", "published", "model", "error %", "note"];
  writeFileAtomic(path.join(out, "hls4ml-published-check.csv"), csvTable(totalHeaders, totalRows));
  writeFileAtomic(
    path.join(out, "hls4ml-published-check.md"),
    `# The hls4ml model against published synthesis results

Source: ${set.source.repository} (commit ${set.source.commit}), ${set.source.notebook}: ` +
      `${set.designs.map((d) => `${d.name} (${d.note})`).join("; ")}. ${set.designs[0].csynth.tool.split(" ")[0]} Vivado HLS and Vivado, ${set.source.part}, ` +
      `io_stream, reuse factor 1, Latency strategy, default FIFO depths. Figures extracted by ${set.source.extractedBy} into data/published/hls4ml-tutorial-cnn.json.\n\n` +
      "## Totals\n\n" + markdownTable(totalHeaders, totalRows) +
      "\n## Streams (per stream; the report lists one FIFO per channel)\n\n" + markdownTable(streamHeaders, streamRows) +
      "\n## Processes (HLS estimate per instance)\n\n" + markdownTable(procHeaders, procRows),
  );
  return r;
}

const quantityOf = (s: ClaimSpec) => (s as ClaimSpec & { quantity: string }).quantity;

async function hls() {
  await timed("hls4ml published check", () => publishedCheck());
  const rows = await timed("hls4ml sweep", () => hls4mlSweep());
  hlsTables(rows);
  const refs: Record<string, HlsRow[]> = {};
  const hlsSpecs = specs.filter((s) => s.group === "hls4ml");
  for (const name of new Set(hlsSpecs.map((s) => s.reference!))) refs[name] = hlsReferenceRows(name, references[name]);
  const reference = Object.values(refs).flat();
  const hdr = ["network", "method", "flow", "fits", "teacher BRAM18", "BRAM change %", "teacher FF", "FF change %", "teacher LUT", "LUT change %", "teacher DSP", "latency cycles", "latency change %", "warnings"];
  writeFileAtomic(
    path.join(out, "hls4ml-reference.md"),
    Object.entries(refs)
      .map(([name, rs]) => `# hls4ml at the reference configuration "${name}" (data/claims.json)\n\n\`${JSON.stringify(references[name].config)}\`\n\n` +
        markdownTable(hdr, rs.map((r) => [r.network, r.method, r.flow, r.fits, r.base.bram18, r.change.bram18, Math.round(r.base.ff), r.change.ff, Math.round(r.base.lut), r.change.lut, r.base.dsp, r.base.latencyCycles, r.change.latency, [...r.warnings.filter((w) => !/reuse factor/.test(w)), ...(r.warnings.some((w) => /reuse factor/.test(w)) ? [`${r.warnings.filter((w) => /reuse factor/.test(w)).length} layer reuse factors lowered as hls4ml does`] : [])].join("; ")])))
      .join("\n"),
  );
  const perMethod = ["resnet8", "resnet20", "resnet56"].flatMap((n) =>
    ["remover", "shortener"].flatMap((m) =>
      [...new Set(rows.filter((r) => r.method === m).map((r) => r.flow))].map((flow) => {
        const sel = rows.filter((r) => r.network === n && r.method === m && r.flow === flow);
        const [b, f, l] = (["bram18", "ff", "lut"] as const).map((k) => hlsSaving(sel, k));
        return [n, m, flow, b.count, b.value, b.median, f.value, f.median, l.value, l.median, hlsLatency(sel).value];
      }),
    ),
  );
  writeFileAtomic(
    path.join(out, "hls4ml-summary.md"),
    "# hls4ml: savings of the Tailor network over its teacher, designs that fit their part\n\nEach row is one flow (the optimisation passes, the same for teacher and student).\n\n" +
      markdownTable(["network", "method", "flow", "designs", "max BRAM %", "median BRAM %", "max FF %", "median FF %", "max LUT %", "median LUT %", "max abs latency change %"], perMethod),
  );
  const marks = hlsSpecs.map((s) => ({ ...s, quantity: quantityOf(s) }));
  addFigure("hls4ml-resources-8bit", hlsResourceFigure(rows, 8, "default", marks));
  addFigure("hls4ml-resources-8bit-optimised", hlsResourceFigure(rows, 8, "optimised", marks));
  for (const s of hlsSpecs) {
    const result = hlsClaim(s, rows, refs[s.reference!]);
    results.push(result);
    addFigure(`claim-${s.id}`, hlsClaimFigure(result, quantityOf(s) as HlsQuantity, rows, refs[s.reference!], s.reference!, references[s.reference!].config));
  }
}

async function pe() {
  const rows: PeRow[] = await timed("PE-array sweep", () => peSweep());
  const headers = ["network", "method", "array", "dataflow", "DRAM B/cycle", "buffer KiB", "add", "on-chip reuse", "inferences/s", "perf change %", "DRAM bytes", "bytes change %", "memory-bound layers"];
  const cells = (r: PeRow) => [r.network, r.method, `${r.config.rows}x${r.config.cols}`, r.config.dataflow, r.config.dramBytesPerCycle, r.config.ifmapBufferBytes / 1024, r.config.addMode, r.config.keepOnChip, r.base.inferencesPerSecond, r.perf, r.base.dramBytes, r.bytes, r.base.memoryBoundLayers];
  writeFileAtomic(path.join(out, "pe-array-sweep.csv"), csvTable(headers, rows.map(cells)));
  const summary = ["resnet8", "resnet20", "resnet56", "resnet18", "resnet34", "resnet50"].flatMap((n) =>
    ["remover", "shortener"].map((m) => {
      const sel = rows.filter((r) => r.network === n && r.method === m);
      const p = peGain(sel, "perf");
      const b = peGain(sel, "bytes");
      return [n, m, p.value, p.median, b.value, b.median, p.where];
    }),
  );
  writeFileAtomic(path.join(out, "pe-array-summary.md"), "# PE array: largest and median change over the sweep\n\n" + markdownTable(["network", "method", "max perf gain %", "median perf gain %", "max DRAM-byte saving %", "median saving %", "where the max perf gain occurs"], summary));
  const peSpecs = specs.filter((s) => s.group === "pe-array");
  const q = (id: string) => (peSpecs.find((s) => (s as ClaimSpec & { quantity: string }).quantity === id) ?? null);
  const perfSpec = q("perf");
  const bytesSpec = q("bytes");
  // under which configurations do the paper's values hold? share of designs per add mode, reuse and bandwidth
  const groups = new Map<string, PeRow[]>();
  for (const r of rows) {
    const k = [r.method, r.config.addMode, r.config.keepOnChip ? "on-chip reuse" : "all through DRAM", r.config.dramBytesPerCycle].join("|");
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const share = (xs: PeRow[], f: (r: PeRow) => boolean) => (100 * xs.filter(f).length) / xs.length;
  if (perfSpec && bytesSpec) {
    writeFileAtomic(
      path.join(out, "pe-array-where-claims-hold.md"),
      `# PE array: share of designs (all networks, arrays, buffers, dataflows) reaching the paper's values\n\n` +
        markdownTable(
          ["method", "add", "activations", "DRAM B/cycle", "designs", `perf gain >= ${perfSpec.paper}% (share %)`, `DRAM-byte saving >= ${bytesSpec.paper}% (share %)`, "memory-bound layers of the teacher (mean)"],
          [...groups].map(([k, xs]) => [...k.split("|"), xs.length, share(xs, (r) => r.perf >= perfSpec.paper), share(xs, (r) => -r.bytes >= bytesSpec.paper), xs.reduce((s, r) => s + r.base.memoryBoundLayers, 0) / xs.length]),
        ),
    );
  }
  const refName = peSpecs[0]?.reference;
  if (refName) {
    const ref = { name: refName, config: peReferenceConfig(refName, references[refName]) };
    const marks = peSpecs.map((s) => ({ ...s, quantity: quantityOf(s) }));
    addFigure("pe-array-resnet8", peFigure(rows, "resnet8", ref, marks));
    addFigure("pe-array-resnet50", peFigure(rows, "resnet50", ref, marks));
  }
  const refs: Record<string, PeRow[]> = {};
  for (const name of new Set(peSpecs.map((s) => s.reference!))) refs[name] = peReferenceRows(name, references[name]);
  writeFileAtomic(
    path.join(out, "pe-array-reference.md"),
    Object.entries(refs).map(([name, rs]) => `# PE array at the reference configuration "${name}" (data/claims.json)\n\n\`${JSON.stringify(references[name].config)}\`\n\n` + markdownTable(headers, rs.map(cells))).join("\n"),
  );
  for (const s of peSpecs) {
    const result = peClaim(s, rows, refs[s.reference!]);
    results.push(result);
    addFigure(`claim-${s.id}`, peClaimFigure(result, quantityOf(s) as PeQuantity, rows, refs[s.reference!], s.reference!, references[s.reference!].config));
  }
}

async function accuracy() {
  const runsDir = path.resolve(args.runs ?? path.join(ROOT, "data", "runs", args.full ? "resnet8-full" : "resnet8-short"));
  if (args.full) {
    const r = spawnSync(process.execPath, [...process.execArgv, path.join(__dirname, "train-cifar.ts"), "--schedule", "full", "--out", runsDir], { stdio: "inherit" });
    if (r.status !== 0) throw new Error("full training failed");
  }
  const data = await cifarData();
  // students of a second seed (same teachers) are named <method>-seed<N>
  const seeded = fs.existsSync(runsDir) ? fs.readdirSync(runsDir).filter((d) => /^(remover|shortener)-seed\d+$/.test(d)).sort() : [];
  const runs = ["teacher", "remover", ...seeded.filter((d) => d.startsWith("remover")), "noskip", "noskip-kd", "teacher-shortenable", "shortener", ...seeded.filter((d) => d.startsWith("shortener")), "shortened-scratch"];
  const acc: RunAccuracy[] = [];
  await timed("accuracy of the committed checkpoints", () => {
    const present = runs.flatMap((run) => {
      const file = findCheckpoint(path.join(runsDir, run), "best") ?? path.join(runsDir, run, "best.ckpt");
      if (fs.existsSync(file)) return [{ run, file }];
      progress.log(`[reproduce] ${file}: missing (train it with npm run train:cifar)`);
      return [];
    });
    const t0 = performance.now();
    let images = 0;
    present.forEach(({ run, file }, i) => {
      acc.push(
        checkpointAccuracy(run, readCheckpointFile(file), file, data, (n, total) => {
          images += n;
          const all = total * present.length;
          const { rate, etaSeconds } = eta(images, all, (performance.now() - t0) / 1000);
          progress.update(`[reproduce] accuracy: ${run} (${i + 1}/${present.length}), ${images}/${all} images, ${rate.toFixed(0)} img/s, ETA ${formatDuration(etaSeconds)}`);
        }),
      );
    });
  });
  const rows = acc.map((a) => [a.run, a.method, a.skipModes.join(","), a.epoch + 1, 100 * a.valTop1, 100 * a.testTop1, 100 * a.testTop5]);
  const headers = ["run", "method", "skip modes", "best epoch", "val top-1 %", "test top-1 %", "test top-5 %"];
  writeFileAtomic(path.join(out, "accuracy.md"), `# ResNet-8 on CIFAR-10 (${path.relative(ROOT, runsDir)})\n\n` + markdownTable(headers, rows));
  writeFileAtomic(path.join(out, "accuracy.csv"), csvTable(headers, rows));
  const teacherOf = (r: { method: string }) => (r.method === "remover" ? "teacher" : r.method === "shortener" ? "teacher-shortenable" : undefined);
  const where = path.relative(ROOT, runsDir);
  if (acc.length) addFigure("accuracy-resnet8", accuracyFigure(acc, teacherOf, spec("C7a"), `ResNet-8 on CIFAR-10 (${where}): Tailor's students against their teachers`));
  const curve = (run: string): Curve | null => {
    const dir = path.join(runsDir, run);
    const f = findCheckpoint(dir, "best") ?? path.join(dir, "best.ckpt");
    if (!fs.existsSync(f)) return null;
    const meta = readCheckpointMeta(f);
    return { run, method: meta.config.method, history: runHistory(dir, meta.history), best: meta.epoch };
  };
  const panel = (title: string, teacher: string | null, students: string[]): CurvePanel[] => {
    const t = teacher ? curve(teacher) : null;
    const cs = students.map(curve).filter((c): c is Curve => c !== null);
    return t || cs.length ? [{ title, teacher: t ?? undefined, curves: cs }] : [];
  };
  const panels = [
    ...panel("plain form: teacher, then SkipRemover", "teacher", ["remover", ...seeded.filter((d) => d.startsWith("remover"))]),
    ...panel("shortenable form: teacher, then SkipShortener", "teacher-shortenable", ["shortener", ...seeded.filter((d) => d.startsWith("shortener"))]),
    ...panel("from scratch, the teacher's schedule", null, ["teacher", "noskip", "noskip-kd", "shortened-scratch"]),
  ];
  if (panels.length) addFigure("training-resnet8", trainingFigure(panels, `ResNet-8 on CIFAR-10 (${where}): validation top-1 per epoch`));
  // every Tailor student against its own teacher; the claim's value is the worst of them
  const by = (r: string) => acc.find((a) => a.run === r);
  const deltas: [string, number][] = [];
  for (const a of acc) {
    const teacher = a.method === "remover" ? by("teacher") : a.method === "shortener" ? by("teacher-shortenable") : undefined;
    const name = `${a.method === "remover" ? "SkipRemover" : "SkipShortener"}${a.run.includes("-seed") ? ` (${a.run.split("-")[1]})` : ""}`;
    if (teacher) deltas.push([name, 100 * (a.testTop1 - teacher.testTop1)]);
  }
  deltas.push(...depthGaps); // the depth study's ResNet-8 and ResNet-20 students, once finished (depthStudy)
  // a missing checkpoint of the short-schedule runs would silently drop students from the worst-student check
  const core = ["teacher", "remover", "teacher-shortenable", "shortener"].filter((r) => !acc.some((a) => a.run === r));
  const worst = deltas.length && !core.length ? deltas.reduce((m, d) => (d[1] < m[1] ? d : m)) : null;
  const gaps = `${deltas.map(([n, d]) => `${n} ${d >= 0 ? "+" : ""}${d.toFixed(2)} pp`).join(", ")} (test top-1 vs own teacher; ${path.relative(ROOT, runsDir)}, data/runs/depth)`;
  const schedule = (name: string) => (name.startsWith("depth ") ? "with the depth study's schedule (teachers 40 epochs" : "with our short schedule (12 epochs");
  const verdict = () =>
    checkClaim(
      spec("C7a"),
      worst ? worst[1] : null,
      worst ? gaps : `checkpoints missing: ${core.length ? core.join(", ") : "every run"} under ${path.relative(ROOT, runsDir)} (npm run train:cifar)`,
      (v) => `${worst![0]} loses ${(-v).toFixed(2)} pp ${schedule(worst![0])}; the paper trains for 200)`,
    );
  // the claim covers the depth study's ResNet-8 and ResNet-20 students: no verdict until they are all done
  const waiting = () => awaitingClaim(spec("C7a"), depthWaitingForC7a, `the depth campaign: npm run campaign -- --status; so far, without them: ${gaps}`);
  results.push(depthWaitingForC7a.length && worst ? waiting() : verdict());
  if (!args["no-smoke"] && !args.only) {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-smoke-"));
    const r = await timed("training smoke test (train --quick)", () => runShowingProgress(process.execPath, [...process.execArgv, path.join(__dirname, "train.ts"), "--quick", "--out", tmp], "smoke test"));
    if (r.status !== 0) throw new Error(`training smoke test failed:\n${r.stderr}`);
    console.log(`[reproduce] smoke test: ${r.stdout.trim().split("\n").pop()}`);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Run a child (its output piped, so it prints plain lines), showing its last line on the progress line. */
function runShowingProgress(cmd: string, argv: string[], what: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
      const last = stdout.trim().split("\n").pop();
      if (last) progress.update(`[reproduce] ${what}: ${last}`);
    });
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** Every epoch of a run: its log.jsonl when present (the best checkpoint's history stops at the best epoch). */
function runHistory(dir: string, fallback: EpochRecord[]): EpochRecord[] {
  const log = path.join(dir, "log.jsonl");
  const h = fs.existsSync(log) ? historyFromLog(fs.readFileSync(log, "utf8"), log) : [];
  return h.length >= fallback.length ? h : fallback;
}

// ---- The depth study (issue 15: claims C7a, C7b): runs of `npm run campaign` under data/runs/depth ----
const depthGaps: [string, number][] = [];
const depthWaitingForC7a: { label: string; stuck: boolean }[] = [];

let cifar: ReturnType<typeof loadCifar10> | null = null;

/** CIFAR-10, loaded once; on a fresh clone the cache is built first (the depth study and the ResNet-8 runs both need it). */
async function cifarData(): Promise<ReturnType<typeof loadCifar10>> {
  if (cifar) return cifar;
  const dataDir = defaultDataDir();
  ensureCifarCache(dataDir, (s) => progress.log(`[reproduce] ${s}`));
  await initBackend();
  cifar = loadCifar10(dataDir);
  return cifar;
}

/**
 * A campaign run's state; a finished one's best checkpoint evaluated on the test set (its config checked against the
 * plan's). `base` carries the fields the caller fills in (reference).
 */
/**
 * A planned run as the report shows it: a finished run's best checkpoint evaluated on the test set, a run still
 * training as "in progress" (never a result); with `curves`, its training history is added for the figures.
 */
async function evaluatePlanRun(plan: Plan, r: PlannedRun, base0: DepthRun, curves?: Map<string, Curve>): Promise<DepthRun> {
  const dir = path.join(ROOT, runDir(plan, r.id));
  const logFile = path.join(dir, "log.jsonl");
  const base: DepthRun = { ...base0, kernels: fs.existsSync(logFile) ? kernelsFromLog(fs.readFileSync(logFile, "utf8")) : undefined };
  const fin = readFinished(plan, r, ROOT);
  // a run whose files do not verify is shown with the reason, never evaluated; the rest of the report goes on
  const invalid = (note: string): DepthRun => {
    invalidRuns.push(`${r.id}: ${note}`);
    return { ...base, state: "invalid", note };
  };
  if (fin?.problem) return invalid(fin.problem);
  if (fin) {
    const res = fin.results;
    const file = path.join(dir, BEST);
    const ck = readCheckpointFile(file);
    const data = await cifarData();
    const norm = channelStats(data.train, splitTrainVal(data.train.count, ck.config.valSize, splitSeedOf(ck.config)).train);
    const m = modelFromCheckpoint(ck, file);
    let seen = 0;
    const test = evaluate(m, data.test, Int32Array.from({ length: data.test.count }, (_, i) => i), norm, ck.config.evalBatchSize ?? 500, (n) => {
      seen += n;
      progress.update(`[reproduce] test accuracy of ${r.id}, ${seen}/${data.test.count} images`);
    });
    disposeModel(m);
    const contradiction = testRecordProblem(res, path.relative(ROOT, fin.resultsFile), test.top1, data.test.count);
    if (contradiction) return invalid(contradiction);
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

/** Evaluates every finished run's best checkpoint on the test set; a run still training shows as in progress. */
async function depthStudy() {
  const plan = depthPlan(); // relative root: the configs the campaign recorded
  const runs: DepthRun[] = [];
  const curves = new Map<string, Curve>();
  await timed("depth study: accuracy of the finished runs", async () => {
    for (const r of plan.runs) {
      const [net, run] = r.id.split("/");
      const reference = r.config.method === "remover" || r.config.method === "noskip" ? `${net}/teacher` : r.config.method === "shortener" ? `${net}/teacher-shortenable` : undefined;
      runs.push(await evaluatePlanRun(plan, r, { id: r.id, net, run, method: r.config.method, reference, state: "not started", epoch: 0, epochs: r.config.epochs }, curves));
    }
  });
  depthRunsSeen.push(...runs);
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
  writeFileAtomic(path.join(out, "accuracy-depth.md"), intro + markdownTable(DEPTH_HEADERS, depthRows(runs)));
  writeFileAtomic(path.join(out, "accuracy-depth.csv"), csvTable(DEPTH_HEADERS, depthRows(runs)));
  addFigure("accuracy-depth", depthFigure(runs, spec("C7a")));
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
    addFigure(`training-depth-${net}`, trainingFigure(panels, `${netName(net)}, depth study (data/runs/depth): validation top-1 per epoch`, note));
  }
  depthGaps.push(...c7aGaps(runs));
  depthWaitingForC7a.push(...c7aWaiting(runs));
  results.push(checkC7b(spec("C7b"), runs));
}

// ---- Codesign (issue 12, claim C8): the QAT runs of the campaign, accuracy against hardware at the trained precision ----
const depthRunsSeen: DepthRun[] = [];
/** campaign runs whose files do not verify (src/campaign/verify.ts): reported, then reproduce exits non-zero */
const invalidRuns: string[] = [];

async function codesignStudy() {
  const plan = campaignPlan();
  const hlsRef = hlsReferenceConfig(CODESIGN_HLS_REFERENCE, references[CODESIGN_HLS_REFERENCE]);
  const peRef = peReferenceConfig(CODESIGN_PE_REFERENCE, references[CODESIGN_PE_REFERENCE]);
  const points: CodesignPoint[] = [];
  await timed("codesign: QAT runs, and hardware at each trained precision", async () => {
    const cache = new Map();
    for (const network of [...QAT_NETS].reverse()) {
      for (const precision of PRECISIONS) {
        // a second seed only where the plan has one (students of ResNet-20: float, and C8's own at 4 bits)
        for (const [design, seed] of DESIGNS.flatMap((d) => [1, 2].map((s) => [d, s] as const))) {
          const id = codesignRun(network, design, precision, seed);
          const r = plan.runs.find((x) => x.id === id);
          if (seed !== 1 && !r) continue;
          const base: DepthRun = { id, net: network, run: id.split("/")[1], method: r?.config.method ?? "", state: "not started", epoch: 0, epochs: r?.config.epochs ?? 0 };
          // the float runs are the depth study's, evaluated once (depthStudy)
          const st = !r ? base : (depthRunsSeen.find((x) => x.id === id) ?? (await evaluatePlanRun(plan, r, base)));
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
      }
    }
  });
  const done = points.filter((p) => p.state === "done").length;
  const intro =
    `# Codesign: accuracy against hardware at the trained precision (${done} of ${points.length} networks trained)\n\n` +
    `Float: the depth study's runs; 8-bit and 4-bit: the QAT runs of the campaign (src/campaign/qat-plan.ts). hls4ml at the reference configuration ` +
    `"${CODESIGN_HLS_REFERENCE}" with the trained widths (float: hls4ml's default ap_fixed<16,6>); PE array at "${CODESIGN_PE_REFERENCE}", ` +
    `its native 8-bit width at every precision (src/report/codesign.ts). Gap: test top-1 minus the own teacher's at the same precision. ` +
    `A "-seed2" run is a second training seed of a student, from the same teacher. ` +
    `A run still training shows its progress, never a result.\n\n`;
  writeFileAtomic(path.join(out, "codesign.md"), intro + markdownTable(CODESIGN_HEADERS, codesignRows(points)));
  writeFileAtomic(path.join(out, "codesign.csv"), csvTable(CODESIGN_HEADERS, codesignRows(points)));
  for (const network of QAT_NETS) addFigure(`codesign-${network}`, codesignFigure(points, network, paperHeadline(specs), PARTS[hlsRef.part]));
  results.push(checkC8(spec("C8"), points));
}

async function main() {
  const t0 = performance.now();
  if (wanted("hls4ml")) await hls();
  if (wanted("pe-array")) await pe();
  if (wanted("accuracy")) await depthStudy();
  if (wanted("accuracy")) await codesignStudy();
  if (wanted("accuracy")) await accuracy();
  const pngError = await timed("render PNG and SVG figures", () => writeImages(figures, progress));
  if (pngError) console.log(`[reproduce] ${pngError}`);
  const env = { ...runEnvironment(), seconds: (performance.now() - t0) / 1000, timings };
  const ordered = specs.map((s) => results.find((r) => r.id === s.id)).filter((r): r is ClaimResult => !!r);
  // a partial run rewrote its group's figures: its verdicts replace theirs in the file, the others carry over
  const file = mergeClaims(specs.map((s) => s.id), ordered, { ...env, ...(args.only ? { only: args.only } : {}) }, earlierClaims);
  writeFileAtomic(claimsJson, JSON.stringify(file, null, 2) + "\n");
  if (!args.only) writeFileAtomic(path.join(out, "environment.json"), JSON.stringify(env, null, 2) + "\n");
  writeFileAtomic(path.join(out, "claims.md"), "# Claims: the paper's values, ours at the reference configuration, and the sweep's range\n\n" + claimsTable(file.claims) + "\n" + claimsNotes(file.claims) + carriedOverNote(file));
  console.log("\n" + claimsTerminalTable(ordered));
  console.log(`(the full table with notes: ${path.relative(ROOT, path.join(out, "claims.md"))}${file.carriedOver ? `; it carries over ${Object.keys(file.carriedOver).join(", ")} from an earlier run` : ""})`);
  console.log(`[reproduce] done in ${((performance.now() - t0) / 1000).toFixed(0)} s; outputs in ${path.relative(ROOT, out) || "."}/`);
  if (invalidRuns.length) {
    console.error(`error: ${invalidRuns.length} finished run(s) do not verify, so they are not results (every other output is written):\n${invalidRuns.map((x) => `  ${x}`).join("\n")}`);
    process.exitCode = 1;
  }
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
