// An in-memory Store for tests and benchmarks, with the same semantics as the
// SQLite store: a monotonically increasing revision, NotFound / AlreadyExists
// / Conflict as StoreError, and watches replayed from a retained change log
// (Expired when asked for a revision older than the log keeps).
import type { Change, ListOptions, ListResult, Render, Store, StoredItem, Watcher } from './types.js';
import { StoreError } from './types.js';

export interface MemoryStoreOptions {
  /** How many changes the log keeps for watch resumption. */
  retainChanges?: number;
}

interface WatchEntry {
  prefix: string;
  fromRv: number;
  onChange: (c: Change) => void;
}

export class MemoryStore implements Store {
  private objects = new Map<string, StoredItem>();
  /** Keys in order, rebuilt lazily after inserts/deletes so list() stays cheap between writes. */
  private sortedKeys: string[] | undefined = [];
  private log: Change[] = [];
  /** Changes with rv <= compactedRv are gone from the log. */
  private compactedRv = 0;
  private rv = 0;
  private watchers = new Set<WatchEntry>();
  private closed = false;
  private readonly retain: number;

  constructor(opts: MemoryStoreOptions = {}) {
    this.retain = opts.retainChanges ?? 10_000;
  }

  revision(): number {
    return this.rv;
  }

  async get(key: string): Promise<StoredItem | undefined> {
    const item = this.objects.get(key);
    return item && { ...item };
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
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

  /** The objects under `prefix` at revision `atRv`: today's, with every later change undone (newest first). */
  private listAt(prefix: string, atRv: number, opts: ListOptions): ListResult {
    if (atRv < this.compactedRv) throw new StoreError('Expired', `too old resource version: ${atRv} (${this.compactedRv})`);
    const state = new Map<string, StoredItem>();
    for (const [k, item] of this.objects) if (k.startsWith(prefix)) state.set(k, item);
    for (let i = this.log.length - 1; i >= 0 && this.log[i].rv > atRv; i--) {
      const c = this.log[i];
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

  async count(prefix: string): Promise<number> {
    const keys = this.keys();
    let n = 0;
    for (let i = lowerBound(keys, prefix); i < keys.length && keys[i].startsWith(prefix); i++) n++;
    return n;
  }

  create(key: string, render: Render): Promise<StoredItem> {
    return this.write(() => {
      if (this.objects.has(key)) throw new StoreError('AlreadyExists', `${key} already exists`);
      const rv = this.rv + 1;
      const item = { key, rv, json: render(rv) };
      this.objects.set(key, item);
      this.sortedKeys = undefined;
      return { type: 'ADDED', key, rv, json: item.json };
    });
  }

  update(key: string, render: Render, expectedRv?: number): Promise<StoredItem> {
    return this.write(() => {
      const cur = this.current(key, expectedRv);
      const rv = this.rv + 1;
      const item = { key, rv, json: render(rv) };
      this.objects.set(key, item);
      return { type: 'MODIFIED', key, rv, json: item.json, prevJson: cur.json, prevRv: cur.rv };
    });
  }

  delete(key: string, expectedRv?: number, render?: Render): Promise<StoredItem> {
    return this.write(() => {
      const cur = this.current(key, expectedRv);
      const rv = this.rv + 1;
      const json = render ? render(rv) : cur.json;
      this.objects.delete(key);
      this.sortedKeys = undefined;
      return { type: 'DELETED', key, rv, json, prevJson: cur.json, prevRv: cur.rv };
    });
  }

  watch(prefix: string, fromRv: number, onChange: (c: Change) => void): Watcher {
    if (fromRv > 0 && fromRv < this.compactedRv) {
      throw new StoreError('Expired', `too old resource version: ${fromRv} (${this.compactedRv})`);
    }
    if (fromRv > 0) {
      for (const c of this.log) if (c.rv > fromRv && c.key.startsWith(prefix)) onChange(c);
    }
    const entry: WatchEntry = { prefix, fromRv: Math.max(fromRv, this.rv), onChange };
    this.watchers.add(entry);
    return { stop: () => this.watchers.delete(entry) };
  }

  /** Memory never fails a write. */
  async check(): Promise<Error | undefined> {
    return undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watchers.clear();
  }

  /** Applies the write at once (so writes take effect in call order, like the SQLite store) and resolves on a later microtask. */
  private write(op: () => Change): Promise<StoredItem> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    let change: Change;
    try {
      change = op();
    } catch (e) {
      return Promise.reject(e);
    }
    this.rv = change.rv;
    this.log.push(change);
    if (this.log.length > this.retain * 1.1) {
      const drop = this.log.length - this.retain;
      this.compactedRv = this.log[drop - 1].rv;
      this.log.splice(0, drop);
    }
    for (const w of this.watchers) {
      if (change.rv > w.fromRv && change.key.startsWith(w.prefix)) {
        try {
          w.onChange(change);
        } catch {
          // A failing watcher must not break the writer or other watchers.
        }
      }
    }
    return Promise.resolve({ key: change.key, rv: change.rv, json: change.json });
  }

  private current(key: string, expectedRv?: number): StoredItem {
    const cur = this.objects.get(key);
    if (!cur) throw new StoreError('NotFound', `${key} not found`);
    if (expectedRv !== undefined && cur.rv !== expectedRv) {
      throw new StoreError('Conflict', `${key}: resourceVersion ${expectedRv} is stale (current ${cur.rv})`);
    }
    return cur;
  }

  private keys(): string[] {
    if (!this.sortedKeys) this.sortedKeys = [...this.objects.keys()].sort();
    return this.sortedKeys;
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
