/**
 * Lets the worker's event loop turn once before every test.
 *
 * Vitest's worker reports each test to the main process over an RPC whose calls time out after 60 s, a constant no
 * option reaches (birpc's DEFAULT_TIMEOUT; vitest-dev/vitest#11082). The reply is read only when the worker's event
 * loop reaches its poll phase. Synchronous tests run back to back never get there, and Node runs expired timers
 * before the poll phase, so a worker busy computing for over a minute in a row gets "Timeout calling onTaskUpdate":
 * every test passes and the run exits 1 (the CI of 2026-12-08 on a 2-core AMD EPYC, where the whole-network gradient
 * check alone took 75 s). One setImmediate before each test lets a pending reply in; a single test must still yield
 * within itself if it computes for a minute (test/train.test.ts does, between inputs).
 */
import { beforeEach } from "vitest";

beforeEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
