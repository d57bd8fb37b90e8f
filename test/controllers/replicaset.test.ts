// ReplicaSet: adoption, release, deletion preference, ReplicaFailure, and a large scale-up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/api/types.js';
import { refs } from '../../src/client/types.js';
import { startHarness, waitFor, waitForProgress, type Harness } from './harness.js';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

function rs(name: string, replicas: number, labels: Record<string, string> = { app: name }): KubeObject {
  return {
    apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name, namespace: 'default' },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } } },
  };
}
const getRS = (name: string) => h.client.get(refs.replicasets, 'default', name);

test('adopts a matching orphan pod and creates only the rest', async () => {
  await h.client.create(refs.pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stray', namespace: 'default', labels: { app: 'adopt' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  const owner = await h.client.create(refs.replicasets, rs('adopt', 2));
  await waitFor('2 ready', async () => (await getRS('adopt')).status?.readyReplicas === 2);
  const pods = await h.pods('default', 'app=adopt');
  assert.equal(pods.length, 2);
  const stray = pods.find((p) => p.metadata.name === 'stray')!;
  assert.equal(stray.metadata.ownerReferences?.[0].uid, owner.metadata.uid);
  assert.equal(stray.metadata.ownerReferences?.[0].controller, true);
});

test('releases a pod whose labels stop matching and replaces it', async () => {
  await h.client.patch(refs.pods, 'default', 'stray', 'merge', { metadata: { labels: { app: 'gone' } } });
  await waitFor('released', async () => !(await h.client.get(refs.pods, 'default', 'stray')).metadata.ownerReferences?.length);
  await waitFor('replacement', async () => (await h.pods('default', 'app=adopt')).length === 2);
});

test('scale-down removes not-ready pods first', async () => {
  h.fate = (p) => (p.metadata.labels?.slow ? 'notready' : 'ready');
  await h.client.create(refs.replicasets, rs('pick', 3));
  await waitFor('3 ready', async () => (await getRS('pick')).status?.readyReplicas === 3);
  const ready = (await h.pods('default', 'app=pick')).map((p) => p.metadata.name).sort();
  // One more pod that will never be ready, adopted by the RS (which then has 4 for 3 wanted).
  await h.client.create(refs.pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'laggard', namespace: 'default', labels: { app: 'pick', slow: '1' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  // Deleted means a deletionTimestamp: the fake kubelet removes the object a moment later.
  const live = await waitFor('back to 3', async () => {
    const pods = (await h.pods('default', 'app=pick')).filter((p) => !p.metadata.deletionTimestamp);
    return pods.length === 3 && pods;
  });
  assert.deepEqual(live.map((p) => p.metadata.name).sort(), ready, 'the not-ready pod was the one deleted');
  h.fate = () => 'ready';
});

test('a refused pod creation shows as ReplicaFailure and clears when it succeeds again', async () => {
  // A real ResourceQuota (admission and the resource quota controller) that admits no pod in its namespace, then two.
  await h.client.create(refs.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'limited' } });
  const quotas = { apiVersion: 'v1', resource: 'resourcequotas' };
  await h.client.create(quotas, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'pods', namespace: 'limited' }, spec: { hard: { pods: '0' } } });
  await waitFor('the quota counted', async () => (await h.client.get(quotas, 'limited', 'pods')).status?.used?.pods === '0');
  const r = { ...rs('quota', 2), metadata: { name: 'quota', namespace: 'limited' } };
  await h.client.create(refs.replicasets, r);
  const get = () => h.client.get(refs.replicasets, 'limited', 'quota');
  const cond = await waitFor('ReplicaFailure', async () => (await get()).status?.conditions?.find((c: any) => c.type === 'ReplicaFailure'));
  assert.equal(cond.status, 'True');
  assert.equal(cond.reason, 'FailedCreate');
  assert.match(cond.message, /exceeded quota: pods, requested: pods=1, used: pods=0, limited: pods=0/);
  const ev = await waitFor('FailedCreate event', async () => (await h.client.list(refs.events, { namespace: 'limited' })).items.find((e) => e.reason === 'FailedCreate' && e.involvedObject.name === 'quota'));
  assert.match(ev.message, /^Error creating: pods "quota-.*" is forbidden: exceeded quota/);
  await h.client.patch(quotas, 'limited', 'pods', 'merge', { spec: { hard: { pods: '2' } } });
  await waitFor('recovered', async () => {
    const s = (await get()).status;
    return s?.readyReplicas === 2 && !s.conditions?.some((c: any) => c.type === 'ReplicaFailure');
  }, 120_000);
});

test('scales to 2000 pods and back to 0', async () => {
  await h.client.create(refs.replicasets, rs('big', 2000));
  // What the pods and the ReplicaSet look like when progress stops: the failure then says where it stuck.
  const explain = async () => {
    const pods = await h.pods('default', 'app=big');
    const unbound = pods.filter((p) => !p.spec?.nodeName).length;
    const ready = pods.filter((p) => p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')).length;
    const terminating = pods.filter((p) => p.metadata.deletionTimestamp).length;
    const st = (await getRS('big')).status;
    return `${pods.length} pods (${unbound} unbound, ${ready} ready, ${terminating} terminating), ReplicaSet status ${JSON.stringify(st)}`;
  };
  await waitForProgress('2000 pods', async () => (await getRS('big')).status?.replicas ?? 0, 2000, { explain });
  assert.equal((await h.pods('default', 'app=big')).length, 2000);
  await h.client.patch(refs.replicasets, 'default', 'big', 'merge', { spec: { replicas: 0 } });
  await waitForProgress('0 pods', async () => (await h.pods('default', 'app=big')).length, 0, { explain });
});
