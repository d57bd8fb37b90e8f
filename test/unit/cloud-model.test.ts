// The cloud model against the memory store: CIDR rules, usable counts, IPAM
// exhaustion/release/restart, in-use refusals, EIPs, quotas, bootstrap.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cloud } from '../../src/cloud/cloud.js';
import { CloudError } from '../../src/cloud/errors.js';
import type { CloudChange } from '../../src/cloud/types.js';
import { MemoryStore } from '../../src/store/memory.js';

/** Asserts that `fn` rejects with a CloudError of `code` (and a message matching `re`). */
async function rejectsWith(fn: () => unknown, code: string, re?: RegExp): Promise<CloudError> {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof CloudError, `expected CloudError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (re) assert.match(e.message, re);
    return e;
  }
  assert.fail(`expected ${code}, but it succeeded`);
}

async function freshCloud() {
  const store = new MemoryStore();
  const cloud = await Cloud.open(store);
  const boot = await cloud.bootstrap();
  return { store, cloud, boot };
}

describe('bootstrap', () => {
  it('creates the defaults once and finds them on later starts', async () => {
    const { store, cloud, boot } = await freshCloud();
    assert.equal(boot.created, true);
    assert.equal(boot.vpc.cidr, '10.0.0.0/16');
    assert.equal(boot.vpc.name, 'default');
    assert.deepEqual(boot.subnets.map((s) => s.zone), ['ap-guangzhou-3', 'ap-guangzhou-4', 'ap-guangzhou-6']);
    assert.deepEqual(boot.subnets.map((s) => s.cidr), ['10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24']);
    assert.equal(boot.securityGroup.name, 'default');
    assert.equal(boot.cluster.name, 'default');
    assert.equal(cloud.routeTables.list({ vpcId: boot.vpc.id }).length, 1);

    const again = await cloud.bootstrap();
    assert.equal(again.created, false);
    assert.equal(again.vpc.id, boot.vpc.id);

    const reopened = await Cloud.open(store);
    const third = await reopened.bootstrap();
    assert.equal(third.created, false);
    assert.equal(third.vpc.id, boot.vpc.id);
    assert.deepEqual(third.subnets.map((s) => s.id), boot.subnets.map((s) => s.id));
    assert.equal(reopened.vpcs.list().length, 1);
    assert.equal(reopened.subnets.list().length, 3);
    assert.equal(reopened.securityGroups.list().length, 1);
    assert.equal(reopened.clusters.list().length, 1);
  });

  it('ids carry the cloud prefixes', async () => {
    const { boot } = await freshCloud();
    assert.match(boot.vpc.id, /^vpc-[0-9a-z]{8}$/);
    assert.match(boot.subnets[0].id, /^subnet-[0-9a-z]{8}$/);
    assert.match(boot.securityGroup.id, /^sg-[0-9a-z]{8}$/);
    assert.match(boot.cluster.id, /^cls-[0-9a-z]{8}$/);
  });
});

describe('subnets', () => {
  it('refuses overlapping and out-of-VPC CIDRs', async () => {
    const { cloud, boot } = await freshCloud();
    const vpcId = boot.vpc.id;
    await rejectsWith(() => cloud.subnets.create({ vpcId, zone: 'ap-guangzhou-3', cidr: '10.0.1.0/24' }), 'InvalidCidr.Overlap',
      new RegExp(`^10\\.0\\.1\\.0/24 overlaps subnet ${boot.subnets[0].id} \\(10\\.0\\.1\\.0/24\\)$`));
    await rejectsWith(() => cloud.subnets.create({ vpcId, zone: 'ap-guangzhou-3', cidr: '10.0.0.0/20' }), 'InvalidCidr.Overlap');
    await rejectsWith(() => cloud.subnets.create({ vpcId, zone: 'ap-guangzhou-3', cidr: '10.1.0.0/24' }), 'InvalidParameter', /outside VPC/);
    await rejectsWith(() => cloud.subnets.create({ vpcId, zone: 'ap-guangzhou-3', cidr: '10.0.9.5/24' }), 'InvalidParameterValue', /10\.0\.9\.0\/24/);
    await rejectsWith(() => cloud.subnets.create({ vpcId, zone: 'ap-guangzhou-1', cidr: '10.0.9.0/24' }), 'InvalidParameterValue', /zone/);
    await rejectsWith(() => cloud.subnets.create({ vpcId: 'vpc-nothere0', zone: 'ap-guangzhou-3', cidr: '10.0.9.0/24' }), 'ResourceNotFound');
  });

  it('counts usable addresses without network, gateway and broadcast', async () => {
    const { cloud, boot } = await freshCloud();
    const s28 = await cloud.subnets.create({ vpcId: boot.vpc.id, zone: 'ap-guangzhou-4', cidr: '10.0.100.0/28' });
    assert.equal(s28.totalIpCount, 13);
    assert.equal(s28.availableIpCount, 13);
    assert.equal(boot.subnets[0].totalIpCount, 253);
    await rejectsWith(() => cloud.subnets.create({ vpcId: boot.vpc.id, zone: 'ap-guangzhou-4', cidr: '10.0.101.0/29' }), 'InvalidParameterValue', /too small/);
  });

  it('allocates until exhaustion, then frees and re-allocates', async () => {
    const { cloud, boot } = await freshCloud();
    const subnet = await cloud.subnets.create({ vpcId: boot.vpc.id, zone: 'ap-guangzhou-4', cidr: '10.0.100.0/28' });
    const pod = (i: number) => ({ cluster: 'default', namespace: 'ns', pod: `p${i}`, uid: `uid-${i}`, subnetId: subnet.id });
    const enis = [];
    for (let i = 0; i < 13; i++) enis.push(await cloud.allocatePodEni(pod(i)));
    const ips = enis.map((e) => e.primaryIp);
    assert.equal(new Set(ips).size, 13);
    for (const ip of ['10.0.100.0', '10.0.100.1', '10.0.100.15']) assert.ok(!ips.includes(ip), `${ip} is reserved`);
    assert.equal(cloud.subnetAvailable(subnet.id), 0);
    await rejectsWith(() => cloud.allocatePodEni(pod(13)), 'ResourceInsufficient', /no IP address available: 13 usable, 13 in use/);

    await cloud.releaseEni(enis[4].id);
    assert.equal(cloud.subnetAvailable(subnet.id), 1);
    const again = await cloud.allocatePodEni(pod(14));
    assert.equal(again.primaryIp, enis[4].primaryIp);
    assert.equal(cloud.subnetAvailable(subnet.id), 0);
  });

  it('never hands out one IP twice to concurrent callers', async () => {
    const { cloud, boot } = await freshCloud();
    const subnet = await cloud.subnets.create({ vpcId: boot.vpc.id, zone: 'ap-guangzhou-4', cidr: '10.0.100.0/28' });
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) =>
      cloud.allocatePodEni({ cluster: 'default', namespace: 'ns', pod: `p${i}`, uid: `u${i}`, subnetId: subnet.id })));
    const ok = results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<{ primaryIp: string }>).value.primaryIp);
    assert.equal(ok.length, 13);
    assert.equal(new Set(ok).size, 13);
    assert.equal(results.filter((r) => r.status === 'rejected').length, 7);
  });

  it('rebuilds the bitmaps after a restart and hands out no duplicates', async () => {
    const { store, cloud, boot } = await freshCloud();
    const subnetId = boot.subnets[0].id;
    const before = [];
    for (let i = 0; i < 10; i++) before.push(await cloud.allocatePodEni({ cluster: 'default', namespace: 'a', pod: `p${i}`, uid: `a${i}`, subnetId }));
    await cloud.releaseEni(before[3].id);

    const reopened = await Cloud.open(store);
    assert.equal(reopened.subnetAvailable(subnetId), 253 - 9);
    const live = new Set(before.filter((_, i) => i !== 3).map((e) => e.primaryIp));
    for (let i = 0; i < 50; i++) {
      const e = await reopened.allocatePodEni({ cluster: 'default', namespace: 'b', pod: `q${i}`, uid: `b${i}`, subnetId });
      assert.ok(!live.has(e.primaryIp), `${e.primaryIp} handed out twice`);
      live.add(e.primaryIp);
    }
    assert.equal(reopened.findEniByPod({ cluster: 'default', namespace: 'a', pod: 'p5' })?.id, before[5].id);
    assert.equal(reopened.findEniByPod({ cluster: 'default', namespace: 'a', pod: 'p3' }), undefined);
  });

  it('is idempotent per pod uid and honours a free preferred IP', async () => {
    const { cloud, boot } = await freshCloud();
    const subnetId = boot.subnets[1].id;
    const a = await cloud.allocatePodEni({ cluster: 'default', namespace: 'n', pod: 'web-0', uid: 'x1', subnetId, preferIp: '10.0.2.77' });
    assert.equal(a.primaryIp, '10.0.2.77');
    const retry = await cloud.allocatePodEni({ cluster: 'default', namespace: 'n', pod: 'web-0', uid: 'x1', subnetId });
    assert.equal(retry.id, a.id);
    const taken = await cloud.allocatePodEni({ cluster: 'default', namespace: 'n', pod: 'web-1', uid: 'x2', subnetId, preferIp: '10.0.2.77' });
    assert.notEqual(taken.primaryIp, '10.0.2.77');
    await rejectsWith(() => cloud.allocatePodEni({ cluster: 'default', namespace: 'n', pod: 'web-2', uid: 'x3', subnetId, preferIp: '10.0.9.1' }), 'InvalidParameterValue');
  });

  it('refuses to delete a subnet with IPs in use', async () => {
    const { cloud, boot } = await freshCloud();
    const subnet = await cloud.subnets.create({ vpcId: boot.vpc.id, zone: 'ap-guangzhou-6', cidr: '10.0.50.0/24' });
    const enis = [];
    for (let i = 0; i < 12; i++) enis.push(await cloud.allocatePodEni({ cluster: 'default', namespace: 'n', pod: `p${i}`, uid: `u${i}`, subnetId: subnet.id }));
    await rejectsWith(() => cloud.subnets.delete(subnet.id), 'ResourceInUse', new RegExp(`subnet ${subnet.id} still has 12 IP addresses in use`));
    for (const e of enis) await cloud.releaseEni(e.id);
    await cloud.subnets.delete(subnet.id);
    await rejectsWith(() => cloud.subnets.get(subnet.id), 'ResourceNotFound');
    await rejectsWith(() => cloud.subnets.delete(boot.subnets[0].id), 'ResourceInUse', /container network of cluster default/);
  });
});

describe('EIPs', () => {
  it('allocates from the documentation ranges, binds to a pod ENI, refuses release while bound', async () => {
    const { cloud, boot } = await freshCloud();
    const eni = await cloud.allocatePodEni({ cluster: 'default', namespace: 'shop', pod: 'api-0', uid: 'u1', subnetId: boot.subnets[0].id });
    const eip = await cloud.eips.allocate({ bandwidthMbps: 10, name: 'api' });
    assert.equal(eip.address, '203.0.113.1');
    assert.equal(eip.status, 'UNBIND');
    const bound = await cloud.eips.associate(eip.id, { eniId: eni.id });
    assert.equal(bound.status, 'BIND');
    assert.deepEqual(bound.boundPod, { cluster: 'default', namespace: 'shop', name: 'api-0' });
    await rejectsWith(() => cloud.eips.release(eip.id), 'ResourceInUse', /pod shop\/api-0/);
    const other = await cloud.eips.allocate();
    await rejectsWith(() => cloud.eips.associate(other.id, { eniId: eni.id }), 'ResourceInUse');
    await cloud.eips.disassociate(eip.id);
    await cloud.eips.release(eip.id);
    await rejectsWith(() => cloud.eips.get(eip.id), 'ResourceNotFound');
  });

  it('is unbound (not released) when its ENI goes away', async () => {
    const { cloud, boot } = await freshCloud();
    const eni = await cloud.allocatePodEni({ cluster: 'default', namespace: 'n', pod: 'p', uid: 'u', subnetId: boot.subnets[0].id });
    const eip = await cloud.eips.allocate();
    await cloud.eips.associate(eip.id, { eniId: eni.id });
    await cloud.releaseEni(eni.id);
    const after = cloud.eips.get(eip.id);
    assert.equal(after.status, 'UNBIND');
    assert.equal(after.boundPod, undefined);
  });

  it('never reuses an address after a restart', async () => {
    const { store, cloud } = await freshCloud();
    const a = await cloud.eips.allocate();
    const reopened = await Cloud.open(store);
    const b = await reopened.eips.allocate();
    assert.notEqual(a.address, b.address);
  });
});

describe('NAT gateways and routes', () => {
  it('routes a subnet to the internet through a NAT gateway', async () => {
    const { cloud, boot } = await freshCloud();
    const subnetId = boot.subnets[0].id;
    assert.equal(cloud.routeTables.egress(subnetId).route, undefined);
    const nat = await cloud.natGateways.create({ vpcId: boot.vpc.id, bandwidthMbps: 200 });
    assert.equal(nat.eipIds.length, 1);
    const rtb = await cloud.routeTables.create({ vpcId: boot.vpc.id, name: 'supernodes' });
    await cloud.routeTables.addRoute(rtb.id, { destinationCidr: '0.0.0.0/0', nextHopType: 'nat', nextHopId: nat.id });
    await cloud.routeTables.associate(rtb.id, subnetId);
    assert.equal(cloud.routeTables.egress(subnetId).nat?.id, nat.id);
    assert.equal(cloud.routeTables.egress(boot.subnets[1].id).nat, undefined);
    await rejectsWith(() => cloud.natGateways.delete(nat.id), 'ResourceInUse', /0\.0\.0\.0\/0/);
    await rejectsWith(() => cloud.routeTables.delete(rtb.id), 'ResourceInUse', /associated/);
    await rejectsWith(() => cloud.routeTables.addRoute(rtb.id, { destinationCidr: '10.0.5.0/24', nextHopType: 'nat', nextHopId: nat.id }), 'InvalidParameterValue', /local route/);
    await rejectsWith(() => cloud.eips.release(nat.eipIds[0]), 'ResourceInUse', /NAT gateway/);
  });
});

describe('quotas', () => {
  it('pods-per-cluster: exceeded, then raised', async () => {
    const { cloud, boot } = await freshCloud();
    await cloud.setQuota('pods-per-cluster', 2, { cluster: 'default' });
    const subnetId = boot.subnets[0].id;
    await cloud.allocatePodEni({ cluster: 'default', namespace: 'n', pod: 'a', uid: '1', subnetId });
    await cloud.allocatePodEni({ cluster: 'default', namespace: 'n', pod: 'b', uid: '2', subnetId });
    const err = await rejectsWith(() => cloud.allocatePodEni({ cluster: 'default', namespace: 'n', pod: 'c', uid: '3', subnetId }),
      'QuotaExceeded', /^quota pods-per-cluster \(2\) for cluster default is exhausted$/);
    assert.equal(err.httpStatus, 403);
    await cloud.setQuota('pods-per-cluster', 3, { cluster: 'default' });
    await cloud.allocatePodEni({ cluster: 'default', namespace: 'n', pod: 'c', uid: '3', subnetId });
    assert.equal(cloud.quotas.list({ cluster: 'default' }).find((q) => q.name === 'pods-per-cluster')?.used, 3);
  });

  it('defaults to 200 pods per cluster and 20 EIPs per region', async () => {
    const { cloud } = await freshCloud();
    assert.equal(cloud.getQuota('pods-per-cluster', { cluster: 'default' }), 200);
    assert.equal(cloud.getQuota('instances-per-security-group'), 2000);
    for (let i = 0; i < 20; i++) await cloud.eips.allocate();
    await rejectsWith(() => cloud.eips.allocate(), 'QuotaExceeded', /eips-per-region \(20\)/);
  });

  it('instances-per-security-group and unknown groups', async () => {
    const { cloud, boot } = await freshCloud();
    await cloud.setQuota('instances-per-security-group', 1);
    const subnetId = boot.subnets[0].id;
    await cloud.allocatePodEni({ cluster: 'default', namespace: 'n', pod: 'a', uid: '1', subnetId });
    await rejectsWith(() => cloud.allocatePodEni({ cluster: 'default', namespace: 'n', pod: 'b', uid: '2', subnetId }), 'QuotaExceeded',
      new RegExp(`security group ${boot.securityGroup.id}`));
    await rejectsWith(() => cloud.allocatePodEni({ cluster: 'default', namespace: 'n', pod: 'b', uid: '2', subnetId, securityGroupIds: ['sg-missing0'] }),
      'InvalidParameterValue', /does not exist/);
    await rejectsWith(() => cloud.securityGroups.delete(boot.securityGroup.id), 'UnsupportedOperation');
  });

  it('survives a restart', async () => {
    const { store, cloud } = await freshCloud();
    await cloud.setQuota('eips-per-region', 50);
    assert.equal((await Cloud.open(store)).getQuota('eips-per-region'), 50);
  });
});

describe('super nodes', () => {
  it('keeps the last super node of a cluster and marks drains', async () => {
    const { cloud, boot } = await freshCloud();
    const a = await cloud.superNodes.create({ clusterName: 'default', subnetId: boot.subnets[0].id });
    assert.match(a.name, new RegExp(`^eklet-${boot.subnets[0].id}-`));
    assert.equal(a.zone, 'ap-guangzhou-3');
    const b = await cloud.superNodes.create({ clusterName: 'default', subnetId: boot.subnets[1].id, name: 'sn-b' });
    assert.equal((await cloud.superNodes.drain(b.id)).state, 'draining');
    const stop = cloud.superNodes.addDeleteGuard((n) => {
      if (n.name === 'sn-b') throw new CloudError('ResourceInUse', 'super node sn-b still runs 2 pods', 409);
    });
    await rejectsWith(() => cloud.superNodes.delete('sn-b'), 'ResourceInUse', /2 pods/);
    stop();
    await cloud.superNodes.delete('sn-b');
    await rejectsWith(() => cloud.superNodes.delete(a.id), 'UnsupportedOperation', /last super node/);
  });
});

describe('change hook', () => {
  it('tells listeners about subnet capacity and EIP changes after they are durable', async () => {
    const { store, cloud, boot } = await freshCloud();
    const seen: CloudChange[] = [];
    cloud.onChange((c) => {
      seen.push(c);
      // Durable: the store already has it.
      assert.ok(store.revision() > 0);
    });
    const eni = await cloud.allocatePodEni({ cluster: 'default', namespace: 'n', pod: 'p', uid: 'u', subnetId: boot.subnets[0].id });
    const subnetEvent = seen.find((c) => c.kind === 'subnet');
    assert.equal((subnetEvent?.object as { availableIpCount: number }).availableIpCount, 252);
    await cloud.eips.allocate();
    assert.ok(seen.some((c) => c.kind === 'eip' && c.type === 'created'));
    assert.ok(await store.get(`/cloud/eni/${eni.id}`));
  });
});

describe('egress through a NAT gateway with several EIPs', () => {
  it('draws each flow\'s public IP from the injected randomness', async () => {
    // Each flow takes two draws: its source port, then its EIP (< 0.5: the first, else the second).
    const draws = [0, 0.1, 0.999, 0.9, 0.5, 0.2];
    const cloud = await Cloud.open(new MemoryStore(), { random: () => draws.shift() ?? 0 });
    const boot = await cloud.bootstrap();
    const nat = await cloud.natGateways.create({ vpcId: boot.vpc.id, eipCount: 2 });
    await cloud.routeTables.addRoute(cloud.subnets.get(boot.subnets[0].id).routeTableId, { destinationCidr: '0.0.0.0/0', nextHopType: 'nat', nextHopId: nat.id });
    const eni = await cloud.allocatePodEni({ cluster: 'default', namespace: 'default', pod: 'p', uid: 'u', subnetId: boot.subnets[0].id, securityGroupIds: [] });
    const { podEgress } = await import('../../src/cloud/handlers/egress.js');
    const view = podEgress(cloud, 'default', 'default', 'p', 3);
    const ips = nat.eipIds.map((id) => cloud.eips.get(id).address);
    assert.deepEqual(view.flows, [
      { protocol: 'tcp', source: `${eni.primaryIp}:32768`, publicIp: ips[0] },
      { protocol: 'tcp', source: `${eni.primaryIp}:60971`, publicIp: ips[1] },
      { protocol: 'tcp', source: `${eni.primaryIp}:46884`, publicIp: ips[0] },
    ]);
    assert.match(view.summary, /\(one per flow, at random\)$/);
  });
});
