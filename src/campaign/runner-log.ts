/**
 * The local runner's start line in its campaign.log, written and read in one place: `--status` from another shell
 * reads how many lanes the live runner trains on, so that its estimate of the time left is the runner's, not the
 * flag's default.
 */

/** the line the runner logs when it starts (after the timestamp) */
export const runnerStartLine = (plan: string, runs: number, root: string, lanes: number, threads: number, nice: number, pid: number): string =>
  `campaign ${plan}: ${runs} runs under ${root}, ${lanes} lanes of ${threads} thread(s), nice ${nice}, pid ${pid}`;

/**
 * The lanes of the runner `pid` and when it started (seconds), from its latest start line in `logText`; null when the
 * log has none of that pid.
 */
export function runnerStart(logText: string, pid: number): { lanes: number; since: number } | null {
  let found: { lanes: number; since: number } | null = null;
  const re = /^\[([^\]]+)\] campaign \S+: \d+ runs under .*, (\d+) lanes of \d+ thread\(s\), nice -?\d+, pid (\d+)$/;
  for (const line of logText.split("\n")) {
    const m = re.exec(line);
    if (m && Number(m[3]) === pid) found = { lanes: Number(m[2]), since: Date.parse(m[1]) / 1000 };
  }
  return found;
}
