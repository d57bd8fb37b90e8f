// The pod EIP controller's sync(key) on an in-process cluster with a fake
// clock (src/controllers/podeip/controller.ts): the EIP allocated, recorded
// and associated, the pod told only once the modelled bind delay has passed
// on the clock, the EIP let go with the pod, a TTL strategy waiting out its
// window, and a failing write retried with growing back-off.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { refs } from '../../src/client/types.js';
import type { KubeObject } from '../../src/api/types.js';
import { PodEipController } from '../../src/controllers/podeip/controller.js';
import { installPodEipCrd } from '../../src/clouds/alibaba/podeip-crd.js';
import { ALLOCATED_ANNOTATION, EIP_GATE } from '../../src/clouds/alibaba/pod-eip.js';
import { assertBackoff, inProcess, type InProcess } from './inprocess.js';
import { waitFor } from '../helpers/nodeless.js';

let t: InProcess;
let ctl: PodEipController;
let subnetId: string;
const BIND_MS = 1000;

/** A pod with an IP on an ENI, as its kubelet leaves it, asking for an EIP. */
async function podWithIp(name: string, annotations: Record<string, string> = {}): Promise<KubeObject> {
  const p = await t.cluster.client.create<KubeObject>(refs.pods, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', annotations: { 'k8s.aliyun.com/pod-with-eip': 'true', ...annotations } },
    spec: { nodeName: 'n', containers: [{ name: 'c', image: 'nginx' }] },
  });
  const eni = await t.cloud.allocatePodEni({ cluster: 'default', namespace: 'default', pod: name, uid: p.metadata.uid!, subnetId, securityGroupIds: [], node: 'n' });
  return t.cluster.client.updateStatus(refs.pods, { ...p, status: { phase: 'Running', podIP: eni.primaryIp } });
}
const getPod = (name: string) => t.cluster.client.get<any>(refs.pods, 'default', name);
const podEip = (name: string): Promise<any> => t.cluster.client.tryGet(refs.podeips, 'default', name);
const gate = (p: KubeObject) => (p.status?.conditions ?? []).find((c: any) => c.type === EIP_GATE);
const drain = async () => { while (ctl.queue.len) await ctl.processNextWorkItem(); };

before(async () => {
  t = await inProcess();
  subnetId = t.cloud.clusters.get('default').subnetIds[0];
  await installPodEipCrd(t.cluster.client);
  ctl = new PodEipController(t.cloud, 'default', t.client, { informers: t.informers, clock: t.clock, bindDelayMs: BIND_MS, log: () => {} });
  await t.informers.informer(refs.podeips).hasSynced();
});
after(() => { ctl.stop(); t.close(); });

describe('PodEipController.sync', () => {
  it('allocates, records and associates an EIP, and tells the pod once the bind delay has passed on the clock', async () => {
    await podWithIp('web');
    await drain();
    const pe = await podEip('web');
    assert.ok(pe, 'the PodEIP records the allocation before the binding');
    const eip = t.cloud.eips.list().find((e) => e.id === pe.spec.allocationID)!;
    assert.equal(eip.association?.type, 'eni');
    assert.equal(gate(await getPod('web')), undefined, 'not before the EIP carries traffic');
    assert.equal(ctl.queue.readyAt('default/web'), t.clock.now() + BIND_MS);
    t.clock.step(BIND_MS);
    await drain();
    const p = await getPod('web');
    assert.equal(p.metadata.annotations[ALLOCATED_ANNOTATION], eip.address);
    assert.deepEqual([gate(p).status, gate(p).reason], ['True', 'Associate eip succeed']);
    assert.equal((await podEip('web')).status.status, 'InUse');
    const rv = (await podEip('web')).metadata.resourceVersion;
    await ctl.sync('default/web');
    assert.equal((await podEip('web')).metadata.resourceVersion, rv, 'a second sync writes nothing');
  });

  it('releases the EIP (Follow) and the PodEIP when the pod goes', async () => {
    const id = (await podEip('web')).spec.allocationID;
    await t.cluster.client.delete(refs.pods, 'default', 'web', { gracePeriodSeconds: 0 });
    await drain();
    assert.equal(t.cloud.eips.list().some((e) => e.id === id), false);
    assert.equal(await podEip('web'), undefined);
  });

  it('keeps a TTL EIP for its window after the pod, on the clock, then releases it', async () => {
    await podWithIp('ttl', { 'k8s.aliyun.com/pod-eip-release-strategy': '10m' });
    await drain();
    t.clock.step(BIND_MS);
    await drain();
    const id = (await podEip('ttl')).spec.allocationID;
    await t.cluster.client.delete(refs.pods, 'default', 'ttl', { gracePeriodSeconds: 0 });
    await drain();
    assert.equal((await podEip('ttl')).status.status, 'Unbound');
    t.clock.step(50);
    await drain();
    const seen = Date.parse((await podEip('ttl')).status.podLastSeen);
    assert.equal(ctl.queue.readyAt('default/ttl'), seen + 600_000 + 50);
    assert.ok(t.cloud.eips.list().some((e) => e.id === id && !e.association), 'kept, unbound, through the window');
    t.clock.step(seen + 600_000 + 50 - t.clock.now());
    await drain();
    assert.equal(t.cloud.eips.list().some((e) => e.id === id), false);
    assert.equal(await podEip('ttl'), undefined);
  });

  it('without the RAM permission calls nothing and tells the pod; granted, it binds', async () => {
    const cm = await t.cluster.client.create<KubeObject>(refs.configmaps, {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ack-extend-network-controller', namespace: 'kube-system' }, data: { ramPermission: 'false' },
    });
    await waitFor('the setting seen', () => !(ctl as any).settings.ramPermission);
    const before = t.cloud.eips.list().length;
    await podWithIp('noram');
    await drain();
    assert.equal(t.cloud.eips.list().length, before, 'nothing allocated');
    assert.deepEqual([gate(await getPod('noram')).status, gate(await getPod('noram')).message],
      ['False', 'AllocateEipAddress: Forbidden.RAM: User not authorized to operate on the specified resource, or this API doesn\'t support RAM.']);
    assert.equal(ctl.queue.len, 0, 'nothing to retry until the permission is granted');
    await t.cluster.client.patch(refs.configmaps, 'kube-system', cm.metadata.name!, 'merge', { data: { ramPermission: 'true' } });
    await waitFor('queued again', () => ctl.queue.len > 0);
    await drain();
    t.clock.step(BIND_MS);
    await drain();
    assert.equal((await podEip('noram')).status.status, 'InUse');
  });

  it('the race: a newer pod naming the static EIP takes it, and the old pod\'s teardown leaves it unbound', async () => {
    const id = (await t.cloud.eips.allocate({ name: 'race' })).id;
    await podWithIp('old', { 'k8s.aliyun.com/pod-eip-instanceid': id });
    await drain(); t.clock.step(BIND_MS); await drain();
    assert.equal((await podEip('old')).status.status, 'InUse');
    await podWithIp('new', { 'k8s.aliyun.com/pod-eip-instanceid': id });
    await drain(); t.clock.step(BIND_MS); await drain();
    assert.equal(t.cloud.eips.get(id).boundPod?.name, 'new');
    assert.equal((await podEip('old')).status.status, 'InUse', 'the old PodEIP still believes it holds the EIP');
    await t.cluster.client.delete(refs.pods, 'default', 'old', { gracePeriodSeconds: 0 });
    await drain();
    assert.equal(t.cloud.eips.get(id).association, undefined, 'disassociated from the new pod');
    // The controller goes by its records: the new pod's PodEIP says InUse, so nothing binds it again.
    await ctl.sync('default/new');
    assert.equal(t.cloud.eips.get(id).association, undefined);
    assert.equal((await podEip('new')).status.status, 'InUse');
  });

  it('retries a failing write with growing back-off, and releases the EIP the failed attempts allocated', async () => {
    t.failures.set('create', 2); // the PodEIP record
    await podWithIp('flaky');
    const key = 'default/flaky';
    await ctl.processNextWorkItem();
    await assertBackoff(ctl.queue, key, t.clock, [5, 10], () => ctl.processNextWorkItem());
    assert.equal(ctl.queue.numRequeues(key), 0);
    const pe = await podEip('flaky');
    assert.ok(pe);
    assert.deepEqual(t.cloud.eips.list().filter((e) => e.allocatedFor?.name === 'flaky').map((e) => e.id), [pe.spec.allocationID], 'no EIP leaked');
  });
});
