// Node lifecycle: watches node heartbeats (Leases in kube-node-lease), marks a
// node whose agent went quiet Ready=Unknown and taints it unreachable, keeps
// the not-ready / unreachable taints in line with the Ready condition, and
// evicts pods from NoExecute-tainted nodes once their toleration runs out
// (the taint manager), as kube-controller-manager does. A controller as
// docs/controllers.md describes, keyed by node name.
import type { KubeObject } from '../api/types.js';
import type { Client } from '../client/types.js';
import { ApiError, refs } from '../client/types.js';
import { EventRecorder } from '../client/record/events.js';
import { InformerView, SharedInformers } from '../client/cache/shared.js';
import { Controller, type ControllerOptions } from '../client/controller.js';
import type { ClockTimer } from '../util/clock.js';
import { podTolerates, tolerates, type Taint, type Toleration } from '../api/toleration.js';
import { readyCondition } from './scheduling/filters.js';
import { formatRFC3339 } from '../api/duration.js';

export interface NodeLifecycleOptions extends ControllerOptions {
  /** How long a node may go without renewing its lease before it is Unknown (default 40s). */
  gracePeriodMs?: number;
  /** How often every node is looked at anyway (default 5s). */
  monitorPeriodMs?: number;
  /** The cluster's shared informers (else its own). */
  informers?: SharedInformers;
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

const hasNoExecute = (n: KubeObject | undefined) => (n?.spec?.taints ?? []).some((t: any) => t.effect === 'NoExecute');

/**
 * Keys are node names. sync(name) marks the node Unknown once its lease is
 * older than the grace period, keeps its condition taints in line with Ready,
 * and evicts the pods a NoExecute taint no longer lets stay; it queues the
 * node again for the moment its lease runs out or a toleration ends.
 */
export class NodeLifecycleController extends Controller {
  private readonly grace: number;
  private readonly period: number;
  private readonly shared: SharedInformers;
  private readonly nodes: InformerView;
  private readonly leases: InformerView;
  private readonly pods: InformerView;
  private readonly recorder: EventRecorder;
  private readonly evictor: EventRecorder;
  /** Local time we last saw each node's lease change (local clock, as the real controller, to ignore skew). */
  private readonly lastSeen = new Map<string, { renew: string | undefined; at: number }>();
  /** First time we saw each NoExecute taint without timeAdded. */
  private readonly taintSeen = new Map<string, number>();
  private monitor?: ClockTimer;

  constructor(private client: Client, private opts: NodeLifecycleOptions = {}) {
    super('node-lifecycle-controller', opts);
    this.grace = opts.gracePeriodMs ?? 40_000;
    this.period = opts.monitorPeriodMs ?? 5_000;
    this.shared = opts.informers ?? new SharedInformers(client);
    this.nodes = new InformerView(this.shared.informer(refs.nodes));
    this.leases = new InformerView(this.shared.informer(refs.leases, { namespace: 'kube-node-lease' }));
    this.pods = new InformerView(this.shared.informer(refs.pods));
    this.pods.inner.addIndex('node', (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []));
    this.recorder = new EventRecorder(client, { component: 'node-controller' }, undefined, this.clock);
    this.evictor = new EventRecorder(client, { component: 'taint-eviction-controller' }, undefined, this.clock);
    const observe = (l: KubeObject) => {
      const name = l.metadata.name!;
      const cur = this.lastSeen.get(name);
      if (!cur || cur.renew !== l.spec?.renewTime) this.lastSeen.set(name, { renew: l.spec?.renewTime, at: this.clock.now() });
    };
    this.leases.on({ add: observe, update: (_o, l) => observe(l) });
    this.nodes.on({
      add: (n) => this.queue.add(n.metadata.name!),
      update: (o, n) => {
        // A node status whose Ready heartbeat moved is a sign of life too, as for kube's tryUpdateNodeHealth
        // (a kubelet without Leases, kwok's node-heartbeat Stage: docs/stages.md).
        const beat = (x: KubeObject) => (x.status?.conditions ?? []).find((c: any) => c?.type === 'Ready')?.lastHeartbeatTime;
        const name = n.metadata.name!;
        // (Unknown is this controller's own write, not the node's.)
        if (beat(n) && beat(n) !== beat(o) && readyCondition(n) !== 'Unknown') this.lastSeen.set(name, { renew: this.lastSeen.get(name)?.renew, at: this.clock.now() });
        this.queue.add(name);
      },
      delete: (n) => this.lastSeen.delete(n.metadata.name!),
    });
    // A pod landing on (or changing on) a NoExecute-tainted node may have to go.
    const onPod = (p: KubeObject) => {
      const node = p.spec?.nodeName;
      if (node && hasNoExecute(this.nodes.get(undefined, node))) this.queue.add(node);
    };
    this.pods.on({ add: onPod, update: (_o, p) => onPod(p) });
  }

  /** Once the caches are filled: looks at every node every monitor period, and works the queue. */
  async start(workers = 1): Promise<void> {
    await Promise.all([this.nodes.hasSynced(), this.leases.hasSynced(), this.pods.hasSynced()]);
    if (this.queue.shuttingDown) return;
    const every = () => {
      for (const n of this.nodes.list()) this.queue.add(n.metadata.name!);
      this.monitor = this.clock.setTimeout(every, this.period);
    };
    every();
    this.runWorkers(workers);
  }

  async sync(name: string): Promise<void> {
    const node = this.nodes.get(undefined, name);
    if (!node) return void this.lastSeen.delete(name);
    const now = this.clock.now();
    let seen = this.lastSeen.get(name);
    if (!seen) this.lastSeen.set(name, (seen = { renew: undefined, at: now }));
    const ready = readyCondition(node);
    if (ready !== 'Unknown') {
      if (now - seen.at > this.grace) {
        await this.markUnknown(node, now);
        return; // the taints follow from the updated node, which queues it again
      }
      // Looked at again the moment its lease runs out (a renewal meanwhile moves that on; the early look waits again).
      this.queue.addAfter(name, seen.at + this.grace + 1 - now);
    } else await this.markPodsNotReady(node, now);
    await this.syncTaints(node, now);
    const next = await this.evictions(this.nodes.get(undefined, name) ?? node, now);
    if (next !== undefined) this.queue.addAfter(name, next - now);
  }

  private async markUnknown(node: KubeObject, at: number): Promise<void> {
    const now = formatRFC3339(at);
    const conds: any[] = node.status?.conditions ?? [];
    const types = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];
    const next = conds.map((c) => (types.includes(c.type) && c.status !== 'Unknown'
      ? { ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: now }
      : c));
    if (!next.some((c) => c.type === 'Ready')) {
      next.push({ type: 'Ready', status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.', lastHeartbeatTime: now, lastTransitionTime: now });
    }
    await this.client.updateStatus(refs.nodes, { ...node, status: { ...(node.status ?? {}), conditions: next } });
    this.recorder.record(node, 'Normal', 'NodeNotReady', `Node ${node.metadata.name} status is now: NodeNotReady`);
  }

  /** Pods on an unreachable node are no longer Ready. */
  private async markPodsNotReady(node: KubeObject, at: number): Promise<void> {
    const now = formatRFC3339(at);
    for (const p of this.pods.byIndex('node', node.metadata.name!)) {
      if (terminal(p)) continue;
      const pc: any[] = p.status?.conditions ?? [];
      if (!pc.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
      const conditions = pc.map((c) => (c.type === 'Ready' || c.type === 'ContainersReady' ? { ...c, status: 'False', lastTransitionTime: now } : c));
      try {
        await this.client.updateStatus(refs.pods, { ...p, status: { ...p.status, conditions } });
      } catch (e) {
        // Gone, or changed meanwhile (its update queues nothing here: the next look at the node sees it).
        if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) throw e;
      }
    }
  }

  /** Makes the node's condition taints match its Ready status; stamps timeAdded on NoExecute ones. */
  private async syncTaints(node: KubeObject, at: number): Promise<void> {
    const wanted = wantedConditionTaints(readyCondition(node));
    const taints: any[] = node.spec?.taints ?? [];
    const isCond = (t: any) => t.key === NOT_READY || t.key === UNREACHABLE;
    const keep = taints.filter((t) => !isCond(t) || wanted.some((w) => w.key === t.key && w.effect === t.effect));
    const add = wanted.filter((w) => !taints.some((t) => t.key === w.key && t.effect === w.effect));
    if (add.length === 0 && keep.length === taints.length) return;
    const now = formatRFC3339(at);
    const next = [...keep, ...add.map((t) => (t.effect === 'NoExecute' ? { ...t, timeAdded: now } : t))];
    const fresh = await this.client.get(refs.nodes, undefined, node.metadata.name!);
    await this.client.update(refs.nodes, { ...fresh, spec: { ...(fresh.spec ?? {}), taints: next.length ? next : undefined } });
  }

  /**
   * The taint manager: evicts pods that do not tolerate a NoExecute taint (now,
   * or when their tolerationSeconds end). Returns when the next one is due.
   */
  private async evictions(node: KubeObject, now: number): Promise<number | undefined> {
    const noExec: Taint[] = (node.spec?.taints ?? []).filter((t: any) => t.effect === 'NoExecute');
    if (!noExec.length) return undefined;
    let nextDue: number | undefined;
    const failed: string[] = [];
    for (const p of this.pods.byIndex('node', node.metadata.name!)) {
      if (p.metadata.deletionTimestamp || terminal(p)) continue;
      const tols: Toleration[] = p.spec?.tolerations ?? [];
      let deadline = Infinity;
      for (const taint of noExec) {
        if (!podTolerates(p, taint)) { deadline = 0; break; }
        const secs = tols.filter((t) => tolerates(t, taint)).map((t) => t.tolerationSeconds).filter((s): s is number => typeof s === 'number');
        if (!secs.length) continue; // tolerated forever
        const tk = `${node.metadata.name}|${taint.key}|${taint.value ?? ''}`;
        const added = (taint as any).timeAdded ? Date.parse((taint as any).timeAdded) : (this.taintSeen.get(tk) ?? this.taintSeen.set(tk, now).get(tk)!);
        deadline = Math.min(deadline, added + Math.max(0, Math.min(...secs)) * 1000);
      }
      if (deadline > now) {
        if (deadline !== Infinity) nextDue = Math.min(nextDue ?? Infinity, deadline);
        continue;
      }
      const key = `${p.metadata.namespace}/${p.metadata.name}`;
      this.evictor.record(p, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key}`);
      try {
        await this.client.delete(refs.pods, p.metadata.namespace, p.metadata.name!, { preconditions: { uid: p.metadata.uid } });
      } catch (e) {
        // Gone already, or a new pod of that name (the uid precondition): nothing of ours to delete.
        if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) failed.push(`${key}: ${(e as Error).message}`);
      }
    }
    if (failed.length) throw new Error(`evicting pods from ${node.metadata.name}: ${failed.join('; ')}`);
    return nextDue;
  }

  override stop(): void {
    super.stop();
    this.monitor?.stop();
    for (const v of [this.nodes, this.leases, this.pods]) v.close();
    this.recorder.stop();
    this.evictor.stop();
    if (!this.opts.informers) this.shared.stop();
  }
}

export interface NodeLifecycle {
  stop(): void;
}

/** Starts the node lifecycle controller on `client` (see NodeLifecycleController). */
export function startNodeLifecycle(client: Client, opts: NodeLifecycleOptions = {}): NodeLifecycle {
  const c = new NodeLifecycleController(client, opts);
  void c.start();
  return c;
}
