/**
 * Reproduce the paper's claims C1-C8 (data/claims.json) and write every table and figure under figures/.
 *   npm run reproduce                 cost-model sweeps, accuracy of the committed checkpoints, a training smoke test
 *   npm run reproduce -- --only C3    one claim (its group is computed; the other claims carry over in claims.json|md)
 * Ends with the claims table: per claim the value at its reference configuration, whether it is within the
 * tolerance, the sweep's min / median / max, whether the paper's value is attainable, and one status. Each claim is
 * computed by its entry in the claim registry (src/report/claim-registry.ts); this script reads and writes files.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { initBackend } from "../src/backend/index.js";
import { defaultDataDir, loadCifar10, type Cifar10 } from "../src/data/cifar10.js";
import { loadClaimSpecs } from "../src/experiment/index.js";
import { computeClaims, gatherEvidence, groupsFor } from "../src/report/claim-registry.js";
import { carriedOverNote, mergeClaims, parseClaimsFile, type ClaimsFile } from "../src/report/claims-file.js";
import { claimsNotes, claimsTable, claimsTerminalTable } from "../src/report/claims-table.js";
import type { Step } from "../src/report/outputs.js";
import type { PublishedSet } from "../src/report/published-hls4ml.js";
import { runEnvironment } from "../src/backend/environment.js";
import { makeDirs, outputDirProblem, writeFileAtomic } from "../src/util/fs.js";
import { ProgressLine } from "../src/util/progress.js";
import { ensureCifarCache } from "./cifar-cache.js";
import { relaunchedWithHeapReuse, parseCli, shareCoresWithCampaign } from "./cli.js";
import { writeHtml, writeImages } from "./render.js";
import { smokeTest } from "./smoke-test.js";

shareCoresWithCampaign();
const ROOT = path.resolve(__dirname, "..");
const args = parseCli("Usage: npm run reproduce -- [options]", {
  only: { type: "string", help: "compute one claim (C1..C8) and its group only" },
  runs: { type: "string", help: "directory of the ResNet-8 short-schedule runs to evaluate", default: path.join(ROOT, "data", "runs", "resnet8-short") },
  out: { type: "string", help: "output directory", default: path.join(ROOT, "figures") },
  "no-smoke": { type: "boolean", help: "skip the training smoke test" },
});

const fail = (msg: string): never => {
  console.error(`error: ${msg}`);
  process.exit(2);
};

// everything is read and checked before minutes of work: a damaged input stops the run at once, naming the file
const specs = (() => {
  try {
    return loadClaimSpecs();
  } catch (e) {
    return fail((e as Error).message);
  }
})();
// an empty --only read as "everything": minutes of work and every output rewritten instead of an error
if (args.only !== undefined && args.only.trim() === "") fail(`--only: expected a claim id (${specs.claims.map((c) => c.id).join(", ")}), got an empty value`);
const groups = (() => {
  try {
    return groupsFor(specs, args.only);
  } catch (e) {
    return fail((e as Error).message);
  }
})();
const out = path.resolve(args.out);
const outProblem = outputDirProblem(out);
if (outProblem) fail(`--out ${outProblem}`);
const claimsJson = path.join(out, "claims.json");
let earlier: ClaimsFile | null = null;
if (args.only && fs.existsSync(claimsJson)) {
  try {
    earlier = parseClaimsFile(fs.readFileSync(claimsJson, "utf8"), claimsJson);
  } catch (e) {
    fail((e as Error).message);
  }
}

// the checks above ran before a second process is started with the heap settings (which repeats them)
const launcherOnly = relaunchedWithHeapReuse();
// in a log file one line per stage (its time); on a terminal the line redraws with each batch, rate and ETA
const progress = new ProgressLine({ plainUpdates: false });
const timings: Record<string, number> = {};
const step: Step = async (name, f) => {
  const t0 = performance.now();
  progress.update(`[reproduce] ${name} ...`, true);
  const r = await f();
  timings[name] = (performance.now() - t0) / 1000;
  progress.done(`[reproduce] ${name}: ${timings[name].toFixed(1)} s`);
  return r;
};

let cifar: Cifar10 | null = null;
/** CIFAR-10, loaded once; on a fresh clone the cache is built first. */
async function cifarData(): Promise<Cifar10> {
  if (cifar) return cifar;
  const dir = defaultDataDir();
  ensureCifarCache(dir, (s) => progress.log(`[reproduce] ${s}`));
  await initBackend();
  return (cifar = loadCifar10(dir));
}

async function main() {
  const t0 = performance.now();
  const published = path.join(ROOT, "data", "published", "hls4ml-tutorial-cnn.json");
  const evidence = await gatherEvidence(specs, groups, {
    published: () => JSON.parse(fs.readFileSync(published, "utf8")) as PublishedSet,
    runs: { root: ROOT, shortRuns: path.resolve(args.runs), data: cifarData, progress: (l) => progress.update(l), log: (l) => progress.log(l), step },
    step,
  });
  const { results, outputs } = computeClaims(specs, evidence, groups);
  if (groups.includes("accuracy") && !args["no-smoke"] && !args.only) await smokeTest(progress, step);

  makeDirs(out);
  for (const [file, text] of Object.entries(outputs.tables)) writeFileAtomic(path.join(out, file), text);
  const figures = Object.entries(outputs.figures).map(([name, fig]) => {
    writeHtml(fig, path.join(out, `${name}.html`));
    return { fig, file: path.join(out, `${name}.png`) };
  });
  const pngError = await step("render PNG and SVG figures", () => writeImages(figures, progress));
  if (pngError) console.log(`[reproduce] ${pngError}`);

  const env = { ...runEnvironment(), seconds: (performance.now() - t0) / 1000, timings };
  // a partial run rewrote its group's figures: its verdicts replace theirs in the file, the others carry over
  const file = mergeClaims(specs.claims.map((s) => s.id), results, { ...env, ...(args.only ? { only: args.only } : {}) }, earlier);
  writeFileAtomic(claimsJson, JSON.stringify(file, null, 2) + "\n");
  if (!args.only) writeFileAtomic(path.join(out, "environment.json"), JSON.stringify(env, null, 2) + "\n");
  writeFileAtomic(path.join(out, "claims.md"), "# Claims: the paper's values, ours at the reference configuration, and the sweep's range\n\n" + claimsTable(file.claims) + "\n" + claimsNotes(file.claims) + carriedOverNote(file));
  console.log("\n" + claimsTerminalTable(results));
  console.log(`(the full table with notes: ${path.relative(ROOT, path.join(out, "claims.md"))}${file.carriedOver ? `; it carries over ${Object.keys(file.carriedOver).join(", ")} from an earlier run` : ""})`);
  console.log(`[reproduce] done in ${((performance.now() - t0) / 1000).toFixed(0)} s; outputs in ${path.relative(ROOT, out) || "."}/`);
  const invalid = evidence.accuracy?.invalid ?? [];
  if (invalid.length) {
    console.error(`error: ${invalid.length} finished run(s) do not verify, so they are not results (every other output is written):\n${invalid.map((x) => `  ${x}`).join("\n")}`);
    process.exitCode = 1;
  }
}

if (!launcherOnly) main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
