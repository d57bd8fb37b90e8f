// Authentication, as kube-apiserver's request authenticators do it
// (k8s.io/apiserver/pkg/authentication): a request is the user of its client
// certificate (signed by the cluster CA: ./x509.ts) or of its bearer token
// (`Authorization: Bearer <token>`, the scheme in any case, the token up to the
// next space), which is handed to the token authenticators in turn (a union:
// the administrator's static token, then ServiceAccount tokens,
// ./serviceaccount.ts). Every authenticated user is also in
// system:authenticated. The TokenReview API asks the same token authenticators
// about a token it is given. docs/auth.md.
import { timingSafeEqual } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { UserInfo } from './user.js';
import { ALL_AUTHENTICATED } from './user.js';
import { certificateUser } from './x509.js';
import type { AuthResult, TokenAuthenticator } from './types.js';
import { API_AUDIENCES, INVALID_BEARER_TOKEN } from './types.js';

export type { AuthResponse, AuthResult, TokenAuthenticator } from './types.js';
export { API_AUDIENCES, INVALID_BEARER_TOKEN, SERVICE_ACCOUNT_ISSUER } from './types.js';

/**
 * A static token (kube-apiserver's --token-auth-file with one line): audience-agnostic,
 * so it is good for whatever audiences are asked (authenticator.WrapAudienceAgnosticToken).
 */
export class StaticTokenAuthenticator implements TokenAuthenticator {
  private readonly want: Buffer;

  constructor(token: string, private readonly user: UserInfo) {
    this.want = Buffer.from(token);
  }

  authenticateToken(token: string, audiences: string[]): AuthResult | undefined {
    const given = Buffer.from(token);
    if (given.length !== this.want.length || !timingSafeEqual(given, this.want)) return undefined;
    return { ok: true, response: { user: this.user, audiences: audiences.length ? [...audiences] : [...API_AUDIENCES] } };
  }
}

/** utilerrors.NewAggregate's text: one error as itself, several as [a, b]. */
export const aggregate = (errs: string[]) => (errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`);

/**
 * token/union: the first authenticator that knows the token decides; the errors of those that
 * refused it are kept (aggregated) when none accepts it.
 */
export class UnionTokenAuthenticator implements TokenAuthenticator {
  constructor(private readonly authenticators: TokenAuthenticator[]) {}

  async authenticateToken(token: string, audiences: string[]): Promise<AuthResult | undefined> {
    const errs: string[] = [];
    for (const a of this.authenticators) {
      const r = await a.authenticateToken(token, audiences);
      if (!r) continue;
      if (r.ok) return r;
      errs.push(r.error);
    }
    return errs.length ? { ok: false, error: aggregate(errs) } : undefined;
  }
}

/**
 * group.AuthenticatedGroupAdder: every authenticated user is in system:authenticated (once).
 * The user is copied: the authenticators' own objects are never changed.
 */
export function withAuthenticatedGroup(user: UserInfo): UserInfo {
  if (user.groups.includes(ALL_AUTHENTICATED)) return user;
  return { ...user, groups: [...user.groups, ALL_AUTHENTICATED] };
}

/**
 * The bearer token of an Authorization header as kube-apiserver's bearertoken authenticator
 * reads it: the scheme in any case, the token up to the next space; undefined when there is none.
 */
export function bearerToken(authorization: string | undefined): string | undefined {
  const parts = (authorization ?? '').trim().split(' ');
  if (parts.length < 2 || parts[0].toLowerCase() !== 'bearer' || !parts[1]) return undefined;
  return parts[1];
}

/**
 * request/bearertoken: a token no authenticator knew is `invalid bearer token`; one that was
 * refused carries the refusal too, as kube-apiserver logs it
 * (`[invalid bearer token, service account token has expired]`).
 */
export async function authenticateBearer(authn: TokenAuthenticator, token: string, audiences: string[]): Promise<AuthResult> {
  let r: AuthResult | undefined;
  try {
    r = await authn.authenticateToken(token, audiences);
  } catch (e) {
    // A lookup that failed (the store) is a refusal with its reason, never a request let through.
    r = { ok: false, error: (e as Error)?.message ?? String(e) };
  }
  if (!r) return { ok: false, error: INVALID_BEARER_TOKEN };
  if (!r.ok) return { ok: false, error: aggregate([INVALID_BEARER_TOKEN, r.error]) };
  return { ok: true, response: { ...r.response, user: withAuthenticatedGroup(r.response.user) } };
}

/** What a request presents: its Authorization header and its TLS connection (a client certificate). */
export interface Credentials {
  authorization?: string;
  socket?: unknown;
}

/**
 * The request authenticator union of kube-apiserver (x509 client certificates, then bearer
 * tokens; anonymous requests are refused): the user, or why there is none. A request with
 * no credentials at all is `undefined` (401 as well).
 */
export async function authenticateRequest(authn: TokenAuthenticator, c: Credentials): Promise<AuthResult | undefined> {
  const errs: string[] = [];
  const tls = c.socket && typeof (c.socket as TLSSocket).getPeerX509Certificate === 'function' ? (c.socket as TLSSocket) : undefined;
  if (tls) {
    const r = certificateUser(tls);
    if (r?.ok) return { ok: true, response: { user: withAuthenticatedGroup(r.response.user), audiences: r.response.audiences } };
    if (r) errs.push(r.error);
  }
  const token = bearerToken(c.authorization);
  if (token !== undefined) {
    const r = await authenticateBearer(authn, token, []);
    if (r.ok) return r;
    errs.push(r.error);
  }
  return errs.length ? { ok: false, error: aggregate(errs) } : undefined;
}
