// The log a Store is built on. kine (k3s-io/kine, pkg/logstructured) serves
// etcd's API from a SQL table of appended rows: each write is a new row that
// names the version it replaced, and one layer above the table decides what
// may be appended. nodeless does the same: logstore.ts is that layer (the
// preconditions, NotFound / AlreadyExists / Conflict, watch fan-out, Expired,
// compaction, TTL) and a backend is only a Log (memory.ts, sqlite.ts), so the
// backends cannot disagree on a rule. docs/store.md says how an etcd backend
// would be one.
import type { Change, ChangeType, CreateHints, ListOptions, ListResult, Render, StoredItem } from './types.js';

/** The row the store layer decided to append for a key, given the key's latest version. */
export interface Row {
  type: ChangeType;
  /** The row's JSON, given the revision the log numbers it with. */
  render: Render;
  /** When the version expires (ms since the epoch): the store layer deletes it then. */
  expiresAt?: number;
}

/**
 * A durable row as the log hands it to the store layer. A log that expires versions itself
 * (etcd's leases) leaves `expiresAt` out, and the layer schedules nothing.
 */
export interface LogRow extends Change {
  expiresAt?: number;
}

/** A durable current version that has fallen due. */
export interface Expiring {
  key: string;
  rv: number;
}

export interface Log {
  /** The revision of the last durable row (the store's revision). */
  currentRevision(): number;
  /** History at or below this revision may be gone: reading it is Expired. */
  compactRevision(): number;
  /** The newest version of `key`, including rows appended and not yet durable (a writer reads its own writes). */
  get(key: string): Promise<StoredItem | undefined>;
  /**
   * Durable objects under `prefix` in key order, or, with `atRv`, as they were at that revision
   * (StoreError('Expired') when the log no longer holds a version that takes).
   */
  list(prefix: string, opts: ListOptions): Promise<ListResult>;
  /** Durable keys under `prefix` (strictly after `after`, when given). */
  count(prefix: string, after?: string): Promise<number>;
  /**
   * The durable rows under `prefix` with a revision above `rv`, oldest first, each with the
   * version it replaced (a watch's replay). Called only for `rv` at or above compactRevision().
   */
  after(prefix: string, rv: number, each: (c: Change) => void): void;
  /**
   * Appends one row for `key`. `decide` sees the key's latest version (undefined: absent) and
   * returns the row, or throws to refuse it; no other append of the key comes between the two.
   * The log numbers the row with the next revision, names the version it replaced (MODIFIED,
   * DELETED), and settles once the row is durable. Appends of one key apply in call order.
   */
  append(key: string, decide: (cur: StoredItem | undefined) => Row, hints?: CreateHints): Promise<StoredItem>;
  /** The store layer's subscription: each row once durable, in revision order, before the next row's. */
  onDurable(fn: (row: LogRow) => void): void;
  /** May drop what only revisions at or below `rv` need (never a key's current version). */
  compact(rv: number): void;
  /** Why appends fail now (a full disk, a dead writer), or undefined when they can be durable. */
  check(): Promise<Error | undefined>;
  /**
   * Up to `limit` durable current versions whose expiry is at or before `now`, earliest first,
   * leaving out keys with a row not yet durable (it replaces the version, whatever it is).
   */
  due(now: number, limit: number): Expiring[];
  /** The earliest expiry of a durable current version (none: undefined). */
  nextExpiry(): number | undefined;
  /** Makes what was appended durable, then closes. */
  close(): Promise<void>;
}
