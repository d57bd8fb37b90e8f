// How long a failed key waits before its next try, as client-go's
// util/workqueue/default_rate_limiters.go decides it (docs/controllers.md):
// a per-key exponential back-off, an overall token bucket, and the larger of
// the two for controllers.
import { realClock, type Clock } from '../../util/clock.js';

/** client-go's workqueue.RateLimiter: `when` is asked once per failure, and counts it. */
export interface RateLimiter {
  /** How long `key` waits before its next try (ms); counts one more failure. */
  when(key: string): number;
  /** The key is done being retried (it succeeded, or was given up on): its count starts again. */
  forget(key: string): void;
  /** Failures counted since the key was last forgotten. */
  numRequeues(key: string): number;
}

/** base·2^failures, capped at max (ItemExponentialFailureRateLimiter). */
export class ItemExponentialFailureRateLimiter implements RateLimiter {
  private failures = new Map<string, number>();

  constructor(readonly baseMs: number, readonly maxMs: number) {}

  when(key: string): number {
    const exp = this.failures.get(key) ?? 0;
    this.failures.set(key, exp + 1);
    return Math.min(this.baseMs * 2 ** exp, this.maxMs);
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

/**
 * A token bucket over all keys (BucketRateLimiter over golang.org/x/time/rate):
 * it starts full, refills at `qps`, and each try reserves a token; once the
 * bucket is empty a reservation waits until its token will have been made.
 */
export class BucketRateLimiter implements RateLimiter {
  private tokens: number;
  private last: number;

  constructor(readonly qps: number, readonly burst: number, private clock: Clock = realClock) {
    this.tokens = burst;
    this.last = clock.now();
  }

  when(): number {
    const now = this.clock.now();
    // Reservations already handed out may have left the bucket below zero: it refills from there.
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.qps) / 1000);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.qps);
  }

  forget(): void {}

  numRequeues(): number {
    return 0;
  }
}

/** The worst case of several limiters (MaxOfRateLimiter). */
export class MaxOfRateLimiter implements RateLimiter {
  private limiters: RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.limiters = limiters;
  }

  when(key: string): number {
    // Every limiter counts the try, as client-go's asks each in turn.
    return this.limiters.reduce((worst, l) => Math.max(worst, l.when(key)), 0);
  }

  forget(key: string): void {
    for (const l of this.limiters) l.forget(key);
  }

  numRequeues(key: string): number {
    return this.limiters.reduce((most, l) => Math.max(most, l.numRequeues(key)), 0);
  }
}

/** client-go's defaults: 5 ms doubling per failure up to 1000 s per key, and 10 retries a second (bursts of 100) overall. */
export const DEFAULT_BACKOFF = { baseMs: 5, maxMs: 1_000_000, qps: 10, burst: 100 } as const;

/** DefaultControllerRateLimiter: the larger of the per-key back-off and the overall bucket. */
export function defaultControllerRateLimiter(clock: Clock = realClock): RateLimiter {
  return new MaxOfRateLimiter(
    new ItemExponentialFailureRateLimiter(DEFAULT_BACKOFF.baseMs, DEFAULT_BACKOFF.maxMs),
    new BucketRateLimiter(DEFAULT_BACKOFF.qps, DEFAULT_BACKOFF.burst, clock),
  );
}
