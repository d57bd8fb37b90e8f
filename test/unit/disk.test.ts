import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PodDisk, GiB, DEFAULT_DISK_BYTES, DEFAULT_DISK_GC, gcFailedMessage } from '../../src/clouds/tencent/disk.js';
import { eksSettings } from '../../src/clouds/tencent/annotations.js';

const reasons = (evs: { reason: string }[]) => evs.map((e) => e.reason);

describe('PodDisk basics', () => {
  it('is 20 GiB by default and counts images plus writable layers', () => {
    const d = new PodDisk();
    assert.equal(d.capacityBytes, DEFAULT_DISK_BYTES);
    assert.equal(DEFAULT_DISK_BYTES, 20 * GiB);
    const p = d.pull('nginx:1.27', 200 * 2 ** 20);
    assert.equal(p.ok, true);
    assert.deepEqual(reasons(p.events), ['Pulling', 'Pulled']);
    d.startContainer('web', 'nginx:1.27');
    assert.deepEqual(d.write('web', GiB), { ok: true, writtenBytes: GiB });
    assert.equal(d.usedBytes(), 200 * 2 ** 20 + GiB);
    assert.deepEqual(d.write('web', -2 * GiB), { ok: true, writtenBytes: -GiB });
  });

  it('an image already on a reused disk is not pulled again', () => {
    const d = new PodDisk({ images: [{ name: 'app:v1', bytes: GiB }] });
    const p = d.pull('app:v1', GiB);
    assert.deepEqual(p, { ok: true, reused: true, events: [{ type: 'Normal', reason: 'Pulled', message: 'Container image "app:v1" already present on machine' }] });
  });

  it('a write that does not fit is cut short with ENOSPC', () => {
    const d = new PodDisk({ capacityBytes: 10 * GiB });
    d.pull('app', GiB);
    d.startContainer('app', 'app');
    const w = d.write('app', 20 * GiB);
    assert.deepEqual(w, { ok: false, writtenBytes: 9 * GiB, error: 'write: no space left on device' });
    assert.equal(d.freeBytes(), 0);
  });
});

describe('pull on a full reused disk (docs/tencent/system-disk.md)', () => {
  // Reused system disk: an unused old image of 3889267064 bytes plus a running sidecar.
  const setup = () => {
    const d = new PodDisk({ images: [{ name: 'old-app:v1', bytes: 3889267064 }] });
    d.pull('sidecar:v1', 15_000_000_000);
    d.startContainer('sidecar', 'sidecar:v1');
    const free = d.freeBytes();
    return { d, size: free + 4220828057 };
  };

  it('fails with "no space left on device: unknown" and FreeDiskSpaceFailed with the documented numbers', () => {
    const { d, size } = setup();
    const p = d.pull('new-app:v2', size);
    assert.equal(p.ok, false);
    assert.ok(p.events.some((e) => e.type === 'Warning' && e.reason === 'Failed' && e.message.endsWith('no space left on device: unknown')), JSON.stringify(p.events));
    const fds = p.events.find((e) => e.reason === 'FreeDiskSpaceFailed');
    assert.deepEqual(fds, {
      type: 'Warning', reason: 'FreeDiskSpaceFailed',
      message: 'failed to garbage collect required amount of images. Wanted to free 4220828057 bytes, but freed 3889267064 bytes',
    });
    assert.equal(d.hasImage('old-app:v1'), false);
    assert.equal(d.hasImage('sidecar:v1'), true, 'an image in use is never collected');
  });

  it('succeeds on retry once enough space was freed', () => {
    const { d, size } = setup();
    assert.equal(d.pull('new-app:v2', size).ok, false);
    assert.equal(d.pull('new-app:v2', size).ok, false); // the sidecar image is still in use
    d.exitContainer('sidecar');
    const gc = d.gc({ ...DEFAULT_DISK_GC, containerGcThreshold: 0 });
    assert.deepEqual(gc.removedContainers, ['sidecar']);
    // The next attempt still finds the disk full, but now frees the unused sidecar image in full…
    const p1 = d.pull('new-app:v2', size);
    assert.equal(p1.ok, false);
    assert.ok(!p1.events.some((e) => e.reason === 'FreeDiskSpaceFailed'));
    assert.equal(d.hasImage('sidecar:v1'), false);
    // …so the retry succeeds: "等待若干分钟后 Pod 会自动 running".
    const p2 = d.pull('new-app:v2', size);
    assert.equal(p2.ok, true, JSON.stringify(p2.events));
  });

  it('pulling with enough free space after freeing emits no FreeDiskSpaceFailed', () => {
    const d = new PodDisk({ images: [{ name: 'old', bytes: 18 * GiB }] });
    const p = d.pull('new', 4 * GiB);
    assert.equal(p.ok, false);
    assert.deepEqual(reasons(p.events), ['Pulling', 'Failed', 'Failed']);
    assert.equal(d.pull('new', 4 * GiB).ok, true);
  });
});

describe('periodic gc', () => {
  it('at image-gc-high-threshold collects unused images (LRU) down to the low threshold, no more', () => {
    const d = new PodDisk({ capacityBytes: 100 * GiB, images: [{ name: 'a', bytes: 10 * GiB }, { name: 'b', bytes: 10 * GiB }, { name: 'c', bytes: 10 * GiB }] });
    d.pull('app', 52 * GiB);
    d.startContainer('app', 'app');
    assert.equal(Math.round(d.usagePercent()), 82);
    const r = d.gc(DEFAULT_DISK_GC);
    assert.deepEqual(r.removedImages, ['a']); // 82% → 72%: ≤ 75% after one image
    assert.equal(r.freedBytes, 10 * GiB);
    assert.deepEqual(r.events, []);
    assert.equal(d.gc(DEFAULT_DISK_GC).removedImages.length, 0, 'below the high threshold nothing happens');
  });

  it('ImageGCFailed when nothing can be freed (the guide: "but freed 0 bytes")', () => {
    const d = new PodDisk();
    d.pull('app', GiB);
    d.startContainer('app', 'app');
    d.write('app', 16 * GiB); // 85% of 20 GiB, all of it temporary output
    const r = d.gc(DEFAULT_DISK_GC);
    const wanted = 17 * GiB - Math.floor(DEFAULT_DISK_BYTES * 0.75);
    assert.deepEqual(r.events, [{ type: 'Warning', reason: 'ImageGCFailed', message: gcFailedMessage(wanted, 0) }]);
    assert.equal(r.events[0].message, `failed to garbage collect required amount of images. Wanted to free ${wanted} bytes, but freed 0 bytes`);
    assert.equal(r.action, undefined, 'pod-eviction-threshold is off unless set');
  });

  it('FreeDiskSpaceFailed when only part could be freed', () => {
    const d = new PodDisk({ images: [{ name: 'old', bytes: GiB }] });
    d.pull('app', GiB);
    d.startContainer('app', 'app');
    d.write('app', 15 * GiB);
    const r = d.gc(DEFAULT_DISK_GC);
    assert.deepEqual(reasons(r.events), ['FreeDiskSpaceFailed']);
    assert.match(r.events[0].message, new RegExp(`but freed ${GiB} bytes$`));
  });

  it('container-gc-threshold removes exited containers, unless must-keep-last-container', () => {
    const mk = () => {
      const d = new PodDisk();
      d.pull('app', GiB);
      d.startContainer('app-1', 'app');
      d.write('app-1', 16.5 * GiB); // 87.5%
      d.exitContainer('app-1');
      d.startContainer('app-2', 'app');
      return d;
    };
    const d = mk();
    const r = d.gc(DEFAULT_DISK_GC);
    assert.deepEqual(r.removedContainers, ['app-1']);
    assert.equal(d.usedBytes(), GiB);

    const keep = mk();
    const s = eksSettings({ 'eks.tke.cloud.tencent.com/must-keep-last-container': 'true' });
    const r2 = keep.gc(s);
    assert.deepEqual(r2.removedContainers, []);
    assert.deepEqual(reasons(r2.events), ['ImageGCFailed'], 'the side effect: the space is not freed');
  });

  it('below container-gc-threshold exited containers stay', () => {
    const d = new PodDisk();
    d.pull('app', GiB);
    d.startContainer('old', 'app');
    d.exitContainer('old');
    assert.deepEqual(d.gc(DEFAULT_DISK_GC).removedContainers, []);
    assert.equal(d.containers().length, 1);
  });

  it('above pod-eviction-threshold asks for a pod restart, which empties writable layers', () => {
    const d = new PodDisk();
    d.pull('app', GiB);
    d.startContainer('app', 'app');
    d.write('app', 17 * GiB); // 90%
    const s = eksSettings({ 'eks.tke.cloud.tencent.com/pod-eviction-threshold': '85' });
    const r = d.gc(s);
    assert.equal(r.action, 'restart-pod');
    assert.deepEqual(r.events.at(-1), { type: 'Warning', reason: 'EvictionThresholdMet', message: 'system disk usage 90% is above pod-eviction-threshold 85%: restarting the pod' });
    assert.deepEqual(d.restartPod(), [{ type: 'Normal', reason: 'Killing', message: 'Stopping container app' }]);
    assert.equal(d.usedBytes(), GiB);
    assert.equal(d.hasImage('app'), true);
    assert.equal(d.gc(s).action, undefined);
  });

  it('rejects unknown containers and unpulled images', () => {
    const d = new PodDisk();
    assert.throws(() => d.startContainer('x', 'nope'), /image "nope" is not on the disk/);
    assert.throws(() => d.write('x', 1), /no container "x"/);
  });
});
