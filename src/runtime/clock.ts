// One timer for all pods of a node: a min-heap of (time, pod) and a single
// setTimeout for the earliest. A pod reschedules by setting a new wake time;
// stale heap entries are skipped when popped (cheaper than removing them).
// Time is the agent's Clock (src/util/clock.ts), so a test moves it by hand.
import type { PodState } from './types.js';
import { realClock, type Clock, type ClockTimer } from '../util/clock.js';
import { timerDelay } from '../util/timers.js';

export class PodClock {
  private heap: { at: number; ps: PodState }[] = [];
  private timer?: ClockTimer;
  private timerAt = Infinity;
  private stopped = false;

  constructor(private onWake: (ps: PodState, now: number) => void, private clock: Clock = realClock) {}

  /** Wake `ps` at `at` (ms since epoch). Only the pod's latest wake time counts. */
  wake(ps: PodState, at: number): void {
    if (this.stopped) return;
    if (ps.wakeAt && ps.wakeAt <= at) return; // an earlier wake is pending already; it will reschedule
    ps.wakeAt = at;
    this.push({ at, ps });
    this.arm();
  }

  private push(e: { at: number; ps: PodState }) {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].at <= h[i].at) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }

  private pop() {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l].at < h[m].at) m = l;
        if (r < h.length && h[r].at < h[m].at) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }

  private arm() {
    const next = this.heap[0]?.at ?? Infinity;
    if (next >= this.timerAt) return;
    this.timer?.stop();
    this.timerAt = next;
    this.timer = this.clock.setTimeout(() => this.fire(), timerDelay(next - this.clock.now()));
  }

  private fire() {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.clock.now();
    let n = 0;
    // Bounded batches keep the event loop responsive with many pods due at once.
    while (this.heap.length && this.heap[0].at <= now && n++ < 2000) {
      const { at, ps } = this.pop();
      if (ps.wakeAt !== at) continue;
      ps.wakeAt = 0;
      this.onWake(ps, now);
    }
    if (this.heap.length) {
      if (this.heap[0].at <= now) {
        this.timerAt = now;
        this.timer = this.clock.setTimeout(() => this.fire(), 0);
      } else this.arm();
    }
  }

  stop(): void {
    this.stopped = true;
    this.timer?.stop();
    this.heap = [];
  }
}
