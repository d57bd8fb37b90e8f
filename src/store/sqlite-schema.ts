// The SQLite file's layout, shared by the store's reading connection (the
// main thread) and its writing connection (the writer thread).
//
// Each version's JSON is written once, into the change log `changes`;
// `objects` maps a key to the revision of its current version. An update
// then dirties one small row of the key index plus the log's tail instead of
// rewriting a multi-page row in two tables: the bytes a commit writes, not
// its fsync, are what bound a burst of pod writes.
//
// Each change row names the version it replaced (`prev`), so the log answers
// what a key looked like at any retained revision: a watch with a selector
// compares a change with the version before it, and a list at an exact
// revision is today's objects with every later change undone. Compaction to
// revision C keeps every row after C and, at or below C, each key's last
// version unless it was a delete: exactly what the state at C and later needs.
//
// A version written with a TTL has its expiry time (ms since the epoch) in
// `objects.expires`, indexed where set: what falls due next is one index
// lookup, after a restart too, and nothing about it is held in memory.
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { FileWriteError, PRIVATE_FILE, restrict } from '../util/private.js';

export const TYPE_CODE = { ADDED: 0, MODIFIED: 1, DELETED: 2 } as const;

/** SQLite's codes for a file it cannot create, grow or write (a full disk is FULL or IOERR). */
const WRITE_FAILURES = /^SQLITE_(FULL|IOERR|CANTOPEN|READONLY|PERM)/;

/**
 * Opens (creating or upgrading) the store file with the pragmas both connections need. The
 * file holds every Secret: it is created owner-only, and SQLite gives its -wal and -shm the
 * same mode; modes left by anything else are corrected. A failure to write names the file.
 */
export function openDatabase(file: string): Database.Database {
  try {
    if (!fs.existsSync(file)) fs.closeSync(fs.openSync(file, 'a', PRIVATE_FILE));
  } catch (e) {
    throw new FileWriteError(file, e);
  }
  for (const f of [file, `${file}-wal`, `${file}-shm`]) restrict(f, PRIVATE_FILE);
  let db: Database.Database | undefined;
  try {
    db = new Database(file);
    return setUp(db);
  } catch (e) {
    db?.close();
    if (WRITE_FAILURES.test(String((e as { code?: unknown }).code))) throw new FileWriteError(file, e);
    throw new Error(`cannot open ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function setUp(db: Database.Database): Database.Database {
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
  // `prev` before `json`: reading it never walks a large JSON's overflow pages.
  db.exec(`
    CREATE TABLE IF NOT EXISTS changes(rv INTEGER PRIMARY KEY, type INTEGER NOT NULL, key TEXT NOT NULL, prev INTEGER, json TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v INTEGER NOT NULL);
  `);
  migrateV1(db);
  migrateV2(db);
  db.exec('CREATE TABLE IF NOT EXISTS objects(key TEXT PRIMARY KEY, rv INTEGER NOT NULL, expires INTEGER) WITHOUT ROWID');
  migrateV3(db);
  db.exec('CREATE INDEX IF NOT EXISTS objects_expires ON objects(expires) WHERE expires IS NOT NULL');
  return db;
}

/** Files written before versions could expire: `objects` gains `expires` (empty: nothing expires). */
function migrateV3(db: Database.Database): void {
  const cols = db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('objects')").all().map((c) => c.name);
  if (!cols.includes('expires')) db.exec('ALTER TABLE objects ADD COLUMN expires INTEGER');
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

/**
 * Files written before changes named their predecessor: add `prev` and fill it in for the
 * rows after the last compaction (the ones compaction will still visit). The first change of
 * a key after that compaction replaced a version the old layout had already dropped: its
 * `prev` stays empty, and a list at a revision that needs it answers 410.
 */
function migrateV2(db: Database.Database): void {
  const cols = db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('changes')").all().map((c) => c.name);
  if (cols.includes('prev')) return;
  db.transaction(() => {
    db.exec('ALTER TABLE changes ADD COLUMN prev INTEGER');
    const compacted = db.prepare<[string], number>('SELECT v FROM meta WHERE k = ?').pluck().get('compacted') ?? 0;
    const rows = db.prepare<[number], { rv: number; type: number; key: string }>('SELECT rv, type, key FROM changes WHERE rv > ? ORDER BY rv').all(compacted);
    const setPrev = db.prepare('UPDATE changes SET prev = ? WHERE rv = ?');
    const last = new Map<string, number>();
    for (const r of rows) {
      const p = last.get(r.key);
      if (p !== undefined && r.type !== TYPE_CODE.ADDED) setPrev.run(p, r.rv);
      last.set(r.key, r.rv);
    }
  }).immediate();
}

/** One write as the main thread hands it to the writer: [type code, key, rv, json, the rv it replaced, when it expires]. */
export type WriteOp = [type: number, key: string, rv: number, json: string, prev: number | null, expires: number | null];

/** A batch of writes committed as one transaction (one fsync). */
export interface WriteBatch {
  /** Batches sent after a failed one were checked against its writes: the writer refuses those of a failed epoch. */
  epoch: number;
  ops: WriteOp[];
  /** The revision after the batch (recorded in `meta`, so deletes alone still advance it across restarts). */
  rv: number;
  /**
   * Compact the log to compactTo: drop the versions replaced by a change in
   * (compactFrom, compactTo], and the deletes in that range (rows at or below
   * compactFrom were compacted before).
   */
  compactFrom?: number;
  compactTo?: number;
}

export type WriterReply = { ok: true } | { ok: false; message: string };

/** The answer to a probe: can a commit be written now (readiness after a failed commit)? */
export type ProbeReply = WriterReply & { probe: true };
