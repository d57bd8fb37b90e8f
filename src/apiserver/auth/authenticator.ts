// Authentication, as kube-apiserver's request authenticators do it
// (k8s.io/apiserver/pkg/authentication): the bearer token of a request
// (`Authorization: Bearer <token>`, the scheme in any case, the token up to the
// next space) is handed to a token authenticator, which answers with the user it
// belongs to, or not. The TokenReview API (authentication.k8s.io) asks the same
// authenticator about a token it is given. Today there is one token, the
// kubeconfig's, for the administrator (./user.ts); issue 17 adds ServiceAccount
// tokens behind the same interface. docs/auth.md.
import { timingSafeEqual } from 'node:crypto';
import type { UserInfo } from './user.js';

/** authenticator.Response: the user, and the audiences the token is good for. */
export interface AuthResponse {
  user: UserInfo;
  audiences: string[];
}

/** The outcome of authenticating a token: a user, or why there is none (authenticator.Token's ok/err). */
export type AuthResult = { ok: true; response: AuthResponse } | { ok: false; error: string };

/** authenticator.Token. */
export interface TokenAuthenticator {
  /** `audiences`: what the caller wants the token to be good for (empty: the API server's own). */
  authenticateToken(token: string, audiences: string[]): AuthResult;
}

/**
 * The API server's own audiences (--api-audiences, defaulting to the service account issuer):
 * what a TokenReview without spec.audiences checks a token against.
 */
export const API_AUDIENCES: readonly string[] = Object.freeze(['https://kubernetes.default.svc.cluster.local']);

/** bearertoken's error when no token authenticator knew the token (invalidToken). */
export const INVALID_BEARER_TOKEN = 'invalid bearer token';

/**
 * A static token (kube-apiserver's --token-auth-file with one line): audience-agnostic,
 * so it is good for whatever audiences are asked (authenticator.WrapAudienceAgnosticToken).
 */
export class StaticTokenAuthenticator implements TokenAuthenticator {
  private readonly want: Buffer;

  constructor(token: string, private readonly user: UserInfo) {
    this.want = Buffer.from(token);
  }

  authenticateToken(token: string, audiences: string[]): AuthResult {
    const given = Buffer.from(token);
    if (given.length !== this.want.length || !timingSafeEqual(given, this.want)) return { ok: false, error: INVALID_BEARER_TOKEN };
    return { ok: true, response: { user: this.user, audiences: audiences.length ? [...audiences] : [...API_AUDIENCES] } };
  }
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

/** The user a request's Authorization header authenticates as, or undefined (401). */
export function authenticateRequest(authn: TokenAuthenticator, authorization: string | undefined): UserInfo | undefined {
  const token = bearerToken(authorization);
  if (token === undefined) return undefined;
  const r = authn.authenticateToken(token, []);
  return r.ok ? r.response.user : undefined;
}
