/**
 * The campaign's pid-file lock (src/util/pid-lock.ts, issue 32): of processes that start together exactly one takes
 * it, the others get an error naming the file and the holder's PID; a file whose process is gone, or whose PID now
 * belongs to an unrelated process, is taken over with a warning.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { acquirePidLock, readPid } from "../src/util/pid-lock.js";
import { runCommand, TSX } from "./helpers/spawn.js";

const ROOT = path.resolve(__dirname, "..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-pid-lock-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** a PID that no process has now: a child that has exited (and been reaped) */
async function deadPid(): Promise<number> {
  const c = spawn("true");
  await new Promise((r) => c.on("exit", r));
  return c.pid!;
}

describe("acquirePidLock", () => {
  it("of six processes started together exactly one takes the lock; the others name the file and its PID", async () => {
    const file = path.join(tmp, "race.pid");
    const script = path.join(tmp, "take.ts");
    const done = path.join(tmp, "race.done");
    // the winner holds the lock until every other process has ended (a slow start must not find it released)
    fs.writeFileSync(
      script,
      `import * as fs from "node:fs";\nimport { acquirePidLock } from ${JSON.stringify(path.join(ROOT, "src/util/pid-lock.ts"))};\n` +
        `try { acquirePidLock(${JSON.stringify(file)}); console.log("took " + process.pid); const t0 = Date.now(); const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(done)}) || Date.now() - t0 > 30000) clearInterval(t); }, 50); }\n` +
        `catch (e) { console.log("refused: " + (e as Error).message); process.exitCode = 3; }\n`,
    );
    let ended = 0;
    const rs = await Promise.all(
      Array.from({ length: 6 }, () =>
        runCommand(process.execPath, [...TSX, script]).then((r) => {
          if (++ended === 5) fs.writeFileSync(done, "");
          return r;
        }),
      ),
    );
    const took = rs.filter((r) => r.stdout.startsWith("took "));
    expect(took, rs.map((r) => r.stdout + r.stderr).join("\n")).toHaveLength(1);
    const winner = Number(took[0].stdout.trim().split(" ")[1]);
    for (const r of rs.filter((x) => x !== took[0])) {
      expect(r.status).toBe(3);
      expect(r.stdout.trim()).toBe(`refused: ${file}: held by process ${winner}`);
    }
    expect(fs.existsSync(file)).toBe(false); // released at the winner's exit
  }, 120_000);

  it("a live holder is an error (the caller's message); a file of a process that is gone is taken over with a warning", async () => {
    const file = path.join(tmp, "stale.pid");
    const sleeper = spawn("sleep", ["30"]);
    try {
      fs.writeFileSync(file, `${sleeper.pid}\n`);
      expect(() => acquirePidLock(file, { heldBy: (pid) => `${file}: running (pid ${pid})` })).toThrow(`${file}: running (pid ${sleeper.pid})`);
      // the same PID, but not a holder of this lock (a PID reused by an unrelated process)
      const warnings: string[] = [];
      const lock = acquirePidLock(file, { isHolder: () => false, warn: (m) => warnings.push(m) });
      expect(readPid(file)).toBe(process.pid);
      expect(warnings).toEqual([`warning: taking over the pid file ${file} of process ${sleeper.pid}, which is no longer running`]);
      lock.release();
      expect(fs.existsSync(file)).toBe(false);
    } finally {
      sleeper.kill();
    }
    const gone = await deadPid();
    fs.writeFileSync(file, `${gone}\n`);
    const warnings: string[] = [];
    const lock = acquirePidLock(file, { warn: (m) => warnings.push(m) });
    expect(readPid(file)).toBe(process.pid);
    expect(warnings[0]).toContain(`of process ${gone}, which is no longer running`);
    lock.release();
    // garbage left long ago: removed with a warning, then taken
    fs.writeFileSync(file, "not a pid");
    fs.utimesSync(file, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    const w2: string[] = [];
    acquirePidLock(file, { warn: (m) => w2.push(m) }).release();
    expect(w2[0]).toMatch(new RegExp(`removing the unreadable pid file ${file} \\(\\d+ s old\\)`));
  });

  it("the lock of this process's parent is taken over only when the caller names that parent (the campaign's detached copy)", () => {
    const file = path.join(tmp, "inherit.pid");
    fs.writeFileSync(file, `${process.ppid}\n`);
    expect(() => acquirePidLock(file)).toThrow(`${file}: held by process ${process.ppid}`);
    expect(() => acquirePidLock(file, { inheritFrom: process.ppid + 1 })).toThrow(`${file}: held by process ${process.ppid}`);
    const lock = acquirePidLock(file, { inheritFrom: process.ppid });
    expect(readPid(file)).toBe(process.pid);
    lock.release();
    expect(fs.existsSync(file)).toBe(false);
  });
});
