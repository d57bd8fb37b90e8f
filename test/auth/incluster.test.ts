// In-cluster credentials of process-runtime pods (docs/auth.md, "In-cluster
// clients"): the kube-api-access volume's token is a real pod-bound token the
// kubelet asked the TokenRequest API for, with the cluster CA and the
// namespace beside it and the API server's address in KUBERNETES_SERVICE_HOST
// and _PORT, so a process in the pod reaches its own cluster's API (a second
// cluster's too: incluster-clients.test.ts) as its ServiceAccount, with
// kubectl and, where pods run in Linux namespaces, kubectl and the Python
// client with nothing passed (client-node's loader: incluster-clients.test.ts);
// a projected token for another audience is that audience's; token
// projections are validated as kube-apiserver does. The token manager's
// refresh: tokenmanager.test.ts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, kubectl, processPods, raw, startCli, waitFor, type Running } from '../helpers/nodeless.js';
import { claimsOf, finished, podYaml, WHOAMI } from './incluster-helpers.js';

const ISSUER = 'https://kubernetes.default.svc.cluster.local';

describe('process-runtime pods reach the API as their ServiceAccount', () => {
  let n: Running;
  before(async () => { n = await startCli(undefined, ['--allow-process-runtime']); });
  after(async () => { await n?.stop(); });

  it('the kube-api-access volume: a pod-bound token, the CA, the namespace; KUBERNETES_SERVICE_HOST/PORT reach the API server', async () => {
    kc(n, ['apply', '-f', '-'], podYaml('whoami', WHOAMI));
    const { line, who } = await finished(n, 'whoami');
    const pod = JSON.parse(kc(n, ['get', 'pod', 'whoami', '-o', 'json']));
    assert.equal(line('ns'), 'default');
    const port = new URL(n.url).port;
    assert.equal(line('endpoint'), `127.0.0.1:${port} tcp://127.0.0.1:${port}`);
    assert.equal(who.username, 'system:serviceaccount:default:default');
    assert.deepEqual(who.groups, ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated']);
    assert.deepEqual(who.extra['authentication.kubernetes.io/pod-name'], ['whoami']);
    assert.deepEqual(who.extra['authentication.kubernetes.io/pod-uid'], [pod.metadata.uid]);
    assert.deepEqual(who.extra['authentication.kubernetes.io/node-name'], [pod.spec.nodeName]);
    // kube-apiserver's safe transition for the 3607 s the admission plugin asks for: a year, warnafter at the hour.
    const c = claimsOf(line('token')!);
    assert.deepEqual(c.aud, [ISSUER]);
    assert.equal(c.exp - c.iat, 365 * 24 * 3600);
    assert.equal(c['kubernetes.io'].warnafter, c.iat + 3607);
    assert.deepEqual(c['kubernetes.io'].pod, { name: 'whoami', uid: pod.metadata.uid });
    // The token dies with its pod.
    kc(n, ['delete', 'pod', 'whoami', '--grace-period', '0', '--force']);
    await waitFor('the pod gone', () => kubectl(n, ['get', 'pod', 'whoami']).code !== 0);
    assert.equal((await raw({ ...n, token: line('token')! }, 'GET', '/api/v1/namespaces/default/pods')).status, 401);
  });

  it('in Linux namespaces, in-cluster clients need nothing passed: kubectl and the Python client find /var/run/secrets/kubernetes.io/serviceaccount', async (t) => {
    if (processPods(n) === 'fallback') { t.skip('process pods run without Linux namespaces on this machine: the fixed path is under $NODELESS_ROOT'); return; }
    // No kubeconfig: kubectl takes the in-cluster config (KUBERNETES_SERVICE_HOST/PORT, the token and CA at the fixed path).
    const py = 'from kubernetes import client, config; config.load_incluster_config(); '
      + 'r = client.AuthorizationV1Api().create_self_subject_access_review(client.V1SelfSubjectAccessReview(spec=client.V1SelfSubjectAccessReviewSpec('
      + 'resource_attributes=client.V1ResourceAttributes(verb="get", resource="serviceaccounts", namespace="default")))); print("python-allowed=" + str(r.status.allowed))';
    kc(n, ['apply', '-f', '-'], podYaml('plain', '', {
      containers: [{
        name: 'main', image: 'busybox', env: [{ name: 'KUBECONFIG', value: '/nonexistent' }],
        command: ['sh', '-c', `/usr/bin/python3 -c '${py}' && kubectl auth whoami -o json`],
      }],
    }));
    const { line, who } = await finished(n, 'plain');
    assert.equal(who.username, 'system:serviceaccount:default:default');
    assert.deepEqual(who.extra['authentication.kubernetes.io/pod-name'], ['plain']);
    // The Python client was answered as the account (RBAC grants it nothing on serviceaccounts).
    assert.equal(line('python-allowed'), 'False');
  });

  it('a projected token for another audience is that audience\'s, not the API server\'s', async () => {
    kc(n, ['create', 'serviceaccount', 'vault-client']);
    kc(n, ['apply', '-f', '-'], podYaml('vault', 'cat $NODELESS_ROOT/var/run/secrets/vault/token', {
      serviceAccountName: 'vault-client',
      containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'cat $NODELESS_ROOT/var/run/secrets/vault/token'], volumeMounts: [{ name: 'vault-token', mountPath: '/var/run/secrets/vault' }] }],
      volumes: [{ name: 'vault-token', projected: { sources: [{ serviceAccountToken: { audience: 'vault', expirationSeconds: 600, path: 'token' } }] } }],
    }));
    await waitFor('vault finished', () => kc(n, ['get', 'pod', 'vault', '-o', 'jsonpath={.status.phase}']) === 'Succeeded', 90_000);
    const token = kc(n, ['logs', 'vault']).trim();
    const c = claimsOf(token);
    assert.deepEqual(c.aud, ['vault']);
    assert.equal(c.exp - c.iat, 600, 'asked for 600 s, not extended: not the API server\'s audience');
    const review = (audiences?: string[]) => JSON.parse(kc(n, ['create', '-o', 'json', '-f', '-'], JSON.stringify({
      apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(audiences ? { audiences } : {}) },
    }))).status;
    const forVault = review(['vault']);
    assert.equal(forVault.authenticated, true);
    assert.equal(forVault.user.username, 'system:serviceaccount:default:vault-client');
    assert.deepEqual(forVault.audiences, ['vault']);
    assert.match(review().error, /token audiences \["vault"\] is invalid for the target audiences \["https:\/\/kubernetes\.default\.svc\.cluster\.local"\]/);
    assert.equal((await raw({ ...n, token }, 'GET', '/api/v1/namespaces/default/pods')).status, 401);
  });

  it('a token projection is defaulted and checked as kube-apiserver does', () => {
    const projected = (name: string, tp: Record<string, unknown>) => JSON.stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: { name },
      spec: { containers: [{ name: 'main', image: 'busybox' }], volumes: [{ name: 'tok', projected: { sources: [{ serviceAccountToken: tp }] } }] },
    });
    const bad = kubectl(n, ['create', '-f', '-'], projected('short', { path: 'token', expirationSeconds: 60 }));
    assert.equal(bad.stderr.trim(), 'The Pod "short" is invalid: spec.volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes');
    const noPath = kubectl(n, ['create', '-f', '-'], projected('nopath', { audience: 'x' }));
    assert.equal(noPath.stderr.trim(), 'The Pod "nopath" is invalid: spec.volumes[0].projected.path: Required value');
    const made = JSON.parse(kc(n, ['create', '-o', 'json', '-f', '-'], projected('defaulted', { path: 'token' })));
    assert.deepEqual(made.spec.volumes[0].projected, { defaultMode: 420, sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }] });
  });
});
