// The Store over a Log (log.ts): every rule of the store contract lives here,
// once, whatever keeps the rows (memory.ts, sqlite.ts; an etcd log later,
// docs/store.md):
//
//   - create only if absent (AlreadyExists); update and delete only if present
//     (NotFound) and, with an expected revision, only at it (Conflict);
//   - a watch replays the durable rows after its revision and then hears each
//     new row once durable, in revision order, once per watcher (fan-out);
//   - history is compacted to keep `retainChanges` revisions, and a watch or an
//     exact list older than the compaction is Expired (410 above).
//
// The checks run inside Log.append's `decide`, which sees the key's latest
// version with no other append of it in between: for the local logs that is
// now, in call order, so a caller's later write sees its earlier one even
// before either is durable.
import type { Log, LogRow } from './log.js';
import type { Change, CreateHints, ListOptions, ListResult, Render, Store, StoredItem, Watcher } from './types.js';
import { StoreError } from './types.js';

export interface LogStoreOptions {
  /** How many revisions of history are kept for watches and exact lists (older: Expired). */
  retainChanges?: number;
}

interface WatchEntry {
  prefix: string;
  /** Rows at or below this revision were replayed, or predate the watch. */
  fromRv: number;
  onChange: (c: Change) => void;
}

const expired = (rv: number, compacted: number) => new StoreError('Expired', `too old resource version: ${rv} (${compacted})`);

export class LogStore implements Store {
  private readonly watchers = new Set<WatchEntry>();
  private readonly retain: number;

  constructor(protected readonly log: Log, opts: LogStoreOptions = {}) {
    this.retain = opts.retainChanges ?? 10_000;
    log.onDurable((row) => this.durable(row));
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
    return this.log.append(key, (cur) => {
      if (cur) throw new StoreError('AlreadyExists', `${key} already exists`);
      return { type: 'ADDED', render };
    }, hints);
  }

  update(key: string, render: Render, expectedRv?: number): Promise<StoredItem> {
    return this.log.append(key, (cur) => {
      present(key, cur, expectedRv);
      return { type: 'MODIFIED', render };
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
    await this.log.close();
    this.watchers.clear();
  }

  /** A row became durable: fan it out, and keep the history to its retention. */
  private durable(row: LogRow): void {
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
