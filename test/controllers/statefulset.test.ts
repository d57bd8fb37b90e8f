// StatefulSet: ordered creation, ordinal identity, rolling update with partition, scale down.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/api/types.js';
import { refs } from '../../src/client/types.js';
import { Informer } from '../../src/client/cache/informer.js';
import { startHarness, waitFor, type Harness } from './harness.js';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

function sts(name: string, replicas: number, extra: any = {}): KubeObject {
  return {
    apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name, namespace: 'default' },
    spec: {
      replicas, serviceName: name, selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'redis:7.0' }] } },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      ...extra,
    },
  };
}
const getSts = (name: string) => h.client.get(refs.statefulsets, 'default', name);

test('creates pods in order, each after the previous is ready', async () => {
  const inf = new Informer(h.client, refs.pods, { namespace: 'default', labelSelector: 'app=db' });
  const created: string[] = [];
  let violated = '';
  inf.on({
    add: (p) => {
      created.push(p.metadata.name!);
      const ord = Number(p.metadata.name!.split('-').pop());
      for (let i = 0; i < ord; i++) {
        const prev = inf.get('default', `db-${i}`);
        const ready = prev?.status?.phase === 'Running' && prev.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');
        if (!ready) violated = `db-${ord} created before db-${i} was ready`;
      }
    },
  }).start();
  await inf.hasSynced();
  await h.client.create(refs.statefulsets, sts('db', 3));
  const s = await waitFor('3 ready', async () => { const s = await getSts('db'); return s.status?.readyReplicas === 3 ? s : undefined; });
  inf.stop();
  assert.equal(violated, '');
  assert.deepEqual(created, ['db-0', 'db-1', 'db-2']);
  const pod = await h.client.get(refs.pods, 'default', 'db-1');
  assert.equal(pod.metadata.labels!['statefulset.kubernetes.io/pod-name'], 'db-1');
  assert.equal(pod.metadata.labels!['apps.kubernetes.io/pod-index'], '1');
  assert.equal(pod.metadata.labels!['controller-revision-hash'], s.status.updateRevision);
  assert.equal(pod.spec.hostname, 'db-1');
  assert.equal(pod.spec.subdomain, 'db');
  assert.deepEqual(pod.spec.volumes.find((v: any) => v.name === 'data'), { name: 'data', persistentVolumeClaim: { claimName: 'data-db-1' } });
  assert.equal(s.status.currentRevision, s.status.updateRevision);
  assert.equal(s.status.replicas, 3);
  assert.equal(s.status.availableReplicas, 3);
  assert.equal(s.status.observedGeneration, s.metadata.generation);
  const revs = (await h.client.list(refs.controllerrevisions, { namespace: 'default' })).items.filter((r) => r.metadata.ownerReferences?.[0]?.uid === s.metadata.uid);
  assert.equal(revs.length, 1);
  assert.equal(revs[0].metadata.name, s.status.updateRevision);
  assert.equal(revs[0].revision, 1);
});

test('rolling update with a partition updates only ordinals at or above it, highest first', async () => {
  await h.client.patch(refs.statefulsets, 'default', 'db', 'merge', { spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } } });
  await h.client.patch(refs.statefulsets, 'default', 'db', 'strategic', { spec: { template: { spec: { containers: [{ name: 'c', image: 'redis:7.2' }] } } } });
  const s = await waitFor('partitioned update', async () => {
    const s = await getSts('db');
    return s.status?.updatedReplicas === 2 && s.status?.readyReplicas === 3 ? s : undefined;
  });
  const img = async (n: string) => (await h.client.get(refs.pods, 'default', n)).spec.containers[0].image;
  assert.equal(await img('db-0'), 'redis:7.0');
  assert.equal(await img('db-1'), 'redis:7.2');
  assert.equal(await img('db-2'), 'redis:7.2');
  assert.notEqual(s.status.currentRevision, s.status.updateRevision);
  await h.client.patch(refs.statefulsets, 'default', 'db', 'merge', { spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } });
  const done = await waitFor('full update', async () => {
    const s = await getSts('db');
    return s.status?.updatedReplicas === 3 && s.status?.readyReplicas === 3 && s.status.currentRevision === s.status.updateRevision ? s : undefined;
  });
  assert.equal(await img('db-0'), 'redis:7.2');
  assert.equal(done.status.currentReplicas, 3);
  const revs = (await h.client.list(refs.controllerrevisions, { namespace: 'default' })).items.filter((r) => r.metadata.ownerReferences?.[0]?.uid === s.metadata.uid);
  assert.deepEqual(revs.map((r) => r.revision).sort(), [1, 2]);
});

test('scales down from the highest ordinal', async () => {
  const inf = new Informer(h.client, refs.pods, { namespace: 'default', labelSelector: 'app=db' });
  const deleted: string[] = [];
  inf.on({ update: (o, p) => { if (!o.metadata.deletionTimestamp && p.metadata.deletionTimestamp) deleted.push(p.metadata.name!); }, delete: (p) => { if (!deleted.includes(p.metadata.name!)) deleted.push(p.metadata.name!); } }).start();
  await inf.hasSynced();
  await h.client.patch(refs.statefulsets, 'default', 'db', 'merge', { spec: { replicas: 1 } });
  await waitFor('1 pod', async () => (await h.pods('default', 'app=db')).length === 1);
  inf.stop();
  assert.deepEqual(deleted, ['db-2', 'db-1']);
  assert.equal((await h.pods('default', 'app=db'))[0].metadata.name, 'db-0');
});

test('Parallel creates all pods without waiting', async () => {
  h.fate = (p) => (p.metadata.labels?.app === 'par' ? 'notready' : 'ready');
  await h.client.create(refs.statefulsets, sts('par', 3, { podManagementPolicy: 'Parallel' }));
  await waitFor('3 pods', async () => (await h.pods('default', 'app=par')).length === 3);
  h.fate = () => 'ready';
});
