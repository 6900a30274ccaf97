/**
 * The predicted hls4ml cost of a checkpoint's network or of a built-in one (src/handoff/cost-report.ts): per layer
 * and per FIFO, latency and interval, each total with the model's error band measured against published hls4ml
 * designs. Writes nothing.
 */
import * as fs from "node:fs";
import { parseCli } from "./cli.js";
import { network } from "../src/experiment/index.js";
import { costMarkdown, costReport } from "../src/handoff/cost-report.js";
import { fifoDepthFile } from "../src/handoff/fifo-depths.js";
import { loadCostConfig, trainedWidthNote } from "../src/handoff/cost-config.js";
import { lower, withAllSkips, withPolicy, type BlockForm, type NetSpec, type SkipMode } from "../src/net/index.js";
import type { PublishedSet } from "../src/report/published-hls4ml.js";
import { readCheckpointMeta } from "../src/train/checkpoint-file.js";

const PUBLISHED = "data/published/hls4ml-tutorial-cnn.json";

const args = parseCli("Usage: npm run cost -- (--checkpoint <run>/best.ckpt | --net N [--form plain|shortenable] [--skips long|removed|shortened | --policy LSR...]) [--config reference|FILE.json]", {
  checkpoint: { type: "string", help: "a checkpoint: its network with its current skips" },
  net: { type: "string", help: "a built-in network (resnet8, resnet20, ...)" },
  form: { type: "string", help: "with --net: block form, plain (default) or shortenable" },
  skips: { type: "string", help: "with --net: every skip long (default), removed or shortened" },
  policy: { type: "string", help: "with --net: a mode per skip from the input end, L long, S shortened, R removed (e.g. SSRRLLLLL for resnet20; S needs --form shortenable)" },
  config: { type: "string", default: "reference", help: 'hls4ml cost configuration: "reference" (data/claims.json) or a JSON file of fields over the defaults' },
});

class UsageError extends Error {}

function netOf(): { net: NetSpec; title: string; trainConfig: object } {
  if (args.checkpoint && args.net) throw new UsageError("give --checkpoint or --net, not both");
  if (args.checkpoint) {
    if (args.form || args.skips || args.policy) throw new UsageError("--form, --skips and --policy go with --net; a checkpoint has its own");
    if (!fs.existsSync(args.checkpoint)) throw new UsageError(`--checkpoint ${args.checkpoint}: file not found`);
    const m = readCheckpointMeta(args.checkpoint);
    return { net: m.net, title: args.checkpoint, trainConfig: m.config };
  }
  if (!args.net) throw new UsageError("give --checkpoint FILE or --net NAME");
  const form = (args.form ?? "plain") as BlockForm;
  if (form !== "plain" && form !== "shortenable") throw new UsageError(`--form ${args.form}: expected plain or shortenable`);
  const skips = (args.skips ?? "long") as SkipMode;
  if (!["long", "removed", "shortened"].includes(skips)) throw new UsageError(`--skips ${args.skips}: expected long, removed or shortened`);
  if (args.skips && args.policy) throw new UsageError("give --skips (every skip alike) or --policy (one letter a skip), not both");
  let net: NetSpec;
  try {
    net = network(args.net).build({ form });
  } catch (e) {
    throw new UsageError(`--net: ${(e as Error).message}`);
  }
  if (args.policy) {
    try {
      net = withPolicy(net, args.policy);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    return { net, title: `${args.net} (${form}, policy ${args.policy})`, trainConfig: {} };
  }
  if (skips !== "long") net = withAllSkips(net, skips);
  return { net, title: `${args.net} (${form}, skips ${skips})`, trainConfig: {} };
}

function main(): void {
  const { net, title, trainConfig } = netOf();
  const config = loadCostConfig(args.config);
  const g = lower(net);
  const published = JSON.parse(fs.readFileSync(PUBLISHED, "utf8")) as PublishedSet;
  // the hls4ml names of the FIFOs (the depth file's), for the per-FIFO table
  const names = fifoDepthFile(g, config, trainConfig).names;
  process.stdout.write(costMarkdown(costReport(g, config, published, names), title));
  const note = trainedWidthNote(config, trainConfig as Record<string, number>, title);
  if (note) console.error(note);
}

try {
  main();
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  process.exit(e instanceof UsageError ? 2 : 1);
}
