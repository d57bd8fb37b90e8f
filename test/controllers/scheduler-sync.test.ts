// The scheduler's sync(key) on an in-process cluster with a fake clock
// (src/controllers/scheduler.ts): a pod bound and announced, an unschedulable
// pod parked until a node arrives (once per burst, on the clock), and a
// refused binding told on the pod and retried with kube-scheduler's back-off.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { refs } from '../../src/client/types.js';
import type { KubeObject } from '../../src/api/types.js';
import { POD_BACKOFF, Scheduler } from '../../src/controllers/scheduler.js';
import { assertBackoff, inProcess, type InProcess } from './inprocess.js';
import { waitFor } from './harness.js';

let t: InProcess;
let s: Scheduler;

const node = (name: string, cpu = '2'): KubeObject => ({
  apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } },
  status: {
    capacity: { cpu, memory: '8Gi', pods: '110' }, allocatable: { cpu, memory: '8Gi', pods: '110' },
    conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }],
  },
});
const pod = (name: string, cpu = '1') => t.client.create(refs.pods, {
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu } } }] },
});
const get = (name: string) => t.cluster.client.get(refs.pods, 'default', name);
const scheduled = (p: KubeObject) => (p.status?.conditions ?? []).find((c: any) => c.type === 'PodScheduled');
const eventsOf = async (name: string, reason: string) => (await t.cluster.client.list(refs.events, { namespace: 'default', fieldSelector: `involvedObject.name=${name},reason=${reason}` })).items;

before(async () => {
  t = await inProcess();
  await t.cluster.client.create(refs.nodes, node('n1'));
  s = new Scheduler(t.client, { informers: t.informers, clock: t.clock, log: () => {} });
  await s.start(0); // no workers: the test takes keys itself
});
after(() => { s.stop(); t.close(); });

describe('Scheduler.sync', () => {
  it('binds a pod to a node that fits and says so', async () => {
    await pod('a');
    assert.equal(s.queue.len, 1, 'the new pod is queued');
    await s.processNextWorkItem();
    assert.equal((await get('a')).spec.nodeName, 'n1');
    assert.equal(s.nodeInfo('n1')!.requested.milliCpu, 1000);
    const ev = await waitFor('Scheduled event', async () => (await eventsOf('a', 'Scheduled'))[0]);
    assert.equal(ev.message, 'Successfully assigned default/a to n1');
    await s.sync('default/a');
    assert.equal(s.nodeInfo('n1')!.requested.milliCpu, 1000, 'a bound pod is not scheduled twice');
  });

  it('parks a pod no node fits, and tries it again once a node arrives (one batch, 50 ms on)', async () => {
    await pod('big', '4');
    await s.processNextWorkItem();
    const cond = scheduled(await get('big'));
    assert.deepEqual([cond.status, cond.reason], ['False', 'Unschedulable']);
    assert.match(cond.message, /^0\/1 nodes are available: 1 Insufficient cpu\./);
    assert.equal(s.queue.len, 0, 'parked: its own status write does not queue it again');
    await t.cluster.client.create(refs.nodes, node('n2', '8'));
    await t.cluster.client.create(refs.nodes, node('n3', '8'));
    t.clock.step(49);
    assert.equal(s.queue.len, 0);
    t.clock.step(1);
    assert.equal(s.queue.len, 1);
    await s.processNextWorkItem();
    assert.match((await get('big')).spec.nodeName, /^n[23]$/);
  });

  it('retries a refused binding after 1 s, 2 s, 4 s (kube-scheduler\'s back-off), telling the pod each time', async () => {
    t.failures.set('createSubresource', 3);
    await pod('unlucky');
    const key = 'default/unlucky';
    await s.processNextWorkItem();
    // (The condition written about each failure does not hurry the pod: it waits out every back-off.)
    await assertBackoff(s.queue, key, t.clock, [1000, 2000, 4000], async () => {
      assert.equal(s.queue.len, 1, 'only the pod itself is ready');
      await s.processNextWorkItem();
    });
    assert.equal(s.queue.numRequeues(key), 0);
    assert.ok((await get('unlucky')).spec.nodeName);
    const ev = await waitFor('FailedScheduling events', async () => {
      const e = await eventsOf('unlucky', 'FailedScheduling');
      return e[0]?.count === 3 ? e[0] : undefined;
    });
    assert.equal(ev.message, 'binding rejected: running Bind plugin "DefaultBinder": createSubresource: etcdserver: request timed out');
    assert.equal(POD_BACKOFF.maxMs, 10_000);
  });
});
