/**
 * Builds the cost explorer (web/) into a folder that works from anywhere, offline: index.html (its style inlined),
 * explorer.js (the page and the cost models of src/, bundled by esbuild as one classic script, so that it also runs
 * from file://, where browsers refuse ES modules; the policy search's Web Worker is bundled apart and carried inside it
 * as text). The reference configurations
 * of data/claims.json and an index of the committed runs' results go into the bundle: the page fetches nothing.
 * Used by build-web.ts, explore.ts and test/web.test.ts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { build } from "esbuild";
import { loadClaimSpecs } from "../src/experiment/index.js";
import { hlsReferenceConfig, peReferenceConfig } from "../src/report/hardware-claims.js";
import { CODESIGN_HLS_REFERENCE, CODESIGN_PE_REFERENCE } from "../src/report/codesign.js";
import { runEntry, type ExplorerData, type RunEntry } from "../web/src/data.js";

const ROOT = path.resolve(__dirname, "..");
const WEB = path.join(ROOT, "web");

function resultsFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? resultsFiles(p) : e.name === "results.json" ? [p] : [];
  });
}

/** The data the page is built with: the references the codesign view uses, and every committed run's results. */
export function explorerBuildData(root = ROOT): ExplorerData {
  const specs = loadClaimSpecs(path.join(root, "data", "claims.json"));
  const hls = specs.references[CODESIGN_HLS_REFERENCE];
  const pe = specs.references[CODESIGN_PE_REFERENCE];
  const runsDir = path.join(root, "data", "runs");
  const runs = resultsFiles(runsDir)
    .sort()
    .map((f) => runEntry(path.relative(runsDir, path.dirname(f)).split(path.sep).join("/"), JSON.parse(fs.readFileSync(f, "utf8"))))
    .filter((r): r is RunEntry => r !== null);
  return {
    references: {
      hls: { name: CODESIGN_HLS_REFERENCE, value: hls.value, config: hlsReferenceConfig(CODESIGN_HLS_REFERENCE, hls) },
      pe: { name: CODESIGN_PE_REFERENCE, value: pe.value, config: peReferenceConfig(CODESIGN_PE_REFERENCE, pe) },
    },
    runs,
  };
}

export interface WebBuild {
  dir: string;
  files: string[];
  bytes: number;
}

/**
 * Build into `out` (replaced as a whole: built beside it, then renamed into place, so a failed build leaves the old
 * folder as it was). `minify` false keeps the bundle readable.
 */
export async function buildWeb(out: string, opts: { minify?: boolean } = {}): Promise<WebBuild> {
  const data = explorerBuildData();
  const common = { bundle: true, format: "iife", platform: "browser", target: "es2020", minify: opts.minify ?? true, write: false, logLevel: "silent", legalComments: "none", metafile: true } as const;
  // the exhaustive search's Web Worker first: its bundle goes into the page's as text, started from a Blob URL
  // (web/src/front-search.ts), because a page opened from file:// may not start a worker from a file: URL
  const worker = await build({ ...common, entryPoints: [path.join(WEB, "src", "front-worker.ts")] });
  const result = await build({
    ...common,
    entryPoints: [path.join(WEB, "src", "main.ts")],
    define: { __EXPLORER_DATA__: JSON.stringify(data), __FRONT_WORKER_JS__: JSON.stringify(worker.outputFiles[0].text) },
  });
  // the page runs the cost models, not training: a module that pulls tfjs in is a wrong import (docs/ARCHITECTURE.md)
  const tfjs = [result, worker].flatMap((r) => Object.keys(r.metafile.inputs)).filter((f) => f.includes("@tensorflow"));
  if (tfjs.length) throw new Error(`the page's bundle would include tfjs (${tfjs[0]}, ...): import the pure module instead of the one that trains`);
  const js = result.outputFiles[0].text;
  const css = fs.readFileSync(path.join(WEB, "style.css"), "utf8");
  const html = fs.readFileSync(path.join(WEB, "index.html"), "utf8").replace("<!--STYLE-->", `<style>\n${css}</style>`);
  const tmp = `${out.replace(/\/+$/, "")}.${process.pid}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  try {
    fs.writeFileSync(path.join(tmp, "index.html"), html);
    fs.writeFileSync(path.join(tmp, "explorer.js"), js);
    fs.rmSync(out, { recursive: true, force: true });
    fs.renameSync(tmp, out);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const files = fs.readdirSync(out).sort();
  return { dir: out, files, bytes: files.reduce((a, f) => a + fs.statSync(path.join(out, f)).size, 0) };
}
