// ServiceAccount tokens checked by the authenticator alone, with a clock the
// test moves (kube's shortest token lives ten minutes): expiry and its leeway,
// not-yet-valid tokens, audiences, the objects a token names being deleted or
// re-created, legacy tokens, forged and malformed tokens, each refused with
// kube-apiserver's reason (pkg/serviceaccount/claims.go, jwt.go, legacy.go).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type { KubeObject } from '../../src/api/types.js';
import {
  EXPIRATION_EXTENSION_SECONDS, ServiceAccountKeys, ServiceAccountTokenAuthenticator, TokenIssuer, boundClaims, legacyClaims, type ServiceAccountTokenGetter,
} from '../../src/apiserver/auth/serviceaccount.js';
import { StaticTokenAuthenticator, UnionTokenAuthenticator, authenticateBearer } from '../../src/apiserver/auth/authenticator.js';
import { ADMIN_USER } from '../../src/apiserver/auth/user.js';

const pair = () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  return new ServiceAccountKeys(privateKey, publicKey);
};
const keys = pair();
const T0 = Date.parse('2025-01-01T00:00:00Z');

/** A cluster of a few objects the test edits. */
class World implements ServiceAccountTokenGetter {
  objects = new Map<string, KubeObject>();
  marked: string[] = [];
  put(kind: string, ns: string | undefined, name: string, extra: Partial<KubeObject> = {}): KubeObject {
    const o = { apiVersion: 'v1', kind, metadata: { name, namespace: ns, uid: randomUUID() }, ...extra } as KubeObject;
    this.objects.set(`${kind}/${ns ?? ''}/${name}`, o);
    return o;
  }
  private read(kind: string, plural: string, ns: string | undefined, name: string): Promise<KubeObject> {
    const o = this.objects.get(`${kind}/${ns ?? ''}/${name}`);
    return o ? Promise.resolve(o) : Promise.reject(new Error(`${plural} "${name}" not found`));
  }
  serviceAccount(ns: string, name: string) { return this.read('ServiceAccount', 'serviceaccounts', ns, name); }
  pod(ns: string, name: string) { return this.read('Pod', 'pods', ns, name); }
  secret(ns: string, name: string) { return this.read('Secret', 'secrets', ns, name); }
  node(name: string) { return this.read('Node', 'nodes', undefined, name); }
  async markLegacyTokenUsed(secret: KubeObject, day: string) { this.marked.push(`${secret.metadata.name}@${day}`); (secret.metadata.labels ??= {})['kubernetes.io/legacy-token-last-used'] = day; }
}

function setup() {
  const world = new World();
  let now = T0;
  const clock = { now: () => now, step: (ms: number) => { now += ms; } };
  const issuer = new TokenIssuer(keys, { now: clock.now });
  const authn = new ServiceAccountTokenAuthenticator({ keys, getter: world, now: clock.now });
  const sa = world.put('ServiceAccount', 'default', 'robot');
  const bearer = (token: string, auds: string[] = []) => authenticateBearer(new UnionTokenAuthenticator([new StaticTokenAuthenticator('admin-token', ADMIN_USER), authn]), token, auds);
  const issue = async (o: Partial<Parameters<TokenIssuer['bound']>[0]> = {}) => (await issuer.bound({ serviceAccount: sa, expirationSeconds: 600, audiences: [...issuer.audiences], now: clock.now(), ...o })).token;
  return { world, clock, issuer, authn, sa, bearer, issue };
}

const error = async (p: Promise<{ ok: boolean }>) => {
  const r = await p as { ok: boolean; error?: string };
  assert.equal(r.ok, false, 'the token must be refused');
  return r.error;
};

describe('bound ServiceAccount tokens', () => {
  it('a fresh token is its account: name, uid, groups, credential id, the API server audience', async () => {
    const { issue, bearer, sa } = setup();
    const token = await issue();
    const r = await bearer(token);
    assert.ok(r.ok);
    const jti = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).jti;
    assert.deepEqual(r.response.user, {
      username: 'system:serviceaccount:default:robot', uid: sa.metadata.uid,
      groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'],
      extra: { 'authentication.kubernetes.io/credential-id': [`JTI=${jti}`] },
    });
    assert.deepEqual(r.response.audiences, ['https://kubernetes.default.svc.cluster.local']);
  });

  it('expires with the minute of leeway go-jose gives, and is not valid before its nbf', async () => {
    const { issue, bearer, clock } = setup();
    const token = await issue({ expirationSeconds: 600 });
    clock.step(600_000 + 59_000);
    assert.ok((await bearer(token)).ok, 'within the leeway');
    clock.step(2_000);
    assert.equal(await error(bearer(token)), '[invalid bearer token, service account token has expired]');
    // A token made "in the future" (a clock ahead of ours by more than the leeway).
    const s = setup();
    const ahead = await s.issue({ now: s.clock.now() + 5 * 60_000 });
    assert.equal(await error(s.bearer(ahead)), '[invalid bearer token, service account token is not valid yet]');
  });

  it('checks the audiences: the API server\'s by default, or those a TokenReview asks for', async () => {
    const { issue, bearer } = setup();
    const vault = await issue({ audiences: ['vault'] });
    assert.equal(await error(bearer(vault)), '[invalid bearer token, token audiences ["vault"] is invalid for the target audiences ["https://kubernetes.default.svc.cluster.local"]]');
    const r = await bearer(vault, ['vault', 'other']);
    assert.ok(r.ok);
    assert.deepEqual(r.response.audiences, ['vault']);
  });

  it('dies with its ServiceAccount, and with a ServiceAccount re-created under the same name', async () => {
    const { issue, bearer, world, sa } = setup();
    const token = await issue();
    world.objects.delete('ServiceAccount/default/robot');
    assert.equal(await error(bearer(token)), '[invalid bearer token, serviceaccounts "robot" not found]');
    const again = world.put('ServiceAccount', 'default', 'robot');
    assert.equal(await error(bearer(token)), `[invalid bearer token, service account UID (${again.metadata.uid}) does not match claim (${sa.metadata.uid})]`);
  });

  it('a pod-bound token carries the pod and its node, and dies with the pod', async () => {
    const { issue, bearer, world } = setup();
    const node = world.put('Node', undefined, 'eklet-1');
    const pod = world.put('Pod', 'default', 'web', { spec: { serviceAccountName: 'robot', nodeName: 'eklet-1' } });
    const token = await issue({ pod, node: { name: 'eklet-1', uid: node.metadata.uid } });
    const r = await bearer(token);
    assert.ok(r.ok);
    const extra = r.response.user.extra!;
    assert.deepEqual(Object.keys(extra), [
      'authentication.kubernetes.io/credential-id', 'authentication.kubernetes.io/node-name', 'authentication.kubernetes.io/node-uid',
      'authentication.kubernetes.io/pod-name', 'authentication.kubernetes.io/pod-uid',
    ]);
    assert.deepEqual(extra['authentication.kubernetes.io/pod-name'], ['web']);
    assert.deepEqual(extra['authentication.kubernetes.io/pod-uid'], [pod.metadata.uid]);
    assert.deepEqual(extra['authentication.kubernetes.io/node-name'], ['eklet-1']);
    // The node is only reported for a pod-bound token: its deletion does not matter.
    world.objects.delete('Node//eklet-1');
    assert.ok((await bearer(token)).ok);
    world.put('Pod', 'default', 'web', { spec: { serviceAccountName: 'robot' } });
    assert.match(await error(bearer(token)) ?? '', /^\[invalid bearer token, pod UID \(.+\) does not match service account pod ref claim \(.+\)\]$/);
    world.objects.delete('Pod/default/web');
    assert.equal(await error(bearer(token)), '[invalid bearer token, service account token has been invalidated]');
  });

  it('a secret-bound token dies with the secret; a node-bound one with the node', async () => {
    const { issue, bearer, world } = setup();
    const secret = world.put('Secret', 'default', 'anchor');
    const token = await issue({ secret });
    assert.ok((await bearer(token)).ok);
    world.objects.delete('Secret/default/anchor');
    assert.equal(await error(bearer(token)), '[invalid bearer token, service account token has been invalidated]');
    const node = world.put('Node', undefined, 'n1');
    const forNode = await issue({ node: { name: 'n1', uid: node.metadata.uid } });
    const r = await bearer(forNode);
    assert.ok(r.ok);
    assert.deepEqual(r.response.user.extra?.['authentication.kubernetes.io/node-name'], ['n1']);
    world.put('Node', undefined, 'n1');
    assert.match(await error(bearer(forNode)) ?? '', /node UID \(.+\) does not match service account node ref claim/);
  });

  it('an account being deleted is refused once its deletion is older than the leeway', async () => {
    const { issue, bearer, sa, clock } = setup();
    const token = await issue();
    sa.metadata.deletionTimestamp = new Date(clock.now()).toISOString();
    assert.ok((await bearer(token)).ok);
    clock.step(61_000);
    assert.equal(await error(bearer(token)), '[invalid bearer token, service account default/robot has been deleted]');
  });

  it('the projected token claims: warnafter at the requested hour, a year of life', async () => {
    const { world, sa, issuer, clock } = setup();
    const pod = world.put('Pod', 'default', 'web');
    const claims = boundClaims({ serviceAccount: sa, pod, expirationSeconds: EXPIRATION_EXTENSION_SECONDS, warnAfterSeconds: 3607, audiences: [...issuer.audiences], now: clock.now() });
    const now = Math.floor(T0 / 1000);
    assert.deepEqual(Object.keys(claims).sort(), ['aud', 'exp', 'iat', 'iss', 'jti', 'kubernetes.io', 'nbf', 'sub']);
    assert.equal(claims.exp, now + 365 * 24 * 3600);
    assert.deepEqual(claims['kubernetes.io'], {
      namespace: 'default', serviceaccount: { name: 'robot', uid: sa.metadata.uid }, pod: { name: 'web', uid: pod.metadata.uid }, warnafter: now + 3607,
    });
  });
});

describe('legacy Secret tokens', () => {
  it('are good while the Secret holds them and the account is the same; their use is tracked once a day', async () => {
    const { world, sa, bearer, clock } = setup();
    const secret = world.put('Secret', 'default', 'robot-token', { type: 'kubernetes.io/service-account-token' });
    const token = await keys.sign(legacyClaims(sa, secret));
    assert.equal(await error(bearer(token)), '[invalid bearer token, token does not match data]');
    secret.data = { token: Buffer.from(token).toString('base64') };
    const r = await bearer(token);
    assert.ok(r.ok);
    assert.deepEqual(r.response.user, { username: 'system:serviceaccount:default:robot', uid: sa.metadata.uid, groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'] });
    await bearer(token);
    assert.deepEqual(world.marked, ['robot-token@2025-01-01']);
    // No expiry: a year later it still works (and is tracked again).
    clock.step(365 * 24 * 3600_000);
    assert.ok((await bearer(token)).ok);
    assert.deepEqual(world.marked, ['robot-token@2025-01-01', 'robot-token@2026-01-01']);
    // A legacy token has no audience: it is good for the API server only.
    assert.match(await error(bearer(token, ['vault'])) ?? '', /token audiences \["https:\/\/kubernetes.default.svc.cluster.local"\] is invalid for the target audiences \["vault"\]/);
    world.objects.delete('Secret/default/robot-token');
    assert.equal(await error(bearer(token)), '[invalid bearer token, token has been invalidated]');
  });
});

describe('tokens that are not ours, forged or malformed', () => {
  const cases: [string, (s: ReturnType<typeof setup>) => Promise<string>, string][] = [
    ['garbage', async () => 'not-a-token', 'invalid bearer token'],
    ['three parts, no JSON', async () => 'a.b.c', 'invalid bearer token'],
    ['another issuer', async () => `${b64({ alg: 'RS256' })}.${b64({ iss: 'https://accounts.google.com' })}.sig`, 'invalid bearer token'],
    ['signed by another key', async (s) => (await new TokenIssuer(pair(), { now: s.clock.now }).bound({ serviceAccount: s.sa, expirationSeconds: 600, audiences: ['https://kubernetes.default.svc.cluster.local'], now: s.clock.now() })).token,
      '[invalid bearer token, go-jose/go-jose: error in cryptographic primitive]'],
    ['claims changed after signing', async (s) => {
      const [h, p, sig] = (await s.issue()).split('.');
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
      claims['kubernetes.io'].serviceaccount.name = 'admin';
      return `${h}.${b64(claims)}.${sig}`;
    }, '[invalid bearer token, go-jose/go-jose: error in cryptographic primitive]'],
    ['alg none', async (s) => {
      const [, p] = (await s.issue()).split('.');
      return `${b64({ alg: 'none' })}.${p}.`;
    }, '[invalid bearer token, go-jose/go-jose: unknown/unsupported algorithm]'],
    ['HS256 with the public key as secret', async (s) => {
      const [, p] = (await s.issue()).split('.');
      return `${b64({ alg: 'HS256' })}.${p}.c2ln`;
    }, '[invalid bearer token, go-jose/go-jose: unknown/unsupported algorithm]'],
  ];
  for (const [name, make, want] of cases) {
    it(`${name}: refused (${want})`, async () => {
      const s = setup();
      assert.equal(await error(s.bearer(await make(s))), want);
    });
  }

  it('the administrator\'s static token is still the administrator', async () => {
    const r = await setup().bearer('admin-token');
    assert.ok(r.ok);
    assert.deepEqual(r.response.user, ADMIN_USER);
  });
});

function b64(o: unknown): string {
  return Buffer.from(JSON.stringify(o)).toString('base64url');
}
