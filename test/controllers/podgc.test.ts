// The pod garbage collector's passes on an in-process cluster with a FakeClock
// (src/controllers/podgc.ts, docs/controllers-podgc.md): the terminated-pod
// threshold, orphans after the 40 s quarantine, unscheduled terminating pods,
// terminating pods on an out-of-service node. Each test calls gc() itself.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { refs } from '../../src/client/types.js';
import type { KubeObject } from '../../src/api/types.js';
import { FakeClock } from '../../src/util/clock.js';
import { PodGCController, QUARANTINE_MS } from '../../src/controllers/podgc.js';
import { inProcess, type InProcess } from './inprocess.js';
import { waitFor } from './harness.js';

let t: InProcess;
let ctl: PodGCController | undefined;
let clock: FakeClock;
before(async () => { t = await inProcess(); });
after(() => { ctl?.stop(); t.close(); });

/** A controller of its own (threshold as given) on a fresh clock, caches filled, no workers: gc() is called by hand. */
async function controller(terminatedPodThreshold: number): Promise<PodGCController> {
  ctl?.stop();
  clock = new FakeClock(Date.now());
  ctl = new PodGCController(t.client, { informers: t.informers, clock, terminatedPodThreshold, log: () => {} });
  await ctl.start(0);
  return ctl;
}

const ns = 'default';
const get = (name: string) => t.cluster.client.tryGet(refs.pods, ns, name);
/** Until the shared caches show every pod as the API has it now. */
async function cached(): Promise<void> {
  const pods = (await t.cluster.client.list(refs.pods, { namespace: ns })).items;
  const inf = t.informers.informer(refs.pods);
  await waitFor('pods cached', () => inf.list(ns).length === pods.length && pods.every((p) => inf.get(ns, p.metadata.name!)?.metadata.resourceVersion === p.metadata.resourceVersion));
  const nodes = (await t.cluster.client.list(refs.nodes, {})).items;
  await waitFor('nodes cached', () => t.informers.informer(refs.nodes).list().length === nodes.length);
}

async function pod(name: string, spec: any = {}, meta: any = {}, status?: any): Promise<KubeObject> {
  let p: KubeObject = await t.cluster.client.create(refs.pods, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, ...meta },
    spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
  });
  if (status) p = await t.cluster.client.updateStatus(refs.pods, { ...p, status: { ...p.status, ...status } });
  return p;
}
const FINALIZER = 'example.com/hold';
/** Lets a pod kept by FINALIZER go, so the next test starts clean. */
const release = (name: string) => t.cluster.client.patch(refs.pods, ns, name, 'merge', { metadata: { finalizers: null } }).catch(() => undefined);

describe('PodGCController.gc', () => {
  it('terminated pods beyond the threshold go, evicted ones first, then the oldest; running pods are never counted', async () => {
    await pod('t-run', {}, {}, { phase: 'Running' });
    await pod('t-a', {}, {}, { phase: 'Succeeded' });
    await pod('t-b', {}, {}, { phase: 'Failed' });
    await pod('t-c', {}, {}, { phase: 'Succeeded' });
    await pod('t-z-evicted', {}, {}, { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' });
    await controller(2);
    await cached();
    await ctl!.gc();
    // Four terminated, two kept: the evicted one, then the oldest (same second: by name, t-a).
    assert.equal(await get('t-z-evicted'), undefined);
    assert.equal(await get('t-a'), undefined);
    assert.ok(await get('t-b'));
    assert.ok(await get('t-c'));
    assert.ok(await get('t-run'));
    for (const n of ['t-run', 't-b', 't-c']) await t.cluster.client.delete(refs.pods, ns, n, { gracePeriodSeconds: 0 });
  });

  it('a pod bound to a node that is gone: after the 40 s quarantine and the API\'s word, Failed with DisruptionTarget and force-deleted', async () => {
    await pod('orphan', { nodeName: 'gone-node' }, { finalizers: [FINALIZER] }, { phase: 'Running' });
    await pod('homeless-done', { nodeName: 'gone-node' }, {}, { phase: 'Succeeded' });
    await controller(0);
    await cached();
    await ctl!.gc();
    assert.equal((await get('orphan'))!.status.phase, 'Running', 'quarantined: the node may only be late in the cache');
    clock.step(QUARANTINE_MS - 1);
    await ctl!.gc();
    assert.equal((await get('orphan'))!.metadata.deletionTimestamp, undefined);
    clock.step(1);
    await ctl!.gc();
    const p = (await get('orphan'))!;
    assert.equal(p.status.phase, 'Failed');
    const c = p.status.conditions.find((x: any) => x.type === 'DisruptionTarget');
    assert.deepEqual([c.status, c.reason, c.message], ['True', 'DeletionByPodGC', 'PodGC: node no longer exists']);
    assert.ok(p.metadata.deletionTimestamp, 'deleted');
    assert.equal(p.metadata.deletionGracePeriodSeconds, 0, 'with grace period 0');
    assert.equal(await get('homeless-done'), undefined, 'a finished orphan just goes');
    await release('orphan');
  });

  it('a node that comes back during the quarantine saves its pods', async () => {
    await pod('late', { nodeName: 'late-node' }, {}, { phase: 'Running' });
    await controller(0);
    await cached();
    await ctl!.gc();
    await t.cluster.client.create(refs.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'late-node' } });
    await cached();
    clock.step(QUARANTINE_MS);
    await ctl!.gc();
    assert.equal((await get('late'))!.metadata.deletionTimestamp, undefined);
    await t.cluster.client.delete(refs.pods, ns, 'late', { gracePeriodSeconds: 0 });
  });

  it('a terminating pod never bound to a node is failed and force-deleted', async () => {
    await pod('unbound', {}, { finalizers: [FINALIZER] });
    await t.cluster.client.delete(refs.pods, ns, 'unbound');
    await controller(0);
    await cached();
    await ctl!.gc();
    const p = (await get('unbound'))!;
    assert.equal(p.status.phase, 'Failed');
    assert.equal(p.metadata.deletionGracePeriodSeconds, 0);
    assert.equal((p.status.conditions ?? []).find((x: any) => x.type === 'DisruptionTarget'), undefined, 'no condition for these');
    await release('unbound');
  });

  it('a terminating pod on a NotReady node tainted out-of-service is force-deleted; on a Ready one it is left to its kubelet', async () => {
    for (const [name, ready] of [['oos-node', 'False'], ['oos-ready', 'True']] as const) {
      await t.cluster.client.create(refs.nodes, {
        apiVersion: 'v1', kind: 'Node', metadata: { name },
        spec: { taints: [{ key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' }] },
        status: { conditions: [{ type: 'Ready', status: ready, reason: 'KubeletNotReady', message: 'down' }] },
      });
      await pod(`on-${name}`, { nodeName: name, tolerations: [{ operator: 'Exists' }] }, { finalizers: [FINALIZER] }, { phase: 'Running' });
      await t.cluster.client.delete(refs.pods, ns, `on-${name}`, { gracePeriodSeconds: 30 });
    }
    await controller(0);
    await cached();
    await ctl!.gc();
    const gone = (await get('on-oos-node'))!;
    assert.equal(gone.status.phase, 'Failed');
    assert.equal(gone.metadata.deletionGracePeriodSeconds, 0);
    const kept = (await get('on-oos-ready'))!;
    assert.equal(kept.status.phase, 'Running');
    assert.equal(kept.metadata.deletionGracePeriodSeconds, 30);
    await release('on-oos-node');
    await release('on-oos-ready');
  });

  it('runs again every 20 s on its clock', async () => {
    await controller(0);
    await ctl!.processNextWorkItem();
    assert.equal(ctl!.queue.readyAt('podgc'), clock.now() + 20_000);
  });
});
