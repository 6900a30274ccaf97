/**
 * The cost configuration of the hand-off and the cost CLIs, named by `--config`: the reference of data/claims.json, or
 * a JSON file of fields over DEFAULT_HLS4ML (reads that file).
 */
import * as fs from "node:fs";
import { DEFAULT_HLS4ML, validateHls4mlConfig, type Hls4mlConfig } from "../hw/hls4ml/index.js";
import { loadClaimSpecs } from "../experiment/index.js";
import { hlsReferenceConfig } from "../report/hardware-claims.js";
import { quantLabel, quantSpecOf, type QuantFields } from "../train/quant-spec.js";

export class HandoffConfigError extends Error {}

/** the reference of data/claims.json the hand-off uses: the MLPerf Tiny hls4ml flow */
export const REFERENCE = "hls4ml-mlperf-tiny";

/**
 * The cost configuration named by `--config`: "reference" (data/claims.json's REFERENCE, through the claims' own
 * loader), or a JSON file of fields over DEFAULT_HLS4ML, or over the reference when it has "base": "reference" (the
 * reference at other widths without copying its every field). Errors name the file and the field.
 */
export function loadCostConfig(arg: string, claimsFile = "data/claims.json"): Hls4mlConfig {
  const reference = () => {
    const specs = loadClaimSpecs(claimsFile);
    const ref = specs.references[REFERENCE];
    if (!ref) throw new HandoffConfigError(`${claimsFile}: no reference "${REFERENCE}"`);
    return hlsReferenceConfig(REFERENCE, ref);
  };
  if (arg === "reference") return reference();
  if (!fs.existsSync(arg)) throw new HandoffConfigError(`--config ${arg}: file not found (give "reference" or a JSON file of hls4ml cost-model fields)`);
  let over: unknown;
  try {
    over = JSON.parse(fs.readFileSync(arg, "utf8"));
  } catch (e) {
    throw new HandoffConfigError(`--config ${arg}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof over !== "object" || over === null || Array.isArray(over)) throw new HandoffConfigError(`--config ${arg}: expected a JSON object of fields over the defaults`);
  const { base, ...fields } = over as Record<string, unknown>;
  if (base !== undefined && base !== "reference") throw new HandoffConfigError(`--config ${arg}: base: expected "reference" (the fields go over data/claims.json's ${REFERENCE}) or no base (over the model's defaults), got ${JSON.stringify(base)}`);
  over = fields;
  for (const k of Object.keys(fields)) {
    if (!(k in DEFAULT_HLS4ML) && k !== "layerReuse" && k !== "layerActBits") {
      throw new HandoffConfigError(`--config ${arg}: unknown field "${k}" (known: ${[...Object.keys(DEFAULT_HLS4ML), "layerReuse", "layerActBits"].join(", ")})`);
    }
  }
  try {
    return validateHls4mlConfig({ ...(base === "reference" ? reference() : DEFAULT_HLS4ML), ...(over as Partial<Hls4mlConfig>) });
  } catch (e) {
    throw new HandoffConfigError(`--config ${arg}: ${(e as Error).message}`);
  }
}

/**
 * A note when a quantised checkpoint is costed at widths other than its own: the cost configuration's weightBits and
 * actBits decide the costs and hls4ml_config.json's precisions, never the checkpoint's (a w4a4 network was costed and
 * handed off as 8-bit weights, 10-bit activations without a word). null for a float checkpoint or matching widths.
 */
export function trainedWidthNote(c: Pick<Hls4mlConfig, "weightBits" | "actBits">, trained: Partial<QuantFields>, file: string): string | null {
  const q = quantSpecOf(trained);
  if (!q) return null;
  const w = q.weightBits || c.weightBits;
  const a = q.actBits || c.actBits;
  if (w === c.weightBits && a === c.actBits) return null;
  return (
    `note: ${file} was trained ${quantLabel(trained)}, but the costs (and hls4ml_config.json's precisions) use the configuration's ` +
    `weights ${c.weightBits} b, activations ${c.actBits} b; for its own widths give --config a JSON file ` +
    `{"base": "reference", "weightBits": ${w}, "actBits": ${a}, "accBits": ${w + a}} (the reference's other fields; its accumulator rule, weights + activations)`
  );
}
