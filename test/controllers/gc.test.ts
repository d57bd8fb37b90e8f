// Garbage collection (background, foreground, orphan) and namespace deletion.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/api/types.js';
import { refs } from '../../src/client/types.js';
import { startHarness, waitFor, deployment, type Harness } from './harness.js';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

const rsCount = async (app: string) => (await h.client.list(refs.replicasets, { namespace: 'default', labelSelector: `app=${app}` })).items.length;
const podCount = async (app: string, ns = 'default') => (await h.pods(ns, `app=${app}`)).length;

async function deployed(name: string, replicas = 2, ns = 'default'): Promise<KubeObject> {
  const d = deployment(name, replicas);
  d.metadata.namespace = ns;
  await h.client.create(refs.deployments, d);
  return waitFor(`${name} available`, async () => {
    const d = await h.client.get(refs.deployments, ns, name);
    return d.status?.availableReplicas === replicas ? d : undefined;
  });
}

test('deleting a deployment (background) removes its ReplicaSets and pods', async () => {
  await deployed('bg');
  await h.client.delete(refs.deployments, 'default', 'bg');
  await waitFor('rs gone', async () => (await rsCount('bg')) === 0);
  await waitFor('pods gone', async () => (await podCount('bg')) === 0);
});

test('foreground deletion removes dependents before the owner', async () => {
  await deployed('fg');
  await h.client.delete(refs.deployments, 'default', 'fg', { propagationPolicy: 'Foreground' });
  const d = await h.client.tryGet(refs.deployments, 'default', 'fg');
  assert.ok(d?.metadata.deletionTimestamp, 'owner still there, being deleted');
  assert.ok(d.metadata.finalizers?.includes('foregroundDeletion'));
  await waitFor('owner gone', async () => !(await h.client.tryGet(refs.deployments, 'default', 'fg')));
  assert.equal(await rsCount('fg'), 0, 'its ReplicaSets went first');
  assert.equal(await podCount('fg'), 0, 'and their pods');
});

test('orphan deletion keeps the dependents and drops their owner reference', async () => {
  const d = await deployed('or');
  await h.client.delete(refs.deployments, 'default', 'or', { propagationPolicy: 'Orphan' });
  await waitFor('owner gone', async () => !(await h.client.tryGet(refs.deployments, 'default', 'or')));
  const rss = (await h.client.list(refs.replicasets, { namespace: 'default', labelSelector: 'app=or' })).items;
  assert.equal(rss.length, 1);
  assert.equal(rss[0].metadata.ownerReferences, undefined);
  const pods = (await h.pods('default', 'app=or')).map((p) => p.metadata.uid).sort();
  // Barriers, not a pause: the collector has handled a later change (a dangling ConfigMap
  // made now is collected) and the ReplicaSet's controller has synced a later generation.
  await h.client.create(refs.configmaps, {
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'or-marker', namespace: 'default', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'or', uid: d.metadata.uid! }] },
  });
  await waitFor('the marker collected', async () => !(await h.client.tryGet(refs.configmaps, 'default', 'or-marker')));
  const rs = await h.client.patch(refs.replicasets, 'default', rss[0].metadata.name!, 'merge', { spec: { minReadySeconds: 1 } });
  await waitFor('the ReplicaSet synced since', async () => (await h.client.get(refs.replicasets, 'default', rs.metadata.name!)).status?.observedGeneration >= rs.metadata.generation!);
  const now = await h.pods('default', 'app=or');
  assert.deepEqual(now.map((p) => p.metadata.uid).sort(), pods, 'pods stay');
  assert.ok(now.every((p) => !p.metadata.deletionTimestamp), 'none is being deleted');
  await h.client.delete(refs.replicasets, 'default', rss[0].metadata.name!);
  await waitFor('pods of the orphaned RS collected', async () => (await podCount('or')) === 0);
});

test('an object whose owner does not exist is collected', async () => {
  await h.client.create(refs.configmaps, {
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dangling', namespace: 'default', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'nope', uid: '00000000-0000-0000-0000-000000000000' }] },
  });
  await waitFor('collected', async () => !(await h.client.tryGet(refs.configmaps, 'default', 'dangling')));
});

test('deleting a namespace removes its content and then the namespace', async () => {
  await h.client.create(refs.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } });
  const sa = await waitFor('default service account', async () => h.client.tryGet(refs.serviceaccounts, 'doomed', 'default'));
  assert.ok(sa);
  await deployed('inns', 2, 'doomed');
  await h.client.create(refs.configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'doomed' }, data: { a: 'b' } });
  await h.client.delete(refs.namespaces, undefined, 'doomed');
  const ns = await h.client.get(refs.namespaces, undefined, 'doomed');
  assert.equal(ns.status.phase, 'Terminating');
  await waitFor('namespace gone', async () => !(await h.client.tryGet(refs.namespaces, undefined, 'doomed')), 20_000);
  // The content went with it (lists of a namespace that is gone are simply empty).
  assert.equal((await h.client.list(refs.pods, { namespace: 'doomed' })).items.length, 0);
  assert.equal((await h.client.list(refs.configmaps, { namespace: 'doomed' })).items.length, 0);
  assert.equal((await h.client.list(refs.deployments, { namespace: 'doomed' })).items.length, 0);
});
