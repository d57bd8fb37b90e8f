// authentication.k8s.io/v1 and authorization.k8s.io/v1: the review APIs. Nothing is
// stored: a POST asks the API server's authenticator (TokenReview, SelfSubjectReview) or
// authorizer (SubjectAccessReview and friends) and answers with the object and its
// status (src/apiserver/strategies/reviews.ts). Validation as kube-apiserver's
// pkg/apis/authorization/validation; verbs `create` only, as kube-apiserver serves them.
import type { FieldError, KubeObject } from '../types.js';
import { defineResource } from './define.js';
import { invalid, invalidShown, list, str } from './validation.js';

const CREATE_ONLY = ['create'];

/** Go's %#v of a *NonResourceAttributes as a field error shows it (dereferenced), or null. */
function showNonResource(v: any): string {
  if (!v || typeof v !== 'object') return 'null';
  return `authorization.NonResourceAttributes{Path:${JSON.stringify(str(v.path))}, Verb:${JSON.stringify(str(v.verb))}}`;
}

/** Go's %#v of a metav1.ObjectMeta, for the `must be empty` errors: the fields a request sets, the rest zero. */
function showObjectMeta(m: any): string {
  const map = (v: unknown) => {
    if (!v || typeof v !== 'object') return 'map[string]string(nil)';
    const keys = Object.keys(v).sort();
    return `map[string]string{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(String((v as Record<string, unknown>)[k]))}`).join(', ')}}`;
  };
  return `v1.ObjectMeta{Name:${JSON.stringify(str(m?.name))}, GenerateName:${JSON.stringify(str(m?.generateName))}, Namespace:${JSON.stringify(str(m?.namespace))}, `
    + `SelfLink:"", UID:${JSON.stringify(str(m?.uid))}, ResourceVersion:${JSON.stringify(str(m?.resourceVersion))}, Generation:0, `
    + 'CreationTimestamp:v1.Time{Time:time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC)}, DeletionTimestamp:(*v1.Time)(nil), DeletionGracePeriodSeconds:(*int64)(nil), '
    + `Labels:${map(m?.labels)}, Annotations:${map(m?.annotations)}, OwnerReferences:[]v1.OwnerReference(nil), `
    + `Finalizers:${list(m?.finalizers).length ? `[]string{${list(m.finalizers).map((f) => JSON.stringify(str(f))).join(', ')}}` : '[]string(nil)'}, ManagedFields:[]v1.ManagedFieldsEntry(nil)}`;
}

/** Whether a review's metadata is empty (managedFields and, for local reviews, the namespace aside). */
function metaEmpty(m: any, exceptNamespace: boolean): boolean {
  for (const [k, v] of Object.entries(m ?? {})) {
    if (k === 'managedFields' || (exceptNamespace && k === 'namespace')) continue;
    if (k === 'creationTimestamp' && v === null) continue;
    if (v === undefined || v === null || v === '' || v === 0 || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0)) continue;
    return false;
  }
  return true;
}

/** ValidateSelfSubjectAccessReviewSpec (and the first half of ValidateSubjectAccessReviewSpec). */
function validateAttributesUnion(spec: any): FieldError[] {
  const errs: FieldError[] = [];
  const hasRes = spec?.resourceAttributes != null;
  const hasNon = spec?.nonResourceAttributes != null;
  if (hasRes && hasNon) errs.push(invalidShown('spec.nonResourceAttributes', showNonResource(spec.nonResourceAttributes), 'cannot be specified in combination with resourceAttributes'));
  if (!hasRes && !hasNon) errs.push(invalidShown('spec.resourceAttributes', 'null', 'exactly one of nonResourceAttributes or resourceAttributes must be specified'));
  return errs;
}

function validateSubjectSpec(spec: any): FieldError[] {
  const errs = validateAttributesUnion(spec);
  if (!str(spec?.user) && list(spec?.groups).length === 0) errs.push(invalid('spec.user', str(spec?.user), 'at least one of user or group must be specified'));
  return errs;
}

function validateSubjectAccessReview(o: KubeObject): FieldError[] {
  const errs = validateSubjectSpec(o.spec);
  if (!metaEmpty(o.metadata, false)) errs.push(invalidShown('metadata', showObjectMeta(o.metadata), 'must be empty'));
  return errs;
}

function validateSelfSubjectAccessReview(o: KubeObject): FieldError[] {
  const errs = validateAttributesUnion(o.spec);
  if (!metaEmpty(o.metadata, false)) errs.push(invalidShown('metadata', showObjectMeta(o.metadata), 'must be empty'));
  return errs;
}

function validateLocalSubjectAccessReview(o: KubeObject): FieldError[] {
  const errs = validateSubjectSpec(o.spec);
  if (!metaEmpty(o.metadata, true)) errs.push(invalidShown('metadata', showObjectMeta(o.metadata), 'must be empty except for namespace'));
  const ra = o.spec?.resourceAttributes;
  if (ra != null && str(ra.namespace) !== str(o.metadata.namespace)) errs.push(invalid('spec.resourceAttributes.namespace', str(ra.namespace), 'must match metadata.namespace'));
  if (o.spec?.nonResourceAttributes != null) errs.push(invalidShown('spec.nonResourceAttributes', showNonResource(o.spec.nonResourceAttributes), 'disallowed on this kind of request'));
  return errs;
}

export const tokenreviews = defineResource({
  group: 'authentication.k8s.io', version: 'v1', kind: 'TokenReview', plural: 'tokenreviews', namespaced: false, verbs: CREATE_ONLY,
  definition: 'io.k8s.api.authentication.v1.TokenReview',
});

export const selfsubjectreviews = defineResource({
  group: 'authentication.k8s.io', version: 'v1', kind: 'SelfSubjectReview', plural: 'selfsubjectreviews', namespaced: false, verbs: CREATE_ONLY,
  definition: 'io.k8s.api.authentication.v1.SelfSubjectReview',
});

export const localsubjectaccessreviews = defineResource({
  group: 'authorization.k8s.io', version: 'v1', kind: 'LocalSubjectAccessReview', plural: 'localsubjectaccessreviews', namespaced: true, verbs: CREATE_ONLY,
  definition: 'io.k8s.api.authorization.v1.LocalSubjectAccessReview',
  validate: validateLocalSubjectAccessReview,
});

export const selfsubjectaccessreviews = defineResource({
  group: 'authorization.k8s.io', version: 'v1', kind: 'SelfSubjectAccessReview', plural: 'selfsubjectaccessreviews', namespaced: false, verbs: CREATE_ONLY,
  definition: 'io.k8s.api.authorization.v1.SelfSubjectAccessReview',
  validate: validateSelfSubjectAccessReview,
});

export const selfsubjectrulesreviews = defineResource({
  group: 'authorization.k8s.io', version: 'v1', kind: 'SelfSubjectRulesReview', plural: 'selfsubjectrulesreviews', namespaced: false, verbs: CREATE_ONLY,
  definition: 'io.k8s.api.authorization.v1.SelfSubjectRulesReview',
});

export const subjectaccessreviews = defineResource({
  group: 'authorization.k8s.io', version: 'v1', kind: 'SubjectAccessReview', plural: 'subjectaccessreviews', namespaced: false, verbs: CREATE_ONLY,
  definition: 'io.k8s.api.authorization.v1.SubjectAccessReview',
  validate: validateSubjectAccessReview,
});
