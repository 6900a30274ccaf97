/**
 * Resuming must continue the run that was started: every config field that changes the result has to equal the
 * checkpoint's, else the run's record would describe something that never ran.
 */
import { DEFAULT_CONFIG, type TrainConfig } from "./config.js";

/** Fields that only change what is printed, not what is computed. */
export const COSMETIC_FIELDS: readonly (keyof TrainConfig)[] = ["logEvery"];

/**
 * Values of fields a checkpoint written before the field existed ran with (not today's defaults: a new default
 * must not change the meaning of an old run).
 */
export const LEGACY_VALUES: Partial<TrainConfig> = { policy: "", teacherBn: "running", splitSeed: 0, evalBatchSize: 500, quantWeightBits: 0, quantActBits: 0, quantEdgeBits: 8 };

/** The config a checkpoint ran with, with fields it predates filled in from LEGACY_VALUES. */
export function recordedConfig(saved: Partial<TrainConfig>): TrainConfig {
  return { ...DEFAULT_CONFIG, ...LEGACY_VALUES, ...saved } as TrainConfig;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The fields (that change the result) where `current` differs from `saved`: [field, saved, current]. */
export function configDifferences(saved: Partial<TrainConfig>, current: TrainConfig): [keyof TrainConfig, unknown, unknown][] {
  const s = recordedConfig(saved);
  const out: [keyof TrainConfig, unknown, unknown][] = [];
  for (const k of Object.keys(DEFAULT_CONFIG) as (keyof TrainConfig)[]) {
    if (COSMETIC_FIELDS.includes(k)) continue;
    if (!same(s[k], current[k])) out.push([k, s[k], current[k]]);
  }
  for (const k of Object.keys(saved)) if (!(k in DEFAULT_CONFIG)) out.push([k as keyof TrainConfig, saved[k as keyof TrainConfig], undefined]);
  return out;
}

const show = (v: unknown) => (Array.isArray(v) ? v.join(",") || "(none)" : v === "" ? '""' : String(v));
const kebab = (k: string) => k.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`);

/** An error message naming every differing field (as the config key and its flag), or null when they agree. */
export function describeConfigMismatch(saved: Partial<TrainConfig>, current: TrainConfig, file: string): string | null {
  const d = configDifferences(saved, current);
  if (!d.length) return null;
  return (
    `${file}: the checkpoint was trained with a different config: ` +
    d.map(([k, a, b]) => `${k} (--${kebab(k)}) was ${show(a)}, this run has ${show(b)}`).join("; ") +
    ". Resume with the run's own settings, or start a new run in another --out folder"
  );
}
