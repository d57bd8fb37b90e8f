// Authentication through the real kubectl, client-node and raw HTTPS: the
// administrator's token, ServiceAccount tokens from the TokenRequest API
// (`kubectl create token` with durations, audiences and bound objects), their
// invalidation when what they name is deleted or re-created, bad tokens of
// every kind answered 401 exactly as kube-apiserver answers, TokenReview's
// reasons, and the service account issuer discovery documents whose key set
// verifies the tokens. docs/auth.md.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { kc, kubectl, raw, startCli, waitFor, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => { n = await startCli(undefined, []); });
after(async () => { await n?.stop(); });

const UNAUTHORIZED = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 };
const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
const headerOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));
/** `kubectl auth whoami -o json` as the bearer of `token`. */
const whoami = (token: string) => JSON.parse(kc(n, ['--token', token, 'auth', 'whoami', '-o', 'json'])).status.userInfo;
const as = (token: string) => ({ ...n, token });
const tokenReview = async (token: string, audiences?: string[]) => {
  const r = await raw(n, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(audiences ? { audiences } : {}) } }));
  assert.equal(r.status, 201, r.body);
  return JSON.parse(r.body).status;
};

describe('the administrator', () => {
  it('the kubeconfig token is nodeless-admin in system:masters and system:authenticated', () => {
    assert.deepEqual(whoami(n.token), { username: 'nodeless-admin', groups: ['system:masters', 'system:authenticated'] });
  });
});

describe('ServiceAccount tokens (TokenRequest API)', () => {
  before(() => { kc(n, ['create', 'serviceaccount', 'robot']); });

  it('kubectl create token --duration 10m --audience: a bound JWT with kube-apiserver\'s claims', async () => {
    const sa = JSON.parse(kc(n, ['get', 'sa', 'robot', '-o', 'json']));
    const token = kc(n, ['create', 'token', 'robot', '--duration', '10m', '--audience', 'vault', '--audience', ISSUER]).trim();
    const h = headerOf(token);
    assert.equal(h.alg, 'RS256');
    assert.match(h.kid, /^[A-Za-z0-9_-]{43}$/);
    const c = claimsOf(token);
    assert.deepEqual(Object.keys(c), ['aud', 'exp', 'iat', 'iss', 'jti', 'kubernetes.io', 'nbf', 'sub'], 'the claims in go-jose\'s (sorted) order');
    assert.deepEqual(c.aud, ['vault', ISSUER]);
    assert.equal(c.iss, ISSUER);
    assert.equal(c.sub, 'system:serviceaccount:default:robot');
    assert.equal(c.exp - c.iat, 600);
    assert.equal(c.nbf, c.iat);
    assert.match(c.jti, /^[0-9a-f-]{36}$/);
    assert.deepEqual(c['kubernetes.io'], { namespace: 'default', serviceaccount: { name: 'robot', uid: sa.metadata.uid } });
    const who = whoami(token);
    assert.deepEqual(who, {
      username: 'system:serviceaccount:default:robot', uid: sa.metadata.uid,
      groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'],
      extra: { 'authentication.kubernetes.io/credential-id': [`JTI=${c.jti}`] },
    });
  });

  it('the TokenRequest answer: an hour by default, the API server\'s audience, status.expirationTimestamp', async () => {
    const r = await raw(n, 'POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} }));
    assert.equal(r.status, 201, r.body);
    const tr = JSON.parse(r.body);
    assert.equal(tr.kind, 'TokenRequest');
    assert.equal(tr.apiVersion, 'authentication.k8s.io/v1');
    assert.deepEqual([tr.metadata.name, tr.metadata.namespace], ['robot', 'default']);
    assert.deepEqual(tr.spec, { audiences: [ISSUER], expirationSeconds: 3600 });
    const c = claimsOf(tr.status.token);
    assert.equal(c.exp - c.iat, 3600);
    assert.equal(Date.parse(tr.status.expirationTimestamp) / 1000, c.exp);
    // client-node's typed call, as an operator would ask for a token.
    const kcfg = new k8s.KubeConfig();
    kcfg.loadFromFile(n.kubeconfig);
    const core = kcfg.makeApiClient(k8s.CoreV1Api);
    const made = await core.createNamespacedServiceAccountToken({ name: 'robot', namespace: 'default', body: { spec: { audiences: ['vault'], expirationSeconds: 7200 } } });
    assert.equal(claimsOf(made.status!.token).exp - claimsOf(made.status!.token).iat, 7200);
    assert.deepEqual(claimsOf(made.status!.token).aud, ['vault']);
  });

  it('refuses what kube-apiserver refuses, in its words', async () => {
    const short = kubectl(n, ['create', 'token', 'robot', '--duration', '1m']);
    assert.notEqual(short.code, 0);
    assert.equal(short.stderr.trim(), 'error: failed to create token: TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes');
    const missing = kubectl(n, ['create', 'token', 'nobody']);
    assert.equal(missing.stderr.trim(), 'error: failed to create token: serviceaccounts "nobody" not found');
    const noPod = kubectl(n, ['create', 'token', 'robot', '--bound-object-kind', 'Pod', '--bound-object-name', 'ghost']);
    assert.equal(noPod.stderr.trim(), 'error: failed to create token: pods "ghost" not found');
    const badKind = await raw(n, 'POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { boundObjectRef: { kind: 'ConfigMap', apiVersion: 'v1', name: 'x' } } }));
    assert.equal(badKind.status, 400);
    assert.equal(JSON.parse(badKind.body).message, 'cannot bind token to object of type /v1, Kind=ConfigMap');
    const otherName = await raw(n, 'POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: { name: 'other' }, spec: {} }));
    assert.equal(otherName.status, 422);
    assert.equal(JSON.parse(otherName.body).message, 'TokenRequest.authentication.k8s.io "robot" is invalid: metadata.name: Invalid value: "other": must match the service account name if specified');
    const tooLong = await raw(n, 'POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 2 ** 33 } }));
    assert.equal(JSON.parse(tooLong.body).message, 'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 8589934592: may not specify a duration larger than 2^32 seconds');
    const wrongType = await raw(n, 'POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 'soon' } }));
    assert.equal(wrongType.status, 400);
    assert.equal((await raw(n, 'GET', '/api/v1/namespaces/default/serviceaccounts/robot/token')).status, 405);
  });

  it('unknown fields in a TokenRequest are dropped with a warning, or refused under fieldValidation=Strict', async () => {
    const body = '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","__proto__":{"polluted":true},"spec":{"bogus":1,"audiences":["a"]}}';
    const url = '/api/v1/namespaces/default/serviceaccounts/robot/token';
    const warned = await raw(n, 'POST', url, body);
    assert.equal(warned.status, 201, warned.body);
    const tr = JSON.parse(warned.body);
    assert.equal(Object.hasOwn(tr, '__proto__'), false);
    assert.equal(({} as any).polluted, undefined);
    assert.deepEqual(Object.keys(tr.spec).sort(), ['audiences', 'expirationSeconds']);
    assert.deepEqual(tr.spec.audiences, ['a']);
    // (Node's client joins the two Warning headers.)
    assert.equal(String(warned.headers.warning), '299 - "unknown field \\"__proto__\\"", 299 - "unknown field \\"spec.bogus\\""');
    const strict = await raw(n, 'POST', `${url}?fieldValidation=Strict`, body);
    assert.equal(strict.status, 400);
    assert.equal(JSON.parse(strict.body).message, 'strict decoding error: unknown field "__proto__", unknown field "spec.bogus"');
  });

  it('a Secret-bound token (--bound-object-kind Secret) dies with the Secret', async () => {
    kc(n, ['create', 'secret', 'generic', 'anchor', '--from-literal', 'a=b']);
    const uid = kc(n, ['get', 'secret', 'anchor', '-o', 'jsonpath={.metadata.uid}']);
    const token = kc(n, ['create', 'token', 'robot', '--bound-object-kind', 'Secret', '--bound-object-name', 'anchor']).trim();
    assert.deepEqual(claimsOf(token)['kubernetes.io'].secret, { name: 'anchor', uid });
    assert.equal(whoami(token).username, 'system:serviceaccount:default:robot');
    const wrongUid = kubectl(n, ['create', 'token', 'robot', '--bound-object-kind', 'Secret', '--bound-object-name', 'anchor', '--bound-object-uid', 'not-it']);
    assert.equal(wrongUid.stderr.trim(), 'error: failed to create token: Operation cannot be fulfilled on Secret "anchor": the UID in the bound object reference (not-it) does not match the UID in record. The object might have been deleted and then recreated');
    kc(n, ['delete', 'secret', 'anchor']);
    const r = await raw(as(token), 'GET', '/api/v1/namespaces/default/pods');
    assert.equal(r.status, 401);
    assert.deepEqual(JSON.parse(r.body), UNAUTHORIZED);
    assert.deepEqual(await tokenReview(token), { user: {}, error: '[invalid bearer token, service account token has been invalidated]' });
  });

  it('a Pod-bound token names the pod and its node, and dies with the pod', async () => {
    kc(n, ['run', 'bound', '--image', 'nginx', '--overrides', JSON.stringify({ spec: { serviceAccountName: 'robot' } })]);
    const pod = await waitFor('the pod scheduled', () => {
      const p = JSON.parse(kc(n, ['get', 'pod', 'bound', '-o', 'json']));
      return p.spec.nodeName ? p : undefined;
    });
    const token = kc(n, ['create', 'token', 'robot', '--bound-object-kind', 'Pod', '--bound-object-name', 'bound']).trim();
    const k = claimsOf(token)['kubernetes.io'];
    assert.deepEqual(k.pod, { name: 'bound', uid: pod.metadata.uid });
    const node = JSON.parse(kc(n, ['get', 'node', pod.spec.nodeName, '-o', 'json']));
    assert.deepEqual(k.node, { name: pod.spec.nodeName, uid: node.metadata.uid });
    const who = whoami(token);
    assert.deepEqual(who.extra['authentication.kubernetes.io/pod-name'], ['bound']);
    assert.deepEqual(who.extra['authentication.kubernetes.io/pod-uid'], [pod.metadata.uid]);
    assert.deepEqual(who.extra['authentication.kubernetes.io/node-name'], [pod.spec.nodeName]);
    assert.deepEqual(who.extra['authentication.kubernetes.io/node-uid'], [node.metadata.uid]);
    // Only the pod's own account can be bound to it.
    kc(n, ['create', 'serviceaccount', 'other']);
    const mismatch = kubectl(n, ['create', 'token', 'other', '--bound-object-kind', 'Pod', '--bound-object-name', 'bound']);
    assert.equal(mismatch.stderr.trim(), 'error: failed to create token: cannot bind token for serviceaccount "other" to pod running with serviceaccount "robot"');
    kc(n, ['delete', 'pod', 'bound', '--grace-period', '0', '--force']);
    await waitFor('the pod gone', () => kubectl(n, ['get', 'pod', 'bound']).code !== 0);
    assert.equal((await raw(as(token), 'GET', '/api/v1/namespaces/default/pods')).status, 401);
  });

  it('every token of an account dies with it, and stays dead when the name is used again', async () => {
    kc(n, ['create', 'serviceaccount', 'doomed']);
    const oldUid = kc(n, ['get', 'sa', 'doomed', '-o', 'jsonpath={.metadata.uid}']);
    const token = kc(n, ['create', 'token', 'doomed']).trim();
    // Discovery is every authenticated user's (system:discovery); the account itself may do nothing more.
    assert.equal((await raw(as(token), 'GET', '/api')).status, 200);
    assert.equal((await raw(as(token), 'GET', '/api/v1/namespaces/default/configmaps')).status, 403);
    kc(n, ['delete', 'sa', 'doomed']);
    const r = await raw(as(token), 'GET', '/api/v1/namespaces/default/configmaps');
    assert.equal(r.status, 401);
    assert.deepEqual(JSON.parse(r.body), UNAUTHORIZED);
    assert.deepEqual(await tokenReview(token), { user: {}, error: '[invalid bearer token, serviceaccounts "doomed" not found]' });
    const gone = kubectl(n, ['--token', token, 'get', 'pods']);
    assert.equal(gone.code, 1);
    assert.equal(gone.stderr.trim(), 'error: You must be logged in to the server (Unauthorized)');
    kc(n, ['create', 'serviceaccount', 'doomed']);
    const newUid = kc(n, ['get', 'sa', 'doomed', '-o', 'jsonpath={.metadata.uid}']);
    assert.deepEqual(await tokenReview(token), { user: {}, error: `[invalid bearer token, service account UID (${newUid}) does not match claim (${oldUid})]` });
  });

  it('TokenReview: audiences asked for are checked; a token for another audience is not the API server\'s', async () => {
    const vault = kc(n, ['create', 'token', 'robot', '--audience', 'vault']).trim();
    assert.equal((await raw(as(vault), 'GET', '/api')).status, 401);
    const ok = await tokenReview(vault, ['vault']);
    assert.equal(ok.authenticated, true);
    assert.deepEqual(ok.audiences, ['vault']);
    assert.equal(ok.user.username, 'system:serviceaccount:default:robot');
    assert.deepEqual(await tokenReview(vault), { user: {}, error: `[invalid bearer token, token audiences ["vault"] is invalid for the target audiences ["${ISSUER}"]]` });
  });
});

describe('bad credentials', () => {
  it('are answered 401 Unauthorized, never let through, never a 500', async () => {
    const good = kc(n, ['create', 'token', 'robot']).trim();
    const [h, p, s] = good.split('.');
    const claims = claimsOf(good);
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'system:serviceaccount:kube-system:admin' })).toString('base64url')}.${s}`;
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${p}.`;
    const cases: [string, Record<string, string>][] = [
      ['no credentials', {}],
      ['garbage', { authorization: 'Bearer garbage' }],
      ['an empty bearer', { authorization: 'Bearer ' }],
      ['Basic', { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }],
      ['a forged claim', { authorization: `Bearer ${forged}` }],
      ['alg none', { authorization: `Bearer ${none}` }],
      ['a truncated signature', { authorization: `Bearer ${good.slice(0, -10)}` }],
      ['two dots of nothing', { authorization: 'Bearer ..' }],
      ['a deeply nested payload', { authorization: `Bearer ${h}.${Buffer.from('['.repeat(9000)).toString('base64url')}.${s}` }],
      ['an issuer of ours on an unsigned payload', { authorization: `Bearer ${h}.${Buffer.from(JSON.stringify({ iss: ISSUER })).toString('base64url')}.` }],
    ];
    for (const [what, headers] of cases) {
      const r = await raw(n, 'GET', '/api/v1/namespaces/default/pods', undefined, headers, false);
      assert.equal(r.status, 401, what);
      assert.deepEqual(JSON.parse(r.body), UNAUTHORIZED, what);
    }
    // Health and version need no credentials, as kube's system:public-info-viewer allows.
    for (const p of ['/healthz', '/livez', '/readyz', '/version']) assert.equal((await raw(n, 'GET', p, undefined, {}, false)).status, 200, p);
  });
});

describe('service account issuer discovery', () => {
  it('serves the OpenID configuration and a key set that verifies the cluster\'s tokens', async () => {
    const conf = await raw(n, 'GET', '/.well-known/openid-configuration');
    assert.equal(conf.status, 200);
    assert.equal(conf.headers['content-type'], 'application/json');
    assert.equal(conf.headers['cache-control'], 'public, max-age=3600');
    assert.deepEqual(JSON.parse(conf.body), {
      issuer: ISSUER, jwks_uri: `${n.url}/openid/v1/jwks`, response_types_supported: ['id_token'],
      subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'],
    });
    const jwks = await raw(n, 'GET', '/openid/v1/jwks');
    assert.equal(jwks.status, 200);
    assert.equal(jwks.headers['content-type'], 'application/jwk-set+json');
    const set = JSON.parse(jwks.body);
    assert.deepEqual(Object.keys(set.keys[0]), ['use', 'kty', 'kid', 'alg', 'n', 'e']);
    // A relying party (Vault, a cloud's workload identity) checks a token with nothing but these.
    const token = kc(n, ['create', 'token', 'robot', '--audience', 'vault']).trim();
    assert.equal(set.keys[0].kid, headerOf(token).kid);
    const { payload } = await jwtVerify(token, createLocalJWKSet(set), { issuer: ISSUER, audience: 'vault' });
    assert.equal(payload.sub, 'system:serviceaccount:default:robot');
    // Without credentials: 401 (anonymous requests are refused).
    assert.equal((await raw(n, 'GET', '/openid/v1/jwks', undefined, {}, false)).status, 401);
    // A ServiceAccount reads them with its own token (kube binds system:service-account-issuer-discovery to system:serviceaccounts).
    const own = kc(n, ['create', 'token', 'robot']).trim();
    assert.equal((await raw(as(own), 'GET', '/.well-known/openid-configuration')).status, 200);
    const paths = JSON.parse((await raw(n, 'GET', '/')).body).paths;
    assert.ok(paths.includes('/.well-known/openid-configuration') && paths.includes('/openid/v1/jwks'));
  });
});

describe('client certificates', () => {
  /** A key and a certificate for CN/O made by openssl, signed by the CA at caDir (the cluster's, or another). */
  function clientCert(name: string, subj: string, caCrt: string, caKey: string, ext = 'extendedKeyUsage=clientAuth'): { crt: string; key: string } {
    const dir = fs.mkdtempSync(path.join(n.home, 'cert-'));
    const key = path.join(dir, `${name}.key`);
    const csr = path.join(dir, `${name}.csr`);
    const crt = path.join(dir, `${name}.crt`);
    const extFile = path.join(dir, 'ext.cnf');
    fs.writeFileSync(extFile, `${ext}\n`);
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
    execFileSync('openssl', ['req', '-new', '-key', key, '-subj', subj, '-out', csr]);
    execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', caCrt, '-CAkey', caKey, '-CAcreateserial', '-days', '1', '-extfile', extFile, '-out', crt], { stdio: 'ignore' });
    return { crt, key };
  }
  const get = (cert: { crt: string; key: string }, p: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = https.request(new URL(p, n.url), { ca: n.ca, cert: fs.readFileSync(cert.crt), key: fs.readFileSync(cert.key) }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });

  it('one signed by the cluster CA is the user of its CN, in the groups of its O, through kubectl', async () => {
    const pki = path.join(n.home, 'pki');
    const alice = clientCert('alice', '/CN=alice/O=devs/O=ops', path.join(pki, 'ca.crt'), path.join(pki, 'ca.key'));
    const der = new crypto.X509Certificate(fs.readFileSync(alice.crt)).raw;
    const who = JSON.parse(kc(n, ['--token', '', '--client-certificate', alice.crt, '--client-key', alice.key, 'auth', 'whoami', '-o', 'json'])).status.userInfo;
    assert.deepEqual(who, {
      username: 'alice', groups: ['devs', 'ops', 'system:authenticated'],
      extra: { 'authentication.kubernetes.io/credential-id': [`X509SHA256=${crypto.createHash('sha256').update(der).digest('hex')}`] },
    });
  });

  it('one from another CA, or for server authentication only, is refused with 401', async () => {
    const other = path.join(n.home, 'other-ca');
    fs.mkdirSync(other);
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', path.join(other, 'ca.key')]);
    execFileSync('openssl', ['req', '-x509', '-new', '-key', path.join(other, 'ca.key'), '-subj', '/CN=evil-ca', '-days', '1', '-out', path.join(other, 'ca.crt')]);
    const mallory = clientCert('mallory', '/CN=nodeless-admin/O=system:masters', path.join(other, 'ca.crt'), path.join(other, 'ca.key'));
    const r = await get(mallory, '/api/v1/namespaces');
    assert.equal(r.status, 401);
    assert.deepEqual(JSON.parse(r.body), UNAUTHORIZED);
    const pki = path.join(n.home, 'pki');
    const server = clientCert('server', '/CN=bob', path.join(pki, 'ca.crt'), path.join(pki, 'ca.key'), 'extendedKeyUsage=serverAuth');
    assert.equal((await get(server, '/api/v1/namespaces')).status, 401);
    await waitFor('the refusal logged', () => /Unable to authenticate the request: verifying certificate SN=\d+ failed: x509: certificate signed by unknown authority/.test(n.output()));
  });
});
