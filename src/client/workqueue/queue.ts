// The work queue controllers run their syncs from, as client-go's: keys are
// de-duplicated, a key being processed is re-queued once when it changes
// meanwhile, failures back off, and keys can be added after a delay.
/** A work queue of keys with de-duplication and delayed re-adds, processed one key at a time per worker. */
export class WorkQueue {
  private queue: string[] = [];
  private queued = new Set<string>();
  private processing = new Set<string>();
  private dirty = new Set<string>();
  private timers = new Map<string, NodeJS.Timeout>();
  private waiting: (() => void)[] = [];
  private stopped = false;
  /** Per key: not before this time again. A sync of a ReplicaSet of 10k pods walks them all, and every pod
   *  change asks for one; resting twice as long as the sync took keeps such a key to a third of the CPU, while
   *  a sync of a few pods (well under a millisecond) is not held back at all. */
  private restUntil = new Map<string, number>();
  private restTimers = new Map<string, NodeJS.Timeout>();
  private urgent = new Set<string>();

  /**
   * `restAfterSlowSync`: for controllers whose sync walks every object of a
   * workload (ReplicaSet, Deployment…). Off for controllers that wait on
   * purpose inside a sync (a modelled EIP bind), where the wait is not work.
   */
  constructor(private opts: { restAfterSlowSync?: boolean } = {}) {}

  /** Queues a key; `now` skips the rest after a slow sync (a controller continuing its own burst). */
  add(key: string, now = false): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      if (now) this.urgent.add(key);
      return;
    }
    // A key whose last run was expensive waits a little (see run()); cheap keys never do.
    const rest = now ? 0 : (this.restUntil.get(key) ?? 0) - Date.now();
    if (rest > 0) {
      if (!this.restTimers.has(key) && !this.queued.has(key)) {
        this.restTimers.set(key, setTimeout(() => {
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

  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    const existing = this.timers.get(key);
    if (existing) clearTimeout(existing);
    this.timers.set(key, setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, Math.max(0, ms)));
  }

  /** Runs `worker` for keys until stop(); a failing key is retried with back-off. */
  run(worker: (key: string) => Promise<void>, concurrency = 1): void {
    const failures = new Map<string, number>();
    const loop = async () => {
      while (!this.stopped) {
        const key = this.queue.shift();
        if (key === undefined) {
          await new Promise<void>((r) => this.waiting.push(r));
          continue;
        }
        this.queued.delete(key);
        this.processing.add(key);
        try {
          const t0 = Date.now();
          await worker(key);
          const took = Date.now() - t0;
          if (this.opts.restAfterSlowSync && took >= 2) this.restUntil.set(key, Date.now() + 2 * took);
          else this.restUntil.delete(key);
          failures.delete(key);
        } catch (e) {
          const n = (failures.get(key) ?? 0) + 1;
          failures.set(key, n);
          if (n === 1 || n % 20 === 0) console.error(`controller: ${key}: ${(e as Error).message}`);
          this.addAfter(key, Math.min(5 * 2 ** Math.min(n, 10), 5000));
        } finally {
          this.processing.delete(key);
          if (this.dirty.delete(key)) this.add(key, this.urgent.delete(key));
        }
      }
    };
    for (let i = 0; i < concurrency; i++) void loop();
  }

  stop(): void {
    this.stopped = true;
    for (const t of [...this.timers.values(), ...this.restTimers.values()]) clearTimeout(t);
    for (const w of this.waiting) w();
  }
}
