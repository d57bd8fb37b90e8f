// The NAT load controller's sync(key) on an in-process cluster with a fake
// clock (src/controllers/natload.ts): a pod key reports that pod's modelled
// traffic, the load key recomputes every NAT once per burst of changes and
// tells pods of a saturation episode once, and of its end.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { refs } from '../../src/client/types.js';
import type { KubeObject } from '../../src/api/types.js';
import { EGRESS_MBPS_ANNOTATION, natLoad } from '../../src/cloud/natload.js';
import { EksConfig } from '../../src/clouds/tencent/eks-config.js';
import { LOAD_KEY, NatLoadController } from '../../src/controllers/natload.js';
import { inProcess, type InProcess } from './inprocess.js';
import { waitFor } from './harness.js';

let t: InProcess;
let ctl: NatLoadController;
let eks: EksConfig;
let natId: string;
let subnetId: string;

/** A Running pod with an ENI on the default subnet, whose egress goes through the NAT. */
async function runningPod(name: string, mbps?: string): Promise<KubeObject> {
  const p = await t.client.create<KubeObject>(refs.pods, {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'default', ...(mbps ? { annotations: { [EGRESS_MBPS_ANNOTATION]: mbps } } : {}) },
    spec: { nodeName: 'n', containers: [{ name: 'c', image: 'nginx' }] },
  });
  await t.cloud.allocatePodEni({ cluster: 'default', namespace: 'default', pod: name, uid: p.metadata.uid!, subnetId, securityGroupIds: [], node: 'n' });
  return t.client.updateStatus(refs.pods, { ...p, status: { phase: 'Running' } });
}
const events = async (reason: string) => (await t.client.list(refs.events, { namespace: 'default', fieldSelector: `reason=${reason}` })).items;
const drain = async () => { while (ctl.queue.len) await ctl.processNextWorkItem(); };

before(async () => {
  t = await inProcess();
  const vpcId = t.cloud.clusters.get('default').vpcId;
  subnetId = t.cloud.clusters.get('default').subnetIds[0];
  natId = (await t.cloud.natGateways.create({ vpcId, name: 'shared' })).id;
  const rtb = t.cloud.routeTables.list({ vpcId }).find((r) => r.isDefault)!;
  await t.cloud.routeTables.addRoute(rtb.id, { destinationCidr: '0.0.0.0/0', nextHopType: 'nat', nextHopId: natId });
  eks = new EksConfig(t.informers);
  ctl = new NatLoadController(t.cloud, 'default', t.client, eks, { informers: t.informers, clock: t.clock, log: () => {} });
  await t.informers.informer(refs.pods).hasSynced();
});
after(() => { ctl.stop(); eks.close(); t.close(); });

describe('NatLoadController.sync', () => {
  it('a pod key reports the running pod\'s traffic, and its absence once it stops running', async () => {
    const p = await runningPod('a', '50');
    await ctl.sync('default/a');
    assert.equal(natLoad(t.cloud, natId).demandMbps, 50);
    await ctl.sync('default/a');
    assert.equal(natLoad(t.cloud, natId).podCount, 1, 'idempotent');
    await t.client.updateStatus(refs.pods, { ...p, status: { phase: 'Succeeded' } });
    await ctl.sync('default/a');
    assert.equal(natLoad(t.cloud, natId).demandMbps, 0);
    await t.client.delete(refs.pods, 'default', 'a', { gracePeriodSeconds: 0 });
  });

  it('recomputes the load once per burst of changes, 100 ms after its first', async () => {
    await drain();
    t.clock.step(1000);
    await drain();
    await runningPod('b', '10');
    await ctl.sync('default/b'); // a change to the traffic table
    const at = ctl.queue.readyAt(LOAD_KEY);
    assert.equal(at, t.clock.now() + 100);
    t.clock.step(50);
    await runningPod('c', '10');
    await ctl.sync('default/c');
    assert.equal(ctl.queue.readyAt(LOAD_KEY), at, 'a later change joins the waiting recompute');
    t.clock.step(50);
    assert.equal(ctl.queue.readyAt(LOAD_KEY), undefined);
    await drain();
  });

  it('tells each pod behind a saturated NAT once per episode (EgressTimeout), and when it ends (EgressRecovered)', async () => {
    // b and c carry 10 each; the cluster default gives the others 60: 20 + 3·60 = 200, the cap.
    await t.client.create(refs.configmaps, {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'eks-config', namespace: 'kube-system' }, data: { 'pod.annotations': `${EGRESS_MBPS_ANNOTATION}: "60"` },
    });
    for (const name of ['d', 'e', 'f']) await runningPod(name);
    await drain(); // the pods' keys (the default applies to the three without their own)
    t.clock.step(100);
    await drain(); // the recompute
    const l = natLoad(t.cloud, natId);
    assert.deepEqual([l.demandMbps, l.saturated], [200, true]);
    const warned = await waitFor('5 EgressTimeout events', async () => ((await events('EgressTimeout')).length === 5 ? events('EgressTimeout') : undefined));
    assert.match(warned[0].message, new RegExp(`^NAT gateway ${natId} is saturated \\(200/200 Mbps, 100%\\)`));
    await ctl.sync(LOAD_KEY);
    await ctl.sync(LOAD_KEY);
    assert.equal((await events('EgressTimeout')).length, 5, 'one event per pod and episode');
    await t.client.delete(refs.pods, 'default', 'f', { gracePeriodSeconds: 0 });
    await drain();
    t.clock.step(100);
    await drain();
    const recovered = await waitFor('4 EgressRecovered events', async () => ((await events('EgressRecovered')).length === 4 ? events('EgressRecovered') : undefined));
    assert.match(recovered[0].message, new RegExp(`^NAT gateway ${natId} is no longer saturated \\(140/200 Mbps, 70%\\)`));
  });
});
