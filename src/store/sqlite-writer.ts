// The store's writer thread: it owns the only writing connection to the SQLite
// file and commits each batch the main thread sends as one transaction. The
// commit (copying pages into the WAL, then fsync) is the single largest cost
// of a burst of writes; here it runs beside the API server and controllers
// instead of blocking them.
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase, TYPE_CODE, type ProbeReply, type WriteBatch, type WriterReply } from './sqlite-schema.js';

const db = openDatabase((workerData as { file: string }).file);
const st = {
  insert: db.prepare('INSERT INTO objects(key, rv, expires) VALUES (?, ?, ?)'),
  update: db.prepare('UPDATE objects SET rv = ?, expires = ? WHERE key = ?'),
  remove: db.prepare('DELETE FROM objects WHERE key = ?'),
  log: db.prepare('INSERT INTO changes(rv, type, key, prev, json) VALUES (?, ?, ?, ?, ?)'),
  setMeta: db.prepare('INSERT INTO meta(k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v'),
  // A version replaced at or below the compaction point is needed by no revision still served.
  // Only the new range is visited (by its primary key), so a compaction costs the same however
  // many objects there are.
  dropReplaced: db.prepare('DELETE FROM changes WHERE rv IN (SELECT prev FROM changes WHERE rv > ? AND rv <= ? AND prev IS NOT NULL)'),
  // A delete at or below it: the key is simply absent from every revision still served.
  dropDeletes: db.prepare(`DELETE FROM changes WHERE rv > ? AND rv <= ? AND type = ${TYPE_CODE.DELETED}`),
};

const apply = db.transaction((b: WriteBatch) => {
  for (const [type, key, rv, json, prev, expires] of b.ops) {
    if (type === TYPE_CODE.ADDED) st.insert.run(key, rv, expires);
    else if (type === TYPE_CODE.MODIFIED) st.update.run(rv, expires, key);
    else st.remove.run(key);
    st.log.run(rv, type, key, prev, json);
  }
  st.setMeta.run('rv', b.rv);
  if (b.compactTo !== undefined) {
    const from = b.compactFrom ?? 0;
    st.dropReplaced.run(from, b.compactTo);
    st.dropDeletes.run(from, b.compactTo);
    st.setMeta.run('compacted', b.compactTo);
  }
});

// A probe writes one small row: whether a commit can be written right now.
const probe = db.transaction(() => db.prepare("INSERT INTO meta(k, v) VALUES ('probe', ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v").run(Date.now()));

/** The epoch of the last batch that failed. */
let failedEpoch = -1;

parentPort!.on('message', (msg: WriteBatch | 'close' | 'probe') => {
  if (msg === 'close') {
    db.close();
    // Ends this thread only (the tsx loader, when present, would keep it alive otherwise).
    process.exit(0);
  }
  if (msg === 'probe') {
    let answer: ProbeReply;
    try {
      probe.immediate();
      answer = { probe: true, ok: true };
    } catch (e) {
      answer = { probe: true, ok: false, message: e instanceof Error ? e.message : String(e) };
    }
    parentPort!.postMessage(answer);
    return;
  }
  let reply: WriterReply;
  if (msg.epoch <= failedEpoch) {
    reply = { ok: false, message: 'an earlier commit failed' };
  } else {
    try {
      apply.immediate(msg);
      reply = { ok: true };
    } catch (e) {
      failedEpoch = msg.epoch;
      reply = { ok: false, message: e instanceof Error ? e.message : String(e) };
    }
  }
  parentPort!.postMessage(reply);
});
