// The scheduler: places pods without a node on one, as kube-scheduler's
// default profile does (filters and LeastAllocated scoring in
// scheduling/filters.ts). Node usage is accounted in memory from the pod
// informer, so 10,000 pending pods are placed without listing anything again.
// Built as the controllers are (docs/controllers.md): the informers queue pod
// keys, and workers call sync(key) to schedule one pod.
import type { KubeObject } from '../api/types.js';
import type { Client } from '../client/types.js';
import { ApiError, refs } from '../client/types.js';
import { EventRecorder } from '../client/record/events.js';
import { keyOf, type InformerHandlers } from '../client/cache/informer.js';
import { InformerView, SharedInformers } from '../client/cache/shared.js';
import { Controller, type ControllerOptions } from '../client/controller.js';
import { ItemExponentialFailureRateLimiter } from '../client/workqueue/ratelimiter.js';
import type { ClockTimer } from '../util/clock.js';
import { VolumeBinder } from './scheduling/volumebinding.js';
import { defaultFilters, explainPreFilter, explainUnschedulable, filterNodes, newNodeInfo, scoreNode, type NodeFilter, type NodeInfo } from './scheduling/filters.js';
import { podRequests, type Resources } from '../api/resource.js';
import { formatRFC3339 } from '../api/duration.js';

export interface SchedulerOptions extends ControllerOptions {
  schedulerName?: string;
  /** Extra filters run after the default ones (e.g. the super node agent's). */
  filters?: NodeFilter[];
  /** Pods scheduled (so bindings in flight) at once: the workers. */
  concurrency?: number;
  /** The cluster's shared informers (else the scheduler gets its own). */
  informers?: SharedInformers;
  /** Run the VolumeBinding plugin (claims, volume topology, WaitForFirstConsumer: scheduling/volumebinding.ts). */
  volumeBinding?: boolean;
}

const terminal = (p: KubeObject) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** What about a node matters to scheduling: a change here retries unschedulable pods. */
function nodeFingerprint(n: KubeObject): string {
  const ready = (n.status?.conditions ?? []).find((c: any) => c?.type === 'Ready')?.status;
  return JSON.stringify([n.metadata.labels, n.spec?.taints, n.spec?.unschedulable, n.status?.allocatable, ready]);
}

/**
 * kube-scheduler's pod back-off: a pod whose binding failed waits 1 s, doubling
 * up to 10 s (podInitialBackoffSeconds, podMaxBackoffSeconds), not the
 * controllers' 5 ms.
 */
export const POD_BACKOFF = { initialMs: 1000, maxMs: 10_000 } as const;

/** How long unschedulable pods wait before they are tried again anyway, when nothing they depend on changed. */
const UNSCHEDULABLE_RETRY_MS = 30_000;
/** Changes that may make room come in bursts: unschedulable pods are tried again once per burst. */
const RETRY_BATCH_MS = 50;
/** Pods tried in a row before a worker lets I/O in: a burst of 10k unschedulable pods awaits nothing else. */
const YIELD_EVERY = 500;

/** The binding was refused: kube-scheduler tells the pod (FailedScheduling) and tries it again after its back-off. */
class BindingRejected extends Error {}

/**
 * Keys are pods ("namespace/name"); sync(key) schedules one pod: filters,
 * scores, assumes it on the chosen node (so the next pods see its usage),
 * and binds it. A pod no node fits is parked as unschedulable until a node or
 * a pod that may make room changes (or 30 s pass); a refused binding is retried
 * with kube-scheduler's back-off.
 */
export class Scheduler extends Controller {
  readonly schedulerName: string;
  private readonly filters: NodeFilter[];
  private readonly recorder: EventRecorder;
  private readonly shared: SharedInformers;
  private readonly nodes: InformerView;
  private readonly pods: InformerView;
  private readonly infos = new Map<string, NodeInfo>();
  /** Pods counted on a node: assigned (seen or assumed at bind), not terminal. */
  private readonly placed = new Map<string, { node: string; req: Resources }>();
  private readonly unschedulable = new Set<string>();
  /** Last message written per unschedulable pod: the same one is not rewritten, its event repeats every 5 minutes. */
  private readonly lastMessage = new Map<string, { message: string; at: number }>();
  private retryTimer?: ClockTimer;
  private periodic?: ClockTimer;
  private sinceYield = 0;
  private stopped = false;
  private readonly podHandlers: InformerHandlers<KubeObject>;
  private readonly volumes?: VolumeBinder;

  constructor(private client: Client, private opts: SchedulerOptions = {}) {
    super(opts.schedulerName ?? 'default-scheduler', { ...opts, rateLimiter: opts.rateLimiter ?? new ItemExponentialFailureRateLimiter(POD_BACKOFF.initialMs, POD_BACKOFF.maxMs) });
    this.schedulerName = opts.schedulerName ?? 'default-scheduler';
    this.filters = [...defaultFilters, ...(opts.filters ?? [])];
    this.recorder = new EventRecorder(client, { component: this.schedulerName }, undefined, this.clock);
    this.shared = opts.informers ?? new SharedInformers(client);
    this.nodes = new InformerView(this.shared.informer(refs.nodes));
    this.pods = new InformerView(this.shared.informer(refs.pods));
    if (opts.volumeBinding) this.volumes = new VolumeBinder(client, this.shared, () => this.retryUnschedulable());
    this.nodes.on({ add: (n) => this.onNode(n), update: (_o, n) => this.onNode(n), delete: (n) => { this.infos.delete(n.metadata.name!); } });
    this.podHandlers = {
      add: (p) => this.onPod(p),
      update: (o, n) => {
        // A pod waiting to be scheduled whose update touched only its status (the condition the scheduler wrote)
        // has nothing new to be scheduled on, as kube-scheduler's isPodUpdated says.
        if (!n.spec?.nodeName && statusOnly(o, n)) return;
        // A changed spec (say, an added toleration) deserves a fresh attempt.
        const key = keyOf(n);
        if (this.unschedulable.has(key) && JSON.stringify(o.spec) !== JSON.stringify(n.spec)) {
          this.unschedulable.delete(key);
          this.queue.add(key);
        }
        this.onPod(n);
      },
      delete: (p) => {
        const key = keyOf(p);
        this.unschedulable.delete(key);
        this.lastMessage.delete(key);
        if (this.placed.has(key)) { this.account(key, undefined); this.retryUnschedulable(); }
      },
    };
  }

  /** Current accounting of a node (for tests and diagnostics). */
  nodeInfo(name: string): NodeInfo | undefined {
    return this.infos.get(name);
  }

  /** Starts `workers` workers (default: opts.concurrency, 32) once the nodes are known. */
  async start(workers = this.opts.concurrency ?? 32): Promise<void> {
    // Nodes first, so the first pods are not judged against an empty cluster.
    await this.nodes.hasSynced();
    await this.volumes?.hasSynced();
    if (this.stopped) return;
    this.pods.on(this.podHandlers);
    // A safety net: unschedulable pods are tried again every 30 s even when nothing we watch changed.
    const every = () => {
      this.periodic = this.clock.setTimeout(() => { this.requeueUnschedulable(); every(); }, UNSCHEDULABLE_RETRY_MS);
    };
    every();
    this.runWorkers(workers);
  }

  private wantsScheduling(p: KubeObject): boolean {
    return !p.spec?.nodeName && !p.metadata.deletionTimestamp && !terminal(p) && (p.spec?.schedulerName ?? 'default-scheduler') === this.schedulerName;
  }

  private onPod(p: KubeObject): void {
    const key = keyOf(p);
    if (p.spec?.nodeName) {
      this.unschedulable.delete(key);
      this.lastMessage.delete(key);
      if (terminal(p)) {
        if (this.placed.has(key)) { this.account(key, undefined); this.retryUnschedulable(); }
      } else this.account(key, p.spec.nodeName, this.placed.get(key)?.req ?? podRequests(p));
    } else if (this.wantsScheduling(p) && !this.unschedulable.has(key) && this.queue.readyAt(key) === undefined) {
      // (A pod waiting out its back-off is not hurried by its own updates, such as the condition telling of the failure.)
      this.queue.add(key);
    }
  }

  private onNode(n: KubeObject): void {
    const name = n.metadata.name!;
    let info = this.infos.get(name);
    const before = info ? nodeFingerprint(info.node) : undefined;
    if (!info) {
      info = newNodeInfo(n);
      this.infos.set(name, info);
      // Pods seen before their node: count them now.
      for (const { node, req } of this.placed.values()) if (node === name) adjust(info, req, 1);
    } else info.node = n;
    if (before !== nodeFingerprint(n)) this.retryUnschedulable();
  }

  private account(key: string, node: string | undefined, req?: Resources): void {
    const cur = this.placed.get(key);
    if (cur && cur.node === node) return;
    if (cur) {
      const info = this.infos.get(cur.node);
      if (info) adjust(info, cur.req, -1);
      this.placed.delete(key);
    }
    if (node && req) {
      this.placed.set(key, { node, req });
      const info = this.infos.get(node);
      if (info) adjust(info, req, 1);
    }
  }

  /** Something freed up or changed: give unschedulable pods another go (once per burst of changes). */
  private retryUnschedulable(): void {
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = undefined;
      this.requeueUnschedulable();
    }, RETRY_BATCH_MS);
  }

  private requeueUnschedulable(): void {
    for (const k of [...this.unschedulable]) {
      this.unschedulable.delete(k);
      this.queue.add(k);
    }
  }

  async sync(key: string): Promise<void> {
    if (++this.sinceYield >= YIELD_EVERY) {
      this.sinceYield = 0;
      await new Promise((r) => setImmediate(r));
    }
    const [ns, name] = key.split('/');
    const pod = this.pods.get(ns, name);
    // Gone, bound, or assumed with its binding under way: nothing to do.
    if (!pod || !this.wantsScheduling(pod) || this.placed.has(key)) return;
    if ((pod.spec?.schedulingGates ?? []).length) {
      this.unschedulable.add(key);
      return this.setCondition(pod, 'SchedulingGated', 'Scheduling is blocked due to non-empty scheduling gates');
    }
    const volumes = this.volumes?.prepare(pod, this.clock);
    // VolumeBinding's Filter runs after the default plugins it follows in kube-scheduler, before any added ones.
    const filters = volumes?.filter ? [...defaultFilters, volumes.filter, ...(this.opts.filters ?? [])] : this.filters;
    const { feasible, failures, total } = volumes?.fail ? { feasible: [], failures: [], total: this.infos.size } : filterNodes(pod, this.infos.values(), filters);
    if (feasible.length === 0) {
      this.unschedulable.add(key);
      const message = volumes?.fail ? explainPreFilter(pod, total, volumes.fail) : explainUnschedulable(pod, total, failures);
      const last = this.lastMessage.get(key);
      const now = this.clock.now();
      if (last?.message !== message || now - last.at > 300_000) {
        this.lastMessage.set(key, { message, at: now });
        this.recorder.record(pod, 'Warning', 'FailedScheduling', message);
        if (last?.message !== message) await this.setCondition(pod, 'Unschedulable', message);
      }
      return;
    }
    const req = podRequests(pod);
    let best = feasible[0];
    let bestScore = -1;
    for (const info of feasible) {
      const s = scoreNode(info, req);
      // Ties go to the node with fewer pods, which spreads equal nodes evenly.
      if (s > bestScore || (s === bestScore && info.pods < best.pods)) { best = info; bestScore = s; }
    }
    const node = best.node.metadata.name!;
    this.account(key, node, req); // assume: later pods see this one's usage before the binding lands
    if (volumes?.bind) {
      // PreBind: the claims bound for this node (a volume found, or one provisioned in its zone) before the pod is.
      try {
        await volumes.bind(node);
      } catch (e) {
        if (this.placed.get(key)?.node === node) this.account(key, undefined);
        throw new BindingRejected(`running PreBind plugin "VolumeBinding": ${(e as Error).message}`);
      }
    }
    try {
      await this.client.createSubresource(refs.pods, ns, name, 'binding', {
        apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace: ns }, target: { apiVersion: 'v1', kind: 'Node', name: node },
      });
    } catch (e) {
      // Forget the assumption; the informer tells us where the pod really is (if anywhere).
      if (this.placed.get(key)?.node === node) this.account(key, undefined);
      const cur = this.pods.get(ns, name);
      if (cur?.spec?.nodeName) return this.onPod(cur);
      if ((e instanceof ApiError && e.code === 404) || !cur || !this.wantsScheduling(cur)) return;
      throw new BindingRejected(`binding rejected: running Bind plugin "DefaultBinder": ${(e as Error).message}`);
    }
    this.lastMessage.delete(key);
    this.recorder.record(pod, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${name} to ${node}`);
  }

  /** A refused binding is told on the pod as kube-scheduler tells it (FailedScheduling, PodScheduled=False SchedulerError), then retried. */
  protected override handleErr(key: string, err: unknown): void {
    // The back-off first: the pod's update by the condition below must find it waiting.
    super.handleErr(key, err);
    if (err instanceof BindingRejected) {
      const [ns, name] = key.split('/');
      const pod = this.pods.get(ns, name);
      if (pod) {
        this.recorder.record(pod, 'Warning', 'FailedScheduling', err.message);
        void this.setCondition(pod, 'SchedulerError', err.message).catch(() => undefined);
      }
    }
  }

  /** PodScheduled=False with `reason` (only when it changes); a conflict is retried on the fresh pod. */
  private async setCondition(pod: KubeObject, reason: string, message: string): Promise<void> {
    for (let attempt = 0; attempt < 3 && !this.stopped; attempt++) {
      try {
        const cur = attempt === 0 ? pod : await this.client.get(refs.pods, pod.metadata.namespace, pod.metadata.name!);
        if (cur.spec?.nodeName || cur.metadata.uid !== pod.metadata.uid) return;
        const conds: any[] = (cur.status?.conditions ?? []).filter((c: any) => c.type !== 'PodScheduled');
        const prev = (cur.status?.conditions ?? []).find((c: any) => c.type === 'PodScheduled');
        if (prev?.status === 'False' && prev.reason === reason && prev.message === message) return;
        conds.push({ type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: prev?.status === 'False' ? prev.lastTransitionTime : formatRFC3339(this.clock.now()), reason, message });
        await this.client.updateStatus(refs.pods, { ...cur, status: { ...(cur.status ?? {}), conditions: conds } });
        return;
      } catch (e) {
        if (e instanceof ApiError && e.code === 404) return; // the pod went meanwhile
        if (!(e instanceof ApiError && e.code === 409)) throw e;
      }
    }
  }

  override stop(): void {
    this.stopped = true;
    super.stop();
    this.periodic?.stop();
    this.retryTimer?.stop();
    this.nodes.close();
    this.pods.close();
    this.volumes?.close();
    this.recorder.stop();
    if (!this.opts.informers) this.shared.stop();
  }
}

/** Whether an update changed nothing but the status (and the bookkeeping every write changes). */
function statusOnly(o: KubeObject, n: KubeObject): boolean {
  const strip = ({ resourceVersion, managedFields, generation, ...rest }: KubeObject['metadata']) => rest;
  return JSON.stringify(o.spec) === JSON.stringify(n.spec) && JSON.stringify(strip(o.metadata)) === JSON.stringify(strip(n.metadata));
}

function adjust(info: NodeInfo, req: Resources, sign: 1 | -1): void {
  info.pods += sign;
  info.requested.milliCpu += sign * req.milliCpu;
  info.requested.memory += sign * req.memory;
  info.requested.ephemeralStorage += sign * req.ephemeralStorage;
  for (const [k, v] of Object.entries(req.scalar ?? {})) (info.requested.scalar ??= {})[k] = (info.requested.scalar[k] ?? 0) + sign * v;
}

/** Starts a scheduler on `client` (see Scheduler). */
export function startScheduler(client: Client, opts: SchedulerOptions = {}): Scheduler {
  const s = new Scheduler(client, opts);
  void s.start();
  return s;
}
