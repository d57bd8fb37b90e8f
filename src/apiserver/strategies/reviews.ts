// The review APIs (kubernetes/pkg/registry/authentication/{tokenreview,selfsubjectreview},
// pkg/registry/authorization/{subjectaccessreview,localsubjectaccessreview,
// selfsubjectaccessreview,selfsubjectrulesreview}/rest.go): a POST is answered from the
// authenticator or the authorizer (../auth), nothing is stored. The generic store runs
// decoding, admission and the type's validation first (Registry.review).
import type { KubeObject } from '../../api/types.js';
import { deepCopy } from '../../api/deepcopy.js';
import { formatRFC3339 } from '../../api/duration.js';
import { errors } from '../status.js';
import { API_AUDIENCES, authenticateBearer } from '../auth/authenticator.js';
import type { AuthorizationAttributes, AuthorizationResult } from '../auth/authorizer.js';
import type { UserInfo } from '../auth/user.js';
import type { WriteContext } from './strategy.js';
import { ResourceStrategy } from './strategy.js';

const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** authentication.UserInfo as the reviews return it (empty fields left out, as Go's omitempty does). */
function userInfo(u: UserInfo): Record<string, unknown> {
  return {
    ...(u.username ? { username: u.username } : {}),
    ...(u.uid ? { uid: u.uid } : {}),
    ...(u.groups.length ? { groups: [...u.groups] } : {}),
    ...(u.extra && Object.keys(u.extra).length ? { extra: deepCopy(u.extra) } : {}),
  };
}

/**
 * TokenReview: is this token someone's, for these audiences? Asked as kube-apiserver asks it (a
 * request bearing the token, through the bearer token authenticator): `status.error` says why not.
 */
export class TokenReviewStrategy extends ResourceStrategy {
  override async review(obj: KubeObject, ctx: WriteContext): Promise<KubeObject> {
    const token = str(obj.spec?.token);
    if (!token) throw errors.badRequest('token is required for TokenReview in authentication');
    const authn = ctx.store.authenticator;
    if (!authn) return obj;
    const asked = strs(obj.spec?.audiences);
    const auds = asked.length ? asked : [...API_AUDIENCES];
    const r = await authenticateBearer(authn, token, auds);
    if (!r.ok) {
      obj.status = { user: {}, error: r.error };
      return obj;
    }
    if (!r.response.audiences.some((a) => auds.includes(a))) throw errors.internal('error validating audiences');
    obj.status = { authenticated: true, user: userInfo(r.response.user), audiences: r.response.audiences };
    return obj;
  }
}

/** SelfSubjectReview: who am I (`kubectl auth whoami`). */
export class SelfSubjectReviewStrategy extends ResourceStrategy {
  override review(_obj: KubeObject, ctx: WriteContext): KubeObject {
    return {
      apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview',
      metadata: { creationTimestamp: formatRFC3339() },
      status: { userInfo: userInfo(ctx.user) },
    };
  }
}

/** authorizationutil.ResourceAttributesFrom / NonResourceAttributesFrom. */
function attributesFrom(user: UserInfo, spec: any): AuthorizationAttributes {
  const ra = spec?.resourceAttributes;
  if (ra) {
    return {
      user, resourceRequest: true, verb: str(ra.verb), namespace: str(ra.namespace), apiGroup: str(ra.group), apiVersion: str(ra.version),
      resource: str(ra.resource), subresource: str(ra.subresource), name: str(ra.name),
    };
  }
  const nr = spec?.nonResourceAttributes ?? {};
  return { user, resourceRequest: false, verb: str(nr.verb), path: str(nr.path) };
}

/** SubjectAccessReviewStatus: `allowed` is always there, the rest only when set. */
function accessStatus(r: AuthorizationResult): Record<string, unknown> {
  return {
    allowed: r.decision === 'Allow',
    ...(r.decision === 'Deny' ? { denied: true } : {}),
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.error ? { evaluationError: r.error } : {}),
  };
}

/** The user a SubjectAccessReview asks about (its spec), not the one asking. */
function specUser(spec: any): UserInfo {
  const extra = spec?.extra && typeof spec.extra === 'object' ? Object.fromEntries(Object.entries(spec.extra).map(([k, v]) => [k, strs(v)])) : undefined;
  return { username: str(spec?.user), uid: str(spec?.uid) || undefined, groups: strs(spec?.groups), ...(extra ? { extra } : {}) };
}

export class SubjectAccessReviewStrategy extends ResourceStrategy {
  override async review(obj: KubeObject, ctx: WriteContext): Promise<KubeObject> {
    obj.status = accessStatus(await ctx.store.authorizer.authorize(attributesFrom(specUser(obj.spec), obj.spec)));
    return obj;
  }
}

export class LocalSubjectAccessReviewStrategy extends ResourceStrategy {
  override async review(obj: KubeObject, ctx: WriteContext): Promise<KubeObject> {
    const ns = str(obj.metadata.namespace);
    if (!ns) throw errors.badRequest(`namespace is required on this type: ${ns}`);
    obj.status = accessStatus(await ctx.store.authorizer.authorize(attributesFrom(specUser(obj.spec), obj.spec)));
    return obj;
  }
}

/** `kubectl auth can-i`: may I? */
export class SelfSubjectAccessReviewStrategy extends ResourceStrategy {
  override async review(obj: KubeObject, ctx: WriteContext): Promise<KubeObject> {
    obj.status = accessStatus(await ctx.store.authorizer.authorize(attributesFrom(ctx.user, obj.spec)));
    return obj;
  }
}

/** `kubectl auth can-i --list`: what may I do in this namespace? The answer is a new object: the spec is not echoed. */
export class SelfSubjectRulesReviewStrategy extends ResourceStrategy {
  override async review(obj: KubeObject, ctx: WriteContext): Promise<KubeObject> {
    const ns = str(obj.spec?.namespace);
    if (!ns) throw errors.badRequest('no namespace on request');
    const rules = await ctx.store.authorizer.rulesFor(ctx.user, ns);
    return {
      apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', metadata: {}, spec: {},
      status: {
        resourceRules: rules.resourceRules.map((r) => ({ verbs: r.verbs, ...(r.apiGroups?.length ? { apiGroups: r.apiGroups } : {}), ...(r.resources?.length ? { resources: r.resources } : {}), ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}) })),
        nonResourceRules: rules.nonResourceRules.map((r) => ({ verbs: r.verbs, ...(r.nonResourceURLs?.length ? { nonResourceURLs: r.nonResourceURLs } : {}) })),
        incomplete: rules.incomplete,
        ...(rules.error ? { evaluationError: rules.error } : {}),
      },
    };
  }
}
