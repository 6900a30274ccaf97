/**
 * A drawing of the network: the stem, each block with its units (convs), the skip around it, and the head. A skip is a
 * button: a click cycles its mode keep -> shorten -> remove (long -> shortened -> removed; a block of the plain form
 * cannot be shortened, src/net/policy.ts, so there it cycles keep -> remove). Blocks are drawn one small SVG each in
 * a wrapping row, so the drawing fits a phone's width.
 */
import { skipBlocks, type BlockSpec, type NetSpec, type SkipMode } from "../../src/net/index.js";

const SVG = "http://www.w3.org/2000/svg";
const MODE_LABEL: Record<SkipMode, string> = { long: "keep", shortened: "shorten", removed: "remove" };

/** the next mode of a click */
export function nextMode(b: BlockSpec): SkipMode {
  if (b.form !== "shortenable") return b.skip === "long" ? "removed" : "long";
  return b.skip === "long" ? "shortened" : b.skip === "shortened" ? "removed" : "long";
}

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, parent?: Element): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent?.appendChild(e);
  return e;
}

function box(label: string, cls: string): HTMLElement {
  const d = document.createElement("div");
  d.className = `net-end ${cls}`;
  d.textContent = label;
  return d;
}

/** The drawing of `net` into `host`; `onSkip(k)` is called with the skip's index (0 = nearest the input). */
export function drawNet(host: HTMLElement, net: NetSpec, onSkip: (k: number) => void): void {
  host.replaceChildren();
  host.appendChild(box(`stem ${net.stem.convs.map((c) => `${c.kernel}x${c.kernel}/${c.out}`).join(", ")}`, "stem"));
  const skipOf = new Map(skipBlocks(net).map((bi, k) => [bi, k]));
  net.blocks.forEach((b, bi) => {
    const k = skipOf.get(bi);
    const units = b.units.length;
    const W = 30 + 34 * units;
    const H = 74;
    const svg = el("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, class: "block" });
    el("title", {}, svg).textContent = `${b.name}: ${b.units.map((u) => `${u.kernel}x${u.kernel} conv, ${u.out} ch, stride ${u.stride}`).join("; ")}`;
    // the main path: a line through the units
    el("line", { x1: 0, y1: 50, x2: W, y2: 50, class: "path" }, svg);
    b.units.forEach((u, i) => {
      const x = 15 + 34 * i;
      el("rect", { x, y: 38, width: 30, height: 24, rx: 3, class: "unit" }, svg);
      el("text", { x: x + 15, y: 54, class: "unit-label" }, svg).textContent = `${u.kernel}x${u.kernel}`;
    });
    el("text", { x: W / 2, y: 72, class: "block-label" }, svg).textContent = `${b.name} ${b.units[b.units.length - 1].out}`;
    if (k !== undefined) {
      const g = el("g", { class: `skip skip-${b.skip}`, role: "button", tabindex: 0, "data-skip": k, "aria-label": `skip ${k + 1} of block ${b.name}: ${MODE_LABEL[b.skip]}; click to change` }, svg);
      el("title", {}, g).textContent = `skip ${k + 1} (${b.name}): ${MODE_LABEL[b.skip]}; click: ${MODE_LABEL[nextMode(b)]}`;
      // a wide transparent target, so that a finger can hit it
      el("rect", { x: 2, y: 2, width: W - 4, height: 34, class: "hit" }, g);
      if (b.skip === "shortened") {
        b.units.forEach((_, i) => {
          const x0 = 13 + 34 * i;
          el("path", { d: `M ${x0} 38 C ${x0} 18, ${x0 + 34} 18, ${x0 + 34} 38`, class: "arc" }, g);
        });
      } else {
        el("path", { d: `M 8 38 C 8 6, ${W - 8} 6, ${W - 8} 38`, class: "arc" }, g);
      }
      el("text", { x: W / 2, y: 16, class: "skip-letter" }, g).textContent = b.skip === "long" ? "L" : b.skip === "shortened" ? "S" : "R";
      g.addEventListener("click", () => onSkip(k));
      g.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          onSkip(k);
        }
      });
    }
    host.appendChild(svg);
  });
  host.appendChild(box(net.head.kind === "gap-dense" ? `pool, dense ${net.head.classes}` : `head ${net.head.classes}`, "head"));
}
