// The scheduler: places pods without a node on one, as kube-scheduler's
// default profile does (filters and LeastAllocated scoring in
// scheduling/filters.ts). Node usage is accounted in memory from the pod
// informer, so 10,000 pending pods are placed without listing anything again.
import type { KubeObject } from '../api/types.js';
import type { Client } from '../client/types.js';
import { ApiError, refs } from '../client/types.js';
import { EventRecorder } from '../client/record/events.js';
import { keyOf, type InformerHandlers } from '../client/cache/informer.js';
import { InformerView, SharedInformers } from '../client/cache/shared.js';
import { defaultFilters, explainUnschedulable, filterNodes, newNodeInfo, scoreNode, type NodeFilter, type NodeInfo } from './scheduling/filters.js';
import { podRequests, type Resources } from '../api/resource.js';
import { formatRFC3339 } from '../api/duration.js';

export interface SchedulerOptions {
  schedulerName?: string;
  /** Extra filters run after the default ones (e.g. the super node agent's). */
  filters?: NodeFilter[];
  /** Binding calls in flight at once. */
  concurrency?: number;
  /** The cluster's shared informers (else the scheduler gets its own). */
  informers?: SharedInformers;
}

export interface Scheduler {
  stop(): void;
  /** Current accounting of a node (for tests and diagnostics). */
  nodeInfo(name: string): NodeInfo | undefined;
}

const terminal = (p: KubeObject) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** What about a node matters to scheduling: a change here retries unschedulable pods. */
function nodeFingerprint(n: KubeObject): string {
  const ready = (n.status?.conditions ?? []).find((c: any) => c?.type === 'Ready')?.status;
  return JSON.stringify([n.metadata.labels, n.spec?.taints, n.spec?.unschedulable, n.status?.allocatable, ready]);
}

export function startScheduler(client: Client, opts: SchedulerOptions = {}): Scheduler {
  const schedulerName = opts.schedulerName ?? 'default-scheduler';
  const filters = [...defaultFilters, ...(opts.filters ?? [])];
  const concurrency = opts.concurrency ?? 32;
  const recorder = new EventRecorder(client, { component: schedulerName });
  const shared = opts.informers ?? new SharedInformers(client);
  const nodes = new InformerView(shared.informer(refs.nodes));
  const pods = new InformerView(shared.informer(refs.pods));
  const infos = new Map<string, NodeInfo>();
  /** Pods counted on a node: assigned (seen or assumed at bind), not terminal. */
  const placed = new Map<string, { node: string; req: Resources }>();
  const active: string[] = [];
  const activeSet = new Set<string>();
  const unschedulable = new Set<string>();
  /** Last message written per unschedulable pod: the same one is not rewritten, its event repeats every 5 minutes. */
  const lastMessage = new Map<string, { message: string; at: number }>();
  let inflight = 0;
  let stopped = false;
  let pumping = false;

  const enqueue = (key: string) => {
    if (activeSet.has(key)) return;
    unschedulable.delete(key);
    activeSet.add(key);
    active.push(key);
    schedulePump();
  };
  let retryTimer: NodeJS.Timeout | undefined;
  /** Something freed up or changed: give unschedulable pods another go (batched). */
  const retryUnschedulable = () => {
    if (retryTimer || stopped) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      for (const k of [...unschedulable]) enqueue(k);
    }, 50);
  };

  const account = (key: string, node: string | undefined, req?: Resources) => {
    const cur = placed.get(key);
    if (cur && cur.node === node) return;
    if (cur) {
      const info = infos.get(cur.node);
      if (info) adjust(info, cur.req, -1);
      placed.delete(key);
    }
    if (node && req) {
      placed.set(key, { node, req });
      const info = infos.get(node);
      if (info) adjust(info, req, 1);
    }
  };
  const adjust = (info: NodeInfo, req: Resources, sign: 1 | -1) => {
    info.pods += sign;
    info.requested.milliCpu += sign * req.milliCpu;
    info.requested.memory += sign * req.memory;
    info.requested.ephemeralStorage += sign * req.ephemeralStorage;
    for (const [k, v] of Object.entries(req.scalar ?? {})) (info.requested.scalar ??= {})[k] = (info.requested.scalar[k] ?? 0) + sign * v;
  };

  const wantsScheduling = (p: KubeObject) => !p.spec?.nodeName && !p.metadata.deletionTimestamp && !terminal(p) && (p.spec?.schedulerName ?? 'default-scheduler') === schedulerName;

  const onPod = (p: KubeObject) => {
    const key = keyOf(p);
    if (p.spec?.nodeName) {
      activeSet.delete(key);
      unschedulable.delete(key);
      lastMessage.delete(key);
      if (terminal(p)) {
        if (placed.has(key)) { account(key, undefined); retryUnschedulable(); }
      } else account(key, p.spec.nodeName, placed.get(key)?.req ?? podRequests(p));
    } else if (wantsScheduling(p)) {
      if (!unschedulable.has(key)) enqueue(key);
    }
  };
  const podHandlers: InformerHandlers<KubeObject> = {
    add: onPod,
    update: (o, n) => {
      // A changed spec (say, an added toleration) deserves a fresh attempt.
      const key = keyOf(n);
      if (unschedulable.has(key) && JSON.stringify(o.spec) !== JSON.stringify(n.spec)) enqueue(key);
      onPod(n);
    },
    delete: (p) => {
      const key = keyOf(p);
      activeSet.delete(key);
      unschedulable.delete(key);
      lastMessage.delete(key);
      if (placed.has(key)) { account(key, undefined); retryUnschedulable(); }
    },
  };

  const onNode = (n: KubeObject) => {
    const name = n.metadata.name!;
    let info = infos.get(name);
    const before = info ? nodeFingerprint(info.node) : undefined;
    if (!info) {
      info = newNodeInfo(n);
      infos.set(name, info);
      // Pods seen before their node: count them now.
      for (const { node, req } of placed.values()) if (node === name) adjust(info, req, 1);
    } else info.node = n;
    if (before !== nodeFingerprint(n)) retryUnschedulable();
  };
  nodes.on({ add: onNode, update: (_o, n) => onNode(n), delete: (n) => { infos.delete(n.metadata.name!); } });

  let pumpScheduled = false;
  function schedulePump() {
    if (pumpScheduled || stopped) return;
    pumpScheduled = true;
    setImmediate(() => { pumpScheduled = false; pump(); });
  }

  /** Takes pods off the active queue while binding slots are free; yields to I/O every batch. */
  function pump() {
    if (pumping || stopped) return;
    pumping = true;
    try {
      let batch = 0;
      while (active.length && inflight < concurrency && batch < 500) {
        const key = active.shift()!;
        activeSet.delete(key);
        const [ns, name] = key.split('/');
        const pod = pods.get(ns, name);
        if (!pod || !wantsScheduling(pod)) continue;
        batch++;
        scheduleOne(pod);
      }
      if (active.length && inflight < concurrency) schedulePump();
    } finally {
      pumping = false;
    }
  }

  function scheduleOne(pod: KubeObject) {
    const key = keyOf(pod);
    if ((pod.spec?.schedulingGates ?? []).length) {
      unschedulable.add(key);
      void setCondition(pod, 'SchedulingGated', 'Scheduling is blocked due to non-empty scheduling gates');
      return;
    }
    const { feasible, failures, total } = filterNodes(pod, infos.values(), filters);
    if (feasible.length === 0) {
      unschedulable.add(key);
      const message = explainUnschedulable(pod, total, failures);
      const last = lastMessage.get(key);
      if (last?.message !== message || Date.now() - last.at > 300_000) {
        lastMessage.set(key, { message, at: Date.now() });
        recorder.record(pod, 'Warning', 'FailedScheduling', message);
        if (last?.message !== message) void setCondition(pod, 'Unschedulable', message);
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
    account(key, node, req); // assume: later pods see this one's usage before the binding lands
    inflight++;
    void bind(pod, node).finally(() => { inflight--; schedulePump(); });
  }

  async function bind(pod: KubeObject, node: string) {
    const { namespace, name } = pod.metadata;
    const key = keyOf(pod);
    try {
      await client.createSubresource(refs.pods, namespace, name!, 'binding', {
        apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace }, target: { apiVersion: 'v1', kind: 'Node', name: node },
      });
      lastMessage.delete(key);
      recorder.record(pod, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${node}`);
    } catch (e) {
      // Forget the assumption; the informer tells us where the pod really is (if anywhere).
      if (placed.get(key)?.node === node) account(key, undefined);
      const cur = pods.get(namespace, name!);
      if (cur?.spec?.nodeName) onPod(cur);
      else if (!(e instanceof ApiError && e.code === 404) && cur && wantsScheduling(cur)) setTimeout(() => enqueue(key), 1000);
    }
  }

  async function setCondition(pod: KubeObject, reason: string, message: string) {
    for (let attempt = 0; attempt < 3 && !stopped; attempt++) {
      try {
        const cur = attempt === 0 ? pod : await client.get(refs.pods, pod.metadata.namespace, pod.metadata.name!);
        if (cur.spec?.nodeName || cur.metadata.uid !== pod.metadata.uid) return;
        const conds: any[] = (cur.status?.conditions ?? []).filter((c: any) => c.type !== 'PodScheduled');
        const prev = (cur.status?.conditions ?? []).find((c: any) => c.type === 'PodScheduled');
        if (prev?.status === 'False' && prev.reason === reason && prev.message === message) return;
        conds.push({ type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: prev?.status === 'False' ? prev.lastTransitionTime : formatRFC3339(), reason, message });
        await client.updateStatus(refs.pods, { ...cur, status: { ...(cur.status ?? {}), conditions: conds } });
        return;
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 409)) return;
      }
    }
  }

  // Nodes first, so the first pods are not judged against an empty cluster.
  void nodes.hasSynced().then(() => { if (!stopped) pods.on(podHandlers); });
  // A safety net: unschedulable pods are retried every 30s even when nothing we watch changed.
  const periodic = setInterval(() => { for (const k of [...unschedulable]) enqueue(k); }, 30_000);
  periodic.unref();

  return {
    stop() {
      stopped = true;
      clearInterval(periodic);
      if (retryTimer) clearTimeout(retryTimer);
      nodes.close();
      pods.close();
      if (!opts.informers) shared.stop();
    },
    nodeInfo: (name) => infos.get(name),
  };
}
