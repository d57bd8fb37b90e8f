// Tencent EKS's pod EIP and fixed-IP annotations through the real CLI and
// kubectl: eip-attributes ('' / '{}' / an AllocateAddresses body),
// eip-claim-delete-policy Never, eip-id-list (and what admission refuses),
// retain-ip / retain-ip-hours. Same controller and cloud objects as
// Alibaba's dialect (podeip.test.ts).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import YAML from 'yaml';
import { getObject, kc, kubectl, startCli, waitFor, nodelessJson as json, nodelessOk, cloudList, type Running } from '../helpers/nodeless.js';

const P = 'eks.tke.cloud.tencent.com/';
const pod = (name: string, annotations: Record<string, string>, extra: Record<string, unknown> = {}) => JSON.stringify({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, annotations, ...extra },
  spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] },
});
const sts = (name: string, replicas: number, annotations: Record<string, string>) => JSON.stringify({
  apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name },
  spec: {
    serviceName: name, replicas, selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name }, annotations }, spec: { containers: [{ name: 'app', image: 'redis:7' }] } },
  },
});
const getPod = (r: Running, name: string) => JSON.parse(kc(r, ['get', 'pod', name, '-o', 'json']));
const tryPod = (r: Running, name: string) => { const x = kubectl(r, ['get', 'pod', name, '-o', 'json']); return x.code === 0 ? JSON.parse(x.stdout) : undefined; };
const eips = (r: Running) => json(r, ['cloud', 'eip', 'list']) as any[];
const enis = (r: Running) => json(r, ['cloud', 'eni', 'list']) as any[];
const gate = (p: any) => p?.status?.conditions?.find((c: any) => c.type === 'k8s.aliyun.com/eip');
const ready = (p: any) => p?.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');
const retainedCm = (r: Running) => JSON.parse(kubectl(r, ['get', 'cm', '-n', 'kube-system', 'nodeless-retained-pod-ips', '-o', 'json']).stdout || '{}').data ?? {};
const events = (r: Running, name: string) => kc(r, ['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'json']);
// The same reads for polling, straight from the API (a kubectl per look costs ~50 ms of CPU).
const tryPodNow = (r: Running, name: string) => getObject(r, `/api/v1/namespaces/default/pods/${name}`);
const retainedCmNow = async (r: Running) => (await getObject(r, '/api/v1/namespaces/kube-system/configmaps/nodeless-retained-pod-ips'))?.data ?? {};

let n: Running;
before(async () => {
  // A short "hour" makes the end of a retain-ip window observable; a short bind keeps the tests brisk.
  n = await startCli(undefined, [], { NODELESS_RETAIN_IP_HOUR_MS: '8000', NODELESS_EIP_BIND_DELAY_MS: '200' });
  // The pods here wait for their EIP to be Ready: the webhook adds the gate (off by default, as on ACK).
  nodelessOk(n, ['podeip', 'config', '--inject-readiness-gate', 'true']);
});
after(async () => { await n?.stop(); });

describe('Tencent EKS pod network annotations', () => {
  // First, on a fresh subnet: nothing has been freed yet, so without retention the next pod would take the freed address.
  it('retain-ip: a StatefulSet pod scaled away and back gets the same IP; nobody else gets it meanwhile', async () => {
    kc(n, ['apply', '-f', '-'], sts('keep', 1, { [`${P}retain-ip`]: 'true' }));
    const first = await waitFor('keep-0 IP', async () => (await tryPodNow(n, 'keep-0'))?.status?.podIP, 60_000);
    kc(n, ['scale', 'sts', 'keep', '--replicas=0']);
    await waitFor('keep-0 gone', async () => !(await tryPodNow(n, 'keep-0')), 60_000);
    const kept = await waitFor('retention recorded', async () => (await retainedCmNow(n))['default.keep-0'], 30_000);
    assert.equal(JSON.parse(kept).ip, first);
    assert.ok(enis(n).some((e) => e.primaryIp === first), 'the ENI is kept while the pod is gone');

    kc(n, ['apply', '-f', '-'], pod('filler', {}));
    const other = await waitFor('filler IP', async () => (await tryPodNow(n, 'filler'))?.status?.podIP, 60_000);
    assert.notEqual(other, first, 'a retained address is not handed to another pod');

    kc(n, ['scale', 'sts', 'keep', '--replicas=1']);
    const back = await waitFor('keep-0 back', async () => (await tryPodNow(n, 'keep-0'))?.status?.podIP && (await tryPodNow(n, 'keep-0')), 60_000);
    assert.equal(back.status.podIP, first);
    // Pinned to the subnet where the address lives.
    const terms = back.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    assert.equal(terms[0].matchExpressions[0].key, `${P}subnet-id`);
    await waitFor('retention handed over', async () => !(await retainedCmNow(n))['default.keep-0'], 30_000);
    assert.equal(enis(n).filter((e) => e.primaryIp === first).length, 1);
    kc(n, ['delete', 'pod', 'filler', '--wait=false']);
  });

  it('retain-ip-hours: the address is released when the window ends', async () => {
    kc(n, ['apply', '-f', '-'], pod('brief', { [`${P}retain-ip`]: 'true', [`${P}retain-ip-hours`]: '1' }));
    const ip = await waitFor('brief IP', async () => (await tryPodNow(n, 'brief'))?.status?.podIP, 60_000);
    kc(n, ['delete', 'pod', 'brief']);
    await waitFor('retention recorded', async () => (await retainedCmNow(n))['default.brief'], 30_000);
    assert.ok(enis(n).some((e) => e.primaryIp === ip));
    // One modelled hour is 8 s here.
    await waitFor('ENI released', async () => !(await cloudList(n, '/enis')).some((e) => e.primaryIp === ip), 60_000);
    assert.equal(retainedCm(n)['default.brief'], undefined);
  });

  it("eip-attributes '' and an AllocateAddresses body: an EIP bound to the pod, same objects as Alibaba's", async () => {
    kc(n, ['apply', '-f', '-'], pod('plain', { [`${P}eip-attributes`]: '' }));
    kc(n, ['apply', '-f', '-'], pod('custom', { [`${P}eip-attributes`]: '{"InternetMaxBandwidthOut":2,"InternetChargeType":"BANDWIDTH_POSTPAID_BY_HOUR","AddressName":"custom-eip"}' }));
    for (const name of ['plain', 'custom']) {
      const p = await waitFor(`${name} Ready`, async () => ready((await tryPodNow(n, name))) && (await tryPodNow(n, name)), 60_000);
      assert.deepEqual(p.spec.readinessGates, [{ conditionType: 'k8s.aliyun.com/eip' }]);
      assert.equal(gate(p).reason, 'Associate eip succeed');
      const addr = p.metadata.annotations['k8s.aliyun.com/allocated-eipAddress'];
      const pe = YAML.parse(kc(n, ['get', 'podeips', name, '-o', 'yaml']));
      assert.deepEqual(pe.spec.allocationType, { type: 'Auto', releaseStrategy: 'Follow' });
      assert.equal(pe.status.eipAddress, addr);
      assert.equal(pe.status.privateIPAddress, p.status.podIP);
      const eip = eips(n).find((e) => e.id === pe.spec.allocationID);
      assert.equal(eip.address, addr);
      assert.equal(eip.status, 'BIND');
      assert.deepEqual([eip.boundPod.namespace, eip.boundPod.name], ['default', name]);
      if (name === 'plain') assert.deepEqual([eip.bandwidthMbps, eip.internetChargeType], [1, 'TRAFFIC_POSTPAID_BY_HOUR']);
      else assert.deepEqual([eip.bandwidthMbps, eip.internetChargeType, eip.name], [2, 'BANDWIDTH_POSTPAID_BY_HOUR', 'custom-eip']);
    }
    const ids = eips(n).filter((e) => ['plain', 'custom'].includes(e.boundPod?.name)).map((e) => e.id);
    kc(n, ['delete', 'pod', 'plain', 'custom', '--wait=false']);
    await waitFor('EIPs released', async () => !(await cloudList(n, '/eips')).some((e) => ids.includes(e.id)), 60_000);
  });

  it('bad eip-attributes: malformed JSON is refused, unknown fields are reported on the pod; nothing leaks', async () => {
    const count = eips(n).length;
    const r = kubectl(n, ['apply', '-f', '-'], pod('broken', { [`${P}eip-attributes`]: '{"InternetMaxBandwidthOut":' }));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /eip-attributes.*invalid value/);
    // In a StatefulSet template the refusal shows as the StatefulSet's FailedCreate event.
    kc(n, ['apply', '-f', '-'], sts('broken', 1, { [`${P}eip-attributes`]: 'not json' }));
    const failed = await waitFor('FailedCreate', () => JSON.parse(events(n, 'broken')).items.find((e: any) => e.reason === 'FailedCreate'), 60_000);
    assert.match(failed.message, /create Pod broken-0 in StatefulSet broken failed error: .*eip-attributes.*invalid value "not json"/);
    kc(n, ['delete', 'sts', 'broken']);

    // Well-formed, but what AllocateAddresses would refuse (the old TKE spelling of the body).
    kc(n, ['apply', '-f', '-'], pod('oldstyle', { [`${P}eip-attributes`]: '{"Bandwidth":"100","ISP":"BGP"}' }));
    const cond = await waitFor('condition', async () => gate((await tryPodNow(n, 'oldstyle'))), 60_000);
    assert.equal(cond.status, 'False');
    assert.match(cond.message, /UnknownParameter: the parameter "Bandwidth" is not recognized/);
    assert.match(events(n, 'oldstyle'), /AllocateEIPFailed/);
    assert.ok(!ready(tryPod(n, 'oldstyle')));
    assert.equal(eips(n).length, count);
    assert.notEqual(kubectl(n, ['get', 'podeip', 'oldstyle']).code, 0);
    kc(n, ['delete', 'pod', 'oldstyle', '--wait=false']);
  });

  it("eip-claim-delete-policy Never: the StatefulSet pod gets the same EIP back, and the EIP outlives it", async () => {
    kc(n, ['apply', '-f', '-'], sts('db', 1, { [`${P}eip-attributes`]: '{}', [`${P}eip-claim-delete-policy`]: 'Never' }));
    const first = await waitFor('db-0 EIP', async () => (await tryPodNow(n, 'db-0'))?.metadata.annotations?.['k8s.aliyun.com/allocated-eipAddress'], 60_000);
    const uid = getPod(n, 'db-0').metadata.uid;
    const pe = YAML.parse(kc(n, ['get', 'podeips', 'db-0', '-o', 'yaml']));
    assert.deepEqual(pe.spec.allocationType, { type: 'Auto', releaseStrategy: 'Never' });
    kc(n, ['delete', 'pod', 'db-0', '--wait=false']);
    const again = await waitFor('db-0 recreated with its EIP', async () => {
      const p = (await tryPodNow(n, 'db-0'));
      return p && p.metadata.uid !== uid && gate(p)?.status === 'True' && p;
    }, 60_000);
    assert.equal(again.metadata.annotations['k8s.aliyun.com/allocated-eipAddress'], first);
    assert.equal(eips(n).find((e) => e.address === first).id, pe.spec.allocationID);
    kc(n, ['delete', 'sts', 'db']);
    await waitFor('db-0 gone', async () => !(await tryPodNow(n, 'db-0')), 60_000);
    await waitFor('EIP unbound but kept', async () => (await cloudList(n, '/eips')).find((e) => e.id === pe.spec.allocationID)?.status === 'UNBIND', 30_000);
  });

  it('eip-id-list: refused with a clear message outside its rules', () => {
    const refused = (what: string, manifest: string, re: RegExp) => {
      const r = kubectl(n, ['apply', '-f', '-'], manifest);
      assert.notEqual(r.code, 0, `${what} must be refused`);
      assert.match(r.stderr, re, what);
    };
    refused('more replicas than ids', sts('many', 3, { [`${P}eip-id-list`]: 'eip-aaaa1111,eip-bbbb2222' }),
      /StatefulSet "many" is invalid: spec.replicas: Invalid value.*3: must be no more than the 2 EIP\(s\)/);
    refused('with eip-attributes', sts('both', 1, { [`${P}eip-id-list`]: 'eip-aaaa1111', [`${P}eip-attributes`]: '{}' }),
      /eip-attributes\]: Forbidden: may not be set together with eks.tke.cloud.tencent.com\/eip-id-list/);
    refused('a pod that is not a StatefulSet pod', pod('loner', { [`${P}eip-id-list`]: 'eip-aaaa1111' }),
      /Pod "loner" is invalid: .*eip-id-list\]: Forbidden: existing EIPs .* are for StatefulSet pods only/);
    refused('a Deployment', JSON.stringify({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'dep' },
      spec: { selector: { matchLabels: { app: 'dep' } }, template: { metadata: { labels: { app: 'dep' }, annotations: { [`${P}eip-id-list`]: 'eip-aaaa1111' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } } },
    }), /are for StatefulSets only/);
    // A pod whose ordinal has no id (as a StatefulSet would create it).
    refused('an ordinal past the list', pod('web-2', { [`${P}eip-id-list`]: 'eip-aaaa1111,eip-bbbb2222' }, {
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: '0b1f6f7a-1111-4222-8333-444455556666', controller: true }],
    }), /pod ordinal 2 has no EIP: .*names 2 EIP\(s\).*at most 2 replica/);
    for (const name of ['many', 'both']) assert.notEqual(kubectl(n, ['get', 'sts', name]).code, 0);
  });

  it('eip-id-list: StatefulSet pods get the listed EIPs by ordinal; scaling past the list is refused', async () => {
    const a = nodelessOk(n, ['cloud', 'eip', 'allocate']).split(/\s+/).pop()!;
    const b = nodelessOk(n, ['cloud', 'eip', 'allocate']).split(/\s+/).pop()!;
    kc(n, ['apply', '-f', '-'], sts('pool', 2, { [`${P}eip-id-list`]: `${a},${b}` }));
    for (const [i, id] of [[0, a], [1, b]] as const) {
      await waitFor(`pool-${i} bound to ${id}`, async () => (await cloudList(n, '/eips')).find((e) => e.id === id && e.boundPod?.name === `pool-${i}`), 90_000);
    }
    const pe = YAML.parse(kc(n, ['get', 'podeips', 'pool-1', '-o', 'yaml']));
    assert.deepEqual([pe.spec.allocationID, pe.spec.allocationType.type], [b, 'Static']);
    const r = kubectl(n, ['scale', 'sts', 'pool', '--replicas=3']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec.replicas: Invalid value.*must be no more than the 2 EIP/);
    kc(n, ['delete', 'sts', 'pool']);
    await waitFor('existing EIPs unbound, never released', () => {
      const list = eips(n).filter((e) => e.id === a || e.id === b);
      return list.length === 2 && list.every((e) => e.status === 'UNBIND');
    }, 60_000);
  });
});
