// The pod EIP controller's settings (docs/alibaba/pod-eip.md), through the real CLI
// (`nodeless podeip config`), kubectl and `nodeless net ingress`:
//   - by default no readiness gate is injected (as on ACK): a pod naming an EIP is
//     Ready before the EIP carries traffic, and `net ingress` fails in between;
//     with injectReadinessGate the webhook adds the gate and Ready waits for it;
//   - the ConfigMap is validated (422 naming the key);
//   - ramPermission: false makes the EIP calls fail with Alibaba's Forbidden.RAM,
//     told on the pod and on its PodEIP, until the permission is granted;
//   - disabled: annotations do nothing, a PodEIP left behind keeps its EIP, until
//     the controller is back;
//   - the PodEIP status as Alibaba fills it, for the report's static EIP.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { kc, kubectl, nodeless, nodelessJson, nodelessOk, startCli, waitFor, waitForReadyNode, cloudList, getObject, type Running } from '../helpers/nodeless.js';

const FIXTURES = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'alibaba-ack-pod-eip');
const fixture = (f: string) => fs.readFileSync(path.join(FIXTURES, f), 'utf8');
const GATE = 'k8s.aliyun.com/eip';
const BIND_MS = 8000;

let n: Running;
before(async () => {
  // A slow association (8 s from AssociateEipAddress to traffic, which a busy machine still needs to look in between), so a pod without the gate is surely Ready first.
  n = await startCli(undefined, [], { NODELESS_EIP_BIND_DELAY_MS: String(BIND_MS) });
  await waitForReadyNode(n);
  // The region's default group lets only the VPC in; open port 80 to the internet, as the report's users would.
  const sg = (nodelessJson(n, ['cloud', 'sg', 'list']) as any[]).find((g) => g.isDefault).id;
  nodelessOk(n, ['cloud', 'sg', 'add-rule', sg, '--protocol', 'tcp', '--port', '80', '--cidr', '0.0.0.0/0']);
});
after(async () => { await n?.stop(); });

const podJson = (name: string) => JSON.parse(kc(n, ['get', 'pod', name, '-o', 'json']));
const cond = (p: any, type: string) => p.status?.conditions?.find((c: any) => c.type === type);
const eventsOf = (name: string): any[] => JSON.parse(kc(n, ['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'json'])).items;
const newEip = (...args: string[]) => nodelessOk(n, ['cloud', 'eip', 'allocate', ...args]).split(/\s+/).pop()!;
const eipOf = (id: string) => nodelessJson(n, ['cloud', 'eip', 'get', id]);
const podEip = (name: string) => { const r = kubectl(n, ['get', 'podeip', name, '-o', 'json']); return r.code === 0 ? JSON.parse(r.stdout) : undefined; };
// The same reads for polling, straight from the API (what is asserted is read through kubectl).
const podNow = (name: string) => getObject(n, `/api/v1/namespaces/default/pods/${name}`);
const podEipNow = (name: string) => getObject(n, `/apis/alibabacloud.com/v1beta1/namespaces/default/podeips/${name}`);
const eventsNow = async (name: string): Promise<any[]> => (await getObject(n, `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${name}`)}`)).items;
const examplePodsNow = async (): Promise<any[]> => (await getObject(n, '/api/v1/namespaces/default/pods?labelSelector=app%3Dexample')).items;
const config = (...flags: string[]) => nodelessOk(n, ['podeip', 'config', ...flags]);
const gatedPod = (name: string, eipId: string) => fixture('readiness-gate-pod.yaml').replace('name: gated', `name: ${name}`).replace('eip-XXXX', eipId);
const ungatedPod = (name: string, eipId: string) => JSON.stringify({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, annotations: { 'k8s.aliyun.com/pod-eip-instanceid': eipId } },
  spec: { containers: [{ name: 'app', image: 'nginx', ports: [{ containerPort: 80 }] }] },
});

describe('the readiness gate', () => {
  it('is not injected by default: the pod is Ready before its EIP carries traffic, and traffic to the EIP fails in between', async () => {
    assert.match(config(), /injectReadinessGate\s+false\s+default/);
    const id = newEip('--name', 'unguarded');
    const addr = eipOf(id).address;
    kc(n, ['apply', '-f', '-'], ungatedPod('unguarded', id));
    assert.equal(podJson('unguarded').spec.readinessGates, undefined);
    const ready = await waitFor('Ready', async () => cond(await podNow('unguarded'), 'Ready')?.status === 'True', 60_000, 50);
    assert.ok(ready);
    // Ready, and the EIP does not work yet: not associated, or associated but not carrying traffic
    // (traffic first, the quickest look, then the PodEIP).
    const early = nodeless(n, ['net', 'ingress', `${addr}:80`]);
    assert.equal(early.code, 1, early.stdout);
    assert.notEqual(podEip('unguarded')?.status?.status, 'InUse');
    assert.match(early.stdout, new RegExp(`^blocked: EIP ${id} \\(${addr.replace(/\./g, '\\.')}\\) is (not associated with anything|still being associated with eni-\\S+ \\(pod default/unguarded\\); it carries no traffic until that completes)`));
    // Later the EIP is bound and the same connection gets through.
    await waitFor('PodEIP InUse', async () => (await podEipNow('unguarded'))?.status?.status === 'InUse', 60_000);
    const late = nodeless(n, ['net', 'ingress', `${addr}:80`]);
    assert.equal(late.code, 0, late.stdout);
    assert.match(late.stdout, /container app listening on 80\/TCP: reachable$/m);
    kc(n, ['delete', 'pod', 'unguarded', '--wait=false']);
  });

  it('injectReadinessGate: the webhook adds the gate, and Ready waits for the EIP', async () => {
    const out = config('--inject-readiness-gate', 'true');
    assert.match(out, /injectReadinessGate\s+true\s+configmap/);
    assert.equal(JSON.parse(kc(n, ['get', 'cm', '-n', 'kube-system', 'ack-extend-network-controller', '-o', 'json'])).data.injectReadinessGate, 'true');
    const id = newEip('--name', 'guarded');
    kc(n, ['apply', '-f', '-'], ungatedPod('guarded', id));
    assert.deepEqual(podJson('guarded').spec.readinessGates, [{ conditionType: GATE }]);
    await waitFor('Ready', async () => cond(await podNow('guarded'), 'Ready')?.status === 'True', 60_000);
    const p = podJson('guarded');
    assert.equal(cond(p, GATE).status, 'True');
    assert.equal(cond(p, GATE).reason, 'Associate eip succeed');
    assert.equal(podEip('guarded').status.status, 'InUse');
    assert.equal(nodeless(n, ['net', 'ingress', `${eipOf(id).address}:80`]).code, 0);
    kc(n, ['delete', 'pod', 'guarded', '--wait=false']);
    config('--inject-readiness-gate', 'false');
  });

  it('the settings are validated: a bad value is a 422 naming the key, from kubectl and from the CLI', () => {
    const bad = kubectl(n, ['patch', 'cm', '-n', 'kube-system', 'ack-extend-network-controller', '-p', '{"data":{"injectReadinessGate":"yes","colour":"blue"}}']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /The ConfigMap "ack-extend-network-controller" is invalid: /);
    assert.match(bad.stderr, /\* data\[injectReadinessGate\]: Invalid value: "yes": must be "true" or "false"\n/);
    assert.match(bad.stderr, /\* data\[colour\]: Unsupported value: "colour": supported values: "disabled", "injectReadinessGate", "ramPermission", "bindAfterRollout"\n/);
    const cli = nodeless(n, ['podeip', 'config', '--disabled', 'maybe']);
    assert.equal(cli.code, 1);
    assert.equal(cli.stderr.trim(), 'InvalidParameter: --disabled must be true or false, got "maybe"');
  });
});

describe('the controller\'s RAM permission', () => {
  it('ramPermission: false fails the EIP calls with Forbidden.RAM on the pod and its PodEIP, until granted', async () => {
    config('--ram-permission', 'false');
    const before = (await cloudList(n, '/eips')).length;
    const id = newEip('--name', 'noram');
    kc(n, ['apply', '-f', '-'], ungatedPod('noram-static', id));
    kc(n, ['run', 'noram-auto', '--image=nginx', '--annotations=k8s.aliyun.com/pod-with-eip=true']);
    const denied = 'Forbidden.RAM: User not authorized to operate on the specified resource, or this API doesn\'t support RAM.';
    // The static EIP's PodEIP is written (its id is known) and the call that fails is told on it.
    await waitFor('event on the PodEIP', async () => (await eventsNow('noram-static')).some((e) => e.involvedObject.kind === 'PodEIP'), 60_000);
    const onPe = eventsOf('noram-static').find((e) => e.involvedObject.kind === 'PodEIP');
    assert.equal(onPe.type, 'Warning');
    assert.equal(onPe.reason, 'AllocateEIPFailed');
    assert.equal(onPe.message, `DescribeEipAddresses: ${denied}`);
    const onPod = eventsOf('noram-static').find((e) => e.involvedObject.kind === 'Pod' && e.reason === 'AllocateEIPFailed');
    assert.equal(onPod?.message, `DescribeEipAddresses: ${denied}`);
    // An automatic EIP is never allocated, so there is no PodEIP to tell: the pod is told.
    await waitFor('event on the pod', async () => (await eventsNow('noram-auto')).some((e) => e.reason === 'AllocateEIPFailed'), 60_000);
    const auto = eventsOf('noram-auto').find((e) => e.reason === 'AllocateEIPFailed');
    assert.equal(auto.message, `AllocateEipAddress: ${denied}`);
    assert.equal(podEip('noram-auto'), undefined);
    assert.equal((await cloudList(n, '/eips')).length, before + 1, 'only the EIP the user bought');
    assert.equal(eipOf(id).status, 'UNBIND');
    // Granting the permission lets both go on.
    config('--ram-permission', 'true');
    await waitFor('both bound', async () => (await podEipNow('noram-static'))?.status?.status === 'InUse' && (await podEipNow('noram-auto'))?.status?.status === 'InUse', 60_000);
    assert.equal(eipOf(id).boundPod.name, 'noram-static');
    kc(n, ['delete', 'pod', 'noram-static', 'noram-auto', '--wait=false']);
  });
});

describe('the controller absent', () => {
  it('disabled: annotations do nothing, a PodEIP left behind keeps its EIP; back again, it carries on', async () => {
    kc(n, ['run', 'before-off', '--image=nginx', '--annotations=k8s.aliyun.com/pod-with-eip=true']);
    const held = await waitFor('before-off bound', async () => { const pe = await podEipNow('before-off'); return pe?.status?.status === 'InUse' && pe.spec.allocationID; }, 60_000);
    config('--disabled', 'true', '--inject-readiness-gate', 'true');
    // No webhook either: no gate, whatever injectReadinessGate says.
    kc(n, ['run', 'while-off', '--image=nginx', '--annotations=k8s.aliyun.com/pod-with-eip=true']);
    assert.equal(podJson('while-off').spec.readinessGates, undefined);
    kc(n, ['delete', 'pod', 'before-off', '--wait=false']);
    await waitFor('before-off gone', async () => !(await podNow('before-off')), 60_000);
    await waitFor('while-off Running', async () => (await podNow('while-off'))?.status?.phase === 'Running', 60_000);
    // As ACK warns: with the component uninstalled, the EIP stays allocated and the PodEIP keeps its finalizer.
    assert.ok(podEip('before-off'), 'the PodEIP is still there');
    assert.ok((await cloudList(n, '/eips')).some((e) => e.id === held), 'the EIP is not released');
    assert.equal(podJson('while-off').metadata.annotations['k8s.aliyun.com/allocated-eipAddress'], undefined);
    config('--disabled', 'false', '--inject-readiness-gate', 'false');
    await waitFor('the old EIP released', async () => !(await cloudList(n, '/eips')).some((e) => e.id === held), 60_000);
    await waitFor('the old PodEIP gone', async () => !(await podEipNow('before-off')), 30_000);
    await waitFor('while-off bound', async () => (await podNow('while-off'))?.metadata.annotations?.['k8s.aliyun.com/allocated-eipAddress'], 60_000);
    assert.ok(podJson('while-off').metadata.annotations['k8s.aliyun.com/allocated-eipAddress']);
    kc(n, ['delete', 'pod', 'while-off', '--wait=false']);
  });
});

describe('the PodEIP status', () => {
  it('is what Alibaba fills, for the report\'s static EIP: its own name, charge type and resource group', async () => {
    // The report's EIP (§3.2): bought pay-as-you-go, 200 Mbit/s, named app独享.
    const id = newEip('--name', 'app独享', '--bandwidth', '200', '--charge-type', 'PayByBandwidth', '--resource-group', 'rg-acfmxxxx5afyhf3xky');
    kc(n, ['apply', '-f', '-'], fixture('deployment-static.yaml').replace('eip-2zeXXXXXx', id));
    const bound = await waitFor('the pod bound', async () => (await examplePodsNow()).find((p: any) => p.metadata.annotations?.['k8s.aliyun.com/allocated-eipAddress']), 60_000);
    const pod = podJson(bound.metadata.name);
    await waitFor('InUse', async () => (await podEipNow(pod.metadata.name))?.status?.status === 'InUse', 30_000);
    const pe = podEip(pod.metadata.name);
    assert.deepEqual(pe.spec, { allocationID: id, allocationType: { releaseStrategy: 'Follow', type: 'Static' } });
    assert.deepEqual(Object.keys(pe.status).sort(),
      ['eipAddress', 'internetChargeType', 'isp', 'name', 'networkInterfaceID', 'podLastSeen', 'privateIPAddress', 'resourceGroupID', 'status']);
    const eip = eipOf(id);
    assert.deepEqual({ ...pe.status, podLastSeen: undefined }, {
      eipAddress: eip.address, internetChargeType: 'PayByBandwidth', isp: 'BGP', name: 'app独享', networkInterfaceID: eip.association.id,
      podLastSeen: undefined, privateIPAddress: pod.status.podIP, resourceGroupID: 'rg-acfmxxxx5afyhf3xky', status: 'InUse',
    });
    // A static EIP bought with the cloud's default charge type: pay by traffic, in Alibaba's words; the default resource group.
    kc(n, ['delete', 'deploy', 'example']);
    const plain = newEip();
    kc(n, ['apply', '-f', '-'], ungatedPod('plain', plain));
    await waitFor('plain InUse', async () => (await podEipNow('plain'))?.status?.status === 'InUse', 60_000);
    const pe2 = podEip('plain');
    assert.equal(pe2.status.internetChargeType, 'PayByTraffic');
    assert.equal(eipOf(plain).internetChargeType, 'TRAFFIC_POSTPAID_BY_HOUR');
    assert.match(pe2.status.resourceGroupID, /^rg-/);
    assert.equal(pe2.status.name, undefined, 'an EIP without a name has none in the status');
    kc(n, ['delete', 'pod', 'plain', '--wait=false']);
    // The report's automatic EIP (§3): its annotations, and the status of an Auto PodEIP.
    kc(n, ['apply', '-f', '-'], fixture('deployment-auto.yaml'));
    const autoName = await waitFor('auto InUse', async () => {
      for (const x of await examplePodsNow()) if (!x.metadata.deletionTimestamp && (await podEipNow(x.metadata.name))?.status?.status === 'InUse') return x.metadata.name as string;
      return undefined;
    }, 60_000);
    const auto = podEip(autoName);
    assert.deepEqual(auto.spec.allocationType, { releaseStrategy: 'Follow', type: 'Auto' });
    const a = eipOf(auto.spec.allocationID);
    assert.deepEqual([a.bandwidthMbps, a.internetChargeType, a.instanceChargeType, a.name, a.description], [200, 'PayByTraffic', 'PostPaid', 'app-eip', 'app-eip']);
    assert.equal(auto.status.name, 'app-eip');
    assert.equal(YAML.parse(kc(n, ['get', 'podeip', auto.metadata.name, '-o', 'yaml'])).status.internetChargeType, 'PayByTraffic');
    kc(n, ['delete', 'deploy', 'example']);
  });
});
