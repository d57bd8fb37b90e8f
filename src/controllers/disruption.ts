// The disruption controller: the status of PodDisruptionBudgets (how many
// selected pods are healthy, how many must be, how many evictions are
// allowed) that the eviction subresource and `kubectl drain` rely on.
import type { KubeObject } from '../api/types.js';
import { refs } from '../client/types.js';
import { selectorFromLabelSelector } from '../api/selectors.js';
import { type Informer } from '../client/cache/informer.js';
import { WorkQueue } from '../client/workqueue/queue.js';
import { ControllerContext, ignoreStale, splitKey } from './util/context.js';
import { controllerOf, isPodReady, nowIso, parseTime } from './util/pods.js';
import { isPercent, scaledValue } from './util/intstr.js';
import { deepEqual } from './util/hash.js';
import { hasOwn } from '../util/own.js';

/** An eviction recorded in status.disruptedPods is trusted this long before the pod must be gone. */
const DELETION_TIMEOUT_MS = 2 * 60_000;

export class DisruptionController {
  private queue = new WorkQueue({ restAfterSlowSync: true, name: 'disruption-controller' });
  private pdbInf: Informer;
  private podInf: Informer;
  private rsInf: Informer;
  private dInf: Informer;
  private stsInf: Informer;

  constructor(private ctx: ControllerContext) {
    this.pdbInf = ctx.informer(refs.poddisruptionbudgets);
    this.podInf = ctx.informer(refs.pods);
    this.rsInf = ctx.informer(refs.replicasets);
    this.dInf = ctx.informer(refs.deployments);
    this.stsInf = ctx.informer(refs.statefulsets);
    this.pdbInf.on({ add: (p) => this.enqueue(p), update: (_o, p) => this.enqueue(p) });
    const onPod = (pod: KubeObject) => {
      for (const pdb of this.pdbInf.list(pod.metadata.namespace)) {
        try { if (selectorFromLabelSelector(pdb.spec?.selector).matches(pod.metadata.labels)) this.enqueue(pdb); } catch { /* invalid selector */ }
      }
    };
    this.podInf.on({ add: onPod, update: (_o, p) => onPod(p), delete: onPod });
    // A scale change of a controller changes expectedPods of percentage and maxUnavailable budgets.
    const onScale = (o: KubeObject) => { for (const pdb of this.pdbInf.list(o.metadata.namespace)) this.enqueue(pdb); };
    for (const inf of [this.rsInf, this.dInf, this.stsInf]) inf.on({ update: (a, b) => { if (a.spec?.replicas !== b.spec?.replicas) onScale(b); } });
  }

  async run(): Promise<void> {
    await Promise.all([this.pdbInf, this.podInf, this.rsInf, this.dInf, this.stsInf].map((i) => i.hasSynced()));
    this.queue.run((k) => this.sync(k), 2);
  }

  stop(): void { this.queue.stop(); }

  private enqueue(p: KubeObject) { this.queue.add(`${p.metadata.namespace}/${p.metadata.name}`); }

  /** The replicas of the workload that controls a pod: Deployment (through its RS), ReplicaSet or StatefulSet. */
  private scaleOf(pod: KubeObject): { uid: string; replicas: number } {
    const c = controllerOf(pod);
    if (!c) throw new Error(`found no controller ref for pod "${pod.metadata.name}"`);
    const ns = pod.metadata.namespace;
    if (c.kind === 'ReplicaSet') {
      const rs = this.rsInf.get(ns, c.name);
      if (!rs || rs.metadata.uid !== c.uid) throw new Error(`replicasets.apps "${c.name}" not found`);
      const dc = controllerOf(rs);
      if (dc?.kind === 'Deployment') {
        const d = this.dInf.get(ns, dc.name);
        if (d && d.metadata.uid === dc.uid) return { uid: d.metadata.uid!, replicas: d.spec?.replicas ?? 1 };
      }
      return { uid: rs.metadata.uid!, replicas: rs.spec?.replicas ?? 1 };
    }
    if (c.kind === 'StatefulSet') {
      const s = this.stsInf.get(ns, c.name);
      if (!s || s.metadata.uid !== c.uid) throw new Error(`statefulsets.apps "${c.name}" not found`);
      return { uid: s.metadata.uid!, replicas: s.spec?.replicas ?? 1 };
    }
    throw new Error(`${c.kind} "${c.name}" has no scale this controller can read`);
  }

  private async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const pdb = this.pdbInf.get(ns, name);
    if (!pdb || pdb.metadata.deletionTimestamp) return;
    const status: any = { ...(pdb.status ?? {}), observedGeneration: pdb.metadata.generation };
    const now = Date.now();
    let nextCheck: number | undefined;
    try {
      const sel = selectorFromLabelSelector(pdb.spec?.selector);
      const pods = this.podInf.list(ns ?? '').filter((p) => sel.matches(p.metadata.labels));
      const { minAvailable, maxUnavailable } = pdb.spec ?? {};
      let expected = 0;
      let desired = 0;
      const controllerScale = () => {
        const seen = new Map<string, number>();
        for (const p of pods) {
          const s = this.scaleOf(p);
          seen.set(s.uid, s.replicas);
        }
        return [...seen.values()].reduce((a, b) => a + b, 0);
      };
      if (maxUnavailable !== undefined && maxUnavailable !== null) {
        expected = controllerScale();
        desired = Math.max(0, expected - scaledValue(maxUnavailable, expected, true));
      } else if (minAvailable !== undefined && minAvailable !== null) {
        if (isPercent(minAvailable)) {
          expected = controllerScale();
          desired = scaledValue(minAvailable, expected, true);
        } else {
          expected = pods.length;
          desired = scaledValue(minAvailable, expected, true);
        }
      }
      // Evictions not yet visible as deletions still count as disruptions, for a while.
      const disrupted: Record<string, string> = {};
      for (const [pod, at] of Object.entries((pdb.status?.disruptedPods ?? {}) as Record<string, string>)) {
        const p = pods.find((x) => x.metadata.name === pod);
        const t = parseTime(at) ?? 0;
        if (!p || p.metadata.deletionTimestamp || t + DELETION_TIMEOUT_MS < now) continue;
        disrupted[pod] = at;
        nextCheck = Math.min(nextCheck ?? Infinity, t + DELETION_TIMEOUT_MS - now);
      }
      const healthy = pods.filter((p) => !p.metadata.deletionTimestamp && isPodReady(p) && !hasOwn(disrupted, p.metadata.name!)).length; // a pod may be called "constructor"
      const allowed = Math.max(0, healthy - desired);
      Object.assign(status, { currentHealthy: healthy, desiredHealthy: desired, expectedPods: expected, disruptionsAllowed: allowed });
      if (Object.keys(disrupted).length) status.disruptedPods = disrupted;
      else delete status.disruptedPods;
      setPdbCondition(status, allowed > 0 ? 'True' : 'False', allowed > 0 ? 'SufficientPods' : 'InsufficientPods', '', pdb.metadata.generation);
    } catch (e) {
      // As Kubernetes' failSafe: no disruption is allowed while the budget cannot be computed.
      Object.assign(status, { disruptionsAllowed: 0 });
      setPdbCondition(status, 'False', 'SyncFailed', (e as Error).message, pdb.metadata.generation);
      nextCheck = 5000;
    }
    if (!deepEqual(status, pdb.status ?? {})) await ignoreStale(this.ctx.client.updateStatus(refs.poddisruptionbudgets, { ...pdb, status }));
    if (nextCheck !== undefined) this.queue.addAfter(key, nextCheck + 50);
  }
}

function setPdbCondition(status: any, s: string, reason: string, message: string, generation?: number): void {
  const cur = (status.conditions ?? []).find((c: any) => c.type === 'DisruptionAllowed');
  if (cur && cur.status === s && cur.reason === reason && cur.message === message && cur.observedGeneration === generation) return;
  const c = {
    type: 'DisruptionAllowed', status: s, reason, message, observedGeneration: generation,
    lastTransitionTime: cur && cur.status === s ? cur.lastTransitionTime : nowIso(),
  };
  status.conditions = [...(status.conditions ?? []).filter((x: any) => x.type !== 'DisruptionAllowed'), c];
}
