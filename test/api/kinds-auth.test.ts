// The access-control kinds of issue 16 through the real kubectl, the official Python
// client and @kubernetes/client-node: RBAC roles and bindings (every `kubectl create`
// generator, get/describe/edit/patch/delete/deletecollection/explain, `kubectl auth
// reconcile`), the review APIs (`kubectl auth can-i`, `can-i --list`, `whoami`, TokenReview,
// SubjectAccessReview), CertificateSigningRequests (`kubectl certificate approve|deny`),
// admission webhook configurations and policies, API Priority and Fairness and APIServices,
// with kube-apiserver's codes and words (docs/api-resources.md, docs/auth.md).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { kc, kubectl, raw, startCli, waitFor, type Running } from '../helpers/nodeless.js';

const PY_DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'python');

let n: Running;
// The API server alone: everything here is the API server's (its post-start objects included).
before(async () => { n = await startCli(undefined, ['--api-only']); });
after(async () => { await n?.stop(); });

const json = (o: unknown) => JSON.stringify(o);
const body = async (p: Promise<{ status: number; body: string }>, code: number) => {
  const r = await p;
  assert.equal(r.status, code, r.body.slice(0, 600));
  return JSON.parse(r.body);
};
const getJson = (args: string[]) => JSON.parse(kc(n, [...args, '-o', 'json']));
/** kubectl that must fail; returns its stderr. */
const fails = (args: string[], input?: string) => {
  const r = kubectl(n, args, input);
  assert.notEqual(r.code, 0, `kubectl ${args.join(' ')} should fail:\n${r.stdout}`);
  return r.stderr;
};
/** Table rows of `kubectl get` as columns (header first). */
const table = (out: string) => out.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));
const RBAC = '/apis/rbac.authorization.k8s.io/v1';

/** A PKCS#10 request made by openssl, PEM. */
function csrPem(cn: string, kind: 'rsa' | 'ec' = 'ec'): string {
  const key = path.join(n.home, `${cn}.key`);
  if (kind === 'ec') execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  else execFileSync('openssl', ['genrsa', '-out', key, '2048'], { stdio: 'ignore' });
  return execFileSync('openssl', ['req', '-new', '-key', key, '-subj', `/CN=${cn}/O=devs`], { encoding: 'utf8' });
}
const csrManifest = (name: string, pem: string, extra = '') => `
apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata: {name: ${name}}
spec:
  request: ${Buffer.from(pem).toString('base64')}
  signerName: kubernetes.io/kube-apiserver-client
  usages: [client auth]
${extra}`;

describe('discovery', () => {
  it('kubectl api-resources -o wide lists these groups as a v1.32 cluster does', () => {
    const ALL = 'create,delete,deletecollection,get,list,patch,update,watch';
    const want = [
      'mutatingwebhookconfigurations||admissionregistration.k8s.io/v1|false|MutatingWebhookConfiguration|ALL|api-extensions',
      'validatingadmissionpolicies||admissionregistration.k8s.io/v1|false|ValidatingAdmissionPolicy|ALL|api-extensions',
      'validatingadmissionpolicybindings||admissionregistration.k8s.io/v1|false|ValidatingAdmissionPolicyBinding|ALL|api-extensions',
      'validatingwebhookconfigurations||admissionregistration.k8s.io/v1|false|ValidatingWebhookConfiguration|ALL|api-extensions',
      'apiservices||apiregistration.k8s.io/v1|false|APIService|ALL|api-extensions',
      'selfsubjectreviews||authentication.k8s.io/v1|false|SelfSubjectReview|create|',
      'tokenreviews||authentication.k8s.io/v1|false|TokenReview|create|',
      'localsubjectaccessreviews||authorization.k8s.io/v1|true|LocalSubjectAccessReview|create|',
      'selfsubjectaccessreviews||authorization.k8s.io/v1|false|SelfSubjectAccessReview|create|',
      'selfsubjectrulesreviews||authorization.k8s.io/v1|false|SelfSubjectRulesReview|create|',
      'subjectaccessreviews||authorization.k8s.io/v1|false|SubjectAccessReview|create|',
      'certificatesigningrequests|csr|certificates.k8s.io/v1|false|CertificateSigningRequest|ALL|',
      'flowschemas||flowcontrol.apiserver.k8s.io/v1|false|FlowSchema|ALL|',
      'prioritylevelconfigurations||flowcontrol.apiserver.k8s.io/v1|false|PriorityLevelConfiguration|ALL|',
      'ingressclasses||networking.k8s.io/v1|false|IngressClass|ALL|',
      'ingresses|ing|networking.k8s.io/v1|true|Ingress|ALL|',
      'networkpolicies|netpol|networking.k8s.io/v1|true|NetworkPolicy|ALL|',
      'clusterrolebindings||rbac.authorization.k8s.io/v1|false|ClusterRoleBinding|ALL|',
      'clusterroles||rbac.authorization.k8s.io/v1|false|ClusterRole|ALL|',
      'rolebindings||rbac.authorization.k8s.io/v1|true|RoleBinding|ALL|',
      'roles||rbac.authorization.k8s.io/v1|true|Role|ALL|',
    ].map((r) => r.replace('|ALL|', `|${ALL}|`));
    const groups = /^(admissionregistration|apiregistration|authentication|authorization|certificates|flowcontrol\.apiserver|networking|rbac\.authorization)\.k8s\.io\/v1$/;
    const lines = kc(n, ['api-resources', '-o', 'wide']).trimEnd().split('\n');
    // Columns by the header's positions: short names and categories may be empty.
    const head = lines[0];
    const cols = ['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND', 'VERBS', 'CATEGORIES'].map((c) => head.indexOf(c));
    const rows = lines.slice(1).map((l) => cols.map((at, i) => l.slice(at, cols[i + 1] ?? undefined).trim()).join('|')).filter((r) => groups.test(r.split('|')[2]));
    assert.deepEqual(rows, want);
    // CertificateSigningRequests serve their approval subresource.
    const csr = JSON.parse(kc(n, ['get', '--raw', '/apis/certificates.k8s.io/v1'])).resources.find((r: any) => r.name === 'certificatesigningrequests/approval');
    assert.deepEqual([csr.kind, csr.verbs], ['CertificateSigningRequest', ['get', 'patch', 'update']]);
  });
});

describe('RBAC', () => {
  it('kubectl create role|clusterrole|rolebinding|clusterrolebinding make the objects kube-apiserver stores, defaults filled in', () => {
    assert.match(kc(n, ['create', 'role', 'pod-reader', '--verb=get', '--verb=list', '--resource=pods']), /role.rbac.authorization.k8s.io\/pod-reader created/);
    kc(n, ['create', 'clusterrole', 'node-reader', '--verb=get,watch', '--resource=nodes', '--resource-name=n1']);
    kc(n, ['create', 'clusterrole', 'aggregated', '--aggregation-rule=team=a']);
    kc(n, ['create', 'rolebinding', 'view-x', '--clusterrole=view', '--user=x', '--group=g1']);
    kc(n, ['create', 'clusterrolebinding', 'nodes', '--clusterrole=node-reader', '--group=devs', '--serviceaccount=default:robot']);
    const role = getJson(['get', 'role', 'pod-reader']);
    assert.deepEqual(role.rules, [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }]);
    const cr = getJson(['get', 'clusterrole', 'node-reader']);
    assert.deepEqual(cr.rules, [{ apiGroups: [''], resourceNames: ['n1'], resources: ['nodes'], verbs: ['get', 'watch'] }]);
    assert.deepEqual(getJson(['get', 'clusterrole', 'aggregated']).aggregationRule, { clusterRoleSelectors: [{ matchLabels: { team: 'a' } }] });
    const rb = getJson(['get', 'rolebinding', 'view-x']);
    assert.deepEqual(rb.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' });
    assert.deepEqual(rb.subjects, [
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'x' },
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'g1' },
    ]);
    const crb = getJson(['get', 'clusterrolebinding', 'nodes']);
    assert.deepEqual(crb.subjects.map((s: any) => `${s.kind}:${s.apiGroup ?? '-'}:${s.namespace ?? ''}/${s.name}`), ['Group:rbac.authorization.k8s.io:/devs', 'ServiceAccount:-:default/robot']);
  });

  it('prints kube-apiserver\'s columns: CREATED AT for roles, ROLE and the subjects (wide) for bindings', () => {
    const roles = table(kc(n, ['get', 'roles']));
    assert.deepEqual(roles[0], ['NAME', 'CREATED AT']);
    assert.match(roles.find((r) => r[0] === 'pod-reader')![1], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const crbs = table(kc(n, ['get', 'clusterrolebinding', 'nodes', '-o', 'wide']));
    assert.deepEqual(crbs[0], ['NAME', 'ROLE', 'AGE', 'USERS', 'GROUPS', 'SERVICEACCOUNTS']);
    assert.deepEqual([crbs[1][0], crbs[1][1], crbs[1][3], crbs[1][4]], ['nodes', 'ClusterRole/node-reader', 'devs', 'default/robot']);
    const rbs = table(kc(n, ['get', 'rolebindings', '-o', 'wide']));
    assert.deepEqual([rbs[1][0], rbs[1][1], rbs[1][3], rbs[1][4]], ['view-x', 'ClusterRole/view', 'x', 'g1']);
  });

  it('describe shows the role reference and subjects; explain documents the fields', () => {
    const d = kc(n, ['describe', 'rolebinding', 'view-x']);
    assert.match(d, /Role:\n\s+Kind:\s+ClusterRole\n\s+Name:\s+view/);
    assert.match(d, /User\s+x/);
    assert.match(kc(n, ['describe', 'role', 'pod-reader']), /pods\s+\[\]\s+\[\]\s+\[get list\]/);
    assert.match(kc(n, ['explain', 'clusterrolebinding.roleRef']), /RoleRef can only reference a ClusterRole in the global namespace/);
    assert.match(kc(n, ['explain', 'role.rules.verbs']), /Verbs is a list of Verbs that apply to ALL the ResourceKinds/);
  });

  it('roleRef cannot change: 422 with kube-apiserver\'s message, through kubectl and the API', async () => {
    const err = fails(['patch', 'rolebinding', 'view-x', '--type=merge', '-p', json({ roleRef: { name: 'edit' } })]);
    assert.match(err, /The RoleBinding "view-x" is invalid: roleRef: Invalid value: rbac\.RoleRef\{APIGroup:"rbac\.authorization\.k8s\.io", Kind:"ClusterRole", Name:"edit"\}: cannot change roleRef/);
    const cur = getJson(['get', 'clusterrolebinding', 'nodes']);
    const s = await body(raw(n, 'PUT', `${RBAC}/clusterrolebindings/nodes`, json({ ...cur, roleRef: { ...cur.roleRef, name: 'other' } })), 422);
    assert.equal(s.message, 'ClusterRoleBinding.rbac.authorization.k8s.io "nodes" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"other"}: cannot change roleRef');
    assert.deepEqual(s.details.causes, [{ reason: 'FieldValueInvalid', message: 'Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"other"}: cannot change roleRef', field: 'roleRef' }]);
  });

  it('validates rules, subjects and names as kube-apiserver does', async () => {
    const bad = await body(raw(n, 'POST', `${RBAC}/namespaces/default/roles`, json({
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'bad' }, rules: [{ resources: ['pods'] }, { verbs: ['get'], nonResourceURLs: ['/healthz'] }],
    })), 422);
    assert.deepEqual(bad.details.causes.map((c: any) => `${c.field}: ${c.message}`), [
      'rules[0].verbs: Required value: verbs must contain at least one value',
      'rules[0].apiGroups: Required value: resource rules must supply at least one api group',
      'rules[1].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs',
    ]);
    const sub = await body(raw(n, 'POST', `${RBAC}/clusterrolebindings`, json({
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'sub' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' }, subjects: [{ kind: 'ServiceAccount', name: 'sa' }, { kind: 'Robot', name: 'r' }],
    })), 422);
    assert.deepEqual(sub.details.causes.map((c: any) => `${c.field}: ${c.message}`), [
      'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
      'subjects[0].namespace: Required value',
      'subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
    ]);
    // Names are path segments: `system:` names are fine, a slash is not.
    kc(n, ['create', 'clusterrole', 'system:controller:demo', '--verb=get', '--resource=pods']);
    const slash = await body(raw(n, 'POST', `${RBAC}/clusterroles`, json({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'a%b' } })), 422);
    assert.equal(slash.message, 'ClusterRole.rbac.authorization.k8s.io "a%b" is invalid: metadata.name: Invalid value: "a%b": may not contain \'%\'');
  });

  it('takes all four patch types, edit and server-side apply', () => {
    kc(n, ['patch', 'role', 'pod-reader', '--type=json', '-p', json([{ op: 'add', path: '/rules/0/verbs/-', value: 'watch' }])]);
    kc(n, ['patch', 'role', 'pod-reader', '--type=merge', '-p', json({ metadata: { labels: { merged: 'yes' } } })]);
    kc(n, ['patch', 'role', 'pod-reader', '-p', json({ metadata: { labels: { strategic: 'yes' } } })]);
    const applied = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: default, labels: {applied: "yes"}}
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch]
`;
    kc(n, ['apply', '--server-side', '--force-conflicts', '-f', '-'], applied);
    const r = spawnSync('kubectl', ['edit', 'role', 'pod-reader'], {
      encoding: 'utf8', env: { ...process.env, KUBECONFIG: n.kubeconfig, HOME: n.home, KUBECACHEDIR: path.join(n.home, 'kubecache'), KUBE_EDITOR: 'sed -i s/-\\ watch/-\\ delete/' },
    });
    assert.equal(r.status, 0, r.stderr);
    const role = getJson(['get', 'role', 'pod-reader']);
    assert.deepEqual(role.rules[0].verbs, ['get', 'list', 'delete']);
    assert.deepEqual(role.metadata.labels, { merged: 'yes', strategic: 'yes', applied: 'yes' });
    assert.ok(getJson(['get', 'role', 'pod-reader', '--show-managed-fields']).metadata.managedFields.some((f: any) => f.operation === 'Apply'));
  });

  it('kubectl auth reconcile creates, then adds what is missing', () => {
    const manifest = (verbs: string) => `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reconciled, namespace: default}
rules:
- apiGroups: [""]
  resources: [configmaps]
  verbs: [${verbs}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reconciled, namespace: default}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reconciled}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}
`;
    const first = kc(n, ['auth', 'reconcile', '-f', '-'], manifest('get'));
    assert.match(first, /role.rbac.authorization.k8s.io\/reconciled reconciled/);
    assert.match(first, /rolebinding.rbac.authorization.k8s.io\/reconciled reconciled/);
    kc(n, ['auth', 'reconcile', '-f', '-'], manifest('list'));
    // reconcile only adds: the rule of the first pass stays beside the new one.
    const verbs = getJson(['get', 'role', 'reconciled']).rules.flatMap((r: any) => r.verbs).sort();
    assert.deepEqual(verbs, ['get', 'list']);
    assert.deepEqual(getJson(['get', 'rolebinding', 'reconciled']).subjects.map((s: any) => s.name), ['alice']);
  });

  it('delete and deletecollection (by label), as kube-apiserver answers them', async () => {
    kc(n, ['create', 'role', 'gone-1', '--verb=get', '--resource=pods']);
    kc(n, ['create', 'role', 'gone-2', '--verb=get', '--resource=pods']);
    kc(n, ['label', 'roles', 'gone-1', 'gone-2', 'sweep=yes']);
    assert.match(kc(n, ['delete', 'role', 'gone-1']), /role.rbac.authorization.k8s.io "gone-1" deleted/);
    const list = await body(raw(n, 'DELETE', `${RBAC}/namespaces/default/roles?labelSelector=sweep%3Dyes`), 200);
    assert.deepEqual(list.items.map((o: any) => o.metadata.name), ['gone-2']);
    assert.equal(list.kind, 'RoleList');
    const missing = await body(raw(n, 'GET', `${RBAC}/namespaces/default/roles/gone-2`), 404);
    assert.equal(missing.message, 'roles.rbac.authorization.k8s.io "gone-2" not found');
  });
});

describe('the review APIs and the administrator', () => {
  it('kubectl auth whoami and can-i answer for the kubeconfig\'s user: nodeless-admin in system:masters', () => {
    const who = table(kc(n, ['auth', 'whoami']));
    assert.deepEqual(who, [['ATTRIBUTE', 'VALUE'], ['Username', 'nodeless-admin'], ['Groups', '[system:masters system:authenticated]']]);
    assert.equal(kc(n, ['auth', 'can-i', 'create', 'pods']).trim(), 'yes');
    assert.equal(kc(n, ['auth', 'can-i', 'delete', 'clusterroles', '--all-namespaces']).trim(), 'yes');
    assert.equal(kc(n, ['auth', 'can-i', 'get', '/healthz']).trim(), 'yes');
    const list = table(kc(n, ['auth', 'can-i', '--list']));
    assert.deepEqual(list[0], ['Resources', 'Non-Resource URLs', 'Resource Names', 'Verbs']);
    assert.deepEqual(list[1], ['*.*', '[]', '[]', '[*]']);
    assert.deepEqual(list[2], ['[*]', '[]', '[*]']);
  });

  it('answers a SubjectAccessReview for another user from the authorizer (jane is bound to nothing: not allowed)', async () => {
    const sar = { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: 'jane', resourceAttributes: { verb: 'get', resource: 'pods', namespace: 'default' } } };
    const r = await body(raw(n, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', json(sar)), 201);
    assert.deepEqual(r.status, { allowed: false });
    assert.equal(r.metadata.creationTimestamp, null);
    const masters = await body(raw(n, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', json({ ...sar, spec: { ...sar.spec, groups: ['system:masters'] } })), 201);
    assert.deepEqual(masters.status, { allowed: true });
    // Impersonated, the question is jane's (test/auth/rbac.test.ts has the rest).
    assert.equal(kubectl(n, ['auth', 'can-i', 'get', 'pods', '--as=jane']).stdout.trim(), 'no');
    // A local review in a namespace that does not exist is still answered (NamespaceLifecycle lets access reviews through).
    const local = await body(raw(n, 'POST', '/apis/authorization.k8s.io/v1/namespaces/nowhere/localsubjectaccessreviews', json({
      apiVersion: 'authorization.k8s.io/v1', kind: 'LocalSubjectAccessReview', spec: { groups: ['system:masters'], resourceAttributes: { verb: 'list', resource: 'secrets', namespace: 'nowhere' } },
    })), 201);
    assert.deepEqual(local.status, { allowed: true });
  });

  it('refuses malformed reviews with kube-apiserver\'s 422s and 400s, and serves only create', async () => {
    const empty = await body(raw(n, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', json({ apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: {} })), 422);
    assert.equal(empty.message, 'SubjectAccessReview.authorization.k8s.io "" is invalid: [spec.resourceAttributes: Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified, spec.user: Invalid value: "": at least one of user or group must be specified]');
    const local = await body(raw(n, 'POST', '/apis/authorization.k8s.io/v1/namespaces/default/localsubjectaccessreviews', json({
      apiVersion: 'authorization.k8s.io/v1', kind: 'LocalSubjectAccessReview', spec: { user: 'u', resourceAttributes: { verb: 'get', resource: 'pods', namespace: 'other' } },
    })), 422);
    assert.equal(local.message, 'LocalSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes.namespace: Invalid value: "other": must match metadata.namespace');
    const noToken = await body(raw(n, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', json({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: {} })), 400);
    assert.equal(noToken.message, 'token is required for TokenReview in authentication');
    const noNs = await body(raw(n, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', json({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: {} })), 400);
    assert.equal(noNs.message, 'no namespace on request');
    const list = await body(raw(n, 'GET', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews'), 405);
    assert.equal(list.message, 'the server does not allow this method on the requested resource');
    assert.match(fails(['get', 'tokenreviews']), /MethodNotAllowed/);
    await body(raw(n, 'GET', '/apis/authentication.k8s.io/v1/tokenreviews/x'), 404);
    const notJson = await raw(n, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', '{"spec":');
    assert.equal(notJson.status, 400);
  });

  it('TokenReview: the kubeconfig token is the administrator\'s, any other is not', async () => {
    const ok = await body(raw(n, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', json({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: n.token } })), 201);
    assert.deepEqual(ok.status, { authenticated: true, user: { username: 'nodeless-admin', groups: ['system:masters', 'system:authenticated'] }, audiences: ['https://kubernetes.default.svc.cluster.local'] });
    const aud = await body(raw(n, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', json({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: n.token, audiences: ['vault'] } })), 201);
    assert.deepEqual(aud.status.audiences, ['vault']);
    const bad = await body(raw(n, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', json({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'not-the-token' } })), 201);
    assert.deepEqual(bad.status, { user: {}, error: 'invalid bearer token' });
    assert.equal(bad.spec.token, 'not-the-token');
  });

  it('@kubernetes/client-node typed APIs: SelfSubjectAccessReview, SelfSubjectReview and RBAC objects', async () => {
    const c = new k8s.KubeConfig();
    c.loadFromFile(n.kubeconfig);
    const authz = c.makeApiClient(k8s.AuthorizationV1Api);
    const review = await authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { verb: 'create', resource: 'deployments', group: 'apps', namespace: 'default' } } } });
    assert.equal(review.status?.allowed, true);
    const who = await c.makeApiClient(k8s.AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    assert.equal(who.status?.userInfo?.username, 'nodeless-admin');
    const rbac = c.makeApiClient(k8s.RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({ namespace: 'default', body: { metadata: { name: 'cn-role' }, rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'] }] } });
    await rbac.createNamespacedRoleBinding({ namespace: 'default', body: { metadata: { name: 'cn-binding' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cn-role' }, subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: 'default' }] } });
    const listed = await rbac.listNamespacedRoleBinding({ namespace: 'default' });
    assert.ok(listed.items.some((b) => b.metadata?.name === 'cn-binding' && b.roleRef.kind === 'Role'));
    await assert.rejects(rbac.replaceNamespacedRoleBinding({ namespace: 'default', name: 'cn-binding', body: { metadata: { name: 'cn-binding' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'another' } } }),
      (e: any) => e.code === 422 && /cannot change roleRef/.test(e.body));
  });

  it('the official Python client creates RBAC and Ingress objects with utils.create_from_yaml and reads them back typed', async () => {
    const manifest = path.join(n.home, 'py-objects.yaml');
    fs.writeFileSync(manifest, `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: py-role}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: py-binding}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: py-role}
subjects:
- {kind: User, name: bob, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: py-cluster-role}
rules:
- {nonResourceURLs: [/metrics], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: py-cluster-binding}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: py-cluster-role}
subjects:
- {kind: Group, name: monitoring, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: py-ingress}
spec:
  ingressClassName: nginx
  defaultBackend: {service: {name: web, port: {number: 80}}}
`);
    const out = await new Promise<{ code: number | null; text: string }>((resolve, reject) => {
      const p = spawn(findPython(), [path.join(PY_DIR, 'rbac_from_yaml.py'), n.kubeconfig, manifest, 'default'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      p.stdout.on('data', (d) => (text += d));
      p.stderr.on('data', (d) => (text += d));
      p.on('error', reject);
      p.on('exit', (code) => resolve({ code, text }));
    });
    assert.equal(out.code, 0, out.text);
    const lines = out.text.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines[0].created, ['V1Role', 'V1RoleBinding', 'V1ClusterRole', 'V1ClusterRoleBinding', 'V1Ingress']);
    assert.deepEqual(lines[1], { kind: 'Role', name: 'py-role', verbs: ['get', 'list'], resources: ['secrets'] });
    assert.deepEqual(lines[2].roleRef, { api_group: 'rbac.authorization.k8s.io', kind: 'Role', name: 'py-role' });
    assert.deepEqual(lines[3], { kind: 'ClusterRoleBinding', roleRef: 'py-cluster-role', subjects: ['monitoring'] });
    assert.deepEqual(lines[4].names, ['py-cluster-role']);
    assert.deepEqual(lines[5], { kind: 'Ingress', status: { load_balancer: { ingress: null } }, class: 'nginx' });
  });
});

/** A python3 that imports `kubernetes`: the one on PATH, else Debian's (pyenv shims hide it). */
function findPython(): string {
  for (const py of ['python3', '/usr/bin/python3']) {
    if (spawnSync(py, ['-c', 'import kubernetes'], { stdio: 'ignore' }).status === 0) return py;
  }
  throw new Error('no python3 with the kubernetes client: apt-get install -y python3-kubernetes (.ci/run does)');
}

describe('CertificateSigningRequests', () => {
  it('records the requestor, approves and denies as kubectl certificate does, and prints kube\'s columns', async () => {
    kc(n, ['create', '-f', '-'], csrManifest('jane', csrPem('jane'), '  expirationSeconds: 86400'));
    kc(n, ['create', '-f', '-'], csrManifest('joe', csrPem('joe', 'rsa')));
    const jane = getJson(['get', 'csr', 'jane']);
    assert.equal(jane.spec.username, 'nodeless-admin');
    assert.deepEqual(jane.spec.groups, ['system:masters', 'system:authenticated']);
    assert.deepEqual(jane.status, {});
    const t = table(kc(n, ['get', 'csr']));
    assert.deepEqual(t[0], ['NAME', 'AGE', 'SIGNERNAME', 'REQUESTOR', 'REQUESTEDDURATION', 'CONDITION']);
    assert.deepEqual(t.find((r) => r[0] === 'jane')!.slice(2), ['kubernetes.io/kube-apiserver-client', 'nodeless-admin', '24h', 'Pending']);
    assert.deepEqual(t.find((r) => r[0] === 'joe')!.slice(4), ['<none>', 'Pending']);
    assert.match(kc(n, ['certificate', 'approve', 'jane']), /certificatesigningrequest.certificates.k8s.io\/jane approved/);
    assert.match(kc(n, ['certificate', 'deny', 'joe']), /certificatesigningrequest.certificates.k8s.io\/joe denied/);
    const approved = getJson(['get', 'csr', 'jane']).status.conditions;
    assert.equal(approved.length, 1);
    assert.deepEqual({ ...approved[0], lastTransitionTime: undefined, lastUpdateTime: undefined }, {
      type: 'Approved', status: 'True', reason: 'KubectlApprove', message: 'This CSR was approved by kubectl certificate approve.', lastTransitionTime: undefined, lastUpdateTime: undefined,
    });
    assert.match(approved[0].lastTransitionTime, /Z$/);
    const rows = table(kc(n, ['get', 'csr', '--field-selector', 'spec.signerName=kubernetes.io/kube-apiserver-client']));
    assert.deepEqual(rows.slice(1).map((r) => `${r[0]} ${r[r.length - 1]}`).sort(), ['jane Approved', 'joe Denied']);
    assert.match(kc(n, ['describe', 'csr', 'jane']), /Requesting User:\s+nodeless-admin[\s\S]*Status:\s+Approved[\s\S]*Common Name:\s+jane/);
    // Approved and Denied exclude each other (kubectl refuses first; the API says why).
    assert.match(fails(['certificate', 'deny', 'jane']), /certificate signing request "jane" is already Approved/);
    const cur = getJson(['get', 'csr', 'jane']);
    const both = await body(raw(n, 'PUT', '/apis/certificates.k8s.io/v1/certificatesigningrequests/jane/approval', json({
      ...cur, status: { conditions: [...cur.status.conditions, { type: 'Denied', status: 'True', reason: 'Nope', message: 'no' }] },
    })), 422);
    assert.equal(both.message, 'CertificateSigningRequest.certificates.k8s.io "jane" is invalid: status.conditions[1].type: Invalid value: "Denied": Approved and Denied conditions are mutually exclusive');
  });

  it('keeps the spec: a write of the object changes neither spec nor status; /status may not approve', async () => {
    const cur = getJson(['get', 'csr', 'jane']);
    const put = await body(raw(n, 'PUT', '/apis/certificates.k8s.io/v1/certificatesigningrequests/jane', json({ ...cur, spec: { ...cur.spec, usages: ['server auth'], username: 'mallory' }, status: {} })), 200);
    assert.deepEqual(put.spec.usages, ['client auth']);
    assert.equal(put.spec.username, 'nodeless-admin');
    assert.equal(put.status.conditions[0].type, 'Approved');
    const joe = getJson(['get', 'csr', 'joe']);
    const st = await body(raw(n, 'PUT', '/apis/certificates.k8s.io/v1/certificatesigningrequests/joe/status', json({ ...joe, status: { conditions: [...joe.status.conditions, { type: 'Failed', status: 'True', reason: 'SignerError', message: 'x' }] } })), 200);
    assert.deepEqual(st.status.conditions.map((c: any) => c.type), ['Denied', 'Failed']);
    assert.match(st.status.conditions[1].lastUpdateTime, /Z$/, 'a condition without times gets now');
    const drop = await body(raw(n, 'PUT', '/apis/certificates.k8s.io/v1/certificatesigningrequests/joe/status', json({ ...st, status: { conditions: [] } })), 422);
    // The Denied condition is kept by the status write itself; dropping Failed is refused.
    assert.equal(drop.message, 'CertificateSigningRequest.certificates.k8s.io "joe" is invalid: status.conditions: Forbidden: updates may not remove a condition of type "Failed"');
    assert.match(kc(n, ['get', 'csr', 'joe']), /Denied,Failed/);
  });

  it('validates the request, signer, usages and duration with kube-apiserver\'s words', async () => {
    const pem = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    const s = await body(raw(n, 'POST', '/apis/certificates.k8s.io/v1/certificatesigningrequests', json({
      apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name: 'bad' },
      spec: { request: Buffer.from(pem).toString('base64'), signerName: 'nodomain', usages: ['client auth', 'flying', 'client auth'], expirationSeconds: 60 },
    })), 422);
    assert.deepEqual(s.details.causes.map((c: any) => c.field), ['spec.request', 'spec.usages[1]', 'spec.usages[2]', 'spec.signerName', 'spec.expirationSeconds']);
    assert.match(s.details.causes[0].message, /^Invalid value: \[\]byte\{0x2d, 0x2d, .*\}: PEM block type must be CERTIFICATE REQUEST$/);
    assert.match(s.details.causes[1].message, /^Unsupported value: "flying": supported values: "any", "cert sign", /);
    assert.equal(s.details.causes[2].message, 'Duplicate value: "client auth"');
    assert.equal(s.details.causes[3].message, 'Invalid value: "nodomain": must be a fully qualified domain and path of the form \'example.com/signer-name\'');
    assert.equal(s.details.causes[4].message, 'Invalid value: 60: may not specify a duration less than 600 seconds (10 minutes)');
    // A request whose signature does not verify.
    const good = csrPem('tampered');
    const der = Buffer.from(good.split('\n').slice(1, -2).join(''), 'base64');
    der[der.length - 5] ^= 0xff;
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    const sig = fails(['create', '-f', '-'], csrManifest('tampered', tampered));
    assert.match(sig, /spec.request: Invalid value: \[\]byte\{.*\}: x509: ECDSA verification failure/);
  });
});

describe('admission configuration', () => {
  const webhook = (name: string, extra: object = {}) => ({
    name, sideEffects: 'None', admissionReviewVersions: ['v1'],
    clientConfig: { service: { namespace: 'default', name: 'hook' } },
    rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }], ...extra,
  });

  it('defaults webhooks as kube-apiserver does and prints the webhook count', async () => {
    const m = await body(raw(n, 'POST', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', json({
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'mutator' }, webhooks: [webhook('m.example.com')],
    })), 201);
    assert.deepEqual(m.webhooks[0], {
      ...webhook('m.example.com'),
      clientConfig: { service: { namespace: 'default', name: 'hook', port: 443 } },
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: '*' }],
      failurePolicy: 'Fail', matchPolicy: 'Equivalent', namespaceSelector: {}, objectSelector: {}, timeoutSeconds: 10, reinvocationPolicy: 'Never',
    });
    assert.equal(m.metadata.generation, 1);
    kc(n, ['create', '-f', '-'], json({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'validator' }, webhooks: [webhook('a.example.com'), webhook('b.example.com', { clientConfig: { url: 'https://hooks.example.com/validate' } })] }));
    const t = table(kc(n, ['get', 'validatingwebhookconfigurations']));
    assert.deepEqual(t[0], ['NAME', 'WEBHOOKS', 'AGE']);
    assert.deepEqual(t[1].slice(0, 2), ['validator', '2']);
    assert.match(kc(n, ['get', 'api-extensions']), /mutatingwebhookconfiguration.admissionregistration.k8s.io\/mutator/);
  });

  it('validates webhooks: names, sideEffects and admissionReviewVersions required, one client, timeouts', async () => {
    const s = await body(raw(n, 'POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', json({
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'bad' },
      webhooks: [
        { name: 'short', clientConfig: { url: 'http://x.example.com/?q=1' }, timeoutSeconds: 31 },
        { ...webhook('dup.example.com'), sideEffects: 'Some' },
        webhook('dup.example.com', { clientConfig: {} }),
      ],
    })), 422);
    assert.deepEqual(s.details.causes.map((c: any) => `${c.field}: ${c.message}`), [
      'webhooks[0].name: Invalid value: "short": should be a domain with at least three segments separated by dots',
      'webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun',
      'webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds',
      'webhooks[0].clientConfig.url: Invalid value: "http": \'https\' is the only allowed URL scheme; desired format: https://host[/path]',
      'webhooks[0].clientConfig.url: Invalid value: "q=1": query parameters are not permitted in the URL',
      'webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1',
      'webhooks[1].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"',
      'webhooks[2].clientConfig: Required value: exactly one of url or service is required',
      'webhooks[2].name: Duplicate value: "dup.example.com"',
    ]);
  });

  it('ValidatingAdmissionPolicy and its binding: defaults, an empty status on create, validation, columns', async () => {
    const p = await body(raw(n, 'POST', '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies', json({
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: 'replicas' },
      spec: {
        paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
        matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'] }] },
        validations: [{ expression: 'object.spec.replicas <= 5' }],
      },
      status: { observedGeneration: 7 },
    })), 201);
    assert.equal(p.spec.failurePolicy, 'Fail');
    assert.deepEqual(p.spec.matchConstraints, { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'], scope: '*' }], matchPolicy: 'Equivalent', namespaceSelector: {}, objectSelector: {} });
    assert.deepEqual(p.status, {});
    kc(n, ['create', '-f', '-'], json({
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: 'replicas-binding' },
      spec: { policyName: 'replicas', validationActions: ['Deny'], paramRef: { name: 'limits', namespace: 'default', parameterNotFoundAction: 'Deny' } },
    }));
    assert.deepEqual(table(kc(n, ['get', 'validatingadmissionpolicies']))[1].slice(0, 3), ['replicas', '1', 'v1/ConfigMap']);
    assert.deepEqual(table(kc(n, ['get', 'validatingadmissionpolicybindings']))[1].slice(0, 3), ['replicas-binding', 'replicas', 'default/limits']);
    const bad = await body(raw(n, 'POST', '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings', json({
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: 'bad' },
      spec: { validationActions: ['Deny', 'Warn'], paramRef: { parameterNotFoundAction: 'Maybe' } },
    })), 422);
    assert.deepEqual(bad.details.causes.map((c: any) => `${c.field}: ${c.message}`), [
      'spec.policyName: Required value',
      'spec.paramRef: Required value: one of name or selector must be specified',
      'spec.paramRef.parameterNotFoundAction: Unsupported value: "Maybe": supported values: "Deny", "Allow"',
      'spec.validationActions: Invalid value: []admissionregistration.ValidationAction{"Deny", "Warn"}: must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)',
    ]);
    const noRules = await body(raw(n, 'POST', '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies', json({
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: 'empty' }, spec: {},
    })), 422);
    assert.equal(noRules.message, 'ValidatingAdmissionPolicy.admissionregistration.k8s.io "empty" is invalid: [spec.matchConstraints: Required value, spec.validations: Required value: validations or auditAnnotations must contain at least one item, spec.auditAnnotations: Required value: validations or auditAnnotations must contain at least one item]');
  });
});

describe('API Priority and Fairness, APIServices', () => {
  it('has the mandatory exempt and catch-all configuration, with the FlowSchemas\' Dangling condition, in precedence order', async () => {
    const fs = table(kc(n, ['get', 'flowschemas']));
    assert.deepEqual(fs[0], ['NAME', 'PRIORITYLEVEL', 'MATCHINGPRECEDENCE', 'DISTINGUISHERMETHOD', 'AGE', 'MISSINGPL']);
    assert.deepEqual(fs.slice(1).map((r) => [r[0], r[1], r[2], r[3], r[5]]), [['exempt', 'exempt', '1', '<none>', 'False'], ['catch-all', 'catch-all', '10000', 'ByUser', 'False']]);
    const pl = table(kc(n, ['get', 'prioritylevelconfigurations']));
    assert.deepEqual(pl[0], ['NAME', 'TYPE', 'NOMINALCONCURRENCYSHARES', 'QUEUES', 'HANDSIZE', 'QUEUELENGTHLIMIT', 'AGE']);
    assert.deepEqual(pl.slice(1).map((r) => r.slice(0, 6)), [['catch-all', 'Limited', '5', '<none>', '<none>', '<none>'], ['exempt', 'Exempt', '<none>', '<none>', '<none>', '<none>']]);
    const exempt = getJson(['get', 'flowschema', 'exempt']);
    assert.equal(exempt.metadata.annotations['apf.kubernetes.io/autoupdate-spec'], 'true');
    assert.deepEqual(exempt.spec.rules[0].subjects, [{ kind: 'Group', group: { name: 'system:masters' } }]);
    assert.deepEqual({ ...exempt.status.conditions[0], lastTransitionTime: 'T' }, {
      type: 'Dangling', status: 'False', lastTransitionTime: 'T', reason: 'Found', message: 'This FlowSchema references the PriorityLevelConfiguration object named "exempt" and it exists',
    });
    // A FlowSchema naming a priority level that does not exist is dangling until it is made.
    kc(n, ['create', '-f', '-'], json({
      apiVersion: 'flowcontrol.apiserver.k8s.io/v1', kind: 'FlowSchema', metadata: { name: 'batch' },
      spec: { priorityLevelConfiguration: { name: 'batch-level' }, distinguisherMethod: { type: 'ByNamespace' }, rules: [{ subjects: [{ kind: 'ServiceAccount', serviceAccount: { name: '*', namespace: 'batch' } }], resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'], namespaces: ['*'] }] }] },
    }));
    assert.equal(getJson(['get', 'flowschema', 'batch']).spec.matchingPrecedence, 1000);
    await waitFor('batch dangling', () => /batch\s+batch-level\s+1000\s+ByNamespace\s+\S+\s+True/.test(kc(n, ['get', 'flowschemas'])));
    kc(n, ['create', '-f', '-'], json({ apiVersion: 'flowcontrol.apiserver.k8s.io/v1', kind: 'PriorityLevelConfiguration', metadata: { name: 'batch-level' }, spec: { type: 'Limited', limited: { limitResponse: { type: 'Queue', queuing: {} } } } }));
    const level = getJson(['get', 'prioritylevelconfiguration', 'batch-level']);
    assert.deepEqual(level.spec.limited, { nominalConcurrencyShares: 30, lendablePercent: 0, limitResponse: { type: 'Queue', queuing: { handSize: 8, queues: 64, queueLengthLimit: 50 } } });
    await waitFor('batch found', () => getJson(['get', 'flowschema', 'batch']).status.conditions?.[0]?.reason === 'Found');
    // The mandatory objects keep their fixed spec; only the exempt level's own settings may change.
    const fixed = await body(raw(n, 'PATCH', '/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas/exempt', json({ spec: { matchingPrecedence: 2 } }), { 'content-type': 'application/merge-patch+json' }), 422);
    assert.equal(fixed.message, 'FlowSchema.flowcontrol.apiserver.k8s.io "exempt" is invalid: spec: Invalid value: flowcontrol.FlowSchemaSpec{…}: spec of \'exempt\' must equal the fixed value');
    assert.equal(fixed.details.causes[0].message, "Invalid value: flowcontrol.FlowSchemaSpec{…}: spec of 'exempt' must equal the fixed value");
    kc(n, ['patch', 'prioritylevelconfiguration', 'exempt', '--type=merge', '-p', json({ spec: { exempt: { lendablePercent: 10 } } })]);
    assert.equal(getJson(['get', 'prioritylevelconfiguration', 'exempt']).spec.exempt.lendablePercent, 10);
    const bad = await body(raw(n, 'POST', '/apis/flowcontrol.apiserver.k8s.io/v1/prioritylevelconfigurations', json({
      apiVersion: 'flowcontrol.apiserver.k8s.io/v1', kind: 'PriorityLevelConfiguration', metadata: { name: 'exempt-ish' },
      spec: { type: 'Exempt', limited: { limitResponse: { type: 'Reject' } } },
    })), 422);
    assert.deepEqual(bad.details.causes.map((c: any) => `${c.field}: ${c.message}`), [
      'spec.type: Invalid value: "Exempt": type must be \'Exempt\' if and only if name is \'exempt\'',
      'spec.limited: Forbidden: must be nil if the type is not Limited',
    ]);
  });

  it('lists a Local, available APIService per served group-version and registers CRD groups', async () => {
    const t = table(kc(n, ['get', 'apiservices']));
    assert.deepEqual(t[0], ['NAME', 'SERVICE', 'AVAILABLE', 'AGE']);
    const names = t.slice(1).map((r) => r[0]);
    for (const want of ['v1.', 'v1.apps', 'v1.rbac.authorization.k8s.io', 'v1.networking.k8s.io', 'v1.certificates.k8s.io', 'v1.flowcontrol.apiserver.k8s.io']) assert.ok(names.includes(want), `${want} in ${names}`);
    assert.ok(t.slice(1).every((r) => r[1] === 'Local' && r[2] === 'True'));
    const apps = getJson(['get', 'apiservice', 'v1.apps']);
    assert.deepEqual(apps.spec, { group: 'apps', version: 'v1', groupPriorityMinimum: 17800, versionPriority: 15 });
    assert.equal(apps.metadata.labels['kube-aggregator.kubernetes.io/automanaged'], 'onstart');
    assert.deepEqual({ ...apps.status.conditions[0], lastTransitionTime: 'T' }, { type: 'Available', status: 'True', lastTransitionTime: 'T', reason: 'Local', message: 'Local APIServices are always available' });
    kc(n, ['apply', '-f', '-'], json({
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.com' },
      spec: { group: 'example.com', scope: 'Namespaced', names: { plural: 'widgets', kind: 'Widget' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
    }));
    await waitFor('v1.example.com', () => kubectl(n, ['get', 'apiservice', 'v1.example.com']).code === 0);
    const crd = getJson(['get', 'apiservice', 'v1.example.com']);
    assert.deepEqual([crd.spec.groupPriorityMinimum, crd.spec.versionPriority, crd.metadata.labels['kube-aggregator.kubernetes.io/automanaged']], [1000, 100, 'true']);
    kc(n, ['delete', 'crd', 'widgets.example.com']);
    await waitFor('v1.example.com gone', () => kubectl(n, ['get', 'apiservice', 'v1.example.com']).code !== 0);
    const bad = await body(raw(n, 'POST', '/apis/apiregistration.k8s.io/v1/apiservices', json({
      apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name: 'v1.metrics.example.com' },
      spec: { group: 'metrics.example.io', version: 'v1', groupPriorityMinimum: 0, versionPriority: 15, service: { namespace: 'default' } },
    })), 422);
    assert.deepEqual(bad.details.causes.map((c: any) => `${c.field}: ${c.message}`), [
      'metadata.name: Invalid value: "v1.metrics.example.com": must be `spec.version+"."+spec.group`: "v1.metrics.example.io"',
      'spec.groupPriorityMinimum: Invalid value: 0: must be positive and less than 20000',
      'spec.service.name: Required value',
    ]);
  });
});
