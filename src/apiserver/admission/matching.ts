// Which requests a webhook or an admission policy sees, as kube-apiserver
// decides it (k8s.io/apiserver/pkg/admission/plugin/webhook/predicates/rules,
// .../predicates/namespace, .../predicates/object, and the policy matcher's
// matchResources): rules of operations, groups, versions, resources (with
// subresources: "pods/status", "*/*", "pods/*", "*/scale") and scope; the
// namespace's labels; the object's labels (new or old); matchPolicy
// Equivalent for another version of the same resource.
import type { KubeObject, ResourceType } from '../../api/types.js';
import { selectorFromLabelSelector, type LabelSelectorObject } from '../../api/selectors.js';
import type { Attributes } from './types.js';
import type { Registry } from '../registry.js';

export interface Rule {
  operations?: string[];
  apiGroups?: string[];
  apiVersions?: string[];
  resources?: string[];
  scope?: string;
  resourceNames?: string[];
}

/** The group, version and resource a rule is matched against (the request's, or an equivalent one). */
export interface MatchTarget {
  group: string;
  version: string;
  resource: string;
  kind: string;
  rt: ResourceType;
}

const has = (list: string[] | undefined, v: string) => !!list && (list.includes('*') || list.includes(v));

/** rules.Matcher: operation, group, version, resource/subresource and scope. */
export function ruleMatches(rule: Rule, a: Attributes, t: MatchTarget, withOperations = true): boolean {
  if (withOperations && !has(rule.operations, a.operation)) return false;
  if (!has(rule.apiGroups, t.group) || !has(rule.apiVersions, t.version)) return false;
  const sub = a.subresource;
  const resourceMatch = (rule.resources ?? []).some((r) => {
    const slash = r.indexOf('/');
    const [res, s] = slash < 0 ? [r, ''] : [r.slice(0, slash), r.slice(slash + 1)];
    return (res === '*' || res === t.resource) && (s === '*' || s === sub);
  });
  if (!resourceMatch) return false;
  const isNamespace = t.group === '' && t.resource === 'namespaces';
  switch (rule.scope ?? '*') {
    case 'Namespaced': return !isNamespace && a.namespace !== '';
    case 'Cluster': return isNamespace || a.namespace === '';
    default: return true;
  }
}

/** The request as it was made. */
export function requestTarget(a: Attributes): MatchTarget {
  return { group: a.resource.group, version: a.resource.version, resource: a.resource.resource, kind: a.kind.kind, rt: a.resourceType };
}

/**
 * The other served versions of the request's resource (matchPolicy Equivalent): the types that
 * share its storage (a CRD's versions, autoscaling/v1 and v2 HPAs, core and events.k8s.io Events).
 */
export function equivalentTargets(registry: Registry, a: Attributes): MatchTarget[] {
  const store = (rt: ResourceType) => `${(rt.storedAs ?? rt).group}/${(rt.storedAs ?? rt).plural}`;
  const mine = store(a.resourceType);
  return registry.catalog.all()
    .filter((rt) => rt !== a.resourceType && store(rt) === mine && rt.kind === a.resourceType.kind)
    .map((rt) => ({ group: rt.group, version: rt.version, resource: rt.plural, kind: rt.kind, rt }));
}

function selectorMatches(sel: LabelSelectorObject | undefined, labels: Record<string, string> | undefined): boolean {
  try {
    return selectorFromLabelSelector(sel ?? {}).matches(labels ?? {});
  } catch {
    return false;
  }
}

const isEmptySelector = (sel: LabelSelectorObject | undefined) => !sel || (!Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length);

/** The namespace object a request is in (what `namespaceObject` is in CEL); undefined for cluster-scoped requests. */
export async function requestNamespace(registry: Registry, a: Attributes): Promise<KubeObject | undefined> {
  if (a.resource.group === '' && a.resource.resource === 'namespaces') return a.object ?? a.oldObject;
  if (!a.namespace) return undefined;
  return registry.tryGet(registry.catalog.lookup('', 'v1', 'namespaces')!, undefined, a.namespace);
}

/**
 * namespace.Matcher.MatchNamespaceSelector: a cluster-scoped object other than a Namespace is
 * never skipped; a Namespace is matched by its own labels; anything else by its namespace's.
 */
export async function namespaceSelectorMatches(registry: Registry, sel: LabelSelectorObject | undefined, a: Attributes): Promise<boolean> {
  if (isEmptySelector(sel)) return true;
  const isNamespace = a.resource.group === '' && a.resource.resource === 'namespaces';
  if (!isNamespace && !a.namespace) return true;
  const ns = await requestNamespace(registry, a);
  return selectorMatches(sel, ns?.metadata?.labels);
}

/** object.Matcher.MatchObjectSelector: the new or the old object's labels. */
export function objectSelectorMatches(sel: LabelSelectorObject | undefined, a: Attributes): boolean {
  if (isEmptySelector(sel)) return true;
  return (!!a.object && selectorMatches(sel, a.object.metadata?.labels)) || (!!a.oldObject && selectorMatches(sel, a.oldObject.metadata?.labels));
}
