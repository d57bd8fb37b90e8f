// Deployment → ReplicaSet → pods against a real in-process nodeless.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/api/types.js';
import { refs } from '../../src/client/types.js';
import { Informer } from '../../src/client/cache/informer.js';
import { startHarness, waitFor, deployment, type Harness } from './harness.js';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

const getD = (name: string) => h.client.get(refs.deployments, 'default', name);
const rsOf = async (name: string) => (await h.client.list(refs.replicasets, { namespace: 'default', labelSelector: `app=${name}` })).items;
const complete = (d: KubeObject) =>
  d.status?.observedGeneration >= d.metadata.generation! && d.status?.updatedReplicas === d.spec.replicas &&
  d.status?.availableReplicas === d.spec.replicas && d.status?.replicas === d.spec.replicas;

async function rolledOut(name: string): Promise<KubeObject> {
  return waitFor(`${name} rolled out`, async () => { const d = await getD(name); return complete(d) ? d : undefined; });
}

async function setImage(name: string, image: string) {
  await h.client.patch(refs.deployments, 'default', name, 'strategic', { spec: { template: { spec: { containers: [{ name: 'c', image }] } } } });
}

test('a deployment makes a ReplicaSet that makes ready pods', async () => {
  await h.client.create(refs.deployments, deployment('web', 3));
  const d = await rolledOut('web');
  const rss = await rsOf('web');
  assert.equal(rss.length, 1);
  const rs = rss[0];
  const hash = rs.metadata.labels!['pod-template-hash'];
  assert.ok(hash);
  assert.equal(rs.metadata.name, `web-${hash}`);
  assert.equal(rs.metadata.annotations!['deployment.kubernetes.io/revision'], '1');
  assert.equal(rs.metadata.annotations!['deployment.kubernetes.io/desired-replicas'], '3');
  assert.equal(rs.metadata.annotations!['deployment.kubernetes.io/max-replicas'], '4');
  assert.equal(d.metadata.annotations!['deployment.kubernetes.io/revision'], '1');
  assert.equal(rs.metadata.ownerReferences![0].uid, d.metadata.uid);
  assert.equal(rs.metadata.ownerReferences![0].controller, true);
  const pods = await h.pods('default', 'app=web');
  assert.equal(pods.length, 3);
  for (const p of pods) {
    assert.match(p.metadata.name!, new RegExp(`^web-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
    assert.equal(p.metadata.labels!['pod-template-hash'], hash);
    assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }]);
  }
  const avail = d.status.conditions.find((c: any) => c.type === 'Available');
  assert.equal(avail.status, 'True');
  assert.equal(avail.reason, 'MinimumReplicasAvailable');
  const prog = await waitFor('NewReplicaSetAvailable', async () => {
    const c = (await getD('web')).status.conditions.find((x: any) => x.type === 'Progressing');
    return c?.reason === 'NewReplicaSetAvailable' ? c : undefined;
  });
  assert.equal(prog.message, `ReplicaSet "${rs.metadata.name}" has successfully progressed.`);
  const rsStatus = (await h.client.get(refs.replicasets, 'default', rs.metadata.name!)).status;
  assert.equal(rsStatus.readyReplicas, 3);
  assert.equal(rsStatus.availableReplicas, 3);
  assert.equal(rsStatus.fullyLabeledReplicas, 3);
  const events = await waitFor('scaling event', async () => {
    const ev = (await h.client.list(refs.events, { namespace: 'default' })).items.filter((e) => e.involvedObject?.name === 'web' && e.reason === 'ScalingReplicaSet');
    return ev.length ? ev : undefined;
  });
  assert.equal(events[0].message, `Scaled up replica set ${rs.metadata.name} to 3 from 0`);
});

test('scaling up and down changes the pod count', async () => {
  await h.client.patch(refs.deployments, 'default', 'web', 'merge', { spec: { replicas: 5 } });
  await rolledOut('web');
  assert.equal((await h.pods('default', 'app=web')).length, 5);
  await h.client.patch(refs.deployments, 'default', 'web', 'merge', { spec: { replicas: 2 } });
  await waitFor('2 pods', async () => (await h.pods('default', 'app=web')).length === 2);
  const d = await rolledOut('web');
  assert.equal(d.status.replicas, 2);
  const rss = await rsOf('web');
  assert.equal(rss.length, 1);
  assert.equal(rss[0].metadata.annotations!['deployment.kubernetes.io/desired-replicas'], '2');
});

test('rolling update with maxUnavailable=0 never drops below the desired ready count', async () => {
  await h.client.create(refs.deployments, deployment('ru', 4, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } }));
  await rolledOut('ru');
  const inf = new Informer(h.client, refs.pods, { namespace: 'default', labelSelector: 'app=ru' });
  const rsInf = new Informer(h.client, refs.replicasets, { namespace: 'default', labelSelector: 'app=ru' });
  let minReady = Infinity;
  let maxReplicas = 0;
  let synced = false;
  const measure = () => {
    if (!synced) return; // the initial list arrives one pod at a time
    const pods = inf.list().filter((p) => !p.metadata.deletionTimestamp);
    const ready = pods.filter((p) => (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True'));
    minReady = Math.min(minReady, ready.length);
    // maxSurge bounds what the deployment controller asks for: the ReplicaSets' replicas together
    // (NewRSNewReplicas sums spec.replicas). Pods may briefly number one more, as in kube: the old
    // ReplicaSet's pod is deleted by its own sync, which may run after the new one's create.
    maxReplicas = Math.max(maxReplicas, rsInf.list().reduce((n, rs) => n + (rs.spec?.replicas ?? 0), 0));
  };
  inf.on({ add: measure, update: measure, delete: measure }).start();
  rsInf.on({ add: measure, update: measure, delete: measure }).start();
  await Promise.all([inf.hasSynced(), rsInf.hasSynced()]);
  synced = true;
  measure();
  await setImage('ru', 'nginx:1.26');
  const d = await waitFor('rollout to 1.26', async () => {
    const d = await getD('ru');
    const pods = await h.pods('default', 'app=ru');
    return complete(d) && pods.length === 4 && pods.every((p) => p.spec.containers[0].image === 'nginx:1.26') ? d : undefined;
  });
  inf.stop();
  rsInf.stop();
  assert.equal(minReady, 4, 'ready pods never below 4');
  assert.ok(maxReplicas <= 5, `at most replicas+maxSurge replicas asked for, saw ${maxReplicas}`);
  assert.equal(d.metadata.annotations!['deployment.kubernetes.io/revision'], '2');
  const rss = await rsOf('ru');
  assert.equal(rss.length, 2);
  const old = rss.find((r) => r.metadata.annotations!['deployment.kubernetes.io/revision'] === '1')!;
  assert.equal(old.spec.replicas, 0);
});

test('reverting the template reuses the old ReplicaSet with a new revision', async () => {
  const before = await rsOf('ru');
  const oldRS = before.find((r) => r.metadata.annotations!['deployment.kubernetes.io/revision'] === '1')!;
  // What `kubectl rollout undo` sends: the old RS's template (hash label removed, with the
  // `creationTimestamp: null` Go serialises) and its change-cause annotation.
  const template = structuredClone(oldRS.spec.template);
  delete template.metadata.labels['pod-template-hash'];
  template.metadata.creationTimestamp = null;
  await h.client.patch(refs.deployments, 'default', 'ru', 'json', [
    { op: 'replace', path: '/spec/template', value: template },
    { op: 'add', path: '/metadata/annotations/kubernetes.io~1change-cause', value: 'undo' },
  ]);
  await waitFor('rollback done', async () => {
    const d = await getD('ru');
    return complete(d) && d.metadata.annotations!['deployment.kubernetes.io/revision'] === '3' ? d : undefined;
  });
  const rss = await rsOf('ru');
  assert.equal(rss.length, 2, 'no new ReplicaSet');
  const back = rss.find((r) => r.metadata.uid === oldRS.metadata.uid)!;
  assert.equal(back.metadata.annotations!['deployment.kubernetes.io/revision'], '3');
  assert.equal(back.metadata.annotations!['deployment.kubernetes.io/revision-history'], '1');
  assert.equal(back.metadata.annotations!['kubernetes.io/change-cause'], 'undo');
  assert.equal(back.spec.replicas, 4);
});

test('Recreate never runs old and new pods together', async () => {
  await h.client.create(refs.deployments, deployment('rc', 3, { strategy: { type: 'Recreate' } }));
  await rolledOut('rc');
  const inf = new Informer(h.client, refs.pods, { namespace: 'default', labelSelector: 'app=rc' });
  let mixed = false;
  const measure = () => {
    const images = new Set(inf.list().map((p) => p.spec.containers[0].image));
    if (images.size > 1) mixed = true;
  };
  inf.on({ add: measure, update: measure, delete: measure }).start();
  await inf.hasSynced();
  await setImage('rc', 'nginx:1.26');
  await waitFor('recreated', async () => {
    const d = await getD('rc');
    const pods = await h.pods('default', 'app=rc');
    return complete(d) && pods.length === 3 && pods.every((p) => p.spec.containers[0].image === 'nginx:1.26');
  });
  inf.stop();
  assert.equal(mixed, false);
});

test('paused deployments do not roll out; resuming does', async () => {
  await h.client.create(refs.deployments, deployment('pz', 2));
  await rolledOut('pz');
  await h.client.patch(refs.deployments, 'default', 'pz', 'merge', { spec: { paused: true } });
  await waitFor('paused condition', async () => (await getD('pz')).status.conditions.some((c: any) => c.reason === 'DeploymentPaused'));
  await setImage('pz', 'nginx:1.26');
  // The controller's sync of the new template writes observedGeneration; a rollout would have
  // made the new ReplicaSet in that same sync, before the status.
  const gen = (await getD('pz')).metadata.generation!;
  await waitFor('the paused template change observed', async () => (await getD('pz')).status?.observedGeneration >= gen);
  assert.equal((await rsOf('pz')).length, 1, 'no new RS while paused');
  await h.client.patch(refs.deployments, 'default', 'pz', 'merge', { spec: { paused: false } });
  await waitFor('resumed rollout', async () => {
    const pods = await h.pods('default', 'app=pz');
    return complete(await getD('pz')) && pods.length === 2 && pods.every((p) => p.spec.containers[0].image === 'nginx:1.26');
  });
});

test('a rollout that cannot progress reports ProgressDeadlineExceeded', async () => {
  h.fate = (p) => (p.metadata.labels?.app === 'stuck' ? 'notready' : 'ready');
  const d = deployment('stuck', 1);
  d.spec.progressDeadlineSeconds = 1;
  await h.client.create(refs.deployments, d);
  const c = await waitFor('deadline exceeded', async () => {
    const c = (await getD('stuck')).status?.conditions?.find((x: any) => x.type === 'Progressing');
    return c?.reason === 'ProgressDeadlineExceeded' ? c : undefined;
  }, 10_000);
  assert.equal(c.status, 'False');
  assert.match(c.message, /has timed out progressing/);
  const avail = (await getD('stuck')).status.conditions.find((x: any) => x.type === 'Available');
  assert.equal(avail.status, 'False');
  h.fate = () => 'ready';
});

test('revisionHistoryLimit removes the oldest idle ReplicaSets', async () => {
  const d = deployment('hist', 1);
  d.spec.revisionHistoryLimit = 1;
  await h.client.create(refs.deployments, d);
  await rolledOut('hist');
  for (const v of ['1.26', '1.27', '1.28']) {
    await setImage('hist', `nginx:${v}`);
    await waitFor(`rolled to ${v}`, async () => {
      const pods = await h.pods('default', 'app=hist');
      return complete(await getD('hist')) && pods.length === 1 && pods[0].spec.containers[0].image === `nginx:${v}`;
    });
  }
  const rss = await waitFor('history trimmed', async () => { const r = await rsOf('hist'); return r.length === 2 ? r : undefined; });
  const revs = rss.map((r) => r.metadata.annotations!['deployment.kubernetes.io/revision']).sort();
  assert.deepEqual(revs, ['3', '4']);
});

test('minReadySeconds delays availability', async () => {
  // An hour: the status that counts the pods ready cannot count them available, however slow the machine.
  // progressDeadlineSeconds must exceed minReadySeconds (kube-apiserver's validation).
  const slow = deployment('slowready', 2, { minReadySeconds: 3600 });
  slow.spec.progressDeadlineSeconds = 7200;
  await h.client.create(refs.deployments, slow);
  const early = await waitFor('pods ready', async () => { const d = await getD('slowready'); return d.status?.readyReplicas === 2 ? d : undefined; });
  assert.equal(early.status.availableReplicas ?? 0, 0, 'ready but not yet available');
  // A second: they have been ready that long by now, or will be, and the controller looks again then.
  await h.client.patch(refs.deployments, 'default', 'slowready', 'merge', { spec: { minReadySeconds: 1 } });
  await rolledOut('slowready');
});
