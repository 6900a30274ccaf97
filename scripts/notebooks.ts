/**
 * The numbered notebooks, written from this one source so their code stays short and reviewed with the rest.
 *   npm run notebooks            write notebooks/*.ipynb (no outputs)
 *   npm run notebooks:execute    run them on the project's tslab kernel with Debian's Jupyter, outputs kept
 */
import * as path from "node:path";
import { writeFileAtomic } from "../src/util/fs.js";
import { parseCli } from "./cli.js";

parseCli("Usage: npm run notebooks", {});

type Cell = { md: string } | { code: string };
const nb = (cells: Cell[]) => ({
  cells: cells.map((c, i) =>
    "md" in c
      ? { id: `cell-${i}`, cell_type: "markdown", metadata: {}, source: c.md.trim().split("\n").map((l, i, a) => (i < a.length - 1 ? l + "\n" : l)) }
      : { id: `cell-${i}`, cell_type: "code", metadata: {}, execution_count: null, outputs: [], source: c.code.trim().split("\n").map((l, i, a) => (i < a.length - 1 ? l + "\n" : l)) },
  ),
  metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" }, language_info: { name: "typescript" } },
  nbformat: 4,
  nbformat_minor: 5,
});

const showPng = `const showPng = (f: string) => { if (fs.existsSync(f)) tslab.display.png(fs.readFileSync(f)); else console.log(\`\${f}: run npm run reproduce first\`); };`;

const notebooks: Record<string, Cell[]> = {
  "00-claims.ipynb": [
    { md: "# 00 · The paper's claims, side by side\n\nEach claim of *Tailor* (Weng et al., TRETS 2024) as `data/claims.json` states it, the value this replication computes, and whether it holds within the tolerance we fixed before computing anything. The table is the one `npm run reproduce` wrote to `figures/claims.json`; the cells below recompute the hardware claims live (a few seconds)." },
    { code: `import * as fs from "fs";\nimport * as tslab from "tslab";\nconst claims = JSON.parse(fs.readFileSync("../figures/claims.json", "utf8"));\ntslab.display.markdown(["| claim | paper | ours | status |", "|---|---|---|---|", ...claims.claims.map((c: any) => \`| \${c.id}: \${c.claim} | \${c.paper}\${c.unit} | \${c.ours === null ? "-" : c.ours.toFixed(1) + c.unit} | \${c.status} |\`)].join("\\n"));` },
    { md: "The hardware claims again, computed now from the cost models (`src/hw`). *Up to* is the largest saving over the sweep; the median shows what a typical configuration gains." },
    { code: `import { hls4mlSweep } from "../dist/report/hls4ml-sweep.js";\nimport { peSweep } from "../dist/report/pe-sweep.js";\nimport { hlsSaving, peGain } from "../dist/report/summary.js";\nconst hls = hls4mlSweep();\nconst pe = peSweep();\nconst rows = [\n  ["BRAM saving", hlsSaving(hls, "bram18")],\n  ["FF saving", hlsSaving(hls, "ff")],\n  ["LUT saving", hlsSaving(hls, "lut")],\n  ["PE-array performance gain", peGain(pe, "perf")],\n  ["PE-array DRAM-byte saving", peGain(pe, "bytes")],\n] as const;\ntslab.display.markdown(["| metric | up to | median | where the maximum is |", "|---|---|---|---|", ...rows.map(([n, e]) => \`| \${n} | \${e.value.toFixed(1)}% | \${e.median.toFixed(1)}% | \${e.where} |\`)].join("\\n"));` },
  ],
  "01-tailor-training.ipynb": [
    { md: "# 01 · Tailor training\n\nTailor fine-tunes a copy of the trained network (the student) with knowledge distillation from the frozen original (the teacher): loss = 0.35·MSE(teacher logits, student logits) + 0.65·CE. Every few epochs it alters one skip, from the input end: **SkipRemover** deletes it, **SkipShortener** replaces it by short skips over single convolutions.\n\nFirst a live run, small enough for a notebook (about a minute): a ResNet-8 teacher for 2 epochs on 2,000 CIFAR-10 images, then SkipRemover from it with a skip removed after every epoch. It shows the mechanics, not the accuracy. Set `TRAIN = false` to skip it." },
    { code: `import * as fs from "fs";\nimport * as tslab from "tslab";\nimport { initBackend } from "../dist/backend/index.js";\nimport { defaultDataDir, loadCifar10 } from "../dist/data/cifar10.js";\nimport { DEFAULT_CONFIG } from "../dist/train/config.js";\nimport { runTailor } from "../dist/train/tailor.js";\nimport { lineChartSvg } from "../dist/report/svg.js";\nconst TRAIN = true;\nconst backend = await initBackend({ quiet: true });\nconsole.log("backend:", backend.name, "threads:", backend.threads);` },
    { code: `const data = loadCifar10(defaultDataDir());\nconst small = { ...DEFAULT_CONFIG, epochs: 2, limitTrain: 2000, limitEval: 500, logEvery: 1000, lrMilestones: [] as number[] };\nconst curves: { name: string; x: number[]; y: number[] }[] = [];\nif (TRAIN) {\n  const teacher = runTailor({ config: small, data, env: {} });\n  curves.push({ name: "teacher", x: teacher.history.map((h) => h.epoch + 1), y: teacher.history.map((h) => 100 * h.valTop1) });\n  const remover = runTailor({ config: { ...small, method: "remover", teacher: "(in memory)", epochs: 4, everyEpochs: 1, lr: 0.01 }, data, env: {}, teacher: teacher.model, onAlter: (e, k) => console.log(\`after epoch \${e}: skip \${k} removed\`) });\n  curves.push({ name: "SkipRemover", x: remover.history.map((h) => h.epoch + 1), y: remover.history.map((h) => 100 * h.valTop1) });\n  tslab.display.svg(lineChartSvg(curves, { title: "live run: validation top-1", xLabel: "epoch", yLabel: "top-1 (%)" }));\n}` },
    { md: "## The committed runs\n\nThe full results come from `npm run train:cifar` (schedule and times in ARTIFACT.md): both teachers, SkipRemover and SkipShortener from them, and the network without skips trained from scratch. `npm run reproduce` evaluated their best checkpoints (by validation loss, once every skip is altered) on the 10,000 test images." },
    { code: `tslab.display.markdown(fs.existsSync("../figures/accuracy.md") ? fs.readFileSync("../figures/accuracy.md", "utf8") : "run npm run reproduce first");\n${showPng}\nshowPng("../figures/accuracy-resnet8.png");\nshowPng("../figures/training-resnet8.png");` },
  ],
  "02-hls4ml.ipynb": [
    { md: "# 02 · hls4ml dataflow designs\n\nIn hls4ml's `io_stream` mode every layer is a process and every edge a FIFO. A skip connection costs a Clone process, a copy FIFO that must hold what the main path has not yet consumed, and an Add. `src/hw/hls4ml` builds that design from the NetSpec, simulates it token by token to size the FIFOs (as hls4ml's FIFO-depth optimisation does by co-simulation), and counts BRAM, FF, LUT and DSP." },
    { code: `import * as fs from "fs";\nimport * as tslab from "tslab";\nimport { lower, resnet8, withAllSkips } from "../dist/net/index.js";\nimport { hls4mlCost, MLPERF_TINY_HLS4ML } from "../dist/hw/hls4ml/index.js";\nconst cfg = { ...MLPERF_TINY_HLS4ML, fifoDepth: "optimised" as const };\nconst variants = {\n  "teacher (long skips)": resnet8({ form: "shortenable" }),\n  "SkipRemover": withAllSkips(resnet8({ form: "shortenable" }), "removed"),\n  "SkipShortener (fused)": withAllSkips(resnet8({ form: "shortenable" }), "shortened"),\n};\nconst reports = Object.entries(variants).map(([name, net]) => [name, hls4mlCost(lower(net), cfg)] as const);\ntslab.display.markdown(["| ResNet-8, MLPerf-Tiny-like config | BRAM18 | FF | LUT | DSP | latency (cycles) |", "|---|---|---|---|---|---|", ...reports.map(([n, r]) => \`| \${n} | \${r.totals.bram18} | \${Math.round(r.totals.ff)} | \${Math.round(r.totals.lut)} | \${r.totals.dsp} | \${r.totals.latencyCycles} |\`)].join("\\n"));` },
    { md: "Where the teacher's skip costs sit: its FIFOs sorted by size. The copy FIFOs of the skips (`skip = true`) are what SkipRemover deletes; the fused SkipShortener keeps the skip values in the convolution's own window instead." },
    { code: `const teacher = reports[0][1];\ntslab.display.markdown(["| stream | depth | width (bits) | storage | BRAM18 | skip |", "|---|---|---|---|---|---|", ...[...teacher.streams].sort((a, b) => b.depth * b.width - a.depth * a.width).slice(0, 10).map((s) => \`| \${s.name} | \${s.depth} | \${s.width} | \${s.storage} | \${s.bram18} | \${s.skip} |\`)].join("\\n"));` },
    { md: "## How far to trust it\n\nThe model set beside the only public hls4ml synthesis reports we found with every figure it needs: the CNN of hls4ml's tutorial (Vivado HLS 2020.1, `data/published/hls4ml-tutorial-cnn.json`). The FIFOs' block RAM, the FIFO count and depths and the latency are close; the FF and LUT of the arithmetic are not (see ARTIFACT.md)." },
    { code: `import { comparePublished } from "../dist/report/published-hls4ml.js";\nconst check = comparePublished(JSON.parse(fs.readFileSync("../data/published/hls4ml-tutorial-cnn.json", "utf8")));\ntslab.display.markdown(["| design | quantity | published | model | error |", "|---|---|---|---|---|", ...check.totals.map((t) => \`| \${t.design} | \${t.quantity} | \${t.observed} | \${t.model} | \${t.errorPct.toFixed(1)}% |\`)].join("\\n"));` },
    { md: "Across the sweep (networks × precisions × reuse factors × FIFO policies), written by `npm run reproduce`:" },
    { code: `${showPng}\nshowPng("../figures/hls4ml-resources-8bit.png");\ntslab.display.markdown(fs.existsSync("../figures/hls4ml-mlperf-tiny.md") ? fs.readFileSync("../figures/hls4ml-mlperf-tiny.md", "utf8") : "");` },
  ],
  "03-pe-array.ipynb": [
    { md: "# 03 · A 2D processing-element array\n\nHere the network runs layer by layer through DRAM. A long skip's tensor must stay in DRAM until its Add (an extra read, or a whole element-wise pass); a shortened skip adds the convolution's own input, already in the input buffer. `src/hw/pe-array` uses SCALE-Sim's fold formula for compute cycles and counts DRAM bytes per layer." },
    { code: `import * as fs from "fs";\nimport * as tslab from "tslab";\nimport { lower, resnet8, withAllSkips } from "../dist/net/index.js";\nimport { peArrayCost, DEFAULT_PE_ARRAY } from "../dist/hw/pe-array/index.js";\nconst rows: string[] = [];\nfor (const addMode of ["fused", "separate"] as const) {\n  const cfg = { ...DEFAULT_PE_ARRAY, addMode, dramBytesPerCycle: 8 };\n  const base = peArrayCost(lower(resnet8({ form: "shortenable" })), cfg).totals;\n  for (const mode of ["removed", "shortened"] as const) {\n    const t = peArrayCost(lower(withAllSkips(resnet8({ form: "shortenable" }), mode)), cfg).totals;\n    rows.push(\`| \${addMode} | \${mode} | \${(100 * (t.inferencesPerSecond / base.inferencesPerSecond - 1)).toFixed(1)}% | \${(100 * (t.dramBytes / base.dramBytes - 1)).toFixed(1)}% |\`);\n  }\n}\ntslab.display.markdown(["| add | skips | performance | DRAM bytes |", "|---|---|---|---|", ...rows].join("\\n"));` },
    { md: "The gain depends on how memory-bound the layers are: at low DRAM bandwidth the skip traffic is on the critical path, at high bandwidth the array is compute-bound and only the removed projection convolutions save time." },
    { code: `const showPng = (f: string) => { if (fs.existsSync(f)) tslab.display.png(fs.readFileSync(f)); else console.log(\`\${f}: run npm run reproduce first\`); };\nshowPng("../figures/pe-array-resnet8.png");\ntslab.display.markdown(fs.existsSync("../figures/pe-array-summary.md") ? fs.readFileSync("../figures/pe-array-summary.md", "utf8") : "");` },
  ],
};

for (const [name, cells] of Object.entries(notebooks)) {
  writeFileAtomic(path.resolve(__dirname, "..", "notebooks", name), JSON.stringify(nb(cells), null, 1) + "\n");
  console.log(`wrote notebooks/${name}`);
}
