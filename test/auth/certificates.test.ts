// Client certificates through the CSR API and `nodeless user add`, with the
// real kubectl, openssl and client-node: a request approved with `kubectl
// certificate approve` gets its certificate from the signer, which then
// authenticates (`kubectl auth whoami`); the signers' refusals (Failed
// conditions), CertificateSubjectRestriction, expirationSeconds, denied and
// unknown-signer requests left alone; a user made by `nodeless user add` has a
// kubeconfig context that survives a restart. docs/auth.md.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { kc, kubectl, nodeless, startCli, waitFor, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => { n = await startCli(undefined, []); });
after(async () => { await n?.stop(); });

const getJson = (args: string[]) => JSON.parse(kc(n, [...args, '-o', 'json']));

/** An EC key and a PKCS#10 request for `subj` made by openssl (with optional SANs). */
function keyAndCsr(name: string, subj: string, san?: string): { key: string; csr: string } {
  const dir = fs.mkdtempSync(path.join(n.home, `csr-${name}-`));
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  const args = ['req', '-new', '-key', key, '-subj', subj, ...(san ? ['-addext', `subjectAltName=${san}`] : [])];
  return { key, csr: execFileSync('openssl', args, { encoding: 'utf8' }) };
}
const manifest = (name: string, csr: string, signer: string, usages: string[], extra = '') => `
apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata: {name: ${name}}
spec:
  request: ${Buffer.from(csr).toString('base64')}
  signerName: ${signer}
  usages: [${usages.map((u) => JSON.stringify(u)).join(', ')}]
${extra}`;
const CLIENT = 'kubernetes.io/kube-apiserver-client';
const issued = (name: string) => waitFor(`${name} signed`, () => {
  const csr = getJson(['get', 'csr', name]);
  return csr.status?.certificate ? Buffer.from(csr.status.certificate, 'base64').toString('utf8') : undefined;
});
const failedCondition = (name: string) => waitFor(`${name} failed`, () => getJson(['get', 'csr', name]).status?.conditions?.find((c: any) => c.type === 'Failed'));

describe('the CSR API signers', () => {
  it('kubectl certificate approve → a certificate from the cluster CA → kubectl as that user', async () => {
    const { key, csr } = keyAndCsr('carol', '/CN=carol/O=devs/O=qa');
    kc(n, ['apply', '-f', '-'], manifest('carol', csr, CLIENT, ['digital signature', 'client auth'], '  expirationSeconds: 7200'));
    assert.match(kc(n, ['get', 'csr', 'carol']), /carol\s+\S+\s+kubernetes.io\/kube-apiserver-client\s+nodeless-admin\s+120m\s+Pending/);
    kc(n, ['certificate', 'approve', 'carol']);
    const pem = await issued('carol');
    assert.match(kc(n, ['get', 'csr', 'carol']), /Approved,Issued/);
    const cert = new crypto.X509Certificate(pem);
    const ca = new crypto.X509Certificate(n.ca);
    assert.ok(cert.verify(ca.publicKey), 'signed by the cluster CA');
    assert.equal(cert.checkIssued(ca), true);
    assert.equal(cert.subject, 'CN=carol\nO=devs\nO=qa');
    assert.equal(cert.ca, false);
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2'], 'client auth only');
    // expirationSeconds: two hours, from a certificate backdated five minutes.
    const life = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 1000;
    assert.ok(life >= 7200 + 300 - 2 && life <= 7200 + 300 + 2, `validity ${life}s`);
    const crt = path.join(n.home, 'carol.crt');
    fs.writeFileSync(crt, pem);
    const who = JSON.parse(kc(n, ['--token', '', '--client-certificate', crt, '--client-key', key, 'auth', 'whoami', '-o', 'json'])).status.userInfo;
    assert.equal(who.username, 'carol');
    assert.deepEqual(who.groups, ['devs', 'qa', 'system:authenticated']);
    // client-node with a kubeconfig made of that certificate.
    const kcfg = new k8s.KubeConfig();
    kcfg.loadFromOptions({
      clusters: [{ name: 'c', server: n.url, caData: Buffer.from(n.ca).toString('base64') }],
      users: [{ name: 'carol', certData: Buffer.from(pem).toString('base64'), keyData: fs.readFileSync(key).toString('base64') }],
      contexts: [{ name: 'c', cluster: 'c', user: 'carol' }], currentContext: 'c',
    });
    const review = await kcfg.makeApiClient(k8s.AuthenticationV1Api).createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
    assert.equal(review.status?.userInfo?.username, 'carol');
  });

  it('the kube-apiserver-client signer refuses other usages with a Failed condition; a denied request is not signed', async () => {
    const { csr } = keyAndCsr('srv', '/CN=srv');
    kc(n, ['apply', '-f', '-'], manifest('srv', csr, CLIENT, ['server auth', 'client auth']));
    kc(n, ['certificate', 'approve', 'srv']);
    const failed = await failedCondition('srv');
    assert.deepEqual([failed.status, failed.reason, failed.message], ['True', 'SignerValidationFailure', 'invalid usage for client certificate: server auth']);
    assert.match(kc(n, ['get', 'csr', 'srv']), /Approved,Failed/);
    assert.equal(getJson(['get', 'csr', 'srv']).status.certificate, undefined);
    const { csr: c2 } = keyAndCsr('noclient', '/CN=x');
    kc(n, ['apply', '-f', '-'], manifest('noclient', c2, CLIENT, ['digital signature']));
    kc(n, ['certificate', 'approve', 'noclient']);
    assert.equal((await failedCondition('noclient')).message, 'missing required usage for client certificate: client auth');
    const { csr: c3 } = keyAndCsr('denied', '/CN=denied');
    kc(n, ['apply', '-f', '-'], manifest('denied', c3, CLIENT, ['client auth']));
    kc(n, ['certificate', 'deny', 'denied']);
    // Wait for a later request to be signed: the signer has seen the denied one by then.
    const { csr: c4 } = keyAndCsr('after', '/CN=after');
    kc(n, ['apply', '-f', '-'], manifest('after', c4, CLIENT, ['client auth']));
    kc(n, ['certificate', 'approve', 'after']);
    await issued('after');
    assert.match(kc(n, ['get', 'csr', 'denied']), /Denied\s*$/m);
    assert.equal(getJson(['get', 'csr', 'denied']).status.certificate, undefined);
  });

  it('no system:masters certificates from kube-apiserver-client (CertificateSubjectRestriction)', () => {
    const { csr } = keyAndCsr('root', '/CN=root/O=system:masters');
    const r = kubectl(n, ['apply', '-f', '-'], manifest('root', csr, CLIENT, ['client auth']));
    assert.notEqual(r.code, 0);
    assert.equal(r.stderr.trim(), 'Error from server (Forbidden): error when creating "STDIN": certificatesigningrequests.certificates.k8s.io "root" is forbidden: use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed');
  });

  it('the kubelet signers check what a kubelet may ask for; another signer\'s request stays pending', async () => {
    const { csr } = keyAndCsr('kubelet', '/CN=system:node:n1/O=system:nodes');
    kc(n, ['apply', '-f', '-'], manifest('kubelet', csr, 'kubernetes.io/kube-apiserver-client-kubelet', ['digital signature', 'client auth']));
    kc(n, ['certificate', 'approve', 'kubelet']);
    assert.equal(new crypto.X509Certificate(await issued('kubelet')).subject, 'CN=system:node:n1\nO=system:nodes');
    const { csr: bad } = keyAndCsr('notnode', '/CN=alice/O=system:nodes');
    kc(n, ['apply', '-f', '-'], manifest('notnode', bad, 'kubernetes.io/kube-apiserver-client-kubelet', ['digital signature', 'client auth']));
    kc(n, ['certificate', 'approve', 'notnode']);
    assert.equal((await failedCondition('notnode')).message, 'subject common name does not begin with system:node:');
    const { csr: serving } = keyAndCsr('serving', '/CN=system:node:n1/O=system:nodes', 'DNS:n1.local,IP:10.0.0.5');
    kc(n, ['apply', '-f', '-'], manifest('serving', serving, 'kubernetes.io/kubelet-serving', ['digital signature', 'server auth']));
    kc(n, ['certificate', 'approve', 'serving']);
    const cert = new crypto.X509Certificate(await issued('serving'));
    assert.equal(cert.subjectAltName, 'DNS:n1.local, IP Address:10.0.0.5');
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    const { csr: nosan } = keyAndCsr('nosan', '/CN=system:node:n1/O=system:nodes');
    kc(n, ['apply', '-f', '-'], manifest('nosan', nosan, 'kubernetes.io/kubelet-serving', ['digital signature', 'key encipherment', 'server auth']));
    kc(n, ['certificate', 'approve', 'nosan']);
    assert.equal((await failedCondition('nosan')).message, 'DNS or IP subjectAltName is required');
    const { csr: other } = keyAndCsr('other', '/CN=other');
    kc(n, ['apply', '-f', '-'], manifest('other', other, 'example.com/my-signer', ['client auth']));
    kc(n, ['certificate', 'approve', 'other']);
    // The serving request above was handled after this one was approved (one worker, in order)… 
    const { csr: c5 } = keyAndCsr('last', '/CN=last');
    kc(n, ['apply', '-f', '-'], manifest('last', c5, CLIENT, ['client auth']));
    kc(n, ['certificate', 'approve', 'last']);
    await issued('last');
    // …so an unknown signer's request is still only approved.
    assert.match(kc(n, ['get', 'csr', 'other']), /example.com\/my-signer\s+nodeless-admin\s+<none>\s+Approved\s*$/m);
  });
});

describe('nodeless user add', () => {
  it('makes a user with a client certificate and a kubeconfig context; kubectl --context NAME is that user, after a restart too', async () => {
    const r = nodeless(n, ['user', 'add', 'dana', '--group', 'devs', '--group', 'ops', '--expiration', '48h']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^user dana added \(certificate from CertificateSigningRequest nodeless-user-dana-[a-z0-9]{5}, valid until \S+\): kubectl --context dana …$/m);
    const who = JSON.parse(kc(n, ['--context', 'dana', 'auth', 'whoami', '-o', 'json'])).status.userInfo;
    assert.equal(who.username, 'dana');
    assert.deepEqual(who.groups, ['devs', 'ops', 'system:authenticated']);
    assert.match(who.extra['authentication.kubernetes.io/credential-id'][0], /^X509SHA256=[0-9a-f]{64}$/);
    // Made the way an administrator would: a CSR approved by the administrator, issued by the signer.
    const csr = getJson(['get', 'csr', '-l', 'nodeless.dev/user']).items.find((c: any) => c.metadata.name.startsWith('nodeless-user-dana-'));
    assert.equal(csr.spec.signerName, 'kubernetes.io/kube-apiserver-client');
    assert.equal(csr.spec.expirationSeconds, 172800);
    assert.equal(csr.spec.username, 'nodeless-admin');
    assert.equal(csr.status.conditions[0].reason, 'NodelessUserAdd');
    const key = path.join(n.home, 'users', 'dana.key');
    assert.equal(fs.statSync(key).mode & 0o777, 0o600);
    // The context survives the server rewriting the kubeconfig (a restart).
    await n.stop();
    n = await startCli(n.home, []);
    assert.match(kc(n, ['config', 'get-contexts', 'dana']), /dana\s+nodeless\s+dana\s+default/);
    assert.equal(JSON.parse(kc(n, ['--context', 'dana', 'auth', 'whoami', '-o', 'json'])).status.userInfo.username, 'dana');
    assert.equal(JSON.parse(kc(n, ['auth', 'whoami', '-o', 'json'])).status.userInfo.username, 'nodeless-admin', 'the current context is still the administrator\'s');
  });

  it('a person made so may do what RBAC grants them and their groups, and is refused the rest in kube-apiserver\'s words', () => {
    assert.equal(nodeless(n, ['user', 'add', 'erin', '--group', 'qa']).code, 0);
    const erin = (args: string[], input?: string) => kubectl(n, ['--context', 'erin', ...args], input);
    kc(n, ['create', 'namespace', 'qa-team']);
    const refused = erin(['get', 'pods', '-n', 'qa-team']);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr.trim(), 'Error from server (Forbidden): pods is forbidden: User "erin" cannot list resource "pods" in API group "" in the namespace "qa-team"');
    // A binding to one of the certificate's groups (its O) grants it to the person.
    kc(n, ['create', 'rolebinding', 'qa-edit', '-n', 'qa-team', '--clusterrole=edit', '--group=qa']);
    assert.equal(erin(['create', 'configmap', 'c', '-n', 'qa-team', '--from-literal=a=b']).code, 0);
    assert.equal(erin(['get', 'configmap', 'c', '-n', 'qa-team', '-o', 'jsonpath={.data.a}']).stdout, 'b');
    assert.equal(erin(['delete', 'configmap', 'c', '-n', 'qa-team']).code, 0);
    assert.equal(erin(['auth', 'can-i', 'create', 'deployments.apps', '-n', 'qa-team']).stdout.trim(), 'yes');
    // edit grants no roles, and nothing outside the namespace.
    assert.equal(erin(['create', 'role', 'r', '-n', 'qa-team', '--verb=get', '--resource=pods']).stderr.trim(),
      'Error from server (Forbidden): roles.rbac.authorization.k8s.io is forbidden: User "erin" cannot create resource "roles" in API group "rbac.authorization.k8s.io" in the namespace "qa-team"');
    assert.equal(erin(['get', 'nodes']).stderr.trim(), 'Error from server (Forbidden): nodes is forbidden: User "erin" cannot list resource "nodes" in API group "" at the cluster scope');
    assert.equal(erin(['get', 'pods', '-n', 'default']).code, 1);
  });

  it('refuses names that are not file-safe, the administrator\'s name, and system:masters', () => {
    assert.equal(nodeless(n, ['user', 'add', '../evil']).stderr.trim(), 'error: invalid user name "../evil": letters, digits and @ . _ : - only');
    assert.match(nodeless(n, ['user', 'add', 'nodeless']).stderr, /"nodeless" is the administrator's kubeconfig user/);
    const masters = nodeless(n, ['user', 'add', 'eve', '--group', 'system:masters']);
    assert.equal(masters.code, 1);
    assert.match(masters.stderr, /^error: certificatesigningrequests.certificates.k8s.io "nodeless-user-eve-[a-z0-9]{5}" is forbidden: use of kubernetes.io\/kube-apiserver-client signer with system:masters group is not allowed$/m);
    assert.equal(fs.existsSync(path.join(n.home, 'users', 'eve.crt')), false);
  });
});
