// RBAC as kube-apiserver enforces it, through the real kubectl (`--as`, `auth can-i`,
// `auth whoami`), raw HTTPS with Impersonate-* headers and the official Python client:
// every verb allowed and refused, subresources, resourceNames, nonResourceURLs, the
// 403 wording table, aggregation, escalation prevention, the bootstrap roles, and the
// cloud API for non-administrators (docs/auth.md).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { kc, kubectl, raw, startCli, waitFor, type Running } from '../helpers/nodeless.js';

const PY_DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'python');

let n: Running;
before(async () => {
  n = await startCli(undefined, ['--api-only']);
  kc(n, ['create', 'namespace', 'team']);
  kc(n, ['create', 'configmap', 'cm1', '-n', 'team', '--from-literal=a=b']);
  kc(n, ['create', 'configmap', 'cm2', '-n', 'team', '--from-literal=a=b']);
});
after(async () => { await n?.stop(); });

/** A request as `user` (impersonated by the administrator, as `kubectl --as` does). */
const as = (user: string, method: string, p: string, body?: unknown, groups: string[] = [], headers: Record<string, string> = {}) =>
  raw(n, method, p, body === undefined ? undefined : JSON.stringify(body), { 'impersonate-user': user, ...(groups.length ? { 'impersonate-group': groups.join(',') } : {}), ...headers });
const status = async (p: Promise<{ status: number; body: string }>) => {
  const r = await p;
  return { code: r.status, body: r.body ? JSON.parse(r.body) : undefined };
};
const canI = (args: string[]) => kubectl(n, ['auth', 'can-i', ...args]).stdout.trim();
const apply = (yaml: string) => kc(n, ['apply', '-f', '-'], yaml);
const CM = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'new' }, data: { a: 'b' } };

describe('the bootstrap policy', () => {
  it('has kube-apiserver v1.32\'s ClusterRoles and bindings, labelled and annotated for reconciliation', () => {
    const names = kc(n, ['get', 'clusterroles', '-o', 'name']).trim().split('\n').map((s) => s.replace('clusterrole.rbac.authorization.k8s.io/', ''));
    const kube = [
      'admin', 'cluster-admin', 'edit', 'system:aggregate-to-admin', 'system:aggregate-to-edit', 'system:aggregate-to-view', 'system:auth-delegator', 'system:basic-user',
      'system:certificates.k8s.io:certificatesigningrequests:nodeclient', 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient',
      'system:certificates.k8s.io:kube-apiserver-client-approver', 'system:certificates.k8s.io:kube-apiserver-client-kubelet-approver',
      'system:certificates.k8s.io:kubelet-serving-approver', 'system:certificates.k8s.io:legacy-unknown-approver',
      'system:controller:attachdetach-controller', 'system:controller:certificate-controller', 'system:controller:clusterrole-aggregation-controller',
      'system:controller:cronjob-controller', 'system:controller:daemon-set-controller', 'system:controller:deployment-controller', 'system:controller:disruption-controller',
      'system:controller:endpoint-controller', 'system:controller:endpointslice-controller', 'system:controller:endpointslicemirroring-controller',
      'system:controller:ephemeral-volume-controller', 'system:controller:expand-controller', 'system:controller:generic-garbage-collector',
      'system:controller:horizontal-pod-autoscaler', 'system:controller:job-controller', 'system:controller:legacy-service-account-token-cleaner',
      'system:controller:namespace-controller', 'system:controller:node-controller', 'system:controller:persistent-volume-binder',
      'system:controller:pod-garbage-collector', 'system:controller:pv-protection-controller', 'system:controller:pvc-protection-controller',
      'system:controller:replicaset-controller', 'system:controller:replication-controller', 'system:controller:resourcequota-controller',
      'system:controller:root-ca-cert-publisher', 'system:controller:route-controller', 'system:controller:service-account-controller',
      'system:controller:service-controller', 'system:controller:statefulset-controller', 'system:controller:ttl-after-finished-controller',
      'system:controller:ttl-controller', 'system:controller:validatingadmissionpolicy-status-controller', 'system:discovery', 'system:heapster',
      'system:kube-aggregator', 'system:kube-controller-manager', 'system:kube-dns', 'system:kube-scheduler', 'system:kubelet-api-admin', 'system:monitoring',
      'system:node', 'system:node-bootstrapper', 'system:node-problem-detector', 'system:node-proxier', 'system:persistent-volume-provisioner',
      'system:public-info-viewer', 'system:service-account-issuer-discovery', 'system:volume-scheduler', 'view',
    ];
    assert.deepEqual(names.filter((x) => kube.includes(x)), kube);
    const admin = JSON.parse(kc(n, ['get', 'clusterrole', 'cluster-admin', '-o', 'json']));
    assert.equal(admin.metadata.labels['kubernetes.io/bootstrapping'], 'rbac-defaults');
    assert.equal(admin.metadata.annotations['rbac.authorization.kubernetes.io/autoupdate'], 'true');
    assert.deepEqual(admin.rules, [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, { nonResourceURLs: ['*'], verbs: ['*'] }]);
    const bindings = JSON.parse(kc(n, ['get', 'clusterrolebindings', '-o', 'json'])).items;
    const subjects = (name: string) => bindings.find((b: any) => b.metadata.name === name)?.subjects?.map((s: any) => `${s.kind}:${s.name}`);
    assert.deepEqual(subjects('cluster-admin'), ['Group:system:masters']);
    assert.deepEqual(subjects('system:public-info-viewer'), ['Group:system:authenticated', 'Group:system:unauthenticated']);
    assert.deepEqual(subjects('system:basic-user'), ['Group:system:authenticated']);
    assert.deepEqual(subjects('system:kube-scheduler'), ['User:system:kube-scheduler']);
    assert.deepEqual(subjects('system:controller:deployment-controller'), ['ServiceAccount:deployment-controller']);
    assert.equal(subjects('system:node'), undefined, 'system:node is bound to nobody: the Node authorizer answers for nodes');
    // The aggregated roles are filled by the aggregation controller from the aggregate-to-* roles.
    const view = JSON.parse(kc(n, ['get', 'clusterrole', 'view', '-o', 'json']));
    assert.deepEqual(view.aggregationRule, { clusterRoleSelectors: [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }] });
    assert.ok(view.rules.some((r: any) => r.resources.includes('pods/log')));
    const ns = kc(n, ['get', 'roles', '-n', 'kube-system', '-o', 'name']);
    assert.match(ns, /role.rbac.authorization.k8s.io\/extension-apiserver-authentication-reader/);
  });

  it('puts back what a bootstrap role lost at the next start, unless it is annotated autoupdate=false', async () => {
    kc(n, ['patch', 'clusterrole', 'system:basic-user', '--type=json', '-p', '[{"op":"remove","path":"/rules/1"}]']);
    kc(n, ['annotate', 'clusterrole', 'system:heapster', 'rbac.authorization.kubernetes.io/autoupdate=false', '--overwrite']);
    kc(n, ['patch', 'clusterrole', 'system:heapster', '--type=json', '-p', '[{"op":"remove","path":"/rules/1"}]']);
    await n.stop();
    n = await startCli(n.home, ['--api-only']);
    const basic = JSON.parse(kc(n, ['get', 'clusterrole', 'system:basic-user', '-o', 'json']));
    assert.ok(basic.rules.some((r: any) => r.resources?.includes('selfsubjectreviews')));
    assert.equal(JSON.parse(kc(n, ['get', 'clusterrole', 'system:heapster', '-o', 'json'])).rules.length, 1);
  });
});

describe('authorization of each request', () => {
  before(() => {
    apply(`
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: cm-getter, namespace: team}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get]}
- {apiGroups: [""], resources: [pods/log], verbs: [get]}
- {apiGroups: [apps], resources: [deployments/scale], verbs: [get, update, patch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: getter, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: cm-getter}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: getter}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: named, namespace: team}
rules: [{apiGroups: [""], resources: [configmaps], resourceNames: [cm1], verbs: [get, list, watch, update, patch, delete]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: named, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: named}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: named-readers}]
`);
    kc(n, ['create', 'deployment', 'web', '-n', 'team', '--image=nginx', '--replicas=1']);
  });

  it('allows each verb its rule grants and refuses the others with kube-apiserver\'s message', async () => {
    const P = '/api/v1/namespaces/team/configmaps';
    const cases: [string, string, unknown, string, number][] = [
      ['GET', `${P}/cm1`, undefined, 'get', 200],
      ['GET', P, undefined, 'list', 403],
      ['GET', `${P}?watch=1`, undefined, 'watch', 403],
      ['POST', P, CM, 'create', 403],
      ['PUT', `${P}/cm1`, { ...CM, metadata: { name: 'cm1' } }, 'update', 403],
      ['PATCH', `${P}/cm1`, {}, 'patch', 403],
      ['DELETE', `${P}/cm1`, undefined, 'delete', 403],
      ['DELETE', P, undefined, 'deletecollection', 403],
    ];
    for (const [method, p, body, verb, code] of cases) {
      const r = await raw(n, method, p, body === undefined ? undefined : JSON.stringify(body), { 'impersonate-user': 'getter', ...(method === 'PATCH' ? { 'content-type': 'application/merge-patch+json' } : {}) });
      assert.equal(r.status, code, `${verb}: ${r.body}`);
      if (code !== 403) continue;
      const s = JSON.parse(r.body);
      const named = ['update', 'patch', 'delete'].includes(verb);
      assert.equal(s.message, `configmaps${named ? ' "cm1"' : ''} is forbidden: User "getter" cannot ${verb} resource "configmaps" in API group "" in the namespace "team"`);
      assert.deepEqual([s.reason, s.code, s.details], ['Forbidden', 403, { ...(named ? { name: 'cm1' } : {}), kind: 'configmaps' }]);
    }
    // The same user may do it all once bound to `edit` (an aggregated role) in the namespace.
    kc(n, ['create', 'rolebinding', 'getter-edit', '-n', 'team', '--clusterrole=edit', '--user=getter']);
    for (const [method, p, body] of cases) {
      // (a watch that is allowed streams on: can-i says it instead)
      if (method === 'DELETE' || p.includes('watch')) continue;
      const r = await raw(n, method, p, body === undefined ? undefined : JSON.stringify(body), { 'impersonate-user': 'getter', ...(method === 'PATCH' ? { 'content-type': 'application/merge-patch+json' } : {}) });
      assert.notEqual(r.status, 403, `${method} ${p}: ${r.body}`);
    }
    assert.equal(canI(['watch', 'configmaps', '-n', 'team', '--as', 'getter']), 'yes');
    assert.equal(kubectl(n, ['delete', 'configmap', 'new', '-n', 'team', '--as', 'getter']).code, 0);
    kc(n, ['delete', 'rolebinding', 'getter-edit', '-n', 'team']);
    assert.equal(canI(['create', 'configmaps', '-n', 'team', '--as', 'getter']), 'no');
  });

  it('words the 403 as kube-apiserver does at the cluster scope, for groups, names and subresources', async () => {
    const table: [string, string, string][] = [
      ['GET', '/api/v1/nodes', 'nodes is forbidden: User "getter" cannot list resource "nodes" in API group "" at the cluster scope'],
      ['GET', '/api/v1/nodes/n1', 'nodes "n1" is forbidden: User "getter" cannot get resource "nodes" in API group "" at the cluster scope'],
      ['GET', '/apis/apps/v1/namespaces/team/deployments', 'deployments.apps is forbidden: User "getter" cannot list resource "deployments" in API group "apps" in the namespace "team"'],
      ['GET', '/api/v1/namespaces/team/pods/p/exec?command=ls', 'pods "p" is forbidden: User "getter" cannot get resource "pods/exec" in API group "" in the namespace "team"'],
      ['POST', '/api/v1/namespaces/team/pods/p/exec?command=ls', 'pods "p" is forbidden: User "getter" cannot create resource "pods/exec" in API group "" in the namespace "team"'],
      ['GET', '/api/v1/watch/namespaces/team/pods', 'pods is forbidden: User "getter" cannot watch resource "pods" in API group "" in the namespace "team"'],
      ['GET', '/api/v1/namespaces/team/pods/p/proxy/x/y', 'pods "p" is forbidden: User "getter" cannot get resource "pods/proxy" in API group "" in the namespace "team"'],
      ['GET', '/api/v1/namespaces/team', 'namespaces "team" is forbidden: User "getter" cannot get resource "namespaces" in API group "" in the namespace "team"'],
      ['PUT', '/api/v1/namespaces/team/finalize', 'namespaces "team" is forbidden: User "getter" cannot update resource "namespaces/finalize" in API group "" in the namespace "team"'],
      ['GET', '/metrics', 'forbidden: User "getter" cannot get path "/metrics"'],
      ['GET', '/', 'forbidden: User "getter" cannot get path "/"'],
      ['POST', '/api', 'forbidden: User "getter" cannot post path "/api"'],
      ['GET', '/foo/<x>', 'forbidden: User "getter" cannot get path "/foo/&lt;x&gt;"'],
    ];
    for (const [method, p, message] of table) {
      const s = await status(as('getter', method, p));
      assert.equal(s.code, 403, `${method} ${p}: ${JSON.stringify(s.body)}`);
      assert.equal(s.body.message, message);
    }
    // What discovery needs is everyone's (system:discovery, system:basic-user).
    for (const p of ['/api', '/api/v1', '/apis', '/apis/apps/v1', '/version', '/openapi/v2']) assert.equal((await as('getter', 'GET', p)).status, 200, p);
  });

  it('subresources: pods/log, deployments/scale, and */scale rules', async () => {
    assert.equal(canI(['get', 'pods', '--subresource=log', '-n', 'team', '--as', 'getter']), 'yes');
    assert.equal(canI(['get', 'pods', '-n', 'team', '--as', 'getter']), 'no');
    // The scale subresource only: the Deployment itself stays out of reach (so `kubectl scale`, which reads it first, is refused).
    const scaled = await as('getter', 'PATCH', '/apis/apps/v1/namespaces/team/deployments/web/scale', { spec: { replicas: 3 } }, [], { 'content-type': 'application/merge-patch+json' });
    assert.equal(scaled.status, 200, scaled.body);
    assert.equal(JSON.parse(kc(n, ['get', 'deployment', 'web', '-n', 'team', '-o', 'json'])).spec.replicas, 3);
    assert.match(kubectl(n, ['scale', 'deployment', 'web', '-n', 'team', '--replicas=2', '--as', 'getter']).stderr,
      /deployments.apps "web" is forbidden: User "getter" cannot get resource "deployments" in API group "apps" in the namespace "team"/);
    apply(`
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: any-scale}
rules: [{apiGroups: ["*"], resources: ["*/scale"], verbs: [get]}]
`);
    kc(n, ['create', 'clusterrolebinding', 'scaler', '--clusterrole=any-scale', '--user=scaler']);
    assert.equal((await as('scaler', 'GET', '/apis/apps/v1/namespaces/team/deployments/web/scale')).status, 200);
    assert.equal((await as('scaler', 'GET', '/apis/apps/v1/namespaces/team/replicasets')).status, 403);
    assert.equal(canI(['get', 'statefulsets.apps', '--subresource=scale', '--as', 'scaler', '-A']), 'yes');
  });

  it('resourceNames: the named object only; a list only when it names the object by fieldSelector', async () => {
    const g = ['named-readers'];
    assert.equal((await as('rn', 'GET', '/api/v1/namespaces/team/configmaps/cm1', undefined, g)).status, 200);
    const other = await status(as('rn', 'GET', '/api/v1/namespaces/team/configmaps/cm2', undefined, g));
    assert.equal(other.body.message, 'configmaps "cm2" is forbidden: User "rn" cannot get resource "configmaps" in API group "" in the namespace "team"');
    assert.equal((await as('rn', 'GET', '/api/v1/namespaces/team/configmaps', undefined, g)).status, 403);
    const one = await status(as('rn', 'GET', '/api/v1/namespaces/team/configmaps?fieldSelector=metadata.name%3Dcm1', undefined, g));
    assert.equal(one.code, 200);
    assert.deepEqual(one.body.items.map((i: any) => i.metadata.name), ['cm1']);
    assert.equal(kubectl(n, ['get', 'configmap', 'cm1', '-n', 'team', '--as', 'rn', '--as-group', 'named-readers']).code, 0);
    assert.equal(canI(['delete', 'configmap/cm1', '-n', 'team', '--as', 'rn', '--as-group', 'named-readers']), 'yes');
    assert.equal(canI(['delete', 'configmap/cm2', '-n', 'team', '--as', 'rn', '--as-group', 'named-readers']), 'no');
    // A create names no object: a rule with resourceNames never allows it.
    assert.equal((await as('rn', 'POST', '/api/v1/namespaces/team/configmaps', CM, g)).status, 403);
  });

  it('nonResourceURLs: exact paths and prefixes ending in *', async () => {
    apply(`
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: scraper}
rules: [{nonResourceURLs: [/metrics, "/openapi/v3/*"], verbs: [get]}]
`);
    assert.equal((await as('prom', 'GET', '/metrics')).status, 403);
    kc(n, ['create', 'clusterrolebinding', 'prom', '--clusterrole=scraper', '--user=prom']);
    assert.equal((await as('prom', 'GET', '/metrics')).status, 200);
    assert.equal(canI(['get', '/metrics', '--as', 'prom']), 'yes');
    assert.equal(canI(['get', '/openapi/v3/apis/apps/v1', '--as', 'prom']), 'yes');
    assert.equal(canI(['post', '/metrics', '--as', 'prom']), 'no');
    // The monitoring group reads health and metrics (system:monitoring).
    assert.equal((await as('m', 'GET', '/metrics', undefined, ['system:monitoring'])).status, 200);
    assert.equal(canI(['get', '/healthz', '--as', 'anyone']), 'yes');
    assert.equal(canI(['get', '/healthz/etcd', '--as', 'anyone']), 'no');
  });

  it('a binding to a role that does not exist grants nothing and says so in the 403', async () => {
    kc(n, ['create', 'rolebinding', 'ghost', '-n', 'team', '--clusterrole=ghost', '--user=haunted']);
    const s = await status(as('haunted', 'GET', '/api/v1/namespaces/team/secrets'));
    assert.equal(s.body.message, 'secrets is forbidden: User "haunted" cannot list resource "secrets" in API group "" in the namespace "team": RBAC: clusterrole.rbac.authorization.k8s.io "ghost" not found');
  });
});

describe('kubectl auth can-i and whoami, the access reviews', () => {
  before(() => { kc(n, ['create', 'rolebinding', 'alice-view', '-n', 'team', '--clusterrole=view', '--user=alice']); });

  it('answers can-i for every user from their bindings', () => {
    const table: [string[], string][] = [
      [['list', 'pods', '-n', 'team'], 'yes'], [['watch', 'deployments.apps', '-n', 'team'], 'yes'], [['get', 'pods', '--subresource=log', '-n', 'team'], 'yes'],
      [['create', 'pods', '-n', 'team'], 'no'], [['get', 'secrets', '-n', 'team'], 'no'], [['list', 'pods', '-n', 'default'], 'no'],
      [['list', 'pods', '-A'], 'no'], [['create', 'selfsubjectaccessreviews.authorization.k8s.io'], 'yes'], [['get', '/api'], 'yes'], [['get', '/metrics'], 'no'],
    ];
    for (const [args, want] of table) assert.equal(canI([...args, '--as', 'alice']), want, args.join(' '));
  });

  it('can-i --list lists the rules of the user\'s bindings, and whoami the impersonated user', () => {
    const rows = kc(n, ['auth', 'can-i', '--list', '-n', 'team', '--as', 'alice']).trim().split('\n').map((l) => l.trim().split(/\s+/));
    assert.ok(rows.some((r) => r[0] === 'pods' && r.slice(-3).join(' ') === '[get list watch]'), JSON.stringify(rows));
    assert.ok(!rows.some((r) => r[0] === 'secrets'));
    const who = kc(n, ['auth', 'whoami', '--as', 'alice', '--as-group', 'devs', '-o', 'json']);
    assert.deepEqual(JSON.parse(who).status.userInfo, { username: 'alice', groups: ['devs', 'system:authenticated'] });
  });

  it('a ServiceAccount may do nothing but discover and review itself until a binding names it', () => {
    const sa = ['--as', 'system:serviceaccount:team:default'];
    const no = kubectl(n, ['auth', 'can-i', 'create', 'pods', '-n', 'team', ...sa]);
    assert.deepEqual([no.code, no.stdout.trim()], [1, 'no']);
    assert.equal(canI(['create', 'selfsubjectreviews.authentication.k8s.io', ...sa]), 'yes');
    const rows = kc(n, ['auth', 'can-i', '--list', '-n', 'team', ...sa]).trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
    assert.deepEqual(rows.filter((r) => !r[0].startsWith('[')).map((r) => r[0]).sort(),
      ['selfsubjectaccessreviews.authorization.k8s.io', 'selfsubjectreviews.authentication.k8s.io', 'selfsubjectrulesreviews.authorization.k8s.io']);
    kc(n, ['create', 'rolebinding', 'sa-edit', '-n', 'team', '--clusterrole=edit', '--serviceaccount=team:default']);
    assert.equal(canI(['create', 'pods', '-n', 'team', ...sa]), 'yes');
    assert.equal(canI(['create', 'pods', '-n', 'default', ...sa]), 'no');
    // The groups every account is in: a binding to system:serviceaccounts:team grants them all.
    assert.equal(canI(['list', 'configmaps', '-n', 'team', '--as', 'system:serviceaccount:team:other']), 'no');
    kc(n, ['create', 'rolebinding', 'team-accounts-view', '-n', 'team', '--clusterrole=view', '--group=system:serviceaccounts:team']);
    assert.equal(canI(['list', 'configmaps', '-n', 'team', '--as', 'system:serviceaccount:team:other', '--as-group', 'system:serviceaccounts:team']), 'yes');
  });

  it('can-i --list shows the administrator everything', () => {
    const rows = kc(n, ['auth', 'can-i', '--list']).trim().split('\n').map((l) => l.trim().split(/\s+/));
    assert.deepEqual(rows[0], ['Resources', 'Non-Resource', 'URLs', 'Resource', 'Names', 'Verbs']);
    assert.deepEqual(rows[1], ['*.*', '[]', '[]', '[*]']);
    assert.deepEqual(rows[2], ['[*]', '[]', '[*]']);
  });

  it('kubectl auth reconcile creates roles and bindings, then adds only what is missing', () => {
    const yaml = (verbs: string) => `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: recon, namespace: team}
rules:
- apiGroups: [apps]
  resources: [deployments]
  verbs: [${verbs}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: recon, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: recon}
subjects:
- {kind: User, name: carol, apiGroup: rbac.authorization.k8s.io}
`;
    const first = kubectl(n, ['auth', 'reconcile', '-f', '-'], yaml('get'));
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, 'role.rbac.authorization.k8s.io/recon reconciled\nrolebinding.rbac.authorization.k8s.io/recon reconciled\n');
    assert.match(first.stderr, /reconciliation required create\n\tmissing rules added:\n\t\t\{Verbs:\[get\] APIGroups:\[apps\] Resources:\[deployments\] ResourceNames:\[\] NonResourceURLs:\[\]\}/);
    assert.equal(canI(['get', 'deployments.apps', '-n', 'team', '--as', 'carol']), 'yes');
    assert.equal(canI(['list', 'deployments.apps', '-n', 'team', '--as', 'carol']), 'no');
    // Again with one more verb: the role gains it, the binding already has its subject.
    const second = kubectl(n, ['auth', 'reconcile', '-f', '-'], yaml('get, list'));
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /reconciliation required update\n\tmissing rules added:\n\t\t\{Verbs:\[list\] APIGroups:\[apps\]/);
    assert.doesNotMatch(second.stderr, /missing subjects added/);
    assert.equal(canI(['list', 'deployments.apps', '-n', 'team', '--as', 'carol']), 'yes');
    const rb = JSON.parse(kc(n, ['get', 'rolebinding', 'recon', '-n', 'team', '-o', 'json']));
    assert.deepEqual(rb.subjects, [{ kind: 'User', name: 'carol', apiGroup: 'rbac.authorization.k8s.io' }]);
    // A user who may update roles reconciles only what they hold themselves: escalation prevention.
    kc(n, ['create', 'role', 'role-editor', '-n', 'team', '--verb=get,update', '--resource=roles,rolebindings']);
    kc(n, ['create', 'rolebinding', 'carol-role-editor', '-n', 'team', '--role=role-editor', '--user=carol']);
    const carol = kubectl(n, ['auth', 'reconcile', '-f', '-', '--as', 'carol'], yaml('get, list, delete'));
    assert.equal(carol.code, 1);
    assert.equal(carol.stderr.trim(), 'Error from server (Forbidden): roles.rbac.authorization.k8s.io "recon" is forbidden: user "carol" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n'
      + '{APIGroups:["apps"], Resources:["deployments"], Verbs:["delete"]}');
    assert.equal(canI(['delete', 'deployments.apps', '-n', 'team', '--as', 'carol']), 'no');
    assert.equal(kubectl(n, ['auth', 'reconcile', '-f', '-', '--as', 'carol'], yaml('get, list')).code, 0);
  });

  it('a SubjectAccessReview gives RBAC\'s reason: the binding and role that allowed it', async () => {
    const sar = (user: string, verb: string) => raw(n, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', JSON.stringify({
      apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user, resourceAttributes: { namespace: 'team', verb, resource: 'pods' } },
    }));
    assert.deepEqual(JSON.parse((await sar('alice', 'list')).body).status, { allowed: true, reason: 'RBAC: allowed by RoleBinding "alice-view/team" of ClusterRole "view" to User "alice"' });
    assert.deepEqual(JSON.parse((await sar('alice', 'delete')).body).status, { allowed: false });
  });

  it('the Python client makes roles and bindings, and its reviews answer from them', async () => {
    const py = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import kubernetes'], { stdio: 'ignore' }).status === 0);
    assert.ok(py, 'python3 with the kubernetes client (.ci/run installs python3-kubernetes)');
    const out = await new Promise<{ code: number | null; text: string }>((resolve, reject) => {
      const p = spawn(py, [path.join(PY_DIR, 'rbac_access.py'), n.kubeconfig, 'team', 'py-user'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      p.stdout.on('data', (d) => (text += d));
      p.stderr.on('data', (d) => (text += d));
      p.on('error', reject);
      p.on('exit', (code) => resolve({ code, text }));
    });
    assert.equal(out.code, 0, out.text);
    const lines = out.text.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.verb, l.allowed]), [['get', true], ['list', true], ['delete', false]]);
    assert.equal(lines[0].reason, 'RBAC: allowed by RoleBinding "py-reader/team" of Role "py-reader" to User "py-user"');
    assert.equal(canI(['list', 'configmaps', '-n', 'team', '--as', 'py-user']), 'yes');
  });
});

describe('aggregation', () => {
  it('a ClusterRole labelled aggregate-to-view adds its rules to view, edit and admin', async () => {
    apply(`
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: widgets-view
  labels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}
rules: [{apiGroups: [example.com], resources: [widgets], verbs: [get, list, watch]}]
`);
    for (const role of ['view', 'edit', 'admin']) {
      await waitFor(`${role} to aggregate widgets`, () => JSON.parse(kc(n, ['get', 'clusterrole', role, '-o', 'json'])).rules?.some((r: any) => r.resources?.includes('widgets')));
    }
    // (kubectl can-i sends a kind discovery does not know as a resource of group "": asked directly)
    const sar = await raw(n, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', JSON.stringify({
      apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: 'alice', resourceAttributes: { namespace: 'team', verb: 'list', group: 'example.com', resource: 'widgets' } },
    }));
    assert.equal(JSON.parse(sar.body).status.allowed, true);
    // A role of one's own aggregates by its own selectors; the label going takes the rules away.
    apply(`
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: team-aggregate}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {team: blue}}]
`);
    kc(n, ['label', 'clusterrole', 'widgets-view', 'team=blue']);
    await waitFor('team-aggregate to gather', () => JSON.parse(kc(n, ['get', 'clusterrole', 'team-aggregate', '-o', 'json'])).rules?.length === 1);
    kc(n, ['label', 'clusterrole', 'widgets-view', 'team-']);
    await waitFor('team-aggregate to empty', () => (JSON.parse(kc(n, ['get', 'clusterrole', 'team-aggregate', '-o', 'json'])).rules ?? []).length === 0);
  });
});

describe('escalation prevention', () => {
  before(() => {
    // lead administers the namespace `team` (admin: roles and rolebindings there), nothing more.
    kc(n, ['create', 'rolebinding', 'lead-admin', '-n', 'team', '--clusterrole=admin', '--user=lead']);
  });

  it('refuses a Role granting what its author does not hold, and allows it with escalate', () => {
    assert.equal(kubectl(n, ['create', 'role', 'ok', '-n', 'team', '--verb=get', '--resource=pods', '--as', 'lead']).code, 0);
    const r = kubectl(n, ['create', 'role', 'nodes', '-n', 'team', '--verb=list', '--resource=nodes', '--as', 'lead']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /roles.rbac.authorization.k8s.io "nodes" is forbidden: user "lead" \(groups=\["system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\[""\], Resources:\["nodes"\], Verbs:\["list"\]\}/);
    apply(`
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: escalator, namespace: team}
rules: [{apiGroups: [rbac.authorization.k8s.io], resources: [roles], verbs: [escalate]}]
`);
    kc(n, ['create', 'rolebinding', 'lead-escalate', '-n', 'team', '--role=escalator', '--user=lead']);
    const ok = kubectl(n, ['create', 'role', 'nodes', '-n', 'team', '--verb=list', '--resource=nodes', '--as', 'lead']);
    assert.equal(ok.code, 0, ok.stderr);
  });

  it('refuses a binding to a role its author does not hold, and allows it with bind', () => {
    const r = kubectl(n, ['create', 'rolebinding', 'power', '-n', 'team', '--clusterrole=cluster-admin', '--user=lead', '--as', 'lead']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /rolebindings.rbac.authorization.k8s.io "power" is forbidden: user "lead" \(groups=\["system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:/);
    // Binding a role whose permissions lead holds needs nothing more.
    assert.equal(kubectl(n, ['create', 'rolebinding', 'viewers', '-n', 'team', '--clusterrole=view', '--group=viewers', '--as', 'lead']).code, 0);
    apply(`
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: binder}
rules: [{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind], resourceNames: [cluster-admin]}]
`);
    kc(n, ['create', 'rolebinding', 'lead-bind', '-n', 'team', '--clusterrole=binder', '--user=lead']);
    const ok = kubectl(n, ['create', 'rolebinding', 'power', '-n', 'team', '--clusterrole=cluster-admin', '--user=lead', '--as', 'lead']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(canI(['delete', 'secrets', '-n', 'team', '--as', 'lead']), 'yes');
    assert.equal(canI(['delete', 'secrets', '-n', 'default', '--as', 'lead']), 'no');
  });

  it('an aggregationRule takes cluster-admin\'s permissions', () => {
    kc(n, ['create', 'clusterrolebinding', 'cr-writer', '--clusterrole=cr-writer', '--user=crw']);
    apply(`
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cr-writer}
rules: [{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [create]}]
`);
    const r = kubectl(n, ['create', 'clusterrole', 'gather', '--aggregation-rule=a=b', '--as', 'crw']);
    assert.match(r.stderr, /clusterroles.rbac.authorization.k8s.io "gather" is forbidden: must have cluster-admin privileges to use the aggregationRule/);
  });
});

describe('impersonation and the cloud API', () => {
  it('--as-group, --as-uid and extra fields reach the request\'s user', async () => {
    const who = await status(as('u', 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, [], {
      'impersonate-uid': '42', 'impersonate-extra-scopes': 'view',
    }));
    assert.deepEqual(who.body.status.userInfo, { username: 'u', uid: '42', groups: ['system:authenticated'], extra: { scopes: ['view'] } });
    const sa = await status(as('system:serviceaccount:team:robot', 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }));
    assert.deepEqual(sa.body.status.userInfo.groups, ['system:serviceaccounts', 'system:serviceaccounts:team', 'system:authenticated']);
    const bad = await status(raw(n, 'GET', '/api', undefined, { 'impersonate-group': 'g' }));
    assert.equal(bad.code, 400);
  });

  it('the cloud API is refused to anyone not in system:masters, in the cloud\'s error format', async () => {
    assert.equal((await raw(n, 'GET', '/cloud/v1/regions')).status, 200);
    const r = await as('alice', 'GET', '/cloud/v1/regions');
    assert.equal(r.status, 403);
    const body = JSON.parse(r.body);
    assert.deepEqual(Object.keys(body).sort(), ['code', 'message', 'requestId']);
    assert.equal(body.code, 'UnauthorizedOperation');
    assert.equal(body.message, 'user "alice" is not allowed to use the cloud API: it requires the group system:masters');
    assert.equal((await as('alice', 'GET', '/cloud/v1/regions', undefined, ['system:masters'])).status, 200);
  });
});
