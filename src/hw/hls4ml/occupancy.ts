/**
 * A FIFO's occupancy over time from a simulation's token times (simulate.ts, simulateTrace): the tokens written by
 * cycle t and not yet read. The same counting as the simulation's maximum occupancy (a token occupies the FIFO from
 * its write until its read; at equal times the write counts first).
 */

/** how many of the sorted times are <= t (binary search) */
function countUpTo(times: Float64Array, t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** how many of the sorted times are < t */
function countBefore(times: Float64Array, t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Occupancy at each cycle of `at`: tokens written at or before it, less those read strictly before it. */
export function occupancyAt(writes: Float64Array, reads: Float64Array, at: number[]): number[] {
  return at.map((t) => countUpTo(writes, t) - countBefore(reads, t));
}
