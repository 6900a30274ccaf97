/**
 * The cost explorer page: a network (built-in or a dropped ONNX file), a mode per skip, both cost models'
 * configurations; on every change the design and its teacher are costed again (compute.ts) and shown. The state is the
 * URL's hash (state.ts). Everything is in this bundle: the page fetches nothing. The exhaustive policy search runs in
 * Web Workers (front-search.ts), so the page stays responsive while it costs ResNet-20's 19,684 designs.
 */
import { NETWORK_NAMES, networkLabel } from "../../src/experiment/networks.js";
import { APPLY_SCRIPT } from "../../src/handoff/apply-script.js";
import { fifoDepthFile } from "../../src/handoff/fifo-depths.js";
import { handoffConfig } from "../../src/handoff/hls4ml-config.js";
import { PARTS, type SimCache } from "../../src/hw/hls4ml/index.js";
import { readOnnxNet } from "../../src/import/onnx-net.js";
import { policyOf, skipBlocks, withAllSkips, type NetSpec } from "../../src/net/index.js";
import { formOfNet, loadedDesignCount, MAX_EXHAUSTIVE_DESIGNS, MAX_EXHAUSTIVE_SKIPS, OBJECTIVES, policyFront, type Objective, type PolicyCost, type PolicySource } from "../../src/report/policy-front.js";
import { additiveDesignCount, removalFront, type FrontObjective } from "../../src/report/policy-choice.js";
import { baseNet, compute, savingPct, skipsOf, type Computed } from "./compute.js";
import { explorerData, type RunEntry } from "./data.js";
import { searchAdditive, searchCosts, type FrontSearch } from "./front-search.js";
import { nextMode, drawNet } from "./draw-net.js";
import { drawOccupancy } from "./occupancy-chart.js";
import { HLS_SPECS, PE_SPECS, rangeText, type FieldSpec } from "./fields.js";
import { defaultState, fromHash, HLS_FIELDS, PE_FIELDS, toHash, type State } from "./state.js";

const data = explorerData();
const hlsRef = data.references.hls.config;
const peRef = data.references.pe.config;
const imported = new Map<string, NetSpec>();
/** a network's name on the page: a built-in's label, an imported one's name and where it came from */
const netLabel = (net: string) => (net.startsWith("onnx:") ? `${net.slice(5)} (ONNX file)` : networkLabel(net));
const cache: SimCache = new Map();

let state: State = fromHash(location.hash, defaultState(hlsRef, peRef));
let last: Computed | null = null;

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

// ---- number formats: never NaN on the page (a value that is not finite is shown as a dash)
const fmtInt = (v: number) => (Number.isFinite(v) ? Math.round(v).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",") : "-");
const fmtPct = (v: number | null) => (v === null || !Number.isFinite(v) ? "-" : `${v > 0 ? "+" : ""}${v.toFixed(1)}%`);
const fmt2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : "-");
/** a table cell carrying its exact value (data-v) for whoever checks the page against the library */
const num = (k: string, v: number, text = fmtInt(v)) => h("td", { "data-k": k, "data-v": String(v), class: "n" }, text);

// ---- the static page
function buildControls(): void {
  const netSel = $<HTMLSelectElement>("net");
  netSel.replaceChildren(...NETWORK_NAMES.map((n) => h("option", { value: n }, networkLabel(n))), ...[...imported.keys()].map((n) => h("option", { value: `onnx:${n}` }, netLabel(`onnx:${n}`))));
  for (const [group, fields, specs] of [
    ["hls", HLS_FIELDS, HLS_SPECS],
    ["pe", PE_FIELDS, PE_SPECS],
  ] as const) {
    const host = $(`${group}-fields`);
    host.replaceChildren();
    for (const k of fields) {
      const spec: FieldSpec = (specs as Record<string, FieldSpec>)[k];
      const id = `f-${group}.${k}`;
      const input =
        spec.kind === "choice"
          ? h("select", { id, name: `${group}.${k}` }, ...spec.options.map((o) => h("option", { value: o }, o)))
          : h("input", { id, name: `${group}.${k}`, type: "text", inputmode: spec.kind === "int" ? "numeric" : "decimal", autocomplete: "off" });
      input.addEventListener(spec.kind === "choice" ? "change" : "input", () => {
        const v = (input as HTMLInputElement).value;
        const next: State = { ...state, hls: { ...state.hls }, pe: { ...state.pe } };
        (next[group] as Record<string, string>)[k] = v;
        setState(next, false);
      });
      host.appendChild(
        h("label", { class: "field", for: id }, h("span", { class: "label" }, spec.label), input, spec.kind === "choice" ? "" : h("span", { class: "range" }, rangeText(spec)), h("span", { class: "field-error", id: `e-${group}.${k}`, role: "alert" })),
      );
    }
  }
}

function syncInputs(): void {
  $<HTMLSelectElement>("net").value = state.net;
  $<HTMLSelectElement>("form").value = state.form;
  $<HTMLSelectElement>("form").disabled = state.net.startsWith("onnx:");
  for (const k of HLS_FIELDS) {
    const e = $<HTMLInputElement>(`f-hls.${k}`);
    if (e.value !== state.hls[k]) e.value = state.hls[k];
  }
  for (const k of PE_FIELDS) {
    const e = $<HTMLInputElement>(`f-pe.${k}`);
    if (e.value !== state.pe[k]) e.value = state.pe[k];
  }
}

// ---- state changes
function setState(next: State, redrawInputs = true): void {
  state = next;
  history.replaceState(null, "", toHash(state));
  if (redrawInputs) syncInputs();
  recompute();
}

/** the network changed: keep the policy when it still fits, else every skip kept */
function withNet(net: string, form = state.form): State {
  const s: State = { ...state, net, form };
  try {
    const base = baseNet(s, imported);
    const n = skipsOf(s, imported);
    // a plain-form block cannot be shortened: its S becomes L
    let policy = s.policy.length === n ? s.policy : "L".repeat(n);
    if (!net.startsWith("onnx:") && form === "plain") policy = policy.replace(/S/g, "L");
    if (net.startsWith("onnx:")) policy = s.policy.length === n ? s.policy : policyOf(base);
    return { ...s, policy };
  } catch {
    return s;
  }
}

function clickSkip(k: number): void {
  if (!last) return;
  const net = last.net;
  const b = net.blocks[skipBlocks(net)[k]];
  const letter = { long: "L", shortened: "S", removed: "R" }[nextMode(b)];
  setState({ ...state, policy: state.policy.slice(0, k) + letter + state.policy.slice(k + 1) });
}

// ---- the ONNX file
async function loadOnnx(file: File): Promise<void> {
  const msg = $("import-message");
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const { match } = readOnnxNet(bytes, file.name);
    const name = match.net.name;
    imported.set(name, match.net);
    buildControls();
    const form = match.net.blocks[0]?.form ?? "plain";
    msg.className = "ok";
    msg.textContent = `${file.name}: ${name}, ${match.net.blocks.length} blocks, ${skipBlocks(match.net).length} skips (${policyOf(match.net)}), ${form} form`;
    setState({ ...state, net: `onnx:${name}`, form, policy: policyOf(match.net) });
  } catch (e) {
    // the importer's own message; the design on the page stays as it was
    msg.className = "error";
    msg.textContent = (e as Error).message;
  }
}

// ---- results
function runsOf(net: string, form: string, policy: string): RunEntry[] {
  return data.runs.filter((r) => r.net === net && r.form === form && r.policy === policy);
}

function accuracyLine(label: string, runs: RunEntry[]): HTMLElement {
  if (!runs.length) return h("p", {}, `${label}: no committed training run of this network, form and policy`);
  return h(
    "p",
    {},
    `${label}: `,
    ...runs.flatMap((r, i) => [
      i ? "; " : "",
      h("b", { "data-k": `acc.${label}.${r.run}`, "data-v": String(r.testTop1 ?? "") }, r.testTop1 === null ? "no test accuracy" : `${(100 * r.testTop1).toFixed(2)}%`),
      ` test top-1, ${r.precision}, ${r.epochs} epochs (data/runs/${r.run})`,
    ]),
  );
}

function renderSummary(c: Computed): void {
  const part = PARTS[c.hls.part];
  const row = (label: string, k: string, d: number, t: number, total?: number, saving = true) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, label),
      num(`${k}.design`, d),
      num(`${k}.teacher`, t),
      h("td", { "data-k": `${k}.saving`, class: "n" }, saving ? fmtPct(savingPct(d, t)) : "-"),
      h("td", { class: total !== undefined && d > total ? "n over" : "n" }, total === undefined ? "" : `${fmtInt(total)} (${fmtPct((100 * d) / total).replace("+", "")})`),
    );
  const H = c.design.hls.totals;
  const T = c.teacher.hls.totals;
  const P = c.design.pe.totals;
  const Q = c.teacher.pe.totals;
  $("summary").replaceChildren(
    h("caption", {}, `${state.net.startsWith("onnx:") ? c.net.name : networkLabel(state.net)} (${c.net.blocks[0]?.form ?? state.form} form), policy ${policyOf(c.net)}, against its teacher (every skip kept): hls4ml on ${part.name}, PE array ${c.pe.rows}x${c.pe.cols}`),
    h("thead", {}, h("tr", {}, h("th", {}, ""), h("th", {}, "design"), h("th", {}, "teacher"), h("th", {}, "saving"), h("th", {}, "part total (design's use)"))),
    h(
      "tbody",
      {},
      row("BRAM18", "bram18", H.bram18, T.bram18, part.bram18),
      row("FF", "ff", H.ff, T.ff, part.ff),
      row("LUT", "lut", H.lut, T.lut, part.lut),
      row("DSP", "dsp", H.dsp, T.dsp, part.dsp),
      row("hls4ml latency (cycles)", "latency", H.latencyCycles, T.latencyCycles),
      row("hls4ml interval (cycles)", "interval", H.intervalCycles, T.intervalCycles),
      row("PE array cycles", "peCycles", P.cycles, Q.cycles),
      row("PE array DRAM bytes", "peDram", P.dramBytes, Q.dramBytes),
      row("PE array inferences/s", "peIps", P.inferencesPerSecond, Q.inferencesPerSecond, undefined, false),
    ),
  );
  $("fits").textContent = c.hw.fits ? `The design fits the ${part.name}.` : `The design does not fit the ${part.name}.`;
  $("fits").className = c.hw.fits ? "ok" : "error";
}

function renderSplit(c: Computed): void {
  const keys = ["bram18", "ff", "lut", "dsp"] as const;
  const parts = (r: Computed["design"]["hls"]) => {
    const layers = Object.fromEntries(keys.map((k) => [k, r.totals[k] - r.fifo[k]])) as Record<(typeof keys)[number], number>;
    const main = Object.fromEntries(keys.map((k) => [k, r.fifo[k] - r.skipFifo[k]])) as Record<(typeof keys)[number], number>;
    return [
      ["layers (weights and logic)", "layers", layers],
      ["FIFOs of the main path", "fifos", main],
      ["skip buffers (skip FIFOs)", "skip", r.skipFifo],
    ] as const;
  };
  const rows = (who: "design" | "teacher", r: Computed["design"]["hls"]) =>
    parts(r).map(([label, k, v]) => h("tr", { class: k === "skip" ? "skip-row" : "" }, h("th", { scope: "row" }, `${who}: ${label}`), ...keys.map((q) => num(`split.${who}.${k}.${q}`, v[q]))));
  $("split").replaceChildren(
    h("caption", {}, "hls4ml resources by where they go"),
    h("thead", {}, h("tr", {}, h("th", {}, ""), ...keys.map((k) => h("th", {}, k === "bram18" ? "BRAM18" : k.toUpperCase())))),
    h("tbody", {}, ...rows("design", c.design.hls), ...rows("teacher", c.teacher.hls)),
  );
}

function renderFifos(c: Computed): void {
  const s = c.design.hls.streams;
  $("fifos").replaceChildren(
    h("caption", {}, `FIFOs of the design (${s.length}; skip FIFOs highlighted), depth by the "${c.hls.fifoDepth}" rule`),
    h("thead", {}, h("tr", {}, ...["FIFO", "block", "depth", "max occupancy", "width (bits)", "storage", "BRAM18", "LUT"].map((t) => h("th", {}, t)))),
    h(
      "tbody",
      {},
      ...s.map((f, i) =>
        h(
          "tr",
          { class: f.skip ? "skip-row" : "" },
          h("th", { scope: "row" }, f.name),
          h("td", {}, f.block ?? ""),
          num(`fifo.${i}.depth`, f.depth),
          num(`fifo.${i}.max`, c.maxOccupancy[i]),
          num(`fifo.${i}.width`, f.width),
          h("td", {}, f.storage),
          num(`fifo.${i}.bram18`, f.bram18),
          num(`fifo.${i}.lut`, f.lut),
        ),
      ),
    ),
  );
}

function renderPe(c: Computed): void {
  const L = c.design.pe.layers;
  const maxCycles = Math.max(1, ...L.map((l) => l.cycles));
  $("pe-layers").replaceChildren(
    h("caption", {}, `PE array, layer by layer (${c.pe.dataflow}, skip add ${c.pe.addMode})`),
    h("thead", {}, h("tr", {}, ...["layer", "kind", "cycles", "", "compute", "memory", "DRAM bytes", "of which skip"].map((t) => h("th", {}, t)))),
    h(
      "tbody",
      {},
      ...L.map((l, i) =>
        h(
          "tr",
          { class: l.bytes.skip > 0 ? "skip-row" : "" },
          h("th", { scope: "row" }, l.name),
          h("td", {}, l.kind),
          num(`pe.${i}.cycles`, l.cycles),
          h("td", { class: "bar" }, h("span", { style: `width:${((100 * l.cycles) / maxCycles).toFixed(1)}%` })),
          num(`pe.${i}.compute`, l.computeCycles),
          num(`pe.${i}.memory`, l.memoryCycles),
          num(`pe.${i}.bytes`, l.bytes.total),
          num(`pe.${i}.skip`, l.bytes.skip),
        ),
      ),
    ),
  );
}

/** milliseconds of each part of the last render, for the timing line */
const parts: Record<string, number> = {};
function timed(name: string, f: () => void): void {
  const t = performance.now();
  f();
  parts[name] = performance.now() - t;
}

function render(c: Computed): void {
  const plotWidth = $("occ").clientWidth;
  timed("drawing", () => drawNet($("drawing"), c.net, clickSkip));
  $("policy").textContent = policyOf(c.net);
  renderSummary(c);
  renderSplit(c);
  const teacherPolicy = policyOf(c.teacherNet);
  $("accuracy").replaceChildren(accuracyLine("this design", runsOf(state.net, state.form, policyOf(c.net))), accuracyLine("its teacher", runsOf(state.net, state.form, teacherPolicy)));
  timed("fifos", () => renderFifos(c));
  timed("plot", () => drawOccupancy($("occ"), c.occupancy, plotWidth, $<HTMLInputElement>("occ-skips").checked));
  timed("pe", () => renderPe(c));
  const w = c.design.hls.warnings;
  $("warnings").replaceChildren(...w.map((x) => h("li", {}, x)));
  $("warnings-box").hidden = w.length === 0;
  $("warnings-summary").textContent = `${w.length} warning${w.length === 1 ? "" : "s"} of the hls4ml model (reuse factors hls4ml would change, resources above the part)`;
}

function recompute(): void {
  const t0 = performance.now();
  for (const e of document.querySelectorAll(".field-error")) e.textContent = "";
  for (const e of document.querySelectorAll(".field.invalid")) e.classList.remove("invalid");
  frontStillValid();
  const out = compute(state, imported, hlsRef, peRef, cache);
  inputsValid = out.ok;
  const errors = $("errors");
  if (!out.ok) {
    errors.replaceChildren(...out.errors.map((e) => h("li", {}, e.message)));
    errors.hidden = false;
    for (const e of out.errors) {
      if (!e.field) continue;
      $(`e-${e.field}`).textContent = e.message;
      $(`f-${e.field}`).parentElement!.classList.add("invalid");
    }
    $("results").classList.add("stale");
    // the search would cost the last valid configuration, not the one the inputs show
    renderFrontButtons();
    $("stale-note").hidden = last === null;
    if (last === null) $("results").hidden = true;
    return;
  }
  errors.hidden = true;
  errors.replaceChildren();
  $("results").hidden = false;
  $("results").classList.remove("stale");
  $("stale-note").hidden = true;
  last = out.value;
  render(out.value);
  const total = performance.now() - t0;
  const t = $("timing");
  t.dataset.cost = String(out.value.ms.cost);
  t.dataset.occupancy = String(out.value.ms.occupancy);
  t.dataset.total = String(total);
  delete t.dataset.painted;
  t.dataset.parts = JSON.stringify(parts);
  t.textContent = `recomputed in ${total.toFixed(0)} ms (both models, design and teacher: ${out.value.ms.cost.toFixed(0)} ms; occupancy over time: ${out.value.ms.occupancy.toFixed(0)} ms; the rest is drawing)`;
  // until the browser has laid out and painted the change: the next frame, then its end
  requestAnimationFrame(() => setTimeout(() => (t.dataset.painted = String(performance.now() - t0)), 0));
  renderFrontButtons();
}

// ---- presets: the paper's two policies
function setPolicy(form: State["form"], letter: "L" | "S" | "R"): void {
  const s = withNet(state.net, state.net.startsWith("onnx:") ? state.form : form);
  setState({ ...s, policy: letter.repeat(skipsOf(s, imported)) });
}

// ---- the searched front: every policy (in Web Workers: front-search.ts) up to MAX_EXHAUSTIVE_SKIPS skips, the CLI's
// limit; beyond it the removal front of the additive search (src/report/policy-choice.ts), in a Web Worker too
const isRemovalObjective = (o: string): o is FrontObjective => o === "bram18" || o === "lut";
const frontObjective = () => $<HTMLSelectElement>("front-objective").value as Objective;
/**
 * What a search costs: a built-in network by name, or an imported one, every skip long, in its own form (the
 * policies that form runs: src/report/policy-front.ts, PolicySource).
 */
const searchSource = (): PolicySource => (state.net.startsWith("onnx:") ? withAllSkips(baseNet(state, imported), "long") : state.net);
/**
 * what the costs depend on: the network and both configurations (not the policy or the form: a search costs them
 * all); an imported network by its contents, so that another file of the same name is never read from this cache
 */
const costKey = () => JSON.stringify([state.net.startsWith("onnx:") && imported.has(state.net.slice(5)) ? searchSource() : state.net, state.hls, state.pe]);
/** what a front depends on */
const frontKey = () => `${costKey()} ${frontObjective()}`;

/** the search under way (exhaustive or additive), for the front of `key` */
let running: { key: string; search: FrontSearch } | null = null;
/** the costs of the last exhaustive search that finished: another objective at the same configuration needs no new one */
let costed: { key: string; costs: PolicyCost[]; ms: number; threads: number } | null = null;
/** the front shown is of this key (null: none shown) */
let shownFront: string | null = null;
/** the inputs are valid: the search would cost what they show */
let inputsValid = true;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function frontStatus(text: string, cls = "note", ms?: number): void {
  const e = $("front-status");
  e.textContent = text;
  e.className = cls;
  if (ms === undefined) delete e.dataset.ms;
  else e.dataset.ms = String(ms);
}

/**
 * Called on every change: a search for another network, configuration or objective than the inputs' is ended, and a
 * front of them taken off the page, so that no front of a configuration no longer shown is ever on it.
 */
function frontStillValid(): void {
  const key = frontKey();
  if (shownFront !== null && shownFront !== key) {
    $("front").replaceChildren();
    shownFront = null;
    frontStatus("");
  }
  if (running && running.key !== key) cancelSearch("search cancelled: the network, configuration or objective changed");
  markCurrent();
}

function cancelSearch(message: string): void {
  if (!running) return;
  running.search.cancel();
  running = null;
  frontStatus(message);
  renderFrontButtons();
}

function renderFrontButtons(): void {
  const btn = $<HTMLButtonElement>("front-search");
  let n = 0;
  try {
    n = skipsOf(state, imported);
  } catch {
    /* the network is not loaded: no search */
  }
  const objective = frontObjective();
  const builtIn = !state.net.startsWith("onnx:");
  // an imported network: the policies of its own form (plain: L and R; shortenable: those that shorten a skip)
  let own: { form: string; count: number } | null = null;
  let why = "";
  if (!builtIn) {
    try {
      const net = searchSource() as NetSpec;
      own = { form: formOfNet(net), count: loadedDesignCount(net) };
    } catch (e) {
      why = (e as Error).message; // not one block form, or the file not loaded (a link): no search, and why
    }
  }
  const exhaustive = builtIn ? n <= MAX_EXHAUSTIVE_SKIPS : own !== null && own.count <= MAX_EXHAUSTIVE_DESIGNS;
  // beyond that, the removal front by BRAM18 or LUT from the additive search (src/report/policy-choice.ts)
  const additive = builtIn && !exhaustive && isRemovalObjective(objective);
  btn.disabled = running !== null || !inputsValid || (!exhaustive && !additive);
  $("front-cancel").hidden = running === null;
  $("front-note").textContent = !builtIn
    ? own === null
      ? `no search: ${why}`
      : exhaustive
        ? `every one of the ${fmtInt(own.count)} designs of the imported network's own ${own.form} form (${own.form === "plain" ? `its 2^${n} L and R policies` : "its policies that shorten a skip, and itself"}), costed by both models at this configuration`
        : `${fmtInt(own.count)} designs of its ${own.form} form are too many to cost them all (the limit is ${fmtInt(MAX_EXHAUSTIVE_DESIGNS)})`
    : exhaustive
      ? `every one of the 3^${n} = ${fmtInt(3 ** n)} policies and the shortenable teacher, costed by both models at this configuration`
      : additive
        ? `${n} skips, 3^${n} policies: the removal front by the additive search (each skip's change costed alone, the predicted policies in full; not exhaustive: docs/policy-rule.md), about ${additiveDesignCount(n)} designs costed`
        : `${n} skips: 3^${n} policies are too many to cost them all (the limit is ${MAX_EXHAUSTIVE_SKIPS} skips); the additive search takes bram18 or lut (npm run policy -- --net ${state.net} --search additive)`;
}

function searchFront(): void {
  if (!last || running || !inputsValid) return;
  const objective = frontObjective();
  const { hls, pe } = last;
  const net = state.net;
  const key = frontKey();
  const ck = costKey();
  $("front").replaceChildren();
  shownFront = null;
  const label = netLabel(net);
  // an imported network is searched exhaustively or not at all (policyDesigns says why: the search could not start)
  const exhaustive = net.startsWith("onnx:") || skipsOf(state, imported) <= MAX_EXHAUSTIVE_SKIPS;
  if (!exhaustive && !isRemovalObjective(objective)) return;
  if (exhaustive && costed?.key === ck) {
    showFront(policyFront(costed.costs, objective), objective, key);
    frontStatus(`${label}: from the ${fmtInt(costed.costs.length)} designs costed at this configuration (in ${seconds(costed.ms)} on ${plural(costed.threads, "Web Worker")})`, "note", costed.ms);
    return;
  }
  const t0 = performance.now();
  const progress = (done: number, total: number) => frontStatus(`costed ${fmtInt(done)} of ${fmtInt(total)} designs (${seconds(performance.now() - t0)})`);
  let search: FrontSearch;
  try {
    // beyond the exhaustive search, the removal front of the additive search (src/report/policy-choice.ts), in a worker too
    search = exhaustive ? searchCosts(searchSource(), hls, pe, progress) : searchAdditive(net, objective as FrontObjective, hls, pe, progress);
  } catch (e) {
    frontStatus(`the search could not start: ${(e as Error).message}`, "error");
    return;
  }
  running = { key, search };
  frontStatus(exhaustive ? `costing ${fmtInt(search.total)} designs on ${plural(search.threads, "Web Worker")}...` : `the additive search: about ${fmtInt(search.total)} designs in a Web Worker...`);
  renderFrontButtons();
  const over = () => {
    // a cancelled search (or one replaced since) says nothing more
    if (running?.search !== search) return false;
    running = null;
    renderFrontButtons();
    return true;
  };
  search.costs.then(
    (costs) => {
      if (!over() || !costs) return;
      const ms = performance.now() - t0;
      if (!exhaustive) {
        showFront(removalFront(costs, objective as FrontObjective), objective, key);
        frontStatus(`${label}: the additive search in ${seconds(ms)} (${fmtInt(search.total)} designs in a Web Worker)`, "note", ms);
        return;
      }
      costed = { key: ck, costs, ms, threads: search.threads };
      showFront(policyFront(costs, objective), objective, key);
      frontStatus(`${label}: ${fmtInt(costs.length)} designs costed in ${seconds(ms)} on ${plural(search.threads, "Web Worker")}`, "note", ms);
    },
    (e: Error) => over() && frontStatus(`the search failed: ${e.message}`, "error"),
  );
}

function showFront(front: PolicyCost[], objective: Objective, key: string): void {
  shownFront = key;
  $("front").replaceChildren(
    h("span", { class: "note" }, `the cheapest by ${objective} for each number of altered skips (a click sets it):`),
    ...front.map((p) => {
      const b = h("button", { type: "button", class: "preset", "data-policy": p.policy, "data-form": p.form, "data-v": String(p[objective]) }, `${p.policy} (${p.altered} altered, ${p.form}, ${objective} ${fmtInt(p[objective])})`);
      b.addEventListener("click", () => setState({ ...withNet(state.net, p.form), policy: p.policy }));
      return b;
    }),
  );
  markCurrent();
}

/** the front's policy that is the design on the page, if one is, shown pressed */
function markCurrent(): void {
  for (const b of document.querySelectorAll<HTMLButtonElement>("#front button")) b.setAttribute("aria-pressed", String(b.dataset.policy === state.policy && b.dataset.form === state.form));
}

// ---- downloads: the hand-off's configuration and FIFO depths
function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: name.endsWith(".json") ? "application/json" : "text/plain" }));
  const a = h("a", { href: url, download: name });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

const json = (v: unknown) => JSON.stringify(v, null, 2) + "\n";

function wire(): void {
  buildControls();
  $("net").addEventListener("change", (e) => setState(withNet((e.target as HTMLSelectElement).value)));
  $("form").addEventListener("change", (e) => setState(withNet(state.net, (e.target as HTMLSelectElement).value as State["form"])));
  $("preset-teacher").addEventListener("click", () => setPolicy(state.form, "L"));
  $("preset-remover").addEventListener("click", () => setPolicy("plain", "R"));
  $("preset-shortener").addEventListener("click", () => setPolicy("shortenable", "S"));
  $("front-objective").replaceChildren(...OBJECTIVES.map((o) => h("option", { value: o }, o)));
  $("front-search").addEventListener("click", searchFront);
  $("front-cancel").addEventListener("click", () => cancelSearch("search cancelled"));
  $("front-objective").addEventListener("change", () => {
    frontStillValid();
    renderFrontButtons();
  });
  $("occ-skips").addEventListener("change", () => last && drawOccupancy($("occ"), last.occupancy, $("occ").clientWidth, $<HTMLInputElement>("occ-skips").checked));
  $("reset").addEventListener("click", () => setState({ ...defaultState(hlsRef, peRef, state.net, 0), net: state.net, form: state.form, policy: state.policy }));
  const file = $<HTMLInputElement>("onnx-file");
  file.addEventListener("change", () => {
    if (file.files?.[0]) void loadOnnx(file.files[0]);
    file.value = "";
  });
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    const f = e.dataTransfer?.files?.[0];
    if (f) void loadOnnx(f);
  });
  $("dl-config").addEventListener("click", () => last && download("hls4ml_config.json", json(handoffConfig(last.graph, last.hls))));
  $("dl-depths").addEventListener("click", () => last && download("max_depth.json", json(fifoDepthFile(last.graph, last.hls).entries)));
  $("dl-apply").addEventListener("click", () => download("apply_fifo_depths.py", APPLY_SCRIPT));
  $("refs").textContent = `Defaults: the references "${data.references.hls.name}" and "${data.references.pe.name}" of data/claims.json.`;
  $("refs").title = `${data.references.hls.value}; ${data.references.pe.value}`;
  window.addEventListener("hashchange", () => {
    if (location.hash === toHash(state)) return;
    setState(fromHash(location.hash, defaultState(hlsRef, peRef)));
  });
  setState(state);
}

wire();
