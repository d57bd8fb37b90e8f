// The pod EIP controller's settings (docs/alibaba/pod-eip.md), through the real CLI
// (`nodeless podeip config`) and kubectl:
//   - ramPermission: false makes the EIP calls fail with Alibaba's Forbidden.RAM,
//     told on the pod and on its PodEIP, until the permission is granted;
//   - disabled: annotations do nothing, a PodEIP left behind keeps its EIP, until
//     the controller is back;
//   - the PodEIP status as Alibaba fills it, for the report's static EIP.
// The readiness gate and the ConfigMap's validation: config.test.ts (with a slow association).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import YAML from 'yaml';
import { kc, waitFor, cloudList, type Running } from '../helpers/nodeless.js';
import { fixture, podEipTools, startPodEipCluster } from './config-helpers.js';

let n: Running;
let t: ReturnType<typeof podEipTools>;
before(async () => {
  ({ n, t } = await startPodEipCluster());
});
after(async () => { await n?.stop(); });

describe('the controller\'s RAM permission', () => {
  it('ramPermission: false fails the EIP calls with Forbidden.RAM on the pod and its PodEIP, until granted', async () => {
    t.config('--ram-permission', 'false');
    const before = (await cloudList(n, '/eips')).length;
    const id = t.newEip('--name', 'noram');
    kc(n, ['apply', '-f', '-'], t.ungatedPod('noram-static', id));
    kc(n, ['run', 'noram-auto', '--image=nginx', '--annotations=k8s.aliyun.com/pod-with-eip=true']);
    const denied = 'Forbidden.RAM: User not authorized to operate on the specified resource, or this API doesn\'t support RAM.';
    // The static EIP's PodEIP is written (its id is known) and the call that fails is told on it.
    await waitFor('event on the PodEIP', async () => (await t.eventsNow('noram-static')).some((e) => e.involvedObject.kind === 'PodEIP'), 60_000);
    const onPe = t.eventsOf('noram-static').find((e) => e.involvedObject.kind === 'PodEIP');
    assert.equal(onPe.type, 'Warning');
    assert.equal(onPe.reason, 'AllocateEIPFailed');
    assert.equal(onPe.message, `DescribeEipAddresses: ${denied}`);
    const onPod = t.eventsOf('noram-static').find((e) => e.involvedObject.kind === 'Pod' && e.reason === 'AllocateEIPFailed');
    assert.equal(onPod?.message, `DescribeEipAddresses: ${denied}`);
    // An automatic EIP is never allocated, so there is no PodEIP to tell: the pod is told.
    await waitFor('event on the pod', async () => (await t.eventsNow('noram-auto')).some((e) => e.reason === 'AllocateEIPFailed'), 60_000);
    const auto = t.eventsOf('noram-auto').find((e) => e.reason === 'AllocateEIPFailed');
    assert.equal(auto.message, `AllocateEipAddress: ${denied}`);
    assert.equal(t.podEip('noram-auto'), undefined);
    assert.equal((await cloudList(n, '/eips')).length, before + 1, 'only the EIP the user bought');
    assert.equal(t.eipOf(id).status, 'UNBIND');
    // Granting the permission lets both go on.
    t.config('--ram-permission', 'true');
    await waitFor('both bound', async () => (await t.podEipNow('noram-static'))?.status?.status === 'InUse' && (await t.podEipNow('noram-auto'))?.status?.status === 'InUse', 60_000);
    assert.equal(t.eipOf(id).boundPod.name, 'noram-static');
    kc(n, ['delete', 'pod', 'noram-static', 'noram-auto', '--wait=false']);
  });
});

describe('the controller absent', () => {
  it('disabled: annotations do nothing, a PodEIP left behind keeps its EIP; back again, it carries on', async () => {
    kc(n, ['run', 'before-off', '--image=nginx', '--annotations=k8s.aliyun.com/pod-with-eip=true']);
    const held = await waitFor('before-off bound', async () => { const pe = await t.podEipNow('before-off'); return pe?.status?.status === 'InUse' && pe.spec.allocationID; }, 60_000);
    t.config('--disabled', 'true', '--inject-readiness-gate', 'true');
    // No webhook either: no gate, whatever injectReadinessGate says.
    kc(n, ['run', 'while-off', '--image=nginx', '--annotations=k8s.aliyun.com/pod-with-eip=true']);
    assert.equal(t.podJson('while-off').spec.readinessGates, undefined);
    kc(n, ['delete', 'pod', 'before-off', '--wait=false']);
    await waitFor('before-off gone', async () => !(await t.podNow('before-off')), 60_000);
    await waitFor('while-off Running', async () => (await t.podNow('while-off'))?.status?.phase === 'Running', 60_000);
    // As ACK warns: with the component uninstalled, the EIP stays allocated and the PodEIP keeps its finalizer.
    assert.ok(t.podEip('before-off'), 'the PodEIP is still there');
    assert.ok((await cloudList(n, '/eips')).some((e) => e.id === held), 'the EIP is not released');
    assert.equal(t.podJson('while-off').metadata.annotations['k8s.aliyun.com/allocated-eipAddress'], undefined);
    t.config('--disabled', 'false', '--inject-readiness-gate', 'false');
    await waitFor('the old EIP released', async () => !(await cloudList(n, '/eips')).some((e) => e.id === held), 60_000);
    await waitFor('the old PodEIP gone', async () => !(await t.podEipNow('before-off')), 30_000);
    await waitFor('while-off bound', async () => (await t.podNow('while-off'))?.metadata.annotations?.['k8s.aliyun.com/allocated-eipAddress'], 60_000);
    assert.ok(t.podJson('while-off').metadata.annotations['k8s.aliyun.com/allocated-eipAddress']);
    kc(n, ['delete', 'pod', 'while-off', '--wait=false']);
  });
});

describe('the PodEIP status', () => {
  it('is what Alibaba fills, for the report\'s static EIP: its own name, charge type and resource group', async () => {
    // The report's EIP (§3.2): bought pay-as-you-go, 200 Mbit/s, named app独享.
    const id = t.newEip('--name', 'app独享', '--bandwidth', '200', '--charge-type', 'PayByBandwidth', '--resource-group', 'rg-acfmxxxx5afyhf3xky');
    kc(n, ['apply', '-f', '-'], fixture('deployment-static.yaml').replace('eip-2zeXXXXXx', id));
    const bound = await waitFor('the pod bound', async () => (await t.examplePodsNow()).find((p: any) => p.metadata.annotations?.['k8s.aliyun.com/allocated-eipAddress']), 60_000);
    const pod = t.podJson(bound.metadata.name);
    await waitFor('InUse', async () => (await t.podEipNow(pod.metadata.name))?.status?.status === 'InUse', 30_000);
    const pe = t.podEip(pod.metadata.name);
    assert.deepEqual(pe.spec, { allocationID: id, allocationType: { releaseStrategy: 'Follow', type: 'Static' } });
    assert.deepEqual(Object.keys(pe.status).sort(),
      ['eipAddress', 'internetChargeType', 'isp', 'name', 'networkInterfaceID', 'podLastSeen', 'privateIPAddress', 'resourceGroupID', 'status']);
    const eip = t.eipOf(id);
    assert.deepEqual({ ...pe.status, podLastSeen: undefined }, {
      eipAddress: eip.address, internetChargeType: 'PayByBandwidth', isp: 'BGP', name: 'app独享', networkInterfaceID: eip.association.id,
      podLastSeen: undefined, privateIPAddress: pod.status.podIP, resourceGroupID: 'rg-acfmxxxx5afyhf3xky', status: 'InUse',
    });
    // A static EIP bought with the cloud's default charge type: pay by traffic, in Alibaba's words; the default resource group.
    kc(n, ['delete', 'deploy', 'example']);
    const plain = t.newEip();
    kc(n, ['apply', '-f', '-'], t.ungatedPod('plain', plain));
    await waitFor('plain InUse', async () => (await t.podEipNow('plain'))?.status?.status === 'InUse', 60_000);
    const pe2 = t.podEip('plain');
    assert.equal(pe2.status.internetChargeType, 'PayByTraffic');
    assert.equal(t.eipOf(plain).internetChargeType, 'TRAFFIC_POSTPAID_BY_HOUR');
    assert.match(pe2.status.resourceGroupID, /^rg-/);
    assert.equal(pe2.status.name, undefined, 'an EIP without a name has none in the status');
    kc(n, ['delete', 'pod', 'plain', '--wait=false']);
    // The report's automatic EIP (§3): its annotations, and the status of an Auto PodEIP.
    kc(n, ['apply', '-f', '-'], fixture('deployment-auto.yaml'));
    const autoName = await waitFor('auto InUse', async () => {
      for (const x of await t.examplePodsNow()) if (!x.metadata.deletionTimestamp && (await t.podEipNow(x.metadata.name))?.status?.status === 'InUse') return x.metadata.name as string;
      return undefined;
    }, 60_000);
    const auto = t.podEip(autoName);
    assert.deepEqual(auto.spec.allocationType, { releaseStrategy: 'Follow', type: 'Auto' });
    const a = t.eipOf(auto.spec.allocationID);
    assert.deepEqual([a.bandwidthMbps, a.internetChargeType, a.instanceChargeType, a.name, a.description], [200, 'PayByTraffic', 'PostPaid', 'app-eip', 'app-eip']);
    assert.equal(auto.status.name, 'app-eip');
    assert.equal(YAML.parse(kc(n, ['get', 'podeip', auto.metadata.name, '-o', 'yaml'])).status.internetChargeType, 'PayByTraffic');
    kc(n, ['delete', 'deploy', 'example']);
  });
});
