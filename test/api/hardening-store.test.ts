// The state directory and the store under stress (issue 14, docs/store.md): files that hold
// Secrets are owner-only whatever the home's mode was; /readyz fails while the store cannot
// commit and recovers when it can; a start on a full disk names the file it could not write.
// A real full disk is a small tmpfs, which needs root to mount: those cases are skipped
// without it, and the same failure is also made by holding the store's write lock.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { raw, startCli, tempHome, type Running } from '../helpers/nodeless.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const mode = (p: string) => (fs.statSync(p).mode & 0o777).toString(8);
const cm = (name: string, size = 10) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v: 'x'.repeat(size) } });
const CMS = '/api/v1/namespaces/default/configmaps';

/** A tmpfs of `size` at a fresh directory, or undefined when this process may not mount one. */
function smallDisk(size: string): string | undefined {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-disk-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status === 0) {
    // Not left mounted if the file ends before its `after` hook (a test timeout).
    process.once('exit', () => spawnSync('umount', [dir]));
    return dir;
  }
  fs.rmdirSync(dir);
  return undefined;
}
const unmount = (dir: string) => {
  spawnSync('umount', [dir]);
  fs.rmSync(dir, { recursive: true, force: true });
};
/** Fills the file system holding `dir` to the last byte. */
function fill(dir: string): string {
  const filler = path.join(dir, 'filler');
  const fd = fs.openSync(filler, 'w');
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (e) {
    assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
  }
  for (let n = 512; n >= 1; n = Math.floor(n / 2)) {
    try {
      for (;;) fs.writeSync(fd, chunk, 0, n);
    } catch { /* full at this size: try a smaller one */ }
  }
  fs.closeSync(fd);
  return filler;
}
const canMount = (() => {
  const d = smallDisk('64k');
  if (d) unmount(d);
  return d !== undefined;
})();
const needsMount = canMount ? false : 'mounting a small tmpfs (a full disk) needs root';

describe('file modes in the home', () => {
  it('makes the store, its -wal/-shm, pods/, pki keys, token and kubeconfig owner-only in a home that was 0755, and corrects them on the next start', async () => {
    const home = tempHome();
    fs.chmodSync(home, 0o755);
    const expected = {
      'state.db': '600', 'state.db-wal': '600', 'state.db-shm': '600', pods: '700', pki: '700',
      'pki/ca.key': '600', 'pki/server.key': '600', token: '600', kubeconfig: '600',
    };
    const modes = () => Object.fromEntries(Object.keys(expected).map((f) => [f, mode(path.join(home, f))]));
    let n = await startCli(home, ['--api-only']);
    try {
      assert.deepEqual(modes(), expected);
      assert.equal(mode(path.join(home, 'pki/ca.crt')), '644', 'certificates stay readable');
    } finally {
      await n.stop();
    }
    // As an earlier version (or a careless copy) left them.
    for (const [f, m] of Object.entries(expected)) {
      if (fs.existsSync(path.join(home, f))) fs.chmodSync(path.join(home, f), m === '700' ? 0o755 : 0o644);
    }
    n = await startCli(home, ['--api-only']);
    try {
      assert.deepEqual(modes(), expected);
    } finally {
      await n.stop();
    }
  });
});

/** GET on a health path without a token: status and body. */
const health = async (n: Running, p: string) => {
  const r = await raw(n, 'GET', p, undefined, {}, false);
  return `${r.status} ${r.body}`;
};

/** kube-apiserver's post-start hooks for what nodeless does before it serves (docs/observability.md). */
const HOOKS = ['generic-apiserver-start-informers', 'crd-informer-synced', 'start-system-namespaces-controller', 'bootstrap-controller'].map((h) => `[+]poststarthook/${h} ok\n`).join('');
/** Every check of /readyz or /healthz, the etcd one as given. */
const lines = (endpoint: 'readyz' | 'healthz', etcd: string, verdict: string) =>
  `[+]ping ok\n[+]log ok\n${etcd}\n${HOOKS}${endpoint === 'readyz' ? '[+]shutdown ok\n' : ''}${endpoint} check ${verdict}\n`;
const FAILED = '[-]etcd failed: reason withheld';

describe('/readyz follows the store', () => {
  it('fails while the store cannot commit (its write lock held elsewhere), with kube-apiserver\'s lines, and recovers', async () => {
    const n = await startCli(tempHome(), ['--api-only']);
    const lock = new Database(path.join(n.home, 'state.db'));
    try {
      assert.equal(await health(n, '/readyz'), '200 ok');
      assert.equal(await health(n, '/readyz?verbose'), `200 ${lines('readyz', '[+]etcd ok', 'passed')}`);
      lock.exec('BEGIN IMMEDIATE');
      const refused = await raw(n, 'POST', CMS, cm('locked'));
      assert.equal(refused.status, 500);
      assert.match(JSON.parse(refused.body).message, /store commit failed: database is locked/);
      assert.equal(await health(n, '/readyz'), `500 ${lines('readyz', FAILED, 'failed')}`);
      assert.equal(await health(n, '/readyz/etcd'), '500 internal server error: store commit failed: database is locked\n');
      assert.equal(await health(n, '/healthz'), `500 ${lines('healthz', FAILED, 'failed')}`);
      assert.equal(await health(n, '/livez'), '200 ok', 'a restart would not mend it: liveness holds');
      assert.equal(await health(n, '/readyz?exclude=etcd'), '200 ok');
      lock.exec('COMMIT');
      assert.equal(await health(n, '/readyz'), '200 ok');
      assert.equal((await raw(n, 'POST', CMS, cm('unlocked'))).status, 201);
    } finally {
      lock.close();
      await n.stop();
    }
  });

  describe('on a full disk', { skip: needsMount }, () => {
    let disk: string;
    before(() => { disk = smallDisk('4m')!; });
    after(() => unmount(disk));

    it('fails when a commit does not fit, and recovers once space is freed', async () => {
      const n = await startCli(path.join(disk, 'home'), ['--api-only']);
      try {
        assert.equal(await health(n, '/readyz'), '200 ok');
        const filler = fill(disk);
        let refused: { status: number; body: string } | undefined;
        let acked = 0;
        try {
          for (let i = 0; i < 500 && !refused; i++) {
            const r = await raw(n, 'POST', CMS, cm(`full-${i}`, 4000));
            if (r.status === 201) acked++;
            else refused = r;
          }
          assert.ok(refused, `every write fit: ${acked}`);
          assert.equal(refused.status, 500);
          assert.match(JSON.parse(refused.body).message, /store commit failed: database or disk is full/);
          assert.equal(await health(n, '/readyz'), `500 ${lines('readyz', FAILED, 'failed')}`);
          assert.equal(await health(n, '/readyz/etcd'), '500 internal server error: store commit failed: database or disk is full\n');
        } finally {
          fs.rmSync(filler);
        }
        assert.equal(await health(n, '/readyz'), '200 ok');
        assert.equal((await raw(n, 'POST', CMS, cm('after-space'))).status, 201);
        const names = JSON.parse((await raw(n, 'GET', CMS)).body).items.map((i: any) => i.metadata.name);
        assert.equal(names.filter((x: string) => x.startsWith('full-')).length, acked, 'every acknowledged write is there, the refused one is not');
      } finally {
        await n.stop();
      }
    });

    /** `nodeless up` on `home`: its exit code and everything it printed. */
    const up = (home: string) => {
      const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'nodeless.js'), 'up', '--home', home, '--port', '0', '--api-only'], { encoding: 'utf8', timeout: 60_000 });
      return { code: r.status, out: `${r.stdout}${r.stderr}`.trim() };
    };

    it('a start on a full disk is one line naming the file it could not write', async () => {
      const empty = path.join(disk, 'empty');
      fs.mkdirSync(empty);
      const withCreds = path.join(disk, 'with-creds');
      const made = tempHome();
      const first = await startCli(made, ['--api-only']);
      await first.stop();
      fs.mkdirSync(withCreds);
      fs.cpSync(path.join(made, 'pki'), path.join(withCreds, 'pki'), { recursive: true });
      fs.copyFileSync(path.join(made, 'token'), path.join(withCreds, 'token'));
      const filler = fill(disk);
      try {
        const a = up(empty);
        assert.equal(a.code, 1);
        assert.match(a.out, new RegExp(`^error: cannot write ${empty}/pki/ca\\.key: ENOSPC: no space left on device, write$`));
        const b = up(withCreds);
        assert.equal(b.code, 1);
        assert.match(b.out, new RegExp(`^error: cannot write ${withCreds}/state\\.db: (database or disk is full|disk I/O error)$`));
        assert.equal(fs.readFileSync(path.join(withCreds, 'token'), 'utf8'), fs.readFileSync(path.join(made, 'token'), 'utf8'));
      } finally {
        fs.rmSync(filler);
      }
    });
  });
});
