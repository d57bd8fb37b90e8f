// Protocol-level behaviour: auth, health, discovery, bad input, conflicts,
// watch resume and 410, and @kubernetes/client-node as a second real client.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import * as k8s from '@kubernetes/client-node';
import { raw, startCli, waitFor, type Running } from '../helpers/nodeless.js';
import { onJsonLines } from '../../src/client/jsonlines.js';

let n: Running;
before(async () => { n = await startCli(undefined, []); });
after(async () => { await n?.stop(); });

const cm = (name: string, ns = 'default', extra: object = {}) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data: { a: '1' }, ...extra });

describe('protocol', () => {
  it('refuses requests without a valid token with a 401 Status, but serves health and version', async () => {
    const r = await raw(n, 'GET', '/api/v1/namespaces', undefined, {}, false);
    assert.equal(r.status, 401);
    assert.equal(JSON.parse(r.body).kind, 'Status');
    const wrong = await raw(n, 'GET', '/api/v1/namespaces', undefined, { authorization: 'Bearer nope' }, false);
    assert.equal(wrong.status, 401);
    for (const p of ['/healthz', '/livez', '/readyz']) {
      const h = await raw(n, 'GET', p, undefined, {}, false);
      assert.equal(h.status, 200);
      assert.equal(h.body, 'ok');
    }
    assert.equal(JSON.parse((await raw(n, 'GET', '/version', undefined, {}, false)).body).gitVersion.startsWith('v1.32'), true);
  });

  it('answers aggregated-discovery Accept headers with APIGroupDiscoveryList, plain JSON with legacy discovery, with eviction and scale kinds', async () => {
    const accept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
    const apis = await raw(n, 'GET', '/apis', undefined, { accept });
    assert.equal(apis.status, 200);
    assert.equal(apis.headers['content-type'], 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    assert.equal(apis.headers.vary, 'Accept');
    const doc = JSON.parse(apis.body);
    assert.deepEqual([doc.kind, doc.apiVersion], ['APIGroupDiscoveryList', 'apidiscovery.k8s.io/v2']);
    const autoscaling = doc.items.find((g: any) => g.metadata.name === 'autoscaling');
    assert.deepEqual(autoscaling.versions.map((v: any) => v.version), ['v2', 'v1'], 'the preferred version first');
    const deploy = doc.items.find((g: any) => g.metadata.name === 'apps').versions[0].resources.find((r: any) => r.resource === 'deployments');
    assert.deepEqual(deploy.subresources.find((s: any) => s.subresource === 'scale').responseKind, { group: 'autoscaling', version: 'v1', kind: 'Scale' });
    assert.equal(deploy.scope, 'Namespaced');
    // The ETag answers a revalidation with 304; v2beta1 when asked first; /api holds the core group alone.
    const again = await raw(n, 'GET', '/apis', undefined, { accept, 'if-none-match': apis.headers.etag });
    assert.equal(again.status, 304);
    const beta = await raw(n, 'GET', '/api', undefined, { accept: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList' });
    const core = JSON.parse(beta.body);
    assert.equal(core.apiVersion, 'apidiscovery.k8s.io/v2beta1');
    assert.deepEqual(core.items.map((g: any) => g.versions.map((v: any) => v.version)), [['v1']]);
    assert.equal(JSON.parse((await raw(n, 'GET', '/apis', undefined, { accept: 'application/json' })).body).kind, 'APIGroupList');
    const v1 = JSON.parse((await raw(n, 'GET', '/api/v1')).body);
    const ev = v1.resources.find((r: any) => r.name === 'pods/eviction');
    assert.deepEqual([ev.group, ev.version, ev.kind], ['policy', 'v1', 'Eviction']);
    const apps = JSON.parse((await raw(n, 'GET', '/apis/apps/v1')).body);
    const sc = apps.resources.find((r: any) => r.name === 'deployments/scale');
    assert.deepEqual([sc.group, sc.version, sc.kind], ['autoscaling', 'v1', 'Scale']);
    assert.deepEqual(apps.resources.find((r: any) => r.name === 'deployments').shortNames, ['deploy']);
  });

  it('gives each kind of bad input its Status code and a message naming the problem', async () => {
    const post = (body: string | Buffer, headers: Record<string, string> = {}, p = '/api/v1/namespaces/default/configmaps') => raw(n, 'POST', p, body, headers);
    const cases: [string, Promise<{ status: number; body: string }>, number, RegExp][] = [
      ['malformed JSON', post('{"apiVersion": "v1", '), 400, /could not be decoded as JSON/],
      ['malformed YAML', post('a: [b', { 'content-type': 'application/yaml' }), 400, /YAML/],
      ['too large', post(Buffer.alloc(3 * 1024 * 1024 + 10, 0x20)), 413, /too large/],
      ['unknown kind', raw(n, 'GET', '/api/v1/namespaces/default/widgets'), 404, /could not find the requested resource/],
      ['unknown version', raw(n, 'GET', '/apis/apps/v9/deployments'), 404, /could not find/],
      ['wrong namespace in body', post(cm('x', 'kube-system')), 400, /namespace of the provided object does not match/],
      ['invalid name', post(cm('Not_Valid')), 422, /metadata.name: Invalid value: "Not_Valid"/],
      ['invalid label', post(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'l', labels: { 'bad key!': 'v' } } })), 422, /metadata.labels/],
      ['wrong kind in body', post(JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } })), 400, /does not match the expected kind/],
      ['unsupported media type', post('x', { 'content-type': 'text/csv' }), 415, /unknown format/],
      ['wrong type', post(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 't' }, data: 'oops' })), 400, /^ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal string into Go struct field ConfigMap.data of type map\[string\]string$/],
      ['strict unknown field', post(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'u' }, bogus: 1 }), {}, '/api/v1/namespaces/default/configmaps?fieldValidation=Strict'), 400, /strict decoding error: unknown field "bogus"/],
      ['malformed status patch', raw(n, 'PATCH', '/api/v1/namespaces/default/pods/none/status', '{"status": ', { 'content-type': 'application/merge-patch+json' }), 400, /./],
      ['unknown dryRun on a subresource', raw(n, 'PATCH', '/apis/apps/v1/namespaces/default/deployments/none/status?dryRun=Maybe', '{}', { 'content-type': 'application/merge-patch+json' }), 422, /PatchOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: \[\]string\{"Maybe"\}: supported values: "All"/],
      ['missing namespace', post(cm('x', 'nope'), {}, '/api/v1/namespaces/nope/configmaps'), 404, /namespaces "nope" not found/],
    ];
    for (const [what, p, code, msg] of cases) {
      const r = await p;
      assert.equal(r.status, code, `${what}: ${r.body}`);
      const s = JSON.parse(r.body);
      assert.equal(s.kind, 'Status', what);
      assert.equal(s.code, code, what);
      assert.match(s.message, msg, what);
    }
    // And the server is still healthy.
    assert.equal((await raw(n, 'GET', '/api/v1/namespaces/default')).status, 200);
  });

  it('returns 409 for a stale resourceVersion and for a duplicate create', async () => {
    const created = JSON.parse((await raw(n, 'POST', '/api/v1/namespaces/default/configmaps', cm('occ'))).body);
    const rv = created.metadata.resourceVersion;
    const upd = { ...created, data: { a: '2' } };
    assert.equal((await raw(n, 'PUT', '/api/v1/namespaces/default/configmaps/occ', JSON.stringify(upd))).status, 200);
    const stale = await raw(n, 'PUT', '/api/v1/namespaces/default/configmaps/occ', JSON.stringify({ ...upd, data: { a: '3' }, metadata: { ...upd.metadata, resourceVersion: rv } }));
    assert.equal(stale.status, 409);
    assert.match(JSON.parse(stale.body).message, /the object has been modified/);
    const dup = await raw(n, 'POST', '/api/v1/namespaces/default/configmaps', cm('occ'));
    assert.equal(dup.status, 409);
    assert.equal(JSON.parse(dup.body).reason, 'AlreadyExists');
  });

  it('streams watch events from a resourceVersion, in order, and resumes', async () => {
    const start = JSON.parse((await raw(n, 'GET', '/api/v1/namespaces/default/configmaps')).body).metadata.resourceVersion;
    for (const x of ['w1', 'w2']) await raw(n, 'POST', '/api/v1/namespaces/default/configmaps', cm(x));
    await raw(n, 'DELETE', '/api/v1/namespaces/default/configmaps/w1');
    const events = await watchLines(`/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${start}`, 3);
    assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED w1', 'ADDED w2', 'DELETED w1']);
    // Resume after the first event: only what came later.
    const resumed = await watchLines(`/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${events[0].object.metadata.resourceVersion}`, 2);
    assert.deepEqual(resumed.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED w2', 'DELETED w1']);
  });

  it('works with @kubernetes/client-node: list, create, watch', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(n.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const nss = await core.listNamespace();
    assert.ok(nss.items.some((x) => x.metadata?.name === 'kube-system'));
    const seen: string[] = [];
    const watch = new k8s.Watch(kc);
    const req = await watch.watch('/api/v1/namespaces/default/configmaps', { resourceVersion: nss.metadata?.resourceVersion }, (type, obj) => seen.push(`${type} ${obj.metadata.name}`), () => undefined);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'from-client-node' }, data: { x: 'y' } } });
    await waitFor('client-node watch event', () => seen.includes('ADDED from-client-node'));
    req.abort();
    const got = await core.readNamespacedConfigMap({ name: 'from-client-node', namespace: 'default' });
    assert.equal(got.data?.x, 'y');
    await assert.rejects(core.readNamespacedConfigMap({ name: 'missing', namespace: 'default' }), (e: any) => e.code === 404);
  });
});

function watchLines(p: string, count: number): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const events: any[] = [];
    const req = https.request(new URL(p, n.url), { ca: n.ca, headers: { authorization: `Bearer ${n.token}` } }, (res) => {
      onJsonLines(res, (e) => {
        events.push(e);
        if (events.length >= count) {
          req.destroy();
          resolve(events);
        }
      });
    });
    req.on('error', (e) => (events.length >= count ? undefined : reject(e)));
    setTimeout(() => { req.destroy(); reject(new Error(`watch got ${events.length}/${count}: ${JSON.stringify(events)}`)); }, 10_000);
    req.end();
  });
}
