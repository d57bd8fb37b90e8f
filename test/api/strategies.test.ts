// Per-kind rules of the generic store (src/apiserver/strategies) and the
// admission chain (src/apiserver/admission), through the real HTTPS server
// and kubectl, with kube-apiserver's codes and words (docs/apiserver.md).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, kubectl, raw, startCli, type Running } from '../helpers/nodeless.js';

let n: Running;
// The API server alone: no namespace controller empties a Terminating namespace, no scheduler places a pod.
before(async () => { n = await startCli(undefined, ['--api-only']); });
after(async () => { await n?.stop(); });

const json = (o: unknown) => JSON.stringify(o);
const NS = '/api/v1/namespaces';
const body = async (p: Promise<{ status: number; body: string }>, code: number) => {
  const r = await p;
  assert.equal(r.status, code, r.body.slice(0, 400));
  return JSON.parse(r.body);
};
const pod = (name: string, spec: object = {}) => json({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'nginx:1.25' }], ...spec } });
const svc = (name: string, spec: object = {}) => json({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80 }], ...spec } });

describe('strategies', () => {
  it('validates names by kind: Namespaces and Services are DNS labels, ConfigMaps DNS subdomains', async () => {
    const s = await body(raw(n, 'POST', `${NS}/default/services`, svc('a.b')), 422);
    assert.equal(s.message, 'Service "a.b" is invalid: metadata.name: Invalid value: "a.b": must not contain dots');
    const ns = await body(raw(n, 'POST', NS, json({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a.b' } })), 422);
    assert.match(ns.message, /^Namespace "a\.b" is invalid: metadata\.name/);
    await body(raw(n, 'POST', `${NS}/default/configmaps`, json({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a.b' } })), 201);
  });

  it('prepares what a create may not set: a pod starts Pending with its QoS class, a Deployment with the empty status Go prints, a Namespace keeps its phase', async () => {
    const p = await body(raw(n, 'POST', `${NS}/default/pods`, json({ ...JSON.parse(pod('qos')), status: { phase: 'Running', podIP: '1.2.3.4' } })), 201);
    assert.deepEqual(p.status, { phase: 'Pending', qosClass: 'BestEffort' });
    const d = await body(raw(n, 'POST', '/apis/apps/v1/namespaces/default/deployments', json({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'nostatus' }, status: { replicas: 9 },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] } } },
    })), 201);
    assert.deepEqual(d.status, {}, 'what the user sent is dropped; an empty DeploymentStatus is {}');
    assert.equal(d.metadata.generation, 1);
    const ns = await body(raw(n, 'POST', NS, json({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'phased' } })), 201);
    assert.equal(ns.status.phase, 'Active');
  });

  it('keeps status on spec writes and spec on status writes, and bumps generation on spec changes only', async () => {
    const base = '/apis/apps/v1/namespaces/default/deployments/nostatus';
    const d = await body(raw(n, 'GET', base), 200);
    const status = await body(raw(n, 'PUT', `${base}/status`, json({ ...d, spec: { ...d.spec, replicas: 7 }, status: { replicas: 3 } })), 200);
    assert.equal(status.spec.replicas, d.spec.replicas, 'a status write keeps the spec');
    assert.equal(status.status.replicas, 3);
    assert.equal(status.metadata.generation, 1);
    const spec = await body(raw(n, 'PUT', base, json({ ...status, spec: { ...status.spec, replicas: 2 }, status: { replicas: 99 } })), 200);
    assert.equal(spec.spec.replicas, 2);
    assert.equal(spec.status.replicas, 3, 'a spec write keeps the status');
    assert.equal(spec.metadata.generation, 2);
  });

  it('creates on PUT only where Kubernetes does (Events, Endpoints, Leases), with a 201', async () => {
    const ev = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'put-made' }, involvedObject: { kind: 'Pod', name: 'qos', namespace: 'default' }, reason: 'Test', message: 'made by PUT' };
    const made = await body(raw(n, 'PUT', `${NS}/default/events/put-made`, json(ev)), 201);
    assert.equal(made.metadata.name, 'put-made');
    assert.ok(made.metadata.uid);
    await body(raw(n, 'PUT', `${NS}/default/events/put-made`, json({ ...made, message: 'again' })), 200);
    const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'put-lease' }, spec: { holderIdentity: 'me' } };
    await body(raw(n, 'PUT', '/apis/coordination.k8s.io/v1/namespaces/default/leases/put-lease', json(lease)), 201);
    const missing = await body(raw(n, 'PUT', `${NS}/default/configmaps/put-missing`, json({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'put-missing' } })), 404);
    assert.equal(missing.message, 'configmaps "put-missing" not found');
  });

  it('refuses a PUT of a custom resource that names no resourceVersion, as kube-apiserver does; kubectl replace names it', async () => {
    await body(raw(n, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', json({
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'gadgets.s3.nodeless.test' },
      spec: {
        group: 's3.nodeless.test', scope: 'Namespaced', names: { plural: 'gadgets', kind: 'Gadget' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } } }],
      },
    })), 201);
    const path = '/apis/s3.nodeless.test/v1/namespaces/default/gadgets';
    const g = { apiVersion: 's3.nodeless.test/v1', kind: 'Gadget', metadata: { name: 'g' }, spec: { size: 1 } };
    await body(raw(n, 'POST', path, json(g)), 201);
    const refused = await body(raw(n, 'PUT', `${path}/g`, json({ ...g, spec: { size: 2 } })), 422);
    assert.equal(refused.message, 'gadgets.s3.nodeless.test "g" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update');
    assert.deepEqual(refused.details.causes, [{ reason: 'FieldValueInvalid', message: 'Invalid value: 0x0: must be specified for an update', field: 'metadata.resourceVersion' }]);
    kc(n, ['replace', '-f', '-'], json({ ...g, spec: { size: 3 } }));
    assert.equal(JSON.parse(kc(n, ['get', 'gadgets', 'g', '-o', 'json'])).spec.size, 3);
    // A ConfigMap may be replaced unconditionally.
    await body(raw(n, 'POST', `${NS}/default/configmaps`, json({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'uncond' }, data: { a: '1' } })), 201);
    await body(raw(n, 'PUT', `${NS}/default/configmaps/uncond`, json({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'uncond' }, data: { a: '2' } })), 200);
  });

  it('deletes a pod no node runs at once, and gives a placed one its grace period, which a shorter one cuts', async () => {
    await body(raw(n, 'POST', `${NS}/default/pods`, pod('unplaced')), 201);
    const gone = await body(raw(n, 'DELETE', `${NS}/default/pods/unplaced`), 200);
    assert.equal(gone.metadata.deletionTimestamp, undefined);
    await body(raw(n, 'GET', `${NS}/default/pods/unplaced`), 404);
    await body(raw(n, 'POST', `${NS}/default/pods`, pod('placed', { nodeName: 'somewhere', terminationGracePeriodSeconds: 45 })), 201);
    const marked = await body(raw(n, 'DELETE', `${NS}/default/pods/placed`), 200);
    assert.ok(marked.metadata.deletionTimestamp);
    assert.equal(marked.metadata.deletionGracePeriodSeconds, 45);
    const shorter = await body(raw(n, 'DELETE', `${NS}/default/pods/placed?gracePeriodSeconds=5`), 200);
    assert.equal(shorter.metadata.deletionGracePeriodSeconds, 5);
    await body(raw(n, 'DELETE', `${NS}/default/pods/placed?gracePeriodSeconds=0`), 200);
    await body(raw(n, 'GET', `${NS}/default/pods/placed`), 404);
  });

  it('gives back a Service address whose create failed', async () => {
    await body(raw(n, 'POST', `${NS}/default/services`, svc('twice')), 201);
    // The second create of the same name is refused after its address was taken: the address must be free again.
    const dup = await body(raw(n, 'POST', `${NS}/default/services`, svc('twice', { clusterIP: '10.96.200.200' })), 409);
    assert.equal(dup.reason, 'AlreadyExists');
    const other = await body(raw(n, 'POST', `${NS}/default/services`, svc('other', { clusterIP: '10.96.200.200' })), 201);
    assert.deepEqual(other.spec.clusterIPs, ['10.96.200.200']);
    const taken = await body(raw(n, 'POST', `${NS}/default/services`, svc('third', { clusterIP: '10.96.200.200' })), 422);
    assert.match(taken.message, /provided IP is already allocated/);
  });
});

describe('admission chain', () => {
  it('NamespaceLifecycle: no creates in a missing namespace', async () => {
    const r = await body(raw(n, 'POST', `${NS}/nowhere/configmaps`, json({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } })), 404);
    assert.equal(r.message, 'namespaces "nowhere" not found');
    assert.deepEqual(r.details, { name: 'nowhere', kind: 'namespaces' }, 'a core kind: Go leaves the empty group out');
  });

  it('NamespaceLifecycle: a deleted namespace is Terminating and takes no new content, with the NamespaceTerminating cause', async () => {
    await body(raw(n, 'POST', NS, json({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ending' } })), 201);
    const marked = await body(raw(n, 'DELETE', `${NS}/ending`), 200);
    assert.equal(marked.status.phase, 'Terminating');
    assert.ok(marked.metadata.deletionTimestamp);
    const r = await body(raw(n, 'POST', `${NS}/ending/pods`, json({ apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'late-' }, spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] } })), 403);
    assert.equal(r.message, 'pods "late-" is forbidden: unable to create new content in namespace ending because it is being terminated');
    assert.deepEqual(r.details.causes, [{ reason: 'NamespaceTerminating', message: 'namespace ending is being terminated', field: 'metadata.namespace' }]);
    const k = kubectl(n, ['create', 'deployment', 'late', '--image=nginx:1.25', '-n', 'ending']);
    assert.notEqual(k.code, 0);
    assert.match(k.stderr, /deployments\.apps "late" is forbidden: unable to create new content in namespace ending because it is being terminated/);
  });

  it('NamespaceLifecycle: the immortal namespaces cannot be deleted, not even in a dry run', async () => {
    for (const ns of ['default', 'kube-system', 'kube-public']) {
      for (const q of ['', '?dryRun=All']) {
        const r = await body(raw(n, 'DELETE', `${NS}/${ns}${q}`), 403);
        assert.equal(r.message, `namespaces "${ns}" is forbidden: this namespace may not be deleted`);
      }
    }
    const k = kubectl(n, ['delete', 'namespace', 'kube-public']);
    assert.notEqual(k.code, 0);
    assert.match(k.stderr, /namespaces "kube-public" is forbidden: this namespace may not be deleted/);
  });
});
