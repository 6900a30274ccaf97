/**
 * The page's Web Worker of the policy searches: an exhaustive slice (policy-slices.ts's costSlice, as Node's worker
 * threads do) or the additive search of a deeper network (policy-choice.ts), posting progress, then the costs; an
 * error is posted as its message, for the page to show. Bundled on its own by scripts/web-build.ts and started from a
 * Blob URL (web/src/front-search.ts).
 */
import { additiveRemovalSearch } from "../../src/report/policy-choice.js";
import { costSlice, type PolicyWork, type SliceMessage } from "../../src/report/policy-slices.js";
import type { AdditiveWork } from "./front-search.js";

// the page is compiled with the DOM's types, not the worker's: the two members of the worker's global used here
const scope = self as unknown as { onmessage: ((e: { data: PolicyWork | AdditiveWork }) => void) | null; postMessage(m: SliceMessage): void };

scope.onmessage = (e) => {
  try {
    const w = e.data;
    const costs =
      "objective" in w
        ? additiveRemovalSearch(w.net, w.objective, w.hls, w.pe, (done) => scope.postMessage({ done }))
        : costSlice(w, (done) => scope.postMessage({ done }));
    scope.postMessage({ costs });
  } catch (err) {
    scope.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
};
