// The store contract: a versioned key/value store with a change feed.
// The API layer only ever talks to this interface. logstore.ts implements it
// once over a log (log.ts) that each backend provides (memory.ts, sqlite.ts;
// an etcd backend later): docs/store.md.

/** One stored object: its key, the resourceVersion of its last write, and its JSON text. */
export interface StoredItem {
  key: string;
  rv: number;
  /** Serialized JSON of the object, with metadata.resourceVersion already set to `rv`. */
  json: string;
}

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/**
 * One entry of the change log. For DELETED, `json` is the object as it was deleted, stamped
 * with the delete's revision when the writer rendered it so (the registry always does: a watch
 * never sees resourceVersions go backwards, docs/watch-semantics.md).
 */
export interface Change {
  type: ChangeType;
  key: string;
  rv: number;
  json: string;
  /**
   * For MODIFIED/DELETED: the version this change replaced (lets watchers with selectors tell
   * an object that starts matching from one that stops). Absent when history lost it.
   */
  prevJson?: string;
  /** The revision of that previous version. */
  prevRv?: number;
}

export interface ListResult {
  items: StoredItem[];
  /** The store revision the list is consistent with. */
  rv: number;
  /** Set when `limit` cut the list: the key to continue after. */
  continueAfter?: string;
  remaining?: number;
}

export interface ListOptions {
  limit?: number;
  /** Return keys strictly greater than this one. */
  after?: string;
  /**
   * The list as it was at this revision (at most revision()), rebuilt from the change log:
   * StoreError('Expired') when the log no longer holds what that takes.
   */
  atRv?: number;
}

/**
 * A write to apply: `json` is a function of the new resourceVersion, because the
 * object embeds its own resourceVersion and the version is only known inside the commit.
 */
export type Render = (rv: number) => string;

/** What a create or an update asks of the store beyond the write itself. */
export interface WriteHints {
  /**
   * The version expires this many seconds after the write: the store then deletes it (a
   * DELETED change with a revision of its own, as etcd does when a key's lease expires). A
   * later write without it keeps the object for good, as an etcd put without a lease does.
   */
  ttlSeconds?: number;
}

/** What the caller knows about a new object's future. */
export interface CreateHints extends WriteHints {
  readSoon?: boolean;
}

export class StoreError extends Error {
  constructor(
    public readonly code: 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Expired',
    message: string,
  ) {
    super(message);
  }
}

export interface Watcher {
  stop(): void;
}

export interface Store {
  /** Current revision (the resourceVersion of the last acknowledged write). */
  revision(): number;
  get(key: string): Promise<StoredItem | undefined>;
  /** Keys starting with `prefix`, in key order. */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Number of keys under `prefix` (strictly after `after`, when given). */
  count(prefix: string, after?: string): Promise<number>;
  /**
   * Fails with AlreadyExists. Resolves once durable. `hints.readSoon`: the object will be
   * read back shortly (a pod about to be bound), so a backend with a read cache keeps it.
   */
  create(key: string, render: Render, hints?: CreateHints): Promise<StoredItem>;
  /** Fails with NotFound, or Conflict when `expectedRv` is given and differs. */
  update(key: string, render: Render, expectedRv?: number, hints?: WriteHints): Promise<StoredItem>;
  /**
   * Fails with NotFound / Conflict. Returns the deleted item with its delete rv. `render` gives
   * the object as deleted, stamped with that rv; without it the change carries the last version's JSON.
   */
  delete(key: string, expectedRv?: number, render?: Render): Promise<StoredItem>;
  /**
   * Changes to keys under `prefix` with rv > `fromRv`, replayed from the change log and then live.
   * Throws StoreError('Expired') when `fromRv` is older than the retained log.
   */
  watch(prefix: string, fromRv: number, onChange: (c: Change) => void): Watcher;
  /** Why writes fail now (a full disk, a dead writer), or undefined when they can commit: readiness. */
  check(): Promise<Error | undefined>;
  close(): Promise<void>;
}
