// What ResourceQuota counts, as kube's quota evaluators count it
// (pkg/quota/v1/evaluator/core: pods.go, services.go, persistent_volume_claims.go;
// staging/src/k8s.io/apiserver/pkg/quota/v1/generic/evaluator.go for every other
// kind, `count/<resource>.<group>`), and ResourceList arithmetic
// (k8s.io/apiserver/pkg/quota/v1/resources.go). Pure: the ResourceQuota admission
// plugin (src/apiserver/admission/resource-quota.ts) and the resource quota
// controller (src/controllers/resourcequota.ts) share it. docs/admission.md.
import type { KubeObject } from './types.js';
import { addQuantity, cmpQuantity, formatQuantity, parseQuantity, parseResourceList, quantityOf, subQuantity, zeroQuantity, type Quantity } from './quantity.js';

/** A ResourceList: resource name → quantity. Names come from users: a Map. */
export type ResourceList = Map<string, Quantity>;

// ---- ResourceList arithmetic (quota/v1/resources.go) ------------------------------------------

/** quota.Add: a + b, name by name (a's format, b's for names only in b). */
export function addLists(a: ResourceList, b: ResourceList): ResourceList {
  const out = new Map(a);
  for (const [k, v] of b) {
    const have = out.get(k);
    out.set(k, have ? addQuantity(have, v) : v);
  }
  return out;
}

/** quota.SubtractWithNonNegativeResult: a − b, never below zero. */
export function subtractNonNegative(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map();
  for (const [k, v] of a) {
    const d = b.has(k) ? subQuantity(v, b.get(k)!) : v;
    out.set(k, d.nano < 0n ? zeroQuantity(d.format) : d);
  }
  return out;
}

/** quota.Mask: only the names given. */
export function mask(list: ResourceList, names: Iterable<string>): ResourceList {
  const keep = new Set(names);
  return new Map([...list].filter(([k]) => keep.has(k)));
}

/** quota.LessThanOrEqual: whether a ≤ b for every name both have, and the names where not. */
export function lessThanOrEqual(a: ResourceList, b: ResourceList): { ok: boolean; exceeded: string[] } {
  const exceeded: string[] = [];
  for (const [k, v] of a) {
    const limit = b.get(k);
    if (limit && cmpQuantity(v, limit) > 0) exceeded.push(k);
  }
  return { ok: exceeded.length === 0, exceeded };
}

export const isZeroList = (list: ResourceList): boolean => [...list.values()].every((q) => q.nano === 0n);
export const negativeNames = (list: ResourceList): string[] => [...list].filter(([, q]) => q.nano < 0n).map(([k]) => k);
export const equalLists = (a: ResourceList, b: ResourceList): boolean =>
  a.size === b.size && [...a].every(([k, v]) => b.has(k) && cmpQuantity(v, b.get(k)!) === 0);

/** prettyPrint of the quota admission: `name=value` by name, comma-separated. */
export const prettyPrint = (list: ResourceList): string =>
  [...list.keys()].sort().map((k) => `${k}=${formatQuantity(list.get(k)!)}`).join(',');

const one = () => quantityOf(1);

// ---- pod requests and limits (component-helpers/resource: PodRequests, PodLimits) ---------------

function addInto(into: ResourceList, list: ResourceList): void {
  for (const [k, v] of list) into.set(k, into.has(k) ? addQuantity(into.get(k)!, v) : v);
}
function maxInto(into: ResourceList, list: ResourceList): void {
  for (const [k, v] of list) if (!into.has(k) || cmpQuantity(v, into.get(k)!) > 0) into.set(k, v);
}

/**
 * A pod's requests (or limits): its app containers summed, sidecars (init containers with
 * restartPolicy Always) added, and the largest of what each regular init container needs next
 * to the sidecars started before it; the pod's overhead on top unless `excludeOverhead`
 * (limits: overhead only for what has a limit).
 */
export function podResources(pod: KubeObject, kind: 'requests' | 'limits', excludeOverhead = false): ResourceList {
  const sum: ResourceList = new Map();
  const list = (c: any) => parseResourceList(c?.resources?.[kind]);
  for (const c of arr(pod.spec?.containers)) addInto(sum, list(c));
  const sidecars: ResourceList = new Map();
  const inits: ResourceList = new Map();
  for (const c of arr(pod.spec?.initContainers)) {
    let need = list(c);
    if (c?.restartPolicy === 'Always') {
      addInto(sum, need);
      addInto(sidecars, need);
      need = sidecars;
    } else {
      const t: ResourceList = new Map();
      addInto(t, need);
      addInto(t, sidecars);
      need = t;
    }
    maxInto(inits, need);
  }
  maxInto(sum, inits);
  if (!excludeOverhead && pod.spec?.overhead) {
    for (const [k, v] of parseResourceList(pod.spec.overhead)) {
      if (kind === 'requests') addInto(sum, new Map([[k, v]]));
      else if (sum.has(k)) sum.set(k, addQuantity(sum.get(k)!, v));
    }
  }
  return sum;
}

const arr = (v: unknown): any[] => (Array.isArray(v) ? v : []);

// ---- the evaluators -----------------------------------------------------------------------------

/** A scope as a quota states it: spec.scopes (operator Exists) and spec.scopeSelector.matchExpressions. */
export interface ScopeSelector {
  scopeName: string;
  operator: string;
  values?: string[];
}

/** What kube's quota.Evaluator answers for one group-resource. */
export interface QuotaEvaluator {
  /** The names among `names` that this kind's usage can fill (MatchingResources). */
  matchingResources(names: string[]): string[];
  /** What one object uses (Usage); `now` for pods whose grace period ran out. */
  usage(obj: KubeObject, now: number): ResourceList;
  /** Whether a write can change usage (Handles). */
  handles(op: string, obj: KubeObject | undefined, old: KubeObject | undefined): boolean;
  /** Whether the object is in a scope (MatchingScopes); kinds without scopes are in all. */
  matchesScope(s: ScopeSelector, obj: KubeObject): boolean;
  /** The object's refusal for resources the quota needs stated (Constraints), or undefined. */
  constraints(required: string[], obj: KubeObject): string | undefined;
}

/** corev1.DefaultResourceRequestsPrefix and the prefixes counted by name (hugepages). */
const REQUESTS = 'requests.';
const HUGEPAGES = ['hugepages-', 'requests.hugepages-'];

/** helper.IsNativeResource: no domain, or one under kubernetes.io. */
const isNative = (name: string): boolean => !name.includes('/') || name.includes('kubernetes.io/');
/** helper.IsExtendedResourceName: a domain-qualified name not under kubernetes.io, not requests.* itself. */
const isExtended = (name: string): boolean => !isNative(name) && !name.startsWith(REQUESTS);
/** isExtendedResourceNameForQuota: only `requests.<extended>` is a quota name for extended resources. */
const isExtendedForQuota = (name: string): boolean => !isNative(name) && name.startsWith(REQUESTS);

const POD_RESOURCES = new Set([
  'count/pods', 'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage',
  'limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'pods',
]);
/** What a pod's containers must state when a quota limits it (validationSet of pods.go). */
const POD_VALIDATION = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);

/** podComputeUsageHelper: requests and limits as quota names. */
function podComputeUsage(requests: ResourceList, limits: ResourceList): ResourceList {
  const r: ResourceList = new Map([['pods', quantityOf(1)]]);
  for (const res of ['cpu', 'memory', 'ephemeral-storage']) {
    if (requests.has(res)) {
      r.set(res, requests.get(res)!);
      r.set(`requests.${res}`, requests.get(res)!);
    }
    if (limits.has(res)) r.set(`limits.${res}`, limits.get(res)!);
  }
  for (const [k, v] of requests) {
    if (HUGEPAGES.some((p) => k.startsWith(p))) {
      r.set(k, v);
      r.set(k.startsWith(REQUESTS) ? k : REQUESTS + k, v);
    }
    if (isExtended(k)) r.set(REQUESTS + k, v);
  }
  return r;
}

/** IsTerminating: activeDeadlineSeconds ≥ 0. */
export const isTerminatingPod = (pod: KubeObject): boolean => typeof pod.spec?.activeDeadlineSeconds === 'number' && pod.spec.activeDeadlineSeconds >= 0;

/** qos.GetPodQOS == BestEffort: no container asks for or limits cpu or memory above zero. */
export function isBestEffortPod(pod: KubeObject): boolean {
  for (const c of [...arr(pod.spec?.initContainers), ...arr(pod.spec?.containers)]) {
    for (const kind of ['requests', 'limits']) {
      for (const [k, q] of parseResourceList(c?.resources?.[kind])) if ((k === 'cpu' || k === 'memory') && q.nano > 0n) return false;
    }
  }
  return true;
}

/** QuotaV1Pod: a pod counts until it has finished or its deletion grace period ran out. */
function podCounts(pod: KubeObject, now: number): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Failed' || phase === 'Succeeded') return false;
  const del = pod.metadata.deletionTimestamp;
  const grace = pod.metadata.deletionGracePeriodSeconds;
  if (del && typeof grace === 'number' && now > Date.parse(del) + grace * 1000) return false;
  return true;
}

const crossNamespaceTerm = (t: any) => (Array.isArray(t?.namespaces) && t.namespaces.length > 0) || (t?.namespaceSelector !== undefined && t?.namespaceSelector !== null);
function usesCrossNamespaceAffinity(pod: KubeObject): boolean {
  const a = pod.spec?.affinity;
  return [a?.podAffinity, a?.podAntiAffinity].some((x) =>
    arr(x?.requiredDuringSchedulingIgnoredDuringExecution).some(crossNamespaceTerm)
    || arr(x?.preferredDuringSchedulingIgnoredDuringExecution).some((w) => crossNamespaceTerm(w?.podAffinityTerm)));
}

/** A PriorityClass scope's selector over the label set {PriorityClass: <name>} (podMatchesSelector). */
function priorityClassMatches(s: ScopeSelector, pcName: string | undefined): boolean {
  const has = !!pcName;
  const values = s.values ?? [];
  switch (s.operator) {
    case 'Exists': return has;
    case 'DoesNotExist': return !has;
    case 'In': return has && values.includes(pcName!);
    case 'NotIn': return !has || !values.includes(pcName!);
    default: return false;
  }
}

const podEvaluator: QuotaEvaluator = {
  matchingResources: (names) => names.filter((n) => POD_RESOURCES.has(n) || HUGEPAGES.some((p) => n.startsWith(p)) || isExtendedForQuota(n)),
  usage(pod, now) {
    // count/pods counts every pod stored; the rest only pods that still run.
    const r: ResourceList = new Map([['count/pods', one()]]);
    if (!podCounts(pod, now)) return r;
    return addLists(r, podComputeUsage(podResources(pod, 'requests'), podResources(pod, 'limits')));
  },
  // A pod's resources cannot change once created; a change of activeDeadlineSeconds moves it between scopes.
  handles: (op, obj, old) => op === 'CREATE' || (op === 'UPDATE' && !!obj && !!old && isTerminatingPod(obj) !== isTerminatingPod(old)),
  matchesScope(s, pod) {
    switch (s.scopeName) {
      case 'Terminating': return isTerminatingPod(pod);
      case 'NotTerminating': return !isTerminatingPod(pod);
      case 'BestEffort': return isBestEffortPod(pod);
      case 'NotBestEffort': return !isBestEffortPod(pod);
      case 'PriorityClass': return priorityClassMatches(s, pod.spec?.priorityClassName || undefined);
      case 'CrossNamespacePodAffinity': return usesCrossNamespaceAffinity(pod);
      default: return false;
    }
  },
  constraints(required, pod) {
    // "if we quota cpu or memory, then each container must make an explicit request for the resource" (pods.go).
    const need = required.filter((r) => POD_VALIDATION.has(r));
    if (need.length === 0) return undefined;
    const missing = new Map<string, Set<string>>();
    for (const c of [...arr(pod.spec?.containers), ...arr(pod.spec?.initContainers)]) {
      const has = podComputeUsage(parseResourceList(c?.resources?.requests), parseResourceList(c?.resources?.limits));
      for (const r of need) if (!has.has(r)) (missing.get(r) ?? missing.set(r, new Set()).get(r)!).add(String(c?.name ?? ''));
    }
    if (missing.size === 0) return undefined;
    const parts = [...missing.keys()].sort().map((r) => `${r} for: ${[...missing.get(r)!].sort().join(',')}`);
    return `must specify ${parts.join('; ')}`;
  },
};

const SERVICE_RESOURCES = new Set(['count/services', 'services', 'services.loadbalancers', 'services.nodeports']);
const serviceEvaluator: QuotaEvaluator = {
  matchingResources: (names) => names.filter((n) => SERVICE_RESOURCES.has(n)),
  usage(svc) {
    const ports = arr(svc.spec?.ports);
    const r: ResourceList = new Map([['count/services', one()], ['services', one()], ['services.loadbalancers', zeroQuantity()], ['services.nodeports', zeroQuantity()]]);
    if (svc.spec?.type === 'NodePort') r.set('services.nodeports', quantityOf(ports.length));
    if (svc.spec?.type === 'LoadBalancer') {
      // The node ports it was given (portsWithNodePorts: allocateLoadBalancerNodePorts false gives none); allocated before validating admission.
      r.set('services.nodeports', quantityOf(ports.filter((p) => typeof p?.nodePort === 'number' && p.nodePort !== 0).length));
      r.set('services.loadbalancers', one());
    }
    return r;
  },
  // A service's type can change: creates and updates.
  handles: (op) => op === 'CREATE' || op === 'UPDATE',
  matchesScope: () => true,
  constraints: () => undefined,
};

/** The storage class of a claim: spec.storageClassName, else the beta annotation. */
export const claimClass = (pvc: KubeObject): string =>
  pvc.spec?.storageClassName ?? pvc.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? '';

const STORAGE_CLASS_SUFFIX = '.storageclass.storage.k8s.io/';
const PVC_RESOURCES = new Set(['count/persistentvolumeclaims', 'persistentvolumeclaims', 'requests.storage']);
const pvcEvaluator: QuotaEvaluator = {
  matchingResources: (names) => names.filter((n) => PVC_RESOURCES.has(n)
    || (n.includes(STORAGE_CLASS_SUFFIX) && (n.endsWith('/persistentvolumeclaims') || n.endsWith('/requests.storage')))),
  usage(pvc) {
    const r: ResourceList = new Map([['persistentvolumeclaims', one()], ['count/persistentvolumeclaims', one()]]);
    const cls = claimClass(pvc);
    if (cls) r.set(`${cls}${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`, one());
    // The larger of the request and what an expansion already allocated (RecoverVolumeExpansionFailure).
    let storage = parseQuantity(pvc.spec?.resources?.requests?.storage);
    const allocated = parseQuantity(pvc.status?.allocatedResources?.storage);
    if (allocated && (!storage || cmpQuantity(allocated, storage) > 0)) storage = allocated;
    if (storage) {
      r.set('requests.storage', storage);
      if (cls) r.set(`${cls}${STORAGE_CLASS_SUFFIX}requests.storage`, storage);
    }
    return r;
  },
  handles: (op) => op === 'CREATE' || op === 'UPDATE',
  matchesScope: () => true,
  constraints: () => undefined,
};

/** The kinds whose object count also has a name of its own (the legacy object count names). */
const LEGACY_COUNT: Record<string, string> = { configmaps: 'configmaps', secrets: 'secrets', replicationcontrollers: 'replicationcontrollers', resourcequotas: 'resourcequotas' };

/** `count/<resource>` (core) or `count/<resource>.<group>`: ObjectCountQuotaResourceNameFor. */
export const countName = (group: string, resource: string): string => `count/${group ? `${resource}.${group}` : resource}`;

/** generic.NewObjectCountEvaluator: one per stored object, counted on create. */
function objectCountEvaluator(group: string, resource: string): QuotaEvaluator {
  const names = [countName(group, resource), ...(group === '' && LEGACY_COUNT[resource] ? [LEGACY_COUNT[resource]] : [])];
  return {
    matchingResources: (input) => input.filter((n) => names.includes(n)),
    usage: () => new Map(names.map((n) => [n, one()])),
    handles: (op) => op === 'CREATE',
    matchesScope: () => true,
    constraints: () => undefined,
  };
}

/** Kinds quota never counts (the admission's default ignored resources): nothing is stored for the reviews, and events are not limited. */
const IGNORED = new Set(['/events', 'events.k8s.io/events', 'authentication.k8s.io/tokenreviews', 'authentication.k8s.io/selfsubjectreviews',
  'authorization.k8s.io/subjectaccessreviews', 'authorization.k8s.io/selfsubjectaccessreviews', 'authorization.k8s.io/localsubjectaccessreviews',
  'authorization.k8s.io/selfsubjectrulesreviews']);

const evaluators = new Map<string, QuotaEvaluator>();
/** The evaluator of a group-resource; undefined for the kinds quota ignores. */
export function quotaEvaluator(group: string, resource: string): QuotaEvaluator | undefined {
  const key = `${group}/${resource}`;
  if (IGNORED.has(key)) return undefined;
  let e = evaluators.get(key);
  if (!e) {
    e = group === '' && resource === 'pods' ? podEvaluator
      : group === '' && resource === 'services' ? serviceEvaluator
        : group === '' && resource === 'persistentvolumeclaims' ? pvcEvaluator
          : objectCountEvaluator(group, resource);
    evaluators.set(key, e);
  }
  return e;
}

/** The group-resources whose objects a quota's hard names count: pods, services, claims, and each count/… name. */
export function countedResources(hard: string[]): { group: string; resource: string }[] {
  const out = new Map<string, { group: string; resource: string }>();
  const add = (group: string, resource: string) => out.set(`${group}/${resource}`, { group, resource });
  for (const n of hard) {
    if (podEvaluator.matchingResources([n]).length) add('', 'pods');
    if (serviceEvaluator.matchingResources([n]).length) add('', 'services');
    if (pvcEvaluator.matchingResources([n]).length) add('', 'persistentvolumeclaims');
    if (Object.hasOwn(LEGACY_COUNT, n)) add('', n);
    const m = /^count\/([^.]+)(?:\.(.+))?$/.exec(n);
    if (m) add(m[2] ?? '', m[1]);
  }
  return [...out.values()];
}

/** The scopes a quota states: spec.scopes as Exists, then spec.scopeSelector.matchExpressions (getScopeSelectorsFromQuota). */
export function quotaScopes(q: KubeObject): ScopeSelector[] {
  const out: ScopeSelector[] = arr(q.spec?.scopes).map((s) => ({ scopeName: String(s), operator: 'Exists' }));
  for (const e of arr(q.spec?.scopeSelector?.matchExpressions)) {
    out.push({ scopeName: String(e?.scopeName ?? ''), operator: String(e?.operator ?? ''), values: arr(e?.values).map(String) });
  }
  return out;
}
