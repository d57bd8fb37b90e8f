// doctor's disk-gc check (docs/doctor.md, docs/tencent/system-disk.md) on a running
// cluster: a pod whose simulated writes fill its system disk until image GC frees
// nothing (the super node's real ImageGCFailed event) is a critical finding, gone
// with the pod; a healthy pod is none; pod templates whose thresholds keep the disk
// from being cleaned are warnings, gone once fixed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, nodeless, startCli, waitFor, waitForReadyNode, type Running } from '../helpers/nodeless.js';

const EKS = 'eks.tke.cloud.tencent.com';
let n: Running;
before(async () => { n = await startCli(); await waitForReadyNode(n, 120_000); });
after(async () => { await n?.stop(); });

function diskFindings(): any[] {
  const res = nodeless(n, ['doctor', '-o', 'json']);
  assert.ok(res.code === 0 || res.code === 1, res.stderr);
  return JSON.parse(res.stdout).findings.filter((f: any) => f.check === 'disk-gc');
}
const pod = (name: string, annotations: Record<string, string>) => JSON.stringify({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, annotations }, spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] },
});

describe('doctor: disk pressure and image GC thresholds', () => {
  it('a pod whose disk image GC cannot clean is critical; a healthy pod is not reported', async () => {
    kc(n, ['apply', '-f', '-'], pod('calm', {}));
    kc(n, ['apply', '-f', '-'], pod('filler', { 'nodeless.dev/simulate': 'write=17Gi', [`${EKS}/image-gc-period`]: '1s' }));
    const f = await waitFor('disk-gc finding for the full pod', () => diskFindings().find((x) => x.objects.includes('pod/default/filler')), 120_000, 500);
    assert.equal(f.severity, 'critical');
    assert.match(f.message, /^pod\/default\/filler: ImageGCFailed "failed to garbage collect required amount of images\. Wanted to free \d+ bytes, but freed 0 bytes".*image GC at 80% found no unused image.*pod-eviction-threshold is off/);
    assert.match(f.source.seed, /ImageGCFailed/);
    assert.equal(f.source.doc, 'docs/tencent/system-disk.md');
    assert.match(f.fix, /du -sh/);
    assert.equal(nodeless(n, ['doctor']).code, 1, 'a critical finding: exit 1');
    assert.deepEqual(diskFindings().filter((x) => x.objects.includes('pod/default/calm')), []);
    kc(n, ['delete', 'pod', 'filler', '--wait=false', '--grace-period=0', '--force']);
    await waitFor('finding gone with the pod', () => !diskFindings().some((x) => x.objects.includes('pod/default/filler')), 120_000, 500);
    kc(n, ['delete', 'pod', 'calm', '--wait=false']);
  });

  it('thresholds that keep the disk from being cleaned: warnings on the template, gone once fixed', () => {
    const deploy = (annotations: Record<string, string>) => JSON.stringify({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'keep' },
      spec: { replicas: 0, selector: { matchLabels: { app: 'keep' } },
        template: { metadata: { labels: { app: 'keep' }, annotations }, spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] } } },
    });
    kc(n, ['apply', '-f', '-'], deploy({ [`${EKS}/pod-eviction-threshold`]: '70' }));
    let [f] = diskFindings().filter((x) => x.objects.includes('deploy/default/keep'));
    assert.equal(f?.severity, 'warning');
    assert.match(f.message, /pod-eviction-threshold 70% is not above image-gc-high-threshold 80%: the pod is restarted before image GC/);
    kc(n, ['apply', '-f', '-'], deploy({ [`${EKS}/must-keep-last-container`]: 'true' }));
    [f] = diskFindings().filter((x) => x.objects.includes('deploy/default/keep'));
    assert.match(f?.message ?? '', /must-keep-last-container keeps exited containers past container-gc-threshold 85% and no pod-eviction-threshold is set/);
    kc(n, ['apply', '-f', '-'], deploy({ [`${EKS}/must-keep-last-container`]: 'true', [`${EKS}/pod-eviction-threshold`]: '90' }));
    assert.deepEqual(diskFindings().filter((x) => x.objects.includes('deploy/default/keep')), []);
    kc(n, ['delete', 'deploy/keep']);
  });
});
