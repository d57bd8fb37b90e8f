// /etc/exports lines and the answers an NFS server gives a super-node pod
// (docs/tencent/nfs-volumes.md): the documented `/data/ 10.0.0.0/16(rw,insecure)` mounts; without
// `insecure` the pod (unprivileged source port) is refused; the most specific
// client entry and the longest exported path decide.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { answerMount, formatExport, parseExportLine, parseExports } from '../../src/cloud/models/exports.js';
import { NfsMounts } from '../../src/runtime/nfs.js';

describe('parseExportLine', () => {
  it('reads the documented line, normalising the path', () => {
    assert.deepEqual(parseExportLine('/data/  10.0.0.0/16(rw,insecure)'), { path: '/data', clients: [{ host: '10.0.0.0/16', options: ['rw', 'insecure'] }] });
  });

  it('reads several clients, netmasks, bare hosts and "(opts)" as every host', () => {
    const e = parseExportLine('/srv 10.0.1.7(rw) 192.168.0.0/255.255.0.0(ro) 10.0.2.9 (rw,insecure)');
    assert.deepEqual(e.clients.map((c) => c.host), ['10.0.1.7', '192.168.0.0/16', '10.0.2.9', '*']);
    assert.deepEqual(e.clients[2].options, []);
    assert.equal(formatExport(e), '/srv 10.0.1.7(rw) 192.168.0.0/16(ro) 10.0.2.9() *(rw,insecure)');
    assert.deepEqual(parseExportLine('/pub').clients, [{ host: '*', options: [] }]);
  });

  it('refuses what exportfs would refuse', () => {
    assert.throws(() => parseExportLine('data *(rw)'), /must start with an absolute path/);
    assert.throws(() => parseExportLine('/d *(rw,nosuch)'), /unknown option "nosuch"/);
    assert.throws(() => parseExportLine('/d *.example.com(rw)'), /client "\*\.example\.com" is not supported/);
    assert.throws(() => parseExportLine('/d 10.0.0.0/33(rw)'), /client "10\.0\.0\.0\/33" is not supported/);
    assert.throws(() => parseExports(['/d *(rw)', '/d/ 10.0.0.0/8(rw)']), /exported twice/);
    assert.throws(() => parseExports('/d *(rw)'), /must be a list/);
  });
});

describe('answerMount', () => {
  const exports = parseExports([
    '/data 10.0.0.0/16(rw,insecure) 10.0.1.9(rw)',
    '/data/ro *(ro,insecure)',
    '/secure 10.0.0.0/8(rw)',
  ]);

  it('mounts with (rw,insecure), a subdirectory of an export too', () => {
    assert.deepEqual(answerMount(exports, '/data', '10.0.1.2'), { ok: true, export: exports[0], readOnly: false });
    assert.equal(answerMount(exports, '/data/a/b', '10.0.1.2').ok, true);
  });

  it('refuses a client without insecure (Operation not permitted, as documented)', () => {
    assert.deepEqual(answerMount(exports, '/secure', '10.0.1.2'), { ok: false, reason: 'insecure' });
    // The most specific entry wins: 10.0.1.9 has no insecure although its /16 has.
    assert.deepEqual(answerMount(exports, '/data', '10.0.1.9'), { ok: false, reason: 'insecure' });
  });

  it('denies clients and paths nothing exports to; ro exports mount read-only', () => {
    assert.deepEqual(answerMount(exports, '/data', '172.16.0.5'), { ok: false, reason: 'denied' });
    assert.deepEqual(answerMount(exports, '/other', '10.0.1.2'), { ok: false, reason: 'denied' });
    assert.deepEqual(answerMount(exports, '/database', '10.0.1.2'), { ok: false, reason: 'denied' });
    const ro = answerMount(exports, '/data/ro/x', '172.16.0.5');
    assert.ok(ro.ok && ro.readOnly && ro.export.path === '/data/ro');
  });
});

describe('NfsMounts', () => {
  const pod = { metadata: { name: 'p', uid: 'u1' }, spec: { volumes: [{ name: 'v', nfs: { server: '10.0.1.50', path: '/d' } }, { name: 'e', emptyDir: {} }] } };

  it('backs off like the kubelet (500ms doubling to 2m2s) and reports what is missing every 2 minutes', () => {
    const m = new NfsMounts(() => ({ ok: false, error: 'insecure' }));
    const delays: number[] = [];
    let t = 0;
    let summary = '';
    for (let i = 0; i < 12; i++) {
      const r = m.mount(pod, '10.0.1.2', t);
      assert.match(r.failures[0], /Output: mount\.nfs: Operation not permitted$/);
      if (r.failures[1]) summary = r.failures[1];
      delays.push(r.retryAt! - t);
      t = r.retryAt!;
    }
    assert.deepEqual(delays.slice(0, 5), [500, 1000, 2000, 4000, 8000]);
    assert.equal(Math.max(...delays), 122_000);
    assert.equal(summary, 'Unable to attach or mount volumes: unmounted volumes=[v], unattached volumes=[e v]: timed out waiting for the condition');
  });

  it('says how each failure looks to mount.nfs', () => {
    const out = (error: any) => new NfsMounts(() => ({ ok: false, error })).mount(pod, '10.0.1.2', 0).failures[0].split('\n').pop();
    assert.equal(out('timeout'), 'Output: mount.nfs: Connection timed out');
    assert.equal(out('refused'), 'Output: mount.nfs: Connection refused');
    assert.equal(out('denied'), 'Output: mount.nfs: access denied by server while mounting 10.0.1.50:/d');
    assert.equal(out('resolve'), 'Output: mount.nfs: Failed to resolve server 10.0.1.50: Name or service not known');
  });
});
