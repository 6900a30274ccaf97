/**
 * figures/claims.json, the verdicts the notebooks and figures/claims.md show. A full `npm run reproduce` writes every
 * claim. A partial one (`--only C8`) rewrites its group's figures, so it must rewrite their verdicts too, or a notebook
 * would show a new table beside an old verdict: its claims replace their earlier results, and the others are carried
 * over from the file, each with the date of the run that computed it.
 */
import type { ClaimResult } from "./claims.js";

export interface ClaimsFile {
  /** the run that wrote the file (`only`: the claim it was asked for, when partial) */
  environment: Record<string, unknown>;
  claims: ClaimResult[];
  /** claims not computed by this run: id -> date of the run that did */
  carriedOver?: Record<string, string>;
}

/**
 * The file after a run that computed `computed`, in the claims' order `order`: a full run (every claim computed) stands
 * alone; a partial one keeps each other claim of `earlier` (the file as it was, or null when there is none).
 */
export function mergeClaims(order: string[], computed: ClaimResult[], environment: ClaimsFile["environment"], earlier: ClaimsFile | null): ClaimsFile {
  const carriedOver: Record<string, string> = {};
  const claims = order.flatMap((id) => {
    const now = computed.find((c) => c.id === id);
    if (now) return [now];
    const before = earlier?.claims.find((c) => c.id === id);
    if (!before) return [];
    carriedOver[id] = earlier!.carriedOver?.[id] ?? String(earlier!.environment.date);
    return [before];
  });
  return Object.keys(carriedOver).length ? { environment, claims, carriedOver } : { environment, claims };
}

/** A line for figures/claims.md naming the claims a partial run carried over, or "". */
export function carriedOverNote(f: ClaimsFile): string {
  const c = Object.entries(f.carriedOver ?? {});
  if (!c.length) return "";
  const byDate = new Map<string, string[]>();
  for (const [id, date] of c) byDate.set(date, [...(byDate.get(date) ?? []), id]);
  const runs = [...byDate].map(([date, ids]) => `${ids.join(", ")} from the run of ${date}`).join("; ");
  return `\nThis run computed ${f.claims.filter((x) => !(x.id in f.carriedOver!)).map((x) => x.id).join(", ")} only (\`--only ${f.environment.only}\`); carried over unchanged: ${runs}.\n`;
}

/** `text` (of `file`) as a ClaimsFile; an error names the file and what it lacks. */
export function parseClaimsFile(text: string, file: string): ClaimsFile {
  let f: Partial<ClaimsFile>;
  try {
    f = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not JSON (${(e as Error).message}); delete it and run npm run reproduce without --only`);
  }
  if (typeof f?.environment?.date !== "string" || !Array.isArray(f.claims) || f.claims.some((c) => typeof c?.id !== "string")) {
    throw new Error(`${file}: expected { environment: { date }, claims: [{ id, ... }] }; delete it and run npm run reproduce without --only`);
  }
  return f as ClaimsFile;
}
