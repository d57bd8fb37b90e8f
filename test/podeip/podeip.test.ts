// Pod EIPs (docs/alibaba/pod-eip.md) through the real CLI and kubectl: the annotation
// allocates and binds an EIP, the PodEIP object and the readiness gate show
// it, deletion releases it, and a StatefulSet pod with a release strategy
// gets the same EIP back.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import YAML from 'yaml';
import { getObject, kc, kubectl, startCli, waitFor, nodelessJson as json, nodelessOk, cloudList, type Running, untilShown } from '../helpers/nodeless.js';

const pod = (name: string, annotations: Record<string, string>) => JSON.stringify({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, annotations },
  spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] },
});
const getPod = (r: Running, name: string) => JSON.parse(kc(r, ['get', 'pod', name, '-o', 'json']));
/** The same read for polling, straight from the API (a kubectl per look costs ~50 ms of CPU). */
const getPodNow = (r: Running, name: string) => getObject(r, `/api/v1/namespaces/default/pods/${name}`);
/**
 * Waits until `ready` holds for what the API answers at `path` (undefined once gone), one GET per look (a kubectl
 * per look costs ~50 ms of CPU), and then until `shown` (a kubectl read) holds too; hands back what `shown` gave.
 */
const until = untilShown;
const podEipAt = (ns: string, name: string) => `/apis/alibabacloud.com/v1beta1/namespaces/${ns}/podeips/${name}`;
const eips = (r: Running) => json(r, ['cloud', 'eip', 'list']) as any[];

let n: Running;
before(async () => {
  n = await startCli();
  // These tests are about pods whose readiness waits for their EIP: the webhook adds the gate (off by default, as on ACK).
  nodelessOk(n, ['podeip', 'config', '--inject-readiness-gate', 'true']);
});
after(async () => { await n?.stop(); });

describe('pod EIPs', () => {
  it('serves the PodEIP CRD', () => {
    const crd = JSON.parse(kc(n, ['get', 'crd', 'podeips.alibabacloud.com', '-o', 'json']));
    assert.equal(crd.spec.names.kind, 'PodEIP');
    assert.deepEqual(crd.spec.names.shortNames, ['podeip']);
    assert.match(kc(n, ['get', 'podeips']), /No resources|^$/);
  });

  it('allocates and binds an EIP for an annotated pod; Ready only after the gate', async () => {
    kc(n, ['apply', '-f', '-'], pod('web', {
      'k8s.aliyun.com/pod-with-eip': 'true', 'k8s.aliyun.com/eip-bandwidth': '200',
      'k8s.aliyun.com/eip-internet-charge-type': 'PayByTraffic', 'k8s.aliyun.com/eip-instance-charge-type': 'PostPaid',
      'k8s.aliyun.com/eip-name': 'app-eip', 'k8s.aliyun.com/eip-description': 'app-eip',
    }));
    const p = await waitFor('pod Ready', async () => {
      const p = (await getPodNow(n, 'web'));
      return p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True') && p;
    }, 60_000);
    assert.deepEqual(p.spec.readinessGates, [{ conditionType: 'k8s.aliyun.com/eip' }]);
    const gate = p.status.conditions.find((c: any) => c.type === 'k8s.aliyun.com/eip');
    assert.equal(gate.status, 'True');
    assert.equal(gate.reason, 'Associate eip succeed');
    const addr = p.metadata.annotations['k8s.aliyun.com/allocated-eipAddress'];
    assert.match(addr, /^\d+\.\d+\.\d+\.\d+$/);
    // The readiness gate held Ready back until the EIP was associated.
    const ready = p.status.conditions.find((c: any) => c.type === 'Ready');
    assert.ok(Date.parse(ready.lastTransitionTime) >= Date.parse(gate.lastTransitionTime) - 1000);

    const pe = YAML.parse(kc(n, ['get', 'podeips', 'web', '-o', 'yaml']));
    assert.equal(pe.apiVersion, 'alibabacloud.com/v1beta1');
    assert.equal(pe.kind, 'PodEIP');
    assert.deepEqual(pe.metadata.finalizers, ['podeip-controller.alibabacloud.com/finalizer']);
    assert.deepEqual(pe.spec.allocationType, { type: 'Auto', releaseStrategy: 'Follow' });
    assert.equal(pe.status.eipAddress, addr);
    assert.equal(pe.status.status, 'InUse');
    assert.equal(pe.status.privateIPAddress, p.status.podIP);
    assert.equal(pe.status.internetChargeType, 'PayByTraffic');
    assert.equal(pe.status.name, 'app-eip');
    assert.match(pe.status.networkInterfaceID, /^eni-/);
    assert.match(kc(n, ['get', 'podeip', 'web']), new RegExp(`web\\s+${addr.replace(/\./g, '\\.')}\\s+${pe.spec.allocationID}`));

    const eip = eips(n).find((e) => e.id === pe.spec.allocationID);
    assert.ok(eip, 'EIP listed in the cloud');
    assert.equal(eip.address, addr);
    assert.equal(eip.bandwidthMbps, 200);
    assert.equal(eip.status, 'BIND');
    assert.deepEqual({ ns: eip.boundPod?.namespace, name: eip.boundPod?.name }, { ns: 'default', name: 'web' });

    // Bound and at rest, the controller writes nothing more (no status rewritten in a loop).
    // The barrier is a later pod the same controller handles: a loop set off by its own last
    // writes about `web` would have written again by the time the marker has its condition.
    const rv = (what: string) => kc(n, ['get', what, 'web', '-o', 'jsonpath={.metadata.resourceVersion}']);
    const before = [rv('podeip'), rv('pod')];
    kc(n, ['apply', '-f', '-'], pod('rest-marker', { 'k8s.aliyun.com/pod-with-eip': 'true', 'k8s.aliyun.com/eip-internet-charge-type': 'Free' }));
    await waitFor('the marker handled', async () => (await getPodNow(n, 'rest-marker')).status?.conditions?.some((c: any) => c.type === 'k8s.aliyun.com/eip'), 60_000);
    assert.deepEqual([rv('podeip'), rv('pod')], before);
    kc(n, ['delete', 'pod', 'rest-marker', '--wait=false']);

    kc(n, ['delete', 'pod', 'web', '--wait=false']);
    await waitFor('EIP released', async () => !(await cloudList(n, '/eips')).some((e) => e.id === pe.spec.allocationID), 60_000);
    await until(n, 'PodEIP gone', podEipAt('default', 'web'), (o) => !o, () => kubectl(n, ['get', 'podeip', 'web']).code !== 0, 30_000);
  });

  it('reports an invalid annotation and an unknown EIP id on the condition, leaking nothing', async () => {
    const before = eips(n).length;
    kc(n, ['apply', '-f', '-'], pod('bad', { 'k8s.aliyun.com/pod-with-eip': 'true', 'k8s.aliyun.com/eip-internet-charge-type': 'Free' }));
    kc(n, ['apply', '-f', '-'], pod('ghost', { 'k8s.aliyun.com/pod-eip-instanceid': 'eip-doesnotexist' }));
    const eipCond = (p: any) => p?.status?.conditions?.find((c: any) => c.type === 'k8s.aliyun.com/eip');
    const cond = (name: string) => eipCond(getPod(n, name));
    const bad = await until(n, 'bad condition', '/api/v1/namespaces/default/pods/bad', eipCond, () => cond('bad'), 60_000);
    assert.equal(bad.status, 'False');
    assert.match(bad.message, /eip-internet-charge-type "Free"/);
    const ghost = await until(n, 'ghost condition', '/api/v1/namespaces/default/pods/ghost', eipCond, () => cond('ghost'), 60_000);
    assert.equal(ghost.status, 'False');
    assert.match(ghost.message, /eip-doesnotexist/);
    assert.match(kc(n, ['get', 'events', '--field-selector', 'involvedObject.name=bad']), /Warning/);
    assert.equal(eips(n).length, before);
    assert.notEqual(kubectl(n, ['get', 'podeip', 'bad']).code, 0);
    kc(n, ['delete', 'pod', 'bad', 'ghost', '--wait=false']);
  });

  it('gives a StatefulSet pod with a release strategy the same EIP back', async () => {
    kc(n, ['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db' },
      spec: {
        serviceName: 'db', replicas: 1, selector: { matchLabels: { app: 'db' } },
        template: {
          metadata: { labels: { app: 'db' }, annotations: { 'k8s.aliyun.com/pod-with-eip': 'true', 'k8s.aliyun.com/pod-eip-release-strategy': '10m' } },
          spec: { containers: [{ name: 'db', image: 'redis:7' }] },
        },
      },
    }));
    const first = await waitFor('db-0 EIP', async () => (await getPodNow(n, 'db-0')).metadata.annotations?.['k8s.aliyun.com/allocated-eipAddress'], 60_000);
    const uid = getPod(n, 'db-0').metadata.uid;
    const pe = YAML.parse(kc(n, ['get', 'podeips', 'db-0', '-o', 'yaml']));
    assert.deepEqual(pe.spec.allocationType, { type: 'Auto', releaseStrategy: 'TTL', releaseAfter: '10m' });
    kc(n, ['delete', 'pod', 'db-0', '--wait=false']);
    const again = await waitFor('db-0 recreated with an EIP', async () => {
      const p = (await getPodNow(n, 'db-0'));
      return p.metadata.uid !== uid && p.status?.conditions?.some((c: any) => c.type === 'k8s.aliyun.com/eip' && c.status === 'True') && p;
    }, 60_000);
    assert.equal(again.metadata.annotations['k8s.aliyun.com/allocated-eipAddress'], first);
    const eip = eips(n).find((e) => e.address === first);
    assert.equal(eip.id, pe.spec.allocationID);
    assert.equal(eip.status, 'BIND');
  });

  it('binds an existing EIP by instance id (Static) and only unbinds it when the pod goes', async () => {
    const id = nodelessOk(n, ['cloud', 'eip', 'allocate', '--name', 'fixed']).trim().split(/\s+/).pop()!;
    assert.match(id, /^eip-/);
    kc(n, ['apply', '-f', '-'], pod('fixed', { 'k8s.aliyun.com/pod-eip-instanceid': id }));
    await waitFor('fixed bound', async () => (await cloudList(n, '/eips')).find((e) => e.id === id && e.boundPod?.name === 'fixed'), 60_000);
    const pe = YAML.parse(kc(n, ['get', 'podeips', 'fixed', '-o', 'yaml']));
    assert.deepEqual(pe.spec.allocationType, { type: 'Static', releaseStrategy: 'Follow' });
    kc(n, ['delete', 'pod', 'fixed', '--wait=false']);
    await waitFor('PodEIP gone', () => kubectl(n, ['get', 'podeip', 'fixed']).code !== 0, 30_000);
    const e = eips(n).find((x) => x.id === id);
    assert.ok(e, 'a Static EIP is never released');
    assert.equal(e.status, 'UNBIND');
  });

  it('releases a TTL EIP once the time is up, and a namespace deletion leaks nothing', async () => {
    kc(n, ['create', 'namespace', 'eipns']);
    kc(n, ['apply', '-n', 'eipns', '-f', '-'], pod('short', { 'k8s.aliyun.com/pod-with-eip': 'true', 'k8s.aliyun.com/pod-eip-release-strategy': '2s' }));
    kc(n, ['apply', '-n', 'eipns', '-f', '-'], pod('nsgone', { 'k8s.aliyun.com/pod-with-eip': 'true' }));
    const id = (name: string) => until(n, `${name} PodEIP`, podEipAt('eipns', name), (o) => o?.status?.status === 'InUse', () => {
      const r = kubectl(n, ['get', 'podeip', '-n', 'eipns', name, '-o', 'json']);
      return r.code === 0 && JSON.parse(r.stdout).status?.status === 'InUse' && JSON.parse(r.stdout).spec.allocationID as string;
    }, 60_000);
    const short = await id('short'), other = await id('nsgone');
    kc(n, ['delete', 'pod', '-n', 'eipns', 'short', '--wait=false']);
    const kept = await until(n, 'podLastSeen', podEipAt('eipns', 'short'), (o) => o && o.status.status !== 'InUse', () => {
      const r = kubectl(n, ['get', 'podeip', '-n', 'eipns', 'short', '-o', 'json']);
      return r.code === 0 && JSON.parse(r.stdout).status.status !== 'InUse' && JSON.parse(r.stdout);
    }, 30_000);
    assert.ok(kept.status.podLastSeen);
    await waitFor('TTL EIP released', async () => !(await cloudList(n, '/eips')).some((e) => e.id === short), 30_000);
    kc(n, ['delete', 'namespace', 'eipns', '--wait=false']);
    await waitFor('namespace EIP released', async () => !(await cloudList(n, '/eips')).some((e) => e.id === other), 60_000);
    await until(n, 'namespace gone', '/api/v1/namespaces/eipns', (o) => !o, () => kubectl(n, ['get', 'namespace', 'eipns']).code !== 0, 60_000);
  });

  it('a second pod naming a bound EIP takes it, and loses it again when the first pod goes (the race of docs/alibaba/pod-eip.md)', async () => {
    const id = nodelessOk(n, ['cloud', 'eip', 'allocate']).trim().split(/\s+/).pop()!;
    kc(n, ['apply', '-f', '-'], pod('one', { 'k8s.aliyun.com/pod-eip-instanceid': id }));
    await waitFor('one bound', async () => (await getPodNow(n, 'one')).status?.conditions?.some((c: any) => c.type === 'k8s.aliyun.com/eip' && c.status === 'True'), 60_000);
    kc(n, ['apply', '-f', '-'], pod('two', { 'k8s.aliyun.com/pod-eip-instanceid': id }));
    const taken = (p: any) => p?.status?.conditions?.find((c: any) => c.type === 'k8s.aliyun.com/eip')?.status === 'True';
    await until(n, 'two takes it', '/api/v1/namespaces/default/pods/two', taken, () => taken(getPod(n, 'two')), 60_000);
    assert.equal(eips(n).find((e) => e.id === id).boundPod.name, 'two');
    // The first pod's teardown still believes it holds the EIP, and disassociates it from the second.
    kc(n, ['delete', 'pod', 'one', '--wait=false']);
    const lost = (l: any) => l.items.some((e: any) => e.reason === 'DisassociateEIP' && e.type === 'Warning');
    await until(n, 'two told it lost the EIP', `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent('involvedObject.name=two')}`, lost,
      () => lost(JSON.parse(kc(n, ['get', 'events', '--field-selector', 'involvedObject.name=two', '-o', 'json']))), 60_000);
    assert.equal(eips(n).find((e) => e.id === id).status, 'UNBIND');
    kc(n, ['delete', 'pod', 'two', '--wait=false']);
  });
});
