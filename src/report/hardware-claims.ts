/**
 * The hardware claims (C1-C6) judged at their reference configurations (data/claims.json "references") and over
 * the sweeps. Which quantity a claim is about is the claim's "quantity" field; thresholds and paper values come
 * from its spec, never from code.
 */
import { DEFAULT_HLS4ML, validateHls4mlConfig, type Hls4mlConfig, type SimCache } from "../hw/hls4ml/index.js";
import { DEFAULT_PE_ARRAY, validatePeArrayConfig, type PeArrayConfig } from "../hw/pe-array/index.js";
import { checkClaim, distribution, type ClaimResult, type ClaimSpec } from "./claims.js";
import { flowOf, hlsRow, type HlsRow } from "./hls4ml-sweep.js";
import { peRow, type PeRow } from "./pe-sweep.js";
import { isNetworkName, NETWORK_NAMES, TAILOR_METHODS, tailorGraphs, type HlsQuantity, type PeQuantity, type ReferenceSpec } from "../experiment/index.js";

export type { HlsQuantity, PeQuantity, ReferenceSpec };

export class ReferenceError extends Error {}

/** A reference's configuration over the model's defaults; an unknown key or a bad value names the reference and field. */
function merged<T extends object>(name: string, defaults: T, over: Record<string, unknown>): T {
  for (const k of Object.keys(over)) if (!(k in defaults)) throw new ReferenceError(`data/claims.json: references.${name}.config.${k}: unknown field (known: ${Object.keys(defaults).join(", ")})`);
  return { ...defaults, ...over } as T;
}

function checkTargets(name: string, ref: ReferenceSpec): void {
  for (const n of ref.networks) if (!isNetworkName(n)) throw new ReferenceError(`data/claims.json: references.${name}.networks: unknown network "${n}" (known: ${NETWORK_NAMES.join(", ")})`);
  for (const m of ref.methods) if (!TAILOR_METHODS.includes(m)) throw new ReferenceError(`data/claims.json: references.${name}.methods: unknown method "${m}" (expected remover or shortener)`);
}

/** A reference's configuration: its model checked, its fields merged over the model's defaults and validated. */
function referenceConfig<C extends object>(name: string, ref: ReferenceSpec, model: ReferenceSpec["model"], defaults: C, validate: (c: C) => C): C {
  if (ref.model !== model) throw new ReferenceError(`data/claims.json: references.${name}.model: expected "${model}", got "${ref.model}"`);
  checkTargets(name, ref);
  try {
    return validate(merged(name, defaults, ref.config));
  } catch (e) {
    throw new ReferenceError(`data/claims.json: references.${name}: ${(e as Error).message}`);
  }
}

export const hlsReferenceConfig = (name: string, ref: ReferenceSpec): Hls4mlConfig => referenceConfig(name, ref, "hls4ml", DEFAULT_HLS4ML, validateHls4mlConfig);

export const peReferenceConfig = (name: string, ref: ReferenceSpec): PeArrayConfig => referenceConfig(name, ref, "pe-array", DEFAULT_PE_ARRAY, validatePeArrayConfig);

/** The teacher/student pairs of every network and method of the reference, at its configuration. */
export function hlsReferenceRows(name: string, ref: ReferenceSpec, cache: SimCache = new Map()): HlsRow[] {
  const c = hlsReferenceConfig(name, ref);
  return ref.networks.flatMap((n) => ref.methods.map((m) => hlsRow(n, m, `reference ${name}`, flowOf(c), c, tailorGraphs(n, m), cache)));
}

export function peReferenceRows(name: string, ref: ReferenceSpec): PeRow[] {
  const c = peReferenceConfig(name, ref);
  return ref.networks.flatMap((n) => ref.methods.map((m) => peRow(n, m, c, tailorGraphs(n, m))));
}

/** The claim's value for one design pair: a saving as a positive %, a latency change as |%|. */
export const hlsValue = (r: HlsRow, q: HlsQuantity) => (q === "latency" ? Math.abs(r.change.latency) : -r.change[q]);
export const peValue = (r: PeRow, q: PeQuantity) => (q === "perf" ? r.perf : -r.bytes);

const fmt = (v: number, unit: string) => `${v.toFixed(1)}${unit}`;

function explain(spec: ClaimSpec, where: string) {
  return (v: number) =>
    `at the reference (${where}) our value ${fmt(v, spec.unit)} is ${v > spec.paper ? "above" : "below"} the paper's ${fmt(spec.paper, spec.unit)} by more than the tolerance of ${spec.tolerance}${spec.unit}`;
}

/** C1-C3 and C6: the largest value over the reference's pairs that fit their part; the range over the sweep's fitting pairs. */
export function hlsClaim(spec: ClaimSpec, sweep: HlsRow[], reference: HlsRow[]): ClaimResult {
  const q = spec.quantity as HlsQuantity;
  if (!["bram18", "ff", "lut", "latency"].includes(q)) throw new ReferenceError(`data/claims.json: ${spec.id}.quantity: expected bram18, ff, lut or latency, got "${q}"`);
  const fit = reference.filter((r) => r.fits);
  const best = fit.reduce<HlsRow | null>((m, r) => (m === null || hlsValue(r, q) > hlsValue(m, q) ? r : m), null);
  const each = reference.map((r) => `${r.network} ${r.method} ${fmt(hlsValue(r, q), spec.unit)}${r.fits ? "" : " (does not fit, left out)"}`).join(", ");
  const where = best ? `${best.network} ${best.method}, ${best.flow}` : "no reference design fits";
  const sweepFit = sweep.filter((r) => r.fits);
  return checkClaim(spec, best ? hlsValue(best, q) : null, `${where}; each pair at the reference: ${each}`, explain(spec, where), distribution(sweepFit.map((r) => hlsValue(r, q)), sweep.length - sweepFit.length));
}

/** C4, C5: the largest value over the reference's pairs; the range over the sweep. */
export function peClaim(spec: ClaimSpec, sweep: PeRow[], reference: PeRow[]): ClaimResult {
  const q = spec.quantity as PeQuantity;
  if (q !== "perf" && q !== "bytes") throw new ReferenceError(`data/claims.json: ${spec.id}.quantity: expected perf or bytes, got "${q}"`);
  const best = reference.reduce<PeRow | null>((m, r) => (m === null || peValue(r, q) > peValue(m, q) ? r : m), null);
  const each = reference.map((r) => `${r.network} ${r.method} ${fmt(peValue(r, q), spec.unit)}`).join(", ");
  const where = best ? `${best.network} ${best.method}` : "no reference design";
  return checkClaim(spec, best ? peValue(best, q) : null, `${where}; each pair at the reference: ${each}`, explain(spec, where), distribution(sweep.map((r) => peValue(r, q))));
}
