// admissionregistration.k8s.io/v1: webhook configurations and validating admission
// policies with their bindings, defaulted and validated as kube-apiserver does
// (pkg/apis/admissionregistration/v1/defaults.go, pkg/apis/admissionregistration/validation).
// Every CEL expression is compiled when the object is written, as kube-apiserver's
// validation compiles them: one that does not parse or names what its context does
// not declare is refused with cel-go's words (docs/admission.md). The webhooks are
// called and the policies run by src/apiserver/admission.
import type { FieldError, KubeObject } from '../types.js';
import { compile } from '../cel/index.js';
import { defineResource, metaFields } from './define.js';
import { validateDNS1123Subdomain, validateQualifiedName } from '../selectors.js';
import {
  dnsSubdomain, duplicate, forbidden, goStrings, invalid, invalidShown, isDNS1035Label, isFullyQualifiedName, isValidPortNum, list, notSupported,
  pathSegmentErrors, required, str, validateLabelSelector,
} from './validation.js';

const GROUP = 'admissionregistration.k8s.io';
const CATEGORIES = ['api-extensions'];

// ---------------------------------------------------------------- defaults

/** SetDefaults_Rule: every scope. */
const defaultRule = (r: any) => { if (r && typeof r === 'object' && r.scope == null) r.scope = '*'; };

/** SetDefaults_ServiceReference: port 443. */
function defaultClientConfig(cc: any): void {
  if (cc?.service && typeof cc.service === 'object' && cc.service.port == null) cc.service.port = 443;
}

/** SetDefaults_ValidatingWebhook / SetDefaults_MutatingWebhook (v1: sideEffects and admissionReviewVersions have none: they are required). */
function defaultWebhook(h: any, mutating: boolean): void {
  if (!h || typeof h !== 'object') return;
  h.failurePolicy ??= 'Fail';
  h.matchPolicy ??= 'Equivalent';
  h.namespaceSelector ??= {};
  h.objectSelector ??= {};
  h.timeoutSeconds ??= 10;
  if (mutating) h.reinvocationPolicy ??= 'Never';
  list(h.rules).forEach(defaultRule);
  defaultClientConfig(h.clientConfig);
}

/** SetDefaults_MatchResources. */
function defaultMatchResources(m: any): void {
  if (!m || typeof m !== 'object') return;
  m.matchPolicy ??= 'Equivalent';
  m.namespaceSelector ??= {};
  m.objectSelector ??= {};
  list(m.resourceRules).forEach(defaultRule);
  list(m.excludeResourceRules).forEach(defaultRule);
}

// ---------------------------------------------------------------- rules

const hasWildcard = (v: unknown[]) => v.includes('*');

function validateResources(resources: string[], p: string, allowSub: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (resources.length === 0) errs.push(required(p));
  if (!allowSub) {
    resources.forEach((r, i) => {
      if (r === '') errs.push(required(`${p}[${i}]`));
      if (r.includes('/')) errs.push(invalid(`${p}[${i}]`, r, 'must not specify subresources'));
    });
    if (resources.length > 1 && hasWildcard(resources)) errs.push(invalidShown(p, goStrings(resources), "if '*' is present, must not specify other resources"));
    return errs;
  }
  const resWithWildcardSub = new Set<string>();
  const subWithWildcardRes = new Set<string>();
  let doubleWildcard = false;
  let singleWildcard = false;
  let withoutSub = false;
  resources.forEach((rs, i) => {
    if (rs === '') { errs.push(required(`${p}[${i}]`)); return; }
    if (rs === '*/*') doubleWildcard = true;
    if (rs === '*') singleWildcard = true;
    const slash = rs.indexOf('/');
    if (slash < 0) { withoutSub = rs !== '*'; return; }
    const res = rs.slice(0, slash);
    const sub = rs.slice(slash + 1);
    if (resWithWildcardSub.has(res)) errs.push(invalid(`${p}[${i}]`, rs, `if '${res}/*' is present, must not specify ${rs}`));
    if (subWithWildcardRes.has(sub)) errs.push(invalid(`${p}[${i}]`, rs, `if '*/${sub}' is present, must not specify ${rs}`));
    if (sub === '*') resWithWildcardSub.add(res);
    if (res === '*') subWithWildcardRes.add(sub);
  });
  if (resources.length > 1 && doubleWildcard) errs.push(invalidShown(p, goStrings(resources), "if '*/*' is present, must not specify other resources"));
  if (singleWildcard && withoutSub) errs.push(invalidShown(p, goStrings(resources), "if '*' is present, must not specify other resources without subresources"));
  return errs;
}

const SCOPES = ['*', 'Cluster', 'Namespaced'];
const OPERATIONS = ['*', 'CONNECT', 'CREATE', 'DELETE', 'UPDATE'];

function validateRuleWithOperations(r: any, p: string): FieldError[] {
  const errs: FieldError[] = [];
  const ops = list(r?.operations);
  if (ops.length === 0) errs.push(required(`${p}.operations`));
  if (ops.length > 1 && hasWildcard(ops)) errs.push(invalidShown(`${p}.operations`, goStrings(ops, 'admissionregistration.OperationType'), "if '*' is present, must not specify other operations"));
  ops.forEach((o, i) => { if (!OPERATIONS.includes(o)) errs.push(notSupported(`${p}.operations[${i}]`, str(o), OPERATIONS)); });
  const groups = list(r?.apiGroups);
  if (groups.length === 0) errs.push(required(`${p}.apiGroups`));
  if (groups.length > 1 && hasWildcard(groups)) errs.push(invalidShown(`${p}.apiGroups`, goStrings(groups), "if '*' is present, must not specify other API groups"));
  const versions = list(r?.apiVersions);
  if (versions.length === 0) errs.push(required(`${p}.apiVersions`));
  if (versions.length > 1 && hasWildcard(versions)) errs.push(invalidShown(`${p}.apiVersions`, goStrings(versions), "if '*' is present, must not specify other API versions"));
  versions.forEach((v, i) => { if (v === '') errs.push(required(`${p}.apiVersions[${i}]`)); });
  errs.push(...validateResources(list(r?.resources).map(str), `${p}.resources`, true));
  if (r?.scope != null && !SCOPES.includes(r.scope)) errs.push(notSupported(`${p}.scope`, str(r.scope), SCOPES));
  return errs;
}

// ---------------------------------------------------------------- webhooks

const ACCEPTED_REVIEW_VERSIONS = ['v1', 'v1beta1'];
const FAILURE_POLICIES = ['Fail', 'Ignore'];
const MATCH_POLICIES = ['Equivalent', 'Exact'];
const NO_SIDE_EFFECTS = ['None', 'NoneOnDryRun'];
const ALL_SIDE_EFFECTS = ['None', 'NoneOnDryRun', 'Some', 'Unknown'];
const REINVOCATION = ['IfNeeded', 'Never'];

function validateReviewVersions(versions: string[], requireRecognized: boolean, p: string): FieldError[] {
  if (versions.length < 1) return [required(p, `must specify one of ${ACCEPTED_REVIEW_VERSIONS.join(', ')}`)];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  let accepted = false;
  versions.forEach((v, i) => {
    if (seen.has(v)) { errs.push(invalid(`${p}[${i}]`, v, 'duplicate version')); return; }
    seen.add(v);
    for (const m of isDNS1035Label(v)) errs.push(invalid(`${p}[${i}]`, v, m));
    if (ACCEPTED_REVIEW_VERSIONS.includes(v)) accepted = true;
  });
  if (requireRecognized && !accepted) errs.push(invalidShown(p, goStrings(versions), `must include at least one of ${ACCEPTED_REVIEW_VERSIONS.join(', ')}`));
  return errs;
}

/** webhook.ValidateWebhookURL (https only, no user, query or fragment). */
export function validateWebhookURL(u: string, p: string): FieldError[] {
  const form = '; desired format: https://host[/path]';
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    return [invalid(p, u, `host must be specified${form}`)];
  }
  const errs: FieldError[] = [];
  const scheme = url.protocol.replace(/:$/, '');
  if (scheme !== 'https') errs.push(invalid(p, scheme, `'https' is the only allowed URL scheme${form}`));
  if (!url.host) errs.push(invalid(p, url.host, `host must be specified${form}`));
  if (url.username || url.password) errs.push(invalid(p, url.password ? `${url.username}:xxxxx` : url.username, 'user information is not permitted in the URL'));
  if (url.hash.length > 1) errs.push(invalid(p, url.hash.slice(1), 'fragments are not permitted in the URL'));
  if (url.search.length > 1) errs.push(invalid(p, url.search.slice(1), 'query parameters are not permitted in the URL'));
  return errs;
}

/**
 * webhook.ValidateWebhookService. kube-apiserver passes the service's name where the function
 * expects its namespace and the other way round (kubernetes/kubernetes#141353), so a missing
 * name is reported on `namespace` and a missing namespace on `name`: nodeless reports them where
 * kube-apiserver does.
 */
export function validateWebhookService(svc: any, p: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!str(svc.namespace)) errs.push(required(`${p}.name`));
  if (!str(svc.name)) errs.push(required(`${p}.namespace`));
  const port = typeof svc.port === 'number' ? svc.port : 0;
  const pm = isValidPortNum(port);
  if (pm.length) errs.push(invalid(`${p}.port`, port, `port is not valid: ${pm.join(', ')}`));
  if (svc.path === undefined || svc.path === null) return errs;
  const path = str(svc.path);
  if (path === '/' || path.length === 0) return errs;
  if (path === '//') return [...errs, invalid(`${p}.path`, path, 'segment[0] may not be empty')];
  if (!path.startsWith('/')) errs.push(invalid(`${p}.path`, path, "must start with a '/'"));
  let check = path.slice(1);
  if (check.endsWith('/')) check = check.slice(0, -1);
  check.split('/').forEach((step, i) => {
    if (step.length === 0) { errs.push(invalid(`${p}.path`, path, `segment[${i}] may not be empty`)); return; }
    for (const m of validateDNS1123Subdomain(step)) errs.push(invalid(`${p}.path`, path, `segment[${i}]: ${m}`));
  });
  return errs;
}

/** The variables a webhook's matchConditions see (ValidatingWebhook.MatchConditions: no params, no variables). */
export const WEBHOOK_CEL_VARIABLES = ['object', 'oldObject', 'request', 'authorizer'];

/** What a policy's expressions see: `params` only with a paramKind (cel.OptionalVariableDeclarations). */
export function policyCelVariables(spec: any): string[] {
  return ['object', 'oldObject', 'request', 'namespaceObject', 'variables', 'authorizer', ...(spec?.paramKind ? ['params'] : [])];
}

/** A CEL expression that does not compile: field.Invalid with the expression and cel-go's report. */
function celErrors(expr: unknown, p: string, variables: string[], variableNames?: string[]): FieldError[] {
  if (typeof expr !== 'string' || !expr.trim()) return [];
  const c = compile(expr, { variables, variableNames });
  return c.ok ? [] : [invalid(p, expr, `compilation failed: ${c.error}`)];
}

function validateMatchConditions(conds: any[], p: string, variables = WEBHOOK_CEL_VARIABLES, variableNames?: string[]): FieldError[] {
  const errs: FieldError[] = [];
  if (conds.length > 64) errs.push({ field: p, type: 'FieldValueTooLong', message: `must have at most 64 items` });
  const names = new Set<string>();
  conds.forEach((c, i) => {
    if (!str(c?.expression).trim()) errs.push(required(`${p}[${i}].expression`));
    else errs.push(...celErrors(c.expression, `${p}[${i}].expression`, variables, variableNames));
    const name = str(c?.name);
    if (!name) errs.push(required(`${p}[${i}].name`));
    else {
      for (const m of validateQualifiedName(name)) errs.push(invalid(`${p}[${i}].name`, name, m));
      if (names.has(name)) errs.push(duplicate(`${p}[${i}].name`, name));
      names.add(name);
    }
  });
  return errs;
}

interface WebhookOptions { requireNoSideEffects: boolean; requireRecognizedVersion: boolean; requireUniqueNames: boolean }

function validateWebhook(h: any, mutating: boolean, opts: WebhookOptions, p: string): FieldError[] {
  const errs = isFullyQualifiedName(`${p}.name`, str(h?.name));
  list(h?.rules).forEach((r, i) => errs.push(...validateRuleWithOperations(r, `${p}.rules[${i}]`)));
  if (h?.failurePolicy != null && !FAILURE_POLICIES.includes(h.failurePolicy)) errs.push(notSupported(`${p}.failurePolicy`, str(h.failurePolicy), FAILURE_POLICIES));
  if (h?.matchPolicy != null && !MATCH_POLICIES.includes(h.matchPolicy)) errs.push(notSupported(`${p}.matchPolicy`, str(h.matchPolicy), MATCH_POLICIES));
  const allowed = opts.requireNoSideEffects ? NO_SIDE_EFFECTS : ALL_SIDE_EFFECTS;
  if (h?.sideEffects == null) errs.push(required(`${p}.sideEffects`, `must specify one of ${allowed.join(', ')}`));
  else if (!allowed.includes(h.sideEffects)) errs.push(notSupported(`${p}.sideEffects`, str(h.sideEffects), allowed));
  if (typeof h?.timeoutSeconds === 'number' && (h.timeoutSeconds > 30 || h.timeoutSeconds < 1)) errs.push(invalid(`${p}.timeoutSeconds`, h.timeoutSeconds, 'the timeout value must be between 1 and 30 seconds'));
  if (h?.namespaceSelector) errs.push(...validateLabelSelector(h.namespaceSelector, `${p}.namespaceSelector`));
  if (h?.objectSelector) errs.push(...validateLabelSelector(h.objectSelector, `${p}.objectSelector`));
  if (mutating && h?.reinvocationPolicy != null && !REINVOCATION.includes(h.reinvocationPolicy)) errs.push(notSupported(`${p}.reinvocationPolicy`, str(h.reinvocationPolicy), REINVOCATION));
  const cc = h?.clientConfig ?? {};
  const hasURL = cc.url !== undefined && cc.url !== null;
  const hasService = cc.service !== undefined && cc.service !== null;
  if (hasURL === hasService) errs.push(required(`${p}.clientConfig`, 'exactly one of url or service is required'));
  else if (hasURL) errs.push(...validateWebhookURL(str(cc.url), `${p}.clientConfig.url`));
  else errs.push(...validateWebhookService(cc.service, `${p}.clientConfig.service`));
  errs.push(...validateMatchConditions(list(h?.matchConditions), `${p}.matchConditions`));
  return errs;
}

function validateWebhookConfiguration(o: KubeObject, old: KubeObject | undefined, mutating: boolean): FieldError[] {
  const oldHooks = list(old?.webhooks);
  // On update, what the stored object already breaks is tolerated (ValidateMutatingWebhookConfigurationUpdate's options).
  const opts: WebhookOptions = {
    requireNoSideEffects: !old || oldHooks.every((h) => NO_SIDE_EFFECTS.includes(h?.sideEffects)),
    requireRecognizedVersion: !old || oldHooks.every((h) => list(h?.admissionReviewVersions).length === 0 || list(h.admissionReviewVersions).some((v) => ACCEPTED_REVIEW_VERSIONS.includes(v))),
    requireUniqueNames: !old || new Set(oldHooks.map((h) => h?.name)).size === oldHooks.length,
  };
  const errs: FieldError[] = [];
  const names = new Set<string>();
  list(o.webhooks).forEach((h, i) => {
    const p = `webhooks[${i}]`;
    errs.push(...validateWebhook(h, mutating, opts, p));
    errs.push(...validateReviewVersions(list(h?.admissionReviewVersions).map(str), opts.requireRecognizedVersion, `${p}.admissionReviewVersions`));
    const name = str(h?.name);
    if (opts.requireUniqueNames && name) {
      if (names.has(name)) errs.push(duplicate(`${p}.name`, name));
      names.add(name);
    }
  });
  return errs;
}

export const mutatingwebhookconfigurations = defineResource({
  group: GROUP, version: 'v1', kind: 'MutatingWebhookConfiguration', plural: 'mutatingwebhookconfigurations', namespaced: false,
  categories: CATEGORIES, definition: 'io.k8s.api.admissionregistration.v1.MutatingWebhookConfiguration', hasGeneration: true,
  defaults: (o) => list(o.webhooks).forEach((h) => defaultWebhook(h, true)),
  validate: (o, old) => validateWebhookConfiguration(o, old, true),
  fields: metaFields,
});

export const validatingwebhookconfigurations = defineResource({
  group: GROUP, version: 'v1', kind: 'ValidatingWebhookConfiguration', plural: 'validatingwebhookconfigurations', namespaced: false,
  categories: CATEGORIES, definition: 'io.k8s.api.admissionregistration.v1.ValidatingWebhookConfiguration', hasGeneration: true,
  defaults: (o) => list(o.webhooks).forEach((h) => defaultWebhook(h, false)),
  validate: (o, old) => validateWebhookConfiguration(o, old, false),
  fields: metaFields,
});

// ---------------------------------------------------------------- policies

function validateMatchResources(m: any, p: string): FieldError[] {
  if (!m || typeof m !== 'object') return [];
  const errs: FieldError[] = [];
  if (m.matchPolicy == null) errs.push(required(`${p}.matchPolicy`));
  else if (!MATCH_POLICIES.includes(m.matchPolicy)) errs.push(notSupported(`${p}.matchPolicy`, str(m.matchPolicy), MATCH_POLICIES));
  if (m.namespaceSelector == null) errs.push(required(`${p}.namespaceSelector`));
  else errs.push(...validateLabelSelector(m.namespaceSelector, `${p}.namespaceSelector`));
  if (m.objectSelector == null) errs.push(required(`${p}.objectSelector`));
  else errs.push(...validateLabelSelector(m.objectSelector, `${p}.objectSelector`));
  for (const key of ['resourceRules', 'excludeResourceRules']) {
    list(m[key]).forEach((r, i) => {
      const rp = `${p}.${key}[${i}]`;
      const seen = new Set<string>();
      list(r?.resourceNames).forEach((n, j) => {
        for (const msg of pathSegmentErrors(str(n))) errs.push(invalid(`${rp}.resourceNames[${j}]`, str(n), msg));
        if (seen.has(n)) errs.push(duplicate(`${rp}.resourceNames[${j}]`, str(n)));
        seen.add(n);
      });
      errs.push(...validateRuleWithOperations(r, rp));
    });
  }
  return errs;
}

/** validateParamKind: an apiVersion (group/version) and a kind. */
function validateParamKind(k: any, p: string): FieldError[] {
  const errs: FieldError[] = [];
  const av = str(k?.apiVersion);
  if (!av) errs.push(required(`${p}.apiVersion`));
  else if ((av.match(/\//g) ?? []).length > 1) errs.push(invalid(`${p}.apiVersion`, av, `unexpected GroupVersion string: ${av}`));
  else {
    const [group, version] = av.includes('/') ? av.split('/') : ['', av];
    if (group) { const m = validateDNS1123Subdomain(group); if (m.length) errs.push(invalid(`${p}.apiVersion`, group, m.join(','))); }
    if (!version) errs.push(invalid(`${p}.apiVersion`, av, 'version must be specified'));
    else { const m = isDNS1035Label(version); if (m.length) errs.push(invalid(`${p}.apiVersion`, version, m.join(','))); }
  }
  const kind = str(k?.kind);
  if (!kind) errs.push(required(`${p}.kind`));
  else { const m = isDNS1035Label(kind.toLowerCase()); if (m.length) errs.push(invalid(`${p}.kind`, kind, `may have mixed case, but should otherwise match: ${m.join(',')}`)); }
  return errs;
}

const CEL_IDENT = /^[_a-zA-Z][_a-zA-Z0-9]*$/;
const CEL_RESERVED = new Set(['true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if', 'import', 'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while']);
const POLICY_REASONS = ['Forbidden', 'Invalid', 'RequestEntityTooLarge'];

function validatePolicySpec(o: KubeObject): FieldError[] {
  const s = o.spec ?? {};
  const errs: FieldError[] = [];
  if (s.failurePolicy == null) errs.push(required('spec.failurePolicy'));
  else if (!FAILURE_POLICIES.includes(s.failurePolicy)) errs.push(notSupported('spec.failurePolicy', str(s.failurePolicy), FAILURE_POLICIES));
  if (s.paramKind) errs.push(...validateParamKind(s.paramKind, 'spec.paramKind'));
  if (!s.matchConstraints) errs.push(required('spec.matchConstraints'));
  else {
    errs.push(...validateMatchResources(s.matchConstraints, 'spec.matchConstraints'));
    if (list(s.matchConstraints.resourceRules).length === 0) errs.push(required('spec.matchConstraints.resourceRules'));
  }
  const vars = policyCelVariables(s);
  const varNames = list(s.variables).map((v) => str(v?.name));
  errs.push(...validateMatchConditions(list(s.matchConditions), 'spec.matchConditions', vars, varNames));
  list(s.variables).forEach((v, i) => {
    const p = `spec.variables[${i}]`;
    const name = str(v?.name);
    if (!name.trim()) errs.push(required(`${p}.name`, 'name is not specified'));
    else if (!CEL_IDENT.test(name) || CEL_RESERVED.has(name)) errs.push(invalid(`${p}.name`, name, 'name is not a valid CEL identifier'));
    if (!str(v?.expression).trim()) errs.push(required(`${p}.expression`, 'expression is not specified'));
    // A variable sees the ones before it (a composited environment, built in order).
    else errs.push(...celErrors(v.expression, `${p}.expression`, vars, varNames.slice(0, i)));
  });
  const validations = list(s.validations);
  const audits = list(s.auditAnnotations);
  if (validations.length === 0 && audits.length === 0) {
    errs.push(required('spec.validations', 'validations or auditAnnotations must contain at least one item'));
    errs.push(required('spec.auditAnnotations', 'validations or auditAnnotations must contain at least one item'));
    return errs;
  }
  validations.forEach((v, i) => {
    const p = `spec.validations[${i}]`;
    if (!str(v?.expression).trim()) errs.push(required(`${p}.expression`, 'expression is not specified'));
    else errs.push(...celErrors(v.expression, `${p}.expression`, vars, varNames));
    const me = str(v?.messageExpression);
    if (me.length > 0 && !me.trim()) errs.push(invalid(`${p}.messageExpression`, me, 'must be non-empty if specified'));
    else errs.push(...celErrors(me, `${p}.messageExpression`, vars, varNames));
    const msg = str(v?.message);
    if (msg.length > 0 && !msg.trim()) errs.push(invalid(`${p}.message`, msg, 'message must be non-empty if specified'));
    else if (/[\n\r]/.test(msg.trim())) errs.push(invalid(`${p}.message`, msg, 'message must not contain line breaks'));
    if (v?.reason != null && !POLICY_REASONS.includes(v.reason)) errs.push(notSupported(`${p}.reason`, str(v.reason), POLICY_REASONS));
  });
  if (audits.length > 20) errs.push(invalidShown('spec.auditAnnotations', `[]admissionregistration.AuditAnnotation{...}`, 'must not have more than 20 auditAnnotations'));
  const keys = new Set<string>();
  audits.forEach((a, i) => {
    const p = `spec.auditAnnotations[${i}]`;
    const key = str(a?.key);
    const name = o.metadata.name ?? '';
    if (name) for (const m of validateQualifiedName(`${name}/${key}`)) errs.push(invalid(`${p}.key`, `${name}/${key}`, m));
    else errs.push(invalid(`${p}.key`, key, 'requires metadata.name be non-empty'));
    const ve = str(a?.valueExpression).trim();
    if (!ve) errs.push(required(`${p}.valueExpression`, 'valueExpression is not specified'));
    else if (ve.length > 5 * 1024) errs.push(required(`${p}.valueExpression`, `must not exceed ${5 * 1024} bytes in length`));
    else errs.push(...celErrors(a.valueExpression, `${p}.valueExpression`, vars, varNames));
    if (keys.has(key)) errs.push(duplicate(`${p}.key`, key));
    keys.add(key);
  });
  return errs;
}

export const validatingadmissionpolicies = defineResource({
  group: GROUP, version: 'v1', kind: 'ValidatingAdmissionPolicy', plural: 'validatingadmissionpolicies', namespaced: false,
  categories: CATEGORIES, subresources: ['status'], definition: 'io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicy', hasGeneration: true,
  defaults(o) {
    const s = (o.spec ??= {});
    // SetDefaults_ValidatingAdmissionPolicySpec.
    s.failurePolicy ??= 'Fail';
    defaultMatchResources(s.matchConstraints);
  },
  validate: validatePolicySpec,
  fields: metaFields,
});

const VALIDATION_ACTIONS = ['Audit', 'Deny', 'Warn'];

function validateBinding(o: KubeObject): FieldError[] {
  const s = o.spec ?? {};
  const errs: FieldError[] = [];
  const policy = str(s.policyName);
  if (!policy) errs.push(required('spec.policyName'));
  else errs.push(...dnsSubdomain(policy, 'spec.policyName'));
  const pr = s.paramRef;
  if (pr && typeof pr === 'object') {
    const name = str(pr.name);
    if (name) {
      for (const m of pathSegmentErrors(name)) errs.push(invalid('spec.paramRef.name', name, m));
      if (pr.selector) errs.push(forbidden('spec.paramRef.name', 'name and selector are mutually exclusive'));
    }
    if (pr.selector) {
      errs.push(...validateLabelSelector(pr.selector, 'spec.paramRef.selector'));
      if (name) errs.push(forbidden('spec.paramRef.selector', 'name and selector are mutually exclusive'));
    }
    if (!name && !pr.selector) errs.push(required('spec.paramRef', 'one of name or selector must be specified'));
    const action = str(pr.parameterNotFoundAction);
    if (!action) errs.push(required('spec.paramRef.parameterNotFoundAction'));
    else if (action !== 'Deny' && action !== 'Allow') errs.push(notSupported('spec.paramRef.parameterNotFoundAction', action, ['Deny', 'Allow']));
  }
  errs.push(...validateMatchResources(s.matchResources, 'spec.matchResources'));
  const actions = list(s.validationActions);
  const seen = new Set<string>();
  actions.forEach((a, i) => {
    if (!VALIDATION_ACTIONS.includes(a)) errs.push(notSupported(`spec.validationActions[${i}]`, str(a), VALIDATION_ACTIONS));
    if (seen.has(a)) errs.push(duplicate(`spec.validationActions[${i}]`, str(a)));
    seen.add(a);
  });
  if (seen.has('Deny') && seen.has('Warn')) {
    errs.push(invalidShown('spec.validationActions', goStrings(actions, 'admissionregistration.ValidationAction'), 'must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)'));
  }
  if (seen.size === 0) errs.push(required('spec.validationActions', 'at least one validation action is required'));
  return errs;
}

export const validatingadmissionpolicybindings = defineResource({
  group: GROUP, version: 'v1', kind: 'ValidatingAdmissionPolicyBinding', plural: 'validatingadmissionpolicybindings', namespaced: false,
  categories: CATEGORIES, definition: 'io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicyBinding', hasGeneration: true,
  defaults(o) { defaultMatchResources(o.spec?.matchResources); },
  validate: validateBinding,
  fields: metaFields,
});
