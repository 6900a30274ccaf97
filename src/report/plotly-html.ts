/**
 * HTML of plotly figures that works offline: a standalone page that loads the plotly bundle from a file beside it
 * (figures/ copied anywhere keeps working), and notebook outputs that load the bundle once per notebook and then
 * draw each figure from its spec. No CDN, no network.
 */
import type { Figure } from "./plot-style.js";

/** The bundle's file name beside the standalone pages (plotly.js's cartesian build: scatter, bar, box). */
export const PLOTLY_BUNDLE_NAME = "plotly-cartesian.min.js";

/** JSON that is safe inside a <script> element. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, "\\u003c");

const CONFIG = { displaylogo: false, responsive: true, toImageButtonOptions: { scale: 2 } };

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The title text of a figure (plotly's title may hold <br> and tags). */
export const figureTitle = (fig: Figure) => String(((fig.layout.title as { text?: string }) ?? {}).text ?? "figure").replace(/<[^>]*>/g, " ");

/**
 * A standalone page: the figure's spec as JSON in the page (id "figure-spec"), drawn into div#fig by the bundle at
 * `bundleSrc` (relative to the page), as wide as the window (the spec's width is the PNG's).
 */
export function standaloneHtml(fig: Figure, bundleSrc = PLOTLY_BUNDLE_NAME): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(figureTitle(fig))}</title>
<script src="${bundleSrc}"></script>
<style>body{margin:0;font-family:sans-serif}#missing{padding:2em;color:#b2182b}</style></head>
<body><div id="fig" style="width:100%;height:${fig.layout.height ?? 520}px"></div>
<script type="application/json" id="figure-spec">${scriptJson(fig)}</script>
<script>
var spec = JSON.parse(document.getElementById("figure-spec").textContent);
// the page's width, not the width the figure was laid out for: it fills (and follows) the window
if (window.Plotly) Plotly.newPlot("fig", spec.data, Object.assign({}, spec.layout, { width: undefined, autosize: true }), ${JSON.stringify(CONFIG)});
else document.getElementById("fig").innerHTML = '<p id="missing">${PLOTLY_BUNDLE_NAME} was not found beside this page: copy it with the figures.</p>';
</script></body></html>
`;
}

/** The notebook output that defines window.Plotly (once per notebook). */
export function notebookBundleHtml(bundle: string): string {
  return `<script type="text/javascript">${bundle.replace(/<\/script/gi, "<\\/script")}</script>\n<div style="display:none">plotly.js loaded</div>`;
}

/**
 * A notebook output drawing `fig` into a new div (the figure's width is dropped: it fills the output area). Waits
 * for the bundle output (a page that renders outputs out of order) for up to 10 s.
 */
export function notebookFigureHtml(fig: Figure, id: string): string {
  const layout = { ...fig.layout, width: undefined, autosize: true };
  return `<div id="${id}" class="tailor-plotly" style="width:100%;min-width:${Math.min(900, fig.layout.width ?? 900)}px;height:${fig.layout.height ?? 520}px"></div>
<script type="text/javascript">(function () {
  var spec = ${scriptJson({ data: fig.data, layout })};
  var tries = 0;
  function draw() {
    var el = document.getElementById(${JSON.stringify(id)});
    if (window.Plotly && el) { window.Plotly.newPlot(el, spec.data, spec.layout, ${JSON.stringify(CONFIG)}); return; }
    if (tries++ < 100) setTimeout(draw, 100);
  }
  draw();
})();</script>`;
}

/** The figure spec embedded in a standalone page written by standaloneHtml (the browser test and the notebooks read it). */
export function specFromStandaloneHtml(html: string, file = "page"): Figure {
  const m = /<script type="application\/json" id="figure-spec">([^]*?)<\/script>/.exec(html);
  if (!m) throw new Error(`${file}: no figure spec (not a page written by npm run reproduce?)`);
  return JSON.parse(m[1]) as Figure;
}
