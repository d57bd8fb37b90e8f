// The SQLite file's layout, shared by the store's reading connection (the
// main thread) and its writing connection (the writer thread).
//
// Each version's JSON is written once, into the change log `changes`;
// `objects` maps a key to the revision of its current version. An update
// then dirties one small row of the key index plus the log's tail instead of
// rewriting a multi-page row in two tables: the bytes a commit writes, not
// its fsync, are what bound a burst of pod writes. Compaction trims the log
// but keeps every row that is still some object's current version.
import Database from 'better-sqlite3';

export const TYPE_CODE = { ADDED: 0, MODIFIED: 1, DELETED: 2 } as const;

/** Opens (creating or upgrading) the store file with the pragmas both connections need. */
export function openDatabase(file: string): Database.Database {
  const db = new Database(file);
  // Small pages: an update dirties one random leaf of the key index, and a 1 KiB page is a quarter of
  // the default's bytes to copy into the WAL. Only takes effect on a new file (before WAL mode is set).
  db.pragma('page_size = 1024');
  db.pragma('journal_mode = WAL');
  // FULL: every COMMIT is fsynced, so acknowledged writes survive power loss, not just a process kill.
  db.pragma('synchronous = FULL');
  // Checkpoint the WAL every ~20 MB instead of every 1 MB: a burst of pod writes is copied into the database file less often.
  db.pragma('wal_autocheckpoint = 20000');
  // Two connections share the file: a reader that meets the writer's checkpoint waits instead of failing.
  db.pragma('busy_timeout = 5000');
  db.exec(`
    CREATE TABLE IF NOT EXISTS changes(rv INTEGER PRIMARY KEY, type INTEGER NOT NULL, key TEXT NOT NULL, json TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v INTEGER NOT NULL);
  `);
  migrateV1(db);
  db.exec('CREATE TABLE IF NOT EXISTS objects(key TEXT PRIMARY KEY, rv INTEGER NOT NULL) WITHOUT ROWID');
  return db;
}

/**
 * Files written before the JSON was stored once had `objects(key, rv, json)` and
 * an index on the log by key: keep each current version in the log (its row may
 * have been compacted away) and shrink `objects` to the key → revision map.
 */
function migrateV1(db: Database.Database): void {
  const cols = db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('objects')").all().map((c) => c.name);
  if (!cols.includes('json')) return;
  db.transaction(() => {
    db.exec(`
      INSERT OR IGNORE INTO changes(rv, type, key, json) SELECT rv, 1, key, json FROM objects;
      CREATE TABLE objects_v2(key TEXT PRIMARY KEY, rv INTEGER NOT NULL) WITHOUT ROWID;
      INSERT INTO objects_v2(key, rv) SELECT key, rv FROM objects;
      DROP TABLE objects;
      ALTER TABLE objects_v2 RENAME TO objects;
      DROP INDEX IF EXISTS changes_key;
    `);
  }).immediate();
}

/** One write as the main thread hands it to the writer: [type code, key, rv, json]. */
export type WriteOp = [type: number, key: string, rv: number, json: string];

/** A batch of writes committed as one transaction (one fsync). */
export interface WriteBatch {
  /** Batches sent after a failed one were checked against its writes: the writer refuses those of a failed epoch. */
  epoch: number;
  ops: WriteOp[];
  /** The revision after the batch (recorded in `meta`, so deletes alone still advance it across restarts). */
  rv: number;
  /**
   * Drop the log rows in (compactFrom, compactTo] that no object points at. Rows
   * at or below compactFrom were dropped by earlier compactions, except current
   * versions, which the writer drops when their object next changes.
   */
  compactFrom?: number;
  compactTo?: number;
}

export type WriterReply = { ok: true } | { ok: false; message: string };
