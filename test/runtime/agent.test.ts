// The node agent's sync(key) on an in-process cluster with a fake clock
// (src/runtime/agent.ts): the node's key registers the Node and renews its
// Lease every leaseRenewMs of the clock, a failed registration is retried
// with growing back-off, a pod's key starts it (its status written through
// the status queue) and a deleted pod's key frees what it held; a pod whose
// CSI volume is not attached waits (FailedMount after the kubelet's 2m3s).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { refs } from '../../src/client/types.js';
import { Kubelet } from '../../src/runtime/agent.js';
import { attachmentName } from '../../src/api/volumeattachment.js';
import { assertBackoff, inProcess, type InProcess } from '../controllers/inprocess.js';
import { waitFor } from '../controllers/harness.js';

let t: InProcess;
let k: Kubelet;
const RENEW = 10_000;

before(async () => {
  t = await inProcess();
  k = new Kubelet(t.client, { nodeName: 'n1', informers: t.informers, clock: t.clock, leaseRenewMs: RENEW, simulation: { timeScale: 0 }, log: () => {} });
  k.start(0, 0); // queues the node's key; no workers: the test takes keys itself
});
after(async () => { await k.stop(); t.close(); });

const lease = () => t.cluster.client.tryGet(refs.leases, 'kube-node-lease', 'n1');
/** Lets the agent's own timers (pod wake-ups, on the fake clock) and its queued work run until `done` holds. */
async function settle<T>(what: string, done: () => Promise<T | undefined | false>): Promise<T> {
  return waitFor(what, async () => {
    t.clock.step(0);
    while (k.queue.len) await k.processNextWorkItem();
    while (await k.processNextStatusWrite());
    return done();
  });
}

describe('Kubelet.sync', () => {
  it('retries a failed registration with growing back-off, then registers the Node and its Lease', async () => {
    t.failures.set('create', 2);
    assert.equal(k.queue.len, 1, 'start() queued the node');
    await k.processNextWorkItem();
    // (5 ms, 10 ms: the failure's back-off, not the renew period.)
    await assertBackoff(k.queue, 'n1', t.clock, [5, 10], () => k.processNextWorkItem());
    assert.equal(k.queue.numRequeues('n1'), 0);
    const node = await t.cluster.client.get(refs.nodes, undefined, 'n1');
    assert.equal((node.status.conditions as any[]).find((c) => c.type === 'Ready').status, 'True');
    assert.equal(Date.parse((await lease())!.spec.renewTime), t.clock.now());
    await k.ready;
  });

  it('renews the Lease every leaseRenewMs of its clock', async () => {
    const first = (await lease())!.spec.renewTime;
    assert.equal(k.queue.readyAt('n1'), t.clock.now() + RENEW);
    t.clock.step(RENEW - 1);
    assert.equal(k.queue.len, 0);
    t.clock.step(1);
    await k.processNextWorkItem();
    const renewed = (await lease())!.spec.renewTime;
    assert.notEqual(renewed, first);
    assert.equal(Date.parse(renewed), t.clock.now());
  });

  it('starts a pod bound to it and writes its status; frees it once the pod is gone', async () => {
    await t.cluster.client.create(refs.pods, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' },
      spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'nginx' }] },
    });
    assert.equal(k.queue.len, 1, 'the pod is queued');
    await k.processNextWorkItem();
    assert.ok(k.podState('default', 'web'), 'the agent has taken the pod on');
    const running = await settle('web Running', async () => {
      const p = await t.cluster.client.get(refs.pods, 'default', 'web');
      return p.status?.phase === 'Running' && p;
    });
    assert.ok(running.status.podIP);
    await k.sync('default/web');
    assert.equal((await t.cluster.client.get(refs.pods, 'default', 'web')).metadata.resourceVersion, running.metadata.resourceVersion, 'a second sync writes nothing');
    await t.cluster.client.delete(refs.pods, 'default', 'web', { gracePeriodSeconds: 0 });
    await settle('state freed', async () => !k.podState('default', 'web'));
  });

  it('retries a failed status write with growing back-off', async () => {
    await t.cluster.client.create(refs.pods, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'flaky', namespace: 'default' },
      spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'nginx' }] },
    });
    t.failures.set('updateStatus', 2);
    await k.processNextWorkItem();
    await waitFor('the status write queued', () => k.statusQueue.len > 0);
    await k.processNextStatusWrite();
    await assertBackoff(k.statusQueue, 'default/flaky', t.clock, [5, 10], () => k.processNextStatusWrite());
    assert.equal(k.statusQueue.numRequeues('default/flaky'), 0);
    await settle('flaky Running', async () => (await t.cluster.client.get(refs.pods, 'default', 'flaky')).status?.phase === 'Running');
  });
});

describe('attachable volumes', () => {
  it('a pod waits for its CSI volume\'s VolumeAttachment: FailedMount every 2m3s, then it starts once attached', async () => {
    const c = t.cluster.client;
    await c.create(refs.persistentvolumes, {
      apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv-a' },
      spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], csi: { driver: 'ebs.csi.aws.com', volumeHandle: 'vol-1' }, claimRef: { namespace: 'default', name: 'claim-a' } },
    });
    await c.create(refs.persistentvolumeclaims, {
      apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'claim-a', namespace: 'default' },
      spec: { volumeName: 'pv-a', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
    await c.create(refs.pods, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'db', namespace: 'default' },
      spec: { nodeName: 'n1', containers: [{ name: 'db', image: 'nginx:1.27' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'claim-a' } }] },
    });
    const events = async () => (await c.list(refs.events, { namespace: 'default' })).items.filter((e) => e.involvedObject?.name === 'db');
    await settle('db taken on', async () => k.podState('default', 'db'));
    t.clock.step(122_000);
    await settle('db seen again', async () => true);
    assert.equal((await events()).some((e) => e.reason === 'FailedMount'), false, 'not before 2m3s');
    t.clock.step(1_000);
    const failed = await settle('FailedMount', async () => (await events()).find((e) => e.reason === 'FailedMount'));
    assert.equal(failed.message, 'Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[data], failed to process volumes=[]: context deadline exceeded');
    const waiting = await c.get(refs.pods, 'default', 'db');
    assert.equal(waiting.status?.phase, 'Pending');
    assert.equal((await events()).some((e) => e.reason === 'Started'), false);

    const va = await c.create(refs.volumeattachments, {
      apiVersion: 'storage.k8s.io/v1', kind: 'VolumeAttachment', metadata: { name: attachmentName('vol-1', 'ebs.csi.aws.com', 'n1') },
      spec: { attacher: 'ebs.csi.aws.com', nodeName: 'n1', source: { persistentVolumeName: 'pv-a' } },
    });
    await c.updateStatus(refs.volumeattachments, { ...va, status: { attached: true } });
    await settle('db Running once attached', async () => (await c.get(refs.pods, 'default', 'db')).status?.phase === 'Running');
  });
});
