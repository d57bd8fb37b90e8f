// LimitRanger, as kube-apiserver's plugin of that name
// (plugin/pkg/admission/limitranger/admission.go): the LimitRanges of the
// namespace give a new pod's containers their default requests and limits
// (mutating, annotated `kubernetes.io/limit-ranger`), then bound the pod's
// containers, the pod as a whole and each claim's storage request (validating),
// with kube's messages. docs/admission.md.
import type { KubeObject } from '../../api/types.js';
import { canonical, formatQuantity, MAX_MILLI_VALUE, parseResourceList, quantityMilli, quantityValue, zeroQuantity, type Quantity } from '../../api/quantity.js';
import { podResources, type ResourceList } from '../../api/quota.js';
import { own, setOwn } from '../../util/own.js';
import type { Registry } from '../registry.js';
import { WatchedObjects } from './watched.js';
import { admissionForbidden, aggregate } from './forbidden.js';
import type { AdmissionPlugin, Attributes } from './types.js';
import { handling } from './types.js';

export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

const arr = (v: unknown): any[] => (Array.isArray(v) ? v : []);
const entries = (m: unknown): [string, unknown][] => (m && typeof m === 'object' && !Array.isArray(m) ? Object.entries(m) : []);

/** requestLimitEnforcedValues: milli-units when all three fit, else whole units, so they compare at one precision. */
function values(req: Quantity | undefined, lim: Quantity | undefined, enforced: Quantity): [bigint, bigint, bigint] {
  const r = req ?? zeroQuantity(), l = lim ?? zeroQuantity();
  const whole = [quantityValue(r), quantityValue(l), quantityValue(enforced)];
  if (whole.every((v) => v <= MAX_MILLI_VALUE)) return [quantityMilli(r), quantityMilli(l), quantityMilli(enforced)];
  return whole as [bigint, bigint, bigint];
}

const str = formatQuantity;

function minConstraint(type: string, res: string, enforced: Quantity, request: ResourceList, limit: ResourceList): string | undefined {
  const req = request.get(res), lim = limit.get(res);
  const [r, l, e] = values(req, lim, enforced);
  if (!req) return `minimum ${res} usage per ${type} is ${str(enforced)}.  No request is specified`;
  if (r < e) return `minimum ${res} usage per ${type} is ${str(enforced)}, but request is ${str(req)}`;
  if (lim && l < e) return `minimum ${res} usage per ${type} is ${str(enforced)}, but limit is ${str(lim)}`;
  return undefined;
}

function maxConstraint(type: string, res: string, enforced: Quantity, request: ResourceList, limit: ResourceList): string | undefined {
  const req = request.get(res), lim = limit.get(res);
  const [r, l, e] = values(req, lim, enforced);
  if (!lim) return `maximum ${res} usage per ${type} is ${str(enforced)}.  No limit is specified`;
  if (l > e) return `maximum ${res} usage per ${type} is ${str(enforced)}, but limit is ${str(lim)}`;
  if (req && r > e) return `maximum ${res} usage per ${type} is ${str(enforced)}, but request is ${str(req)}`;
  return undefined;
}

/** maxRequestConstraint: for claims, whose limits are not user input. */
function maxRequestConstraint(type: string, res: string, enforced: Quantity, request: ResourceList): string | undefined {
  const req = request.get(res);
  const [r, , e] = values(req, undefined, enforced);
  if (!req) return `maximum ${res} usage per ${type} is ${str(enforced)}.  No request is specified`;
  if (r > e) return `maximum ${res} usage per ${type} is ${str(enforced)}, but request is ${str(req)}`;
  return undefined;
}

function ratioConstraint(type: string, res: string, enforced: Quantity, request: ResourceList, limit: ResourceList): string | undefined {
  const req = request.get(res), lim = limit.get(res);
  const [r, l] = values(req, lim, enforced);
  if (!req || r === 0n) return `${res} max limit to request ratio per ${type} is ${str(enforced)}, but no request is specified or request is 0`;
  if (!lim || l === 0n) return `${res} max limit to request ratio per ${type} is ${str(enforced)}, but no limit is specified or limit is 0`;
  let observed = Number(l) / Number(r);
  const display = observed;
  let max = Number(quantityValue(enforced));
  if (quantityValue(enforced) <= MAX_MILLI_VALUE) {
    observed *= 1000;
    max = Number(quantityMilli(enforced));
  }
  // Go's %f: six decimals.
  if (observed > max) return `${res} max limit to request ratio per ${type} is ${str(enforced)}, but provided ratio is ${display.toFixed(6)}`;
  return undefined;
}

/** The three kinds of bound of one item, each against the requests and limits given. */
function checkItem(item: any, type: string, request: ResourceList, limit: ResourceList, errs: string[]): void {
  const push = (m: string | undefined) => m && errs.push(m);
  for (const [k, v] of parseResourceList(item.min)) push(minConstraint(type, k, v, request, limit));
  for (const [k, v] of parseResourceList(item.max)) push(maxConstraint(type, k, v, request, limit));
  for (const [k, v] of parseResourceList(item.maxLimitRequestRatio)) push(ratioConstraint(type, k, v, request, limit));
}

/** PodMutateLimitFunc: each container and init container gets the Container items' defaults it does not state. */
function mutatePod(lr: KubeObject, pod: KubeObject): void {
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  for (const item of arr(lr.spec?.limits)) {
    if (item?.type !== 'Container') continue;
    for (const [k, v] of entries(item.defaultRequest)) setOwn(requests, k, canonical(v));
    for (const [k, v] of entries(item.default)) setOwn(limits, k, canonical(v));
  }
  const notes: string[] = [];
  const merge = (c: any, prefix: string) => {
    if (!c || typeof c !== 'object') return;
    const setLimits: string[] = [];
    const setRequests: string[] = [];
    for (const [k, v] of Object.entries(limits)) {
      if (own(c.resources?.limits, k) !== undefined) continue;
      c.resources ??= {};
      c.resources.limits ??= {};
      setOwn(c.resources.limits, k, v);
      setLimits.push(k);
    }
    for (const [k, v] of Object.entries(requests)) {
      if (own(c.resources?.requests, k) !== undefined) continue;
      c.resources ??= {};
      c.resources.requests ??= {};
      setOwn(c.resources.requests, k, v);
      setRequests.push(k);
    }
    if (setRequests.length) notes.push(`${setRequests.sort().join(', ')} request for ${prefix} ${c.name}`);
    if (setLimits.length) notes.push(`${setLimits.sort().join(', ')} limit for ${prefix} ${c.name}`);
  };
  for (const c of arr(pod.spec?.containers)) merge(c, 'container');
  for (const c of arr(pod.spec?.initContainers)) merge(c, 'init container');
  if (notes.length) {
    pod.metadata.annotations ??= {};
    pod.metadata.annotations[LIMIT_RANGER_ANNOTATION] = `LimitRanger plugin set: ${notes.join('; ')}`;
  }
}

/** PodValidateLimitFunc: Container items bound each container and init container, Pod items the pod's sums (overhead left out). */
function validatePod(lr: KubeObject, pod: KubeObject): string[] {
  const errs: string[] = [];
  for (const item of arr(lr.spec?.limits)) {
    if (item?.type === 'Container') {
      for (const c of [...arr(pod.spec?.containers), ...arr(pod.spec?.initContainers)]) {
        checkItem(item, 'Container', parseResourceList(c?.resources?.requests), parseResourceList(c?.resources?.limits), errs);
      }
    }
    if (item?.type === 'Pod') checkItem(item, 'Pod', podResources(pod, 'requests', true), podResources(pod, 'limits', true), errs);
  }
  return errs;
}

/** PersistentVolumeClaimValidateLimitFunc: min and max of the storage request. */
function validateClaim(lr: KubeObject, pvc: KubeObject): string[] {
  const errs: string[] = [];
  const requests = parseResourceList(pvc.spec?.resources?.requests);
  for (const item of arr(lr.spec?.limits)) {
    if (item?.type !== 'PersistentVolumeClaim') continue;
    for (const [k, v] of parseResourceList(item.min)) {
      const m = minConstraint('PersistentVolumeClaim', k, v, requests, new Map());
      if (m) errs.push(m);
    }
    for (const [k, v] of parseResourceList(item.max)) {
      const m = maxRequestConstraint('PersistentVolumeClaim', k, v, requests);
      if (m) errs.push(m);
    }
  }
  return errs;
}

export function limitRanger(registry: Registry): AdmissionPlugin & { name: 'LimitRanger'; start(): Promise<void>; close(): void } {
  // The LimitRanges as the plugin's lister has them (kube's reads an informer), not a store list per request.
  const limitranges = new WatchedObjects(registry, registry.catalog.lookup('', 'v1', 'limitranges')!);
  /**
   * SupportsAttributes: pods (on create: a pod's containers cannot change) and claims, no
   * subresource, nothing being deleted.
   */
  const supports = (a: Attributes): 'pod' | 'pvc' | undefined => {
    if (a.subresource || a.resource.group !== '' || !a.object) return undefined;
    if (a.oldObject?.metadata?.deletionTimestamp) return undefined;
    if (a.resource.resource === 'pods') return a.operation === 'CREATE' ? 'pod' : undefined;
    if (a.resource.resource === 'persistentvolumeclaims') return 'pvc';
    return undefined;
  };
  const ranges = async (ns: string) => {
    await limitranges.start();
    return limitranges.inNamespace(ns);
  };
  return {
    name: 'LimitRanger',
    start: () => limitranges.start(),
    close: () => limitranges.close(),
    handles: handling('CREATE', 'UPDATE'),
    async admit(a) {
      if (supports(a) !== 'pod') return;
      for (const lr of await ranges(a.namespace)) mutatePod(lr, a.object!);
    },
    async validate(a) {
      const kind = supports(a);
      if (!kind) return;
      for (const lr of await ranges(a.namespace)) {
        const errs = kind === 'pod' ? validatePod(lr, a.object!) : validateClaim(lr, a.object!);
        if (errs.length) throw admissionForbidden(a, aggregate(errs));
      }
    },
  };
}
