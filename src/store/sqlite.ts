// The embedded log: one SQLite file (WAL, synchronous=FULL) holding every
// object and the change log that watches are served from (layout:
// sqlite-schema.ts). The store's rules are logstore.ts's; this file makes
// rows durable, fast.
//
// Reads run on this thread's connection; writes are committed by a writer
// thread (sqlite-writer.ts) so the fsync and the page copying never block the
// API server. Group commit falls out of that: while the writer commits one
// batch (and has the next queued), the writes that arrive meanwhile gather
// into the one after. A write's
// promise settles, and its change is fanned out to watchers, only after its
// batch committed, so an acknowledged write survives kill -9 and a
// half-applied one is never seen.
//
// Until then a write lives in `pending` (key → newest uncommitted version),
// which reads consult first: a caller reads its own in-flight writes, as it
// would inside one transaction.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { openDatabase, TYPE_CODE, type ProbeReply, type WriteBatch, type WriterReply } from './sqlite-schema.js';
import type { Expiring, Log, LogRow, Row } from './log.js';
import type { Clock } from '../util/clock.js';
import { LogStore } from './logstore.js';
import type { Change, CreateHints, ListOptions, ListResult, StoredItem } from './types.js';
import { StoreError } from './types.js';
import { RecentCache } from '../util/recentcache.js';
import { KeyFilter } from './keyfilter.js';

const CODE_TYPE = ['ADDED', 'MODIFIED', 'DELETED'] as const;

interface Pending {
  change: LogRow;
  /** Keep the committed object in the read cache (updates always are; creates when asked). */
  cache: boolean;
  resolve: (item: StoredItem) => void;
  reject: (e: unknown) => void;
}

export interface SqliteStoreOptions {
  /** How many changes the log keeps for watch resumption (older → 410 Expired). */
  retainChanges?: number;
  /** How many recently used objects GET serves from memory (0 turns the read cache off). */
  cacheSize?: number;
  /** The most JSON the read cache holds (default 4 MiB): a bound that does not grow with the cluster. */
  cacheBytes?: number;
  /** The clock TTLs are measured on (default: the wall clock). */
  clock?: Clock;
}

/** Batches the writer may hold at once: one committing, one queued behind it so it never waits for this thread. */
const MAX_INFLIGHT = 2;

/** Upper bound for a key range scan of everything starting with `prefix`. */
const prefixEnd = (prefix: string) => prefix + '\uffff';

/** The writer thread, started from this file's own kind (.ts under tsx, .js once compiled). */
function startWriter(file: string): Worker {
  const self = fileURLToPath(import.meta.url);
  const writer = new URL(`./sqlite-writer${path.extname(self)}`, import.meta.url).href;
  if (writer.endsWith('.js')) return new Worker(new URL(writer), { workerData: { file } });
  // A worker does not inherit the tsx loader that `bin/nodeless.js` registered: register it there too.
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(writer)}); })`;
  return new Worker(boot, { eval: true, workerData: { file } });
}

export class SqliteLog implements Log {
  private db: Database.Database;
  private writer: Worker;
  private committedRv: number;
  private nextRv: number;
  private compactedRv: number;
  /** Writes gathering for the next commit. */
  private batch: Pending[] = [];
  /** Batches handed to the writer and not yet answered, oldest first. */
  private inflight: { epoch: number; writes: Pending[] }[] = [];
  /** Bumped when a commit fails: batches of an older epoch are refused by the writer. */
  private epoch = 0;
  private sendScheduled = false;
  /** Uncommitted versions by key (undefined json: deleted), newest first in line for reads. */
  private pending = new Map<string, { rv: number; json?: string }>();
  /** Set when the writer thread died: every later write fails with it. */
  private broken: Error | undefined;
  /** Why the last commit failed, until a later commit or probe succeeds (readiness: check()). */
  private failure: Error | undefined;
  /** The bytes the failed commit wanted to write: a probe is worth trying once the disk has that much free. */
  private failedBytes = 0;
  /** A probe the writer has not answered yet, shared by whoever asks meanwhile. */
  private probing?: { promise: Promise<Error | undefined>; resolve: (e: Error | undefined) => void };
  private drained: (() => void)[] = [];
  private listener: (row: LogRow) => void = () => {};
  /** Compact to this revision with the next batch (compact()). */
  private compactTarget = 0;
  private closed = false;
  private stmts;
  /**
   * Recently read or committed objects (key → item), bounded by count and bytes.
   * This process is the only writer, so the cache is kept exact on every commit
   * and dropped whole if a commit ever fails.
   */
  private cache: RecentCache<StoredItem>;
  /** Which keys may exist: a create of a key it has never seen skips the read (keyfilter.ts). */
  private keys: KeyFilter;

  constructor(private readonly file: string, opts: SqliteStoreOptions = {}) {
    this.cache = new RecentCache<StoredItem>(opts.cacheSize ?? 10_000, opts.cacheBytes ?? 4 * 2 ** 20, (item) => item.json.length);
    this.db = openDatabase(file);
    const current = 'SELECT o.key AS key, o.rv AS rv, c.json AS json FROM objects o JOIN changes c ON c.rv = o.rv';
    this.stmts = {
      get: this.db.prepare<[string], { key: string; rv: number; json: string }>(`${current} WHERE o.key = ?`),
      keys: this.db.prepare<[], string>('SELECT key FROM objects').pluck(),
      total: this.db.prepare<[], number>('SELECT count(*) FROM objects').pluck(),
      list: this.db.prepare<[string, string, number], { key: string; rv: number; json: string }>(
        `${current} WHERE o.key > ? AND o.key < ? ORDER BY o.key LIMIT ?`),
      count: this.db.prepare<[string, string], { n: number }>('SELECT count(*) AS n FROM objects WHERE key > ? AND key < ?'),
      replay: this.db.prepare<[number, number, string, string], { rv: number; type: number; key: string; json: string; prev: number | null; prevJson: string | null }>(
        `SELECT c.rv, c.type, c.key, c.json, c.prev, p.json AS prevJson FROM changes c LEFT JOIN changes p ON p.rv = c.prev
         WHERE c.rv > ? AND c.rv <= ? AND c.key >= ? AND c.key < ? ORDER BY c.rv`),
      later: this.db.prepare<[number, string, string], { type: number; key: string; prev: number | null }>(
        'SELECT type, key, prev FROM changes WHERE rv > ? AND key >= ? AND key < ? ORDER BY rv'),
      due: this.db.prepare<[number], { key: string; rv: number; expires: number }>(
        'SELECT key, rv, expires FROM objects WHERE expires IS NOT NULL AND expires <= ? ORDER BY expires'),
      nextExpiry: this.db.prepare<[], number | null>('SELECT min(expires) FROM objects WHERE expires IS NOT NULL').pluck(),
      version: this.db.prepare<[number], { key: string; rv: number; json: string }>('SELECT key, rv, json FROM changes WHERE rv = ?'),
      maxRv: this.db.prepare<[], { rv: number | null }>('SELECT max(rv) AS rv FROM changes'),
      getMeta: this.db.prepare<[string], { v: number }>('SELECT v FROM meta WHERE k = ?'),
    };
    const logRv = this.stmts.maxRv.get()?.rv ?? 0;
    const metaRv = this.stmts.getMeta.get('rv')?.v ?? 0;
    this.committedRv = Math.max(logRv, metaRv);
    this.nextRv = this.committedRv;
    this.compactedRv = this.stmts.getMeta.get('compacted')?.v ?? 0;
    this.keys = this.keyFilter();
    this.writer = startWriter(file);
    this.writer.on('message', (r: WriterReply | ProbeReply) => ('probe' in r ? this.probed(r) : this.committed(r)));
    this.writer.on('error', (e) => this.fail(e));
    this.writer.on('exit', () => this.fail(new Error('the store writer thread exited')));
    // An idle writer does not keep the process alive; one with a batch in flight does.
    this.writer.unref();
  }

  currentRevision(): number {
    return this.committedRv;
  }

  compactRevision(): number {
    return this.compactedRv;
  }

  /**
   * Whether the store can commit. After a failed commit (a full disk, say) it cannot until the
   * disk has room for what that commit wanted to write (a small write may still fit where a
   * real one does not), and the writer then commits a probe; the answer holds until a commit
   * succeeds or fails again.
   */
  check(): Promise<Error | undefined> {
    if (this.broken) return Promise.resolve(this.broken);
    if (!this.failure || this.closed) return Promise.resolve(undefined);
    if (this.freeBytes() < this.failedBytes) return Promise.resolve(this.failure);
    if (!this.probing) {
      let resolve!: (e: Error | undefined) => void;
      const promise = new Promise<Error | undefined>((r) => (resolve = r));
      this.probing = { promise, resolve };
      this.writer.postMessage('probe');
    }
    return this.probing.promise;
  }

  /** Free bytes on the store's file system (Infinity when it cannot tell). */
  private freeBytes(): number {
    try {
      const st = fs.statfsSync(this.file);
      return st.bavail * st.bsize;
    } catch {
      return Infinity;
    }
  }

  private probed(reply: ProbeReply): void {
    const p = this.probing;
    this.probing = undefined;
    if (reply.ok) this.failure = undefined;
    else this.failure = new Error(`store commit failed: ${reply.message}`);
    p?.resolve(this.failure);
  }

  async get(key: string): Promise<StoredItem | undefined> {
    return this.lookup(key);
  }

  /**
   * The newest version of `key`: an uncommitted write, else the read cache, else the file,
   * which is not read for a key the key filter has never seen (nearly every create's).
   */
  private lookup(key: string): StoredItem | undefined {
    const p = this.pending.get(key);
    if (p) return p.json === undefined ? undefined : { key, rv: p.rv, json: p.json };
    if (!this.keys.mightHave(key)) return undefined;
    const hit = this.cache.get(key);
    if (hit) return hit;
    this.reading();
    const row = this.stmts.get.get(key);
    if (row) this.cache.set(key, row);
    return row;
  }

  /**
   * Reads of one event-loop turn share one read transaction: each commit of the writer
   * thread empties this connection's page cache, and re-validating it once per turn,
   * not once per statement, spares a B-tree's worth of page reads per lookup. The
   * transaction ends before the next writer answer is handled, so nothing the writer
   * acknowledged is ever read from an older snapshot.
   */
  private reading(): void {
    if (this.db.inTransaction) return;
    this.db.exec('BEGIN');
    setImmediate(() => this.doneReading());
  }

  private doneReading(): void {
    if (this.db.inTransaction) this.db.exec('COMMIT');
  }

  /**
   * A filter of every key there is: those committed (read outside any open read
   * transaction, which could predate the last commits) and those still pending.
   */
  private keyFilter(): KeyFilter {
    this.doneReading();
    const f = new KeyFilter(Math.max(2 * (this.stmts.total.get()! + this.pending.size), 50_000));
    for (const k of this.stmts.keys.iterate()) f.add(k);
    for (const [k, p] of this.pending) if (p.json !== undefined) f.add(k);
    return f;
  }

  /**
   * Committed objects only: a list is consistent with one snapshot of the file, and its
   * revision is that snapshot's (which may run ahead of writes whose commit is still being
   * acknowledged; a watch from it then skips them, as it should).
   */
  async list(prefix: string, opts: ListOptions): Promise<ListResult> {
    if (opts.atRv !== undefined) return this.listAt(prefix, opts.atRv, opts);
    const start = opts.after && opts.after > prefix ? opts.after : prefix;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : -1;
    return this.db.transaction(() => {
      const rows = this.stmts.list.all(start, prefixEnd(prefix), limit === -1 ? -1 : limit + 1);
      // The writer records each batch's revision in `meta` with the batch: this snapshot's revision.
      const rv = Math.max(this.committedRv, this.stmts.getMeta.get('rv')?.v ?? 0);
      const result: ListResult = { items: rows, rv };
      if (limit !== -1 && rows.length > limit) {
        rows.length = limit;
        result.continueAfter = rows[rows.length - 1].key;
        result.remaining = this.stmts.count.get(result.continueAfter, prefixEnd(prefix))!.n;
      }
      return result;
    })();
  }

  /**
   * The objects under `prefix` at revision `atRv`, from one snapshot of the file: today's
   * objects, except those changed since, which are as their first later change found them
   * (absent if it created them). Expired when a version that takes is gone (a file of the
   * layout before `prev` lost it).
   */
  private listAt(prefix: string, atRv: number, opts: ListOptions): ListResult {
    const expired = () => new StoreError('Expired', `too old resource version: ${atRv} (${this.compactedRv})`);
    const end = prefixEnd(prefix);
    return this.db.transaction(() => {
      const changed = new Map<string, { type: number; prev: number | null }>();
      for (const row of this.stmts.later.iterate(atRv, prefix, end)) if (!changed.has(row.key)) changed.set(row.key, row);
      const state: StoredItem[] = this.stmts.list.all(prefix, end, -1).filter((i) => !changed.has(i.key));
      for (const [key, first] of changed) {
        if (first.type === TYPE_CODE.ADDED) continue;
        const was = first.prev === null ? undefined : this.stmts.version.get(first.prev);
        if (!was || was.key !== key) throw expired();
        state.push(was);
      }
      state.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      let items = opts.after ? state.filter((i) => i.key > opts.after!) : state;
      const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
      if (items.length <= limit) return { items, rv: atRv };
      const remaining = items.length - limit;
      items = items.slice(0, limit);
      return { items, rv: atRv, continueAfter: items[items.length - 1].key, remaining };
    })();
  }

  async count(prefix: string, after?: string): Promise<number> {
    return this.stmts.count.get(after && after > prefix ? after : prefix, prefixEnd(prefix))!.n;
  }

  after(prefix: string, rv: number, each: (c: Change) => void): void {
    for (const row of this.stmts.replay.iterate(rv, this.committedRv, prefix, prefixEnd(prefix))) {
      const c: Change = { type: CODE_TYPE[row.type], key: row.key, rv: row.rv, json: row.json };
      if (row.prevJson !== null) {
        c.prevJson = row.prevJson;
        c.prevRv = row.prev!;
      }
      each(c);
    }
  }

  /** Decides and renders the row now; settles once the batch it joins has committed. */
  append(key: string, decide: (cur: StoredItem | undefined) => Row, hints?: CreateHints): Promise<StoredItem> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    if (this.broken) return Promise.reject(this.broken);
    const cur = this.lookup(key);
    let row: Row;
    try {
      row = decide(cur);
    } catch (e) {
      return Promise.reject(e);
    }
    const rv = ++this.nextRv;
    const change: LogRow = { type: row.type, key, rv, json: row.render(rv) };
    if (cur && row.type !== 'ADDED') {
      change.prevJson = cur.json;
      change.prevRv = cur.rv;
    }
    if (row.expiresAt !== undefined) change.expiresAt = row.expiresAt;
    if (row.type === 'ADDED') {
      if (this.keys.full) this.keys = this.keyFilter();
      this.keys.add(key);
    }
    this.pending.set(key, { rv, json: row.type === 'DELETED' ? undefined : change.json });
    if (this.inflight.length < MAX_INFLIGHT && !this.sendScheduled) {
      // The rest of this turn's writes join the batch; then it goes to the writer.
      this.sendScheduled = true;
      setImmediate(() => this.send());
    }
    // Creates are cached only when asked: most objects are read back through watches, and many (Events) never are.
    const cache = row.type !== 'ADDED' || hints?.readSoon === true;
    return new Promise((resolve, reject) => this.batch.push({ change, cache, resolve, reject }));
  }

  /** From the index on `objects.expires`, in expiry order; keys with a write in flight are skipped. */
  due(now: number, limit: number): Expiring[] {
    this.reading();
    const due: Expiring[] = [];
    for (const row of this.stmts.due.iterate(now)) {
      if (this.pending.has(row.key)) continue;
      due.push({ key: row.key, rv: row.rv });
      if (due.length === limit) break;
    }
    return due;
  }

  nextExpiry(): number | undefined {
    this.reading();
    return this.stmts.nextExpiry.get() ?? undefined;
  }

  onDurable(fn: (row: LogRow) => void): void {
    this.listener = fn;
  }

  /** Takes effect with the next batch: from then on, the rows it drops are refused as Expired. */
  compact(rv: number): void {
    this.compactTarget = Math.max(this.compactTarget, rv);
  }

  /** Hands the gathered writes to the writer thread as one transaction. */
  private send(): void {
    this.sendScheduled = false;
    if (this.inflight.length >= MAX_INFLIGHT || this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    this.inflight.push({ epoch: this.epoch, writes: batch });
    const msg: WriteBatch = { epoch: this.epoch, ops: batch.map(({ change: c }) => [TYPE_CODE[c.type], c.key, c.rv, c.json, c.prevRv ?? null, c.expiresAt ?? null]), rv: batch[batch.length - 1].change.rv };
    if (this.compactTarget > this.compactedRv) {
      // Watches older than this now get 410 Expired, before the rows are gone.
      msg.compactFrom = this.compactedRv;
      this.compactedRv = msg.compactTo = Math.min(this.compactTarget, msg.rv);
    }
    this.writer.ref();
    this.writer.postMessage(msg);
  }

  /** The writer's answer for the batch in flight. */
  private committed(reply: WriterReply): void {
    this.doneReading();
    const sent = this.inflight.shift();
    if (!sent) return;
    if (this.inflight.length === 0) this.writer.unref();
    const batch = sent.writes;
    if (sent.epoch < this.epoch) {
      // Sent before an earlier batch failed, and refused by the writer for it: the store was rolled back then.
      const err = new Error(`store commit failed: ${reply.ok ? 'an earlier commit failed' : reply.message}`);
      for (const p of batch) p.reject(err);
      this.settle();
      return;
    }
    if (!reply.ok) {
      this.failure = new Error(`store commit failed: ${reply.message}`);
      // Each version is written twice (the WAL, then the checkpoint into the file), with room for the pages around it.
      this.failedBytes = 2 * batch.reduce((n, p) => n + p.change.json.length + p.change.key.length + 64, 0) + 64 * 1024;
      this.rollback(batch, this.failure);
      return;
    }
    this.committedRv = batch[batch.length - 1].change.rv;
    this.failure = undefined;
    for (const { change: c, cache } of batch) {
      if (this.pending.get(c.key)?.rv === c.rv) this.pending.delete(c.key);
      if (c.type === 'DELETED') this.cache.delete(c.key);
      else if (cache) this.cache.set(c.key, { key: c.key, rv: c.rv, json: c.json });
    }
    for (const p of batch) {
      const c = p.change;
      p.resolve({ key: c.key, rv: c.rv, json: c.json });
    }
    for (const p of batch) this.listener(p.change);
    if (this.batch.length > 0) this.send();
    else this.settle();
  }

  /**
   * A failed commit: its writes, and the ones gathered after it (they were checked
   * against the failed ones), are refused; the store goes back to what is on disk.
   */
  private rollback(batch: Pending[], err: Error): void {
    const later = this.batch;
    this.batch = [];
    this.epoch++;
    this.pending.clear();
    this.cache.clear();
    this.nextRv = this.committedRv;
    // A compaction sent with the failed batch did not happen: the next one starts where the file says.
    this.doneReading();
    this.compactedRv = this.stmts.getMeta.get('compacted')?.v ?? 0;
    for (const p of [...batch, ...later]) p.reject(err);
    this.settle();
  }

  private fail(e: unknown): void {
    if (this.closed && this.inflight.length === 0) return;
    this.broken ??= e instanceof Error ? e : new Error(String(e));
    const sent = this.inflight.flatMap((b) => b.writes);
    this.inflight = [];
    this.rollback(sent, this.broken);
  }

  private settle(): void {
    if (this.inflight.length > 0 || this.batch.length > 0) return;
    for (const d of this.drained.splice(0)) d();
  }

  /** Commits what is pending, then stops the writer and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (!this.broken && (this.inflight.length > 0 || this.batch.length > 0)) {
      await new Promise<void>((resolve) => {
        this.drained.push(resolve);
        this.send();
      });
    }
    this.closed = true;
    this.probing?.resolve(undefined);
    if (!this.broken) {
      const exited = new Promise((r) => this.writer.once('exit', r));
      this.writer.ref();
      this.writer.postMessage('close');
      await exited;
    }
    this.doneReading();
    this.db.close();
  }
}

/** The Store nodeless runs on: the store layer over a SqliteLog. */
export class SqliteStore extends LogStore {
  constructor(file: string, opts: SqliteStoreOptions = {}) {
    super(new SqliteLog(file, opts), { retainChanges: opts.retainChanges ?? 100_000, clock: opts.clock });
  }
}
