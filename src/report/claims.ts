/**
 * Verdicts on the claims of data/claims.json. A claim is judged twice: at its reference configuration (fixed in
 * data/claims.json before anything was computed: the configuration closest to the authors'), within the claim's
 * tolerance; and over the sweep, whether the paper's value lies inside the range the mechanism allows
 * ("attainable"). One status from a fixed vocabulary sums both up (ARTIFACT.md explains each).
 */
import type { ClaimSpec } from "../experiment/index.js";
import { median } from "../util/stats.js";
import { toFixedNoNegZero } from "../util/table.js";
export type { ClaimSpec };

/** The fixed vocabulary (data/claims.json "statuses" defines each) of statuses, in the order of how well the claim is supported. */
export const CLAIM_STATUSES = ["reproduced at reference", "attainable, not at reference", "not at reference, range in progress", "not attainable", "in progress", "not computed"] as const;
export type ClaimStatus = (typeof CLAIM_STATUSES)[number];

export interface Distribution {
  min: number;
  median: number;
  max: number;
  /** designs the range is over */
  count: number;
  /** designs left out (for the hls4ml claims: designs that do not fit their part) */
  excluded: number;
}

export interface ClaimResult extends ClaimSpec {
  /** the value at the reference configuration */
  ours: number | null;
  /** a claim with a second part (`and`, C7b): that part's value, shown beside `ours` (the claim holds only if both do) */
  andOurs?: number | null;
  /** the reference value is within the tolerance of the paper's */
  atReference: boolean | null;
  range: Distribution | null;
  /** the paper's value lies inside the sweep's range */
  attainable: boolean | null;
  status: ClaimStatus;
  /** where the reference value comes from */
  configuration: string;
  reason: string;
}


export function distribution(values: number[], excluded = 0): Distribution | null {
  const v = values.filter(Number.isFinite);
  if (!v.length) return null;
  return { min: Math.min(...v), median: median(v), max: Math.max(...v), count: v.length, excluded };
}

/**
 * The resolution, in the claim's unit, at which a check decides: values and bounds are rounded to it first. An
 * accuracy gap is a difference of test top-1 values k/10,000, so a multiple of 0.01 pp, and can land exactly on a
 * bound; computed in floating point it comes out a few 1e-16 off either side (100 * (0.79 - 0.8) is
 * -1.0000000000000009), and the verdict would be noise. Rounding to 1e-6 removes that noise and nothing else.
 */
export const CLAIM_RESOLUTION = 1e-6;
const PER_UNIT = 1e6; // 1 / CLAIM_RESOLUTION
/** v rounded to CLAIM_RESOLUTION (as the double nearest the decimal: 0.33, not 0.32999999999999996) */
export const decided = (v: number) => Math.round(v * PER_UNIT) / PER_UNIT;

/** A gap in points with its sign: a difference of two equal gaps computed as -1e-16 reads "+0.00 pp", not "-0.00 pp". */
export const signedPp = (v: number) => {
  const s = toFixedNoNegZero(v, 2);
  return `${s.startsWith("-") ? "" : "+"}${s} pp`;
};

/** does v pass the check? at-least is inclusive (v >= paper - tolerance), more-than strict, within inclusive */
export const within = (spec: Pick<ClaimSpec, "check" | "paper" | "tolerance">, v: number) => {
  const x = decided(v);
  const lo = decided(spec.paper - spec.tolerance);
  const hi = decided(spec.paper + spec.tolerance);
  return spec.check === "at-least" ? x >= lo : spec.check === "more-than" ? x > hi : lo <= x && x <= hi;
};

/**
 * The verdict of one claim. `ours` is the value at the reference configuration; `range` the distribution over the
 * sweep (defaults to the reference value alone); `explain` says why the reference value is off, when it is.
 */
/** A claim whose inputs are still being computed (the depth campaign's runs in training). */
export function inProgressClaim(spec: ClaimSpec, waitingFor: string, where: string): ClaimResult {
  return { ...spec, ours: null, atReference: null, range: null, attainable: null, status: "in progress", configuration: where, reason: `in progress: ${waitingFor}` };
}

/**
 * A claim waiting for runs: "in progress" while they train; "not computed" when one of them cannot finish as things
 * are (it failed, or its files do not verify), since waiting would never end.
 */
export function awaitingClaim(spec: ClaimSpec, waiting: { label: string; stuck: boolean }[], where: string): ClaimResult {
  const stuck = waiting.filter((w) => w.stuck);
  if (!stuck.length) return inProgressClaim(spec, waiting.map((w) => w.label).join(", "), where);
  const reason = `not computed: ${stuck.map((w) => w.label).join("; ")} (${where})`;
  return { ...spec, ours: null, atReference: null, range: null, attainable: null, status: "not computed", configuration: reason, reason };
}

/**
 * `rangeComplete`: false while runs of the range are still training (C8's other QAT pairs). A claim that fails at the
 * reference is then "not at reference, range in progress", never "not attainable": the range is not all there yet.
 */
export function checkClaim(spec: ClaimSpec, ours: number | null, configuration: string, explain: (ours: number) => string, range?: Distribution | null, rangeComplete = true): ClaimResult {
  const r = range === undefined ? (ours === null ? null : distribution([ours])) : range;
  if (ours === null || !Number.isFinite(ours)) {
    return { ...spec, ours: null, atReference: null, range: r, attainable: null, status: "not computed", configuration, reason: configuration };
  }
  const atReference = within(spec, ours);
  // "attainable": the paper's value lies inside the sweep's range, or within the tolerance of its nearer end (so a
  // claim reproduced at the reference, a design of the sweep, is attainable); for at-least: the best design is no
  // worse than the paper's value less the tolerance
  // (rounded like the check: see CLAIM_RESOLUTION)
  const attainable =
    r === null
      ? false
      : spec.check === "at-least" || spec.check === "more-than"
        ? within(spec, r.max)
        : decided(r.min) <= decided(spec.paper + spec.tolerance) && decided(r.max) >= decided(spec.paper - spec.tolerance);
  const open = !atReference && !attainable && !rangeComplete;
  const status: ClaimStatus = atReference ? "reproduced at reference" : attainable ? "attainable, not at reference" : open ? "not at reference, range in progress" : "not attainable";
  const reason = atReference
    ? spec.check === "at-least"
      ? `no worse than ${spec.paper - spec.tolerance} ${spec.unit} at the reference`
      : spec.check === "more-than"
        ? `more than ${spec.paper + spec.tolerance} ${spec.unit} at the reference`
        : `within ${spec.tolerance} ${spec.unit} of the paper at the reference`
    : explain(ours);
  return { ...spec, ours, atReference, range: r, attainable: open ? null : attainable, status, configuration, reason };
}
