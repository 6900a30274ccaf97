/**
 * data/claims.json, typed and validated: the paper's claims C1-C8 (value, unit, our tolerance, how a value is
 * checked), the reference configurations the hardware claims are judged at, and the scope of the accuracy claims
 * (which networks and runs decide them). Everything that reads the file goes through `parseClaimSpecs`, so a wrong
 * field is an error naming the file and its JSON path, never a verdict computed from it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isNetworkName, type NetworkName } from "./networks.js";
import { TAILOR_METHODS, type TailorMethod } from "./methods.js";

export type ClaimGroup = "hls4ml" | "pe-array" | "accuracy";
export type HlsQuantity = "bram18" | "ff" | "lut" | "latency";
export type PeQuantity = "perf" | "bytes";
export type ClaimCheck = "within" | "at-least" | "more-than";

/** Which runs decide an accuracy claim (fixed before they trained; see each claim's metric). */
export interface AccuracyScope {
  /** C7a: the networks whose students count, and whether the ResNet-8 short-schedule runs (data/runs/resnet8-short) do */
  nets?: NetworkName[];
  shortRuns?: boolean;
  /** C7b: SkipRemover's gap on `shallow` against `deep`, and SkipShortener's gap on `deep` */
  shallow?: NetworkName;
  deep?: NetworkName;
  /** C8: the network and precision (bits) of its value, and the seeds of its two students (the first decides) */
  net?: NetworkName;
  bits?: number;
  seeds?: number[];
}

export interface ClaimSpec {
  id: string;
  claim: string;
  metric: string;
  /** what a hardware claim measures (C1-C6) */
  quantity?: HlsQuantity | PeQuantity;
  paper: number;
  unit: string;
  tolerance: number;
  toleranceWhy?: string;
  group: ClaimGroup;
  /** within: |ours - paper| <= tolerance; at-least: ours >= paper - tolerance; more-than: ours > paper + tolerance */
  check: ClaimCheck;
  /** a second part the claim also needs (C7b), checked the same way on its own metric */
  and?: Pick<ClaimSpec, "metric" | "paper" | "tolerance" | "check">;
  /** the key of its reference configuration in "references" (hardware claims) */
  reference?: string;
  /** the runs that decide it (accuracy claims) */
  scope?: AccuracyScope;
}

export interface ReferenceSpec {
  model: "hls4ml" | "pe-array";
  networks: NetworkName[];
  methods: TailorMethod[];
  value: string;
  /** the cost model's configuration fields over its defaults (validated by the model: src/report/hardware-claims.ts) */
  config: Record<string, unknown>;
  chosenBy: string;
  rationale: Record<string, string>;
  sources: string[];
}

export interface ClaimSpecs {
  claims: ClaimSpec[];
  references: Record<string, ReferenceSpec>;
  /** status -> what it means (the fixed vocabulary of verdicts, src/report/claims.ts CLAIM_STATUSES) */
  statuses: Record<string, string>;
  regressionTolerance: { value: number; unit: string; why: string };
}

export class ClaimSpecError extends Error {}

const GROUPS: ClaimGroup[] = ["hls4ml", "pe-array", "accuracy"];
const CHECKS: ClaimCheck[] = ["within", "at-least", "more-than"];
const QUANTITIES: Record<ClaimGroup, string[]> = { hls4ml: ["bram18", "ff", "lut", "latency"], "pe-array": ["perf", "bytes"], accuracy: [] };
const MODEL_OF_GROUP: Record<string, ReferenceSpec["model"]> = { hls4ml: "hls4ml", "pe-array": "pe-array" };

/** the repository's data/claims.json */
export const CLAIMS_FILE = path.resolve(__dirname, "..", "..", "data", "claims.json");

/** `text` of `file` as typed claim specs; an error names the file, the JSON path and what was expected. */
export function parseClaimSpecs(text: string, file: string): ClaimSpecs {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ClaimSpecError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const fail = failIn(file);
  const obj = (v: unknown, where: string): Record<string, unknown> => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : fail(where, "an object", v));
  const str = (v: unknown, where: string): string => (typeof v === "string" && v.length > 0 ? v : fail(where, "a non-empty string", v));
  const num = (v: unknown, where: string, min = -Infinity): number => (typeof v === "number" && Number.isFinite(v) && v >= min ? v : fail(where, min === 0 ? "a finite number >= 0" : "a finite number", v));
  const oneOf = <T extends string>(v: unknown, where: string, allowed: readonly T[]): T => (allowed.includes(v as T) ? (v as T) : fail(where, `one of ${allowed.join(", ")}`, v));
  const net = (v: unknown, where: string): NetworkName => (typeof v === "string" && isNetworkName(v) ? v : fail(where, "a known network (src/experiment/networks.ts)", v));

  const top = obj(raw, "the file");
  onlyKnown(top, ["source", "note", "statuses", "regressionTolerance", "references", "claims"], "the file", fail);
  const statuses = obj(top.statuses, "statuses") as Record<string, string>;
  for (const [k, v] of Object.entries(statuses)) str(v, `statuses["${k}"]`);
  const reg = obj(top.regressionTolerance, "regressionTolerance");
  const regressionTolerance = { value: num(reg.value, "regressionTolerance.value", 0), unit: str(reg.unit, "regressionTolerance.unit"), why: str(reg.why, "regressionTolerance.why") };

  const references: Record<string, ReferenceSpec> = {};
  for (const [name, v] of Object.entries(obj(top.references ?? {}, "references"))) {
    const at = `references.${name}`;
    const r = obj(v, at);
    onlyKnown(r, ["model", "networks", "methods", "value", "config", "chosenBy", "rationale", "sources"], at, fail);
    const list = (k: string) => (Array.isArray(r[k]) && (r[k] as unknown[]).length ? (r[k] as unknown[]) : fail(`${at}.${k}`, "a non-empty array", r[k]));
    references[name] = {
      model: oneOf(r.model, `${at}.model`, ["hls4ml", "pe-array"] as const),
      networks: list("networks").map((n, i) => net(n, `${at}.networks[${i}]`)),
      methods: list("methods").map((m, i) => oneOf(m, `${at}.methods[${i}]`, TAILOR_METHODS)),
      value: str(r.value, `${at}.value`),
      config: obj(r.config, `${at}.config`),
      chosenBy: str(r.chosenBy, `${at}.chosenBy`),
      rationale: obj(r.rationale ?? {}, `${at}.rationale`) as Record<string, string>,
      sources: Array.isArray(r.sources) ? r.sources.map((s, i) => str(s, `${at}.sources[${i}]`)) : fail(`${at}.sources`, "an array of strings", r.sources),
    };
  }

  if (!Array.isArray(top.claims) || !top.claims.length) fail("claims", "a non-empty array", top.claims);
  const seen = new Set<string>();
  const claims = (top.claims as unknown[]).map((v, i): ClaimSpec => {
    const c = obj(v, `claims[${i}]`);
    const id = str(c.id, `claims[${i}].id`);
    const at = `claims[${i}] (${id})`;
    if (seen.has(id)) fail(`${at}.id`, "an id used once", id);
    seen.add(id);
    const group = oneOf(c.group, `${at}.group`, GROUPS);
    const spec: ClaimSpec = {
      id,
      claim: str(c.claim, `${at}.claim`),
      metric: str(c.metric, `${at}.metric`),
      paper: num(c.paper, `${at}.paper`),
      unit: str(c.unit, `${at}.unit`),
      tolerance: num(c.tolerance, `${at}.tolerance`, 0),
      group,
      check: oneOf(c.check, `${at}.check`, CHECKS),
    };
    if (c.toleranceWhy !== undefined) spec.toleranceWhy = str(c.toleranceWhy, `${at}.toleranceWhy`);
    if (group === "accuracy") {
      if (c.quantity !== undefined) fail(`${at}.quantity`, "no quantity for an accuracy claim (its scope says what it measures)", c.quantity);
      if (c.reference !== undefined) fail(`${at}.reference`, "no reference for an accuracy claim", c.reference);
      spec.scope = parseScope(obj(c.scope, `${at}.scope`), `${at}.scope`, fail, net);
    } else {
      spec.quantity = oneOf(c.quantity, `${at}.quantity`, QUANTITIES[group]) as ClaimSpec["quantity"];
      const ref = str(c.reference, `${at}.reference`);
      if (!references[ref]) fail(`${at}.reference`, `one of references (${Object.keys(references).join(", ") || "none"})`, ref);
      if (references[ref].model !== MODEL_OF_GROUP[group]) fail(`${at}.reference`, `a reference of model "${MODEL_OF_GROUP[group]}" (the claim's group)`, ref);
      spec.reference = ref;
    }
    if (c.and !== undefined) {
      const a = obj(c.and, `${at}.and`);
      onlyKnown(a, ["metric", "paper", "tolerance", "check"], `${at}.and`, fail);
      spec.and = { metric: str(a.metric, `${at}.and.metric`), paper: num(a.paper, `${at}.and.paper`), tolerance: num(a.tolerance, `${at}.and.tolerance`, 0), check: oneOf(a.check, `${at}.and.check`, CHECKS) };
    }
    const known = group === "accuracy" ? CLAIM_FIELDS.filter((k) => k !== "quantity" && k !== "reference") : CLAIM_FIELDS.filter((k) => k !== "scope");
    onlyKnown(c, known, at, fail);
    // the file's own key order: the verdicts (figures/claims.json) repeat the spec as the file states it
    return Object.fromEntries(Object.keys(c).map((k) => [k, spec[k as keyof ClaimSpec]])) as unknown as ClaimSpec;
  });
  return { claims, references, statuses, regressionTolerance };
}

type Fail = (where: string, what: string, ...got: unknown[]) => never;

const CLAIM_FIELDS = ["id", "claim", "metric", "quantity", "paper", "unit", "tolerance", "toleranceWhy", "group", "check", "and", "reference", "scope"];

/** a misspelt field is an error, never a field silently ignored */
function onlyKnown(o: Record<string, unknown>, known: string[], at: string, fail: Fail): void {
  for (const k of Object.keys(o)) if (!known.includes(k)) fail(`${at}.${k}`, `no such field (known: ${known.join(", ")})`);
}

/** An error at a JSON path of `file`: what was expected, and what was there when it is given. */
const failIn =
  (file: string): Fail =>
  (where, what, ...got) => {
    throw new ClaimSpecError(`${file}: ${where}: expected ${what}${got.length ? `, got ${JSON.stringify(got[0])}` : ""}`);
  };

function parseScope(s: Record<string, unknown>, at: string, fail: Fail, net: (v: unknown, where: string) => NetworkName): AccuracyScope {
  const out: AccuracyScope = {};
  for (const [k, v] of Object.entries(s)) {
    const where = `${at}.${k}`;
    if (k === "nets") out.nets = Array.isArray(v) && v.length ? v.map((n, i) => net(n, `${where}[${i}]`)) : fail(where, "a non-empty array of networks", v);
    else if (k === "shortRuns") out.shortRuns = typeof v === "boolean" ? v : fail(where, "true or false", v);
    else if (k === "shallow" || k === "deep" || k === "net") out[k] = net(v, where);
    else if (k === "bits") out.bits = Number.isInteger(v) && (v as number) >= 2 && (v as number) <= 16 ? (v as number) : fail(where, "an integer from 2 to 16", v);
    // the first seed's pair is the claim's value (fixed before the runs); the others are reported beside it
    else if (k === "seeds") out.seeds = Array.isArray(v) && v[0] === 1 && v.every((x) => Number.isInteger(x) && x >= 1) ? (v as number[]) : fail(where, "an array of positive integer seeds, the first 1", v);
    else fail(where, "no such field (known: nets, shortRuns, shallow, deep, net, bits, seeds)");
  }
  return out;
}

/** data/claims.json (or `file`), read and validated. */
export function loadClaimSpecs(file = CLAIMS_FILE): ClaimSpecs {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new ClaimSpecError(`${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "not found" : (e as Error).message}`);
  }
  return parseClaimSpecs(text, file);
}

/** The spec of one claim; an unknown id lists the known ones. */
export function claimSpec(specs: ClaimSpecs, id: string): ClaimSpec {
  const s = specs.claims.find((c) => c.id === id);
  if (!s) throw new ClaimSpecError(`unknown claim "${id}" (known: ${specs.claims.map((c) => c.id).join(", ")})`);
  return s;
}
