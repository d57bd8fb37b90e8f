// ServiceAccount tokens, as kube-apiserver issues and checks them
// (kubernetes/pkg/serviceaccount: jwt.go, claims.go, legacy.go): JWTs signed
// RS256 with the install's key (pki/sa.key), issued by the TokenRequest API
// (bound tokens: an issuer, audiences, an expiry, the ServiceAccount and
// optionally the pod, secret or node they are bound to) and by the token
// controller into `kubernetes.io/service-account-token` Secrets (legacy
// tokens: issuer `kubernetes/serviceaccount`, no expiry). Every authentication
// looks the ServiceAccount (and what the token is bound to) up again, so a
// deleted or re-created object invalidates its tokens at once. docs/auth.md.
import { createHash, createPrivateKey, createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import { CompactSign, compactVerify, exportJWK } from 'jose';
import type { KubeObject } from '../../api/types.js';
import type { AuthResult, TokenAuthenticator } from './types.js';
import { API_AUDIENCES, SERVICE_ACCOUNT_ISSUER } from './types.js';
import type { UserInfo } from './user.js';
import {
  CREDENTIAL_ID_KEY, NODE_NAME_KEY, NODE_UID_KEY, POD_NAME_KEY, POD_UID_KEY, serviceAccountGroups, serviceAccountUsername, splitServiceAccountUsername,
} from './user.js';

/** serviceaccount.LegacyIssuer: the issuer of the tokens the token controller puts into Secrets. */
export const LEGACY_ISSUER = 'kubernetes/serviceaccount';
/** The expiry kube-apiserver extends pod-bound projected tokens from (WarnOnlyBoundTokenExpirationSeconds: 1h7s)… */
export const WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS = 60 * 60 + 7;
/** …to a year (ExpirationExtensionSeconds), with `warnafter` at the requested expiry (--service-account-extend-token-expiration, on by default). */
export const EXPIRATION_EXTENSION_SECONDS = 24 * 365 * 60 * 60;
/** go-jose's jwt.DefaultLeeway: clocks may differ by a minute when exp, nbf and iat are checked. */
const LEEWAY_MS = 60_000;

/** keyIDFromPublicKey: the unpadded base64url SHA-256 of the public key's PKIX DER. */
export function keyId(pub: KeyObject): string {
  return createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('base64url');
}

/** The install's signing key pair (pki/sa.key, pki/sa.pub). */
export class ServiceAccountKeys {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly kid: string;

  constructor(privatePem: string, publicPem: string) {
    this.privateKey = createPrivateKey(privatePem);
    this.publicKey = createPublicKey(publicPem);
    this.kid = keyId(this.publicKey);
  }

  /** JWTTokenGenerator.GenerateToken: claims as go-jose writes them (its map sorts the keys), RS256, the key id in the header. */
  async sign(claims: Record<string, unknown>): Promise<string> {
    const payload = Buffer.from(JSON.stringify(sortKeys(claims)));
    return new CompactSign(payload).setProtectedHeader({ alg: 'RS256', kid: this.kid }).sign(this.privateKey);
  }

  /** The JSON Web Key Set the issuer discovery serves (/openid/v1/jwks), in go-jose's field order. */
  async jwks(): Promise<{ keys: Record<string, string>[] }> {
    const jwk = await exportJWK(this.publicKey);
    return { keys: [{ use: 'sig', kty: 'RSA', kid: this.kid, alg: 'RS256', n: jwk.n!, e: jwk.e! }] };
  }
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  return v;
}

interface Ref { name: string; uid: string }
const refOf = (o: KubeObject): Ref => ({ name: o.metadata.name ?? '', uid: o.metadata.uid ?? '' });

export interface BoundClaimsInput {
  serviceAccount: KubeObject;
  pod?: KubeObject;
  secret?: KubeObject;
  /** The node a pod-bound token's pod runs on (its name alone when the Node object is gone), or the node a node-bound token is for. */
  node?: { name: string; uid?: string };
  expirationSeconds: number;
  /** Seconds from now after which use is logged as stale (the extended projected tokens). */
  warnAfterSeconds?: number;
  audiences: string[];
  issuer?: string;
  /** Milliseconds since the epoch. */
  now: number;
}

/**
 * serviceaccount.Claims (1.32): sub, aud, iat, nbf, exp, a fresh jti (ServiceAccountTokenJTI), and
 * the kubernetes.io claim naming the ServiceAccount and what the token is bound to: a pod (and
 * the node it runs on, ServiceAccountTokenPodNodeInfo), a secret, or a node.
 */
export function boundClaims(i: BoundClaimsInput): Record<string, unknown> {
  const now = Math.floor(i.now / 1000);
  const sa = i.serviceAccount;
  const k8s: Record<string, unknown> = { namespace: sa.metadata.namespace, serviceaccount: refOf(sa) };
  if (i.pod) {
    k8s.pod = refOf(i.pod);
    if (i.node) k8s.node = { name: i.node.name, ...(i.node.uid ? { uid: i.node.uid } : {}) };
  } else if (i.secret) k8s.secret = refOf(i.secret);
  else if (i.node) k8s.node = { name: i.node.name, ...(i.node.uid ? { uid: i.node.uid } : {}) };
  if (i.warnAfterSeconds) k8s.warnafter = now + i.warnAfterSeconds;
  return {
    iss: i.issuer ?? SERVICE_ACCOUNT_ISSUER,
    sub: serviceAccountUsername(sa.metadata.namespace!, sa.metadata.name!),
    aud: i.audiences,
    exp: now + i.expirationSeconds,
    iat: now,
    nbf: now,
    jti: randomUUID(),
    'kubernetes.io': k8s,
  };
}

/** serviceaccount.LegacyClaims: what the token controller signs into a Secret (no expiry, no audience). */
export function legacyClaims(sa: KubeObject, secret: KubeObject): Record<string, unknown> {
  return {
    iss: LEGACY_ISSUER,
    sub: serviceAccountUsername(sa.metadata.namespace!, sa.metadata.name!),
    'kubernetes.io/serviceaccount/namespace': sa.metadata.namespace,
    'kubernetes.io/serviceaccount/secret.name': secret.metadata.name,
    'kubernetes.io/serviceaccount/service-account.name': sa.metadata.name,
    'kubernetes.io/serviceaccount/service-account.uid': sa.metadata.uid,
  };
}

/**
 * ServiceAccountTokenGetter: the objects a token names, read fresh (a missing one throws its
 * API error, e.g. `serviceaccounts "x" not found`, as kube's client getter does).
 */
export interface ServiceAccountTokenGetter {
  serviceAccount(namespace: string, name: string): Promise<KubeObject>;
  pod(namespace: string, name: string): Promise<KubeObject>;
  secret(namespace: string, name: string): Promise<KubeObject>;
  node(name: string): Promise<KubeObject>;
  /** LegacyServiceAccountTokenTracking: labels a legacy token's Secret with the day it was last used. */
  markLegacyTokenUsed?(secret: KubeObject, day: string): Promise<void>;
}

/** The label the legacy token tracking keeps on a token Secret (kubernetes.io/legacy-token-last-used). */
export const LEGACY_TOKEN_LAST_USED = 'kubernetes.io/legacy-token-last-used';
/** The label the legacy token cleaner sets on a token it invalidated (kubernetes.io/legacy-token-invalid-since). */
export const LEGACY_TOKEN_INVALID_SINCE = 'kubernetes.io/legacy-token-invalid-since';

export interface ServiceAccountAuthenticatorOptions {
  keys: ServiceAccountKeys;
  getter: ServiceAccountTokenGetter;
  /** --service-account-issuer (the first issues, all are accepted). */
  issuers?: string[];
  /** --api-audiences: what a token must be good for when the request names none. */
  audiences?: readonly string[];
  /** Milliseconds since the epoch (a test moves it to see tokens expire). */
  now?: () => number;
}

/** A token whose signature checked out: its claims, kept until it expires so the RSA check runs once per token. */
interface Verified { claims: Record<string, any>; until: number }

const MAX_VERIFIED = 4096;

class ClaimError extends Error {}

/**
 * The ServiceAccount token authenticators of kube-apiserver (bound and legacy JWTs, jwt.go's
 * jwtTokenAuthenticator with claims.go's and legacy.go's validators): a token whose issuer is not
 * one of ours is not ours (no opinion, no error); one of ours with a bad signature, the wrong
 * audience, an expiry passed, or naming objects that are gone or re-created is refused with
 * kube's reason; a good one is its ServiceAccount's user.
 */
export class ServiceAccountTokenAuthenticator implements TokenAuthenticator {
  private readonly issuers: Set<string>;
  private readonly audiences: readonly string[];
  private readonly now: () => number;
  private readonly verified = new Map<string, Verified>();

  constructor(private readonly o: ServiceAccountAuthenticatorOptions) {
    this.issuers = new Set(o.issuers ?? [SERVICE_ACCOUNT_ISSUER]);
    this.audiences = o.audiences ?? API_AUDIENCES;
    this.now = o.now ?? Date.now;
  }

  async authenticateToken(token: string, audiences: string[]): Promise<AuthResult | undefined> {
    const iss = issuerOf(token);
    if (iss === undefined || (!this.issuers.has(iss) && iss !== LEGACY_ISSUER)) return undefined;
    let claims: Record<string, any>;
    try {
      claims = await this.verify(token);
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
    try {
      if (iss === LEGACY_ISSUER) return await this.legacy(token, claims, audiences);
      return await this.bound(claims, audiences);
    } catch (e) {
      if (e instanceof ClaimError) return { ok: false, error: e.message };
      throw e;
    }
  }

  /** The signature (jose, RS256 only), once per token: later uses find the claims in a bounded cache. */
  private async verify(token: string): Promise<Record<string, any>> {
    const hit = this.verified.get(token);
    if (hit && hit.until > this.now()) return hit.claims;
    let payload: Uint8Array;
    try {
      ({ payload } = await compactVerify(token, this.o.keys.publicKey, { algorithms: ['RS256'] }));
    } catch (e) {
      const code = (e as { code?: string })?.code;
      // go-jose's words: an algorithm other than the key's, or a signature that does not verify.
      if (code === 'ERR_JOSE_ALG_NOT_ALLOWED' || code === 'ERR_JOSE_NOT_SUPPORTED') throw new Error('go-jose/go-jose: unknown/unsupported algorithm');
      if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') throw new Error('go-jose/go-jose: error in cryptographic primitive');
      throw new Error('go-jose/go-jose: compact JWS format must have three parts');
    }
    let claims: unknown;
    try {
      claims = JSON.parse(Buffer.from(payload).toString('utf8'));
    } catch {
      throw new Error('json: cannot unmarshal the claims of the token');
    }
    if (!claims || typeof claims !== 'object' || Array.isArray(claims)) throw new Error('json: cannot unmarshal into Go value of type jwt.Claims');
    const c = claims as Record<string, any>;
    // A legacy token never expires; keep it as long as a bound one could live.
    const until = typeof c.exp === 'number' ? c.exp * 1000 + LEEWAY_MS : this.now() + 3600_000;
    if (this.verified.size >= MAX_VERIFIED) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { claims: c, until });
    return c;
  }

  /** The audiences check of jwt.go: the token's (the API server's for a token without one) meet the requested ones. */
  private audiencesFor(claims: Record<string, any>, requested: string[]): string[] {
    const raw = claims.aud;
    let tokenAuds: string[] = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw.filter((a) => typeof a === 'string') : [];
    if (tokenAuds.length === 0) tokenAuds = [...this.audiences];
    const want = requested.length ? requested : [...this.audiences];
    const auds = tokenAuds.filter((a) => want.includes(a));
    if (auds.length === 0) throw new ClaimError(`token audiences ${goQuote(tokenAuds)} is invalid for the target audiences ${goQuote(want)}`);
    return auds;
  }

  /** jwt.Claims.ValidateWithLeeway and claims.go's words for each failure. */
  private checkTimes(claims: Record<string, any>): void {
    const now = this.now();
    const at = (v: unknown) => (typeof v === 'number' ? v * 1000 : undefined);
    const nbf = at(claims.nbf);
    const exp = at(claims.exp);
    const iat = at(claims.iat);
    if (nbf !== undefined && now + LEEWAY_MS < nbf) throw new ClaimError('service account token is not valid yet');
    if (exp !== undefined && now - LEEWAY_MS > exp) throw new ClaimError('service account token has expired');
    if (iat !== undefined && now + LEEWAY_MS < iat) throw new ClaimError('service account token is issued in the future');
  }

  /** An object a token names, or the error it is refused with. */
  private async lookup(read: () => Promise<KubeObject>, gone?: string): Promise<KubeObject> {
    try {
      return await read();
    } catch (e) {
      throw new ClaimError(gone ?? (e as Error)?.message ?? String(e));
    }
  }

  /** Deleted before now minus the leeway (something a finalizer still holds). */
  private deletedLongAgo(o: KubeObject): boolean {
    const t = o.metadata.deletionTimestamp ? Date.parse(o.metadata.deletionTimestamp) : NaN;
    return Number.isFinite(t) && t < this.now() - LEEWAY_MS;
  }

  private async bound(claims: Record<string, any>, requested: string[]): Promise<AuthResult> {
    if (!this.issuers.has(claims.iss)) throw new ClaimError(`token issuer ${JSON.stringify(claims.iss)} is invalid`);
    const auds = this.audiencesFor(claims, requested);
    this.checkTimes(claims);
    const k8s = claims['kubernetes.io'] && typeof claims['kubernetes.io'] === 'object' ? claims['kubernetes.io'] : {};
    const ns = str(k8s.namespace);
    const saRef = ref(k8s.serviceaccount);
    const g = this.o.getter;
    const sa = await this.lookup(() => g.serviceAccount(ns, saRef?.name ?? ''));
    if (this.deletedLongAgo(sa)) throw new ClaimError(`service account ${ns}/${saRef?.name} has been deleted`);
    if (sa.metadata.uid !== saRef?.uid) throw new ClaimError(`service account UID (${sa.metadata.uid}) does not match claim (${saRef?.uid ?? ''})`);
    const secretRef = ref(k8s.secret);
    if (secretRef) {
      const secret = await this.lookup(() => g.secret(ns, secretRef.name), 'service account token has been invalidated');
      if (this.deletedLongAgo(secret)) throw new ClaimError('service account token has been invalidated');
      if (secret.metadata.uid !== secretRef.uid) throw new ClaimError(`secret UID (${secret.metadata.uid}) does not match service account secret ref claim (${secretRef.uid})`);
    }
    const podRef = ref(k8s.pod);
    if (podRef) {
      const pod = await this.lookup(() => g.pod(ns, podRef.name), 'service account token has been invalidated');
      if (this.deletedLongAgo(pod)) throw new ClaimError('service account token has been invalidated');
      if (pod.metadata.uid !== podRef.uid) throw new ClaimError(`pod UID (${pod.metadata.uid}) does not match service account pod ref claim (${podRef.uid})`);
    }
    const nodeRef = ref(k8s.node, true);
    let node: { name: string; uid?: string } | undefined;
    if (nodeRef && podRef) node = nodeRef; // a pod-bound token only reports its pod's node
    else if (nodeRef) {
      const n = await this.lookup(() => g.node(nodeRef.name), 'service account token has been invalidated');
      if (this.deletedLongAgo(n)) throw new ClaimError('service account token has been invalidated');
      if (n.metadata.uid !== nodeRef.uid) throw new ClaimError(`node UID (${n.metadata.uid}) does not match service account node ref claim (${nodeRef.uid})`);
      node = nodeRef;
    }
    const jti = str(claims.jti);
    return {
      ok: true,
      response: {
        user: serviceAccountUser(ns, saRef!.name, saRef!.uid, { pod: podRef, node, credentialId: jti ? `JTI=${jti}` : undefined }),
        audiences: auds,
      },
    };
  }

  /** legacy.go's validator: every claim present, the Secret still holding this very token, the account the same. */
  private async legacy(token: string, claims: Record<string, any>, requested: string[]): Promise<AuthResult> {
    // A legacy token has no audience: it is good for the API server's audiences only.
    const auds = this.audiencesFor({}, requested);
    if (!str(claims.sub)) throw new ClaimError('sub claim is missing');
    const ns = str(claims['kubernetes.io/serviceaccount/namespace']);
    if (!ns) throw new ClaimError('namespace claim is missing');
    const secretName = str(claims['kubernetes.io/serviceaccount/secret.name']);
    if (!secretName) throw new ClaimError('secretName claim is missing');
    const saName = str(claims['kubernetes.io/serviceaccount/service-account.name']);
    if (!saName) throw new ClaimError('serviceAccountName claim is missing');
    const saUid = str(claims['kubernetes.io/serviceaccount/service-account.uid']);
    if (!saUid) throw new ClaimError('serviceAccountUID claim is missing');
    const subject = splitServiceAccountUsername(claims.sub);
    if (!subject || subject.namespace !== ns || subject.name !== saName) throw new ClaimError('sub claim is invalid');
    const g = this.o.getter;
    const secret = await this.lookup(() => g.secret(ns, secretName), 'token has been invalidated');
    if (secret.metadata.deletionTimestamp) throw new ClaimError('token has been invalidated');
    const stored = typeof secret.data?.token === 'string' ? Buffer.from(secret.data.token, 'base64').toString('utf8') : '';
    if (stored !== token) throw new ClaimError('token does not match data');
    const sa = await this.lookup(() => g.serviceAccount(ns, saName));
    if (sa.metadata.deletionTimestamp) throw new ClaimError(`service account ${ns}/${saName} has been deleted`);
    if (sa.metadata.uid !== saUid) throw new ClaimError(`service account UID (${sa.metadata.uid}) does not match claim (${saUid})`);
    // The legacy token cleaner's mark: a token it invalidated stays refused.
    if (secret.metadata.labels?.[LEGACY_TOKEN_INVALID_SINCE]) throw new ClaimError('token has been invalidated');
    const day = new Date(this.now()).toISOString().slice(0, 10);
    if (g.markLegacyTokenUsed && secret.metadata.labels?.[LEGACY_TOKEN_LAST_USED] !== day) {
      // Tracking must never fail the request it tracks (kube logs and goes on).
      await g.markLegacyTokenUsed(secret, day).catch(() => undefined);
    }
    return { ok: true, response: { user: serviceAccountUser(ns, saName, saUid, {}), audiences: auds } };
  }
}

/** ServiceAccountInfo.UserInfo: the account's user, groups, and the pod, node and credential it came with. */
export function serviceAccountUser(namespace: string, name: string, uid: string, o: { pod?: Ref; node?: { name: string; uid?: string }; credentialId?: string }): UserInfo {
  const extra: Record<string, string[]> = {};
  if (o.pod?.name && o.pod.uid) {
    extra[POD_NAME_KEY] = [o.pod.name];
    extra[POD_UID_KEY] = [o.pod.uid];
  }
  if (o.credentialId) extra[CREDENTIAL_ID_KEY] = [o.credentialId];
  if (o.node?.name) {
    extra[NODE_NAME_KEY] = [o.node.name];
    if (o.node.uid) extra[NODE_UID_KEY] = [o.node.uid];
  }
  const sorted = Object.fromEntries(Object.keys(extra).sort().map((k) => [k, extra[k]]));
  return {
    username: serviceAccountUsername(namespace, name), uid, groups: serviceAccountGroups(namespace),
    ...(Object.keys(sorted).length ? { extra: sorted } : {}),
  };
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function ref(v: unknown, uidOptional = false): Ref | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const r = v as Record<string, unknown>;
  if (!str(r.name) && !str(r.uid)) return undefined;
  if (!uidOptional && !str(r.name)) return undefined;
  return { name: str(r.name), uid: str(r.uid) };
}

/** Go's %q of a []string: ["a" "b"]. */
const goQuote = (xs: string[]) => `[${xs.map((x) => JSON.stringify(x)).join(' ')}]`;

/**
 * hasCorrectIssuer's first look: the `iss` of what looks like a JWT (three parts, a JSON
 * payload), before anything is verified; undefined for anything else.
 */
export function issuerOf(token: string): string | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return claims && typeof claims === 'object' && typeof claims.iss === 'string' ? claims.iss : undefined;
  } catch {
    return undefined;
  }
}

export interface TokenIssuerOptions {
  /** --service-account-issuer. */
  issuer?: string;
  /** --api-audiences: the audiences of a TokenRequest that names none. */
  audiences?: readonly string[];
  /** --service-account-extend-token-expiration (on by default). */
  extendExpiration?: boolean;
  now?: () => number;
}

/** What issues the cluster's tokens (serviceaccount.JWTTokenGenerator with the API server's issuer settings). */
export class TokenIssuer {
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly extendExpiration: boolean;
  readonly now: () => number;

  constructor(readonly keys: ServiceAccountKeys, o: TokenIssuerOptions = {}) {
    this.issuer = o.issuer ?? SERVICE_ACCOUNT_ISSUER;
    this.audiences = o.audiences ?? API_AUDIENCES;
    this.extendExpiration = o.extendExpiration ?? true;
    this.now = o.now ?? Date.now;
  }

  /** isKubeAudiences: every audience asked for is one of the API server's. */
  isKubeAudiences(auds: string[]): boolean {
    return auds.every((a) => this.audiences.includes(a));
  }

  /** A signed bound token and the claims in it. */
  async bound(input: Omit<BoundClaimsInput, 'issuer'>): Promise<{ token: string; claims: Record<string, unknown> }> {
    const claims = boundClaims({ ...input, issuer: this.issuer });
    return { token: await this.keys.sign(claims), claims };
  }

  /** A legacy token for a `kubernetes.io/service-account-token` Secret. */
  legacy(sa: KubeObject, secret: KubeObject): Promise<string> {
    return this.keys.sign(legacyClaims(sa, secret));
  }
}
