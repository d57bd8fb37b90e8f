// flowcontrol.apiserver.k8s.io/v1: API Priority and Fairness configuration, defaulted and
// validated as kube-apiserver does (pkg/apis/flowcontrol/v1/defaults.go,
// pkg/apis/flowcontrol/validation). The mandatory objects (`exempt`, `catch-all`) are
// created at start (src/apiserver/bootstrap/flowcontrol.ts) and keep their fixed spec;
// nodeless stores the configuration but does not queue requests by it (docs/api-resources.md).
import type { FieldError, KubeObject } from '../types.js';
import { defineResource, metaFields } from './define.js';
import { dnsLabel, dnsSubdomain, forbidden, goStrings, invalid, invalidShown, list, notSupported, required, str } from './validation.js';
import { validateDNS1123Label } from '../selectors.js';
import { sameValue } from '../../util/equal.js';

const GROUP = 'flowcontrol.apiserver.k8s.io';

const everything = {
  resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'], clusterScope: true, namespaces: ['*'] }],
  nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
};
const groups = (...names: string[]) => names.map((name) => ({ kind: 'Group', group: { name } }));

/**
 * MandatoryPriorityLevelConfigurations (k8s.io/apiserver/pkg/apis/flowcontrol/bootstrap/default.go, v1):
 * the API server makes them (src/apiserver/bootstrap/flowcontrol.ts) and validation keeps them so.
 */
export const MANDATORY_PRIORITY_LEVELS: Readonly<Record<string, object>> = Object.freeze({
  exempt: { type: 'Exempt', exempt: { nominalConcurrencyShares: 0, lendablePercent: 0 } },
  'catch-all': { type: 'Limited', limited: { nominalConcurrencyShares: 5, lendablePercent: 0, limitResponse: { type: 'Reject' } } },
});

/** MandatoryFlowSchemas (v1). */
export const MANDATORY_FLOW_SCHEMAS: Readonly<Record<string, object>> = Object.freeze({
  exempt: { priorityLevelConfiguration: { name: 'exempt' }, matchingPrecedence: 1, rules: [{ subjects: groups('system:masters'), ...everything }] },
  'catch-all': {
    priorityLevelConfiguration: { name: 'catch-all' }, matchingPrecedence: 10000, distinguisherMethod: { type: 'ByUser' },
    rules: [{ subjects: groups('system:unauthenticated', 'system:authenticated'), ...everything }],
  },
});

/**
 * A mandatory object's spec must equal the fixed value (the exempt level's `exempt` settings
 * aside). Kube shows the spec as Go's %#v, with pointer addresses nodeless cannot reproduce: the
 * value is shown by its type only (docs/validation.md).
 */
function mandatorySpec(o: KubeObject, fixed: Readonly<Record<string, object>>, type: string): FieldError[] {
  const name = o.metadata.name ?? '';
  if (!Object.prototype.hasOwnProperty.call(fixed, name)) return [];
  const want: any = fixed[name];
  const have = { ...(o.spec ?? {}) };
  if (type === 'PriorityLevelConfigurationSpec' && name === 'exempt' && have.exempt) have.exempt = want.exempt;
  return sameValue(have, want) ? [] : [invalidShown('spec', `flowcontrol.${type}{…}`, `spec of '${name}' must equal the fixed value`)];
}
const MAX_MATCHING_PRECEDENCE = 10000;
const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'proxy', 'update', 'watch'];
const NS_INTRO = "each member of this list must be '*' or a DNS-1123 label; ";

const hasWildcard = (v: unknown[]) => v.includes('*');

function validateVerbs(verbs: any[], p: string): FieldError[] {
  if (verbs.length === 0) return [required(p, 'verbs must contain at least one value')];
  if (hasWildcard(verbs)) return verbs.length > 1 ? [invalidShown(p, goStrings(verbs), "if '*' is present, must not specify other verbs")] : [];
  if (!verbs.every((v) => VERBS.includes(v))) return [{ field: p, type: 'FieldValueNotSupported', message: `${goStrings(verbs)}: supported values: ${VERBS.map((v) => JSON.stringify(v)).join(', ')}` }];
  return [];
}

/** ValidateNonResourceURLPath. */
function nonResourceURLError(path: string, p: string): FieldError | undefined {
  if (path.length === 0) return invalid(p, path, 'must not be empty');
  if (path === '/') return undefined;
  if (!path.startsWith('/')) return invalid(p, path, 'must start with slash');
  if (path.includes(' ')) return invalid(p, path, 'must not contain white-space');
  if (path.includes('//')) return invalid(p, path, 'must not contain double slash');
  const stars = (path.match(/\*/g) ?? []).length;
  if (stars > 1 || (stars === 1 && !path.endsWith('/*'))) return invalid(p, path, 'wildcard can only do suffix matching');
  return undefined;
}

function validateSubject(s: any, p: string): FieldError[] {
  const errs: FieldError[] = [];
  const extra = (k: string, label: string) => { if (s?.[k] != null) errs.push(forbidden(`${p}.${k}`, `${k} is forbidden when subject kind is not '${label}'`)); };
  switch (s?.kind) {
    case 'ServiceAccount': {
      const sa = s.serviceAccount;
      if (sa == null) errs.push(required(`${p}.serviceAccount`, "serviceAccount is required when subject kind is 'ServiceAccount'"));
      else {
        if (!str(sa.name)) errs.push(required(`${p}.serviceAccount.name`));
        else if (sa.name !== '*') errs.push(...dnsSubdomain(sa.name, `${p}.serviceAccount.name`));
        if (!str(sa.namespace)) errs.push(required(`${p}.serviceAccount.namespace`, 'must specify namespace for service account'));
        else errs.push(...dnsLabel(sa.namespace, `${p}.serviceAccount.namespace`));
      }
      extra('user', 'User');
      extra('group', 'Group');
      break;
    }
    case 'User':
      if (s.user == null) errs.push(required(`${p}.user`, "user is required when subject kind is 'User'"));
      else if (!str(s.user.name)) errs.push(required(`${p}.user.name`));
      extra('serviceAccount', 'ServiceAccount');
      extra('group', 'Group');
      break;
    case 'Group':
      if (s.group == null) errs.push(required(`${p}.group`, "group is required when subject kind is 'Group'"));
      else if (!str(s.group.name)) errs.push(required(`${p}.group.name`));
      extra('serviceAccount', 'ServiceAccount');
      extra('user', 'User');
      break;
    default:
      errs.push(notSupported(`${p}.kind`, str(s?.kind), ['Group', 'ServiceAccount', 'User']));
  }
  return errs;
}

function validateResourceRule(r: any, p: string): FieldError[] {
  const errs = validateVerbs(list(r?.verbs), `${p}.verbs`);
  const groups = list(r?.apiGroups);
  if (groups.length === 0) errs.push(required(`${p}.apiGroups`, 'resource rules must supply at least one api group'));
  else if (groups.length > 1 && hasWildcard(groups)) errs.push(invalidShown(`${p}.apiGroups`, goStrings(groups), "if '*' is present, must not specify other api groups"));
  const res = list(r?.resources);
  if (res.length === 0) errs.push(required(`${p}.resources`, 'resource rules must supply at least one resource'));
  else if (res.length > 1 && hasWildcard(res)) errs.push(invalidShown(`${p}.resources`, goStrings(res), "if '*' is present, must not specify other resources"));
  const ns = list(r?.namespaces);
  if (ns.length === 0 && !r?.clusterScope) errs.push(required(`${p}.namespaces`, 'resource rules that are not cluster scoped must supply at least one namespace'));
  else if (hasWildcard(ns)) { if (ns.length > 1) errs.push(invalidShown(`${p}.namespaces`, goStrings(ns), "if '*' is present, must not specify other namespaces")); }
  else ns.forEach((n, i) => { for (const m of validateDNS1123Label(str(n))) errs.push(invalid(`${p}.namespaces[${i}]`, str(n), NS_INTRO + m)); });
  return errs;
}

function validateNonResourceRule(r: any, p: string): FieldError[] {
  const errs = validateVerbs(list(r?.verbs), `${p}.verbs`);
  const urls = list(r?.nonResourceURLs);
  if (urls.length === 0) errs.push(required(`${p}.nonResourceURLs`, 'nonResourceURLs must contain at least one value'));
  else if (hasWildcard(urls)) { if (urls.length > 1) errs.push(invalidShown(`${p}.nonResourceURLs`, goStrings(urls), "if '*' is present, must not specify other non-resource URLs")); }
  else urls.forEach((u, i) => { const e = nonResourceURLError(str(u), `${p}.nonResourceURLs[${i}]`); if (e) errs.push(e); });
  return errs;
}

function validateConditions(o: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  list(o.status?.conditions).forEach((c, i) => {
    const t = str(c?.type);
    if (seen.has(t)) errs.push({ field: `status.conditions[${i}].type`, type: 'FieldValueDuplicate', message: JSON.stringify(t) });
    seen.add(t);
    if (!t) errs.push(required(`status.conditions[${i}].type`, 'must not be empty'));
  });
  return errs;
}

function validateFlowSchema(o: KubeObject): FieldError[] {
  const s = o.spec ?? {};
  const errs: FieldError[] = [];
  const mp = typeof s.matchingPrecedence === 'number' ? s.matchingPrecedence : 0;
  if (mp <= 0) errs.push(invalid('spec.matchingPrecedence', mp, 'must be a positive value'));
  if (mp > MAX_MATCHING_PRECEDENCE) errs.push(invalid('spec.matchingPrecedence', mp, `must not be greater than ${MAX_MATCHING_PRECEDENCE}`));
  if (mp === 1 && o.metadata.name !== 'exempt') errs.push(invalid('spec.matchingPrecedence', mp, "only the schema named 'exempt' may have matchingPrecedence 1"));
  if (s.distinguisherMethod != null && !['ByNamespace', 'ByUser'].includes(s.distinguisherMethod.type)) {
    errs.push(notSupported('spec.distinguisherMethod.type', str(s.distinguisherMethod.type), ['ByNamespace', 'ByUser']));
  }
  const pl = str(s.priorityLevelConfiguration?.name);
  if (pl) errs.push(...dnsSubdomain(pl, 'spec.priorityLevelConfiguration.name'));
  else errs.push(required('spec.priorityLevelConfiguration.name', 'must reference a priority level'));
  list(s.rules).forEach((r, i) => {
    const p = `spec.rules[${i}]`;
    const subjects = list(r?.subjects);
    if (subjects.length === 0) errs.push(required(`${p}.subjects`, 'subjects must contain at least one value'));
    subjects.forEach((sub, j) => errs.push(...validateSubject(sub, `${p}.subjects[${j}]`)));
    if (list(r?.resourceRules).length === 0 && list(r?.nonResourceRules).length === 0) errs.push(required(p, 'at least one of resourceRules and nonResourceRules has to be non-empty'));
    list(r?.resourceRules).forEach((rr, j) => errs.push(...validateResourceRule(rr, `${p}.resourceRules[${j}]`)));
    list(r?.nonResourceRules).forEach((nr, j) => errs.push(...validateNonResourceRule(nr, `${p}.nonResourceRules[${j}]`)));
  });
  errs.push(...mandatorySpec(o, MANDATORY_FLOW_SCHEMAS, 'FlowSchemaSpec'));
  errs.push(...validateConditions(o));
  return errs;
}

export const flowschemas = defineResource({
  group: GROUP, version: 'v1', kind: 'FlowSchema', plural: 'flowschemas', namespaced: false,
  subresources: ['status'], definition: 'io.k8s.api.flowcontrol.v1.FlowSchema', hasGeneration: true,
  defaults(o) {
    // SetDefaults_FlowSchemaSpec: FlowSchemaDefaultMatchingPrecedence.
    const s = (o.spec ??= {});
    if (!s.matchingPrecedence) s.matchingPrecedence = 1000;
  },
  validate: validateFlowSchema,
  fields: metaFields,
});

/** How many hash bits dealing a hand of handSize from deckSize queues takes (shufflesharding.RequiredEntropyBits). */
const requiredEntropyBits = (deckSize: number, handSize: number) => Math.ceil(Math.log2(deckSize) * handSize);

function validateQueuing(q: any, p: string): FieldError[] {
  const errs: FieldError[] = [];
  const num = (k: string) => (typeof q?.[k] === 'number' ? q[k] : 0);
  const qll = num('queueLengthLimit');
  const queues = num('queues');
  const hand = num('handSize');
  if (qll <= 0) errs.push(invalid(`${p}.queueLengthLimit`, qll, 'must be positive'));
  if (queues <= 0) errs.push(invalid(`${p}.queues`, queues, 'must be positive'));
  else if (queues > 10_000_000) errs.push(invalid(`${p}.queues`, queues, 'must not be greater than 10000000'));
  if (hand <= 0) errs.push(invalid(`${p}.handSize`, hand, 'must be positive'));
  else if (hand > queues) errs.push(invalid(`${p}.handSize`, hand, `should not be greater than queues (${queues})`));
  else if (requiredEntropyBits(queues, hand) > 60) errs.push(invalid(`${p}.handSize`, hand, `required entropy bits of deckSize ${queues} and handSize ${hand} should not be greater than 60`));
  return errs;
}

function sharesAndLending(c: any, p: string): FieldError[] {
  const errs: FieldError[] = [];
  if (typeof c?.nominalConcurrencyShares === 'number' && c.nominalConcurrencyShares < 0) errs.push(invalid(`${p}.nominalConcurrencyShares`, c.nominalConcurrencyShares, 'must be a non-negative integer'));
  if (typeof c?.lendablePercent === 'number' && !(c.lendablePercent >= 0 && c.lendablePercent <= 100)) errs.push(invalid(`${p}.lendablePercent`, c.lendablePercent, 'must be between 0 and 100, inclusive'));
  return errs;
}

function validatePriorityLevel(o: KubeObject): FieldError[] {
  const s = o.spec ?? {};
  const errs: FieldError[] = [];
  if ((o.metadata.name === 'exempt') !== (s.type === 'Exempt')) errs.push(invalid('spec.type', str(s.type), "type must be 'Exempt' if and only if name is 'exempt'"));
  switch (s.type) {
    case 'Exempt':
      if (s.limited != null) errs.push(forbidden('spec.limited', 'must be nil if the type is not Limited'));
      if (s.exempt != null) errs.push(...sharesAndLending(s.exempt, 'spec.exempt'));
      break;
    case 'Limited': {
      if (s.exempt != null) errs.push(forbidden('spec.exempt', 'must be nil if the type is Limited'));
      const l = s.limited;
      if (l == null) { errs.push(required('spec.limited', 'must not be empty when type is Limited')); break; }
      errs.push(...sharesAndLending(l, 'spec.limited'));
      if (typeof l.borrowingLimitPercent === 'number' && l.borrowingLimitPercent < 0) errs.push(invalid('spec.limited.borrowingLimitPercent', l.borrowingLimitPercent, 'if specified, must be a non-negative integer'));
      const lr = l.limitResponse ?? {};
      if (lr.type === 'Reject') { if (lr.queuing != null) errs.push(forbidden('spec.limited.limitResponse.queuing', 'must be nil if limited.limitResponse.type is not Limited')); }
      else if (lr.type === 'Queue') {
        if (lr.queuing == null) errs.push(required('spec.limited.limitResponse.queuing', 'must not be empty if limited.limitResponse.type is Limited'));
        else errs.push(...validateQueuing(lr.queuing, 'spec.limited.limitResponse.queuing'));
      } else errs.push(notSupported('spec.limited.limitResponse.type', str(lr.type), ['Queue', 'Reject']));
      break;
    }
    default:
      errs.push(notSupported('spec.type', str(s.type), ['Exempt', 'Limited']));
  }
  errs.push(...mandatorySpec(o, MANDATORY_PRIORITY_LEVELS, 'PriorityLevelConfigurationSpec'));
  errs.push(...validateConditions(o));
  return errs;
}

export const prioritylevelconfigurations = defineResource({
  group: GROUP, version: 'v1', kind: 'PriorityLevelConfiguration', plural: 'prioritylevelconfigurations', namespaced: false,
  subresources: ['status'], definition: 'io.k8s.api.flowcontrol.v1.PriorityLevelConfiguration', hasGeneration: true,
  defaults(o) {
    const s = (o.spec ??= {});
    // SetDefaults_ExemptPriorityLevelConfiguration, SetDefaults_LimitedPriorityLevelConfiguration, SetDefaults_QueuingConfiguration.
    if (s.exempt && typeof s.exempt === 'object') {
      s.exempt.nominalConcurrencyShares ??= 0;
      s.exempt.lendablePercent ??= 0;
    }
    if (s.limited && typeof s.limited === 'object') {
      s.limited.nominalConcurrencyShares ??= 30;
      s.limited.lendablePercent ??= 0;
      const q = s.limited.limitResponse?.queuing;
      if (q && typeof q === 'object') {
        if (!q.handSize) q.handSize = 8;
        if (!q.queues) q.queues = 64;
        if (!q.queueLengthLimit) q.queueLengthLimit = 50;
      }
    }
  },
  validate: validatePriorityLevel,
  fields: metaFields,
});
