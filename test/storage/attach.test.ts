// A pod whose claim is a CSI volume that needs attaching waits for the VolumeAttachment before its
// containers start (docs/storage.md, src/runtime/attach.ts), through kubectl: the cloud disk is
// attached to another machine, so the attacher fails (FailedAttachVolume in the attach/detach
// controller's words) and the pod stays ContainerCreating; once the disk is free the attachment
// succeeds and the pod runs.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, kubectl, nodelessJson, raw, startCli, waitFor, waitForReadyNode, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => {
  n = await startCli();
  await waitForReadyNode(n);
});
after(async () => {
  if (n) kubectl(n, ['delete', 'pods', '--all', '--grace-period=0', '--force']);
  await n?.stop();
});

const json = (args: string[]) => JSON.parse(kc(n, [...args, '-o', 'json']));
const events = (name: string) => json(['get', 'events', '--field-selector', `involvedObject.name=${name}`]).items as any[];

it('waits for its volume to be attached before the containers start', async () => {
  const node = json(['get', 'nodes']).items[0];
  const zone = node.metadata.labels['topology.kubernetes.io/zone'];
  const driver = json(['get', 'storageclass']).items.find((c: any) => c.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true').provisioner;
  const disk = nodelessJson(n, ['cloud', 'disk', 'create', '--zone', zone, '--size', '10']).id as string;
  // Another machine holds the disk: attaching it to the pod's node fails until it lets go.
  const held = await raw(n, 'POST', `/cloud/v1/disks/${disk}/attach`, JSON.stringify({ node: 'another-vm', zone }), { 'content-type': 'application/json' });
  assert.equal(held.status, 200, held.body);
  kc(n, ['apply', '-f', '-'], `
apiVersion: v1
kind: PersistentVolume
metadata: {name: held}
spec:
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  claimRef: {namespace: default, name: data}
  csi: {driver: ${driver}, volumeHandle: ${disk}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {storageClassName: "", volumeName: held, accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Gi}}}
---
apiVersion: v1
kind: Pod
metadata: {name: db}
spec:
  containers: [{name: db, image: nginx:1.27, volumeMounts: [{name: data, mountPath: /data}]}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
`);
  const failed = await waitFor('FailedAttachVolume', () => events('db').find((e) => e.reason === 'FailedAttachVolume'), 90_000, 300);
  assert.equal(failed.type, 'Warning');
  assert.match(failed.message, new RegExp(`^AttachVolume\\.Attach failed for volume "held" : .*disk ${disk} is already attached to another-vm`));
  assert.equal(failed.source?.component ?? failed.reportingComponent, 'attachdetach-controller');
  // The attachment exists but is not attached; the pod has no running container and none was started.
  const va = await waitFor('the VolumeAttachment', () => json(['get', 'volumeattachments']).items.find((v: any) => v.spec.source.persistentVolumeName === 'held'), 60_000, 300);
  assert.equal(va.spec.nodeName, node.metadata.name);
  const pod = json(['get', 'pod', 'db']);
  assert.equal(pod.status.phase, 'Pending');
  assert.equal(pod.status.containerStatuses?.[0]?.state?.waiting?.reason ?? 'ContainerCreating', 'ContainerCreating');
  assert.equal(events('db').some((e) => e.reason === 'Started' || e.reason === 'Pulling'), false);

  const freed = await raw(n, 'POST', `/cloud/v1/disks/${disk}/detach`, '{}', { 'content-type': 'application/json' });
  assert.equal(freed.status, 200, freed.body);
  await waitFor('db Running', () => json(['get', 'pod', 'db']).status?.phase === 'Running', 120_000, 500);
  assert.equal(json(['get', 'volumeattachment', va.metadata.name]).status.attached, true);
  const attached = events('db').find((e) => e.reason === 'SuccessfulAttachVolume');
  assert.equal(attached?.message, 'AttachVolume.Attach succeeded for volume "held"');
});
