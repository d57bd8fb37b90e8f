// The Store over a Log (log.ts): every rule of the store contract lives here,
// once, whatever keeps the rows (memory.ts, sqlite.ts; an etcd log later,
// docs/store.md):
//
//   - create only if absent (AlreadyExists); update and delete only if present
//     (NotFound) and, with an expected revision, only at it (Conflict);
//   - a watch replays the durable rows after its revision and then hears each
//     new row once durable, in revision order, once per watcher (fan-out);
//   - history is compacted to keep `retainChanges` revisions, and a watch or an
//     exact list older than the compaction is Expired (410 above);
//   - a version written with a TTL is deleted when it falls due, by a DELETED
//     row of its own revision (etcd's lease expiry), unless a later write
//     replaced it; the time is stored with it, so a restart expires what fell
//     due meanwhile, and it runs on an injected clock.
//
// The checks run inside Log.append's `decide`, which sees the key's latest
// version with no other append of it in between: for the local logs that is
// now, in call order, so a caller's later write sees its earlier one even
// before either is durable.
import { realClock, type Clock, type ClockTimer } from '../util/clock.js';
import type { Log, LogRow } from './log.js';
import type { Change, CreateHints, ListOptions, ListResult, Render, Store, StoredItem, Watcher, WriteHints } from './types.js';
import { StoreError } from './types.js';

export interface LogStoreOptions {
  /** How many revisions of history are kept for watches and exact lists (older: Expired). */
  retainChanges?: number;
  /** The clock TTLs are measured on (tests pass a FakeClock). */
  clock?: Clock;
}

interface WatchEntry {
  prefix: string;
  /** Rows at or below this revision were replayed, or predate the watch. */
  fromRv: number;
  onChange: (c: Change) => void;
}

const expired = (rv: number, compacted: number) => new StoreError('Expired', `too old resource version: ${rv} (${compacted})`);

/** An expiry that found its version replaced or gone: nothing to do. */
const NOT_DUE = new Error('not due');

/**
 * How long the expiry waits before it looks again at a version that fell due but has a write in
 * flight (its delete, or a write that may yet fail), or whose delete could not be made durable.
 */
const RETRY_MS = 1000;

/** Versions deleted per expiry timer: a burst that falls due together yields to other work between slices. */
const SLICE = 1000;

export class LogStore implements Store {
  private readonly watchers = new Set<WatchEntry>();
  private readonly retain: number;
  private readonly clock: Clock;
  /** One timer, for the earliest expiry the log holds; none when nothing expires. */
  private timer?: ClockTimer;
  private timerAt = Infinity;
  private closed = false;

  constructor(protected readonly log: Log, opts: LogStoreOptions = {}) {
    this.retain = opts.retainChanges ?? 10_000;
    this.clock = opts.clock ?? realClock;
    log.onDurable((row) => this.durable(row));
    // What fell due while the store was closed goes at once (on the clock's next timer), the rest when due.
    const next = log.nextExpiry();
    if (next !== undefined) this.expireAt(next);
  }

  revision(): number {
    return this.log.currentRevision();
  }

  get(key: string): Promise<StoredItem | undefined> {
    return this.log.get(key);
  }

  list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    if (opts.atRv !== undefined) {
      const compacted = this.log.compactRevision();
      if (opts.atRv < compacted) return Promise.reject(expired(opts.atRv, compacted));
    }
    return this.log.list(prefix, opts);
  }

  count(prefix: string, after?: string): Promise<number> {
    return this.log.count(prefix, after);
  }

  create(key: string, render: Render, hints?: CreateHints): Promise<StoredItem> {
    const expiresAt = this.expiresAt(hints);
    return this.log.append(key, (cur) => {
      if (cur) throw new StoreError('AlreadyExists', `${key} already exists`);
      return { type: 'ADDED', render, expiresAt };
    }, hints);
  }

  update(key: string, render: Render, expectedRv?: number, hints?: WriteHints): Promise<StoredItem> {
    const expiresAt = this.expiresAt(hints);
    return this.log.append(key, (cur) => {
      present(key, cur, expectedRv);
      return { type: 'MODIFIED', render, expiresAt };
    });
  }

  /** When a write's version expires: its TTL from now (none unless positive). */
  private expiresAt(hints: WriteHints | undefined): number | undefined {
    const ttl = hints?.ttlSeconds;
    return ttl !== undefined && ttl > 0 ? this.clock.now() + ttl * 1000 : undefined;
  }

  /** Sweeps at `at`, unless a sweep comes sooner. */
  private expireAt(at: number): void {
    if (this.closed || at >= this.timerAt) return;
    this.timer?.stop();
    this.timerAt = at;
    this.timer = this.clock.setTimeout(() => this.sweep(), at - this.clock.now());
  }

  /**
   * Deletes what has fallen due, then waits for the next expiry. The log holds the times, so
   * nothing about a version that expires is kept in memory here (Events are most writes).
   */
  private sweep(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    let next: number | undefined;
    try {
      const now = this.clock.now();
      const due = this.log.due(now, SLICE);
      for (const e of due) this.expire(e.key, e.rv);
      if (due.length === SLICE) next = now;
      else {
        next = this.log.nextExpiry();
        // Due and still there: held by a write in flight, such as the deletes just appended.
        if (next !== undefined && next <= now) next = now + RETRY_MS;
      }
    } catch {
      // The log could not be read: try again in a while.
      next = this.clock.now() + RETRY_MS;
    }
    if (next !== undefined) this.expireAt(next);
  }

  /**
   * Deletes `key` if version `rv` is still its current one, at a revision of its own, the
   * object stamped with it (as the registry's deletes are).
   */
  private expire(key: string, rv: number): void {
    this.log.append(key, (cur) => {
      if (!cur || cur.rv !== rv) throw NOT_DUE;
      return { type: 'DELETED', render: (at) => stampRevision(cur.json, at) };
    }).catch((e) => {
      // Refused by the rules, or replaced: done. Not durable (a full disk): again in a while.
      if (e === NOT_DUE || e instanceof StoreError) return;
      this.expireAt(this.clock.now() + RETRY_MS);
    });
  }

  delete(key: string, expectedRv?: number, render?: Render): Promise<StoredItem> {
    return this.log.append(key, (cur) => {
      const was = present(key, cur, expectedRv);
      return { type: 'DELETED', render: render ?? (() => was.json) };
    });
  }

  watch(prefix: string, fromRv: number, onChange: (c: Change) => void): Watcher {
    const compacted = this.log.compactRevision();
    if (fromRv > 0 && fromRv < compacted) throw expired(fromRv, compacted);
    const current = this.log.currentRevision();
    if (fromRv > 0 && fromRv < current) this.log.after(prefix, fromRv, onChange);
    // Live from here: every row durable after the replay's end (an append in flight included).
    const entry: WatchEntry = { prefix, fromRv: Math.max(fromRv, current), onChange };
    this.watchers.add(entry);
    return { stop: () => this.watchers.delete(entry) };
  }

  check(): Promise<Error | undefined> {
    return this.log.check();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.timer?.stop();
    await this.log.close();
    this.watchers.clear();
  }

  /** A row became durable: fan it out, keep the history to its retention, schedule its expiry. */
  private durable(row: LogRow): void {
    if (row.expiresAt !== undefined) this.expireAt(row.expiresAt);
    for (const w of this.watchers) {
      if (row.rv > w.fromRv && row.key.startsWith(w.prefix)) {
        try {
          w.onChange(row);
        } catch {
          // A failing watcher must not break the log or other watchers.
        }
      }
    }
    // A little slack, so compaction runs once per tenth of the retention rather than on every row.
    if (row.rv - this.log.compactRevision() > this.retain * 1.1) this.log.compact(row.rv - this.retain);
  }
}

/** The version an update or delete replaces: NotFound when there is none, Conflict when it is not the one expected. */
function present(key: string, cur: StoredItem | undefined, expectedRv: number | undefined): StoredItem {
  if (!cur) throw new StoreError('NotFound', `${key} not found`);
  if (expectedRv !== undefined && cur.rv !== expectedRv) throw new StoreError('Conflict', `${key}: resourceVersion ${expectedRv} is stale (current ${cur.rv})`);
  return cur;
}

/**
 * The object as deleted at revision `rv`: its metadata.resourceVersion set to it, as the
 * etcd3 store stamps a DELETED event's object with the delete's revision. Text that is not
 * such an object is left as it is.
 */
function stampRevision(json: string, rv: number): string {
  try {
    const o = JSON.parse(json);
    if (o && typeof o === 'object' && o.metadata && typeof o.metadata === 'object' && !Array.isArray(o.metadata)) {
      o.metadata.resourceVersion = String(rv);
      return JSON.stringify(o);
    }
  } catch {
    // Not JSON: kept as written.
  }
  return json;
}
