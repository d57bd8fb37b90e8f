// Smaller groups: coordination (leases), policy (PDBs, eviction), apiextensions (CRDs).
import type { FieldError } from '../types.js';
import { defineResource, metaFields } from './define.js';

export const leases = defineResource({
  group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', namespaced: true,
  definition: 'io.k8s.api.coordination.v1.Lease', fields: metaFields,
});

export const poddisruptionbudgets = defineResource({
  group: 'policy', version: 'v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', namespaced: true, shortNames: ['pdb'],
  subresources: ['status'], definition: 'io.k8s.api.policy.v1.PodDisruptionBudget', hasGeneration: true,
  createStatus: () => ({ disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 }),
  validate(o) {
    const s = o.spec ?? {};
    if (s.minAvailable !== undefined && s.maxUnavailable !== undefined) {
      return [{ field: 'spec', type: 'FieldValueInvalid', message: 'minAvailable and maxUnavailable cannot be both set' }];
    }
    return [];
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
  validate(o) {
    const errs: FieldError[] = [];
    const s = o.spec;
    if (!s?.group) errs.push({ field: 'spec.group', type: 'FieldValueRequired', message: '' });
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
      const scale = v?.subresources?.scale;
      if (scale && typeof scale === 'object') errs.push(...scalePathErrors(scale, `spec.versions[${i}].subresources.scale`));
    });
    return errs;
  },
  fields: metaFields,
});
