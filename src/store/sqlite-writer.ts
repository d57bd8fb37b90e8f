// The store's writer thread: it owns the only writing connection to the SQLite
// file and commits each batch the main thread sends as one transaction. The
// commit (copying pages into the WAL, then fsync) is the single largest cost
// of a burst of writes; here it runs beside the API server and controllers
// instead of blocking them.
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase, TYPE_CODE, type WriteBatch, type WriterReply } from './sqlite-schema.js';

const db = openDatabase((workerData as { file: string }).file);
const st = {
  insert: db.prepare('INSERT INTO objects(key, rv) VALUES (?, ?)'),
  update: db.prepare('UPDATE objects SET rv = ? WHERE key = ?'),
  remove: db.prepare('DELETE FROM objects WHERE key = ?'),
  log: db.prepare('INSERT INTO changes(rv, type, key, json) VALUES (?, ?, ?, ?)'),
  setMeta: db.prepare('INSERT INTO meta(k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v'),
  current: db.prepare<[string], number>('SELECT rv FROM objects WHERE key = ?').pluck(),
  drop: db.prepare('DELETE FROM changes WHERE rv = ?'),
  // Old versions in the range go; a version some object still points at stays, however old.
  // Only the new range is visited, each row checked by its key: a whole-table `NOT IN (SELECT rv
  // FROM objects)` cost a second per compaction with 600k objects, and grew with every one.
  compact: db.prepare(`DELETE FROM changes WHERE rv > ? AND rv <= ?
    AND NOT EXISTS (SELECT 1 FROM objects o WHERE o.key = changes.key AND o.rv = changes.rv)`),
  getMeta: db.prepare<[string], number>('SELECT v FROM meta WHERE k = ?').pluck(),
};

/** Rows at or below this were compacted away, but for current versions. */
let compacted = st.getMeta.get('compacted') ?? 0;

const apply = db.transaction((b: WriteBatch) => {
  for (const [type, key, rv, json] of b.ops) {
    if (type === TYPE_CODE.ADDED) st.insert.run(key, rv);
    else {
      // The version this one replaces, kept past its compaction because it was current: it goes now.
      const was = st.current.get(key);
      if (was !== undefined && was <= compacted) st.drop.run(was);
      if (type === TYPE_CODE.MODIFIED) st.update.run(rv, key);
      else st.remove.run(key);
    }
    st.log.run(rv, type, key, json);
  }
  st.setMeta.run('rv', b.rv);
  if (b.compactTo !== undefined) {
    st.compact.run(b.compactFrom ?? 0, b.compactTo);
    st.setMeta.run('compacted', b.compactTo);
  }
});

/** The epoch of the last batch that failed. */
let failedEpoch = -1;

parentPort!.on('message', (msg: WriteBatch | 'close') => {
  if (msg === 'close') {
    db.close();
    // Ends this thread only (the tsx loader, when present, would keep it alive otherwise).
    process.exit(0);
  }
  let reply: WriterReply;
  if (msg.epoch <= failedEpoch) {
    reply = { ok: false, message: 'an earlier commit failed' };
  } else {
    try {
      apply.immediate(msg);
      if (msg.compactTo !== undefined) compacted = msg.compactTo;
      reply = { ok: true };
    } catch (e) {
      failedEpoch = msg.epoch;
      reply = { ok: false, message: e instanceof Error ? e.message : String(e) };
    }
  }
  parentPort!.postMessage(reply);
});
