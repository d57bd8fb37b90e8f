// The shape of every control loop in nodeless, as kube-controller-manager
// writes its controllers (k8s.io/sample-controller's controller.go is the
// model; docs/controllers.md says how to write one): informer handlers only
// turn changes into keys on a rate-limited work queue; workers take keys off
// it and call sync(key), which reads the informers' caches, makes the world
// match, and returns, or throws to be retried after the queue's back-off.
import { realClock, type Clock } from '../util/clock.js';
import type { RateLimiter } from './workqueue/ratelimiter.js';
import { WorkQueue } from './workqueue/queue.js';
import { logger, type Logger } from '../util/log.js';

export interface ControllerOptions {
  /** Timers and "now" (default: the wall clock; tests pass a FakeClock). */
  clock?: Clock;
  /** The queue's back-off (default: client-go's DefaultControllerRateLimiter). */
  rateLimiter?: RateLimiter;
  /** Where failed syncs are told as lines (tests); by default, the log of the component named after the controller (util/log.ts). */
  log?: (line: string) => void;
}

export abstract class Controller {
  readonly queue: WorkQueue;
  readonly clock: Clock;
  /** The controller's log (component: its name). */
  protected readonly log: Logger;

  protected constructor(readonly name: string, opts: ControllerOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.log = logger(name);
    this.queue = new WorkQueue({ name, clock: this.clock, rateLimiter: opts.rateLimiter, log: opts.log });
  }

  /**
   * Makes the world match what `key` names, from the informers' caches.
   * Idempotent: called again with nothing changed, it changes nothing. Throws
   * (or rejects) to be retried with back-off.
   */
  abstract sync(key: string): Promise<void>;

  /** Takes one ready key off the queue and syncs it (processNextWorkItem); false if none was ready. */
  processNextWorkItem(): Promise<boolean> {
    return this.queue.processNext((k) => this.sync(k), (k, e) => this.handleErr(k, e));
  }

  /** A failed sync: by default a log line and the key again after its back-off. Controllers that tell users more (an event) override it. */
  protected handleErr(key: string, err: unknown): void {
    this.queue.retry(key, err);
  }

  /** Starts `workers` workers taking keys until stop(). */
  protected runWorkers(workers: number): void {
    this.queue.run((k) => this.sync(k), workers, (k, e) => this.handleErr(k, e));
  }

  stop(): void {
    this.queue.stop();
  }
}
