// The rolling-update race over one static EIP, as the Alibaba report tells it
// (docs/alibaba/pod-eip.md, §3.4.2), with the report's own manifests
// (test/fixtures/alibaba-ack-pod-eip) and the real kubectl:
//   - RollingUpdate: the new pod binds the EIP, then the old pod's teardown
//     disassociates it, and the new pod is left without it (events on both,
//     `nodeless net ingress` blocked, the new PodEIP still believing InUse);
//   - the report's fixes as written: B, Recreate (its final config); C, a
//     StatefulSet with pod-eip-release-strategy; A, the controller binding only
//     after the rollout (opt-in: nodeless podeip config --bind-after-rollout true).
// Every wait is on an event, a condition or the cloud's record.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { getObject, kc, nodeless, startCli, waitFor, waitForReadyNode, nodelessJson as json, nodelessOk, type Running } from '../helpers/nodeless.js';

const FIXTURES = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'alibaba-ack-pod-eip');
const fixture = (f: string) => fs.readFileSync(path.join(FIXTURES, f), 'utf8');
const GATE = 'k8s.aliyun.com/eip';

/** The report's final Deployment (static EIP, readiness gate), renamed, with its strategy set back or kept. */
const finalConfig = (name: string, eipId: string, strategy: 'RollingUpdate' | 'Recreate') => fixture('deployment-recreate.yaml')
  .replace(/\{app: app\}/g, `{app: ${name}}`).replace(/name: app\b/g, `name: ${name}`).replace('eip-XXXXXXXlus72fax', eipId).replace('type: Recreate', `type: ${strategy}`);

let n: Running;
before(async () => {
  n = await startCli();
  await waitForReadyNode(n);
  const sg = (json(n, ['cloud', 'sg', 'list']) as any[]).find((g) => g.isDefault).id;
  nodelessOk(n, ['cloud', 'sg', 'add-rule', sg, '--protocol', 'tcp', '--port', '9100', '--cidr', '0.0.0.0/0']);
});
after(async () => { await n?.stop(); });

const podsOf = (app: string): any[] => JSON.parse(kc(n, ['get', 'pods', '-l', `app=${app}`, '-o', 'json'])).items;
const cond = (p: any, type: string) => p.status?.conditions?.find((c: any) => c.type === type);
const eventsOf = (name: string): any[] => JSON.parse(kc(n, ['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'json'])).items;
const eventOf = (name: string, reason: string, kind = 'Pod') => eventsOf(name).find((e) => e.reason === reason && e.involvedObject.kind === kind);
const eip = (id: string) => json(n, ['cloud', 'eip', 'get', id]);
const newEip = (name: string) => nodelessOk(n, ['cloud', 'eip', 'allocate', '--name', name]).split(/\s+/).pop()!;
const podEip = (name: string) => JSON.parse(kc(n, ['get', 'podeip', name, '-o', 'json']));
/** The pod's metrics agent answers on 9100 once the EIP carries traffic: what reaching the pod through its EIP means here. */
const ingress = (address: string) => nodeless(n, ['net', 'ingress', `${address}:9100`]);
// The same reads for polling, straight from the API (a kubectl per look costs ~50 ms of CPU).
const podsNow = async (app: string): Promise<any[]> => (await getObject(n, `/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent(`app=${app}`)}`)).items;
const podNow = (name: string) => getObject(n, `/api/v1/namespaces/default/pods/${name}`);
const podEipNow = (name: string) => getObject(n, `/apis/alibabacloud.com/v1beta1/namespaces/default/podeips/${name}`);
const eventOfNow = async (name: string, reason: string, kind = 'Pod') => (await getObject(n, `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${name}`)}`))
  .items.find((e: any) => e.reason === reason && e.involvedObject.kind === kind);
const onlyPod = (app: string, not: string) => waitFor(`one ${app} pod, not ${not}`, async () => {
  const ps = await podsNow(app);
  return ps.length === 1 && ps[0].metadata.name !== not && ps[0];
}, 120_000);

describe('the rolling-update race (the report, §3.4.2)', () => {
  it('RollingUpdate: the new pod binds the EIP, the old pod\'s teardown unbinds it, the new pod is left without it', async () => {
    const id = newEip('race');
    const addr = eip(id).address;
    kc(n, ['apply', '-f', '-'], finalConfig('race', id, 'RollingUpdate'));
    kc(n, ['rollout', 'status', 'deploy/race', '--timeout=120s']);
    const [old] = podsOf('race');
    assert.equal(eip(id).boundPod?.name, old.metadata.name);

    kc(n, ['set', 'image', 'deploy/race', 'race=nginx:1.26']);
    // The rollout finishes: the new pod took the EIP (its gate turned True), so the old pod could go.
    kc(n, ['rollout', 'status', 'deploy/race', '--timeout=120s']);
    const fresh = await onlyPod('race', old.metadata.name);
    const name = fresh.metadata.name;
    const bound = await waitFor('the new pod told it has the EIP', () => eventOfNow(name, 'AllocateEIPSucceed'), 30_000);
    // The old pod's teardown, which still believes it holds the EIP, disassociates it: from the new pod.
    const teardown = await waitFor('the teardown on the old pod', () => eventOfNow(old.metadata.name, 'DisassociateEIP'), 60_000);
    assert.equal(teardown.message, `EIP ${id} (${addr}) disassociated: the pod is being deleted`);
    const lost = await waitFor('the new pod told it lost the EIP', () => eventOfNow(name, 'DisassociateEIP'), 60_000);
    assert.equal(lost.type, 'Warning');
    assert.equal(lost.message, `EIP ${id} (${addr}) was disassociated from this pod by the teardown of pod default/${old.metadata.name}, which held it before; this pod is left without it`);
    // In this order: bound to the new pod, then taken away by the old one's teardown.
    assert.ok(Number(bound.metadata.resourceVersion) < Number(teardown.metadata.resourceVersion));
    // Left without it: the cloud has it unbound, traffic to it goes nowhere, yet the pod is Ready and its PodEIP says InUse.
    assert.equal(eip(id).status, 'UNBIND');
    const r = ingress(addr);
    assert.equal(r.code, 1);
    assert.equal(r.stdout.trim(), `blocked: EIP ${id} (${addr}) is not associated with anything, so nothing answers on it`);
    const now = JSON.parse(kc(n, ['get', 'pod', name, '-o', 'json']));
    assert.equal(cond(now, 'Ready').status, 'True');
    assert.equal(podEip(name).status.status, 'InUse');
    kc(n, ['delete', 'deploy', 'race']);
  });

  it('fix B, the report\'s final config (Recreate): the new pod gets the EIP and keeps it', async () => {
    const id = newEip('recreate');
    kc(n, ['apply', '-f', '-'], finalConfig('recreate', id, 'Recreate'));
    kc(n, ['rollout', 'status', 'deploy/recreate', '--timeout=120s']);
    const [old] = podsOf('recreate');
    kc(n, ['set', 'image', 'deploy/recreate', 'recreate=nginx:1.26']);
    kc(n, ['rollout', 'status', 'deploy/recreate', '--timeout=120s']);
    const now = await onlyPod('recreate', old.metadata.name);
    await waitFor('the new pod Ready with the EIP', () => eventOfNow(now.metadata.name, 'AllocateEIPSucceed'), 60_000);
    assert.ok(eventOf(old.metadata.name, 'DisassociateEIP'), 'the old pod let it go first');
    assert.equal(cond(JSON.parse(kc(n, ['get', 'pod', now.metadata.name, '-o', 'json'])), GATE).status, 'True');
    assert.equal(eip(id).boundPod?.name, now.metadata.name);
    assert.deepEqual(eventsOf(now.metadata.name).filter((e) => e.type === 'Warning').map((e) => e.message), []);
    assert.equal(ingress(eip(id).address).code, 0);
    kc(n, ['delete', 'deploy', 'recreate']);
  });

  it('fix C: a StatefulSet with pod-eip-release-strategy keeps its EIP across a rolling update', async () => {
    kc(n, ['apply', '-f', '-'], fixture('statefulset-release-strategy.yaml'));
    const first = await waitFor('app-sts-0 bound', async () => {
      const p = await podNow('app-sts-0');
      return p?.metadata.annotations?.['k8s.aliyun.com/allocated-eipAddress'] && p;
    }, 60_000);
    const addr = first.metadata.annotations['k8s.aliyun.com/allocated-eipAddress'];
    const id = podEip('app-sts-0').spec.allocationID;
    kc(n, ['rollout', 'restart', 'sts/app-sts']);
    kc(n, ['rollout', 'status', 'sts/app-sts', '--timeout=120s']);
    const again = await waitFor('app-sts-0 back with its EIP', async () => {
      const p = await podNow('app-sts-0');
      return p && p.metadata.uid !== first.metadata.uid && p.metadata.annotations?.['k8s.aliyun.com/allocated-eipAddress'] && (await podEipNow('app-sts-0'))?.status?.status === 'InUse' && p;
    }, 120_000);
    assert.equal(again.metadata.annotations['k8s.aliyun.com/allocated-eipAddress'], addr);
    assert.equal(podEip('app-sts-0').spec.allocationID, id);
    assert.equal(eip(id).boundPod?.name, 'app-sts-0');
    assert.equal(ingress(addr).code, 0);
    kc(n, ['delete', 'sts', 'app-sts']);
  });

  it('fix A (bindAfterRollout): the new pod gets the EIP once the old one is gone, and keeps it', async () => {
    nodelessOk(n, ['podeip', 'config', '--bind-after-rollout', 'true']);
    try {
      const id = newEip('after');
      const addr = eip(id).address;
      kc(n, ['apply', '-f', '-'], finalConfig('after', id, 'RollingUpdate'));
      kc(n, ['rollout', 'status', 'deploy/after', '--timeout=120s']);
      const [old] = podsOf('after');
      kc(n, ['set', 'image', 'deploy/after', 'after=nginx:1.26']);
      kc(n, ['rollout', 'status', 'deploy/after', '--timeout=120s']);
      const now = await onlyPod('after', old.metadata.name);
      const name = now.metadata.name;
      const deferred = await waitFor('the deferral told', () => eventOfNow(name, 'WaitForRollout'), 30_000);
      assert.equal(deferred.message, `EIP ${id} (${addr}) is held by pod default/${old.metadata.name} of the same Deployment after; it will be associated with this pod once that pod is gone (bindAfterRollout)`);
      const got = await waitFor('bound after the rollout', () => eventOfNow(name, 'AllocateEIPSucceed'), 60_000);
      assert.ok(Number(deferred.metadata.resourceVersion) < Number(got.metadata.resourceVersion));
      await waitFor('InUse', async () => (await podEipNow(name))?.status?.status === 'InUse', 30_000);
      assert.equal(eip(id).boundPod?.name, name);
      assert.equal(eventOf(name, 'DisassociateEIP'), undefined, 'never taken away');
      const gate = cond(JSON.parse(kc(n, ['get', 'pod', name, '-o', 'json'])), GATE);
      assert.deepEqual([gate.status, gate.reason], ['True', 'Associate eip succeed']);
      assert.equal(ingress(addr).code, 0);
      kc(n, ['delete', 'deploy', 'after']);
    } finally {
      nodelessOk(n, ['podeip', 'config', '--bind-after-rollout', 'false']);
    }
  });
});
