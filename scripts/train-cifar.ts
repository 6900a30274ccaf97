/**
 * The paper's whole CIFAR-10 experiment for one network: both teachers, SkipRemover, SkipShortener and the
 * baselines from scratch (src/campaign/ablation-plan.ts), run by the campaign runner (scripts/campaign.ts): the plan
 * is written to <out>/plan.json and `npm run campaign -- --plan <out>/plan.json` runs it, so the runs resume, show
 * their status and stop like every campaign's.
 *   npm run train:cifar                              the short schedule of ResNet-8 (into runs/resnet8-short)
 *   npm run train:cifar -- --schedule full           the authors' 200-epoch recipe (hours; runs/resnet8-full)
 * The default folder, runs/, is not committed: the committed data/runs/resnet8-short was trained so and copied.
 *   npm run train:cifar -- --status | --stop         as the campaign runner's
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ablationPlan, ABLATION_ROLES, type AblationSchedule } from "../src/campaign/ablation-plan.js";
import { isTrainable, TRAINABLE_NETS } from "../src/experiment/index.js";
import { writeFileAtomic } from "../src/util/fs.js";
import { num, parseCli } from "./cli.js";

const args = parseCli("Usage: npm run train:cifar -- [options]", {
  net: { type: "string", help: `network: ${TRAINABLE_NETS.join(", ")}`, default: "resnet8" },
  schedule: { type: "string", help: "short | full", default: "short" },
  out: { type: "string", help: "directory for the runs (default: runs/<net>-<schedule>, not committed)" },
  lanes: { type: "string", help: "training processes at once", default: "2" },
  only: { type: "string", help: `comma-separated subset of: ${ABLATION_ROLES.join(", ")}` },
  seed: { type: "string", help: "seed of every run", default: "1" },
  status: { type: "boolean", help: "print the runs' status and exit" },
  stop: { type: "boolean", help: "stop the running experiment (each run checkpoints its current step)" },
});

function main(): number {
  if (!isTrainable(args.net)) throw new Error(`--net: expected one of ${TRAINABLE_NETS.join(", ")}, got "${args.net}"`);
  if (args.schedule !== "short" && args.schedule !== "full") throw new Error(`--schedule: expected short or full, got "${args.schedule}"`);
  const seed = num("seed", args.seed, { int: true, min: 0 });
  const lanes = num("lanes", args.lanes, { int: true, min: 1 });
  // relative to the working directory, so that the teacher paths recorded in each run's config stay valid in a clone
  const root = path.relative(process.cwd(), path.resolve(args.out ?? path.join("runs", `${args.net}-${args.schedule}`))) || ".";
  const plan = ablationPlan({ net: args.net, schedule: args.schedule as AblationSchedule, root, seed });
  const only = args.only?.split(",").map((r) => r.trim());
  for (const r of only ?? []) if (!ABLATION_ROLES.includes(r as never)) throw new Error(`--only: unknown run "${r}"; expected some of ${ABLATION_ROLES.join(", ")}`);
  // the plan beside its runs when it trains them; a look (--status, --stop) writes nothing there
  const look = args.status || args.stop;
  const planDir = look ? fs.mkdtempSync(path.join(os.tmpdir(), "tailor-plan-")) : root;
  fs.mkdirSync(planDir, { recursive: true });
  const planFile = path.join(planDir, "plan.json");
  writeFileAtomic(planFile, JSON.stringify(plan, null, 2) + "\n");
  const flags = [
    "--plan", planFile, "--lanes", String(lanes),
    ...(only ? ["--only", only.map((r) => `${args.net}/${r}`).join(",")] : []),
    ...(args.status ? ["--status"] : []), ...(args.stop ? ["--stop"] : []),
  ];
  const r = spawnSync(process.execPath, [...process.execArgv, path.join(__dirname, "campaign.ts"), ...flags], { stdio: "inherit" });
  if (look) fs.rmSync(planDir, { recursive: true, force: true });
  return r.status ?? 1;
}

try {
  process.exitCode = main();
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  process.exitCode = 2;
}
