// Cloud disks through the cloud's REST API (docs/storage.md): create in a zone within a type's
// sizes, the disks-per-region quota, attach only in the disk's zone and to one instance, grow only,
// no delete while attached, every bad request a 4xx with its code; survives a reopen. And each
// cloud's CSI driver rules as CreateVolume reads a class (CBS 10 GB steps, single writer, …).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { handleCloudRequest } from '../../src/cloud/api.js';
import { Cloud } from '../../src/cloud/cloud.js';
import { MemoryStore } from '../../src/store/memory.js';
import { GiB } from '../../src/cloud/storage.js';
import { storageProfile } from '../../src/controllers/storage/index.js';

async function setup(store = new MemoryStore()) {
  const cloud = await Cloud.open(store);
  await cloud.bootstrap();
  const call = async (method: string, pathAndQuery: string, body?: unknown) => {
    const url = new URL(pathAndQuery, 'https://x');
    const res = await handleCloudRequest(cloud, { method, path: url.pathname, query: url.searchParams, body });
    return res as { status: number; body: any };
  };
  return { cloud, call, store };
}

const error = (res: { status: number; body: any }, status: number, code: string, re?: RegExp) => {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.code, code);
  if (re) assert.match(res.body.message, re);
};

describe('cloud disks', () => {
  it('creates, lists by zone and state, attaches in its zone only, grows, and deletes once detached', async () => {
    const { call, store } = await setup();
    const made = await call('POST', '/cloud/v1/disks', { zone: 'ap-guangzhou-4', sizeGiB: 50, name: 'data' });
    assert.equal(made.status, 201);
    const id = made.body.id;
    assert.match(id, /^disk-[0-9a-z]{8}$/);
    assert.deepEqual([made.body.zone, made.body.sizeGiB, made.body.type, made.body.state, made.body.chargeType], ['ap-guangzhou-4', 50, 'CLOUD_PREMIUM', 'UNATTACHED', 'POSTPAID_BY_HOUR']);
    assert.equal((await call('GET', '/cloud/v1/disks?zone=ap-guangzhou-4')).body.totalCount, 1);
    assert.equal((await call('GET', '/cloud/v1/disks?zone=ap-guangzhou-3')).body.totalCount, 0);
    error(await call('POST', `/cloud/v1/disks/${id}/attach`, { node: 'n1', zone: 'ap-guangzhou-3' }), 400, 'InvalidParameterValue', /is in zone ap-guangzhou-4 and cannot be attached to n1 in zone ap-guangzhou-3/);
    const attached = await call('POST', `/cloud/v1/disks/${id}/attach`, { node: 'n1', cluster: 'default', zone: 'ap-guangzhou-4' });
    assert.deepEqual([attached.body.state, attached.body.attachedTo], ['ATTACHED', { node: 'n1', cluster: 'default' }]);
    error(await call('POST', `/cloud/v1/disks/${id}/attach`, { node: 'n2', zone: 'ap-guangzhou-4' }), 409, 'ResourceInUse', /already attached to n1/);
    assert.equal((await call('GET', '/cloud/v1/disks?state=ATTACHED&cluster=default')).body.totalCount, 1);
    error(await call('DELETE', `/cloud/v1/disks/${id}`), 409, 'ResourceInUse', /attached to n1: detach it first/);
    error(await call('POST', `/cloud/v1/disks/${id}/resize`, { sizeGiB: 40 }), 400, 'InvalidParameterValue', /can only grow/);
    assert.equal((await call('POST', `/cloud/v1/disks/${id}/resize`, { sizeGiB: 80 })).body.sizeGiB, 80);
    // Durable: a cloud opened again on the store has it as it was.
    const again = await setup(store);
    assert.deepEqual([again.cloud.disks.get(id).sizeGiB, again.cloud.disks.get(id).state], [80, 'ATTACHED']);
    assert.equal((await call('POST', `/cloud/v1/disks/${id}/detach`)).body.state, 'UNATTACHED');
    assert.equal((await call('DELETE', `/cloud/v1/disks/${id}`)).status, 200);
    error(await call('GET', `/cloud/v1/disks/${id}`), 404, 'ResourceNotFound', /cloud disk disk-/);
  });

  it('refuses bad input with the cloud\'s codes, and counts disks against disks-per-region', async () => {
    const { call } = await setup();
    error(await call('POST', '/cloud/v1/disks', { zone: 'mars-1', sizeGiB: 10 }), 400, 'InvalidParameterValue', /zone "mars-1" is not in region/);
    error(await call('POST', '/cloud/v1/disks', { zone: 'ap-guangzhou-3', sizeGiB: 5 }), 400, 'InvalidParameterValue', /a CLOUD_PREMIUM disk is 10 to 16000 GiB, got 5/);
    error(await call('POST', '/cloud/v1/disks', { zone: 'ap-guangzhou-3', sizeGiB: 50, type: 'CLOUD_SSD' }), 400, 'InvalidParameterValue', /100 to 16000/);
    error(await call('POST', '/cloud/v1/disks', { zone: 'ap-guangzhou-3', sizeGiB: 50, type: '__proto__' }), 400, 'InvalidParameterValue', /is not offered/);
    error(await call('POST', '/cloud/v1/disks', { zone: 'ap-guangzhou-3' }), 400, 'InvalidParameterValue');
    error(await call('POST', '/cloud/v1/disks', { zone: 'ap-guangzhou-3', sizeGiB: '10' }), 400, 'InvalidParameter', /sizeGiB must be an integer/);
    error(await call('POST', '/cloud/v1/disks', { zone: 'ap-guangzhou-3', sizeGiB: 10, tags: { a: 1 } }), 400, 'InvalidParameterValue', /tag a must have a string value/);
    error(await call('POST', '/cloud/v1/disks', { sizeGiB: 10 }), 400, 'MissingParameter', /zone/);
    error(await call('POST', '/cloud/v1/disks/disk-nothere/attach', { node: 'n', zone: 'ap-guangzhou-3' }), 404, 'ResourceNotFound');
    assert.equal((await call('PUT', '/cloud/v1/quotas/disks-per-region', { value: 1 })).status, 200);
    assert.equal((await call('POST', '/cloud/v1/disks', { zone: 'ap-guangzhou-3', sizeGiB: 10 })).status, 201);
    error(await call('POST', '/cloud/v1/disks', { zone: 'ap-guangzhou-3', sizeGiB: 10 }), 403, 'QuotaExceeded', /disks-per-region \(1\)/);
    const q = (await call('GET', '/cloud/v1/quotas')).body.items.find((x: any) => x.name === 'disks-per-region');
    assert.deepEqual([q.limit, q.used, q.default], [1, 1, 500]);
  });
});

describe('each cloud\'s CSI driver', () => {
  const input = (over: Partial<Parameters<ReturnType<typeof storageProfile>['createVolume']>[0]> = {}) => ({
    pvName: 'pvc-1', cluster: 'default', parameters: {}, requestBytes: 15 * GiB, accessModes: ['ReadWriteOnce'], volumeMode: 'Filesystem', ...over,
  });

  it('Tencent CBS: case-free parameters, sizes rounded up to 10 GB, single writer only, named and tagged for the cluster', () => {
    const cbs = storageProfile('tencent');
    assert.equal(cbs.driver, 'com.tencent.cloud.csi.cbs');
    assert.deepEqual(cbs.createVolume(input({ parameters: { DiskType: 'CLOUD_SSD', diskzone: 'ap-guangzhou-6', PayMode: 'PREPAID' } })), {
      ok: true, type: 'CLOUD_SSD', sizeGiB: 20, zone: 'ap-guangzhou-6', chargeType: 'PREPAID', name: 'default/pvc-1',
      tags: { 'tke-cbs-provisioner-createBy-flag': 'yes', 'tke-clusterId': 'default' },
    });
    const sized = (bytes: number) => (cbs.createVolume(input({ requestBytes: bytes })) as { sizeGiB: number }).sizeGiB;
    assert.deepEqual([sized(10 * GiB), sized(10.5 * GiB), sized(11 * GiB), sized(100 * GiB)], [10, 10, 20, 100]);
    assert.deepEqual(cbs.createVolume(input({ accessModes: ['ReadWriteMany'] })), { ok: false, error: 'rpc error: code = InvalidArgument desc = block access mode only support singer node writer' });
    assert.deepEqual(cbs.createVolume(input({ volumeMode: 'Block' })), { ok: false, error: 'rpc error: code = InvalidArgument desc = block volume is not supported' });
    const sc = cbs.defaultClass();
    assert.deepEqual([sc.metadata.name, sc.provisioner, sc.volumeBindingMode, sc.allowVolumeExpansion], ['cbs', 'com.tencent.cloud.csi.cbs', 'WaitForFirstConsumer', true]);
  });

  it('Alibaba and AWS: their drivers, classes, topology keys and sizes', () => {
    const ali = storageProfile('alibaba');
    assert.deepEqual([ali.driver, ali.defaultClass().metadata.name, ali.topologyKey], ['diskplugin.csi.alibabacloud.com', 'alicloud-disk-topology-alltype', 'topology.diskplugin.csi.alibabacloud.com/zone']);
    assert.equal(ali.defaultClass().parameters.type, 'cloud_essd,cloud_ssd,cloud_efficiency');
    const a = ali.createVolume(input({ requestBytes: 25 * GiB, parameters: { type: 'cloud_ssd,cloud_efficiency', zoneId: 'cn-hangzhou-b' } }));
    assert.deepEqual(a.ok && [a.type, a.sizeGiB, a.zone], ['cloud_ssd', 25, 'cn-hangzhou-b']);
    assert.match((ali.createVolume(input({ requestBytes: GiB })) as { error: string }).error, /below the minimum of 20Gi/);
    const ebs = storageProfile('aws');
    assert.deepEqual([ebs.driver, ebs.defaultClass().metadata.name, ebs.topologyKey], ['ebs.csi.aws.com', 'gp3', 'topology.ebs.csi.aws.com/zone']);
    const e = ebs.createVolume(input({ requestBytes: 1.5 * GiB, parameters: { type: 'io2' } }));
    assert.deepEqual(e.ok && [e.type, e.sizeGiB], ['io2', 2]);
    assert.equal(storageProfile(undefined).cloud, 'tencent');
  });
});
