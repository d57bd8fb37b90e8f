// ResourceQuota, as kube-apiserver's plugin of that name
// (staging/src/k8s.io/apiserver/pkg/admission/plugin/resourcequota:
// admission.go, controller.go): a write that adds usage is checked against
// every ResourceQuota of its namespace that matches it (its resources, its
// scopes), refused with kube's `exceeded quota` message when one would go over,
// and otherwise charged to those quotas' status.used before it is stored, so
// the next request sees it. The resource quota controller
// (src/controllers/resourcequota.ts) computes status from what is stored and
// gives back what deletes free. docs/admission.md.
import type { KubeObject } from '../../api/types.js';
import { parseResourceList, resourceListObject } from '../../api/quantity.js';
import {
  addLists, equalLists, isZeroList, lessThanOrEqual, mask, negativeNames, prettyPrint, quotaEvaluator, quotaScopes, subtractNonNegative, type ResourceList,
} from '../../api/quota.js';
import { StatusError } from '../status.js';
import type { Registry } from '../registry.js';
import { admissionForbidden } from './forbidden.js';
import type { Attributes, ValidationInterface } from './types.js';
import { handling } from './types.js';
import { WatchedObjects } from './watched.js';

/** How often a status write that lost a race is tried again with the quotas read anew (checkQuotas' retries). */
const RETRIES = 3;

interface Charged {
  quota: KubeObject;
  used: ResourceList;
}

/**
 * CheckRequest: the quotas this request must fit and their usage if it is admitted; a refusal
 * (a thrown 403) when it does not fit, when a container leaves out what a quota limits, or when
 * a matching quota has no usage yet.
 */
function checkRequest(quotas: KubeObject[], a: Attributes, now: number): Charged[] {
  const ev = quotaEvaluator(a.resource.group, a.resource.resource)!;
  const obj = a.object!;
  const matching: KubeObject[] = [];
  for (const q of quotas) {
    const hardNames = [...parseResourceList(q.status?.hard).keys()];
    const restricted = ev.matchingResources(hardNames);
    // generic.Matches: at least one resource it limits, and every scope it states.
    if (restricted.length === 0 || !quotaScopes(q).every((s) => ev.matchesScope(s, obj))) continue;
    const missing = ev.constraints(restricted, obj);
    if (missing) throw admissionForbidden(a, `failed quota: ${q.metadata.name}: ${missing}`);
    // hasUsageStats: a quota whose controller has not counted yet cannot be checked.
    const used = parseResourceList(q.status?.used);
    if (restricted.some((r) => !used.has(r))) {
      throw admissionForbidden(a, `status unknown for quota: ${q.metadata.name}, resources: ${[...restricted].sort().join(',')}`);
    }
    matching.push(q);
  }
  let delta = ev.usage(obj, now);
  const negative = negativeNames(delta);
  if (negative.length) throw admissionForbidden(a, `quota usage is negative for resource(s): ${negative.sort().join(',')}`);
  // An update is charged what it adds, not what the object held already.
  if (a.operation === 'UPDATE' && a.oldObject?.metadata?.resourceVersion) delta = subtractNonNegative(delta, ev.usage(a.oldObject, now));
  if (isZeroList(delta) || matching.length === 0) return [];
  const out: Charged[] = [];
  for (const q of matching) {
    const hard = parseResourceList(q.status?.hard);
    const used = parseResourceList(q.status?.used);
    const requested = mask(delta, hard.keys());
    const next = addLists(used, requested);
    const { ok, exceeded } = lessThanOrEqual(mask(next, requested.keys()), hard);
    if (!ok) {
      throw admissionForbidden(a, `exceeded quota: ${q.metadata.name}, requested: ${prettyPrint(mask(requested, exceeded))}, `
        + `used: ${prettyPrint(mask(used, exceeded))}, limited: ${prettyPrint(mask(hard, exceeded))}`);
    }
    if (!equalLists(next, used)) out.push({ quota: q, used: next });
  }
  return out;
}

export function resourceQuota(registry: Registry, now: () => number = Date.now): ValidationInterface & { name: 'ResourceQuota'; start(): Promise<void>; close(): void } {
  const quotas = registry.catalog.lookup('', 'v1', 'resourcequotas')!;
  // The quotas as the plugin's lister has them (kube's reads an informer): a charge this plugin wrote is
  // there before its write returns, so the next request of the namespace (they wait in line) is checked
  // against it. After a lost race the quotas are read from the store, which has the winner's write.
  const watched = new WatchedObjects(registry, quotas);
  /** One evaluation at a time per namespace, as kube's quota evaluator works a namespace's requests in order. */
  const busy = new Map<string, Promise<void>>();
  const serialized = async <T>(ns: string, fn: () => Promise<T>): Promise<T> => {
    const before = busy.get(ns) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = before.then(() => mine);
    busy.set(ns, tail);
    await before;
    try {
      return await fn();
    } finally {
      release();
      if (busy.get(ns) === tail) busy.delete(ns);
    }
  };
  return {
    name: 'ResourceQuota',
    start: () => watched.start(),
    close: () => watched.close(),
    handles: handling('CREATE', 'UPDATE'),
    async validate(a) {
      // Subresources and cluster-scoped objects are not counted; nor is a namespace's own creation.
      if (a.subresource || !a.namespace || !a.object) return;
      const ev = quotaEvaluator(a.resource.group, a.resource.resource);
      if (!ev || !ev.handles(a.operation, a.object, a.oldObject)) return;
      // A namespace without quotas (most of them) is not made to wait in line.
      await watched.start();
      if (watched.inNamespace(a.namespace).length === 0) return;
      await serialized(a.namespace, async () => {
        /** Quotas already charged: a retry after a lost race charges only the others. */
        const done = new Set<string>();
        for (let attempt = 0; ; attempt++) {
          const list = attempt === 0 ? watched.inNamespace(a.namespace) : (await registry.list(quotas, a.namespace)).items;
          if (list.length === 0) return;
          const charged = checkRequest(list, a, now()).filter((c) => !done.has(c.quota.metadata.name!));
          // A dry run is checked, not charged.
          if (a.dryRun || charged.length === 0) return;
          try {
            for (const c of charged) {
              const q = structuredClone(c.quota);
              q.status = { ...(q.status ?? {}), used: resourceListObject(c.used) };
              await registry.update(quotas, a.namespace, q.metadata.name!, q, { subresource: 'status' });
              done.add(q.metadata.name!);
            }
            return;
          } catch (e) {
            // Another writer (the controller) changed a quota since it was read: read them again and check again.
            if (!(e instanceof StatusError && e.code === 409) || attempt + 1 >= RETRIES) throw e;
          }
        }
      });
    },
  };
}
