/**
 * Per-skip codesign with the cost models: every skip policy of a network (a mode per skip, L long, S shortened,
 * R removed, from the input end), costed by hls4ml's and the PE array's models; the front of the cheapest policy per
 * number of altered skips; for a budget, the policies that meet it with the fewest altered skips. A network of more
 * skips than the exhaustive search takes (ResNet-56), or --search additive, gets the removal front of the additive
 * search instead (src/report/policy-choice.ts: per number of removed skips, not exhaustive; its gap on ResNet-20 is in
 * data/policy-choice.json; --swap-check bounds it from below on any network, src/report/front-swap-check.ts).
 * --checkpoint searches a loaded network instead (a run's or an imported model's), in its own block form.
 *   npm run policy -- --net resnet8 [--objective bram18] [--budget bram18=80,lut=30000] [--config reference|FILE.json]
 *   npm run policy -- --checkpoint imported/best.ckpt [--objective lut]
 */
import * as fs from "node:fs";
import { loadClaimSpecs, TRAINABLE_NETS } from "../src/experiment/index.js";
import { loadCostConfig, trainedWidthNote } from "../src/handoff/cost-config.js";
import { peReferenceConfig } from "../src/report/hardware-claims.js";
import { DEFAULT_POLICY_THREADS, policyCostsParallel } from "../src/report/policy-front-parallel.js";
import { formOfNet, MAX_EXHAUSTIVE_SKIPS, OBJECTIVES, parseBudget, policyFront, policyNets, withinBudget, type Budget, type Objective, type PolicyCost, type PolicySource } from "../src/report/policy-front.js";
import { additiveRemovalSearch, removalFront, removedSkips, type FrontObjective } from "../src/report/policy-choice.js";
import { frontSwapCheck } from "../src/report/front-swap-check.js";
import type { Hls4mlConfig, SimCache } from "../src/hw/hls4ml/index.js";
import type { PeArrayConfig } from "../src/hw/pe-array/index.js";
import { policyOf, skipCount, withAllSkips, type NetSpec } from "../src/net/index.js";
import { readCheckpointMeta } from "../src/train/checkpoint-file.js";
import { recordedConfig } from "../src/train/config-compare.js";
import { quantSpecOf } from "../src/train/quant.js";
import { identifyNet } from "../src/train/teacher-check.js";
import { markdownTable } from "../src/util/table.js";
import { ProgressLine } from "../src/util/progress.js";
import { num, parseCli } from "./cli.js";

const args = parseCli(`Usage: npm run policy -- (--net N | --checkpoint FILE) [--objective ${OBJECTIVES.join("|")}] [--budget q=limit,...] [--config reference|FILE.json] [--swap-check]`, {
  net: { type: "string", help: `network: ${TRAINABLE_NETS.join(", ")} (exhaustive up to 10 skips: resnet8, resnet20; deeper: the additive search)` },
  checkpoint: { type: "string", help: "or a checkpoint's network (a run's best.ckpt, or an imported model's: npm run import:onnx), every skip long, in its own block form: plain, its L and R policies; shortenable, those that shorten a skip (exhaustive search only)" },
  search: { type: "string", default: "auto", help: "exhaustive | additive (the removal front, per number of removed skips; objective bram18 or lut) | auto (exhaustive when it can)" },
  objective: { type: "string", default: "bram18", help: `what the front minimises: ${OBJECTIVES.join(", ")} (latency: the hls4ml design's, in clock cycles; dram, cycles: the PE array's)` },
  budget: { type: "string", help: `limits, e.g. bram18=80,lut=30000 (quantities: ${[...OBJECTIVES, "dsp"].join(", ")})` },
  config: { type: "string", default: "reference", help: 'hls4ml configuration: "reference" (data/claims.json) or a JSON file of fields over the defaults' },
  threads: { type: "string", default: String(DEFAULT_POLICY_THREADS), help: "threads costing the exhaustive search (the same result on any number)" },
  "swap-check": { type: "boolean", help: "additive search: cost every policy one swap from each front point (a lower bound on what the search missed; ResNet-56 about 3,000 designs, minutes)" },
});

const PE_REFERENCE = "pe-scalesim-cgra4ml";
const HEAD = ["policy", "form", "altered skips", "BRAM18", "LUT", "FF", "DSP", "latency (cycles)", "fits", "PE DRAM bytes", "PE cycles"];
const row = (c: PolicyCost) => [c.policy, c.form, c.altered, c.bram18, Math.round(c.lut), Math.round(c.ff), c.dsp, c.latency, c.fits ? "yes" : "no", c.dram, c.cycles];

/** The network of --checkpoint with every skip long (a student's checkpoint names its network all the same). */
function loadedNetwork(file: string) {
  if (!fs.existsSync(file)) throw new Error(`--checkpoint ${file}: file not found`);
  if (!fs.statSync(file).isFile()) throw new Error(`--checkpoint ${file}: a directory; expected a checkpoint file (a run's best.ckpt)`);
  const meta = readCheckpointMeta(file);
  const net = meta.net;
  formOfNet(net); // one block form, or the error naming it
  const altered = policyOf(net).replace(/L/g, "");
  if (altered) console.log(`note: ${file} has ${altered.length} altered skip(s) (${policyOf(net)}); the search is of its network with every skip long, and a policy trains from its teacher`);
  return { net: withAllSkips(net, "long"), isTeacher: !altered, config: recordedConfig(meta.config) };
}

async function main(): Promise<number> {
  if (!args.net && !args.checkpoint) throw new Error(`--net or --checkpoint: give a network (${TRAINABLE_NETS.join(", ")}) or a checkpoint`);
  if (args.net && args.checkpoint) throw new Error("--net and --checkpoint: give one of them");
  if (!OBJECTIVES.includes(args.objective as Objective)) throw new Error(`--objective ${args.objective}: expected one of ${OBJECTIVES.join(", ")}`);
  const objective = args.objective as Objective;
  // an empty --budget is an error (parseBudget), not the same as no budget
  const budget = args.budget !== undefined ? parseBudget(args.budget) : null;
  if (!["auto", "exhaustive", "additive"].includes(args.search)) throw new Error(`--search ${args.search}: expected auto, exhaustive or additive`);
  const threads = num("threads", args.threads, { int: true, min: 1 });
  if (args.checkpoint) {
    if (args.search === "additive" || args["swap-check"]) throw new Error(`--search additive and --swap-check take a built-in network (--net); a checkpoint's network is searched exhaustively`);
    const loaded = loadedNetwork(args.checkpoint);
    return exhaustive(loaded.net, args.checkpoint, objective, budget, threads, loaded);
  }
  if (!TRAINABLE_NETS.includes(args.net as never)) throw new Error(`--net ${args.net}: expected one of ${TRAINABLE_NETS.join(", ")}`);
  const skips = skipCount(policyNets(args.net!).plain);
  if (args.search === "exhaustive" && skips > MAX_EXHAUSTIVE_SKIPS) throw new Error(`--search exhaustive: ${args.net} has ${skips} skips (3^${skips} policies); the exhaustive search takes at most ${MAX_EXHAUSTIVE_SKIPS}: use --search additive`);
  const isAdditive = args.search === "additive" || (args.search === "auto" && skips > MAX_EXHAUSTIVE_SKIPS);
  if (args["swap-check"] && !isAdditive) throw new Error("--swap-check: checks the additive search's front (the exhaustive front needs no check); add --search additive");
  if (isAdditive) return additive(objective, budget);
  return exhaustive(args.net!, args.net!, objective, budget, threads);
}

/** Every policy of `source` costed (on `threads` threads), its front by the objective, and the budget's answer. */
async function exhaustive(source: PolicySource, name: string, objective: Objective, budget: Budget | null, threads: number, loaded?: ReturnType<typeof loadedNetwork>): Promise<number> {
  const hls = loadCostConfig(args.config);
  const specs = loadClaimSpecs();
  const pe = peReferenceConfig(PE_REFERENCE, specs.references[PE_REFERENCE]);
  const progress = new ProgressLine();
  const t0 = performance.now();
  const costs = await policyCostsParallel(source, hls, pe, threads, (done, total) => progress.update(`costing policies: ${done}/${total}`));
  progress.done(`${costs.length} policies of ${name} costed in ${((performance.now() - t0) / 1000).toFixed(1)} s on ${threads} thread${threads > 1 ? "s" : ""} (hls4ml: ${args.config}; PE array: ${PE_REFERENCE})`);
  // the design every saving is read against: a built-in's shortenable teacher comes last (its plain one is the
  // all-long policy, first); a loaded network's own design, every skip long
  const teacher = costs.find((c) => c.altered === 0 && (typeof source === "string" ? c.form === "shortenable" : true))!;
  const against =
    typeof source === "string"
      ? `a policy that shortens a skip runs in the shortenable form: read its saving against that form's teacher, ${teacher.policy} shortenable, ${teacher[objective]} ${objective}`
      : `every policy in the network's own ${teacher.form} form${teacher.form === "plain" ? " (shortening a skip needs the shortenable form)" : " (one that only removes skips runs in the plain form, from a plain teacher)"}: read its saving against the network itself, ${teacher.policy}, ${teacher[objective]} ${objective}`;
  console.log(`\nThe cheapest policy by ${objective} for each number of altered skips, kept where it saves more than fewer alterations do (${against}):\n`);
  const front = policyFront(costs, objective);
  console.log(markdownTable(HEAD, front.map(row)));
  if (loaded) trainHint(loaded, args.checkpoint!, front);
  const note = loaded ? trainedWidthNote(hls, loaded.config, args.checkpoint!) : null;
  if (note) console.error(`\n${note}`);
  if (!budget) return 0;
  return budgetAnswer(costs, budget, objective, (c) => c.altered, {
    none: `No policy meets ${args.budget}. The cheapest by ${objective}:`,
    some: (least) => `Policies meeting ${args.budget} with the fewest altered skips (${least}), cheapest by ${objective} first:`,
  });
}

/**
 * How to train a front policy from the checkpoint, or why it cannot be trained here. The command is one train.ts
 * accepts (src/train/teacher-check.ts): a student's checkpoint is no teacher, so its teacher is asked for; a quantised
 * teacher's student is quantised as it is (teacherQuantMismatch), so its bits are passed.
 */
function trainHint(loaded: ReturnType<typeof loadedNetwork>, file: string, front: PolicyCost[]): void {
  const example = front.find((c) => c.altered > 0);
  if (!example) return;
  const id = identifyNet(loaded.net);
  if (!id) return void console.log(`\nIts network is none of the ones the trainer builds (${TRAINABLE_NETS.join(", ")}), so Tailor cannot fine-tune it here; the costs stand for its design.`);
  const q = quantSpecOf(loaded.config);
  const quant = q ? ` --quant-weight-bits ${q.weightBits} --quant-act-bits ${q.actBits} --quant-edge-bits ${q.edgeBits}` : "";
  const command = (teacher: string) => `npm run train -- --method policy --policy ${example.policy} --teacher ${teacher}${quant}`;
  console.log(
    loaded.isTeacher
      ? `\nTrain one from the checkpoint (its network is ${id.net}, ${id.form} form): ${command(file)}`
      : `\nTrain one from its teacher (the checkpoint is a student; its network is ${id.net}, ${id.form} form${loaded.config.teacher ? `; it was trained from ${loaded.config.teacher}` : ""}): ${command("TEACHER.ckpt")}`,
  );
}

/** The policies of `pool` that meet the budget at the least risk (exit 0), or the cheapest of all when none does (exit 1). */
function budgetAnswer(pool: PolicyCost[], budget: Budget, objective: Objective, risk: (c: PolicyCost) => number, text: { none: string; some: (least: number) => string }): number {
  const ok = withinBudget(pool, budget, objective, risk);
  if (!ok.length) {
    const cheapest = [...pool].sort((a, b) => a[objective] - b[objective])[0];
    console.log(`\n${text.none}\n\n${markdownTable(HEAD, [row(cheapest)])}`);
    return 1;
  }
  console.log(`\n${text.some(risk(ok[0]))}\n`);
  console.log(markdownTable(HEAD, ok.slice(0, 20).map(row)) + (ok.length > 20 ? `\n(${ok.length - 20} more)` : ""));
  return 0;
}

/** The additive search's removal front (per number of removed skips: the accuracy risk the depth study found). */
function additive(objective: Objective, budget: Budget | null): number {
  if (objective !== "bram18" && objective !== "lut") throw new Error(`--objective ${objective}: the additive search minimises bram18 or lut`);
  const hls = loadCostConfig(args.config);
  const pe = peReferenceConfig(PE_REFERENCE, loadClaimSpecs().references[PE_REFERENCE]);
  const cache: SimCache = new Map();
  const search = (o: FrontObjective) => {
    const progress = new ProgressLine();
    const t0 = performance.now();
    const searched = additiveRemovalSearch(args.net!, o, hls, pe, (done, total) => progress.update(`additive search by ${o}: ${done}/${total} designs`), cache);
    progress.done(`additive search of ${args.net} by ${o} in ${((performance.now() - t0) / 1000).toFixed(1)} s (hls4ml: ${args.config}; not exhaustive: on ResNet-20 it found the exhaustive front but one LUT point, data/policy-choice.json)`);
    return searched;
  };
  const searched = search(objective);
  const front = removalFront(searched, objective);
  console.log(`\nThe policy of least ${objective} for each number of removed skips, kept where it needs less than fewer removals:\n`);
  console.log(markdownTable(["removed skips", ...HEAD], front.map((c) => [removedSkips(c.policy), ...row(c)])));
  if (args["swap-check"]) swapCheck(front, objective, hls, pe, cache);
  if (!budget) return 0;
  // the budget is read among the policies both searches costed in full: not every policy, so a budget met by none of
  // them may still be met by one they did not reach
  const other = objective === "bram18" ? "lut" : "bram18";
  const pool = [...new Map([...searched, ...search(other)].map((c) => [c.policy, c])).values()];
  return budgetAnswer(pool, budget, objective, (c) => removedSkips(c.policy), {
    none: `No policy the additive searches costed (${pool.length}) meets ${args.budget}; the search is not exhaustive, so another may. The cheapest they found by ${objective}:`,
    some: (least) => `Of the ${pool.length} policies the additive searches by bram18 and lut costed, those meeting ${args.budget} with the fewest removed skips (${least}), cheapest by ${objective} first:`,
  });
}

/** Every policy one swap from each front point, costed: what the search missed at least (front-swap-check.ts). */
function swapCheck(front: PolicyCost[], o: FrontObjective, hls: Hls4mlConfig, pe: PeArrayConfig, cache: SimCache): void {
  const progress = new ProgressLine();
  const t0 = performance.now();
  const checks = frontSwapCheck(args.net!, front, o, hls, pe, (done, total) => progress.update(`swap check: ${done}/${total} designs`), cache);
  const costed = checks.reduce((a, c) => a + c.neighbours, 0);
  progress.done(`swap check: ${costed} designs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const fmt = (v: number) => String(Math.round(v));
  console.log(`\nEach front point against the cheapest policy one swap away with as many removed skips (a removed skip kept and a kept one removed, or a kept skip switched between long and shortened):\n`);
  console.log(
    markdownTable(
      ["removed skips", "front policy", o, "neighbours", "cheapest neighbour", `its ${o}`, "missed"],
      checks.map((c) => [removedSkips(c.point.policy), c.point.policy, fmt(c.point[o]), c.neighbours, c.best?.policy ?? "-", c.best ? fmt(c.best[o]) : "-", fmt(c.missed)]),
    ),
  );
  const missed = checks.filter((c) => c.missed > 0);
  console.log(
    missed.length
      ? `\nThe search missed at least ${fmt(Math.max(...missed.map((c) => c.missed)))} ${o} at ${missed.length} of ${checks.length} front points (a lower bound on its gap: a policy further away may be cheaper still).`
      : `\nNo front point has a cheaper swap neighbour: each is a local optimum of this neighbourhood. That bounds nothing: a policy two or more swaps away may still be cheaper.`,
  );
}

main().then(
  (code) => (process.exitCode = code),
  (e) => {
    console.error(`error: ${(e as Error).message}`);
    process.exitCode = 2;
  },
);
