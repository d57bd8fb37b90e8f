// The HTTP implementation of the one client interface: CRUD, watch, errors,
// and the workload controllers driving an API server over the network.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HttpClient } from '../../src/client/http.js';
import type { KubeObject } from '../../src/api/types.js';
import { ApiError, refs } from '../../src/client/types.js';
import { Informer } from '../../src/client/cache/informer.js';
import { startWorkloadControllers } from '../../src/controllers/workloads.js';
import { startNodeless, type Nodeless } from '../../src/nodeless.js';
import { tempHome, waitFor } from '../helpers/nodeless.js';

let n: Nodeless;
let c: HttpClient;
before(async () => {
  n = await startNodeless({ home: tempHome(), port: 0, apiOnly: true });
  c = new HttpClient({ server: n.url, token: n.token, ca: n.caCert });
});
after(async () => { await n?.close(); });

describe('HttpClient', () => {
  it('creates, reads, patches, lists and deletes', async () => {
    const cm = await c.create<KubeObject>(refs.configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'h', namespace: 'default' }, data: { a: '1' } });
    assert.ok(cm.metadata.uid);
    await c.patch(refs.configmaps, 'default', 'h', 'merge', { data: { b: '2' } });
    assert.deepEqual((await c.get(refs.configmaps, 'default', 'h')).data, { a: '1', b: '2' });
    assert.ok((await c.list(refs.configmaps, { namespace: 'default' })).items.some((x) => x.metadata.name === 'h'));
    assert.ok((await c.list(refs.namespaces)).items.length >= 4, 'cluster-scoped list');
    await c.delete(refs.configmaps, 'default', 'h');
    assert.equal(await c.tryGet(refs.configmaps, 'default', 'h'), undefined);
    await assert.rejects(c.create(refs.configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name', namespace: 'default' } }), (e: any) => e instanceof ApiError && e.code === 422);
  });

  it('reads and writes the scale subresource, over HTTP as in process', async () => {
    const d = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'sc', namespace: 'default' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'sc' } }, template: { metadata: { labels: { app: 'sc' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } } };
    await c.create(refs.deployments, d);
    const inproc = n.clusters.get('default')!.client;
    for (const [client, replicas] of [[c, 3], [inproc, 4]] as const) {
      const scale = await client.getScale(refs.deployments, 'default', 'sc');
      assert.deepEqual([scale.kind, scale.apiVersion, scale.status.selector], ['Scale', 'autoscaling/v1', 'app=sc']);
      const out = await client.updateScale(refs.deployments, 'default', 'sc', { ...scale, spec: { replicas } });
      assert.equal(out.spec.replicas, replicas);
      assert.equal((await c.get(refs.deployments, 'default', 'sc')).spec.replicas, replicas);
      // A stale resourceVersion is a conflict; a missing object the ScaleREST's NotFound.
      await assert.rejects(client.updateScale(refs.deployments, 'default', 'sc', scale), (e: any) => e instanceof ApiError && e.code === 409);
      await assert.rejects(client.getScale(refs.deployments, 'default', 'nope'), (e: any) => e instanceof ApiError && e.code === 404 && e.message === 'deployments/scale.apps "nope" not found');
      await assert.rejects(client.getScale(refs.configmaps, 'default', 'x'), (e: any) => e instanceof ApiError && e.code === 404);
    }
    await c.delete(refs.deployments, 'default', 'sc');
  });

  it('feeds an informer from a watch', async () => {
    const inf = new Informer(c, refs.configmaps, { namespace: 'default' }).start();
    await inf.hasSynced();
    await c.create(refs.configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'seen', namespace: 'default' } });
    await waitFor('informer add', () => inf.get('default', 'seen'));
    await c.delete(refs.configmaps, 'default', 'seen');
    await waitFor('informer delete', () => !inf.get('default', 'seen'));
    inf.stop();
  });

  it('lets the workload controllers run a Deployment over HTTP', async () => {
    await n.cloud.setQuota('pods-per-cluster', 1000, { cluster: 'default' });
    const ctl = startWorkloadControllers(c);
    try {
      await c.create(refs.deployments, {
        apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'remote', namespace: 'default' },
        spec: { replicas: 2, selector: { matchLabels: { app: 'remote' } }, template: { metadata: { labels: { app: 'remote' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
      });
      await waitFor('ReplicaSet and 2 pods', async () => (await c.list(refs.pods, { namespace: 'default', labelSelector: 'app=remote' })).items.length === 2);
      const rs = (await c.list(refs.replicasets, { namespace: 'default' })).items;
      assert.equal(rs.length, 1);
      assert.equal(rs[0].metadata.ownerReferences?.[0].name, 'remote');
    } finally {
      ctl.stop();
    }
  });
});
