// Node lifecycle: watches node heartbeats (Leases in kube-node-lease), marks a
// node whose agent went quiet Ready=Unknown and taints it unreachable, keeps
// the not-ready / unreachable taints in line with the Ready condition, and
// evicts pods from NoExecute-tainted nodes once their toleration runs out
// (the taint manager), as kube-controller-manager does.
import type { KubeObject } from '../api/types.js';
import type { Client } from '../client/types.js';
import { ApiError, refs } from '../client/types.js';
import { EventRecorder } from '../client/record/events.js';
import { InformerView, SharedInformers } from '../client/cache/shared.js';
import { podTolerates, tolerates, type Taint, type Toleration } from '../api/toleration.js';
import { readyCondition } from './scheduling/filters.js';
import { formatRFC3339 } from '../api/duration.js';

export interface NodeLifecycleOptions {
  /** How long a node may go without renewing its lease before it is Unknown (default 40s). */
  gracePeriodMs?: number;
  /** How often nodes are checked (default 5s). */
  monitorPeriodMs?: number;
  /** The cluster's shared informers (else its own). */
  informers?: SharedInformers;
}

export interface NodeLifecycle {
  stop(): void;
}

const NOT_READY = 'node.kubernetes.io/not-ready';
const UNREACHABLE = 'node.kubernetes.io/unreachable';
const terminal = (p: KubeObject) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** The taints a Ready status implies (TaintNodesByCondition + the NoExecute ones of the taint manager). */
function wantedConditionTaints(ready: string): Taint[] {
  if (ready === 'True') return [];
  const key = ready === 'False' ? NOT_READY : UNREACHABLE;
  return [{ key, effect: 'NoSchedule' }, { key, effect: 'NoExecute' }];
}

export function startNodeLifecycle(client: Client, opts: NodeLifecycleOptions = {}): NodeLifecycle {
  const grace = opts.gracePeriodMs ?? 40_000;
  const period = opts.monitorPeriodMs ?? 5_000;
  const shared = opts.informers ?? new SharedInformers(client);
  const nodes = new InformerView(shared.informer(refs.nodes));
  const leases = new InformerView(shared.informer(refs.leases, { namespace: 'kube-node-lease' }));
  const pods = new InformerView(shared.informer(refs.pods));
  pods.inner.addIndex('node', (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []));
  const recorder = new EventRecorder(client, { component: 'node-controller' });
  const evictor = new EventRecorder(client, { component: 'taint-eviction-controller' });
  /** Local time we last saw each node's lease change (local clock, as the real controller, to ignore skew). */
  const lastSeen = new Map<string, { renew: string | undefined; at: number }>();
  /** First time we saw each NoExecute taint without timeAdded. */
  const taintSeen = new Map<string, number>();
  const evicting = new Set<string>();
  let stopped = false;
  let busy = false;

  const observe = (nodeName: string, renew: string | undefined) => {
    const cur = lastSeen.get(nodeName);
    if (!cur || cur.renew !== renew) lastSeen.set(nodeName, { renew, at: Date.now() });
  };
  leases.on({
    add: (l) => observe(l.metadata.name!, l.spec?.renewTime),
    update: (_o, l) => observe(l.metadata.name!, l.spec?.renewTime),
  });
  nodes.on({ add: (n) => { if (!lastSeen.has(n.metadata.name!)) lastSeen.set(n.metadata.name!, { renew: undefined, at: Date.now() }); },
    delete: (n) => lastSeen.delete(n.metadata.name!) });

  async function markUnknown(node: KubeObject) {
    const now = formatRFC3339();
    const conds: any[] = node.status?.conditions ?? [];
    const types = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];
    const next = conds.map((c) => (types.includes(c.type) && c.status !== 'Unknown'
      ? { ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: now }
      : c));
    if (!next.some((c) => c.type === 'Ready')) {
      next.push({ type: 'Ready', status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.', lastHeartbeatTime: now, lastTransitionTime: now });
    }
    await client.updateStatus(refs.nodes, { ...node, status: { ...(node.status ?? {}), conditions: next } });
    recorder.record(node, 'Normal', 'NodeNotReady', `Node ${node.metadata.name} status is now: NodeNotReady`);
    // Pods on an unreachable node are no longer Ready.
    for (const p of pods.byIndex('node', node.metadata.name!)) {
      if (terminal(p)) continue;
      const pc: any[] = p.status?.conditions ?? [];
      if (!pc.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
      const conditions = pc.map((c) => (c.type === 'Ready' || c.type === 'ContainersReady' ? { ...c, status: 'False', lastTransitionTime: now } : c));
      await client.updateStatus(refs.pods, { ...p, status: { ...p.status, conditions } }).catch(() => undefined);
    }
  }

  /** Makes the node's condition taints match its Ready status; stamps timeAdded on NoExecute ones. */
  async function syncTaints(node: KubeObject) {
    const wanted = wantedConditionTaints(readyCondition(node));
    const taints: any[] = node.spec?.taints ?? [];
    const isCond = (t: any) => t.key === NOT_READY || t.key === UNREACHABLE;
    const keep = taints.filter((t) => !isCond(t) || wanted.some((w) => w.key === t.key && w.effect === t.effect));
    const add = wanted.filter((w) => !taints.some((t) => t.key === w.key && t.effect === w.effect));
    if (add.length === 0 && keep.length === taints.length) return;
    const now = formatRFC3339();
    const next = [...keep, ...add.map((t) => (t.effect === 'NoExecute' ? { ...t, timeAdded: now } : t))];
    const fresh = await client.get(refs.nodes, undefined, node.metadata.name!);
    await client.update(refs.nodes, { ...fresh, spec: { ...(fresh.spec ?? {}), taints: next.length ? next : undefined } });
  }

  /** The taint manager: evict pods that do not tolerate a NoExecute taint (now, or when their tolerationSeconds end). */
  function evictions(node: KubeObject, now: number) {
    const noExec: Taint[] = (node.spec?.taints ?? []).filter((t: any) => t.effect === 'NoExecute');
    if (!noExec.length) return;
    for (const p of pods.byIndex('node', node.metadata.name!)) {
      if (p.metadata.deletionTimestamp || terminal(p)) continue;
      const tols: Toleration[] = p.spec?.tolerations ?? [];
      let deadline = Infinity;
      for (const taint of noExec) {
        if (!podTolerates(p, taint)) { deadline = 0; break; }
        const secs = tols.filter((t) => tolerates(t, taint)).map((t) => t.tolerationSeconds).filter((s): s is number => typeof s === 'number');
        if (!secs.length) continue; // tolerated forever
        const tk = `${node.metadata.name}|${taint.key}|${taint.value ?? ''}`;
        const added = (taint as any).timeAdded ? Date.parse((taint as any).timeAdded) : (taintSeen.get(tk) ?? taintSeen.set(tk, now).get(tk)!);
        deadline = Math.min(deadline, added + Math.max(0, Math.min(...secs)) * 1000);
      }
      if (deadline > now) continue;
      const key = `${p.metadata.namespace}/${p.metadata.name}`;
      if (evicting.has(key)) continue;
      evicting.add(key);
      evictor.record(p, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key}`);
      void client.delete(refs.pods, p.metadata.namespace, p.metadata.name!, { preconditions: { uid: p.metadata.uid } })
        .catch(() => undefined).finally(() => evicting.delete(key));
    }
  }

  async function tick() {
    if (busy || stopped) return;
    busy = true;
    try {
      const now = Date.now();
      for (const node of nodes.list()) {
        const name = node.metadata.name!;
        try {
          const seen = lastSeen.get(name) ?? { renew: undefined, at: now };
          if (now - seen.at > grace && readyCondition(node) !== 'Unknown') {
            await markUnknown(node);
            continue; // the taints follow on the next tick, from the updated node
          }
          await syncTaints(node);
          evictions(node, now);
        } catch (e) {
          if (!(e instanceof ApiError && (e.code === 409 || e.code === 404))) console.error(`node lifecycle: ${name}: ${(e as Error).message}`);
        }
      }
    } finally {
      busy = false;
    }
  }

  const timer = setInterval(() => void tick(), period);
  timer.unref();
  void Promise.all([nodes.hasSynced(), leases.hasSynced(), pods.hasSynced()]).then(() => void tick());

  return {
    stop() {
      stopped = true;
      clearInterval(timer);
      for (const v of [nodes, leases, pods]) v.close();
      if (!opts.informers) shared.stop();
    },
  };
}
