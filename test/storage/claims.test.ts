// Claims through the real kubectl (docs/storage.md): static binding (class, size, access
// modes, selector, pre-bound either way), protection finalizers, resize admission, reclaim
// Retain and Delete, and the PV controller's and kube-scheduler's words for claims that
// cannot be bound. StatefulSets and zones: storage.test.ts.
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
    .filter((node: any) => node.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')).length === 3, 60_000);
});
after(async () => {
  kubectl(n, ['delete', 'pods', '--all', '--grace-period=0', '--force']);
  await n?.stop();
});

const json = (args: string[]) => JSON.parse(kc(n, [...args, '-o', 'json']));
const events = (name: string) => json(['get', 'events', '--field-selector', `involvedObject.name=${name}`]).items as any[];
/**
 * Waits until `ready` holds for the object or list at `path` (undefined once gone), one API GET per look (a kubectl
 * per look costs ~50 ms of CPU), and then until `shown` (a kubectl read) holds too; hands back what `shown` returned.
 */
const until = <T>(what: string, path: string, ready: (o: any) => unknown, shown: () => T | undefined | false, timeoutMs?: number) =>
  untilShown(n, what, path, ready, shown, timeoutMs);
const at = (kind: string, name: string) => kind === 'persistentvolumes' ? `/api/v1/${kind}/${name}` : `/api/v1/namespaces/default/${kind}/${name}`;
const eventWith = (name: string, reason: string, text: string, timeoutMs = 60_000) => {
  const match = (e: any) => e.reason === reason && e.message.includes(text);
  return until(`${reason} "${text}" on ${name}`, `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${name}`)}`,
    (l) => l.items.some(match), () => events(name).find(match), timeoutMs);
};
const disks = () => nodelessJson(n, ['cloud', 'disk', 'list']) as any[];
/** The disks for polling, straight from the cloud API (a CLI process per look costs ~150 ms of CPU). */
const diskState = async (id: string) => (await cloudList(n, '/disks')).find((d) => d.id === id)?.state;
const claimPhase = (name: string, phase: string) => until(`pvc ${name} ${phase}`, at('persistentvolumeclaims', name), (o) => o?.status?.phase === phase,
  () => json(['get', 'pvc', name]).status?.phase === phase, 60_000);

describe('claims that cannot be bound', () => {
  it('stays Pending with the controller\'s event for a class that does not exist', async () => {
    kc(n, ['apply', '-f', '-'], `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: nope}
spec: {storageClassName: x, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`);
    const ev = await eventWith('nope', 'ProvisioningFailed', 'not found');
    assert.equal(ev.message, 'storageclass.storage.k8s.io "x" not found');
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.source.component, 'persistentvolume-controller');
    assert.equal(json(['get', 'pvc', 'nope']).status.phase, 'Pending');
  });

  it('keeps a pod with an unbound Immediate claim from being scheduled', async () => {
    kc(n, ['apply', '-f', '-'], `
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: elsewhere}
provisioner: example.com/nowhere
volumeBindingMode: Immediate
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: waiting}
spec: {storageClassName: elsewhere, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: Pod
metadata: {name: needs-waiting}
spec:
  containers: [{name: c, image: nginx}]
  volumes: [{name: d, persistentVolumeClaim: {claimName: waiting}}]
`);
    const ev = await eventWith('needs-waiting', 'FailedScheduling', 'unbound');
    assert.equal(ev.message, '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.');
    await eventWith('waiting', 'ExternalProvisioning', "the external provisioner 'example.com/nowhere'");
    kc(n, ['delete', 'pod', 'needs-waiting', '--grace-period=0', '--force']);
  });

  it('tells a pod whose claim does not exist', async () => {
    kc(n, ['run', 'no-claim', '--image=nginx', '--overrides', '{"spec":{"volumes":[{"name":"d","persistentVolumeClaim":{"claimName":"missing"}}]}}']);
    const ev = await eventWith('no-claim', 'FailedScheduling', 'missing');
    assert.equal(ev.message, '0/3 nodes are available: persistentvolumeclaim "missing" not found. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.');
    kc(n, ['delete', 'pod', 'no-claim', '--grace-period=0', '--force']);
  });
});

describe('Immediate binding', () => {
  it('provisions at once in a zone a node has, and the claim\'s pod goes to that zone', async () => {
    kc(n, ['apply', '-f', '-'], `
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: cbs-now}
provisioner: com.tencent.cloud.csi.cbs
volumeBindingMode: Immediate
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: now}
spec: {storageClassName: cbs-now, accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Gi}}}
`);
    await claimPhase('now', 'Bound');
    const pvc = json(['get', 'pvc', 'now']);
    assert.equal(pvc.metadata.annotations['volume.kubernetes.io/selected-node'], undefined, 'no node was waited for');
    const pv = json(['get', 'pv', pvc.spec.volumeName]);
    const zone = pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values[0];
    assert.equal(disks().find((d) => d.id === pv.spec.csi.volumeHandle).zone, zone);
    kc(n, ['run', 'uses-now', '--image=nginx', '--overrides', '{"spec":{"volumes":[{"name":"d","persistentVolumeClaim":{"claimName":"now"}}]}}']);
    const node = await until('scheduled', at('pods', 'uses-now'), (p) => p?.spec.nodeName, () => json(['get', 'pod', 'uses-now']).spec.nodeName as string);
    assert.equal(json(['get', 'node', node]).metadata.labels['topology.kubernetes.io/zone'], zone);
    kc(n, ['delete', 'pod', 'uses-now', '--grace-period=0', '--force']);
  });
});

describe('static volumes', () => {
  const pv = (name: string, size: string, extra = '') => `
apiVersion: v1
kind: PersistentVolume
metadata: {name: ${name}, labels: {tier: ${name === 'gold' ? 'gold' : 'plain'}}}
spec:
  capacity: {storage: ${size}}
  accessModes: [ReadWriteOnce]
  storageClassName: manual
  hostPath: {path: /srv/${name}}
${extra}
---`;

  it('binds a claim to the smallest matching volume, by class, size, access mode and selector', async () => {
    kc(n, ['apply', '-f', '-'], pv('gold', '2Gi') + pv('small', '1Gi') + pv('big', '10Gi') + pv('pinned', '3Gi', '  claimRef: {namespace: default, name: wants-pinned}') + `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: any-1g}
spec: {storageClassName: manual, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: gold-1g}
spec: {storageClassName: manual, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}, selector: {matchLabels: {tier: gold}}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: wants-big}
spec: {storageClassName: manual, volumeName: big, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: wants-pinned}
spec: {storageClassName: manual, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: many-writers}
spec: {storageClassName: manual, accessModes: [ReadWriteMany], resources: {requests: {storage: 1Gi}}}
`);
    for (const c of ['any-1g', 'gold-1g', 'wants-big', 'wants-pinned']) await claimPhase(c, 'Bound');
    assert.equal(json(['get', 'pvc', 'any-1g']).spec.volumeName, 'small');
    assert.equal(json(['get', 'pvc', 'gold-1g']).spec.volumeName, 'gold');
    assert.equal(json(['get', 'pvc', 'wants-big']).spec.volumeName, 'big');
    assert.equal(json(['get', 'pvc', 'wants-pinned']).spec.volumeName, 'pinned');
    const small = json(['get', 'pv', 'small']);
    assert.equal(small.status.phase, 'Bound');
    assert.equal(small.spec.claimRef.name, 'any-1g');
    assert.equal(small.metadata.annotations['pv.kubernetes.io/bound-by-controller'], 'yes');
    assert.equal(json(['get', 'pvc', 'any-1g']).status.capacity.storage, '1Gi');
    assert.equal(json(['get', 'pvc', 'wants-big']).metadata.annotations['pv.kubernetes.io/bind-completed'], 'yes');
    // Nothing offers ReadWriteMany and the class provisions nothing: the claim waits.
    const ev = await eventWith('many-writers', 'ProvisioningFailed', 'manual');
    assert.equal(ev.message, 'storageclass.storage.k8s.io "manual" not found');
    assert.equal(json(['get', 'pvc', 'many-writers']).status.phase, 'Pending');
  });

  it('refuses to grow a claim whose class does not allow expansion', () => {
    const r = kubectl(n, ['patch', 'pvc', 'gold-1g', '-p', '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /persistentvolumeclaims "gold-1g" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize/);
  });

  it('keeps a bound volume being deleted until its claim lets go (pv-protection)', async () => {
    assert.deepEqual(json(['get', 'pv', 'gold']).metadata.finalizers, ['kubernetes.io/pv-protection']);
    kc(n, ['delete', 'pv', 'gold', '--wait=false']);
    assert.ok(json(['get', 'pv', 'gold']).metadata.deletionTimestamp);
    // kubectl shows a volume being deleted as Terminating; it is still Bound.
    assert.match(kc(n, ['get', 'pv', 'gold']), /gold\s+2Gi\s+RWO\s+Retain\s+Terminating\s+default\/gold-1g/);
    assert.equal(json(['get', 'pv', 'gold']).status.phase, 'Bound');
    kc(n, ['delete', 'pvc', 'gold-1g']);
    await until('gold gone', at('persistentvolumes', 'gold'), (o) => !o, () => kubectl(n, ['get', 'pv', 'gold']).code !== 0, 60_000);
  });

  it('releases a Retain volume when its claim goes, and fails a Delete volume no provisioner made', async () => {
    kc(n, ['delete', 'pvc', 'any-1g']);
    await until('small Released', at('persistentvolumes', 'small'), (o) => o?.status.phase === 'Released', () => json(['get', 'pv', 'small']).status.phase === 'Released');
    kc(n, ['patch', 'pv', 'big', '-p', '{"spec":{"persistentVolumeReclaimPolicy":"Delete"}}']);
    kc(n, ['delete', 'pvc', 'wants-big']);
    await until('big Failed', at('persistentvolumes', 'big'), (o) => o?.status.phase === 'Failed', () => json(['get', 'pv', 'big']).status.phase === 'Failed');
    const ev = await eventWith('big', 'VolumeFailedDelete', 'no deletable volume plugin matched');
    assert.equal(ev.message, 'error getting deleter volume plugin for volume "big": no deletable volume plugin matched');
  });

  it('keeps a provisioned disk whose class says Retain, detached once its pod is gone', async () => {
    kc(n, ['apply', '-f', '-'], `
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: cbs-retain}
provisioner: com.tencent.cloud.csi.cbs
parameters: {diskType: CLOUD_SSD}
reclaimPolicy: Retain
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: keep}
spec: {storageClassName: cbs-retain, accessModes: [ReadWriteOnce], resources: {requests: {storage: 100Gi}}}
---
apiVersion: v1
kind: Pod
metadata: {name: keeper}
spec:
  containers: [{name: c, image: nginx}]
  volumes: [{name: d, persistentVolumeClaim: {claimName: keep}}]
`);
    await claimPhase('keep', 'Bound');
    const pvName = json(['get', 'pvc', 'keep']).spec.volumeName;
    const id = json(['get', 'pv', pvName]).spec.csi.volumeHandle;
    await waitFor('attached', async () => (await diskState(id)) === 'ATTACHED');
    assert.equal(disks().find((d) => d.id === id).type, 'CLOUD_SSD');
    // In use: the claim stays (Terminating, kubernetes.io/pvc-protection) until its pod is gone.
    assert.deepEqual(json(['get', 'pvc', 'keep']).metadata.finalizers, ['kubernetes.io/pvc-protection']);
    kc(n, ['delete', 'pvc', 'keep', '--wait=false']);
    assert.ok(json(['get', 'pvc', 'keep']).metadata.deletionTimestamp);
    assert.match(kc(n, ['get', 'pvc', 'keep']), /keep\s+Terminating\s+pvc-/);
    assert.equal(json(['get', 'pvc', 'keep']).status.phase, 'Bound');
    kc(n, ['delete', 'pod', 'keeper', '--grace-period=0', '--force']);
    await until('the claim gone', at('persistentvolumeclaims', 'keep'), (o) => !o, () => kubectl(n, ['get', 'pvc', 'keep']).code !== 0, 60_000);
    await until('Released', at('persistentvolumes', pvName), (o) => o?.status.phase === 'Released', () => json(['get', 'pv', pvName]).status.phase === 'Released');
    await waitFor('detached', async () => (await diskState(id)) === 'UNATTACHED');
    assert.equal(json(['get', 'pv', pvName]).spec.persistentVolumeReclaimPolicy, 'Retain');
  });
});
