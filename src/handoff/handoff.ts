/**
 * The hand-off folder's files, as bytes and text (the CLI writes them: scripts/export-hls4ml.ts): model.onnx (and
 * model.qcdq.onnx for a quantised run),
 * hls4ml_config.json, max_depth.json, apply_fifo_depths.py, report.md, report.json. The cost configuration's FIFO
 * policy is "optimised" here, as the depth file is that optimisation's output.
 */
import { exportQonnx, type ExportOptions, type ExportSource } from "../export/qonnx.js";
import type { Hls4mlConfig } from "../hw/hls4ml/index.js";
import { lower } from "../net/index.js";
import type { PublishedSet } from "../report/published-hls4ml.js";

import { APPLY_SCRIPT } from "./apply-script.js";
import { costJson, costMarkdown, costReport } from "./cost-report.js";
import { fifoDepthFile } from "./fifo-depths.js";
import { handoffConfig } from "./hls4ml-config.js";

export const HANDOFF_FILES = ["model.onnx", "hls4ml_config.json", "max_depth.json", "apply_fifo_depths.py", "report.md", "report.json"] as const;
/** written beside model.onnx for a quantised run: the same network in standard ops (QCDQ), which ONNX Runtime runs */
export const QCDQ_FILE = "model.qcdq.onnx";

export type HandoffFiles = Record<(typeof HANDOFF_FILES)[number], string | Uint8Array> & { [QCDQ_FILE]?: Uint8Array };

export function handoffFolder(ck: ExportSource, config: Hls4mlConfig, published: PublishedSet, opts: ExportOptions = {}): HandoffFiles {
  if (config.fifoDepth !== "optimised") throw new Error(`export:hls4ml writes the FIFO depths of hls4ml's depth optimisation: the configuration's fifoDepth must be "optimised", got "${config.fifoDepth}"`);
  const g = lower(ck.net);
  const { bytes, summary } = exportQonnx(ck, { ...opts, format: "qonnx" });
  const quantised = summary.weightQuants + summary.activationQuants > 0;
  const depths = fifoDepthFile(g, config, ck.config);
  const report = costReport(g, config, published, depths.names);
  const json = (v: unknown) => JSON.stringify(v, null, 2) + "\n";
  return {
    "model.onnx": bytes,
    "hls4ml_config.json": json(handoffConfig(g, config, ck.config)),
    "max_depth.json": json(depths.entries),
    "apply_fifo_depths.py": APPLY_SCRIPT,
    "report.md": costMarkdown(report, opts.source ?? ck.net.name),
    "report.json": json(costJson(report)),
    ...(quantised ? { [QCDQ_FILE]: exportQonnx(ck, { ...opts, format: "qcdq" }).bytes } : {}),
  };
}
