// Impersonation (`kubectl --as alice --as-group devs --as-uid 42`), as kube-apiserver's
// WithImpersonation filter does it (k8s.io/apiserver/pkg/endpoints/filters/impersonation.go):
// each Impersonate-* header is a request to act as someone, authorized with the
// `impersonate` verb — on `users` (or, for `system:serviceaccount:NS:NAME`, on the
// `serviceaccounts` NAME in NS), on `groups`, on `uids` and on `userextras/KEY`
// (authentication.k8s.io) — and refused with kube's 403 when any is not allowed. The
// request then goes on as the impersonated user, in `system:authenticated`. docs/auth.md.
import type http from 'node:http';
import { errors } from '../status.js';
import { forbiddenError, type AuthorizationAttributes, type AuthorizationResult } from './authorizer.js';
import { ALL_AUTHENTICATED, ALL_UNAUTHENTICATED, serviceAccountGroups, splitServiceAccountUsername, type UserInfo } from './user.js';

const USER = 'impersonate-user';
const GROUP = 'impersonate-group';
const UID = 'impersonate-uid';
const EXTRA = 'impersonate-extra-';
const ANONYMOUS = 'system:anonymous';

/** Whether a request asks to impersonate anyone. */
export function wantsImpersonation(headers: http.IncomingHttpHeaders): boolean {
  for (const k of Object.keys(headers)) if (k === USER || k === GROUP || k === UID || k.startsWith(EXTRA)) return true;
  return false;
}

/**
 * The user a request acts as: `requestor` when it impersonates nobody, else the impersonated
 * user once every Impersonate-* header is authorized. `headers` are each header's values
 * (IncomingMessage.headersDistinct: repeated headers stay apart, as Go's do).
 */
export async function impersonate(headers: Record<string, string[] | undefined>, requestor: UserInfo,
  authorize: (a: AuthorizationAttributes) => Promise<AuthorizationResult>): Promise<UserInfo> {
  const user = headers[USER]?.[0] ?? '';
  const groupsAsked = (headers[GROUP] ?? []);
  const uid = headers[UID]?.[0] ?? '';
  const extras = new Map<string, string[]>();
  for (const [k, v] of Object.entries(headers)) {
    if (!k.startsWith(EXTRA) || !v) continue;
    let key = k.slice(EXTRA.length);
    try {
      key = decodeURIComponent(key);
    } catch {
      throw errors.badRequest(`invalid impersonation header ${JSON.stringify(k)}`);
    }
    extras.set(key.toLowerCase(), [...(extras.get(key.toLowerCase()) ?? []), ...v]);
  }
  if (!user && !groupsAsked.length && !uid && !extras.size) return requestor;
  // kube answers this with a 500 ("requested [...] without impersonating a user"); a client's mistake here is a 400.
  if (!user) throw errors.badRequest('requested impersonation of groups, extra fields or a uid without impersonating a user');

  const ask = async (a: Omit<AuthorizationAttributes, 'user' | 'verb' | 'resourceRequest'>) => {
    const attrs: AuthorizationAttributes = { ...a, user: requestor, verb: 'impersonate', resourceRequest: true };
    const r = await authorize(attrs);
    if (r.decision !== 'Allow') throw forbiddenError(attrs, r.reason);
  };
  const username = user;
  let groups: string[] = [];
  const sa = splitServiceAccountUsername(user);
  if (sa) {
    await ask({ apiGroup: '', apiVersion: 'v1', resource: 'serviceaccounts', namespace: sa.namespace, name: sa.name });
    // A service account's groups are known: they are added unless groups were asked for.
    if (!groupsAsked.length) groups = serviceAccountGroups(sa.namespace);
  } else {
    await ask({ apiGroup: '', apiVersion: 'v1', resource: 'users', name: user });
  }
  for (const g of groupsAsked) {
    await ask({ apiGroup: '', apiVersion: 'v1', resource: 'groups', name: g });
    groups.push(g);
  }
  const extra: Record<string, string[]> = Object.create(null);
  for (const key of [...extras.keys()].sort()) {
    for (const value of extras.get(key)!) {
      await ask({ apiGroup: 'authentication.k8s.io', apiVersion: 'v1', resource: 'userextras', subresource: key, name: value });
      (extra[key] ??= []).push(value);
    }
  }
  if (uid) await ask({ apiGroup: 'authentication.k8s.io', apiVersion: 'v1', resource: 'uids', name: uid });
  // The impersonated user is authenticated (system:anonymous is not), unless a group says otherwise.
  if (username !== ANONYMOUS) {
    if (!groups.includes(ALL_AUTHENTICATED) && !groups.includes(ALL_UNAUTHENTICATED)) groups.push(ALL_AUTHENTICATED);
  } else if (!groups.includes(ALL_UNAUTHENTICATED)) groups.push(ALL_UNAUTHENTICATED);
  return { username, groups, ...(uid ? { uid } : {}), ...(extras.size ? { extra: { ...extra } } : {}) };
}
