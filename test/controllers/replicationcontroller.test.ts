// ReplicationControllers through the real kubectl: the ReplicaSet controller's
// logic run over RCs (src/controllers/replicaset.ts, REPLICATION_CONTROLLERS),
// so the replicas, status, events, adoption and scale of an RC are a
// ReplicaSet's; deleting the RC takes its pods (garbage collector).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { refs } from '../../src/client/types.js';
import { kc as kcOf, kubectl as kubectlOf, startHarness, waitFor, type Harness } from './harness.js';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

/** Generous: CI runs this on a busy 2-core machine. */
const LONG = 90_000;
const kc = (args: string[], input?: string) => kcOf(h, args, input);
const kubectl = (args: string[], input?: string) => kubectlOf(h, args, input);
const pods = async () => (await h.pods('default', 'app=web')).filter((p) => !p.metadata.deletionTimestamp);
const rc = () => h.client.get(refs.replicationcontrollers, 'default', 'web');

const manifest = (replicas: number) => JSON.stringify({
  apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'web', namespace: 'default' },
  // No selector: the API defaults it to the template's labels.
  spec: { replicas, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx' }] } } },
});

test('an RC keeps its replicas: pods from the template owned by it, status counted, events as a ReplicaSet\'s', async () => {
  assert.equal((await kc(['apply', '-f', '-'], manifest(3))).trim(), 'replicationcontroller/web created');
  const o = await waitFor('3 ready', async () => { const o = await rc(); return o.status?.readyReplicas === 3 ? o : undefined; }, LONG);
  assert.deepEqual(o.spec.selector, { app: 'web' });
  assert.equal(o.status.replicas, 3);
  assert.equal(o.status.availableReplicas, 3);
  assert.equal(o.status.fullyLabeledReplicas, 3);
  assert.equal(o.status.observedGeneration, o.metadata.generation);
  const ps = await pods();
  assert.equal(ps.length, 3);
  for (const p of ps) {
    assert.match(p.metadata.name!, /^web-[a-z0-9]{5}$/);
    assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'ReplicationController', name: 'web', uid: o.metadata.uid, controller: true, blockOwnerDeletion: true }]);
  }
  const row = (await kc(['get', 'rc', 'web', '--no-headers'])).trim().split(/\s+/);
  assert.deepEqual(row.slice(0, 4), ['web', '3', '3', '3'], 'NAME DESIRED CURRENT READY');
  // From: the recorder kube-controller-manager gives its ReplicationManager.
  assert.match(await kc(['describe', 'rc', 'web']), /SuccessfulCreate\s+\S+\s+replication-controller\s+Created pod: web-[a-z0-9]{5}/);
});

test('kubectl scale rc: down deletes pods (SuccessfulDelete), and an orphan pod that matches is adopted', async () => {
  assert.equal((await kc(['scale', 'rc', 'web', '--replicas=1'])).trim(), 'replicationcontroller/web scaled');
  await waitFor('1 pod', async () => (await pods()).length === 1 && (await rc()).status?.replicas === 1, LONG);
  assert.match(await kc(['describe', 'rc', 'web']), /SuccessfulDelete\s+\S+\s+replication-controller\s+Deleted pod: web-[a-z0-9]{5}/);
  // A bare pod with the RC's labels: the RC adopts it, then has one too many and deletes one.
  await kc(['run', 'stray', '--image=nginx', '--labels=app=web']);
  await waitFor('adopted or deleted', async () => {
    const stray = await h.client.tryGet(refs.pods, 'default', 'stray');
    return !stray || stray.metadata.deletionTimestamp || stray.metadata.ownerReferences?.[0]?.kind === 'ReplicationController';
  }, LONG);
  await waitFor('back to 1', async () => (await pods()).length === 1 && (await rc()).status?.replicas === 1, LONG);
});

test('kubectl delete rc takes its pods; a bad RC is refused as kube-apiserver refuses it', async () => {
  await kc(['delete', 'rc', 'web']);
  await waitFor('pods gone', async () => (await h.pods('default', 'app=web')).length === 0, LONG);
  const bad = await kubectl(['apply', '-f', '-'], JSON.stringify({
    apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'bad', namespace: 'default' },
    spec: { replicas: 1, selector: { app: 'x' }, template: { metadata: { labels: { app: 'y' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
  }));
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /The ReplicationController "bad" is invalid: spec.template.metadata.labels: Invalid value: map\[string\]string\{"app":"y"\}: selector does not match template labels$/m);
});
