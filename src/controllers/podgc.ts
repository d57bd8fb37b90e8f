// Pod garbage collection, as kube-controller-manager's podgc controller
// (pkg/controller/podgc/gc_controller.go; docs/controllers-podgc.md): every
// 20 s it force-deletes
//  - terminated pods (Succeeded/Failed) beyond --terminated-pod-gc-threshold,
//    evicted ones first, then the oldest;
//  - orphaned pods: bound to a node that has been missing from the cache for
//    40 s (quarantine) and that the API confirms is gone; they are first marked
//    Failed with the DisruptionTarget condition (DeletionByPodGC), since no
//    kubelet is left to finish them;
//  - terminating pods never bound to a node;
//  - terminating pods on a NotReady node tainted node.kubernetes.io/out-of-service.
// Force-deleting (grace period 0) is what lets a pod of a removed super node
// go, and with it its address (the eklet frees the ENI of a pod deleted off a
// node it no longer runs: src/eklet.ts).
import type { KubeObject } from '../api/types.js';
import type { Client } from '../client/types.js';
import { ApiError, refs } from '../client/types.js';
import { InformerView, SharedInformers } from '../client/cache/shared.js';
import { Controller, type ControllerOptions } from '../client/controller.js';
import { formatRFC3339 } from '../api/duration.js';
import { readyCondition } from './scheduling/filters.js';

/** gcCheckPeriod: how often the whole pass runs. */
export const GC_CHECK_PERIOD_MS = 20_000;
/** quarantineTime: how long a node may be missing from the cache before the API is asked whether it is gone. */
export const QUARANTINE_MS = 40_000;
/** kube-controller-manager's --terminated-pod-gc-threshold default. */
export const DEFAULT_TERMINATED_POD_GC_THRESHOLD = 12_500;
const OUT_OF_SERVICE = 'node.kubernetes.io/out-of-service';
const KEY = 'podgc';

export interface PodGCOptions extends ControllerOptions {
  /** Terminated pods kept before the oldest are deleted (0: never deleted for their number). */
  terminatedPodThreshold?: number;
  /** The cluster's shared informers (else its own). */
  informers?: SharedInformers;
}

const isTerminated = (p: KubeObject) => { const ph = p.status?.phase; return ph !== 'Pending' && ph !== 'Running' && ph !== 'Unknown'; };
const isEvicted = (p: KubeObject) => p.status?.phase === 'Failed' && p.status?.reason === 'Evicted';
const nameOf = (p: KubeObject) => `${p.metadata.namespace}/${p.metadata.name}`;

/** byEvictionAndCreationTimestamp: evicted pods first, then the oldest, names breaking ties. */
function byEvictionAndCreation(a: KubeObject, b: KubeObject): number {
  const ea = isEvicted(a), eb = isEvicted(b);
  if (ea !== eb) return ea ? -1 : 1;
  const ta = Date.parse(a.metadata.creationTimestamp ?? ''), tb = Date.parse(b.metadata.creationTimestamp ?? '');
  if (ta !== tb && !Number.isNaN(ta) && !Number.isNaN(tb)) return ta - tb;
  const na = a.metadata.name ?? '', nb = b.metadata.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** One key ('podgc'): sync runs the whole pass, then comes back after the check period. */
export class PodGCController extends Controller {
  private readonly threshold: number;
  private readonly shared: SharedInformers;
  private readonly pods: InformerView;
  private readonly nodes: InformerView;
  /** Nodes pods are bound to that the cache does not have: when each was first missed (the quarantine queue). */
  private readonly missing = new Map<string, number>();

  constructor(private client: Client, private opts: PodGCOptions = {}) {
    super('pod-garbage-collector', opts);
    this.threshold = opts.terminatedPodThreshold ?? DEFAULT_TERMINATED_POD_GC_THRESHOLD;
    this.shared = opts.informers ?? new SharedInformers(client);
    this.pods = new InformerView(this.shared.informer(refs.pods));
    this.nodes = new InformerView(this.shared.informer(refs.nodes));
  }

  async start(workers = 1): Promise<void> {
    await Promise.all([this.pods.hasSynced(), this.nodes.hasSynced()]);
    if (this.queue.shuttingDown) return;
    this.queue.add(KEY);
    this.runWorkers(workers);
  }

  /** As the other workload controllers start (workloads.ts). */
  run(): Promise<void> {
    return this.start();
  }

  override stop(): void {
    super.stop();
    this.pods.close();
    this.nodes.close();
    if (!this.opts.informers) this.shared.stop();
  }

  async sync(): Promise<void> {
    try {
      await this.gc();
    } finally {
      this.queue.addAfter(KEY, GC_CHECK_PERIOD_MS);
    }
  }

  /** One pass (gc): each part's failures are logged and tried again next pass, as HandleError does. */
  async gc(): Promise<void> {
    const pods = this.pods.list();
    const nodes = this.nodes.list();
    if (this.threshold > 0) await this.gcTerminated(pods);
    await this.gcTerminating(pods);
    await this.gcOrphaned(pods, nodes);
    await this.gcUnscheduledTerminating(pods);
  }

  private async gcTerminated(pods: KubeObject[]): Promise<void> {
    const terminated = pods.filter(isTerminated);
    const n = terminated.length - this.threshold;
    if (n <= 0) return;
    this.log.info({ numPods: n }, 'Garbage collecting pods');
    terminated.sort(byEvictionAndCreation);
    await Promise.all(terminated.slice(0, n).map((p) => this.markFailedAndDelete(p)));
  }

  /** Terminating pods on a node taken out of service (NotReady and tainted out-of-service): nobody will finish them. */
  private async gcTerminating(pods: KubeObject[]): Promise<void> {
    const out = new Set<string>();
    for (const n of this.nodes.list()) {
      if (readyCondition(n) !== 'True' && (n.spec?.taints ?? []).some((t: any) => t.key === OUT_OF_SERVICE)) out.add(n.metadata.name!);
    }
    if (!out.size) return;
    const victims = pods.filter((p) => p.metadata.deletionTimestamp && out.has(p.spec?.nodeName));
    if (!victims.length) return;
    this.log.info({ numPods: victims.length }, 'Garbage collecting pods that are terminating on node tainted with node.kubernetes.io/out-of-service');
    await Promise.all(victims.map((p) => this.markFailedAndDelete(p)));
  }

  private async gcOrphaned(pods: KubeObject[], nodes: KubeObject[]): Promise<void> {
    const now = this.clock.now();
    const existing = new Set(nodes.map((n) => n.metadata.name!));
    for (const name of [...this.missing.keys()]) if (existing.has(name)) this.missing.delete(name);
    for (const p of pods) {
      const node = p.spec?.nodeName;
      if (node && !existing.has(node) && !this.missing.has(node)) this.missing.set(node, now);
    }
    // Missing for the whole quarantine: ask the API (the cache may only lag behind a new node).
    const deleted = new Set<string>();
    for (const [name, since] of [...this.missing]) {
      if (now - since < QUARANTINE_MS) continue;
      this.missing.delete(name);
      try {
        await this.client.get(refs.nodes, undefined, name);
      } catch (e) {
        if (e instanceof ApiError && e.code === 404) deleted.add(name);
        else this.log.error({ err: e, node: name }, 'Error while getting node');
      }
    }
    if (!deleted.size) return;
    await Promise.all(pods.filter((p) => deleted.has(p.spec?.nodeName)).map(async (p) => {
      this.log.info({ pod: nameOf(p), node: p.spec.nodeName }, 'Found orphaned Pod assigned to the Node, deleting');
      if (await this.markFailedAndDelete(p, { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' })) {
        this.log.info({ pod: nameOf(p) }, 'Forced deletion of orphaned Pod succeeded');
      }
    }));
  }

  private async gcUnscheduledTerminating(pods: KubeObject[]): Promise<void> {
    await Promise.all(pods.filter((p) => p.metadata.deletionTimestamp && !p.spec?.nodeName).map(async (p) => {
      this.log.info({ pod: nameOf(p) }, 'Found unscheduled terminating Pod not assigned to any Node, deleting');
      if (await this.markFailedAndDelete(p)) this.log.info({ pod: nameOf(p) }, 'Forced deletion of unscheduled terminating Pod succeeded');
    }));
  }

  /**
   * markFailedAndDeletePodWithCondition: a pod not yet finished is made Failed
   * first (with `condition`, as the PodGC field manager), since no kubelet may
   * be left to do it; then deleted with grace period 0. False if it failed (logged).
   */
  private async markFailedAndDelete(p: KubeObject, condition?: Record<string, string>): Promise<boolean> {
    this.log.info({ pod: nameOf(p) }, 'PodGC is force deleting Pod');
    try {
      if (p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed') {
        const status: any = { phase: 'Failed' };
        if (condition) status.conditions = [{ ...condition, lastTransitionTime: formatRFC3339(this.clock.now()) }];
        await this.client.patch(refs.pods, p.metadata.namespace, p.metadata.name!, 'strategic', { status }, { subresource: 'status', fieldManager: 'PodGC' });
      }
      await this.client.delete(refs.pods, p.metadata.namespace, p.metadata.name!, { gracePeriodSeconds: 0 });
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return true;
      this.log.error({ err: e, pod: nameOf(p) }, `failed to delete pod ${nameOf(p)}`);
      return false;
    }
  }
}

/** Starts the pod garbage collector of a cluster. */
export function startPodGC(client: Client, opts: PodGCOptions = {}): PodGCController {
  const c = new PodGCController(client, opts);
  void c.start();
  return c;
}
