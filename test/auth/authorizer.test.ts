// The pieces of authorization on their own: kube's RequestInfo from a method and path,
// the RBAC rule resolver and its reasons, impersonation refused for a requestor who
// may not impersonate (a second identity over HTTPS needs the users of issue 17's
// authentication), and the escalation check's words.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { requestInfo } from '../../src/apiserver/auth/requestinfo.js';
import { RbacAuthorizer, escalationMessage, uncovered, type RbacObjects } from '../../src/apiserver/auth/rbac.js';
import { impersonate } from '../../src/apiserver/auth/impersonation.js';
import { DecisionCache, UnionAuthorizer, PrivilegedGroupAuthorizer } from '../../src/apiserver/auth/authorizer.js';
import { NodeAuthorizer, nodeUser, podRefs } from '../../src/apiserver/auth/node.js';
import { StatusError } from '../../src/apiserver/status.js';

describe('RequestInfo', () => {
  const table: [string, string, Partial<ReturnType<typeof requestInfo>>][] = [
    ['GET /api/v1/namespaces/ns/pods', '', { verb: 'list', resource: 'pods', namespace: 'ns', name: '' }],
    ['GET /api/v1/namespaces/ns/pods', 'watch=true', { verb: 'watch', resource: 'pods' }],
    ['GET /api/v1/namespaces/ns/pods', 'watch=false', { verb: 'list' }],
    ['GET /api/v1/namespaces/ns/pods', 'fieldSelector=metadata.name%3Dp1', { verb: 'list', name: 'p1' }],
    ['GET /api/v1/namespaces/ns/pods/p1', '', { verb: 'get', name: 'p1' }],
    ['HEAD /api/v1/namespaces/ns/pods/p1', '', { verb: 'get' }],
    ['GET /api/v1/namespaces/ns/pods/p1/log', '', { verb: 'get', subresource: 'log' }],
    ['POST /api/v1/namespaces/ns/pods/p1/exec', '', { verb: 'create', subresource: 'exec' }],
    ['GET /api/v1/namespaces/ns/pods/p1/proxy/a/b', '', { verb: 'get', subresource: 'proxy', name: 'p1' }],
    ['GET /api/v1/proxy/namespaces/ns/pods/p1/x', '', { verb: 'proxy', resource: 'pods', name: 'p1', subresource: '' }],
    ['GET /api/v1/watch/namespaces/ns/pods', '', { verb: 'watch', resource: 'pods', namespace: 'ns' }],
    ['DELETE /api/v1/namespaces/ns/pods', '', { verb: 'deletecollection' }],
    ['DELETE /api/v1/namespaces/ns/pods/p1', '', { verb: 'delete' }],
    ['PUT /api/v1/namespaces/ns/finalize', '', { verb: 'update', resource: 'namespaces', name: 'ns', subresource: 'finalize', namespace: 'ns' }],
    ['GET /api/v1/namespaces/ns', '', { verb: 'get', resource: 'namespaces', name: 'ns', namespace: 'ns' }],
    ['GET /api/v1/nodes', '', { verb: 'list', resource: 'nodes', namespace: '' }],
    ['PATCH /apis/apps/v1/namespaces/ns/deployments/d/scale', '', { verb: 'patch', apiGroup: 'apps', apiVersion: 'v1', resource: 'deployments', subresource: 'scale' }],
    ['GET /apis/apps/v1', '', { isResourceRequest: false, verb: 'get', path: '/apis/apps/v1' }],
    ['GET /api/v1', '', { isResourceRequest: false }],
    ['POST /healthz', '', { isResourceRequest: false, verb: 'post', path: '/healthz' }],
  ];
  for (const [req, q, want] of table) {
    it(`${req}${q ? '?' + q : ''}`, () => {
      const [method, p] = req.split(' ');
      const got = requestInfo(method, p, new URLSearchParams(q));
      assert.deepEqual(Object.fromEntries(Object.keys(want).map((k) => [k, (got as any)[k]])), want);
      if (want.isResourceRequest === undefined) assert.equal(got.isResourceRequest, true);
    });
  }
});

const objects = (o: Partial<RbacObjects>): RbacObjects => ({ roles: [], clusterRoles: [], roleBindings: [], clusterRoleBindings: [], ...o });
const clusterRole = (name: string, rules: object[]) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules }) as any;
const crb = (name: string, role: string, subjects: object[]) => ({ metadata: { name }, roleRef: { kind: 'ClusterRole', name: role }, subjects }) as any;

describe('impersonation', () => {
  const rbac = new RbacAuthorizer(async () => objects({
    clusterRoles: [clusterRole('as-users', [{ apiGroups: [''], resources: ['users'], verbs: ['impersonate'], resourceNames: ['alice'] }])],
    clusterRoleBindings: [crb('bob', 'as-users', [{ kind: 'User', name: 'bob' }])],
  }));
  const authz = new UnionAuthorizer([new PrivilegedGroupAuthorizer(), rbac]);
  const bob = { username: 'bob', groups: ['system:authenticated'] };
  const refused = async (headers: Record<string, string[]>, message: string) => {
    await assert.rejects(impersonate(headers, bob, (a) => authz.authorize(a)), (e: unknown) => e instanceof StatusError && e.code === 403 && e.message === message);
  };

  it('acts as the user the requestor may impersonate', async () => {
    assert.deepEqual(await impersonate({ 'impersonate-user': ['alice'] }, bob, (a) => authz.authorize(a)), { username: 'alice', groups: ['system:authenticated'] });
  });

  it('refuses users, groups, service accounts, uids and extras with kube-apiserver\'s 403', async () => {
    await refused({ 'impersonate-user': ['carol'] }, 'users "carol" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope');
    await refused({ 'impersonate-user': ['alice'], 'impersonate-group': ['admins'] }, 'groups "admins" is forbidden: User "bob" cannot impersonate resource "groups" in API group "" at the cluster scope');
    await refused({ 'impersonate-user': ['system:serviceaccount:ns:robot'] }, 'serviceaccounts "robot" is forbidden: User "bob" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "ns"');
    await refused({ 'impersonate-user': ['alice'], 'impersonate-uid': ['7'] }, 'uids.authentication.k8s.io "7" is forbidden: User "bob" cannot impersonate resource "uids" in API group "authentication.k8s.io" at the cluster scope');
    await refused({ 'impersonate-user': ['alice'], 'impersonate-extra-scopes': ['x'] }, 'userextras.authentication.k8s.io "x" is forbidden: User "bob" cannot impersonate resource "userextras/scopes" in API group "authentication.k8s.io" at the cluster scope');
  });
});

describe('RBAC decisions', () => {
  it('reasons: allowed by a binding, a missing role named, cached until invalidated', async () => {
    let loads = 0;
    let roles = [clusterRole('r', [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }])];
    const rbac = new RbacAuthorizer(async () => {
      loads++;
      return objects({ clusterRoles: roles, clusterRoleBindings: [crb('b', 'r', [{ kind: 'Group', name: 'g' }]), crb('gone', 'missing', [{ kind: 'Group', name: 'g' }])] });
    });
    const cache = new DecisionCache(rbac);
    const u = { username: 'u', groups: ['g'] };
    const a = { user: u, verb: 'get', resourceRequest: true, apiGroup: '', resource: 'pods', namespace: 'ns', name: 'p' };
    assert.deepEqual(await cache.authorize(a), { decision: 'Allow', reason: 'RBAC: allowed by ClusterRoleBinding "b" of ClusterRole "r" to Group "g"' });
    assert.deepEqual(await cache.authorize({ ...a, verb: 'delete' }), { decision: 'NoOpinion', reason: 'RBAC: clusterrole.rbac.authorization.k8s.io "missing" not found' });
    await cache.authorize(a);
    assert.equal(loads, 1);
    roles = [];
    rbac.invalidate();
    cache.clear();
    assert.equal((await cache.authorize(a)).decision, 'NoOpinion');
    assert.equal(loads, 2);
  });

  it('the escalation check lists what is not held, compacted', () => {
    const missing = uncovered([{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }], [{ apiGroups: [''], resources: ['pods', 'secrets'], verbs: ['get', 'list'] }]);
    assert.equal(escalationMessage({ username: 'lead', groups: ['system:authenticated'] }, missing),
      'user "lead" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
      '{APIGroups:[""], Resources:["pods"], Verbs:["list"]}\n{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}');
    assert.deepEqual(uncovered([{ apiGroups: ['*'], resources: ['*/scale'], verbs: ['get'] }], [{ apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['get'] }]), []);
  });
});

describe('the Node authorizer', () => {
  const pod = { metadata: { name: 'p', namespace: 'ns' }, spec: { nodeName: 'n1', volumes: [{ name: 'v', secret: { secretName: 's1' } }], containers: [{ envFrom: [{ configMapRef: { name: 'c1' } }] }] } } as any;
  const node = new NodeAuthorizer(async (n, ns) => (n === 'n1' && ns === 'ns' ? [podRefs(pod)] : []));
  const a = (verb: string, resource: string, name: string, extra: object = {}) => ({ user: nodeUser('n1'), verb, resourceRequest: true, apiGroup: '', resource, namespace: 'ns', name, ...extra });

  it('lets a kubelet read what its pods use, and nothing else', async () => {
    assert.equal((await node.authorize(a('get', 'secrets', 's1'))).decision, 'Allow');
    assert.equal((await node.authorize(a('get', 'configmaps', 'c1'))).decision, 'Allow');
    assert.deepEqual(await node.authorize(a('get', 'secrets', 's2')), { decision: 'NoOpinion', reason: "no relationship found between node 'n1' and this object", volatile: true });
    assert.equal((await node.authorize(a('update', 'secrets', 's1'))).reason, 'can only read resources of this type');
    assert.equal((await node.authorize(a('update', 'pods', 'p', { subresource: 'status' }))).decision, 'Allow');
    assert.equal((await node.authorize(a('update', 'deployments', 'd', { apiGroup: 'apps' }))).decision, 'NoOpinion');
    assert.equal((await node.authorize({ ...a('update', 'leases', 'n2'), apiGroup: 'coordination.k8s.io', namespace: 'kube-node-lease' })).reason, 'can only access node lease with the same name as the requesting node');
    assert.equal((await node.authorize({ user: { username: 'alice', groups: [] }, verb: 'get', resourceRequest: true, resource: 'secrets', namespace: 'ns', name: 's1' })).decision, 'NoOpinion');
  });
});
