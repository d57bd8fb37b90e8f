// rbac.authorization.k8s.io/v1: Roles, ClusterRoles and their bindings, stored and
// validated as kube-apiserver does (pkg/apis/rbac/validation, pkg/apis/rbac/v1/defaults.go).
// What they grant is the RBAC authorizer's (src/apiserver/auth/rbac.ts, docs/auth.md).
import type { FieldError, KubeObject } from '../types.js';
import { defineResource, metaFields } from './define.js';
import { dnsSubdomain, goStrings, invalid, invalidShown, list, notSupported, pathSegmentErrors, required, str } from './validation.js';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** validatePolicyRule: resource rules need groups and resources; non-resource URLs only on cluster roles. */
function validatePolicyRule(rule: any, namespaced: boolean, p: string): FieldError[] {
  const errs: FieldError[] = [];
  if (list(rule?.verbs).length === 0) errs.push(required(`${p}.verbs`, 'verbs must contain at least one value'));
  const urls = list(rule?.nonResourceURLs);
  if (urls.length > 0) {
    if (namespaced) errs.push(invalidShown(`${p}.nonResourceURLs`, goStrings(urls), 'namespaced rules cannot apply to non-resource URLs'));
    if (list(rule?.apiGroups).length || list(rule?.resources).length || list(rule?.resourceNames).length) {
      errs.push(invalidShown(`${p}.nonResourceURLs`, goStrings(urls), 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return errs;
  }
  if (list(rule?.apiGroups).length === 0) errs.push(required(`${p}.apiGroups`, 'resource rules must supply at least one api group'));
  if (list(rule?.resources).length === 0) errs.push(required(`${p}.resources`, 'resource rules must supply at least one resource'));
  if (list(rule?.resourceNames).length > 0 && list(rule?.resources).length > 1) errs.push(required(`${p}.resourceNames`, 'resource names cannot apply to multiple resources'));
  return errs;
}

const validateRules = (o: KubeObject, namespaced: boolean): FieldError[] => list(o.rules).flatMap((r, i) => validatePolicyRule(r, namespaced, `rules[${i}]`));

/** rbac.Subject as a binding may name it. */
function validateSubject(s: any, namespaced: boolean, p: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(s?.name);
  const apiGroup = str(s?.apiGroup);
  if (!name) errs.push(required(`${p}.name`));
  switch (s?.kind) {
    case 'ServiceAccount':
      if (name) errs.push(...dnsSubdomain(name, `${p}.name`));
      if (apiGroup) errs.push(notSupported(`${p}.apiGroup`, apiGroup, ['']));
      if (!namespaced && !str(s?.namespace)) errs.push(required(`${p}.namespace`));
      break;
    case 'User':
      if (!name) errs.push(invalid(`${p}.name`, name, 'user name cannot be empty'));
      if (apiGroup !== RBAC_GROUP) errs.push(notSupported(`${p}.apiGroup`, apiGroup, [RBAC_GROUP]));
      break;
    case 'Group':
      if (!name) errs.push(invalid(`${p}.name`, name, 'group name cannot be empty'));
      if (apiGroup !== RBAC_GROUP) errs.push(notSupported(`${p}.apiGroup`, apiGroup, [RBAC_GROUP]));
      break;
    default:
      errs.push(notSupported(`${p}.kind`, str(s?.kind), ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

/** Go's %#v of an rbac.RoleRef, as the `cannot change roleRef` error shows it. */
const showRoleRef = (r: any) => `rbac.RoleRef{APIGroup:${JSON.stringify(str(r?.apiGroup))}, Kind:${JSON.stringify(str(r?.kind))}, Name:${JSON.stringify(str(r?.name))}}`;

function validateBinding(o: KubeObject, old: KubeObject | undefined, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const ref = o.roleRef ?? {};
  if (str(ref.apiGroup) !== RBAC_GROUP) errs.push(notSupported('roleRef.apiGroup', str(ref.apiGroup), [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(ref.kind)) errs.push(notSupported('roleRef.kind', str(ref.kind), kinds));
  if (!str(ref.name)) errs.push(required('roleRef.name'));
  else for (const m of pathSegmentErrors(ref.name)) errs.push(invalid('roleRef.name', ref.name, m));
  list(o.subjects).forEach((s, i) => errs.push(...validateSubject(s, namespaced, `subjects[${i}]`)));
  if (old) {
    const a = old.roleRef ?? {};
    if (str(a.apiGroup) !== str(ref.apiGroup) || str(a.kind) !== str(ref.kind) || str(a.name) !== str(ref.name)) {
      errs.push(invalidShown('roleRef', showRoleRef(ref), 'cannot change roleRef'));
    }
  }
  return errs;
}

/** SetDefaults_RoleBinding/ClusterRoleBinding and SetDefaults_Subject: the RBAC group where it is implied. */
function defaultBinding(o: KubeObject): void {
  if (o.roleRef && typeof o.roleRef === 'object' && !o.roleRef.apiGroup) o.roleRef.apiGroup = RBAC_GROUP;
  for (const s of list(o.subjects)) {
    if (s && typeof s === 'object' && !s.apiGroup && (s.kind === 'User' || s.kind === 'Group')) s.apiGroup = RBAC_GROUP;
  }
}

export const roles = defineResource({
  group: RBAC_GROUP, version: 'v1', kind: 'Role', plural: 'roles', namespaced: true,
  definition: 'io.k8s.api.rbac.v1.Role',
  validate: (o) => validateRules(o, true),
  fields: metaFields,
});

export const clusterroles = defineResource({
  group: RBAC_GROUP, version: 'v1', kind: 'ClusterRole', plural: 'clusterroles', namespaced: false,
  definition: 'io.k8s.api.rbac.v1.ClusterRole',
  validate: (o) => validateRules(o, false),
  fields: metaFields,
});

export const rolebindings = defineResource({
  group: RBAC_GROUP, version: 'v1', kind: 'RoleBinding', plural: 'rolebindings', namespaced: true,
  definition: 'io.k8s.api.rbac.v1.RoleBinding',
  defaults: defaultBinding,
  validate: (o, old) => validateBinding(o, old, true),
  fields: metaFields,
});

export const clusterrolebindings = defineResource({
  group: RBAC_GROUP, version: 'v1', kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false,
  definition: 'io.k8s.api.rbac.v1.ClusterRoleBinding',
  defaults: defaultBinding,
  validate: (o, old) => validateBinding(o, old, false),
  fields: metaFields,
});
