// The cloud REST API through handleCloudRequest: status codes, the one error
// shape, and the main flows (subnets, EIPs, quotas, super nodes).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { handleCloudRequest } from '../../src/cloud/api.js';
import { Cloud } from '../../src/cloud/cloud.js';
import { MemoryStore } from '../../src/store/memory.js';

async function setup() {
  const cloud = await Cloud.open(new MemoryStore());
  const boot = await cloud.bootstrap();
  const call = (method: string, pathAndQuery: string, body?: unknown) => {
    const url = new URL(pathAndQuery, 'https://x');
    return handleCloudRequest(cloud, { method, path: url.pathname, query: url.searchParams, body });
  };
  return { cloud, boot, call };
}

function assertError(res: { status: number; body: any }, status: number, code: string, re?: RegExp) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.code, code);
  assert.equal(typeof res.body.message, 'string');
  assert.equal(typeof res.body.requestId, 'string');
  if (re) assert.match(res.body.message, re);
}

describe('cloud REST API', () => {
  it('lists regions and the bootstrapped VPC', async () => {
    const { call, boot } = await setup();
    const regions = await call('GET', '/cloud/v1/regions');
    assert.equal(regions.status, 200);
    assert.deepEqual((regions.body as any).items[0].zones, ['ap-guangzhou-3', 'ap-guangzhou-4', 'ap-guangzhou-6']);
    const vpcs = await call('GET', '/cloud/v1/vpcs');
    assert.equal((vpcs.body as any).items[0].id, boot.vpc.id);
    const one = await call('GET', `/cloud/v1/vpcs/${boot.vpc.id}`);
    assert.equal((one.body as any).cidr, '10.0.0.0/16');
  });

  it('creates subnets and renders CIDR errors with their codes', async () => {
    const { call, boot } = await setup();
    const created = await call('POST', '/cloud/v1/subnets', { vpcId: boot.vpc.id, zone: 'ap-guangzhou-4', cidr: '10.0.20.0/28', name: 'small' });
    assert.equal(created.status, 201);
    assert.equal((created.body as any).totalIpCount, 13);
    assertError(await call('POST', '/cloud/v1/subnets', { vpcId: boot.vpc.id, zone: 'ap-guangzhou-4', cidr: '10.0.20.0/24' }),
      400, 'InvalidCidr.Overlap', /overlaps subnet subnet-/);
    assertError(await call('POST', '/cloud/v1/subnets', { vpcId: boot.vpc.id, zone: 'ap-guangzhou-4', cidr: '192.168.0.0/24' }), 400, 'InvalidParameter');
    assertError(await call('POST', '/cloud/v1/subnets', { vpcId: boot.vpc.id, zone: 'ap-guangzhou-4' }), 400, 'MissingParameter', /cidr/);
    assertError(await call('POST', '/cloud/v1/subnets', { vpcId: boot.vpc.id, zone: 'ap-guangzhou-4', cidr: 42 }), 400, 'InvalidParameter');
    const filtered = await call('GET', `/cloud/v1/subnets?zone=ap-guangzhou-4`);
    assert.equal((filtered.body as any).items.length, 2);
  });

  it('never answers 500 to bad input', async () => {
    const { call } = await setup();
    assertError(await call('GET', '/cloud/v1/nothing'), 404, 'InvalidAction');
    assertError(await call('PATCH', '/cloud/v1/regions'), 404, 'InvalidAction');
    assertError(await call('POST', '/cloud/v1/vpcs', '{not json'), 400, 'InvalidParameter', /JSON/);
    assertError(await call('POST', '/cloud/v1/vpcs', [1, 2]), 400, 'InvalidParameter');
    assertError(await call('POST', '/cloud/v1/vpcs', { cidr: '8.8.8.0/24' }), 400, 'InvalidParameterValue');
    assertError(await call('GET', '/cloud/v1/subnets/subnet-zzzzzzzz'), 404, 'ResourceNotFound', /subnet subnet-zzzzzzzz does not exist/);
    assertError(await call('POST', '/cloud/v1/securitygroups', { name: 'web', ingress: [{ protocol: 'tcp', port: '99999', cidr: '0.0.0.0/0' }] }), 400, 'InvalidParameterValue');
    assertError(await call('POST', '/cloud/v1/securitygroups', { name: 'web', ingress: 'all' }), 400, 'InvalidParameter');
    assertError(await call('DELETE', '/cloud/v1/routetables/rtb-aaaaaaaa/routes'), 400, 'MissingParameter');
    assertError(await call('PUT', '/cloud/v1/quotas/pods-per-cluster', { value: 'many' }), 400, 'InvalidParameter');
    assertError(await call('PUT', '/cloud/v1/quotas/cats-per-lap', { value: 1 }), 400, 'InvalidParameterValue', /unknown quota/);
  });

  it('EIP allocate, associate, release-in-use, disassociate, release', async () => {
    const { call, cloud, boot } = await setup();
    const eni = await cloud.allocatePodEni({ cluster: 'default', namespace: 'n', pod: 'p', uid: 'u', subnetId: boot.subnets[0].id });
    const eip = (await call('POST', '/cloud/v1/eips', { bandwidthMbps: 5, internetChargeType: 'PayByTraffic' })).body as any;
    assert.match(eip.id, /^eip-/);
    const assoc = await call('POST', `/cloud/v1/eips/${eip.id}/associate`, { eniId: eni.id });
    assert.equal(assoc.status, 200);
    assert.equal((assoc.body as any).boundPod.name, 'p');
    assertError(await call('DELETE', `/cloud/v1/eips/${eip.id}`), 409, 'ResourceInUse');
    assertError(await call('POST', `/cloud/v1/eips/${eip.id}/associate`, {}), 400, 'InvalidParameter');
    assert.equal((await call('POST', `/cloud/v1/eips/${eip.id}/disassociate`)).status, 200);
    assert.equal((await call('DELETE', `/cloud/v1/eips/${eip.id}`)).status, 200);
    assert.equal(((await call('GET', '/cloud/v1/eips')).body as any).totalCount, 0);
  });

  it('quota exceeded then raised through PUT', async () => {
    const { call, cloud, boot } = await setup();
    assert.equal((await call('PUT', '/cloud/v1/quotas/eips-per-region', { value: 1 })).status, 200);
    assert.equal((await call('POST', '/cloud/v1/eips', {})).status, 201);
    assertError(await call('POST', '/cloud/v1/eips', {}), 403, 'QuotaExceeded', /^quota eips-per-region \(1\) for region ap-guangzhou is exhausted$/);
    await call('PUT', '/cloud/v1/quotas/eips-per-region', { value: 2 });
    assert.equal((await call('POST', '/cloud/v1/eips', {})).status, 201);

    const set = await call('PUT', '/cloud/v1/quotas/pods-per-cluster', { value: 500, cluster: 'default' });
    assert.equal((set.body as any).limit, 500);
    await cloud.allocatePodEni({ cluster: 'default', namespace: 'n', pod: 'p', uid: 'u', subnetId: boot.subnets[0].id });
    const list = (await call('GET', '/cloud/v1/quotas?cluster=default')).body as any;
    const pods = list.items.find((q: any) => q.name === 'pods-per-cluster');
    assert.deepEqual([pods.limit, pods.used, pods.default], [500, 1, 200]);
  });

  it('route tables, NAT gateways and security group rules', async () => {
    const { call, boot } = await setup();
    const nat = (await call('POST', '/cloud/v1/natgateways', { vpcId: boot.vpc.id, bandwidthMbps: 200 })).body as any;
    assert.equal(nat.bandwidthMbps, 200);
    const rtb = (await call('GET', `/cloud/v1/routetables?vpcId=${boot.vpc.id}`)).body as any;
    const table = rtb.items[0];
    assert.equal(table.routes[0].nextHopType, 'local');
    const added = await call('POST', `/cloud/v1/routetables/${table.id}/routes`, { destinationCidr: '0.0.0.0/0', nextHopType: 'nat', nextHopId: nat.id });
    assert.equal(added.status, 201);
    assertError(await call('DELETE', `/cloud/v1/natgateways/${nat.id}`), 409, 'ResourceInUse');
    assert.equal((await call('DELETE', `/cloud/v1/routetables/${table.id}/routes?destinationCidr=0.0.0.0/0`)).status, 200);
    assert.equal((await call('DELETE', `/cloud/v1/natgateways/${nat.id}`)).status, 200);

    const sg = (await call('POST', '/cloud/v1/securitygroups', { name: 'web' })).body as any;
    const withRule = (await call('POST', `/cloud/v1/securitygroups/${sg.id}/rules`, { direction: 'ingress', protocol: 'TCP', port: '8000-9000', cidr: '0.0.0.0/0', action: 'accept' })).body as any;
    assert.deepEqual(withRule.ingress[0], { protocol: 'tcp', port: '8000-9000', cidr: '0.0.0.0/0', action: 'ACCEPT' });
    const removed = (await call('DELETE', `/cloud/v1/securitygroups/${sg.id}/rules?direction=ingress&index=0`)).body as any;
    assert.equal(removed.ingress.length, 0);
    assert.equal((await call('DELETE', `/cloud/v1/securitygroups/${sg.id}`)).status, 200);
  });

  it('super node records: create, drain, refuse removing the last one', async () => {
    const { call, boot } = await setup();
    const sn = await call('POST', '/cloud/v1/supernodes', { clusterName: 'default', subnetId: boot.subnets[2].id });
    assert.equal(sn.status, 201);
    const id = (sn.body as any).id;
    assert.match(id, /^eklet-/);
    assert.equal(((await call('POST', `/cloud/v1/supernodes/${id}/drain`)).body as any).state, 'draining');
    assertError(await call('DELETE', `/cloud/v1/supernodes/${id}`), 400, 'UnsupportedOperation', /last super node/);
    assert.equal(((await call('GET', '/cloud/v1/supernodes?cluster=default')).body as any).totalCount, 1);
    assertError(await call('POST', '/cloud/v1/supernodes', { clusterName: 'nope', subnetId: boot.subnets[2].id }), 404, 'ResourceNotFound');
  });
});
