// Records core/v1 Events the way kubelet and controllers do: client-go's
// EventCorrelator sits between a component and the API, and what it does is
// what users see in `kubectl describe`, so it is reproduced here:
//  - a repeat of the same event (same object, reason and message) patches
//    the first one's count ("x3 over 2m") instead of creating another;
//  - similar events (same object and reason, different messages) are
//    aggregated: from the 10th within ten minutes on, they fold into one
//    "(combined from similar events): …" event whose count goes up;
//  - a spam filter lets each source send at most 25 events about one object
//    in a burst, then one per five minutes. A ReplicaSet creating 10,000 pods
//    therefore writes nine SuccessfulCreate events and a combined one that
//    counts 16, not 10,000 events, on a real cluster as here.
// A component's event client may also be rate-limited, as the kubelet's is
// (EventRateLimit below): events then wait in a queue of 1,000 and what does
// not fit is dropped, as client-go's broadcaster drops it. A burst of pods on
// one kubelet therefore leaves most of them without kubelet events, on a real
// node as here (`kubectl describe pod` shows only the scheduler's Scheduled).
import type { KubeObject } from '../../api/types.js';
import type { Client } from '../types.js';
import { refs } from '../types.js';
import { RecentCache } from '../../util/recentcache.js';
import { formatRFC3339 } from '../../api/duration.js';
import { realClock, type Clock, type ClockTimer } from '../../util/clock.js';

export interface EventSource {
  component: string;
  host?: string;
}

/** client-go's defaults (tools/record/events_cache.go). */
export const EVENT_CORRELATION = {
  /** Events a source may send about one object at once… */
  spamBurst: 25,
  /** …then this many per second (one per five minutes). */
  spamQps: 1 / 300,
  /** Similar events (same object and reason) before they are combined. */
  maxSimilar: 10,
  /** Similar events further apart than this start a new group. */
  similarWindowMs: 600_000,
  /** Entries each cache keeps (least recently used go first). */
  cacheSize: 4096,
};

/**
 * The rate a component's event client may write at (token bucket: `qps` per
 * second, `burst` at once; qps 0 is unlimited) and how many events may wait for
 * it (`queue`; more are dropped). The kubelet's: KubeletConfiguration
 * eventRecordQPS 50 and eventBurst 100, client-go's queue of 1,000.
 */
export interface EventRateLimit {
  qps: number;
  burst: number;
  queue?: number;
}

export const KUBELET_EVENT_LIMIT: Required<EventRateLimit> = { qps: 50, burst: 100, queue: 1000 };

/** An event recorded and waiting for the rate limit. */
interface Queued {
  obj: KubeObject;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  fieldPath?: string;
  at: number;
}

/** An event written: its name, its count so far, and the last write about it. */
interface Observed {
  name: string;
  count: number;
  /** The write in flight about it, if any: the next one waits for it. */
  last?: Promise<unknown>;
}

const COMBINED = '(combined from similar events): ';

/** Orders event names made in the same millisecond (client-go's are nanosecond times). */
let nameSeq = 0;

export class EventRecorder {
  /** Events written, by what makes them the same: a repeat patches the count. */
  private observed = new RecentCache<Observed>(EVENT_CORRELATION.cacheSize);
  /** Distinct messages seen per object + reason (at most maxSimilar), for combining similar events. */
  private similar = new RecentCache<{ messages: string[]; last: number }>(EVENT_CORRELATION.cacheSize);
  /**
   * The spam filter's token bucket per object, kept as one number: the time at
   * which the bucket is full again (each event taken pushes it one refill
   * period further). At most a few thousand objects are tracked, so it stays small.
   */
  private spam = new RecentCache<number>(EVENT_CORRELATION.cacheSize);

  /** Events waiting for the rate limit, oldest first from `head`. */
  private queue: Queued[] = [];
  private head = 0;
  /** Write tokens in the bucket, as of `refilledAt`. */
  private tokens = 0;
  private refilledAt = 0;
  private timer?: ClockTimer;
  /** Events dropped because the queue was full (client-go drops them silently). */
  dropped = 0;

  /** `clock`: the time events are stamped with and the rate limit runs on (a test's FakeClock). */
  constructor(private client: Client, private source: EventSource, private limit?: EventRateLimit, private clock: Clock = realClock) {
    if (limit && limit.qps > 0) {
      this.tokens = Math.max(1, limit.burst);
      this.refilledAt = clock.now();
    }
  }

  /** Fire and forget: an event that cannot be written must never break the caller. */
  record(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string): void {
    const at = this.clock.now();
    if (!this.limit || !(this.limit.qps > 0)) {
      this.correlate(obj, type, reason, message, fieldPath, at);
      return;
    }
    if (this.queue.length - this.head >= (this.limit.queue ?? KUBELET_EVENT_LIMIT.queue)) {
      this.dropped++;
      return;
    }
    this.queue.push({ obj, type, reason, message, fieldPath, at });
    this.pump();
  }

  /** Stops writing what is queued (the component is stopping). */
  stop(): void {
    this.timer?.stop();
    this.timer = undefined;
    this.queue = [];
    this.head = 0;
  }

  /** Writes queued events while the bucket has tokens; then waits for the next one. */
  private pump(): void {
    const { qps, burst } = this.limit!;
    while (!this.timer && this.head < this.queue.length) {
      const now = this.clock.now();
      this.tokens = Math.min(Math.max(1, burst), this.tokens + ((now - this.refilledAt) * qps) / 1000);
      this.refilledAt = now;
      if (this.tokens < 1) {
        this.timer = this.clock.setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, Math.ceil(((1 - this.tokens) * 1000) / qps));
        return;
      }
      const e = this.queue[this.head++];
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
      } else if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      // Only a request to the API takes a token: an event the spam filter drops costs none.
      if (this.correlate(e.obj, e.type, e.reason, e.message, e.fieldPath, e.at)) this.tokens -= 1;
    }
  }

  /** The EventCorrelator, then the write. Returns whether a request was sent. */
  private correlate(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath: string | undefined, at: number): boolean {
    const now = this.clock.now();
    // A uid names one object; objects without one (rare) by kind, namespace and name.
    const objKey = obj.metadata.uid ?? `${obj.kind}|${obj.metadata.namespace ?? ''}|${obj.metadata.name}`;
    // Aggregate: the 10th distinct message of a kind about one object becomes the combined event.
    // Keys by join(): one flat string each, where a template literal would be kept as a
    // chain of concatenation nodes (eight for this key) for as long as the cache holds it.
    let key = [objKey, fieldPath ?? '', type, reason, message].join('|');
    const simKey = [objKey, type, reason].join('|');
    let sim = this.similar.get(simKey);
    if (!sim || now - sim.last > EVENT_CORRELATION.similarWindowMs) sim = { messages: [], last: now };
    if (!sim.messages.includes(message)) sim.messages.push(message);
    sim.last = now;
    this.similar.set(simKey, sim);
    if (sim.messages.length >= EVENT_CORRELATION.maxSimilar) {
      sim.messages.shift();
      message = COMBINED + message;
      key = simKey;
    }
    // Spam filter: one token per write, create or count patch alike.
    const period = 1000 / EVENT_CORRELATION.spamQps;
    const fullAt = Math.max(this.spam.get(objKey) ?? now, now);
    if (fullAt - now > (EVENT_CORRELATION.spamBurst - 1) * period) return false; // less than one token left
    this.spam.set(objKey, fullAt + period);
    this.write(obj, key, type, reason, message, fieldPath, at);
    return true;
  }

  /**
   * Creates the event, or patches the count of the one already written. Writes
   * about one event are chained, so a count never reaches the API before the
   * event it counts; a write that fails is dropped (the next repeat creates anew).
   */
  private write(obj: KubeObject, key: string, type: string, reason: string, message: string, fieldPath: string | undefined, at: number): void {
    const ns = obj.metadata.namespace ?? 'default';
    // When it happened, not when the rate limit let it through (client-go stamps events as they are recorded).
    const now = formatRFC3339(at);
    const seen = this.observed.get(key);
    if (seen) {
      const count = ++seen.count;
      const last: Promise<unknown> = (seen.last ?? Promise.resolve())
        .then(() => this.client.patch(refs.events, ns, seen.name, 'merge', { count, lastTimestamp: now, message }))
        .then(() => { if (seen.last === last) seen.last = undefined; }, () => { if (this.observed.get(key) === seen) this.observed.delete(key); });
      seen.last = last;
      return;
    }
    // Unique within the process (a random suffix collided now and then: the event was lost to AlreadyExists).
    const name = `${obj.metadata.name}.${(at * 1000 + (nameSeq++ % 1000)).toString(16)}`;
    const entry: Observed = { name, count: 1 };
    const last: Promise<unknown> = this.client.create(refs.events, {
      apiVersion: 'v1', kind: 'Event',
      metadata: { name, namespace: ns },
      involvedObject: {
        kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name, uid: obj.metadata.uid,
        apiVersion: obj.apiVersion, resourceVersion: obj.metadata.resourceVersion, ...(fieldPath ? { fieldPath } : {}),
      },
      reason, message, type, count: 1,
      source: { component: this.source.component, ...(this.source.host ? { host: this.source.host } : {}) },
      firstTimestamp: now, lastTimestamp: now, eventTime: null,
      reportingComponent: this.source.component, reportingInstance: this.source.host ?? '',
    }).then(() => { if (entry.last === last) entry.last = undefined; }, () => { if (this.observed.get(key) === entry) this.observed.delete(key); });
    entry.last = last;
    this.observed.set(key, entry);
  }
}
