/**
 * Check executed notebooks (src/report/notebook-check.ts): no error output, plotly's bundle embedded once, and
 * the interactive figures each notebook is expected to draw.
 *   tsx scripts/check-notebooks.ts --dir DIR [--number]    the *.ipynb of DIR (scripts/run-notebooks.sh calls it);
 *   --number first writes each code cell's execution count (tslab's replies leave them blank)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { checkNotebook, numberExecutedCells, summariseNotebook } from "../src/report/notebook-check.js";
import { writeFileAtomic } from "../src/util/fs.js";
import { parseCli } from "./cli.js";

/** interactive figures each notebook draws when every figure of figures/ exists (scripts/notebooks.ts) */
export const EXPECTED_FIGURES: Record<string, number> = {
  "00-claims.ipynb": 8,
  "01-tailor-training.ipynb": 6,
  "02-hls4ml.ipynb": 2,
  "03-pe-array.ipynb": 4,
  "04-codesign.ipynb": 2,
  "05-your-own-network.ipynb": 0,
  "06-per-skip-policies.ipynb": 2,
};

const args = parseCli("Usage: npx tsx scripts/check-notebooks.ts --dir DIR [--number]", {
  dir: { type: "string", help: "folder of executed notebooks", default: "notebooks" },
  number: { type: "boolean", help: "number the executed code cells in order (written back) before checking" },
});
const dir = path.resolve(args.dir);
let bad = 0;
// a notebook this list does not know would go unchecked
for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".ipynb") && !(f in EXPECTED_FIGURES))) {
  console.error(`${path.join(dir, f)}: not in EXPECTED_FIGURES (scripts/check-notebooks.ts): say how many figures it draws`);
  bad++;
}
for (const name of Object.keys(EXPECTED_FIGURES)) {
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) {
    console.error(`${file}: missing`);
    bad++;
    continue;
  }
  let nb = JSON.parse(fs.readFileSync(file, "utf8"));
  if (args.number) {
    nb = numberExecutedCells(nb);
    writeFileAtomic(file, JSON.stringify(nb, null, 1) + "\n");
  }
  const problems = checkNotebook(nb, name, EXPECTED_FIGURES[name]);
  const s = summariseNotebook(nb);
  if (problems.length) {
    for (const p of problems) console.error(p);
    bad++;
  } else console.log(`${name}: ${s.executed} cells with output, ${s.figures} interactive figures${s.figures ? ", plotly embedded once" : ""}, no error`);
}
process.exit(bad ? 1 : 0);
