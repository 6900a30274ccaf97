/**
 * The worker's event loop turns between tests (test/helpers/yield-between-tests.ts), so vitest's RPC replies are read
 * even when synchronous tests run back to back for over a minute. Without the hook the second test sees the flag
 * unset: a chain of synchronous tests only runs microtasks.
 */
import { expect, it } from "vitest";

let turned = false;

it("schedules a macrotask and returns without yielding", () => {
  setImmediate(() => (turned = true));
});

it("sees it run before the next test starts", () => {
  expect(turned).toBe(true);
});
