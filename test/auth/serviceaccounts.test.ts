// ServiceAccounts around pods, through the real kubectl and raw HTTPS: the
// ServiceAccount admission plugin (the default account, the projected
// kube-api-access volume as `kubectl get pod -o yaml` shows it, the opt-outs,
// refusals in kube-apiserver's words), the root CA publisher's
// kube-root-ca.crt in every namespace, and the legacy token Secrets the token
// controller fills and removes. docs/auth.md.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import YAML from 'yaml';
import { getObject, kc, kubectl, raw, startCli, waitFor, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => { n = await startCli(undefined, []); });
after(async () => { await n?.stop(); });

const getJson = (args: string[]) => JSON.parse(kc(n, [...args, '-o', 'json']));
/**
 * Waits until `test` holds for the object at `path` (undefined once it is gone), one API GET per look (a kubectl
 * per look costs ~50 ms of CPU); then `kubectl get …` must show it too, and what kubectl read is handed back.
 */
const until = (what: string, path: string, get: string[], test: (o: any) => unknown) => waitFor(what, async () => {
  if (!test(await getObject(n, path))) return undefined;
  const r = kubectl(n, [...get, '-o', 'json']);
  const o = r.code === 0 ? JSON.parse(r.stdout) : undefined;
  return test(o) && (o ?? true);
});
const rootCA = (ns: string) => `/api/v1/namespaces/${ns}/configmaps/kube-root-ca.crt`;
const secret = (name: string) => `/api/v1/namespaces/default/secrets/${name}`;
const podYaml = (name: string, spec: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
${spec}`;
const b64d = (s: string) => Buffer.from(s, 'base64').toString('utf8');

describe('ServiceAccount admission', () => {
  it('a pod runs as `default` and mounts the projected kube-api-access volume in every container', () => {
    kc(n, ['apply', '-f', '-'], podYaml('two', `
  initContainers: [{name: init, image: busybox}]
  containers:
  - {name: a, image: nginx}
  - {name: b, image: nginx}`));
    const pod = YAML.parse(kc(n, ['get', 'pod', 'two', '-o', 'yaml']));
    assert.equal(pod.spec.serviceAccountName, 'default');
    const vols = pod.spec.volumes;
    assert.equal(vols.length, 1);
    assert.match(vols[0].name, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.deepEqual(vols[0].projected, {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { items: [{ key: 'ca.crt', path: 'ca.crt' }], name: 'kube-root-ca.crt' } },
        { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } },
      ],
    });
    for (const c of [...pod.spec.initContainers, ...pod.spec.containers]) {
      assert.deepEqual(c.volumeMounts, [{ mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', name: vols[0].name, readOnly: true }], c.name);
    }
  });

  it('a container that mounts something at the token path keeps it; an existing kube-api-access volume is reused', () => {
    kc(n, ['apply', '-f', '-'], podYaml('own', `
  containers:
  - name: a
    image: nginx
    volumeMounts: [{name: mine, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}]
  - {name: b, image: nginx}
  volumes:
  - {name: mine, emptyDir: {}}
  - name: kube-api-access-abcde
    projected: {sources: [{serviceAccountToken: {path: token}}]}`));
    const pod = getJson(['get', 'pod', 'own']);
    assert.deepEqual(pod.spec.volumes.map((v: any) => v.name), ['mine', 'kube-api-access-abcde']);
    assert.deepEqual(pod.spec.containers[0].volumeMounts, [{ name: 'mine', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
    assert.deepEqual(pod.spec.containers[1].volumeMounts, [{ name: 'kube-api-access-abcde', readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
  });

  it('automountServiceAccountToken: false on the pod, or on its account, mounts nothing; the pod\'s choice wins', () => {
    kc(n, ['apply', '-f', '-'], podYaml('nomount', `
  automountServiceAccountToken: false
  containers: [{name: a, image: nginx}]`));
    assert.equal(getJson(['get', 'pod', 'nomount']).spec.volumes, undefined);
    kc(n, ['apply', '-f', '-'], 'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: quiet}\nautomountServiceAccountToken: false\n');
    kc(n, ['run', 'quiet', '--image', 'nginx', '--overrides', JSON.stringify({ spec: { serviceAccountName: 'quiet' } })]);
    assert.equal(getJson(['get', 'pod', 'quiet']).spec.volumes, undefined);
    kc(n, ['run', 'loud', '--image', 'nginx', '--overrides', JSON.stringify({ spec: { serviceAccountName: 'quiet', automountServiceAccountToken: true } })]);
    assert.equal(getJson(['get', 'pod', 'loud']).spec.volumes.length, 1);
  });

  it('refuses a pod whose account does not exist, in kube-apiserver\'s words', async () => {
    const r = kubectl(n, ['run', 'ghostly', '--image', 'nginx', '--overrides', JSON.stringify({ spec: { serviceAccountName: 'ghost' } })]);
    assert.notEqual(r.code, 0);
    assert.equal(r.stderr.trim(), 'Error from server (Forbidden): pods "ghostly" is forbidden: error looking up service account default/ghost: serviceaccount "ghost" not found');
    const gen = await raw(n, 'POST', '/api/v1/namespaces/default/pods', JSON.stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'gen-' }, spec: { serviceAccountName: 'ghost', containers: [{ name: 'a', image: 'nginx' }] },
    }));
    assert.equal(gen.status, 403);
    assert.deepEqual(JSON.parse(gen.body).details, { name: 'gen-', kind: 'pods' });
    // A dry run is refused the same way.
    assert.match(kubectl(n, ['run', 'dry', '--image', 'nginx', '--dry-run=server', '--overrides', JSON.stringify({ spec: { serviceAccountName: 'ghost' } })]).stderr, /serviceaccount "ghost" not found/);
  });

  it('a pod in a namespace made a moment ago waits for its default account', () => {
    // One apply: the namespace, then at once a pod in it (the account is made by the controller meanwhile).
    kc(n, ['apply', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata: {name: fresh}\n---\n' + podYaml('first', '  containers: [{name: a, image: nginx}]').replace('metadata: {name: first}', 'metadata: {name: first, namespace: fresh}'));
    assert.equal(getJson(['get', 'pod', 'first', '-n', 'fresh']).spec.serviceAccountName, 'default');
  });

  it('the account\'s image pull secrets become the pod\'s when it has none', () => {
    kc(n, ['apply', '-f', '-'], 'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: puller}\nimagePullSecrets: [{name: registry}]\n');
    kc(n, ['run', 'pulled', '--image', 'nginx', '--overrides', JSON.stringify({ spec: { serviceAccountName: 'puller' } })]);
    assert.deepEqual(getJson(['get', 'pod', 'pulled']).spec.imagePullSecrets, [{ name: 'registry' }]);
  });

  it('kubernetes.io/enforce-mountable-secrets limits a pod to the secrets its account lists', () => {
    kc(n, ['apply', '-f', '-'], `apiVersion: v1
kind: ServiceAccount
metadata: {name: strict, annotations: {kubernetes.io/enforce-mountable-secrets: "true"}}
secrets: [{name: allowed}]
`);
    const vol = kubectl(n, ['apply', '-f', '-'], podYaml('strict-vol', `
  serviceAccountName: strict
  containers: [{name: a, image: nginx}]
  volumes: [{name: s, secret: {secretName: other}}]`));
    assert.match(vol.stderr, /pods "strict-vol" is forbidden: volume with secret.secretName="other" is not allowed because service account strict does not reference that secret/);
    const env = kubectl(n, ['apply', '-f', '-'], podYaml('strict-env', `
  serviceAccountName: strict
  containers:
  - name: a
    image: nginx
    env: [{name: PASSWORD, valueFrom: {secretKeyRef: {name: other, key: p}}}]`));
    assert.match(env.stderr, /pods "strict-env" is forbidden: container a with envVar PASSWORD referencing secret.secretName="other" is not allowed because service account strict does not reference that secret/);
    kc(n, ['apply', '-f', '-'], podYaml('strict-ok', `
  serviceAccountName: strict
  containers: [{name: a, image: nginx}]
  volumes: [{name: s, secret: {secretName: allowed}}]`));
  });
});

describe('the root CA publisher', () => {
  it('puts kube-root-ca.crt with the cluster CA in every namespace, new ones too, and puts it back when deleted or edited', async () => {
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      const cm = await until(`kube-root-ca.crt in ${ns}`, rootCA(ns), ['get', 'cm', 'kube-root-ca.crt', '-n', ns], (o) => o);
      assert.deepEqual(cm.data, { 'ca.crt': n.ca });
      assert.equal(cm.metadata.annotations['kubernetes.io/description'], 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.');
    }
    kc(n, ['create', 'namespace', 'team']);
    await until('kube-root-ca.crt in team', rootCA('team'), ['get', 'cm', 'kube-root-ca.crt', '-n', 'team'], (o) => o);
    const before = getJson(['get', 'cm', 'kube-root-ca.crt', '-n', 'team']).metadata.uid;
    kc(n, ['delete', 'cm', 'kube-root-ca.crt', '-n', 'team']);
    await until('kube-root-ca.crt made again', rootCA('team'), ['get', 'cm', 'kube-root-ca.crt', '-n', 'team'], (o) => o && o.metadata.uid !== before);
    kc(n, ['patch', 'cm', 'kube-root-ca.crt', '-n', 'team', '--type', 'merge', '-p', '{"data":{"ca.crt":"not a CA","extra":"x"}}']);
    await until('kube-root-ca.crt restored', rootCA('team'), ['get', 'cm', 'kube-root-ca.crt', '-n', 'team'], (o) => JSON.stringify(o?.data) === JSON.stringify({ 'ca.crt': n.ca }));
  });
});

describe('legacy ServiceAccount token Secrets', () => {
  const tokenSecret = (name: string, sa: string) => `apiVersion: v1
kind: Secret
metadata: {name: ${name}, annotations: {kubernetes.io/service-account.name: ${sa}}}
type: kubernetes.io/service-account-token
`;

  it('are filled by the token controller: a token kubectl can use, the CA, the namespace, the account\'s uid', async () => {
    kc(n, ['create', 'serviceaccount', 'legacy']);
    const uid = getJson(['get', 'sa', 'legacy']).metadata.uid;
    kc(n, ['apply', '-f', '-'], tokenSecret('legacy-token', 'legacy'));
    const s = await until('the token filled', secret('legacy-token'), ['get', 'secret', 'legacy-token'], (o) => o?.data?.token);
    assert.deepEqual(Object.keys(s.data).sort(), ['ca.crt', 'namespace', 'token']);
    assert.equal(b64d(s.data['ca.crt']), n.ca);
    assert.equal(b64d(s.data.namespace), 'default');
    assert.equal(s.metadata.annotations['kubernetes.io/service-account.uid'], uid);
    const token = b64d(s.data.token);
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    assert.deepEqual(claims, {
      iss: 'kubernetes/serviceaccount', 'kubernetes.io/serviceaccount/namespace': 'default', 'kubernetes.io/serviceaccount/secret.name': 'legacy-token',
      'kubernetes.io/serviceaccount/service-account.name': 'legacy', 'kubernetes.io/serviceaccount/service-account.uid': uid, sub: 'system:serviceaccount:default:legacy',
    });
    const who = JSON.parse(kc(n, ['--token', token, 'auth', 'whoami', '-o', 'json'])).status.userInfo;
    assert.deepEqual(who, { username: 'system:serviceaccount:default:legacy', uid, groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'] });
    // Its use is tracked on the Secret, once a day.
    await until('the last-used label', secret('legacy-token'), ['get', 'secret', 'legacy-token'], (o) => /^\d{4}-\d{2}-\d{2}$/.test(o?.metadata.labels?.['kubernetes.io/legacy-token-last-used'] ?? ''));
    // The Secret is what makes the token good: one holding another token refuses this one.
    kc(n, ['patch', 'secret', 'legacy-token', '--type', 'merge', '-p', JSON.stringify({ data: { token: Buffer.from('replaced').toString('base64') } })]);
    assert.equal((await raw({ ...n, token }, 'GET', '/api')).status, 401);
    // Emptied, it is filled again: legacy claims have no time or id, so the token is the same one, and good again.
    kc(n, ['patch', 'secret', 'legacy-token', '--type', 'json', '-p', '[{"op":"remove","path":"/data/token"}]']);
    await until('the token made again', secret('legacy-token'), ['get', 'secret', 'legacy-token'], (o) => o?.data?.token === Buffer.from(token).toString('base64'));
    assert.equal((await raw({ ...n, token }, 'GET', '/api')).status, 200);
  });

  it('go with their account, and a Secret for an account that does not exist is deleted', async () => {
    kc(n, ['create', 'serviceaccount', 'shortlived']);
    kc(n, ['apply', '-f', '-'], tokenSecret('shortlived-token', 'shortlived'));
    const token = b64d((await until('the token filled', secret('shortlived-token'), ['get', 'secret', 'shortlived-token'], (o) => o?.data?.token)).data.token);
    kc(n, ['delete', 'sa', 'shortlived']);
    await until('the Secret deleted', secret('shortlived-token'), ['get', 'secret', 'shortlived-token'], (o) => !o);
    assert.equal((await raw({ ...n, token }, 'GET', '/api')).status, 401);
    kc(n, ['apply', '-f', '-'], tokenSecret('orphan-token', 'nobody'));
    await until('the orphan deleted', secret('orphan-token'), ['get', 'secret', 'orphan-token'], (o) => !o);
  });

  it('must name their account', () => {
    const r = kubectl(n, ['apply', '-f', '-'], 'apiVersion: v1\nkind: Secret\nmetadata: {name: unnamed}\ntype: kubernetes.io/service-account-token\n');
    assert.match(r.stderr, /The Secret "unnamed" is invalid: metadata.annotations\[kubernetes.io\/service-account.name\]: Required value/);
  });
});
