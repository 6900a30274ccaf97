/** Check each claim of data/claims.json against the value the project computed. */
export interface ClaimSpec {
  id: string;
  claim: string;
  metric: string;
  paper: number;
  unit: string;
  tolerance: number;
  group: string;
  /** within: |ours - paper| <= tolerance; at-least: ours >= paper - tolerance; more-than: ours > paper + tolerance */
  check: "within" | "at-least" | "more-than";
  /** a second part the claim also needs (C7b), checked the same way on its own metric */
  and?: Pick<ClaimSpec, "metric" | "paper" | "tolerance" | "check">;
}

export interface ClaimResult extends ClaimSpec {
  ours: number | null;
  configuration: string;
  /** in progress: the runs it needs are still training (the depth campaign) */
  status: "holds" | "differs" | "not computed" | "in progress";
  reason: string;
}

export function checkClaim(spec: ClaimSpec, ours: number | null, configuration: string, explain: (ours: number) => string): ClaimResult {
  if (ours === null || !Number.isFinite(ours)) return { ...spec, ours: null, configuration, status: "not computed", reason: configuration };
  const holds =
    spec.check === "at-least" ? ours >= spec.paper - spec.tolerance : spec.check === "more-than" ? ours > spec.paper + spec.tolerance : Math.abs(ours - spec.paper) <= spec.tolerance;
  const why = spec.check === "at-least" ? `no worse than ${spec.paper - spec.tolerance} ${spec.unit}` : spec.check === "more-than" ? `more than ${spec.paper + spec.tolerance} ${spec.unit}` : `within ${spec.tolerance} ${spec.unit} of the paper`;
  return { ...spec, ours, configuration, status: holds ? "holds" : "differs", reason: holds ? why : explain(ours) };
}
