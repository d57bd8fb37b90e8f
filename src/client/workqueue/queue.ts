// The work queue controllers run their syncs from, as client-go's
// util/workqueue (docs/controllers.md): keys are de-duplicated, a key being
// processed is never handed out twice and is re-queued once when it changes
// meanwhile, keys can be added after a delay (the earliest wins), and a failed
// key is re-added after its rate limiter's back-off (AddRateLimited), until
// Forget. Time is the queue's Clock, so a test moves it by hand.
import { realClock, type Clock, type ClockTimer } from '../../util/clock.js';
import { defaultControllerRateLimiter, type RateLimiter } from './ratelimiter.js';
import { logger } from '../../util/log.js';

export interface WorkQueueOptions {
  /**
   * For controllers whose sync walks every object of a workload (ReplicaSet,
   * Deployment…): a key whose sync took long rests a while before its next.
   */
  restAfterSlowSync?: boolean;
  /** Timers and "now" (default: the wall clock). */
  clock?: Clock;
  /** The back-off of AddRateLimited (default: client-go's DefaultControllerRateLimiter on this clock). */
  rateLimiter?: RateLimiter;
  /** Names the queue in log lines (the controller's name). */
  name?: string;
  /** Where failures are told as one line (tests); by default, the log of the component named `name` (util/log.ts). */
  log?: (line: string) => void;
}

/** What a failed sync does by default: say so, and try again after the back-off. */
export type ErrorHandler = (key: string, err: unknown) => void;

/** A work queue of keys with de-duplication, delayed and rate-limited re-adds, processed one key at a time. */
export class WorkQueue {
  readonly clock: Clock;
  readonly rateLimiter: RateLimiter;
  readonly name: string;
  private queue: string[] = [];
  private head = 0;
  private queued = new Set<string>();
  private processing = new Set<string>();
  private dirty = new Set<string>();
  /** Keys waiting to be added: when, and the timer that adds them. */
  private waitingFor = new Map<string, { at: number; timer: ClockTimer }>();
  private waiting: (() => void)[] = [];
  private stopped = false;
  /** Per key: not before this time again. A sync of a ReplicaSet of 10k pods walks them all, and every pod
   *  change asks for one; resting twice as long as the sync took keeps such a key to a third of the CPU, while
   *  a sync of a few pods (well under a millisecond) is not held back at all. */
  private restUntil = new Map<string, number>();
  private restTimers = new Map<string, ClockTimer>();
  private urgent = new Set<string>();

  constructor(private opts: WorkQueueOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.rateLimiter = opts.rateLimiter ?? defaultControllerRateLimiter(this.clock);
    this.name = opts.name ?? 'controller';
  }

  /** Queues a key; `now` skips the rest after a slow sync (a controller continuing its own burst). */
  add(key: string, now = false): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      if (now) this.urgent.add(key);
      return;
    }
    // A key whose last run was expensive waits a little (see processItem()); cheap keys never do.
    const rest = now ? 0 : (this.restUntil.get(key) ?? 0) - this.clock.now();
    if (rest > 0) {
      if (!this.restTimers.has(key) && !this.queued.has(key)) {
        this.restTimers.set(key, this.clock.setTimeout(() => {
          this.restTimers.delete(key);
          this.restUntil.delete(key);
          this.add(key);
        }, rest));
      }
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.waiting.shift()?.();
  }

  /**
   * Queues `key` after `ms` (AddAfter). A key already waiting keeps the earlier
   * of its two times, as client-go's delaying queue does; no wait adds it now.
   */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    if (!(ms > 0)) return this.add(key);
    const at = this.clock.now() + ms;
    const existing = this.waitingFor.get(key);
    if (existing) {
      if (existing.at <= at) return;
      existing.timer.stop();
    }
    const timer = this.clock.setTimeout(() => {
      if (this.waitingFor.get(key)?.timer !== timer) return;
      this.waitingFor.delete(key);
      // A timer cut to setTimeout's limit fires early: the key's sync sees its time has not come and waits again.
      this.add(key);
    }, ms);
    this.waitingFor.set(key, { at, timer });
  }

  /** Queues `key` after its rate limiter's back-off (AddRateLimited): each call counts one more failure. */
  addRateLimited(key: string): void {
    this.addAfter(key, this.rateLimiter.when(key));
  }

  /** The key is done being retried (Forget): its next failure backs off from the start again. */
  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  /** Failures of `key` since it was last forgotten (NumRequeues). */
  numRequeues(key: string): number {
    return this.rateLimiter.numRequeues(key);
  }

  /** When a key added with a delay will be queued (clock time), if it is waiting. */
  readyAt(key: string): number | undefined {
    return this.waitingFor.get(key)?.at;
  }

  /** Keys ready to be handed out. */
  get len(): number {
    return this.queue.length - this.head;
  }

  get shuttingDown(): boolean {
    return this.stopped;
  }

  /** The next ready key, now (undefined if none). The caller must call done(key) after processing it. */
  tryGet(): string | undefined {
    if (this.stopped || this.head >= this.queue.length) return undefined;
    const key = this.queue[this.head++];
    // Drop the consumed front when the queue empties, or now and then while it is long, instead of shifting
    // every time (a shift of 10k keys is a copy); a drained queue holds no keys.
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.queued.delete(key);
    this.processing.add(key);
    return key;
  }

  /** Waits for the next key (Get); undefined once the queue is stopped. */
  async get(): Promise<string | undefined> {
    for (;;) {
      if (this.stopped) return undefined;
      const key = this.tryGet();
      if (key !== undefined) return key;
      await new Promise<void>((r) => this.waiting.push(r));
    }
  }

  /** The key is processed (Done): if it was added meanwhile, it is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key, this.urgent.delete(key));
  }

  /**
   * Processes one ready key with `worker` (processNextWorkItem): on success the
   * key is forgotten, on failure `onError` decides (by default: logged and
   * re-added after its back-off). False when no key was ready.
   */
  async processNext(worker: (key: string) => Promise<void>, onError?: ErrorHandler): Promise<boolean> {
    const key = this.tryGet();
    if (key === undefined) return false;
    await this.processItem(key, worker, onError);
    return true;
  }

  /** Runs `worker` for keys until stop(), `concurrency` keys at a time; a failing key is retried with back-off. */
  run(worker: (key: string) => Promise<void>, concurrency = 1, onError?: ErrorHandler): void {
    const loop = async () => {
      for (;;) {
        const key = await this.get();
        if (key === undefined) return;
        await this.processItem(key, worker, onError);
      }
    };
    for (let i = 0; i < concurrency; i++) void loop();
  }

  /** The default for a failed sync: a log line, and the key again after its back-off. */
  retry(key: string, err: unknown): void {
    if (this.stopped) return;
    const delay = this.rateLimiter.when(key);
    const n = this.rateLimiter.numRequeues(key);
    const msg = `error syncing "${key}" (${n === 1 ? '1 failure' : `${n} failures`}), retrying in ${fmtMs(delay)}: ${(err as Error)?.message ?? String(err)}`;
    // As client-go's HandleError: an error, named after the controller whose sync failed.
    if (this.opts.log) this.opts.log(`${this.name}: ${msg}`);
    else logger(this.name).error({ key, failures: n }, msg);
    this.addAfter(key, delay);
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.waitingFor.values()) w.timer.stop();
    for (const t of this.restTimers.values()) t.stop();
    this.waitingFor.clear();
    this.restTimers.clear();
    for (const w of this.waiting.splice(0)) w();
  }

  private async processItem(key: string, worker: (key: string) => Promise<void>, onError?: ErrorHandler): Promise<void> {
    try {
      const t0 = performance.now();
      await worker(key);
      const took = performance.now() - t0;
      if (this.opts.restAfterSlowSync && took >= 2) this.restUntil.set(key, this.clock.now() + 2 * took);
      else this.restUntil.delete(key);
      this.rateLimiter.forget(key);
    } catch (e) {
      if (onError) onError(key, e);
      else this.retry(key, e);
    } finally {
      this.done(key);
    }
  }
}

const fmtMs = (ms: number) => (ms < 1000 ? `${ms}ms` : `${+(ms / 1000).toFixed(3)}s`);
