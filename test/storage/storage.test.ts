// Storage through the real kubectl and the nodeless CLI (docs/storage.md): the cloud's
// default StorageClass and CSI registration, a StatefulSet whose claims are provisioned as
// cloud disks in the zones of the super nodes its pods land on (and whose pods then only
// fit those zones), data that outlives a pod, expansion, reclaim Delete, and claims that go
// with their StatefulSet. Static binding and unbindable claims: claims.test.ts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cloudList, getObject, kc, kubectl, nodelessJson, nodelessOk, startCli, waitFor, waitForReadyNode, type Running, untilShown } from '../helpers/nodeless.js';

let n: Running;
const ZONE_KEY = 'topology.com.tencent.cloud.csi.cbs/zone';
before(async () => {
  n = await startCli(undefined, ['--allow-process-runtime']);
  await waitForReadyNode(n);
  // One super node per zone: the default one has the first zone's subnet, add the other two.
  const first = nodelessJson(n, ['supernode', 'list'])[0];
  for (const s of nodelessJson(n, ['cloud', 'subnet', 'list'])) {
    if (s.isDefault && s.id !== first.subnetId) nodelessOk(n, ['supernode', 'add', '--subnet', s.id, '--name', `sn-${s.zone}`]);
  }
  await waitFor('3 Ready nodes', async () => (await getObject(n, '/api/v1/nodes')).items
    .filter((node: any) => !node.spec?.unschedulable && node.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')).length === 3, 60_000);
});
after(async () => {
  kubectl(n, ['delete', 'sts', '--all', '--wait=false']);
  kubectl(n, ['delete', 'pods', '--all', '--grace-period=0', '--force']);
  await n?.stop();
});

const json = (args: string[]) => JSON.parse(kc(n, [...args, '-o', 'json']));
const events = (name: string) => json(['get', 'events', '--field-selector', `involvedObject.name=${name}`]).items as any[];
const eventWith = (name: string, reason: string, text: string, timeoutMs = 60_000) =>
  waitFor(`${reason} "${text}" on ${name}`, async () => (await eventsNow(name)).find((e) => e.reason === reason && e.message.includes(text)), timeoutMs);
const disks = () => nodelessJson(n, ['cloud', 'disk', 'list']) as any[];
// The same reads for polling, straight from the APIs (a CLI or kubectl process per look costs CPU).
const disksNow = () => cloudList(n, '/disks');
const eventsNow = async (name: string): Promise<any[]> => (await getObject(n, `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${name}`)}`)).items;
/**
 * Waits until `ready` holds for the object at `path` (undefined once gone), one API GET per look, and then until
 * `shown` (a kubectl read) holds too; hands back what `shown` returned.
 */
const until = <T>(what: string, path: string, ready: (o: any) => unknown, shown: () => T | undefined | false, timeoutMs?: number) =>
  untilShown(n, what, path, ready, shown, timeoutMs);
const at = (kind: string, name: string) => `/api/v1/namespaces/default/${kind}/${name}`;
const claimPhase = (name: string, phase: string) => until(`pvc ${name} ${phase}`, at('persistentvolumeclaims', name), (o) => o?.status?.phase === phase,
  () => json(['get', 'pvc', name]).status?.phase === phase, 60_000);

describe('the default StorageClass', () => {
  it('is Tencent CBS: the CSI driver, default, WaitForFirstConsumer, expandable, with CBS parameters', () => {
    const sc = json(['get', 'sc', 'cbs']);
    assert.equal(sc.provisioner, 'com.tencent.cloud.csi.cbs');
    assert.equal(sc.metadata.annotations['storageclass.kubernetes.io/is-default-class'], 'true');
    assert.equal(sc.volumeBindingMode, 'WaitForFirstConsumer');
    assert.equal(sc.reclaimPolicy, 'Delete');
    assert.equal(sc.allowVolumeExpansion, true);
    assert.equal(sc.parameters.diskType, 'CLOUD_PREMIUM');
    assert.match(kc(n, ['get', 'sc']), /cbs \(default\)\s+com\.tencent\.cloud\.csi\.cbs\s+Delete\s+WaitForFirstConsumer\s+true/);
  });

  it('labels every super node with its zone under the driver topology key, and registers the driver on it (CSINode)', async () => {
    for (const node of json(['get', 'nodes']).items) {
      assert.equal(node.metadata.labels[ZONE_KEY], node.metadata.labels['topology.kubernetes.io/zone']);
      const csinode = await waitFor(`CSINode ${node.metadata.name}`, () => kubectl(n, ['get', 'csinode', node.metadata.name, '-o', 'json']).code === 0 && json(['get', 'csinode', node.metadata.name]));
      assert.deepEqual(csinode.spec.drivers, [{ name: 'com.tencent.cloud.csi.cbs', nodeID: node.metadata.name, topologyKeys: [ZONE_KEY], allocatable: { count: 20 } }]);
      assert.deepEqual(csinode.metadata.ownerReferences.map((r: any) => [r.kind, r.name, r.uid]), [['Node', node.metadata.name, node.metadata.uid]]);
    }
    assert.equal(json(['get', 'csidriver', 'com.tencent.cloud.csi.cbs']).spec.attachRequired, true);
  });
});

describe('a StatefulSet with volumeClaimTemplates across zones', () => {
  const sts = `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 3
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}, annotations: {nodeless.dev/runtime: process}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: db
        image: busybox:1.36
        command: [sh, -c, 'echo "$HOSTNAME started" >> $NODELESS_ROOT/data/log; exec sleep 3600']
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 15Gi}}}
`;
  const podNode = (pod: string) => json(['get', 'pod', pod]).spec.nodeName as string;
  const nodeZone = (node: string) => json(['get', 'node', node]).metadata.labels['topology.kubernetes.io/zone'] as string;

  it('provisions one disk per claim in the zone of the node its pod was scheduled to', async () => {
    kc(n, ['apply', '-f', '-'], sts);
    kc(n, ['rollout', 'status', 'sts/db', '--timeout=120s']);
    const zones = new Set<string>();
    for (const i of [0, 1, 2]) {
      const pvc = json(['get', 'pvc', `data-db-${i}`]);
      assert.equal(pvc.status.phase, 'Bound');
      assert.equal(pvc.spec.storageClassName, 'cbs', 'the default class, set by admission');
      assert.equal(pvc.metadata.labels.app, 'db');
      // CBS sizes are multiples of 10 GB: 15Gi asks for a 20 GiB disk.
      assert.equal(pvc.status.capacity.storage, '20Gi');
      const zone = nodeZone(podNode(`db-${i}`));
      zones.add(zone);
      assert.equal(pvc.metadata.annotations['volume.kubernetes.io/selected-node'], podNode(`db-${i}`));
      const pv = json(['get', 'pv', pvc.spec.volumeName]);
      assert.equal(pv.metadata.name, `pvc-${pvc.metadata.uid}`);
      assert.equal(pv.status.phase, 'Bound');
      assert.equal(pv.spec.csi.driver, 'com.tencent.cloud.csi.cbs');
      assert.deepEqual(pv.spec.nodeAffinity.required.nodeSelectorTerms, [{ matchExpressions: [{ key: ZONE_KEY, operator: 'In', values: [zone] }] }]);
      const disk = disks().find((d) => d.id === pv.spec.csi.volumeHandle);
      assert.ok(disk, `disk ${pv.spec.csi.volumeHandle} in the cloud`);
      assert.equal(disk.zone, zone);
      assert.equal(disk.sizeGiB, 20);
      assert.equal(disk.type, 'CLOUD_PREMIUM');
      assert.equal(disk.name, `default/${pv.metadata.name}`);
      await waitFor(`${disk.id} attached`, async () => (await disksNow()).find((d) => d.id === disk.id)?.state === 'ATTACHED');
      const attachedFor = (x: any) => x.spec.source.persistentVolumeName === pv.metadata.name && x.status?.attached;
      const va = await until('an attached VolumeAttachment', '/apis/storage.k8s.io/v1/volumeattachments', (l) => l.items.some(attachedFor), () => json(['get', 'volumeattachments']).items.find(attachedFor));
      assert.equal(va.spec.attacher, 'com.tencent.cloud.csi.cbs');
      assert.equal(va.spec.nodeName, podNode(`db-${i}`));
      assert.match(va.metadata.name, /^csi-[0-9a-f]{64}$/);
    }
    assert.equal(zones.size, 3, 'the pods spread over the three zones');
    const ev = events('data-db-0').map((e) => `${e.reason}: ${e.message}`);
    assert.ok(ev.includes('WaitForFirstConsumer: waiting for first consumer to be created before binding'), ev.join('\n'));
    assert.ok(ev.some((e) => e.startsWith("ExternalProvisioning: Waiting for a volume to be created either by the external provisioner 'com.tencent.cloud.csi.cbs'")), ev.join('\n'));
    assert.ok(ev.includes('Provisioning: External provisioner is provisioning volume for claim "default/data-db-0"'), ev.join('\n'));
    assert.ok(ev.some((e) => /^ProvisioningSucceeded: Successfully provisioned volume pvc-/.test(e)), ev.join('\n'));
    const stsEvents = events('db').map((e) => e.message);
    assert.ok(stsEvents.includes('create Claim data-db-0 Pod db-0 in StatefulSet db success'), stsEvents.join('\n'));
    // The cloud's quota counts the disks.
    const quota = nodelessJson(n, ['cloud', 'quota', 'list']).find((q: any) => q.name === 'disks-per-region');
    assert.equal(quota.used, 3);
  });

  it('keeps what a pod wrote for the pod that replaces it', async () => {
    const uid = json(['get', 'pod', 'db-1']).metadata.uid;
    kc(n, ['delete', 'pod', 'db-1']);
    const back = (p: any) => p && p.metadata.uid !== uid && p.status.phase === 'Running';
    await until('db-1 back and running', at('pods', 'db-1'), back, () => back(json(['get', 'pod', 'db-1'])), 90_000);
    const log = await waitFor('two starts in the log', () => {
      const out = kc(n, ['exec', 'db-1', '--', 'sh', '-c', 'cat $NODELESS_ROOT/data/log']);
      return out.split('\n').filter(Boolean).length === 2 ? out : undefined;
    });
    assert.deepEqual(log.trim().split('\n'), ['db-1 started', 'db-1 started']);
  });

  it('schedules a pod only where its disk is: other zones have a volume node affinity conflict', async () => {
    const node = podNode('db-0');
    kc(n, ['cordon', node]);
    try {
      const uid = json(['get', 'pod', 'db-0']).metadata.uid;
      kc(n, ['delete', 'pod', 'db-0', '--wait=false']);
      await until('db-0 recreated', at('pods', 'db-0'), (p) => p && p.metadata.uid !== uid,
        () => json(['get', 'pods']).items.find((p: any) => p.metadata.name === 'db-0' && p.metadata.uid !== uid), 60_000);
      const ev = await eventWith('db-0', 'FailedScheduling', 'volume node affinity conflict', 90_000);
      assert.equal(ev.message, '0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) had volume node affinity conflict. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.');
      assert.equal(json(['get', 'pod', 'db-0']).status.phase, 'Pending');
    } finally {
      kc(n, ['uncordon', node]);
    }
    const again = (p: any) => p?.status.phase === 'Running' && p.spec.nodeName === node;
    await until('db-0 running again on its zone\'s node', at('pods', 'db-0'), again, () => again(json(['get', 'pod', 'db-0'])), 90_000);
  });

  it('grows a disk when its claim asks for more, and the claim once the node has grown the file system', async () => {
    kc(n, ['patch', 'pvc', 'data-db-0', '-p', '{"spec":{"resources":{"requests":{"storage":"35Gi"}}}}']);
    const pvName = json(['get', 'pvc', 'data-db-0']).spec.volumeName;
    await until('claim capacity 35Gi', at('persistentvolumeclaims', 'data-db-0'), (o) => o?.status.capacity?.storage === '35Gi',
      () => json(['get', 'pvc', 'data-db-0']).status.capacity?.storage === '35Gi', 60_000);
    const pv = json(['get', 'pv', pvName]);
    assert.equal(pv.spec.capacity.storage, '35Gi');
    assert.equal(disks().find((d) => d.id === pv.spec.csi.volumeHandle).sizeGiB, 35);
    const pvc = json(['get', 'pvc', 'data-db-0']);
    assert.equal(pvc.status.conditions, undefined, 'no resize condition left');
    assert.equal(pvc.status.allocatedResources.storage, '35Gi');
    const ev = events('data-db-0').map((e) => `${e.reason}: ${e.message}`);
    assert.ok(ev.includes(`Resizing: External resizer is resizing volume ${pvName}`), ev.join('\n'));
    assert.ok(ev.includes('FileSystemResizeRequired: Require file system resize of volume on node'), ev.join('\n'));
    assert.ok(ev.some((e) => e.startsWith(`FileSystemResizeSuccessful: MountVolume.NodeExpandVolume succeeded for volume "${pvName}"`)), ev.join('\n'));
  });

  it('deletes the disk of a released claim with reclaim policy Delete', async () => {
    kc(n, ['scale', 'sts', 'db', '--replicas=2']);
    await until('db-2 gone', at('pods', 'db-2'), (o) => !o, () => kubectl(n, ['get', 'pod', 'db-2']).code !== 0, 60_000);
    const pv = json(['get', 'pvc', 'data-db-2']).spec.volumeName;
    const disk = json(['get', 'pv', pv]).spec.csi.volumeHandle;
    kc(n, ['delete', 'pvc', 'data-db-2']);
    await until('PV gone', `/api/v1/persistentvolumes/${pv}`, (o) => !o, () => kubectl(n, ['get', 'pv', pv]).code !== 0, 60_000);
    assert.equal(disks().find((d) => d.id === disk), undefined, 'the disk is deleted');
  });
});

describe('a StatefulSet whose claims go with it (persistentVolumeClaimRetentionPolicy Delete)', () => {
  it('deletes a scaled-away pod\'s claim, and the rest with the StatefulSet, with their disks', async () => {
    kc(n, ['apply', '-f', '-'], `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: cache}
spec:
  serviceName: cache
  replicas: 2
  podManagementPolicy: Parallel
  persistentVolumeClaimRetentionPolicy: {whenDeleted: Delete, whenScaled: Delete}
  selector: {matchLabels: {app: cache}}
  template:
    metadata: {labels: {app: cache}}
    spec:
      containers: [{name: c, image: redis:7}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Gi}}}
`);
    kc(n, ['rollout', 'status', 'sts/cache', '--timeout=120s']);
    const disksOf = () => ['data-cache-0', 'data-cache-1'].map((c) => json(['get', 'pv', json(['get', 'pvc', c]).spec.volumeName]).spec.csi.volumeHandle);
    const [d0, d1] = disksOf();
    assert.deepEqual(json(['get', 'pvc', 'data-cache-0']).metadata.ownerReferences.map((r: any) => [r.kind, r.name]), [['StatefulSet', 'cache']]);
    kc(n, ['scale', 'sts', 'cache', '--replicas=1']);
    await until('data-cache-1 gone', at('persistentvolumeclaims', 'data-cache-1'), (o) => !o, () => kubectl(n, ['get', 'pvc', 'data-cache-1']).code !== 0, 90_000);
    await waitFor('its disk deleted', async () => !(await disksNow()).some((d) => d.id === d1), 60_000);
    assert.ok(disks().some((d) => d.id === d0));
    kc(n, ['delete', 'sts', 'cache']);
    await until('data-cache-0 gone', at('persistentvolumeclaims', 'data-cache-0'), (o) => !o, () => kubectl(n, ['get', 'pvc', 'data-cache-0']).code !== 0, 90_000);
    await waitFor('its disk deleted', async () => !(await disksNow()).some((d) => d.id === d0), 60_000);
  });
});
