/**
 * What the build puts into the page (scripts/build-web.ts): the reference configurations of data/claims.json, as the
 * claims' own loader reads them, and an index of the committed training runs (data/runs/**\/results.json). Built at
 * build time so that the page fetches nothing.
 */
import type { Hls4mlConfig } from "../../src/hw/hls4ml/index.js";
import type { PeArrayConfig } from "../../src/hw/pe-array/index.js";
import { POLICY_LETTER, type SkipMode } from "../../src/net/index.js";
import { quantLabel, type QuantFields } from "../../src/train/quant-spec.js";
import type { Form } from "./state.js";

export interface RunEntry {
  /** the run's folder under data/runs */
  run: string;
  net: string;
  form: Form;
  /** its final skip modes as a policy string */
  policy: string;
  /** "float", or the quantisers ("w4a4 (edges 8)") */
  precision: string;
  epochs: number;
  /** top-1 of its best checkpoint (by validation loss) on the test and validation sets */
  testTop1: number | null;
  valTop1: number | null;
}

export interface ExplorerData {
  references: {
    hls: { name: string; value: string; config: Hls4mlConfig };
    pe: { name: string; value: string; config: PeArrayConfig };
  };
  runs: RunEntry[];
}

interface ResultsJson {
  config?: { net?: string; form?: Form; epochs?: number } & Partial<QuantFields>;
  net?: string;
  skipModes?: SkipMode[];
  epochs?: unknown[] | number;
  best?: { test?: { top1?: number }; val?: { top1?: number } };
}

/** The index entry of one results.json (`run`: its folder); null when it lacks what the page matches on. */
export function runEntry(run: string, r: ResultsJson): RunEntry | null {
  const net = r.config?.net ?? r.net;
  if (!net || !r.skipModes || !r.config?.form) return null;
  const top = (v: number | undefined) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  return {
    run,
    net,
    form: r.config.form,
    policy: r.skipModes.map((m) => POLICY_LETTER[m]).join(""),
    precision: quantLabel(r.config),
    epochs: Array.isArray(r.epochs) ? r.epochs.length : (r.config.epochs ?? 0),
    testTop1: top(r.best?.test?.top1),
    valTop1: top(r.best?.val?.top1),
  };
}

declare const __EXPLORER_DATA__: ExplorerData;
/** the data the build defined */
export const explorerData = (): ExplorerData => __EXPLORER_DATA__;
