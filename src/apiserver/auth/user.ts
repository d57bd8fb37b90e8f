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

/** user.CredentialIDKey: the extra key naming the credential a request used (a JWT's jti, an x509 fingerprint). */
export const CREDENTIAL_ID_KEY = 'authentication.kubernetes.io/credential-id';

// k8s.io/apiserver/pkg/authentication/serviceaccount (util.go): how a ServiceAccount is a user.
/** ServiceAccountUsernamePrefix. */
export const SERVICE_ACCOUNT_USERNAME_PREFIX = 'system:serviceaccount:';
/** AllServiceAccountsGroup. */
export const ALL_SERVICE_ACCOUNTS = 'system:serviceaccounts';
/** Extra keys of a pod-bound token's user (PodNameKey, PodUIDKey, NodeNameKey, NodeUIDKey). */
export const POD_NAME_KEY = 'authentication.kubernetes.io/pod-name';
export const POD_UID_KEY = 'authentication.kubernetes.io/pod-uid';
export const NODE_NAME_KEY = 'authentication.kubernetes.io/node-name';
export const NODE_UID_KEY = 'authentication.kubernetes.io/node-uid';

/** MakeUsername: system:serviceaccount:NS:NAME. */
export const serviceAccountUsername = (namespace: string, name: string) => `${SERVICE_ACCOUNT_USERNAME_PREFIX}${namespace}:${name}`;

/** MakeGroupNames: system:serviceaccounts and system:serviceaccounts:NS. */
export const serviceAccountGroups = (namespace: string) => [ALL_SERVICE_ACCOUNTS, `${ALL_SERVICE_ACCOUNTS}:${namespace}`];

/** SplitUsername: the namespace and name of a system:serviceaccount:NS:NAME username, or undefined. */
export function splitServiceAccountUsername(username: string): { namespace: string; name: string } | undefined {
  if (!username.startsWith(SERVICE_ACCOUNT_USERNAME_PREFIX)) return undefined;
  const parts = username.slice(SERVICE_ACCOUNT_USERNAME_PREFIX.length).split(':');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return { namespace: parts[0], name: parts[1] };
}

/** user.KubeScheduler: who kube-scheduler is (bound to system:kube-scheduler and system:volume-scheduler). */
export const KUBE_SCHEDULER: UserInfo = Object.freeze({ username: 'system:kube-scheduler', groups: Object.freeze([ALL_AUTHENTICATED]) as string[] });

/** A ServiceAccount's user (serviceaccount.UserInfo): kube-controller-manager's controllers run as those of kube-system. */
export function serviceAccountUser(namespace: string, name: string): UserInfo {
  return { username: serviceAccountUsername(namespace, name), groups: [...serviceAccountGroups(namespace), ALL_AUTHENTICATED] };
}
