// The image cache's pure parts (docs/tencent/image-reuse.md): which workload a pod belongs to,
// the pool's take/expiry rules and its file, and the disk directives of
// nodeless.dev/simulate.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ImageCache, reuseKeyOf, reuseWindowMs, workloadOf, DEFAULT_REUSE_WINDOW_MS } from '../../src/runtime/imagecache.js';
import { containerImage, parseBytes, parseSimulate } from '../../src/runtime/simulate.js';

const pod = (owner?: { kind: string; name: string }, labels: Record<string, string> = {}, annotations: Record<string, string> = {}): any => ({
  metadata: { namespace: 'ns', name: 'p', labels, annotations, ownerReferences: owner ? [{ ...owner, apiVersion: 'apps/v1', uid: 'u', controller: true }] : undefined },
});

describe('workloads and keys', () => {
  it('a Deployment pod counts as its Deployment, through the ReplicaSet name and pod-template-hash', () => {
    assert.equal(workloadOf(pod({ kind: 'ReplicaSet', name: 'web-7d4b9c' }, { 'pod-template-hash': '7d4b9c' })), 'ns/Deployment/web');
    assert.equal(workloadOf(pod({ kind: 'ReplicaSet', name: 'plain' })), 'ns/ReplicaSet/plain');
    assert.equal(workloadOf(pod({ kind: 'StatefulSet', name: 'db' })), 'ns/StatefulSet/db');
    assert.equal(workloadOf(pod()), undefined);
  });

  it('cbs-reuse-key wins over the workload; bare pods without it are not reused', () => {
    const ann = { 'eks.tke.cloud.tencent.com/cbs-reuse-key': 'nginx' };
    assert.equal(reuseKeyOf(pod({ kind: 'Job', name: 'j' }), ann), 'key:nginx');
    assert.equal(reuseKeyOf(pod(), ann), 'key:nginx');
    assert.equal(reuseKeyOf(pod({ kind: 'Job', name: 'j' }), {}), 'workload:ns/Job/j');
    assert.equal(reuseKeyOf(pod(), {}), undefined);
  });

  it('the window is 2 h unless NODELESS_IMAGE_REUSE_WINDOW_MS says otherwise', () => {
    assert.equal(reuseWindowMs({}), DEFAULT_REUSE_WINDOW_MS);
    assert.equal(DEFAULT_REUSE_WINDOW_MS, 7_200_000);
    assert.equal(reuseWindowMs({ NODELESS_IMAGE_REUSE_WINDOW_MS: '1500' }), 1500);
    assert.equal(reuseWindowMs({ NODELESS_IMAGE_REUSE_WINDOW_MS: 'soon' }), DEFAULT_REUSE_WINDOW_MS);
  });
});

describe('the pool', () => {
  const disk = (zone: string, key: string, at: number, name = 'nginx:1.25') => ({ zone, key, images: [{ name, bytes: 1 }], releasedAt: at, from: 'ns/p' });

  it('gives a disk to one pod of the same zone and key, newest first, within the window', () => {
    const c = new ImageCache(1000);
    c.release(disk('z1', 'k', 0, 'old'));
    c.release(disk('z1', 'k', 100, 'new'));
    assert.equal(c.take('z2', 'k', 200), undefined, 'another zone');
    assert.equal(c.take('z1', 'other', 200), undefined, 'another key');
    assert.equal(c.take('z1', 'k', 200)?.images[0].name, 'new');
    assert.equal(c.take('z1', 'k', 200)?.images[0].name, 'old');
    assert.equal(c.take('z1', 'k', 200), undefined, 'each disk is taken once');
    c.release(disk('z1', 'k', 0));
    assert.equal(c.take('z1', 'k', 1000), undefined, 'gone after the cache time');
  });

  it('survives in its file', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'imgcache-')), 'image-cache.json');
    const c = new ImageCache(60_000, file);
    c.release(disk('z1', 'k', Date.now()));
    c.flush();
    const again = new ImageCache(60_000, file);
    assert.equal(again.take('z1', 'k')?.images[0].name, 'nginx:1.25');
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });
});

describe('disk directives of nodeless.dev/simulate', () => {
  it('parses image-size, pull, write and write-after; rejects bad sizes', () => {
    assert.equal(parseBytes('15Gi'), 15 * 2 ** 30);
    assert.equal(parseBytes('2G'), 2e9);
    assert.equal(parseBytes('1048576'), 1048576);
    assert.equal(parseBytes('lots'), undefined);
    const p = parseSimulate('write=15Gi write-after=5s; container=app:image-size=12Gi pull=2s');
    assert.deepEqual(p.all, { writeBytes: 15 * 2 ** 30, writeAfterMs: 5000 });
    assert.deepEqual(p.byContainer.get('app'), { imageBytes: 12 * 2 ** 30, pullMs: 2000 });
    assert.deepEqual(p.errors, []);
    assert.deepEqual(parseSimulate('write=much').errors, ['unknown simulate directive "write=much"']);
    const sim = { metadata: { annotations: { 'nodeless.dev/simulate': 'container=app:image-size=12Gi pull=2s' } } } as any;
    assert.deepEqual(containerImage(sim, 'app', 'x:1', {}), { bytes: 12 * 2 ** 30, pullMs: 2000 });
    assert.notEqual(containerImage(sim, 'other', 'x:1', {}).bytes, 12 * 2 ** 30);
  });
});
