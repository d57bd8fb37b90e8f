// The node lifecycle controller's sync(node) on an in-process cluster with a
// fake clock (src/controllers/nodelifecycle.ts): a node whose lease stops is
// Unknown the moment its grace period ends, its pods not Ready, its condition
// taints follow, pods that do not tolerate them go at once and the others when
// their tolerationSeconds end — each looked at on the clock, not by a sleep —
// and a failing status write retried with growing back-off.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { refs } from '../../src/client/types.js';
import type { KubeObject } from '../../src/api/types.js';
import { NodeLifecycleController } from '../../src/controllers/nodelifecycle.js';
import { registerNode, renewLease } from '../../src/runtime/node.js';
import { assertBackoff, inProcess, type InProcess } from './inprocess.js';
import { waitFor } from './harness.js';

let t: InProcess;
let ctl: NodeLifecycleController;
const GRACE = 40_000;

const cond = (o: KubeObject, type: string) => (o.status?.conditions ?? []).find((c: any) => c.type === type);
const getNode = (name: string) => t.cluster.client.get(refs.nodes, undefined, name);
const getPod = (name: string) => t.cluster.client.tryGet(refs.pods, 'default', name);
const unreachable = (secs: number) => [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: secs }];
async function runningPod(name: string, node: string, tolerations?: any[]): Promise<void> {
  const p = await t.cluster.client.create(refs.pods, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
    spec: { nodeName: node, containers: [{ name: 'c', image: 'nginx' }], ...(tolerations ? { tolerations } : {}) },
  });
  await t.cluster.client.updateStatus(refs.pods, { ...p, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }, { type: 'ContainersReady', status: 'True' }] } });
}
const drain = async () => { while (ctl.queue.len) await ctl.processNextWorkItem(); };

before(async () => {
  t = await inProcess();
  const n = await registerNode(t.cluster.client, { nodeName: 'quiet' });
  await renewLease(t.cluster.client, n, 40);
  await runningPod('short', 'quiet', unreachable(300));
  await runningPod('long', 'quiet', unreachable(3600));
  await runningPod('zero', 'quiet', unreachable(0));
  ctl = new NodeLifecycleController(t.client, { informers: t.informers, clock: t.clock, gracePeriodMs: GRACE, monitorPeriodMs: 3_600_000, log: () => {} });
  await ctl.start(0);
});
after(() => { ctl.stop(); t.close(); });

describe('NodeLifecycleController.sync', () => {
  it('leaves a node with a fresh lease alone, and looks again when the lease would run out', async () => {
    await drain();
    assert.equal(cond(await getNode('quiet'), 'Ready').status, 'True');
    assert.equal(ctl.queue.readyAt('quiet'), t.clock.now() + GRACE + 1);
  });

  it('retries a failing status write with growing back-off', async () => {
    t.clock.step(GRACE);
    assert.equal(ctl.queue.len, 0, 'not before the grace period ends');
    t.failures.set('updateStatus', 2);
    t.clock.step(1);
    await ctl.processNextWorkItem();
    await assertBackoff(ctl.queue, 'quiet', t.clock, [5, 10], () => ctl.processNextWorkItem());
    assert.equal(ctl.queue.numRequeues('quiet'), 0);
  });

  it('marks the silent node Unknown and its pods not Ready, taints it, and evicts what does not tolerate that', async () => {
    await drain();
    const n = await getNode('quiet');
    assert.deepEqual([cond(n, 'Ready').status, cond(n, 'Ready').reason, cond(n, 'Ready').message], ['Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.']);
    assert.deepEqual(n.spec.taints.map((x: any) => `${x.key}:${x.effect}`).sort(), ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    assert.equal(cond((await getPod('long'))!, 'Ready').status, 'False');
    assert.ok((await getPod('zero'))!.metadata.deletionTimestamp, 'a pod tolerating it for 0 s is evicted at once');
    assert.equal((await getPod('short'))!.metadata.deletionTimestamp, undefined);
    const ev = await waitFor('NodeNotReady', async () => (await t.cluster.client.list(refs.events, { namespace: 'default', fieldSelector: 'reason=NodeNotReady' })).items[0]);
    assert.equal(ev.message, 'Node quiet status is now: NodeNotReady');
  });

  it('evicts a tolerating pod when its tolerationSeconds end, on the clock', async () => {
    const added = Date.parse((await getNode('quiet')).spec.taints.find((x: any) => x.effect === 'NoExecute').timeAdded);
    assert.equal(ctl.queue.readyAt('quiet'), added + 300_000, 'the node is looked at again when short\'s 300 s end');
    t.clock.step(added + 300_000 - t.clock.now());
    await drain();
    assert.ok((await getPod('short'))!.metadata.deletionTimestamp);
    assert.equal((await getPod('long'))!.metadata.deletionTimestamp, undefined);
    assert.equal(ctl.queue.readyAt('quiet'), added + 3_600_000);
    const ev = await waitFor('TaintManagerEviction', async () => (await t.cluster.client.list(refs.events, { namespace: 'default', fieldSelector: 'involvedObject.name=short,reason=TaintManagerEviction' })).items[0]);
    assert.equal(ev.message, 'Marking for deletion Pod default/short');
  });
});

describe('a node without a Lease whose status heartbeat moves (kwok\'s node-heartbeat Stage)', () => {
  const beat = async (name: string) => {
    const n = await getNode(name);
    const at = new Date(t.clock.now()).toISOString();
    const updated = await t.cluster.client.updateStatus(refs.nodes, { ...n, status: { ...n.status, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: at, lastTransitionTime: at }] } });
    // The controller has seen this heartbeat once its cache holds this version.
    await waitFor('the heartbeat in the cache', () => (ctl as any).nodes.get(undefined, name)?.metadata.resourceVersion === updated.metadata.resourceVersion);
  };
  it('stays Ready past the grace period while the heartbeat moves, and is Unknown once it stops', async () => {
    await t.cluster.client.create(refs.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'beating' } });
    await beat('beating');
    for (let i = 0; i < 3; i++) {
      t.clock.step(GRACE - 5_000);
      await beat('beating');
      await drain();
      assert.equal(cond(await getNode('beating'), 'Ready').status, 'True', `beat ${i}`);
    }
    t.clock.step(GRACE + 1);
    await drain();
    assert.equal(cond(await getNode('beating'), 'Ready').status, 'Unknown');
  });
});
