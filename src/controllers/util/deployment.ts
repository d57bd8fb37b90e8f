// Pure helpers of the Deployment controller (deploymentutil in Kubernetes):
// revisions and annotations, surge/unavailable arithmetic, proportional
// scaling and the status/condition computations. No I/O here.
import type { KubeObject } from '../../api/types.js';
import { resolveFenceposts } from './intstr.js';
import { deepEqual } from './hash.js';
import { nowIso, parseTime } from './pods.js';
import { deepCopy } from '../../api/deepcopy.js';
import { own, setOwn } from '../../util/own.js';

export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
export const ROLLBACK_TO = 'deprecated.deployment.rollback.to';
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
export const HASH_LABEL = 'pod-template-hash';

/** Annotations of a Deployment that are not copied to its ReplicaSets. */
const SKIP_COPY = new Set([LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, ROLLBACK_TO]);

export const replicasOf = (o: KubeObject | undefined): number => (o ? o.spec?.replicas ?? 1 : 0);
export const sumSpec = (list: (KubeObject | undefined)[]): number => list.reduce((n, r) => n + (r ? r.spec?.replicas ?? 0 : 0), 0);
export const sumStatus = (list: (KubeObject | undefined)[], f: string): number => list.reduce((n, r) => n + (r?.status?.[f] ?? 0), 0);

export const isRolling = (d: KubeObject): boolean => (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';

export function maxSurge(d: KubeObject): number {
  if (!isRolling(d)) return 0;
  const ru = d.spec?.strategy?.rollingUpdate ?? {};
  return resolveFenceposts(ru.maxSurge ?? '25%', ru.maxUnavailable ?? '25%', replicasOf(d)).surge;
}

export function maxUnavailable(d: KubeObject): number {
  const n = replicasOf(d);
  if (!isRolling(d) || n === 0) return 0;
  const ru = d.spec?.strategy?.rollingUpdate ?? {};
  const u = resolveFenceposts(ru.maxSurge ?? '25%', ru.maxUnavailable ?? '25%', n).unavailable;
  return Math.min(u, n);
}

export function revisionOf(o: KubeObject | undefined): number {
  const v = o?.metadata.annotations?.[REVISION];
  const n = v ? Number(v) : 0;
  return Number.isFinite(n) ? n : 0;
}

export const maxRevision = (list: KubeObject[]): number => list.reduce((m, r) => Math.max(m, revisionOf(r)), 0);

const byCreation = (a: KubeObject, b: KubeObject): number => {
  const d = (parseTime(a.metadata.creationTimestamp) ?? 0) - (parseTime(b.metadata.creationTimestamp) ?? 0);
  return d || ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1);
};
export const oldestFirst = (list: KubeObject[]): KubeObject[] => [...list].sort(byCreation);
export const newestFirst = (list: KubeObject[]): KubeObject[] => [...list].sort((a, b) => byCreation(b, a));

/** A template without the pod-template-hash label, for comparing a Deployment's with its ReplicaSets'. */
function withoutHash(t: any): any {
  const c = deepCopy(t ?? {});
  if (c.metadata?.labels) {
    delete c.metadata.labels[HASH_LABEL];
    if (Object.keys(c.metadata.labels).length === 0) delete c.metadata.labels;
  }
  if (c.metadata && Object.values(c.metadata).every((v) => v === null || v === undefined)) delete c.metadata;
  return c;
}

export const equalIgnoreHash = (a: any, b: any): boolean => deepEqual(withoutHash(a), withoutHash(b));

/** The ReplicaSet whose template is the Deployment's (the oldest one, if several). */
export function findNewRS(d: KubeObject, rsList: KubeObject[]): KubeObject | undefined {
  return oldestFirst(rsList).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

export const activeRSs = (list: (KubeObject | undefined)[]): KubeObject[] => list.filter((r): r is KubeObject => !!r && (r.spec?.replicas ?? 0) > 0);

/** Copies the Deployment's annotations (but the skipped ones) onto a ReplicaSet; true when something changed. */
export function copyAnnotations(d: KubeObject, rs: KubeObject): boolean {
  let changed = false;
  const a = (rs.metadata.annotations ??= {});
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (SKIP_COPY.has(k) || own(a, k) === v) continue;
    setOwn(a, k, v);
    changed = true;
  }
  return changed;
}

export function setReplicasAnnotations(rs: KubeObject, desired: number, max: number): boolean {
  const a = (rs.metadata.annotations ??= {});
  let changed = false;
  if (a[DESIRED_REPLICAS] !== String(desired)) { a[DESIRED_REPLICAS] = String(desired); changed = true; }
  if (a[MAX_REPLICAS] !== String(max)) { a[MAX_REPLICAS] = String(max); changed = true; }
  return changed;
}

export function replicasAnnotationsNeedUpdate(rs: KubeObject, desired: number, max: number): boolean {
  const a = rs.metadata.annotations ?? {};
  return a[DESIRED_REPLICAS] !== String(desired) || a[MAX_REPLICAS] !== String(max);
}

/**
 * SetNewReplicaSetAnnotations: copy the Deployment's annotations, raise the
 * revision (keeping the old ones in revision-history when an old RS comes
 * back, as on rollback), and for a new RS record the replica annotations.
 */
export function setNewRSAnnotations(d: KubeObject, rs: KubeObject, newRevision: number, exists: boolean): boolean {
  let changed = copyAnnotations(d, rs);
  const a = (rs.metadata.annotations ??= {});
  const old = a[REVISION];
  const oldN = old ? Number(old) : 0;
  if (!Number.isFinite(oldN)) return changed;
  if (oldN < newRevision) {
    a[REVISION] = String(newRevision);
    changed = true;
    if (old) {
      const hist = a[REVISION_HISTORY];
      a[REVISION_HISTORY] = hist ? `${hist},${old}` : old;
    }
  }
  if (!exists && setReplicasAnnotations(rs, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
  return changed;
}

/** How many replicas the new RS should have now (NewRSNewReplicas). */
export function newRSNewReplicas(d: KubeObject, allRSs: (KubeObject | undefined)[], newRS: KubeObject): number {
  if (!isRolling(d)) return replicasOf(d);
  const maxTotal = replicasOf(d) + maxSurge(d);
  const current = sumSpec(allRSs);
  if (current >= maxTotal) return newRS.spec?.replicas ?? 0;
  const have = newRS.spec?.replicas ?? 0;
  return have + Math.min(maxTotal - current, replicasOf(d) - have);
}

/** The one RS that should take a pure scaling change, if there is exactly one active (FindActiveOrLatest). */
export function findActiveOrLatest(newRS: KubeObject | undefined, oldRSs: KubeObject[]): KubeObject | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const active = activeRSs([...oldRSs, newRS]);
  if (active.length === 0) return newRS ?? newestFirst(oldRSs)[0];
  if (active.length === 1) return active[0];
  return undefined;
}

export function isSaturated(d: KubeObject, rs: KubeObject | undefined): boolean {
  if (!rs) return false;
  const desired = rs.metadata.annotations?.[DESIRED_REPLICAS];
  return (rs.spec?.replicas ?? 0) === replicasOf(d) && desired === String(replicasOf(d)) && (rs.status?.availableReplicas ?? 0) === replicasOf(d);
}

/** A change of spec.replicas (not of the template) shows as active RSs whose desired-replicas annotation differs. */
export function isScalingEvent(d: KubeObject, rsList: (KubeObject | undefined)[]): boolean {
  for (const rs of activeRSs(rsList)) {
    const desired = rs.metadata.annotations?.[DESIRED_REPLICAS];
    if (desired === undefined) continue;
    if (Number(desired) !== replicasOf(d)) return true;
  }
  return false;
}

/** The share of a scaling change one RS gets, in proportion to its size (GetProportion). */
export function proportion(d: KubeObject, rs: KubeObject, toAdd: number, added: number): number {
  const size = rs.spec?.replicas ?? 0;
  if (size === 0 || toAdd === 0 || toAdd === added) return 0;
  let fraction: number;
  if (replicasOf(d) === 0) fraction = -size;
  else {
    const total = replicasOf(d) + maxSurge(d);
    const ann = Number(rs.metadata.annotations?.[MAX_REPLICAS]);
    const annotated = Number.isFinite(ann) && rs.metadata.annotations?.[MAX_REPLICAS] !== undefined ? ann : d.status?.replicas ?? 0;
    fraction = annotated ? Math.round((size * total) / annotated) - size : 0;
  }
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

export interface DeploymentCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

export const getDCond = (status: any, type: string): DeploymentCondition | undefined => (status?.conditions ?? []).find((c: any) => c.type === type);

export function newDCond(type: string, status: DeploymentCondition['status'], reason: string, message: string): DeploymentCondition {
  const now = nowIso();
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
}

/** SetDeploymentCondition: no-op when status and reason are unchanged; keeps lastTransitionTime when only the reason changes. */
export function setDCond(status: any, c: DeploymentCondition): void {
  const cur = getDCond(status, c.type);
  if (cur && cur.status === c.status && cur.reason === c.reason) return;
  if (cur && cur.status === c.status) c.lastTransitionTime = cur.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((x: any) => x.type !== c.type), c];
}

export function removeDCond(status: any, type: string): void {
  status.conditions = (status.conditions ?? []).filter((x: any) => x.type !== type);
}

/** calculateStatus: the counts from the ReplicaSets plus the Available condition. */
export function calculateStatus(allRSs: (KubeObject | undefined)[], newRS: KubeObject | undefined, d: KubeObject): any {
  const rss = allRSs.filter((r): r is KubeObject => !!r);
  const available = sumStatus(rss, 'availableReplicas');
  const total = sumSpec(rss);
  const status: any = {
    observedGeneration: d.metadata.generation,
    replicas: sumStatus(rss, 'replicas'),
    updatedReplicas: newRS ? newRS.status?.replicas ?? 0 : 0,
    readyReplicas: sumStatus(rss, 'readyReplicas'),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
    conditions: deepCopy(d.status?.conditions ?? []),
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setDCond(status, newDCond('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'));
  } else {
    setDCond(status, newDCond('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'));
  }
  return status;
}

/** Kubernetes omits zero counts and empty lists from the status it writes. */
export function pruneStatus(s: any): any {
  for (const k of ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas']) if (!s[k]) delete s[k];
  if (s.conditions && s.conditions.length === 0) delete s.conditions;
  return s;
}

export const hasProgressDeadline = (d: KubeObject): boolean => {
  const p = d.spec?.progressDeadlineSeconds;
  return p !== undefined && p !== null && p !== 2147483647;
};

export function deploymentComplete(d: KubeObject, s: any): boolean {
  const n = replicasOf(d);
  return (s.updatedReplicas ?? 0) === n && (s.replicas ?? 0) === n && (s.availableReplicas ?? 0) === n && (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
}

export function deploymentProgressing(d: KubeObject, s: any): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) || newOld < oldOld || (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) || (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0);
}

export function deploymentTimedOut(d: KubeObject, s: any, now = Date.now()): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getDCond(s, 'Progressing');
  if (!c) return false;
  if (c.reason === 'NewReplicaSetAvailable') return false;
  if (c.reason === 'ProgressDeadlineExceeded') return true;
  const from = parseTime(c.lastUpdateTime) ?? now;
  return from + d.spec.progressDeadlineSeconds * 1000 < now;
}
