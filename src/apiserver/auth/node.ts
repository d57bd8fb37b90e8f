// The Node authorizer (kubernetes/plugin/pkg/auth/authorizer/node/node_authorizer.go),
// first of --authorization-mode=Node,RBAC: a kubelet (`system:node:NAME` in
// `system:nodes`) may read the Secrets, ConfigMaps, PersistentVolumeClaims and
// ServiceAccount tokens of the pods bound to its node, its own Lease and
// CSINode, and what the `system:node` role allows for everything else. kube keeps
// a graph of pods, nodes and what pods reference; here an index of the pods bound
// to each node and what each refers to (./nodepods.ts, kept from the store's change
// feed), asked when a kubelet reads one of those objects (every pod start mounts its
// token and kube-root-ca.crt); those answers are not cached. docs/auth.md.
import type { KubeObject } from '../../api/types.js';
import type { AuthorizationAttributes, AuthorizationResult, Authorizer, Rules } from './authorizer.js';
import { NODE_RULES } from './bootstrappolicy.js';
import { rulesAllow } from './rbac.js';
import type { UserInfo } from './user.js';

export const NODES_GROUP = 'system:nodes';
export const NODE_USER_PREFIX = 'system:node:';

/** nodeidentifier.NodeIdentity: whether the user is a node, and which (empty when it cannot tell). */
export function nodeIdentity(u: UserInfo): string | undefined {
  if (!u.username.startsWith(NODE_USER_PREFIX) || !u.groups.includes(NODES_GROUP)) return undefined;
  return u.username.slice(NODE_USER_PREFIX.length);
}

/** The user a super node's kubelet runs as. */
export const nodeUser = (node: string): UserInfo => ({ username: `${NODE_USER_PREFIX}${node}`, groups: [NODES_GROUP, 'system:authenticated'] });

type Kind = 'secret' | 'configmap' | 'pvc' | 'serviceaccount';

/** What a pod refers to, by kind: the edges from the pod in kube's graph. */
export type PodRefs = Record<Kind, Set<string>>;

export const podRefs = (pod: KubeObject): PodRefs => ({
  secret: references(pod, 'secret'), configmap: references(pod, 'configmap'), pvc: references(pod, 'pvc'), serviceaccount: references(pod, 'serviceaccount'),
});

/** The objects of a kind a pod refers to (the graph populator's edges). */
function references(pod: KubeObject, kind: Kind): Set<string> {
  const out = new Set<string>();
  const spec: any = pod.spec ?? {};
  if (kind === 'serviceaccount') {
    out.add(spec.serviceAccountName || 'default');
    return out;
  }
  const containers: any[] = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
  const add = (v: unknown) => typeof v === 'string' && v && out.add(v);
  if (kind === 'secret') for (const s of spec.imagePullSecrets ?? []) add(s?.name);
  for (const c of containers) {
    for (const e of c?.env ?? []) add(kind === 'secret' ? e?.valueFrom?.secretKeyRef?.name : kind === 'configmap' ? e?.valueFrom?.configMapKeyRef?.name : undefined);
    for (const e of c?.envFrom ?? []) add(kind === 'secret' ? e?.secretRef?.name : kind === 'configmap' ? e?.configMapRef?.name : undefined);
  }
  for (const v of spec.volumes ?? []) {
    if (kind === 'secret') add(v?.secret?.secretName);
    if (kind === 'configmap') add(v?.configMap?.name);
    if (kind === 'pvc') {
      add(v?.persistentVolumeClaim?.claimName);
      if (v?.ephemeral) add(`${pod.metadata.name}-${v.name}`);
    }
    for (const src of v?.projected?.sources ?? []) {
      if (kind === 'secret') add(src?.secret?.name);
      if (kind === 'configmap') add(src?.configMap?.name);
    }
  }
  return out;
}

const NO_OPINION: AuthorizationResult = Object.freeze({ decision: 'NoOpinion', reason: '' });

/**
 * authorizeLease / authorizeCSINode: a node's own object (a create names none: NodeRestriction
 * admission checks the name then), with the verbs a kubelet uses, in the lease namespace for a Lease.
 */
function ownObject(node: string, a: AuthorizationAttributes, what: string, plural: string, namespace?: string): AuthorizationResult {
  if (!['get', 'create', 'update', 'patch', 'delete'].includes(a.verb)) return { decision: 'NoOpinion', reason: `can only get, create, update, patch, or delete a ${what}` };
  if (namespace !== undefined && a.namespace !== namespace) return { decision: 'NoOpinion', reason: `can only access ${plural} in the ${JSON.stringify(namespace)} system namespace` };
  if (a.verb !== 'create' && a.name !== node) return { decision: 'NoOpinion', reason: `can only access ${what} with the same name as the requesting node` };
  return { decision: 'Allow', reason: '' };
}

export class NodeAuthorizer implements Authorizer {
  /** `podsOn(node, namespace)`: what each pod bound to the node in the namespace refers to. */
  constructor(private readonly podsOn: (node: string, namespace: string) => Promise<Iterable<PodRefs>>) {}

  async authorize(a: AuthorizationAttributes): Promise<AuthorizationResult> {
    const node = nodeIdentity(a.user);
    if (node === undefined) return NO_OPINION;
    if (!node) return { decision: 'NoOpinion', reason: `unknown node for user ${JSON.stringify(a.user.username)}` };
    if (a.resourceRequest) {
      const gr = `${a.apiGroup ?? ''}/${a.resource ?? ''}`;
      switch (gr) {
        case '/secrets': return this.readNamespaced(node, 'secret', a);
        case '/configmaps': return this.readNamespaced(node, 'configmap', a);
        case '/persistentvolumeclaims':
          // A kubelet may also write a claim's status (volume expansion), of a claim its pods use.
          if (a.subresource === 'status' && ['get', 'update', 'patch'].includes(a.verb)) return this.related(node, 'pvc', a);
          return this.readNamespaced(node, 'pvc', a);
        case '/serviceaccounts':
          if (a.verb !== 'create' || a.subresource !== 'token' || !a.name) return { decision: 'NoOpinion', reason: 'can only create tokens for individual service accounts' };
          return this.related(node, 'serviceaccount', a);
        case 'coordination.k8s.io/leases': return ownObject(node, a, 'node lease', 'leases', 'kube-node-lease');
        case 'storage.k8s.io/csinodes': return ownObject(node, a, 'CSINode', 'CSINode');
      }
    }
    return rulesAllow(a, NODE_RULES) ? { decision: 'Allow', reason: '' } : NO_OPINION;
  }

  /** authorizeReadNamespacedObject. */
  private readNamespaced(node: string, kind: Kind, a: AuthorizationAttributes): Promise<AuthorizationResult> | AuthorizationResult {
    if (!['get', 'list', 'watch'].includes(a.verb)) return { decision: 'NoOpinion', reason: 'can only read resources of this type' };
    if (a.subresource) return { decision: 'NoOpinion', reason: 'cannot read subresource' };
    if (!a.namespace) return { decision: 'NoOpinion', reason: 'can only read namespaced object of this type' };
    return this.related(node, kind, a);
  }

  /** hasPathFrom: some pod bound to the node refers to the object. */
  private async related(node: string, kind: Kind, a: AuthorizationAttributes): Promise<AuthorizationResult> {
    if (!a.name) return { decision: 'NoOpinion', reason: 'No Object name found' };
    for (const refs of await this.podsOn(node, a.namespace ?? '')) if (refs[kind].has(a.name)) return { decision: 'Allow', reason: '', volatile: true };
    return { decision: 'NoOpinion', reason: `no relationship found between node '${node}' and this object`, volatile: true };
  }

  /** Nodes' permissions are not listed (node authorizer's RulesFor). */
  rulesFor(u: UserInfo): Rules {
    if (nodeIdentity(u) !== undefined) return { resourceRules: [], nonResourceRules: [], incomplete: true, error: 'node authorizer does not support user rule resolution' };
    return { resourceRules: [], nonResourceRules: [], incomplete: false };
  }
}
