// Timers armed from durations users write (minReadySeconds, ttlSecondsAfterFinished, probe
// periods, grace periods...). setTimeout takes at most 2^31-1 ms (about 24.8 days) and fires at
// once, with a warning, for anything longer; a controller that re-arms when its timer fires then
// loops without end (issue 14: a Job with ttlSecondsAfterFinished 1e308 re-armed 11,670 times
// in 15 s). Every such delay goes through timerDelay (realClock.setTimeout in util/clock.ts, which
// the work queue and the controllers use, and the runtime's own timers): a longer wait fires at the
// maximum and the caller, finding its time not yet come, arms again, once every 24.8 days.

/** The longest delay setTimeout honours. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** How many delays had to be cut to MAX_TIMER_MS (what tests watch instead of the clock). */
export const timerStats = { clamped: 0 };

/** A delay setTimeout honours: longer ones are cut to the maximum; negative and NaN ones are 0. */
export function timerDelay(ms: number): number {
  if (!(ms > 0)) return 0;
  if (ms > MAX_TIMER_MS) {
    timerStats.clamped++;
    return MAX_TIMER_MS;
  }
  return ms;
}
