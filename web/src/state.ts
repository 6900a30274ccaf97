/**
 * The page's state: the network, its block form, its skip policy, and both cost models' configurations. It lives in
 * the URL's hash (a link reproduces the design): every field, as text, so a link still means the same design when a
 * default changes. A field the hash lacks takes the reference value; a field it has is shown as written (even when out
 * of range, so that the page can say which and why).
 */
import type { Hls4mlConfig } from "../../src/hw/hls4ml/index.js";
import type { PeArrayConfig } from "../../src/hw/pe-array/index.js";

export type Form = "plain" | "shortenable";

/** the hls4ml fields the page sets (the rest come from the reference configuration) */
export const HLS_FIELDS = ["weightBits", "actBits", "accBits", "reuseFactor", "strategy", "fifoDepth", "shortImpl", "reluMerge", "part", "clockMHz"] as const;
export type HlsField = (typeof HLS_FIELDS)[number];
/** the PE-array fields the page sets */
export const PE_FIELDS = ["rows", "cols", "lanes", "dataflow", "addMode", "keepOnChip", "dramBytesPerCycle", "clockMHz"] as const;
export type PeField = (typeof PE_FIELDS)[number];

export interface State {
  /** a network of src/experiment/networks.ts, or "onnx:<name>" for a dropped file */
  net: string;
  form: Form;
  /** a letter per skip from the input end: L, S, R (src/net/policy.ts) */
  policy: string;
  /** the raw text of each field, as typed */
  hls: Record<HlsField, string>;
  pe: Record<PeField, string>;
}

export const text = (v: unknown) => String(v);

export function defaultState(hls: Hls4mlConfig, pe: PeArrayConfig, net = "resnet20", skips = 9): State {
  return {
    net,
    form: "shortenable",
    policy: "S".repeat(skips),
    hls: Object.fromEntries(HLS_FIELDS.map((k) => [k, text(hls[k])])) as State["hls"],
    pe: Object.fromEntries(PE_FIELDS.map((k) => [k, text(pe[k])])) as State["pe"],
  };
}

export function toHash(s: State): string {
  const p = new URLSearchParams();
  p.set("net", s.net);
  p.set("form", s.form);
  p.set("policy", s.policy);
  for (const k of HLS_FIELDS) p.set(`hls.${k}`, s.hls[k]);
  for (const k of PE_FIELDS) p.set(`pe.${k}`, s.pe[k]);
  return "#" + p.toString();
}

/** the state of a hash over `base`: unknown keys are ignored (an older link), missing ones keep base's */
export function fromHash(hash: string, base: State): State {
  const p = new URLSearchParams(hash.replace(/^#/, ""));
  const s: State = { ...base, hls: { ...base.hls }, pe: { ...base.pe } };
  const net = p.get("net");
  if (net) s.net = net;
  const form = p.get("form");
  if (form === "plain" || form === "shortenable") s.form = form;
  const policy = p.get("policy");
  if (policy !== null) s.policy = policy;
  for (const k of HLS_FIELDS) {
    const v = p.get(`hls.${k}`);
    if (v !== null) s.hls[k] = v;
  }
  for (const k of PE_FIELDS) {
    const v = p.get(`pe.${k}`);
    if (v !== null) s.pe[k] = v;
  }
  return s;
}
