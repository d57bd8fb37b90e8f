// Pod predicates and helpers shared by the workload controllers: readiness,
// availability (minReadySeconds), "active", the deletion ranking, and
// building a pod from a template.
import type { KubeObject, OwnerReference } from '../../api/types.js';
import { deepCopy } from '../../api/deepcopy.js';
import { formatRFC3339 } from '../../api/duration.js';

/** Now (or `t`) as metav1.Time writes it. */
export const nowIso = formatRFC3339;
export const parseTime = (s: string | undefined | null): number | undefined => (s ? Date.parse(s) : undefined);

export function podCondition(pod: KubeObject, type: string): any | undefined {
  // A plain loop: workload controllers ask this of every pod of a workload on each sync.
  const conds = pod.status?.conditions;
  if (!Array.isArray(conds)) return undefined;
  for (const c of conds) if (c?.type === type) return c;
  return undefined;
}

export const isPodReady = (pod: KubeObject): boolean => podCondition(pod, 'Ready')?.status === 'True';

export const isTerminal = (pod: KubeObject): boolean => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

export const isTerminating = (pod: KubeObject): boolean => !!pod.metadata.deletionTimestamp;

/** Counted by a controller as one of its replicas: not finished and not on its way out. */
export const isPodActive = (pod: KubeObject): boolean => !isTerminal(pod) && !isTerminating(pod);

/**
 * Ready for at least minReadySeconds. Returns whether the pod is available
 * now and, when it is Ready but not yet available, in how many ms it will be.
 */
export function podAvailability(pod: KubeObject, minReadySeconds: number, now = Date.now()): { available: boolean; inMs?: number } {
  const c = podCondition(pod, 'Ready');
  if (c?.status !== 'True') return { available: false };
  if (!minReadySeconds) return { available: true };
  const since = parseTime(c.lastTransitionTime) ?? now;
  const at = since + minReadySeconds * 1000;
  return at <= now ? { available: true } : { available: false, inMs: at - now };
}

export const isPodAvailable = (pod: KubeObject, minReadySeconds: number, now = Date.now()): boolean =>
  podAvailability(pod, minReadySeconds, now).available;

export const isRunningAndReady = (pod: KubeObject): boolean => pod.status?.phase === 'Running' && isPodReady(pod);

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function restarts(pod: KubeObject): number {
  return (pod.status?.containerStatuses ?? []).reduce((n: number, c: any) => n + (c?.restartCount ?? 0), 0);
}

/**
 * Orders pods so the ones to delete first come first, as ActivePodsWithRanks
 * does: unscheduled, then pending/unknown, then not ready, then ready for the
 * shortest time, then the most restarts, then the newest.
 */
export function compareForDeletion(a: KubeObject, b: KubeObject): number {
  const sa = a.spec?.nodeName ? 1 : 0;
  const sb = b.spec?.nodeName ? 1 : 0;
  if (sa !== sb) return sa - sb;
  const pa = PHASE_RANK[a.status?.phase] ?? 0;
  const pb = PHASE_RANK[b.status?.phase] ?? 0;
  if (pa !== pb) return pa - pb;
  const ra = isPodReady(a) ? 1 : 0;
  const rb = isPodReady(b) ? 1 : 0;
  if (ra !== rb) return ra - rb;
  if (ra && rb) {
    const ta = parseTime(podCondition(a, 'Ready')?.lastTransitionTime) ?? 0;
    const tb = parseTime(podCondition(b, 'Ready')?.lastTransitionTime) ?? 0;
    if (ta !== tb) return tb - ta; // ready more recently goes first
  }
  const xa = restarts(a);
  const xb = restarts(b);
  if (xa !== xb) return xb - xa;
  const ca = parseTime(a.metadata.creationTimestamp) ?? 0;
  const cb = parseTime(b.metadata.creationTimestamp) ?? 0;
  if (ca !== cb) return cb - ca; // newer first
  return (b.metadata.name ?? '') < (a.metadata.name ?? '') ? -1 : 1;
}

export function controllerRef(owner: KubeObject): OwnerReference {
  return { apiVersion: owner.apiVersion!, kind: owner.kind!, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

export const controllerOf = (o: KubeObject): OwnerReference | undefined => (o.metadata.ownerReferences ?? []).find((r) => r.controller);

/** A new pod from a workload's template: labels, annotations, finalizers and spec copied; owned by `owner`. */
export function podFromTemplate(template: any, owner: KubeObject, extra: { name?: string; generateName?: string; labels?: Record<string, string>; annotations?: Record<string, string> } = {}): KubeObject {
  const tm = template?.metadata ?? {};
  const labels = { ...(tm.labels ?? {}), ...(extra.labels ?? {}) };
  const annotations = { ...(tm.annotations ?? {}), ...(extra.annotations ?? {}) };
  const pod: KubeObject = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      ...(extra.name ? { name: extra.name } : { generateName: extra.generateName ?? `${owner.metadata.name}-` }),
      namespace: owner.metadata.namespace,
      labels,
      ...(Object.keys(annotations).length ? { annotations } : {}),
      ...(tm.finalizers?.length ? { finalizers: [...tm.finalizers] } : {}),
      ownerReferences: [controllerRef(owner)],
    },
    spec: deepCopy(template?.spec ?? {}),
  };
  return pod;
}

/** Sets a condition on a status' conditions list, keeping lastTransitionTime when the status is unchanged. */
export function setCondition(status: any, cond: { type: string; status: string; reason?: string; message?: string; [k: string]: unknown }, timeFields: string[] = ['lastTransitionTime']): void {
  const list: any[] = status.conditions ?? [];
  const cur = list.find((c) => c.type === cond.type);
  const now = nowIso();
  const next: any = { ...cond };
  for (const f of timeFields) next[f] ??= now;
  if (cur && cur.status === cond.status && 'lastTransitionTime' in next && cur.lastTransitionTime) next.lastTransitionTime = cur.lastTransitionTime;
  status.conditions = [...list.filter((c) => c.type !== cond.type), next];
}

export function removeCondition(status: any, type: string): void {
  if (!status.conditions) return;
  status.conditions = status.conditions.filter((c: any) => c.type !== type);
  if (status.conditions.length === 0) delete status.conditions;
}

export const getCondition = (status: any, type: string): any | undefined => (status?.conditions ?? []).find((c: any) => c.type === type);
