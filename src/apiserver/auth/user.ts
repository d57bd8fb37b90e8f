// Who a request is (k8s.io/apiserver/pkg/authentication/user): the name, uid,
// groups and extra an authenticator finds, and the well-known group names.
// The authenticators (./authenticator.ts) produce it; admission attributes,
// the authorizer (./authorizer.ts) and the review APIs read it.

/** user.Info. */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** user.SystemPrivilegedGroup: members may do anything, whatever RBAC says. */
export const SYSTEM_MASTERS = 'system:masters';
/** user.AllAuthenticated: added to every authenticated user by the authenticator union. */
export const ALL_AUTHENTICATED = 'system:authenticated';
/** user.AllUnauthenticated. */
export const ALL_UNAUTHENTICATED = 'system:unauthenticated';

/**
 * The one user nodeless knows until issue 17 brings ServiceAccount tokens and RBAC: the
 * kubeconfig's bearer token authenticates as this administrator, in the privileged group
 * (kubeadm's first admin was the same: a member of system:masters).
 */
export const ADMIN_USER: UserInfo = Object.freeze({ username: 'nodeless-admin', groups: Object.freeze([SYSTEM_MASTERS, ALL_AUTHENTICATED]) as string[] });
