// The Store contract, run against both backends, and what only the SQLite
// store has: a writer thread, files that outlive the process, compaction that
// keeps current objects, and the upgrade of files written by earlier versions.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { MemoryStore } from '../../src/store/memory.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { Change, Store } from '../../src/store/types.js';
import { StoreError } from '../../src/store/types.js';
import { FakeClock } from '../../src/util/clock.js';

const dirs: string[] = [];
const tmpFile = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-store-'));
  dirs.push(d);
  return path.join(d, 'state.db');
};
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const obj = (name: string, extra: Record<string, unknown> = {}) => (rv: number) => JSON.stringify({ name, rv, ...extra });
const code = (p: Promise<unknown>) => p.then(() => 'ok', (e) => (e instanceof StoreError ? e.code : String(e)));

const backends: [string, (retain?: number, clock?: FakeClock) => Store][] = [
  ['memory', (retain, clock) => new MemoryStore({ retainChanges: retain, clock })],
  ['sqlite', (retain, clock) => new SqliteStore(tmpFile(), { retainChanges: retain, clock })],
];
/** An object as the registry stores it: its resourceVersion in metadata. */
const kobj = (name: string, extra: Record<string, unknown> = {}) => (rv: number) => JSON.stringify({ metadata: { name, resourceVersion: String(rv) }, ...extra });

for (const [name, open] of backends) {
  describe(`Store contract: ${name}`, () => {
    it('creates, reads, updates with a precondition and deletes, with one revision per write', async () => {
      const s = open();
      try {
        const a = await s.create('/r/a', obj('a'));
        assert.equal(JSON.parse(a.json).rv, a.rv);
        assert.equal(await code(s.create('/r/a', obj('a'))), 'AlreadyExists');
        const u = await s.update('/r/a', obj('a', { v: 2 }), a.rv);
        assert.equal(u.rv, a.rv + 1);
        assert.equal(await code(s.update('/r/a', obj('a', { v: 3 }), a.rv)), 'Conflict');
        assert.equal(await code(s.update('/r/zzz', obj('zzz'))), 'NotFound');
        assert.equal(JSON.parse((await s.get('/r/a'))!.json).v, 2);
        const d = await s.delete('/r/a', u.rv);
        assert.equal(d.rv, u.rv + 1);
        assert.equal(await s.get('/r/a'), undefined);
        assert.equal(s.revision(), d.rv);
      } finally {
        await s.close();
      }
    });

    it('serves a write to readers that come after it in the same turn, and orders concurrent writes', async () => {
      const s = open();
      try {
        const writes = [s.create('/r/x', obj('x')), s.update('/r/x', obj('x', { v: 2 })), s.create('/r/y', obj('y'))];
        // Not yet acknowledged, already visible to the next write and to get.
        assert.equal(JSON.parse((await s.get('/r/x'))!.json).v, 2);
        const [x1, x2, y] = await Promise.all(writes);
        assert.deepEqual([x2.rv - x1.rv, y.rv - x2.rv], [1, 1]);
        const dropped = s.delete('/r/y');
        assert.equal(await s.get('/r/y'), undefined);
        assert.equal(await code(s.create('/r/y', obj('y'))), 'ok', 'a deleted key can be created again in the same turn');
        await dropped;
      } finally {
        await s.close();
      }
    });

    it('lists in key order with a limit, and a watch from the list revision sees exactly the later writes', async () => {
      const s = open();
      try {
        for (const n of ['c', 'a', 'b', 'd']) await s.create(`/l/${n}`, obj(n));
        await s.create('/other/a', obj('a'));
        const page = await s.list('/l/', { limit: 3 });
        assert.deepEqual(page.items.map((i) => i.key), ['/l/a', '/l/b', '/l/c']);
        assert.equal(page.continueAfter, '/l/c');
        assert.equal(page.remaining, 1);
        const rest = await s.list('/l/', { after: page.continueAfter });
        assert.deepEqual(rest.items.map((i) => i.key), ['/l/d']);
        assert.equal(await s.count('/l/'), 4);
        const seen: Change[] = [];
        const w = s.watch('/l/', page.rv, (c) => seen.push(c));
        await s.update('/l/a', obj('a', { v: 2 }));
        await s.create('/other/b', obj('b'));
        await s.delete('/l/b');
        w.stop();
        assert.deepEqual(seen.map((c) => [c.type, c.key]), [['MODIFIED', '/l/a'], ['DELETED', '/l/b']]);
        assert.equal(JSON.parse(seen[1].prevJson!).name, 'b');
      } finally {
        await s.close();
      }
    });

    it('lists the state at any retained revision, Expired below it, across creates, updates and deletes', async () => {
      const s = open(40);
      try {
        // A deterministic churn over 6 keys; after each write, what a list must show at that revision.
        const truth = new Map<number, string[]>();
        const live = new Map<string, string>();
        let seed = 7;
        const rand = (k: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % k;
        for (let i = 0; i < 150; i++) {
          const key = `/x/k${rand(6)}`;
          const r = live.has(key) ? (rand(3) === 0 ? await s.delete(key) : await s.update(key, obj(key, { i }))) : await s.create(key, obj(key, { i }));
          if (JSON.parse(r.json).i === undefined || !(await s.get(key))) live.delete(key);
          else live.set(key, `${key}@${r.rv}#${i}`);
          await s.create(`/y/${i}`, obj('elsewhere'));
          truth.set(r.rv, [...live.values()].sort());
        }
        let served = 0;
        let expired = 0;
        for (const [rv, want] of truth) {
          try {
            const got = await s.list('/x/', { atRv: rv });
            assert.equal(got.rv, rv);
            assert.deepEqual(got.items.map((it) => `${it.key}@${it.rv}#${JSON.parse(it.json).i}`), want, `at ${rv}`);
            served++;
          } catch (e) {
            assert.ok(e instanceof StoreError && e.code === 'Expired', String(e));
            assert.equal(served, 0, `revision ${rv} expired after a newer one was served`);
            expired++;
          }
        }
        assert.ok(expired > 0 && served >= 20, `expired ${expired}, served ${served}`);
        // Pages of a list at a revision.
        const at = [...truth.keys()].at(-1)!;
        const page = await s.list('/x/', { atRv: at, limit: 1 });
        assert.equal(page.items.length, Math.min(1, truth.get(at)!.length));
      } finally {
        await s.close();
      }
    });

    it('gives a replayed change the version it replaced, as a live one', async () => {
      const s = open();
      try {
        await s.create('/q/before', obj('before'));
        const a = await s.create('/p/a', obj('a', { v: 1 }));
        const u = await s.update('/p/a', obj('a', { v: 2 }));
        const seen: Change[] = [];
        const w = s.watch('/p/', a.rv - 1, (c) => seen.push(c));
        await s.delete('/p/a', undefined, obj('a', { v: 'deleted' }));
        w.stop();
        assert.deepEqual(seen.map((c) => [c.type, c.prevRv, c.prevJson && JSON.parse(c.prevJson).v]), [['ADDED', undefined, undefined], ['MODIFIED', a.rv, 1], ['DELETED', u.rv, 2]]);
        assert.equal(JSON.parse(seen[2].json).rv, u.rv + 1, 'a delete rendered at its own revision');
      } finally {
        await s.close();
      }
    });

    it('refuses with NotFound, AlreadyExists or Conflict whatever the write, and a refused write takes no revision', async () => {
      const s = open();
      try {
        const a = await s.create('/n/a', obj('a'));
        await s.create('/n/b', obj('b'));
        await s.create('/n/c', obj('c'));
        const rv = s.revision();
        assert.deepEqual(await Promise.all([
          code(s.delete('/n/zzz')),
          code(s.delete('/n/a', a.rv + 1)),
          code(s.update('/n/a', obj('a'), a.rv - 1)),
          code(s.update('/n/zzz', obj('zzz'), 1)),
          code(s.create('/n/b', obj('b'))),
        ]), ['NotFound', 'Conflict', 'Conflict', 'NotFound', 'AlreadyExists']);
        assert.equal(s.revision(), rv);
        assert.equal(JSON.parse((await s.get('/n/a'))!.json).rv, a.rv, 'a refused write changes nothing');
        // Counting after a key, as a list's remaining items are counted.
        assert.deepEqual([await s.count('/n/'), await s.count('/n/', '/n/a'), await s.count('/n/', '/n/c')], [3, 2, 0]);
        const gone = await s.delete('/n/a', a.rv);
        assert.equal(gone.rv, rv + 1);
        assert.equal(await code(s.update('/n/a', obj('a'), a.rv)), 'NotFound', 'a deleted key is not found, whatever revision is expected');
      } finally {
        await s.close();
      }
    });

    it('fans each change out once, in revision order, to every watcher under its prefix; a throwing watcher harms no other', async () => {
      const s = open();
      try {
        const all: number[] = [];
        const some: string[] = [];
        const thrower = s.watch('/f/', s.revision(), () => { throw new Error('a broken watcher'); });
        s.watch('', s.revision(), (c) => all.push(c.rv));
        const narrow = s.watch('/f/1/', s.revision(), (c) => some.push(`${c.type} ${c.key}`));
        // One turn's writes, acknowledged together (one batch for SQLite).
        await Promise.all([
          s.create('/f/1/a', obj('a')), s.create('/f/2/a', obj('a')), s.update('/f/1/a', obj('a', { v: 2 })),
          s.create('/g/x', obj('x')), s.delete('/f/1/a'),
        ]);
        narrow.stop();
        thrower.stop();
        await s.create('/f/1/late', obj('late'));
        const first = all[0];
        assert.deepEqual(all, [first, first + 1, first + 2, first + 3, first + 4, first + 5]);
        assert.deepEqual(some, ['ADDED /f/1/a', 'MODIFIED /f/1/a', 'DELETED /f/1/a'], 'a stopped watcher hears nothing more');
      } finally {
        await s.close();
      }
    });

    it('deletes a version written with a TTL when it falls due, at a revision of its own, unless a later write replaced it', async () => {
      const clock = new FakeClock();
      const s = open(undefined, clock);
      try {
        const seen: Change[] = [];
        s.watch('/t/', s.revision(), (c) => seen.push(c));
        let marks = 0;
        /** A write after whatever the clock's step appended: once it is acknowledged, so has all before it been, and been watched. */
        const barrier = async () => {
          await s.create(`/t/mark${marks++}`, kobj('mark'));
          return seen.splice(0).filter((c) => !c.key.startsWith('/t/mark')).map((c) => `${c.type} ${c.key}`);
        };
        const a = await s.create('/t/a', kobj('a'), { ttlSeconds: 60 });
        await s.create('/t/renewed', kobj('renewed'), { ttlSeconds: 60 });
        await s.create('/t/kept', kobj('kept'), { ttlSeconds: 60 });
        await s.create('/t/never', kobj('never'));
        await s.create('/t/gone', kobj('gone'), { ttlSeconds: 60 });
        await s.create('/t/fractional', kobj('fractional'), { ttlSeconds: 0.5 });
        await barrier();
        clock.step(30_000);
        await s.update('/t/renewed', kobj('renewed', { v: 2 }), undefined, { ttlSeconds: 60 });
        await s.update('/t/kept', kobj('kept', { v: 2 }));
        await s.delete('/t/gone');
        assert.deepEqual(await barrier(), ['DELETED /t/fractional', 'MODIFIED /t/renewed', 'MODIFIED /t/kept', 'DELETED /t/gone']);
        clock.step(29_999);
        assert.deepEqual(await barrier(), [], 'nothing is due a millisecond early');
        const before = s.revision();
        clock.step(1);
        const due = await barrier();
        assert.deepEqual(due, ['DELETED /t/a'], 'due at 60 s: the version written then, not the renewed or the rewritten one');
        const gone = (await s.list('/t/', { atRv: before + 1 })).items.map((i) => i.key);
        assert.ok(!gone.includes('/t/a') && gone.includes('/t/renewed'));
        assert.equal(await s.get('/t/a'), undefined);
        clock.step(30_000);
        assert.deepEqual(await barrier(), ['DELETED /t/renewed'], 'the renewed version is due 60 s after its own write');
        clock.step(3_600_000);
        assert.deepEqual(await barrier(), []);
        assert.deepEqual((await s.list('/t/')).items.map((i) => i.key).filter((k) => !k.startsWith('/t/mark')), ['/t/kept', '/t/never']);
        // The delete's own revision, stamped into the object as deleted; the version it removed beside it.
        const w: Change[] = [];
        s.watch('/t/a', a.rv, (c) => w.push(c)).stop();
        assert.equal(w.length, 1);
        assert.equal(w[0].type, 'DELETED');
        assert.equal(JSON.parse(w[0].json).metadata.resourceVersion, String(w[0].rv));
        assert.equal(w[0].prevRv, a.rv);
        assert.ok(w[0].rv > a.rv);
      } finally {
        await s.close();
      }
    });

    it('expires a burst that falls due together, slice after slice, each key once', async () => {
      const clock = new FakeClock();
      const s = open(undefined, clock);
      try {
        await Promise.all(Array.from({ length: 2500 }, (_, i) => s.create(`/b/${i}`, kobj(`b${i}`), { ttlSeconds: 10 })));
        const deleted = new Set<string>();
        let twice = 0;
        s.watch('/b/', s.revision(), (c) => {
          if (c.type !== 'DELETED') return;
          if (deleted.has(c.key)) twice++;
          deleted.add(c.key);
        });
        clock.step(10_000);
        await s.create('/b/mark', kobj('mark'));
        // SQLite: the slices after the first are found once the first's deletes are durable.
        for (let i = 0; i < 5 && deleted.size < 2500; i++) {
          clock.step(1000);
          await s.update('/b/mark', kobj('mark', { i }));
        }
        assert.equal(deleted.size, 2500);
        assert.equal(twice, 0);
        assert.deepEqual((await s.list('/b/')).items.map((i) => i.key), ['/b/mark']);
      } finally {
        await s.close();
      }
    });

    it('replays a watch from an old revision and answers Expired once the log is compacted past it', async () => {
      const s = open(20);
      try {
        await s.create('/elsewhere', obj('elsewhere'));
        const first = await s.create('/w/keep', obj('keep'));
        const seen: string[] = [];
        s.watch('/w/', first.rv - 1, (c) => seen.push(`${c.type} ${c.key}`)).stop();
        assert.deepEqual(seen, ['ADDED /w/keep']);
        for (let i = 0; i < 60; i++) await s.create(`/w/n${i}`, obj(`n${i}`));
        assert.throws(() => s.watch('/w/', first.rv, () => {}), (e: unknown) => e instanceof StoreError && e.code === 'Expired');
        // Compaction drops history, never the current version of an object.
        assert.equal(JSON.parse((await s.get('/w/keep'))!.json).name, 'keep');
        assert.equal((await s.list('/w/')).items.length, 61);
      } finally {
        await s.close();
      }
    });
  });
}

describe('SQLite store', () => {
  it('keeps objects, the revision and compacted history across a restart', async () => {
    const file = tmpFile();
    let s = new SqliteStore(file, { retainChanges: 10 });
    const old = await s.create('/p/old', obj('old'));
    for (let i = 0; i < 30; i++) await s.create(`/p/n${i}`, obj(`n${i}`));
    const last = await s.update('/p/n3', obj('n3', { v: 2 }));
    await s.delete('/p/n4');
    const rv = s.revision();
    await s.close();
    s = new SqliteStore(file, { retainChanges: 10 });
    try {
      assert.equal(s.revision(), rv);
      assert.equal((await s.get('/p/old'))!.rv, old.rv);
      assert.equal(JSON.parse((await s.get('/p/n3'))!.json).v, 2);
      assert.equal(await s.get('/p/n4'), undefined);
      assert.equal((await s.list('/p/')).items.length, 30);
      const seen: string[] = [];
      s.watch('/p/', last.rv - 1, (c) => seen.push(`${c.type} ${c.key}`)).stop();
      assert.deepEqual(seen, ['MODIFIED /p/n3', 'DELETED /p/n4']);
      assert.equal((await s.create('/p/new', obj('new'))).rv, rv + 1);
      // The key filter is rebuilt from the file: a key from before the restart still exists, a deleted one is free.
      assert.equal(await code(s.create('/p/n7', obj('again'))), 'AlreadyExists');
      assert.equal(await code(s.create('/p/n4', obj('n4 again'))), 'ok');
    } finally {
      await s.close();
    }
  });

  it('keeps expiry times across a restart: what fell due while closed goes on open, the rest when due', async () => {
    const file = tmpFile();
    const clock = new FakeClock();
    let s = new SqliteStore(file, { clock });
    await s.create('/e/soon', kobj('soon'), { ttlSeconds: 60 });
    await s.create('/e/later', kobj('later'), { ttlSeconds: 600 });
    await s.create('/e/kept', kobj('kept'));
    await s.close();
    clock.step(120_000);
    s = new SqliteStore(file, { clock });
    try {
      const seen: string[] = [];
      s.watch('/e/', s.revision(), (c) => seen.push(`${c.type} ${c.key}`));
      clock.step(0);
      await s.create('/e/mark', kobj('mark'));
      assert.deepEqual(seen, ['DELETED /e/soon', 'ADDED /e/mark']);
      clock.step(480_000);
      await s.update('/e/mark', kobj('mark', { v: 2 }));
      assert.deepEqual(seen.slice(2), ['DELETED /e/later', 'MODIFIED /e/mark']);
      assert.deepEqual((await s.list('/e/')).items.map((i) => i.key), ['/e/kept', '/e/mark']);
    } finally {
      await s.close();
    }
  });

  it('compacts only the new range, and drops a kept current version once its object changes', async () => {
    const file = tmpFile();
    const s = new SqliteStore(file, { retainChanges: 10 });
    const raw = new Database(file, { readonly: true });
    const rows = () => (raw.prepare('SELECT count(*) AS n FROM changes').get() as { n: number }).n;
    const has = (rv: number) => raw.prepare('SELECT 1 FROM changes WHERE rv = ?').get(rv) !== undefined;
    try {
      const keep = await s.create('/c/keep', obj('keep'));
      await s.create('/c/churn', obj('churn'));
      for (let i = 0; i < 40; i++) await s.update('/c/churn', obj('churn', { i }));
      assert.ok(has(keep.rv), 'the current version of an untouched object outlives compaction');
      assert.ok(rows() <= 2 + 11 * 1.1 + 1, `the log stays near its retention (${rows()} rows)`);
      await s.update('/c/keep', obj('keep', { v: 2 }));
      for (let i = 0; i < 15; i++) await s.update('/c/churn', obj('churn', { j: i }));
      assert.ok(!has(keep.rv), 'its old version goes once it is no longer current');
      assert.equal(JSON.parse((await s.get('/c/keep'))!.json).v, 2);
    } finally {
      raw.close();
      await s.close();
    }
  });

  it('opens a file written before changes named the version they replaced', async () => {
    const file = tmpFile();
    const v2 = new Database(file);
    v2.pragma('journal_mode = WAL');
    v2.exec(`
      CREATE TABLE changes(rv INTEGER PRIMARY KEY, type INTEGER NOT NULL, key TEXT NOT NULL, json TEXT NOT NULL);
      CREATE TABLE meta(k TEXT PRIMARY KEY, v INTEGER NOT NULL);
      CREATE TABLE objects(key TEXT PRIMARY KEY, rv INTEGER NOT NULL) WITHOUT ROWID;
      INSERT INTO meta VALUES ('rv', 14), ('compacted', 10);
      INSERT INTO objects VALUES ('/m/a', 3), ('/m/b', 13);
      INSERT INTO changes VALUES (3, 0, '/m/a', '{"name":"a","rv":3}'), (11, 1, '/m/b', '{"name":"b","rv":11}'),
        (12, 0, '/m/c', '{"name":"c","rv":12}'), (13, 1, '/m/b', '{"name":"b","rv":13}'), (14, 2, '/m/c', '{"name":"c","rv":14}');
    `);
    v2.close();
    const s = new SqliteStore(file);
    try {
      const raw = new Database(file, { readonly: true });
      assert.deepEqual(raw.prepare('SELECT rv, prev FROM changes ORDER BY rv').all(), [
        { rv: 3, prev: null }, { rv: 11, prev: null }, { rv: 12, prev: null }, { rv: 13, prev: 11 }, { rv: 14, prev: 12 },
      ]);
      raw.close();
      const at = async (rv: number) => (await s.list('/m/', { atRv: rv })).items.map((i) => `${i.key}@${i.rv}`);
      assert.deepEqual(await at(12), ['/m/a@3', '/m/b@11', '/m/c@12']);
      assert.deepEqual(await at(13), ['/m/a@3', '/m/b@13', '/m/c@12']);
      // /m/b's version before 11 was dropped by the old layout: the state at 10 cannot be rebuilt.
      assert.equal(await code(s.list('/m/', { atRv: 10 })), 'Expired');
      const seen: string[] = [];
      s.watch('/m/', 12, (c) => seen.push(`${c.type} ${c.key} ${c.prevRv}`)).stop();
      assert.deepEqual(seen, ['MODIFIED /m/b 11', 'DELETED /m/c 12']);
    } finally {
      await s.close();
    }
  });

  it('still refuses an existing key after its key filter fills up and is rebuilt', async () => {
    const s = new SqliteStore(tmpFile());
    try {
      await s.create('/k/first', obj('first'));
      // Past the filter's first capacity (50,000 keys), so it is rebuilt from the file and the pending writes.
      for (let b = 0; b < 12; b++) await Promise.all(Array.from({ length: 5000 }, (_, i) => s.create(`/k/${b}-${i}`, obj('x'))));
      assert.equal(await code(s.create('/k/first', obj('first'))), 'AlreadyExists');
      assert.equal(await code(s.create('/k/11-4999', obj('last'))), 'AlreadyExists');
      assert.equal(await code(s.create('/k/fresh', obj('fresh'))), 'ok');
    } finally {
      await s.close();
    }
  });

  it('refuses a batch whose commit fails, and the writes gathered after it, then carries on from what is on disk', async () => {
    const file = tmpFile();
    const s = new SqliteStore(file);
    const raw = new Database(file);
    try {
      await s.create('/f/ok', obj('ok'));
      // Another writer takes the key between the store's check and its commit: the commit fails.
      const doomed = s.create('/f/taken', obj('taken'));
      const alsoDoomed = s.update('/f/ok', obj('ok', { v: 2 }));
      raw.prepare('INSERT INTO objects(key, rv) VALUES (?, ?)').run('/f/taken', 999_999);
      const results = await Promise.allSettled([doomed, alsoDoomed]);
      assert.ok(results.every((r) => r.status === 'rejected' && /store commit failed: .*UNIQUE/.test(String(r.reason))), JSON.stringify(results));
      raw.prepare('DELETE FROM objects WHERE key = ?').run('/f/taken');
      assert.equal(JSON.parse((await s.get('/f/ok'))!.json).v, undefined, 'the refused update is not served');
      const again = await s.update('/f/ok', obj('ok', { v: 3 }));
      assert.equal(JSON.parse((await s.get('/f/ok'))!.json).v, 3);
      assert.equal(s.revision(), again.rv);
    } finally {
      raw.close();
      await s.close();
    }
  });

  it('opens a file written by the version that stored every JSON twice', async () => {
    const file = tmpFile();
    const v1 = new Database(file);
    v1.pragma('journal_mode = WAL');
    v1.exec(`
      CREATE TABLE objects(key TEXT PRIMARY KEY, rv INTEGER NOT NULL, json TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE changes(rv INTEGER PRIMARY KEY, type INTEGER NOT NULL, key TEXT NOT NULL, json TEXT NOT NULL);
      CREATE INDEX changes_key ON changes(key, rv);
      CREATE TABLE meta(k TEXT PRIMARY KEY, v INTEGER NOT NULL);
      INSERT INTO meta VALUES ('rv', 12), ('compacted', 10);
      INSERT INTO objects VALUES ('/m/a', 3, '{"name":"a","rv":3}'), ('/m/b', 11, '{"name":"b","rv":11}');
      INSERT INTO changes VALUES (11, 1, '/m/b', '{"name":"b","rv":11}'), (12, 2, '/m/c', '{"name":"c","rv":12}');
    `);
    v1.close();
    const s = new SqliteStore(file);
    try {
      assert.equal(s.revision(), 12);
      // /m/a's row had been compacted out of the log in the old layout; it must survive the upgrade.
      assert.deepEqual((await s.list('/m/')).items.map((i) => [i.key, i.rv, JSON.parse(i.json).name]), [['/m/a', 3, 'a'], ['/m/b', 11, 'b']]);
      const seen: string[] = [];
      s.watch('/m/', 10, (c) => seen.push(`${c.type} ${c.key}`)).stop();
      assert.deepEqual(seen, ['MODIFIED /m/b', 'DELETED /m/c']);
      await s.update('/m/a', obj('a', { v: 2 }));
      assert.equal((await s.get('/m/a'))!.rv, 13);
    } finally {
      await s.close();
    }
  });
});
