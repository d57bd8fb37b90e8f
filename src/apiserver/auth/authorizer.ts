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
 * reason given. The rules it lists are the ones Kubernetes lists for them through the
 * bootstrap `cluster-admin` ClusterRoleBinding of that group (every verb on every resource and
 * non-resource URL), since nodeless has no bootstrap RBAC objects yet (issue 17).
 */
export class PrivilegedGroupAuthorizer implements Authorizer {
  constructor(private readonly groups: readonly string[] = [SYSTEM_MASTERS]) {}

  private privileged(user: UserInfo): boolean {
    return user.groups.some((g) => this.groups.includes(g));
  }

  authorize(a: AuthorizationAttributes): AuthorizationResult {
    return this.privileged(a.user) ? { decision: 'Allow', reason: '' } : NO_OPINION;
  }

  rulesFor(user: UserInfo): Rules {
    if (!this.privileged(user)) return { resourceRules: [], nonResourceRules: [], incomplete: false };
    return {
      resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
      nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
      incomplete: false,
    };
  }
}

/** union.New: the first authorizer with an opinion decides; rules are the union of every resolver's. */
export class UnionAuthorizer implements Authorizer {
  constructor(private readonly authorizers: Authorizer[]) {}

  async authorize(a: AuthorizationAttributes): Promise<AuthorizationResult> {
    const errs: string[] = [];
    for (const z of this.authorizers) {
      const r = await z.authorize(a);
      if (r.error) errs.push(r.error);
      if (r.decision !== 'NoOpinion') return { ...r, ...(errs.length ? { error: errs.join(', ') } : {}) };
    }
    return { decision: 'NoOpinion', reason: '', ...(errs.length ? { error: errs.join(', ') } : {}) };
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
