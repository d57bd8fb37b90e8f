// The shapes every authenticator shares (k8s.io/apiserver/pkg/authentication/authenticator):
// what authenticating a credential answers, and the API server's own issuer and audiences.
// ./authenticator.ts re-exports them; ./x509.ts and ./serviceaccount.ts implement them.
import type { UserInfo } from './user.js';

/** authenticator.Response: the user, and the audiences the token is good for. */
export interface AuthResponse {
  user: UserInfo;
  audiences: string[];
}

/**
 * The outcome of authenticating a credential: a user, or why it is refused
 * (authenticator.Token's ok/err). An authenticator that does not know the credential at all
 * answers undefined (kube's `nil, false, nil`): the next one may.
 */
export type AuthResult = { ok: true; response: AuthResponse } | { ok: false; error: string };

/** authenticator.Token. */
export interface TokenAuthenticator {
  /** `audiences`: what the caller wants the token to be good for (empty: the API server's own). */
  authenticateToken(token: string, audiences: string[]): AuthResult | undefined | Promise<AuthResult | undefined>;
}

/** The default --service-account-issuer (kubeadm's): the issuer of the tokens nodeless signs. */
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/**
 * The API server's own audiences (--api-audiences, defaulting to the service account issuer):
 * what a TokenReview without spec.audiences checks a token against.
 */
export const API_AUDIENCES: readonly string[] = Object.freeze([SERVICE_ACCOUNT_ISSUER]);

/** bearertoken's error when no token authenticator knew the token (invalidToken). */
export const INVALID_BEARER_TOKEN = 'invalid bearer token';

