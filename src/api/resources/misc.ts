// Smaller groups: coordination (leases), policy (PDBs, eviction), apiextensions (CRDs).
import type { FieldError } from '../types.js';
import { defineResource, metaFields } from './define.js';
import { nonNegative, notMoreThan100Percent, positive, positiveIntOrPercent } from './checks.js';
import { validateDNS1123Subdomain } from '../selectors.js';
import { ruleCompileErrors } from '../cel/rules.js';

export const leases = defineResource({
  group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', namespaced: true,
  definition: 'io.k8s.api.coordination.v1.Lease', fields: metaFields,
  // ValidateLeaseSpec.
  validate: (o) => [
    ...positive(o.spec?.leaseDurationSeconds, 'spec.leaseDurationSeconds'),
    ...nonNegative(o.spec?.leaseTransitions, 'spec.leaseTransitions'),
  ],
});

export const poddisruptionbudgets = defineResource({
  group: 'policy', version: 'v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', namespaced: true, shortNames: ['pdb'],
  subresources: ['status'], definition: 'io.k8s.api.policy.v1.PodDisruptionBudget', hasGeneration: true,
  createStatus: () => ({ disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 }),
  validate(o) {
    const s = o.spec ?? {};
    const errs: FieldError[] = [];
    if (s.minAvailable != null && s.maxUnavailable != null) {
      errs.push({ field: 'spec', type: 'FieldValueInvalid', message: 'minAvailable and maxUnavailable cannot be both set' });
    }
    for (const f of ['minAvailable', 'maxUnavailable']) {
      if (s[f] != null) errs.push(...positiveIntOrPercent(s[f], `spec.${f}`), ...notMoreThan100Percent(s[f], `spec.${f}`));
    }
    return errs;
  },
  fields: metaFields,
});

// The scale subresource's paths, as kube-apiserver validates them: the replicas
// live under .spec and .status, never in metadata.
function scalePathErrors(scale: any, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const check = (name: string, value: unknown, prefixes: string[], message: string, required: boolean) => {
    if (value === undefined || value === '') {
      if (required) errs.push({ field: `${field}.${name}`, type: 'FieldValueRequired', message: '' });
    } else if (typeof value !== 'string' || !prefixes.some((p) => value.startsWith(p)) || !/^(\.[^.[\]]+)+$/.test(value)) {
      errs.push({ field: `${field}.${name}`, type: 'FieldValueInvalid', message: `${JSON.stringify(value)}: ${message}` });
    }
  };
  check('specReplicasPath', scale.specReplicasPath, ['.spec.'], 'should be a json path under .spec', true);
  check('statusReplicasPath', scale.statusReplicasPath, ['.status.'], 'should be a json path under .status', true);
  check('labelSelectorPath', scale.labelSelectorPath, ['.spec.', '.status.'], 'should be a json path under either .spec or .status', false);
  return errs;
}

export const customresourcedefinitions = defineResource({
  group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', namespaced: false,
  shortNames: ['crd', 'crds'], categories: ['api-extensions'], subresources: ['status'],
  definition: 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition', hasGeneration: true,
  defaults(o) {
    const s = o.spec ?? {};
    if (s.names) {
      s.names.singular ??= String(s.names.kind ?? '').toLowerCase();
      s.names.listKind ??= `${s.names.kind}List`;
    }
    s.conversion ??= { strategy: 'None' };
  },
  validate(o, old) {
    const errs: FieldError[] = [];
    const s = o.spec;
    if (!s?.group) errs.push({ field: 'spec.group', type: 'FieldValueRequired', message: '' });
    else if (typeof s.group === 'string') errs.push(...validateGroup(s.group));
    if (typeof s?.group === 'string') errs.push(...validateAPIApproval(s.group, o.metadata.annotations, old?.metadata.annotations, !!old));
    if (!s?.names?.plural) errs.push({ field: 'spec.names.plural', type: 'FieldValueRequired', message: '' });
    if (!s?.names?.kind) errs.push({ field: 'spec.names.kind', type: 'FieldValueRequired', message: '' });
    if (!['Namespaced', 'Cluster'].includes(s?.scope)) errs.push({ field: 'spec.scope', type: 'FieldValueNotSupported', message: `${JSON.stringify(s?.scope ?? '')}: supported values: "Cluster", "Namespaced"` });
    const versions: any[] = Array.isArray(s?.versions) ? s.versions : [];
    if (versions.length === 0) errs.push({ field: 'spec.versions', type: 'FieldValueRequired', message: 'must have exactly one version marked as storage version' });
    if (versions.length && versions.filter((v) => v?.storage).length !== 1) errs.push({ field: 'spec.versions', type: 'FieldValueInvalid', message: 'must have exactly one version marked as storage version' });
    if (s?.group && s?.names?.plural && o.metadata.name !== `${s.names.plural}.${s.group}`) {
      errs.push({ field: 'metadata.name', type: 'FieldValueInvalid', message: `${JSON.stringify(o.metadata.name)}: must be spec.names.plural+"."+spec.group` });
    }
    versions.forEach((v, i) => {
      if (!v?.schema?.openAPIV3Schema) errs.push({ field: `spec.versions[${i}].schema.openAPIV3Schema`, type: 'FieldValueRequired', message: 'schemas are required' });
      else errs.push(...ruleCompileErrors(v.schema.openAPIV3Schema, `spec.versions[${i}].schema.openAPIV3Schema`));
      const scale = v?.subresources?.scale;
      if (scale && typeof scale === 'object') errs.push(...scalePathErrors(scale, `spec.versions[${i}].subresources.scale`));
    });
    return errs;
  },
  fields: metaFields,
});

/**
 * A CRD's group is a DNS subdomain with at least one dot: the dotless groups ("", apps, batch,
 * policy...) are Kubernetes' own, so a CRD can never claim them (ValidateCustomResourceDefinitionSpec).
 */
function validateGroup(group: string): FieldError[] {
  const msgs = validateDNS1123Subdomain(group);
  if (msgs.length) return [{ field: 'spec.group', type: 'FieldValueInvalid', message: `${JSON.stringify(group)}: ${msgs.join(',')}` }];
  if (!group.includes('.')) return [{ field: 'spec.group', type: 'FieldValueInvalid', message: `${JSON.stringify(group)}: should be a domain with at least one dot` }];
  return [];
}

const APPROVAL = 'api-approved.kubernetes.io';
const APPROVAL_FIELD = `metadata.annotations[${APPROVAL}]`;

/** GetAPIApprovalState: missing, bypassed ("unapproved..."), approved (a URL), or invalid. */
function approvalState(annotations: Record<string, string> | undefined): 'missing' | 'bypassed' | 'approved' | 'invalid' {
  const a = annotations?.[APPROVAL];
  if (typeof a !== 'string' || a === '') return 'missing';
  if (a.startsWith('unapproved')) return 'bypassed';
  try {
    const u = new URL(a);
    if (u.host && u.protocol) return 'approved';
  } catch { /* not a URL */ }
  return 'invalid';
}

/**
 * Groups under k8s.io and kubernetes.io belong to the Kubernetes project: a CRD there needs the
 * api-approved.kubernetes.io annotation (validateAPIApproval). An update that leaves the state as
 * it was is not checked again.
 */
function validateAPIApproval(group: string, annotations: Record<string, string> | undefined, oldAnnotations: Record<string, string> | undefined, update: boolean): FieldError[] {
  const isProtected = group === 'k8s.io' || group.endsWith('.k8s.io') || group === 'kubernetes.io' || group.endsWith('.kubernetes.io');
  if (!isProtected) return [];
  const state = approvalState(annotations);
  if (update && approvalState(oldAnnotations) === state) return [];
  const see = 'see https://github.com/kubernetes/enhancements/pull/1111';
  if (state === 'missing') return [{ field: APPROVAL_FIELD, type: 'FieldValueRequired', message: `protected groups must have approval annotation "${APPROVAL}", ${see}` }];
  if (state === 'invalid') {
    return [{ field: APPROVAL_FIELD, type: 'FieldValueInvalid', message: `${JSON.stringify(annotations![APPROVAL])}: protected groups must have approval annotation "${APPROVAL}" with either a URL or a reason starting with "unapproved", ${see}` }];
  }
  return [];
}
