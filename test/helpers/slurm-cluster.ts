/**
 * A real one-node SLURM cluster on localhost for tests: Debian 12's slurm-wlm 22.05 and munge, started as root from a
 * generated configuration in a temporary folder (scripts/setup-system.sh installs the packages). Nothing is faked:
 * sbatch, squeue, scontrol and scancel talk to a real slurmctld, which starts jobs through a real slurmd.
 *
 *   const cluster = await startSlurmCluster();   // munged, slurmctld, slurmd; resolves once the node is idle
 *   spawn("sbatch", [...], { env: { ...process.env, ...cluster.env } });   // SLURM_CONF points at the config
 *   await cluster.stop();                         // every daemon and every job process gone, the folder removed
 *
 * Choices (measured on Debian 12, 2 cores, as root):
 * - munged gets its own key (random bytes, mode 0600), socket, pid and seed files in the folder, and slurm finds it
 *   through AuthInfo=socket=...: the system's /etc/munge key and /run/munge socket are never used. munged refuses a
 *   socket in a folder others cannot enter ("execute permissions for all required"), so the folder is mode 0755.
 * - ProctrackType=proctrack/linuxproc and TaskPlugin=task/none: process tracking by parent PID, no cgroups (a
 *   container or VM without a delegated cgroup tree runs jobs all the same). linuxproc still signals every process
 *   of a job: scancel and `scontrol requeue` reach the training process itself.
 * - No accounting (AccountingStorageType=accounting_storage/none, JobAcctGatherType=jobacct_gather/none): slurmdbd
 *   needs a MySQL/MariaDB server, far too heavy for a test. Final states come from `scontrol show job`, kept in
 *   slurmctld's memory for MinJobAge=3600 s after a job ends (sacct answers "accounting storage is disabled").
 * - AuthInfo cred_expire=15: a requeued job is held (Reason=BeginTime) for cred_expire + 1 s before it may start
 *   again (default 120 s); SchedulerParameters sched_interval=3 lets the main scheduler see it soon after (default 60).
 * - Ports: two free ones picked at start, not 6817/6818, so that a system SLURM or a second test cluster does not clash.
 * - NodeName=localhost with NodeAddr=127.0.0.1, and slurmd -N localhost (the host's own name is not in the config).
 * - A submission policy (JobSubmitPlugins=lua, job_submit.lua beside slurm.conf, as sites write them): slurmctld
 *   refuses a job whose name contains REFUSED_NAME. A test makes sbatch fail on the second job of a plan that way,
 *   through slurmctld itself.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

export interface SlurmCluster {
  /** the temporary folder: slurm.conf, munge key and socket, state, spool, logs */
  dir: string;
  conf: string;
  /** the environment a SLURM client needs to talk to this cluster */
  env: { SLURM_CONF: string };
  partition: string;
  cpus: number;
  /** the last lines of every daemon's log, for a failure message */
  logs(lines?: number): string;
  /** cancel every job, stop the daemons, kill what is left of them and their jobs, remove the folder; never throws */
  stop(): Promise<void>;
}

const BINARIES = ["munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "scancel", "sinfo"];

/** A binary's path on PATH or in the sbin folders (root's PATH may lack /usr/sbin), or null. */
export function which(bin: string): string | null {
  for (const d of [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/sbin", "/usr/bin"]) {
    const f = path.join(d, bin);
    try {
      fs.accessSync(f, fs.constants.X_OK);
      return f;
    } catch {
      // not here
    }
  }
  return null;
}

/** Why this machine cannot run the test cluster, or null. */
export function slurmUnavailable(): string | null {
  const missing = BINARIES.filter((b) => !which(b));
  if (missing.length) return `missing ${missing.join(", ")}: install Debian's slurm-wlm and munge (bash scripts/setup-system.sh)`;
  if (process.getuid?.() !== 0) return "the test cluster runs its daemons as root (SlurmUser=root)";
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** a job whose name contains this is refused by the test cluster's submission policy (job_submit.lua) */
export const REFUSED_NAME = "refused-by-policy";

const JOB_SUBMIT_LUA = `-- the test cluster's submission policy (test/helpers/slurm-cluster.ts)
function slurm_job_submit(job_desc, part_list, submit_uid)
  if job_desc.name ~= nil and string.find(job_desc.name, "${REFUSED_NAME}", 1, true) then
    slurm.log_user("site policy: job name %s is refused", job_desc.name)
    return slurm.ERROR
  end
  return slurm.SUCCESS
end

function slurm_job_modify(job_desc, job_rec, part_list, modify_uid)
  return slurm.SUCCESS
end
`;

export function slurmConf(o: { dir: string; ctldPort: number; slurmdPort: number; cpus: number; memoryMb: number; extra?: string[] }): string {
  const d = o.dir;
  return [
    "# generated by test/helpers/slurm-cluster.ts: a one-node cluster on localhost, run as root, all state in this folder",
    "ClusterName=tailortest",
    "SlurmctldHost=localhost",
    `SlurmctldPort=${o.ctldPort}`,
    `SlurmdPort=${o.slurmdPort}`,
    "SlurmUser=root",
    "SlurmdUser=root",
    "AuthType=auth/munge",
    `AuthInfo=socket=${d}/munge.sock,cred_expire=15`,
    `StateSaveLocation=${d}/state`,
    `SlurmdSpoolDir=${d}/spool`,
    `SlurmctldPidFile=${d}/slurmctld.pid`,
    `SlurmdPidFile=${d}/slurmd.pid`,
    `SlurmctldLogFile=${d}/slurmctld.log`,
    `SlurmdLogFile=${d}/slurmd.log`,
    "SlurmctldDebug=info",
    "SlurmdDebug=info",
    "ProctrackType=proctrack/linuxproc",
    "TaskPlugin=task/none",
    "SelectType=select/cons_tres",
    "SelectTypeParameters=CR_CPU",
    "SchedulerParameters=sched_interval=3",
    "JobAcctGatherType=jobacct_gather/none",
    "AccountingStorageType=accounting_storage/none",
    "JobCompType=jobcomp/none",
    "MpiDefault=none",
    "JobSubmitPlugins=lua",
    "MailProg=/bin/true",
    "ReturnToService=2",
    "MinJobAge=3600",
    "KillWait=30",
    `NodeName=localhost NodeAddr=127.0.0.1 CPUs=${o.cpus} RealMemory=${o.memoryMb} State=UNKNOWN`,
    "PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP",
    ...(o.extra ?? []),
    "",
  ].join("\n");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tailOf(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no file)";
  }
}

/** PIDs of live processes whose environment names this cluster (its daemons, slurmstepd, and the jobs they ran). */
function processesOf(marker: string): number[] {
  const pids: number[] = [];
  for (const p of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${p}/environ`, "utf8").includes(marker)) pids.push(Number(p));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/** `extraConf`: lines appended to slurm.conf (a later line overrides an earlier one) */
export async function startSlurmCluster(opts: { cpus?: number; timeoutMs?: number; extraConf?: string[] } = {}): Promise<SlurmCluster> {
  const why = slurmUnavailable();
  if (why) throw new Error(`cannot start the test SLURM cluster: ${why}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-slurm-"));
  fs.chmodSync(dir, 0o755);
  for (const sub of ["state", "spool"]) fs.mkdirSync(path.join(dir, sub));
  const cpus = opts.cpus ?? os.cpus().length;
  const conf = path.join(dir, "slurm.conf");
  const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
  fs.writeFileSync(conf, slurmConf({ dir, ctldPort, slurmdPort, cpus, memoryMb: Math.floor((os.totalmem() / 2 ** 20) * 0.8), extra: opts.extraConf }));
  fs.writeFileSync(path.join(dir, "job_submit.lua"), JOB_SUBMIT_LUA);
  // 1024 random bytes: munged's key needs at least 32 bytes, readable by its user alone
  fs.writeFileSync(path.join(dir, "munge.key"), crypto.randomBytes(1024), { mode: 0o600 });

  // every daemon, and through them every job, inherits this variable: stop() finds all of them by it
  const marker = `TAILOR_SLURM_CLUSTER=${dir}`;
  const env = { ...process.env, SLURM_CONF: conf, TAILOR_SLURM_CLUSTER: dir };
  const children: ChildProcess[] = [];
  // -F / -D: stay in the foreground, so the child handle is the daemon itself (stop() signals it directly)
  const daemon = (name: string, bin: string, args: string[]) => {
    const out = fs.openSync(path.join(dir, `${name}.out`), "a");
    const c = spawn(which(bin)!, args, { stdio: ["ignore", out, out], env });
    fs.closeSync(out);
    c.on("error", () => {}); // reported through the wait below and the logs
    children.push(c);
    return c;
  };
  const logs = (lines = 30) =>
    ["munged.out", "slurmctld.out", "slurmctld.log", "slurmd.out", "slurmd.log"].map((f) => `--- ${path.join(dir, f)} (last ${lines} lines)\n${tailOf(path.join(dir, f), lines)}`).join("\n");

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener("exit", killAllNow);
    const client = (cmd: string, args: string[]) => spawnSync(which(cmd)!, args, { env, encoding: "utf8", timeout: 20_000 });
    try {
      // jobs first, while slurmd can still signal them (SIGTERM, then SIGKILL after KillWait)
      if (children.every((c) => c.exitCode === null)) {
        client("scancel", ["--full", "--user=root"]);
        const t0 = Date.now();
        while (Date.now() - t0 < 40_000 && (client("squeue", ["-h", "-t", "all", "-o", "%T"]).stdout ?? "").match(/RUNNING|COMPLETING|CONFIGURING/)) await sleep(500);
      }
    } catch {
      // a daemon is down: the kills below still clean up
    }
    for (const c of [...children].reverse()) if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM");
    const t0 = Date.now();
    while (Date.now() - t0 < 10_000 && children.some((c) => c.exitCode === null && c.signalCode === null)) await sleep(100);
    killAllNow();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  // the last resort when the test process exits without stop(): nothing of the cluster may outlive it
  function killAllNow() {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    for (const pid of processesOf(marker)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
  }
  process.on("exit", killAllNow);

  const timeoutMs = opts.timeoutMs ?? 60_000;
  const waitFor = async (what: string, ok: () => boolean) => {
    const t0 = Date.now();
    let delay = 100;
    while (!ok()) {
      const dead = children.find((c) => c.exitCode !== null || c.signalCode !== null);
      if (dead) throw new Error(`${dead.spawnfile} exited (${dead.exitCode ?? dead.signalCode}) before ${what}`);
      if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
      await sleep(delay);
      delay = Math.min(2000, delay * 1.5);
    }
  };
  const query = (cmd: string, args: string[]) => spawnSync(which(cmd)!, args, { env, encoding: "utf8", timeout: 10_000 });
  try {
    daemon("munged", "munged", ["-F", `--key-file=${dir}/munge.key`, `--socket=${dir}/munge.sock`, `--pid-file=${dir}/munged.pid`, `--seed-file=${dir}/munged.seed`, `--log-file=${dir}/munged.log`]);
    await waitFor("munged's socket", () => fs.existsSync(path.join(dir, "munge.sock")));
    daemon("slurmctld", "slurmctld", ["-D", "-f", conf]);
    await waitFor("slurmctld to answer (scontrol ping)", () => /UP/.test(query("scontrol", ["ping"]).stdout ?? ""));
    daemon("slurmd", "slurmd", ["-D", "-f", conf, "-N", "localhost"]);
    await waitFor("node localhost to be idle (sinfo)", () => (query("sinfo", ["-h", "-n", "localhost", "-o", "%T"]).stdout ?? "").trim() === "idle");
  } catch (e) {
    const report = `test SLURM cluster did not come up: ${(e as Error).message}\n${logs()}`;
    await stop();
    throw new Error(report);
  }
  return { dir, conf, env: { SLURM_CONF: conf }, partition: "debug", cpus, logs, stop };
}
