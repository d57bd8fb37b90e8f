// The pod garbage collector in a whole nodeless (docs/controllers-podgc.md).
// A pod left on a removed super node (issue 19): the DaemonSet pod a super
// node may be removed with is deleted by its DaemonSet, but no kubelet is left
// to finish it, so it would stay Terminating for good and keep its subnet
// address. The pod garbage collector force-deletes it once the node has been
// gone for its quarantine, and the eklet frees its ENI. And finished pods
// past --terminated-pod-gc-threshold (1 here) go, oldest first. A whole
// nodeless in this process, its controllers on a FakeClock stepped on.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startNodeless, type Nodeless } from '../../src/nodeless.js';
import { refs, type Client } from '../../src/client/types.js';
import { FakeClock } from '../../src/util/clock.js';
import { GC_CHECK_PERIOD_MS, QUARANTINE_MS } from '../../src/controllers/podgc.js';
import { waitFor } from '../helpers/nodeless.js';

let n: Nodeless;
let client: Client;
let home: string;
const clock = new FakeClock(Date.now());
/** Generous: CI runs this on a busy 2-core machine. */
const LONG = 120_000;

before(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-podgc-'));
  n = await startNodeless({ home, port: 0, controllerClock: clock, idleCompaction: false, terminatedPodGCThreshold: 1 });
  client = n.clusters.get('default')!.client;
});
after(async () => {
  await n?.close();
  fs.rmSync(home, { recursive: true, force: true });
});

test('the DaemonSet pod of a removed super node is force-deleted by the pod GC and its IP freed', async () => {
  const cluster = n.cloud.clusters.get('default');
  const subnet = n.cloud.subnets.get(cluster.subnetIds[1] ?? cluster.subnetIds[0]);
  const sn = await n.cloud.superNodes.create({ clusterName: 'default', subnetId: subnet.id });
  await waitFor('its node', () => client.tryGet(refs.nodes, undefined, sn.name), LONG);
  await client.create(refs.daemonsets, {
    apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', namespace: 'kube-system' },
    spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', image: 'busybox' }] } } },
  });
  const onIt = async () => (await client.list(refs.pods, { namespace: 'kube-system', fieldSelector: `spec.nodeName=${sn.name}` })).items[0];
  const pod = await waitFor('its DaemonSet pod running with an IP', async () => { const p = await onIt(); return p?.status?.podIP && p.status.phase === 'Running' ? p : undefined; }, LONG);
  const eniOf = () => n.cloud.findEniByPod({ cluster: 'default', namespace: 'kube-system', pod: pod.metadata.name!, uid: pod.metadata.uid });
  assert.equal(eniOf()?.primaryIp, pod.status.podIP, 'the pod holds an ENI of the subnet');
  const used = n.cloud.subnets.get(subnet.id).usedIpCount;

  // Removal is allowed with only DaemonSet pods left; its Node goes, its agent stops.
  await n.cloud.superNodes.delete(sn.id);
  await waitFor('node gone', async () => !(await client.tryGet(refs.nodes, undefined, sn.name)), LONG);
  // The DaemonSet controller deletes the pod of a node that no longer exists; nobody finishes it.
  await waitFor('terminating', async () => (await client.tryGet(refs.pods, 'kube-system', pod.metadata.name!))?.metadata.deletionTimestamp, LONG);
  assert.ok(eniOf(), 'still holding its address while Terminating');

  // The pod GC's next pass notes the missing node; one after the quarantine asks the API and deletes the pod.
  // Each look moves the controllers' clock one GC period on (a pass runs between looks, as its worker gets to it).
  const start = clock.now();
  await waitFor('pod gone', async () => {
    clock.step(GC_CHECK_PERIOD_MS);
    return !(await client.tryGet(refs.pods, 'kube-system', pod.metadata.name!));
  }, LONG);
  assert.ok(clock.now() - start > QUARANTINE_MS, 'not before the quarantine');
  await waitFor('ENI freed', () => !eniOf(), LONG);
  assert.equal(n.cloud.subnets.get(subnet.id).usedIpCount, used - 1, 'the subnet has the address back');
});

test('--terminated-pod-gc-threshold: past it, the oldest finished pods are deleted', async () => {
  const done = (name: string) => client.create(refs.pods, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', annotations: { 'nodeless.dev/simulate': 'exit=0 after=1s' } },
    spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] },
  });
  await done('done-1');
  await waitFor('done-1 Succeeded', async () => (await client.get(refs.pods, 'default', 'done-1')).status?.phase === 'Succeeded', LONG);
  await done('done-2');
  await waitFor('done-2 Succeeded', async () => (await client.get(refs.pods, 'default', 'done-2')).status?.phase === 'Succeeded', LONG);
  // Two finished pods, one kept: the older goes at the next pass.
  await waitFor('done-1 deleted', async () => {
    clock.step(GC_CHECK_PERIOD_MS);
    return !(await client.tryGet(refs.pods, 'default', 'done-1'));
  }, LONG);
  assert.equal((await client.get(refs.pods, 'default', 'done-2')).status.phase, 'Succeeded');
});
