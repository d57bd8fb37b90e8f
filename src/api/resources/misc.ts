// Smaller groups: coordination (leases), policy (PDBs, eviction), apiextensions (CRDs).
import type { FieldError, KubeObject } from '../types.js';
import { defineResource, metaFields } from './define.js';
import { nonNegative, notMoreThan100Percent, positive, positiveIntOrPercent } from './checks.js';
import { validateDNS1123Subdomain } from '../selectors.js';
import { ruleCompileErrors } from '../cel/rules.js';
import { forbidden, goStrings, invalid, invalidShown, isDNS1035Label, list, notSupported, required, str } from './validation.js';
import { validateWebhookService, validateWebhookURL } from './admissionregistration.js';

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
    // SetDefaults_ServiceReference: a conversion webhook's service is on port 443.
    const svc = s.conversion?.webhook?.clientConfig?.service;
    if (svc && typeof svc === 'object' && svc.port == null) svc.port = 443;
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
    const names = new Set<string>();
    let unique = true;
    versions.forEach((v, i) => {
      const name = typeof v?.name === 'string' ? v.name : '';
      if (names.has(name)) unique = false;
      names.add(name);
      const nameErrs = isDNS1035Label(name);
      if (nameErrs.length) errs.push(invalid(`spec.versions[${i}].name`, name, nameErrs.join(',')));
      for (const m of deprecationWarningErrors(!!v?.deprecated, v?.deprecationWarning)) errs.push(invalid(`spec.versions[${i}].deprecationWarning`, v.deprecationWarning, m));
    });
    if (!unique) errs.push({ field: 'spec.versions', type: 'FieldValueInvalid', message: 'must contain unique version names' });
    errs.push(...conversionErrors(s?.conversion, old));
    // On update the stored versions must all still be listed (a migration removes them first).
    if (old) errs.push(...storedVersionsErrors(o.status?.storedVersions, versions));
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

/** validateDeprecationWarning: only for deprecated versions, printable, 1 to 256 bytes. */
function deprecationWarningErrors(deprecated: boolean, warning: unknown): string[] {
  if (warning === undefined || warning === null) return [];
  if (!deprecated) return ['can only be set for deprecated versions'];
  const w = str(warning);
  const out: string[] = [];
  if (Buffer.byteLength(w) > 256) out.push('must be <= 256 characters long');
  if (w.length === 0) out.push('must not be an empty string');
  let at = 0;
  for (const ch of w) {
    if (/[\p{Cc}]/u.test(ch)) { out.push(`must only contain printable UTF-8 characters; control character found at index ${at}`); break; }
    if (/[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/u.test(ch)) { out.push(`must only contain printable UTF-8 characters; non-printable character found at index ${at}`); break; }
    at += Buffer.byteLength(ch);
  }
  return out;
}

const CONVERSION_REVIEW_VERSIONS = ['v1', 'v1beta1'];

/**
 * validateCustomResourceConversion, reported on the internal type's paths as kube-apiserver
 * reports them (spec.conversion.webhookClientConfig for v1's spec.conversion.webhook.clientConfig).
 */
function conversionErrors(c: any, old: KubeObject | undefined): FieldError[] {
  if (!c || typeof c !== 'object') return [];
  const p = 'spec.conversion';
  const strategy = str(c.strategy);
  if (!strategy) return [required(`${p}.strategy`)];
  if (strategy !== 'None' && strategy !== 'Webhook') return [notSupported(`${p}.strategy`, strategy, ['None', 'Webhook'])];
  const cc = c.webhook?.clientConfig;
  const reviewVersions = list(c.webhook?.conversionReviewVersions).map(str);
  if (strategy !== 'Webhook') {
    return [
      ...(cc != null ? [forbidden(`${p}.webhookClientConfig`, 'should not be set when strategy is not set to Webhook')] : []),
      ...(reviewVersions.length ? [forbidden(`${p}.conversionReviewVersions`, 'should not be set when strategy is not set to Webhook')] : []),
    ];
  }
  const errs: FieldError[] = [];
  if (cc == null || typeof cc !== 'object') errs.push(required(`${p}.webhookClientConfig`, 'required when strategy is set to Webhook'));
  else if ((cc.url == null) === (cc.service == null)) errs.push(required(`${p}.webhookClientConfig`, 'exactly one of url or service is required'));
  else if (cc.url != null) errs.push(...validateWebhookURL(str(cc.url), `${p}.webhookClientConfig.url`));
  else errs.push(...validateWebhookService(cc.service, `${p}.webhookClientConfig.service`));
  // A CRD stored with only unknown review versions may keep them (requireRecognizedConversionReviewVersion).
  const oldVersions = list(old?.spec?.conversion?.webhook?.conversionReviewVersions);
  const requireRecognized = !old || oldVersions.length === 0 || oldVersions.some((v) => CONVERSION_REVIEW_VERSIONS.includes(v));
  const vp = `${p}.conversionReviewVersions`;
  if (reviewVersions.length === 0) errs.push(required(vp));
  else {
    const seen = new Set<string>();
    reviewVersions.forEach((v, i) => {
      if (seen.has(v)) { errs.push(invalid(`${vp}[${i}]`, v, 'duplicate version')); return; }
      seen.add(v);
      for (const m of isDNS1035Label(v)) errs.push(invalid(`${vp}[${i}]`, v, m));
    });
    if (requireRecognized && !reviewVersions.some((v) => CONVERSION_REVIEW_VERSIONS.includes(v))) {
      errs.push(invalidShown(vp, goStrings(reviewVersions), `must include at least one of ${CONVERSION_REVIEW_VERSIONS.join(', ')}`));
    }
  }
  return errs;
}

/** ValidateCustomResourceDefinitionStoredVersions (on update). */
function storedVersionsErrors(stored: unknown, versions: any[]): FieldError[] {
  const p = 'status.storedVersions';
  const sv = list(stored).map(str);
  if (sv.length === 0) return [invalidShown(p, goStrings(Array.isArray(stored) ? sv : undefined), 'must have at least one stored version')];
  const errs: FieldError[] = [];
  // storedVersionsMap keeps a name's last index.
  const left = new Map<string, number>();
  sv.forEach((v, i) => left.set(v, i));
  for (const v of versions) {
    const name = str(v?.name);
    if (v?.storage && !left.has(name)) errs.push(invalidShown(p, goStrings(sv), `must have the storage version ${name}`));
    left.delete(name);
  }
  for (const [v, i] of left) {
    errs.push(invalid(`${p}[${i}]`, v, `missing from spec.versions; ${v} was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in ${v} and removes ${v} from status.storedVersions`));
  }
  return errs;
}

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
