// Authorization, as kube-apiserver asks it (k8s.io/apiserver/pkg/authorization/authorizer):
// may this user do this verb on this resource (or non-resource path)? Each
// authorizer answers Allow, Deny or NoOpinion; a union asks them in order and the
// first that has an opinion decides. Kubernetes puts the privileged-group
// authorizer first (members of system:masters may do anything), then the modes of
// --authorization-mode (Node, RBAC). nodeless has the first today; issue 17 adds
// RBAC behind the same interface, and the access review APIs (SubjectAccessReview
// and friends, ../strategies/reviews.ts) and `kubectl auth can-i` follow whatever
// is plugged in here. docs/auth.md.
import type { UserInfo } from './user.js';
import { SYSTEM_MASTERS } from './user.js';
import { StatusError } from '../status.js';

/** authorizer.Attributes. */
export interface AuthorizationAttributes {
  user: UserInfo;
  verb: string;
  /** A resource request (a path under /api or /apis), else a non-resource one (/healthz, /version…). */
  resourceRequest: boolean;
  namespace?: string;
  apiGroup?: string;
  apiVersion?: string;
  resource?: string;
  subresource?: string;
  name?: string;
  /** The path of a non-resource request. */
  path?: string;
}

/** authorizer.Decision. */
export type Decision = 'Allow' | 'Deny' | 'NoOpinion';

export interface AuthorizationResult {
  decision: Decision;
  reason: string;
  /** An error while deciding (SubjectAccessReviewStatus.evaluationError). */
  error?: string;
  /** The answer depends on more than the roles and bindings (the Node authorizer's graph): not to be cached. */
  volatile?: boolean;
}

/** rbacv1.PolicyRule's resource half, as a SelfSubjectRulesReview lists it (authorizer.ResourceRuleInfo). */
export interface ResourceRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
}

/** authorizer.NonResourceRuleInfo. */
export interface NonResourceRule {
  verbs: string[];
  nonResourceURLs?: string[];
}

/** authorizer.RuleResolver's answer. */
export interface Rules {
  resourceRules: ResourceRule[];
  nonResourceRules: NonResourceRule[];
  /** Some rules could not be resolved (an authorizer that cannot list its rules). */
  incomplete: boolean;
  error?: string;
}

/** authorizer.Authorizer together with authorizer.RuleResolver. */
export interface Authorizer {
  authorize(a: AuthorizationAttributes): AuthorizationResult | Promise<AuthorizationResult>;
  rulesFor(user: UserInfo, namespace: string): Rules | Promise<Rules>;
}

const NO_OPINION: AuthorizationResult = Object.freeze({ decision: 'NoOpinion', reason: '' });

/**
 * authorizerfactory.NewPrivilegedGroups(system:masters): members may do everything, with no
 * reason given. It lists no rules: what Kubernetes lists for them comes from the bootstrap
 * `cluster-admin` ClusterRoleBinding of that group, through RBAC.
 */
export class PrivilegedGroupAuthorizer implements Authorizer {
  constructor(private readonly groups: readonly string[] = [SYSTEM_MASTERS]) {}

  authorize(a: AuthorizationAttributes): AuthorizationResult {
    return a.user.groups.some((g) => this.groups.includes(g)) ? { decision: 'Allow', reason: '' } : NO_OPINION;
  }

  rulesFor(): Rules {
    return { resourceRules: [], nonResourceRules: [], incomplete: false };
  }
}

/** union.New: the first authorizer with an opinion decides; rules are the union of every resolver's. */
export class UnionAuthorizer implements Authorizer {
  constructor(private readonly authorizers: Authorizer[]) {}

  async authorize(a: AuthorizationAttributes): Promise<AuthorizationResult> {
    const errs: string[] = [];
    const reasons: string[] = [];
    let volatile = false;
    for (const z of this.authorizers) {
      const r = await z.authorize(a);
      if (r.error) errs.push(r.error);
      if (r.reason) reasons.push(r.reason);
      if (r.volatile) volatile = true;
      if (r.decision !== 'NoOpinion') return { ...r, ...(errs.length ? { error: errs.join(', ') } : {}), ...(volatile ? { volatile } : {}) };
    }
    // No one decided: every reason given, one per line, as kube's union joins them.
    return { decision: 'NoOpinion', reason: reasons.join('\n'), ...(errs.length ? { error: errs.join(', ') } : {}), ...(volatile ? { volatile } : {}) };
  }

  async rulesFor(user: UserInfo, namespace: string): Promise<Rules> {
    const out: Rules = { resourceRules: [], nonResourceRules: [], incomplete: false };
    const errs: string[] = [];
    for (const z of this.authorizers) {
      const r = await z.rulesFor(user, namespace);
      out.resourceRules.push(...r.resourceRules);
      out.nonResourceRules.push(...r.nonResourceRules);
      if (r.incomplete) out.incomplete = true;
      if (r.error) errs.push(r.error);
    }
    if (errs.length) out.error = errs.join(', ');
    return out;
  }
}

/** What kube-apiserver runs before --authorization-mode: the privileged group. */
export const defaultAuthorizer = (): Authorizer => new UnionAuthorizer([new PrivilegedGroupAuthorizer()]);

/**
 * Decisions per user, kept until the roles or bindings change (`clear`): a controller asking the
 * same thing a thousand times is answered from a map. Only the user's name and groups matter to
 * the authorizers here (RBAC, Node), so they make the key. Bounded: past `max` decisions the
 * cache starts again empty.
 */
export class DecisionCache {
  private byUser = new Map<string, Map<string, AuthorizationResult>>();
  private size = 0;

  constructor(private readonly inner: Authorizer, private readonly max = 20_000) {}

  clear(): void {
    this.byUser = new Map();
    this.size = 0;
  }

  async authorize(a: AuthorizationAttributes): Promise<AuthorizationResult> {
    const uk = `${a.user.username}\0${a.user.groups.join('\0')}`;
    const ak = a.resourceRequest
      ? `${a.verb}\0${a.namespace ?? ''}\0${a.apiGroup ?? ''}\0${a.resource ?? ''}\0${a.subresource ?? ''}\0${a.name ?? ''}`
      : `${a.verb}\0\0${a.path ?? ''}`;
    let m = this.byUser.get(uk);
    const hit = m?.get(ak);
    if (hit) return hit;
    const byUser = this.byUser;
    const r = await this.inner.authorize(a);
    // A decision made while the cache was cleared is not kept: it may predate the change.
    if (r.volatile || r.error || byUser !== this.byUser) return r;
    if (this.size >= this.max) this.clear();
    if (!(m = this.byUser.get(uk))) this.byUser.set(uk, (m = new Map()));
    m.set(ak, r);
    this.size++;
    return r;
  }
}

/**
 * The 403 kube-apiserver answers when authorization says no (responsewriters.Forbidden and
 * forbiddenMessage): `pods is forbidden: User "alice" cannot list resource "pods" in API group ""
 * in the namespace "default"`, the resource qualified by its group, named when the request names
 * an object, with the authorizers' reason after a colon when they gave one.
 */
export function forbiddenError(a: AuthorizationAttributes, reason: string): StatusError {
  let msg: string;
  const who = JSON.stringify(a.user.username);
  if (!a.resourceRequest) msg = `User ${who} cannot ${a.verb} path ${JSON.stringify(a.path ?? '')}`;
  else {
    const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource ?? '';
    const where = a.namespace ? `in the namespace ${JSON.stringify(a.namespace)}` : 'at the cluster scope';
    msg = `User ${who} cannot ${a.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(a.apiGroup ?? '')} ${where}`;
  }
  // The message is HTML-escaped (responsewriters' sanitizer): a path is the client's text.
  msg = msg.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
  if (reason) msg += `: ${reason}`;
  const group = a.resourceRequest ? a.apiGroup ?? '' : '';
  const resource = a.resourceRequest ? a.resource ?? '' : '';
  const qualified = group ? `${resource}.${group}` : resource;
  const name = a.resourceRequest ? a.name ?? '' : '';
  // apierrors.NewForbidden: an empty group-resource says only "forbidden".
  const message = !qualified ? `forbidden: ${msg}` : name ? `${qualified} ${JSON.stringify(name)} is forbidden: ${msg}` : `${qualified} is forbidden: ${msg}`;
  return new StatusError(403, 'Forbidden', message, { name, group, kind: resource });
}
