// The embedded store: one SQLite file (WAL, synchronous=FULL) holding every
// object and a change log that watches are served from.
//
// Writes use group commit: the first write of an event-loop turn opens a
// transaction, later writes of the same turn join it, and one COMMIT (one
// fsync) at the end of the turn makes the whole batch durable. Only then are
// the callers' promises resolved and the changes fanned out to watchers, so an
// acknowledged write survives kill -9 and a half-applied one is never seen.
import Database from 'better-sqlite3';
import type { Change, ChangeType, ListOptions, ListResult, Render, Store, StoredItem, Watcher } from './types.js';
import { StoreError } from './types.js';

const TYPE_CODE: Record<ChangeType, number> = { ADDED: 0, MODIFIED: 1, DELETED: 2 };
const CODE_TYPE: ChangeType[] = ['ADDED', 'MODIFIED', 'DELETED'];

interface Pending {
  change: Change;
  resolve: (item: StoredItem) => void;
  reject: (e: unknown) => void;
}

interface WatchEntry {
  prefix: string;
  fromRv: number;
  onChange: (c: Change) => void;
}

export interface SqliteStoreOptions {
  /** How many changes the log keeps for watch resumption (older → 410 Expired). */
  retainChanges?: number;
  /** How long the first write of a batch waits for others to join its commit (group commit window). */
  commitDelayMs?: number;
  /** How many recently used objects GET serves from memory (0 turns the read cache off). */
  cacheSize?: number;
  /** The most JSON the read cache holds (default 8 MiB): a bound that does not grow with the cluster. */
  cacheBytes?: number;
}

/** A commit of this many writes means the store is busy... */
const BUSY_BATCH = 8;
/** ...and the next batch then gathers writes for this long before its fsync. */
const BUSY_DELAY_MS = 4;

/** Upper bound for a key range scan of everything starting with `prefix`. */
const prefixEnd = (prefix: string) => prefix + '\uffff';

export class SqliteStore implements Store {
  private db: Database.Database;
  private committedRv: number;
  private nextRv: number;
  private compactedRv: number;
  private batch: Pending[] = [];
  private watchers = new Set<WatchEntry>();
  private readonly retain: number;
  private readonly commitDelayMs: number;
  private closed = false;
  private stmts;
  /**
   * Recently read or written objects (key → item), least recently used first.
   * This process is the only writer, so the cache is kept exact on every write
   * and dropped whole if a commit ever fails.
   */
  private cache = new Map<string, StoredItem>();
  private cached = 0;
  /** Writes in the last commit: a measure of load that sets the next group-commit window. */
  private lastBatch = 0;
  private readonly cacheSize: number;
  private readonly cacheBytes: number;

  constructor(file: string, opts: SqliteStoreOptions = {}) {
    this.retain = opts.retainChanges ?? 100_000;
    this.commitDelayMs = opts.commitDelayMs ?? 0;
    this.cacheSize = opts.cacheSize ?? 10_000;
    this.cacheBytes = opts.cacheBytes ?? 8 * 2 ** 20;
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // FULL: every COMMIT is fsynced, so acknowledged writes survive power loss, not just a process kill.
    this.db.pragma('synchronous = FULL');
    // Checkpoint the WAL every ~80 MB instead of every 4 MB: a burst of pod writes is copied into the database file less often.
    this.db.pragma('wal_autocheckpoint = 20000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS objects(key TEXT PRIMARY KEY, rv INTEGER NOT NULL, json TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS changes(rv INTEGER PRIMARY KEY, type INTEGER NOT NULL, key TEXT NOT NULL, json TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS changes_key ON changes(key, rv);
      CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v INTEGER NOT NULL);
    `);
    this.stmts = {
      get: this.db.prepare<[string], { key: string; rv: number; json: string }>('SELECT key, rv, json FROM objects WHERE key = ?'),
      list: this.db.prepare<[string, string, number], { key: string; rv: number; json: string }>(
        'SELECT key, rv, json FROM objects WHERE key > ? AND key < ? ORDER BY key LIMIT ?'),
      count: this.db.prepare<[string, string], { n: number }>('SELECT count(*) AS n FROM objects WHERE key > ? AND key < ?'),
      insert: this.db.prepare('INSERT INTO objects(key, rv, json) VALUES (?, ?, ?)'),
      update: this.db.prepare('UPDATE objects SET rv = ?, json = ? WHERE key = ?'),
      remove: this.db.prepare('DELETE FROM objects WHERE key = ?'),
      log: this.db.prepare('INSERT INTO changes(rv, type, key, json) VALUES (?, ?, ?, ?)'),
      replay: this.db.prepare<[number, number, string, string], { rv: number; type: number; key: string; json: string }>(
        'SELECT rv, type, key, json FROM changes WHERE rv > ? AND rv <= ? AND key >= ? AND key < ? ORDER BY rv'),
      maxRv: this.db.prepare<[], { rv: number | null }>('SELECT max(rv) AS rv FROM changes'),
      getMeta: this.db.prepare<[string], { v: number }>('SELECT v FROM meta WHERE k = ?'),
      setMeta: this.db.prepare('INSERT INTO meta(k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v'),
      compact: this.db.prepare('DELETE FROM changes WHERE rv <= ?'),
    };
    const logRv = this.stmts.maxRv.get()?.rv ?? 0;
    const metaRv = this.stmts.getMeta.get('rv')?.v ?? 0;
    this.committedRv = Math.max(logRv, metaRv);
    this.nextRv = this.committedRv;
    this.compactedRv = this.stmts.getMeta.get('compacted')?.v ?? 0;
  }

  revision(): number {
    return this.committedRv;
  }

  async get(key: string): Promise<StoredItem | undefined> {
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const row = this.stmts.get.get(key);
    if (row) this.remember(row);
    return row;
  }

  private remember(item: StoredItem): void {
    if (this.cacheSize <= 0) return;
    this.forget(item.key);
    this.cache.set(item.key, item);
    this.cached += item.json.length;
    while (this.cache.size > this.cacheSize || this.cached > this.cacheBytes) this.forget(this.cache.keys().next().value!);
  }

  private forget(key: string): void {
    const old = this.cache.get(key);
    if (!old) return;
    this.cache.delete(key);
    this.cached -= old.json.length;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const start = opts.after && opts.after > prefix ? opts.after : prefix;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : -1;
    const rows = this.stmts.list.all(start, prefixEnd(prefix), limit === -1 ? -1 : limit + 1);
    const result: ListResult = { items: rows, rv: this.nextRv };
    if (limit !== -1 && rows.length > limit) {
      rows.length = limit;
      result.continueAfter = rows[rows.length - 1].key;
      result.remaining = this.stmts.count.get(result.continueAfter, prefixEnd(prefix))!.n;
    }
    return result;
  }

  async count(prefix: string, after?: string): Promise<number> {
    return this.stmts.count.get(after && after > prefix ? after : prefix, prefixEnd(prefix))!.n;
  }

  create(key: string, render: Render): Promise<StoredItem> {
    return this.write(() => {
      if (this.stmts.get.get(key)) throw new StoreError('AlreadyExists', `${key} already exists`);
      const rv = ++this.nextRv;
      const json = render(rv);
      this.stmts.insert.run(key, rv, json);
      this.stmts.log.run(rv, TYPE_CODE.ADDED, key, json);
      // Not cached: most objects are read back through watches, and many (Events) never are.
      return { type: 'ADDED', key, rv, json };
    });
  }

  update(key: string, render: Render, expectedRv?: number): Promise<StoredItem> {
    return this.write(() => {
      const cur = this.stmts.get.get(key);
      if (!cur) throw new StoreError('NotFound', `${key} not found`);
      if (expectedRv !== undefined && cur.rv !== expectedRv) throw new StoreError('Conflict', `${key}: resourceVersion ${expectedRv} is stale (current ${cur.rv})`);
      const rv = ++this.nextRv;
      const json = render(rv);
      this.stmts.update.run(rv, json, key);
      this.stmts.log.run(rv, TYPE_CODE.MODIFIED, key, json);
      this.remember({ key, rv, json });
      return { type: 'MODIFIED', key, rv, json, prevJson: cur.json };
    });
  }

  delete(key: string, expectedRv?: number, render?: Render): Promise<StoredItem> {
    return this.write(() => {
      const cur = this.stmts.get.get(key);
      if (!cur) throw new StoreError('NotFound', `${key} not found`);
      if (expectedRv !== undefined && cur.rv !== expectedRv) throw new StoreError('Conflict', `${key}: resourceVersion ${expectedRv} is stale (current ${cur.rv})`);
      const rv = ++this.nextRv;
      const json = render ? render(rv) : cur.json;
      this.stmts.remove.run(key);
      this.stmts.log.run(rv, TYPE_CODE.DELETED, key, json);
      this.forget(key);
      return { type: 'DELETED', key, rv, json, prevJson: cur.json };
    });
  }

  /** Runs one write inside the turn's transaction; settles after the batch commits. */
  private write(op: () => Change): Promise<StoredItem> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    if (this.batch.length === 0) {
      this.db.exec('BEGIN IMMEDIATE');
      // A short window lets concurrent requests share one fsync; the commit blocks the loop, so fewer is better.
      // Under load (the last commit carried many writes) the window opens by itself: a burst of 10k pods
      // then pays for one fsync per few hundred writes, while a lone kubectl write still commits at once.
      const delay = this.commitDelayMs || (this.lastBatch >= BUSY_BATCH ? BUSY_DELAY_MS : 0);
      if (delay > 0) setTimeout(() => this.commit(), delay);
      else setImmediate(() => this.commit());
    }
    let change: Change;
    try {
      change = op();
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise((resolve, reject) => this.batch.push({ change, resolve, reject }));
  }

  private commit(): void {
    const batch = this.batch;
    if (batch.length === 0) {
      // Every op of the turn failed its precondition: nothing to make durable.
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      return;
    }
    this.batch = [];
    this.lastBatch = batch.length;
    const rv = this.nextRv;
    try {
      this.stmts.setMeta.run('rv', rv);
      if (rv - this.compactedRv > this.retain * 1.1) {
        this.compactedRv = rv - this.retain;
        this.stmts.compact.run(this.compactedRv);
        this.stmts.setMeta.run('compacted', this.compactedRv);
      }
      this.db.exec('COMMIT');
    } catch (e) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      this.nextRv = this.committedRv;
      this.cache.clear();
      this.cached = 0;
      for (const p of batch) p.reject(e);
      return;
    }
    this.committedRv = rv;
    for (const p of batch) {
      const c = p.change;
      p.resolve({ key: c.key, rv: c.rv, json: c.json });
    }
    if (this.watchers.size === 0) return;
    for (const p of batch) this.fanOut(p.change);
  }

  private fanOut(c: Change): void {
    for (const w of this.watchers) {
      if (c.rv > w.fromRv && c.key.startsWith(w.prefix)) {
        try {
          w.onChange(c);
        } catch {
          // A failing watcher must not break the writer or other watchers.
        }
      }
    }
  }

  watch(prefix: string, fromRv: number, onChange: (c: Change) => void): Watcher {
    if (fromRv > 0 && fromRv < this.compactedRv) {
      throw new StoreError('Expired', `too old resource version: ${fromRv} (${this.compactedRv + 1})`);
    }
    if (fromRv > 0 && fromRv < this.committedRv) {
      for (const row of this.stmts.replay.iterate(fromRv, this.committedRv, prefix, prefixEnd(prefix))) {
        onChange({ type: CODE_TYPE[row.type], key: row.key, rv: row.rv, json: row.json });
      }
    }
    // Live changes: anything committed after the replay point (the batch in flight, if any, included).
    const entry: WatchEntry = { prefix, fromRv: Math.max(fromRv, this.committedRv), onChange };
    this.watchers.add(entry);
    return { stop: () => this.watchers.delete(entry) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.commit();
    this.closed = true;
    this.watchers.clear();
    this.db.close();
  }
}
