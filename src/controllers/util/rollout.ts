// The rollout strategies of the Deployment controller: RollingUpdate,
// Recreate, proportional scaling, and old-ReplicaSet cleanup. They decide;
// the DeploymentSync they are given writes (see ../deployment.ts).
import type { KubeObject } from '../../api/types.js';
import {
  activeRSs, findActiveOrLatest, isRolling, isSaturated, maxSurge, maxUnavailable, newRSNewReplicas, oldestFirst,
  proportion, replicasOf, revisionOf, sumSpec, sumStatus, deploymentComplete, calculateStatus,
} from './deployment.js';
import { parseTime } from './pods.js';

/** The writes a strategy needs; `d` is the Deployment as last written. */
export interface DeploymentSync {
  d: KubeObject;
  /** Sets a RS's replicas (and replica annotations); returns the RS as written and whether its size changed. */
  scaleRS(rs: KubeObject, replicas: number): Promise<{ rs: KubeObject; scaled: boolean }>;
  deleteRS(rs: KubeObject): Promise<void>;
  /** Pods of a ReplicaSet from the cache (for Recreate). */
  podsOf(rs: KubeObject): KubeObject[];
  /** getAllReplicaSetsAndSyncRevision. */
  getAll(create: boolean): Promise<{ newRS?: KubeObject; oldRSs: KubeObject[] }>;
  syncRolloutStatus(allRSs: (KubeObject | undefined)[], newRS: KubeObject | undefined): Promise<void>;
}

const replace = (list: KubeObject[], rs: KubeObject) => list.map((r) => (r.metadata.uid === rs.metadata.uid ? rs : r));

/** Only scales when needed; returns whether the size changed. */
async function scaleTo(s: DeploymentSync, rs: KubeObject, n: number): Promise<{ rs: KubeObject; scaled: boolean }> {
  if ((rs.spec?.replicas ?? 0) === n) return { rs, scaled: false };
  return s.scaleRS(rs, n);
}

export async function rolloutRolling(s: DeploymentSync): Promise<void> {
  let { newRS, oldRSs } = await s.getAll(true);
  let allRSs: (KubeObject | undefined)[] = [...oldRSs, newRS];
  // Scale up the new RS as far as maxSurge allows.
  if (newRS) {
    const r = await reconcileNewRS(s, allRSs, newRS);
    if (r.scaled) return s.syncRolloutStatus([...oldRSs, r.rs], r.rs);
    newRS = r.rs;
  }
  // Scale down old RSs as far as maxUnavailable allows.
  const down = await reconcileOldRSs(s, allRSs, activeRSs(oldRSs), newRS);
  if (down.scaled) {
    oldRSs = oldRSs.map((r) => down.updated.find((u) => u.metadata.uid === r.metadata.uid) ?? r);
    return s.syncRolloutStatus([...oldRSs, newRS], newRS);
  }
  allRSs = [...oldRSs, newRS];
  if (deploymentComplete(s.d, calculateStatus(allRSs, newRS, s.d))) await cleanup(s, oldRSs);
  return s.syncRolloutStatus(allRSs, newRS);
}

async function reconcileNewRS(s: DeploymentSync, allRSs: (KubeObject | undefined)[], newRS: KubeObject) {
  const want = replicasOf(s.d);
  const have = newRS.spec?.replicas ?? 0;
  if (have === want) return { rs: newRS, scaled: false };
  if (have > want) return scaleTo(s, newRS, want);
  return scaleTo(s, newRS, newRSNewReplicas(s.d, allRSs, newRS));
}

async function reconcileOldRSs(s: DeploymentSync, allRSs: (KubeObject | undefined)[], oldRSs: KubeObject[], newRS: KubeObject | undefined) {
  const updated: KubeObject[] = [];
  const oldCount = sumSpec(oldRSs);
  if (oldCount === 0) return { scaled: false, updated };
  const allCount = sumSpec(allRSs);
  const minAvailable = replicasOf(s.d) - maxUnavailable(s.d);
  const newUnavailable = newRS ? (newRS.spec?.replicas ?? 0) - (newRS.status?.availableReplicas ?? 0) : 0;
  const maxScaledDown = allCount - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return { scaled: false, updated };
  // First drop unhealthy replicas of old RSs: they do not count toward availability anyway.
  let olds = oldestFirst(oldRSs);
  let cleaned = 0;
  for (const rs of olds) {
    if (cleaned >= maxScaledDown) break;
    const size = rs.spec?.replicas ?? 0;
    if (size === 0) continue;
    const unhealthy = size - (rs.status?.availableReplicas ?? 0);
    if (unhealthy <= 0) continue;
    const n = Math.min(maxScaledDown - cleaned, unhealthy);
    const r = await scaleTo(s, rs, size - n);
    olds = replace(olds, r.rs);
    updated.push(r.rs);
    cleaned += n;
  }
  // Then scale down healthy ones while availability stays above minAvailable.
  let scaledDown = 0;
  const all = [...olds, newRS];
  const availableCount = sumStatus(all, 'availableReplicas');
  if (availableCount > minAvailable) {
    const total = availableCount - minAvailable;
    for (const rs of olds) {
      if (scaledDown >= total) break;
      const size = rs.spec?.replicas ?? 0;
      if (size === 0) continue;
      const n = Math.min(size, total - scaledDown);
      const r = await scaleTo(s, rs, size - n);
      updated.push(r.rs);
      scaledDown += n;
    }
  }
  return { scaled: cleaned + scaledDown > 0, updated };
}

export async function rolloutRecreate(s: DeploymentSync): Promise<void> {
  let { newRS, oldRSs } = await s.getAll(false);
  const active = activeRSs(oldRSs);
  let scaled = false;
  for (const rs of active) {
    const r = await scaleTo(s, rs, 0);
    oldRSs = replace(oldRSs, r.rs);
    if (r.scaled) scaled = true;
  }
  if (scaled) return s.syncRolloutStatus([...oldRSs, newRS], newRS);
  // Recreate means no old pod runs next to a new one: wait until they are all gone.
  if (oldPodsRunning(s, newRS, oldRSs)) return s.syncRolloutStatus([...oldRSs, newRS], newRS);
  if (!newRS) ({ newRS, oldRSs } = await s.getAll(true));
  if (newRS) newRS = (await scaleTo(s, newRS, replicasOf(s.d))).rs;
  if (deploymentComplete(s.d, calculateStatus([...oldRSs, newRS], newRS, s.d))) await cleanup(s, oldRSs);
  return s.syncRolloutStatus([...oldRSs, newRS], newRS);
}

function oldPodsRunning(s: DeploymentSync, newRS: KubeObject | undefined, oldRSs: KubeObject[]): boolean {
  if (sumStatus(oldRSs, 'replicas') > 0) return true;
  for (const rs of oldRSs) {
    if (newRS && rs.metadata.uid === newRS.metadata.uid) continue;
    for (const p of s.podsOf(rs)) {
      const phase = p.status?.phase;
      if (phase === 'Failed' || phase === 'Succeeded') continue;
      return true;
    }
  }
  return false;
}

/**
 * A change of spec.replicas alone (or while paused): the single active RS
 * takes it, or it is spread over the active RSs in proportion to their size.
 */
export async function scale(s: DeploymentSync, newRS: KubeObject | undefined, oldRSs: KubeObject[]): Promise<void> {
  const d = s.d;
  const one = findActiveOrLatest(newRS, oldRSs);
  if (one) {
    if ((one.spec?.replicas ?? 0) === replicasOf(d)) return;
    await s.scaleRS(one, replicasOf(d));
    return;
  }
  if (isSaturated(d, newRS)) {
    for (const rs of activeRSs(oldRSs)) await scaleTo(s, rs, 0);
    return;
  }
  if (!isRolling(d)) return;
  const all = activeRSs([...oldRSs, newRS]);
  const allowed = replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0;
  const toAdd = allowed - sumSpec(all);
  const newer = (a: KubeObject, b: KubeObject) => (parseTime(b.metadata.creationTimestamp) ?? 0) - (parseTime(a.metadata.creationTimestamp) ?? 0);
  const bySize = (a: KubeObject, b: KubeObject) => (b.spec?.replicas ?? 0) - (a.spec?.replicas ?? 0);
  if (toAdd > 0) all.sort((a, b) => bySize(a, b) || newer(a, b));
  else if (toAdd < 0) all.sort((a, b) => bySize(a, b) || newer(b, a));
  let added = 0;
  const sizes = new Map<string, number>();
  for (const rs of all) {
    const p = toAdd !== 0 ? proportion(d, rs, toAdd, added) : 0;
    sizes.set(rs.metadata.uid!, (rs.spec?.replicas ?? 0) + p);
    added += p;
  }
  // Whatever rounding left over goes to the largest RS.
  if (toAdd !== 0 && all.length) {
    const first = all[0].metadata.uid!;
    sizes.set(first, Math.max(0, sizes.get(first)! + toAdd - added));
  }
  for (const rs of all) await s.scaleRS(rs, sizes.get(rs.metadata.uid!)!);
}

/** Deletes the oldest old RSs with no replicas beyond spec.revisionHistoryLimit. */
export async function cleanup(s: DeploymentSync, oldRSs: KubeObject[]): Promise<void> {
  const limit = s.d.spec?.revisionHistoryLimit;
  if (limit === undefined || limit === null) return;
  const alive = oldRSs.filter((r) => !r.metadata.deletionTimestamp);
  const diff = alive.length - limit;
  if (diff <= 0) return;
  const sorted = [...alive].sort((a, b) => revisionOf(a) - revisionOf(b) || (parseTime(a.metadata.creationTimestamp) ?? 0) - (parseTime(b.metadata.creationTimestamp) ?? 0));
  for (const rs of sorted.slice(0, diff)) {
    if ((rs.status?.replicas ?? 0) !== 0 || (rs.spec?.replicas ?? 0) !== 0) continue;
    if ((rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
    await s.deleteRS(rs);
  }
}
