/**
 * The page's Web Worker of the exhaustive policy search: costs the slice it is sent (policy-slices.ts's costSlice,
 * as Node's worker threads do) and posts progress, then the costs; an error is posted as its message, for the page
 * to show. Bundled on its own by scripts/web-build.ts and started from a Blob URL (web/src/front-search.ts).
 */
import { costSlice, type PolicyWork, type SliceMessage } from "../../src/report/policy-slices.js";

// the page is compiled with the DOM's types, not the worker's: the two members of the worker's global used here
const scope = self as unknown as { onmessage: ((e: { data: PolicyWork }) => void) | null; postMessage(m: SliceMessage): void };

scope.onmessage = (e) => {
  try {
    scope.postMessage({ costs: costSlice(e.data, (done) => scope.postMessage({ done })) });
  } catch (err) {
    scope.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
};
