// The super node controller's sync(id) on an in-process cluster with a fake
// clock and fake agents (src/controllers/supernode.ts): agent start and the
// Node's events, the subnet's taint and condition, drain and its end, removal,
// and a failing sync retried with growing back-off.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { refs } from '../../src/client/types.js';
import type { SuperNode } from '../../src/cloud/types.js';
import { NETWORK_TAINT, SuperNodeController, type SuperNodeAgents } from '../../src/controllers/supernode.js';
import { registerNode } from '../../src/runtime/node.js';
import { assertBackoff, inProcess, type InProcess } from './inprocess.js';
import { waitFor } from './harness.js';

let t: InProcess;
let ctl: SuperNodeController;
const started: string[] = [];
const stopped: string[] = [];
let sn: SuperNode;
let subnetId: string;

before(async () => {
  t = await inProcess();
  // The agents the eklet would start: here, just the Node a kubelet registers.
  const agents: SuperNodeAgents = {
    async start(s) { started.push(s.name); await registerNode(t.cluster.client, { nodeName: s.name }); },
    async stop(s) { stopped.push(s.name); },
  };
  ctl = new SuperNodeController(t.cloud, 'default', t.client, agents, { informers: t.informers, clock: t.clock, log: () => {} });
  const vpcId = t.cloud.clusters.get('default').vpcId;
  // A /28: 13 addresses to hand out, so the test can use them all up.
  subnetId = (await t.cloud.subnets.create({ vpcId, zone: 'ap-guangzhou-4', cidr: '10.0.200.0/28', name: 'tiny' })).id;
  sn = await t.cloud.superNodes.create({ clusterName: 'default', subnetId, name: 'tiny-node' });
  // Not the cluster's last super node, so it may be removed.
  await t.cloud.superNodes.create({ clusterName: 'default', subnetId: t.cloud.clusters.get('default').subnetIds[0], name: 'other' });
  await t.informers.informer(refs.nodes).hasSynced();
});
after(() => { ctl.stop(); t.close(); });

const node = () => t.cluster.client.get(refs.nodes, undefined, 'tiny-node');
const netCondition = async () => ((await node()).status?.conditions ?? []).find((c: any) => c.type === 'NetworkUnavailable');
const tainted = async () => ((await node()).spec?.taints ?? []).some((x: any) => x.key === NETWORK_TAINT && x.effect === 'NoSchedule');
const allocate = (i: number) => t.cloud.allocatePodEni({ cluster: 'default', namespace: 'default', pod: `p${i}`, uid: `uid-${i}`, subnetId, securityGroupIds: [], node: 'tiny-node' });

describe('SuperNodeController.sync', () => {
  it('starts the agent once and tells its start as its eklet and the node controller do', async () => {
    await ctl.sync(sn.id);
    await ctl.sync(sn.id);
    assert.deepEqual(started, ['tiny-node']);
    assert.equal((await netCondition())?.status, 'False');
    const events = await waitFor('the three start events', async () => {
      const items = (await t.client.list(refs.events, { namespace: 'default' })).items.filter((e: any) => e.involvedObject.name === 'tiny-node');
      return items.length === 3 ? items : undefined;
    });
    assert.deepEqual(events.map((e: any) => `${e.source.component} ${e.reason}`).sort(),
      ['eklet NodeReady', 'eklet Starting', 'node-controller RegisteredNode']);
  });

  it('taints the node and sets NetworkUnavailable when the subnet runs out, and clears both when an address is free', async () => {
    const enis = [];
    for (let i = 0; i < 13; i++) enis.push(await allocate(i));
    assert.equal(t.cloud.subnetAvailable(subnetId), 0);
    assert.ok(ctl.queue.len > 0, 'the subnet change queued the super node');
    await ctl.sync(sn.id);
    assert.equal(await tainted(), true);
    const cond = await netCondition();
    assert.equal(cond.status, 'True');
    assert.equal(cond.reason, 'EKLetHasInsufficientSubnetIP');
    const rv = (await node()).metadata.resourceVersion;
    await ctl.sync(sn.id);
    assert.equal((await node()).metadata.resourceVersion, rv, 'a second sync writes nothing');
    await t.cloud.releaseEni(enis[0].id);
    await ctl.sync(sn.id);
    assert.equal(await tainted(), false);
    assert.equal((await netCondition()).status, 'False');
  });

  it('retries a failing sync with growing back-off on the clock, then succeeds', async () => {
    while (ctl.queue.len) await ctl.processNextWorkItem(); // what earlier changes queued
    await allocate(100); // the subnet is full again: taint and condition must be written
    // The first write of the sync (the taint) fails three times: nothing is written before it fails.
    t.failures.set('patch', 3);
    const key = sn.id;
    assert.equal(ctl.queue.len, 1, 'the allocation queued the super node');
    await ctl.processNextWorkItem();
    await assertBackoff(ctl.queue, key, t.clock, [5, 10, 20], () => ctl.processNextWorkItem());
    assert.equal(ctl.queue.numRequeues(key), 0, 'the fourth try succeeded and was forgotten');
    assert.equal((await netCondition()).status, 'True');
    assert.equal(await tainted(), true);
  });

  it('drains: cordons and evicts all but DaemonSet pods; the drain ending uncordons', async () => {
    const pod = (name: string, ds = false) => ({
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name, namespace: 'default', ...(ds ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'ds', uid: 'ds-uid', controller: true }] } : {}) },
      spec: { nodeName: 'tiny-node', containers: [{ name: 'c', image: 'nginx' }] },
    });
    await t.client.create(refs.pods, pod('app'));
    await t.client.create(refs.pods, pod('agent', true));
    await t.cloud.superNodes.drain('tiny-node');
    await ctl.sync(sn.id);
    assert.equal((await node()).spec.unschedulable, true);
    const app = await t.client.tryGet(refs.pods, 'default', 'app');
    assert.ok(!app || app.metadata.deletionTimestamp, 'the app pod is evicted');
    assert.ok(!(await t.client.get(refs.pods, 'default', 'agent')).metadata.deletionTimestamp, 'the DaemonSet pod stays');
    await t.cloud.superNodes.uncordon('tiny-node');
    await ctl.sync(sn.id);
    assert.equal((await node()).spec.unschedulable, undefined);
    // A cordon of the user's own is left alone: only a drain's end uncordons.
    await t.client.patch(refs.nodes, undefined, 'tiny-node', 'merge', { spec: { unschedulable: true } });
    await ctl.sync(sn.id);
    assert.equal((await node()).spec.unschedulable, true);
    await t.client.delete(refs.pods, 'default', 'agent', { gracePeriodSeconds: 0 });
  });

  it('stops the agent and deletes the Node once the super node is removed', async () => {
    await t.client.delete(refs.pods, 'default', 'app', { gracePeriodSeconds: 0 }).catch(() => undefined);
    await t.cloud.superNodes.delete('tiny-node');
    await ctl.sync(sn.id);
    assert.deepEqual(stopped, ['tiny-node']);
    assert.equal(await t.client.tryGet(refs.nodes, undefined, 'tiny-node'), undefined);
    await ctl.sync(sn.id);
    assert.deepEqual(stopped, ['tiny-node'], 'a second sync has nothing left to do');
  });
});
