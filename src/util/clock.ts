// Time as a dependency, as k8s.io/utils/clock gives it to client-go and the
// controllers: code that waits or stamps takes a Clock, production passes
// realClock, and a test passes a FakeClock it moves forward itself, so that
// "after 5 s at 5 events per second" takes no real time and cannot be late on
// a busy machine (docs/testing.md).
import { timerDelay } from './timers.js';

/** A timer a Clock handed out. */
export interface ClockTimer {
  /** Stops the timer; false if it had fired or was stopped already. */
  stop(): boolean;
}

export interface Clock {
  /** Milliseconds since the epoch, as Date.now(). */
  now(): number;
  /** Calls `fn` once, `ms` from now. A real timer does not keep the process alive (unref). */
  setTimeout(fn: () => void, ms: number): ClockTimer;
}

/** The wall clock and Node's timers (a wait past their 2^31-1 ms comes back at that limit: util/timers.ts). */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, timerDelay(ms));
    t.unref();
    let done = false;
    return {
      stop() {
        if (done) return false;
        done = true;
        clearTimeout(t);
        return true;
      },
    };
  },
};

/**
 * A clock that moves only when told (k8s.io/utils/clock/testing's FakeClock):
 * `step(ms)` advances it and runs, in time order, every timer that falls due,
 * each seeing now() at its own due time. Timers set by a callback run in the
 * same step when they fall due within it.
 */
export class FakeClock implements Clock {
  private t: number;
  private timers: { at: number; seq: number; fn: () => void; live: boolean }[] = [];
  private seq = 0;

  constructor(start = Date.parse('2025-01-01T00:00:00Z')) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): ClockTimer {
    const timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, live: true };
    this.timers.push(timer);
    return {
      stop: () => {
        const was = timer.live;
        timer.live = false;
        return was;
      },
    };
  }

  /** Timers waiting to fire. */
  get waiting(): number {
    return this.timers.filter((x) => x.live).length;
  }

  /** Moves the clock `ms` forward, firing what falls due on the way. */
  step(ms: number): void {
    const end = this.t + Math.max(0, ms);
    for (;;) {
      this.timers = this.timers.filter((x) => x.live);
      const next = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      next.live = false;
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
  }
}
