/** What a claim group writes under figures/: tables by file name (markdown or CSV text) and figures by name (HTML, PNG, SVG). */
import type { Figure } from "./plot-style.js";

export interface Outputs {
  tables: Record<string, string>;
  figures: Record<string, Figure>;
}

/** A named stage of evidence gathering (scripts/reproduce.ts times it and shows its progress). */
export type Step = <T>(name: string, f: () => T | Promise<T>) => Promise<T>;
