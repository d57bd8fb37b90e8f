// What a DELETE answers (docs/apiserver.md, "What DELETE answers"): kube-apiserver's generic
// store answers a Status naming the deleted object, unless the kind's storage sets
// ReturnDeletedObject (pods, services, service accounts, namespaces, the volume kinds); an
// object left terminating is answered as it now is. Through raw HTTPS, kubectl and the
// official Python client, which deserializes a DELETE's body as the type the API names.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { kubectl, raw, startCli, type Running } from '../helpers/nodeless.js';
import { findPython, PY_DIR } from '../helpers/python.js';

let n: Running;
before(async () => { n = await startCli(undefined, ['--api-only']); });
after(async () => { await n?.stop(); });

const json = (o: unknown) => JSON.stringify(o);
const CMS = '/api/v1/namespaces/default/configmaps';
const call = async (method: string, p: string, b?: unknown, headers: Record<string, string> = {}) => {
  const r = await raw(n, method, p, b === undefined ? undefined : json(b), headers);
  return { status: r.status, text: r.body, body: r.body ? JSON.parse(r.body) : undefined };
};
const ok = async (method: string, p: string, b?: unknown, code = 200, headers: Record<string, string> = {}) => {
  const r = await call(method, p, b, headers);
  assert.equal(r.status, code, r.text.slice(0, 400));
  return r;
};
const cm = (name: string, metadata: object = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...metadata }, data: { a: '1' } });

describe('what DELETE answers', () => {
  it('a Status naming the object for a kind whose storage does not return it, byte for byte as Go encodes it', async () => {
    const uid = (await ok('POST', CMS, cm('plain'), 201)).body.metadata.uid;
    const r = await ok('DELETE', `${CMS}/plain`);
    assert.equal(r.text, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{"name":"plain","kind":"configmaps","uid":"${uid}"}}\n`);
    await ok('GET', `${CMS}/plain`, undefined, 404);
    // A group's kind names its group; a dry run answers what the delete would.
    const dep = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' },
      spec: { selector: { matchLabels: { a: 'd' } }, template: { metadata: { labels: { a: 'd' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    };
    const DEPS = '/apis/apps/v1/namespaces/default/deployments';
    const duid = (await ok('POST', DEPS, dep, 201)).body.metadata.uid;
    const dry = (await ok('DELETE', `${DEPS}/d?dryRun=All`)).body;
    assert.deepEqual(dry.details, { name: 'd', group: 'apps', kind: 'deployments', uid: duid });
    await ok('GET', `${DEPS}/d`);
    assert.deepEqual((await ok('DELETE', `${DEPS}/d`)).body.details, { name: 'd', group: 'apps', kind: 'deployments', uid: duid });
  });

  it('the object for pods, services, service accounts, persistent volume claims and storage classes', async () => {
    const objects: [string, object][] = [
      ['/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } }],
      ['/api/v1/namespaces/default/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } }],
      ['/api/v1/namespaces/default/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa' } }],
      ['/api/v1/namespaces/default/persistentvolumeclaims', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'none' } }],
      ['/apis/storage.k8s.io/v1/storageclasses', { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'sc' }, provisioner: 'example.com/none' }],
    ];
    for (const [coll, o] of objects) {
      const made = (await ok('POST', coll, o, 201)).body;
      const gone = (await ok('DELETE', `${coll}/${made.metadata.name}`)).body;
      assert.deepEqual([gone.kind, gone.metadata.name, gone.metadata.uid], [made.kind, made.metadata.name, made.metadata.uid], coll);
    }
  });

  it('an object left terminating is answered as it now is, whatever its kind; the update that lets it go answers the object', async () => {
    await ok('POST', CMS, cm('held', { finalizers: ['example.com/hold'] }), 201);
    const marked = (await ok('DELETE', `${CMS}/held`)).body;
    assert.deepEqual([marked.kind, typeof marked.metadata.deletionTimestamp, marked.metadata.finalizers], ['ConfigMap', 'string', ['example.com/hold']]);
    const released = (await ok('PATCH', `${CMS}/held`, { metadata: { finalizers: null } }, 200, { 'content-type': 'application/merge-patch+json' })).body;
    assert.deepEqual([released.kind, released.metadata.name], ['ConfigMap', 'held']);
    await ok('GET', `${CMS}/held`, undefined, 404);
    // A collection delete answers the list of what it deleted, as listed.
    await ok('POST', CMS, cm('swept', { labels: { sweep: 'yes' } }), 201);
    const list = (await ok('DELETE', `${CMS}?labelSelector=sweep%3Dyes`)).body;
    assert.deepEqual([list.kind, list.items.map((i: any) => `${i.kind ?? 'ConfigMap'}/${i.metadata.name}`)], ['ConfigMapList', ['ConfigMap/swept']]);
  });

  it('custom resources answer a Status, as apiextensions-apiserver\'s store does', async () => {
    await ok('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.del.nodeless.test' },
      spec: {
        group: 'del.nodeless.test', scope: 'Namespaced', names: { plural: 'widgets', kind: 'Widget' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
    }, 201);
    const W = '/apis/del.nodeless.test/v1/namespaces/default/widgets';
    const uid = (await ok('POST', W, { apiVersion: 'del.nodeless.test/v1', kind: 'Widget', metadata: { name: 'w' } }, 201)).body.metadata.uid;
    assert.deepEqual((await ok('DELETE', `${W}/w`)).body.details, { name: 'w', group: 'del.nodeless.test', kind: 'widgets', uid });
    // kubectl prints the same line for either answer.
    await ok('POST', W, { apiVersion: 'del.nodeless.test/v1', kind: 'Widget', metadata: { name: 'w2' } }, 201);
    const del = kubectl(n, ['delete', 'widgets', 'w2']);
    assert.deepEqual([del.code, del.stdout], [0, 'widget.del.nodeless.test "w2" deleted\n'], del.stderr);
  });

  it('the OpenAPI documents say so: a ConfigMap\'s DELETE answers a Status, a Pod\'s a Pod (v2 and v3)', async () => {
    const v2 = (await ok('GET', '/openapi/v2')).body;
    const ref2 = (p: string) => v2.paths[p].delete.responses['200'].schema.$ref;
    assert.equal(ref2('/api/v1/namespaces/{namespace}/configmaps/{name}'), '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Status');
    assert.equal(ref2('/api/v1/namespaces/{namespace}/pods/{name}'), '#/definitions/io.k8s.api.core.v1.Pod');
    assert.equal(ref2('/apis/apps/v1/namespaces/{namespace}/deployments/{name}'), '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Status');
    const v3 = (await ok('GET', '/openapi/v3/api/v1')).body;
    const ref3 = (p: string) => v3.paths[p].delete.responses['202'].content['application/json'].schema.$ref;
    assert.equal(ref3('/api/v1/namespaces/{namespace}/configmaps/{name}'), '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Status');
    assert.equal(ref3('/api/v1/persistentvolumes/{name}'), '#/components/schemas/io.k8s.api.core.v1.PersistentVolume');
  });

  it('kubectl delete (waiting on the uid it reads from either answer) and the Python client read them', async () => {
    kubectl(n, ['create', 'configmap', 'k1']);
    kubectl(n, ['create', 'serviceaccount', 'k2']);
    const del = kubectl(n, ['delete', 'configmap/k1', 'serviceaccount/k2', '--wait']);
    assert.deepEqual([del.code, del.stdout], [0, 'configmap "k1" deleted\nserviceaccount "k2" deleted\n'], del.stderr);

    const py = spawnSync(findPython(), [path.join(PY_DIR, 'delete_answers.py'), n.kubeconfig, 'default'], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(py.status, 0, py.stdout + py.stderr);
    const lines = py.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines, [
      { what: 'configmap', class: 'V1Status', status: 'Success', name: 'py-cm', kind: 'configmaps', group: null, uid_matches: true },
      { what: 'deployment', class: 'V1Status', status: 'Success', name: 'py-dep', kind: 'deployments', group: 'apps', uid_matches: true },
      { what: 'serviceaccount', class: 'V1ServiceAccount', name: 'py-sa', uid_matches: true },
    ]);
  });
});
