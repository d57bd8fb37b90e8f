// The in-memory log, for tests and benchmarks: every row is durable the moment
// it is appended (the promise settles on a later microtask), history is an
// array of rows, and a list at an old revision undoes the later rows. The
// store's rules are logstore.ts's, as for the SQLite log.
import type { Expiring, Log, LogRow, Row } from './log.js';
import { LogStore } from './logstore.js';
import type { Clock } from '../util/clock.js';
import type { ListOptions, ListResult, StoredItem } from './types.js';

export interface MemoryStoreOptions {
  /** How many revisions of history are kept for watch resumption. */
  retainChanges?: number;
  /** The clock TTLs are measured on (default: the wall clock). */
  clock?: Clock;
}

export class MemoryLog implements Log {
  private objects = new Map<string, StoredItem>();
  /** Keys in order, rebuilt lazily after inserts/deletes so list() stays cheap between writes. */
  private sortedKeys: string[] | undefined = [];
  /** Rows above compactedRv, oldest first. */
  private rows: LogRow[] = [];
  private compactedRv = 0;
  private rv = 0;
  /** When each current version that expires does. */
  private expires = new Map<string, number>();
  private closed = false;
  private listener: (row: LogRow) => void = () => {};

  currentRevision(): number {
    return this.rv;
  }

  compactRevision(): number {
    return this.compactedRv;
  }

  async get(key: string): Promise<StoredItem | undefined> {
    const item = this.objects.get(key);
    return item && { ...item };
  }

  async list(prefix: string, opts: ListOptions): Promise<ListResult> {
    if (opts.atRv !== undefined && opts.atRv < this.rv) return this.listAt(prefix, opts.atRv, opts);
    const keys = this.keys();
    let i = lowerBound(keys, opts.after && opts.after > prefix ? opts.after : prefix);
    if (i < keys.length && opts.after && keys[i] === opts.after) i++;
    const items: StoredItem[] = [];
    const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
    for (; i < keys.length && keys[i].startsWith(prefix); i++) {
      if (items.length === limit) {
        let remaining = 0;
        for (let j = i; j < keys.length && keys[j].startsWith(prefix); j++) remaining++;
        return { items, rv: this.rv, continueAfter: items[items.length - 1].key, remaining };
      }
      items.push({ ...this.objects.get(keys[i])! });
    }
    return { items, rv: this.rv };
  }

  /** The objects under `prefix` at revision `atRv`: today's, with every later row undone (newest first). */
  private listAt(prefix: string, atRv: number, opts: ListOptions): ListResult {
    const state = new Map<string, StoredItem>();
    for (const [k, item] of this.objects) if (k.startsWith(prefix)) state.set(k, item);
    for (let i = this.rows.length - 1; i >= 0 && this.rows[i].rv > atRv; i--) {
      const c = this.rows[i];
      if (!c.key.startsWith(prefix)) continue;
      if (c.type === 'ADDED') state.delete(c.key);
      else state.set(c.key, { key: c.key, rv: c.prevRv!, json: c.prevJson! });
    }
    const keys = [...state.keys()].filter((k) => !opts.after || k > opts.after).sort();
    const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
    const items = keys.slice(0, limit).map((k) => ({ ...state.get(k)! }));
    if (keys.length <= limit) return { items, rv: atRv };
    return { items, rv: atRv, continueAfter: items[items.length - 1].key, remaining: keys.length - limit };
  }

  async count(prefix: string, after?: string): Promise<number> {
    const keys = this.keys();
    let n = 0;
    for (let i = lowerBound(keys, after && after > prefix ? after : prefix); i < keys.length && keys[i].startsWith(prefix); i++) {
      if (keys[i] !== after) n++;
    }
    return n;
  }

  after(prefix: string, rv: number, each: (c: LogRow) => void): void {
    for (const c of this.rows) if (c.rv > rv && c.key.startsWith(prefix)) each(c);
  }

  /** Applies the row at once (so rows take effect in call order, as the SQLite log's) and settles on a later microtask. */
  append(key: string, decide: (cur: StoredItem | undefined) => Row): Promise<StoredItem> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    const cur = this.objects.get(key);
    let row: Row;
    try {
      row = decide(cur);
    } catch (e) {
      return Promise.reject(e);
    }
    const rv = ++this.rv;
    const c: LogRow = { type: row.type, key, rv, json: row.render(rv) };
    if (cur && row.type !== 'ADDED') {
      c.prevJson = cur.json;
      c.prevRv = cur.rv;
    }
    if (row.expiresAt !== undefined) {
      c.expiresAt = row.expiresAt;
      this.expires.set(key, row.expiresAt);
    } else this.expires.delete(key);
    if (c.type === 'DELETED') this.objects.delete(key);
    else this.objects.set(key, { key, rv, json: c.json });
    if (c.type !== 'MODIFIED') this.sortedKeys = undefined;
    this.rows.push(c);
    this.listener(c);
    return Promise.resolve({ key, rv, json: c.json });
  }

  onDurable(fn: (row: LogRow) => void): void {
    this.listener = fn;
  }

  compact(rv: number): void {
    let drop = 0;
    while (drop < this.rows.length && this.rows[drop].rv <= rv) drop++;
    this.rows.splice(0, drop);
    this.compactedRv = Math.max(this.compactedRv, rv);
  }

  /** A scan: the memory log serves tests, with few versions that expire. */
  due(now: number, limit: number): Expiring[] {
    const due: { key: string; at: number }[] = [];
    for (const [key, at] of this.expires) if (at <= now) due.push({ key, at });
    return due.sort((a, b) => a.at - b.at).slice(0, limit).map(({ key }) => ({ key, rv: this.objects.get(key)!.rv }));
  }

  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const at of this.expires.values()) if (next === undefined || at < next) next = at;
    return next;
  }

  /** Memory never fails a write. */
  async check(): Promise<Error | undefined> {
    return undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private keys(): string[] {
    if (!this.sortedKeys) this.sortedKeys = [...this.objects.keys()].sort();
    return this.sortedKeys;
  }
}

/** A Store kept in memory: the store layer over a MemoryLog. */
export class MemoryStore extends LogStore {
  constructor(opts: MemoryStoreOptions = {}) {
    super(new MemoryLog(), { retainChanges: opts.retainChanges ?? 10_000, clock: opts.clock });
  }
}

/** First index whose key is >= `key`. */
function lowerBound(keys: string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
