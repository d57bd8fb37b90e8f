// The DaemonSet controller: one pod per node the template fits (nodeSelector,
// required node affinity, taints vs tolerations plus the tolerations every
// daemon pod gets). Pods are pinned with a matchFields metadata.name node
// affinity and left to the scheduler, as the real controller does. Template
// changes roll out node by node (maxUnavailable, or maxSurge).
import type { KubeObject } from '../api/types.js';
import { refs } from '../client/types.js';
import { selectorFromLabelSelector } from '../api/selectors.js';
import { type Informer } from '../client/cache/informer.js';
import { WorkQueue } from '../client/workqueue/queue.js';
import { ControllerContext, deleteExact, ignoreNotFound, ignoreStale, splitKey } from './util/context.js';
import { claim } from './util/claim.js';
import { controllerOf, isPodAvailable, isPodReady, parseTime, podAvailability, podFromTemplate } from './util/pods.js';
import { REVISION_HASH_LABEL, syncRevisions, truncateHistory } from './util/revisions.js';
import { nodeMatchesPodSpec, untoleratedTaint, type Toleration } from './util/nodes.js';
import { scaledValue } from './util/intstr.js';
import { deepEqual } from './util/hash.js';
import { deepCopy } from '../api/deepcopy.js';

/** The tolerations the DaemonSet controller adds to every daemon pod. */
export function daemonTolerations(spec: any): Toleration[] {
  const list: Toleration[] = [...(spec?.tolerations ?? [])];
  const add = (key: string, effect: string) => {
    if (!list.some((t) => t.key === key && t.effect === effect)) list.push({ key, operator: 'Exists', effect });
  };
  add('node.kubernetes.io/not-ready', 'NoExecute');
  add('node.kubernetes.io/unreachable', 'NoExecute');
  add('node.kubernetes.io/disk-pressure', 'NoSchedule');
  add('node.kubernetes.io/memory-pressure', 'NoSchedule');
  add('node.kubernetes.io/pid-pressure', 'NoSchedule');
  add('node.kubernetes.io/unschedulable', 'NoSchedule');
  if (spec?.hostNetwork) add('node.kubernetes.io/network-unavailable', 'NoSchedule');
  return list;
}

/** The node a daemon pod is for: where it runs, or where its node affinity pins it. */
export function targetNode(pod: KubeObject): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const t of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const f of t?.matchFields ?? []) if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
  }
  return undefined;
}

/** shouldRun: a new pod goes there; shouldContinue: an existing pod may stay (NoSchedule taints do not evict). */
export function nodeShouldRun(node: KubeObject, ds: KubeObject): { shouldRun: boolean; shouldContinue: boolean } {
  const spec = ds.spec?.template?.spec ?? {};
  if (node.metadata.deletionTimestamp || !nodeMatchesPodSpec(spec, node)) return { shouldRun: false, shouldContinue: false };
  const tolerations = daemonTolerations(spec);
  const taint = untoleratedTaint(node, tolerations);
  if (!taint) return { shouldRun: true, shouldContinue: true };
  const noExecute = ((node.spec?.taints ?? []) as any[]).filter((t) => t.effect === 'NoExecute');
  return { shouldRun: false, shouldContinue: !untoleratedTaint({ metadata: {}, spec: { taints: noExecute } }, tolerations) };
}

export class DaemonSetController {
  private queue = new WorkQueue({ restAfterSlowSync: true, name: 'daemonset-controller' });
  private dsInf: Informer;
  private podInf: Informer;
  private nodeInf: Informer;
  private revInf: Informer;

  constructor(private ctx: ControllerContext) {
    this.dsInf = ctx.informer(refs.daemonsets);
    this.podInf = ctx.byController(ctx.informer(refs.pods));
    this.nodeInf = ctx.informer(refs.nodes);
    this.revInf = ctx.byController(ctx.informer(refs.controllerrevisions));
    this.dsInf.on({ add: (d) => this.enqueue(d), update: (_o, d) => this.enqueue(d) });
    const onPod = (pod: KubeObject) => {
      const c = controllerOf(pod);
      if (c?.kind === 'DaemonSet') this.queue.add(`${pod.metadata.namespace}/${c.name}`);
    };
    this.podInf.on({ add: onPod, update: (_o, p) => onPod(p), delete: onPod });
    const all = () => { for (const d of this.dsInf.list()) this.enqueue(d); };
    this.nodeInf.on({
      add: all, delete: all,
      update: (o, n) => {
        if (!deepEqual(o.metadata.labels, n.metadata.labels) || !deepEqual(o.spec?.taints, n.spec?.taints) || !!o.metadata.deletionTimestamp !== !!n.metadata.deletionTimestamp) all();
      },
    });
  }

  async run(): Promise<void> {
    await Promise.all([this.dsInf.hasSynced(), this.podInf.hasSynced(), this.nodeInf.hasSynced(), this.revInf.hasSynced()]);
    this.queue.run((k) => this.sync(k), 2);
  }

  stop(): void { this.queue.stop(); }

  private enqueue(d: KubeObject) { this.queue.add(`${d.metadata.namespace}/${d.metadata.name}`); }

  private async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const cached = this.dsInf.get(ns, name);
    if (!cached) return;
    const ds = deepCopy(cached);
    let sel;
    try { sel = selectorFromLabelSelector(ds.spec?.selector); } catch { return; }
    const revs = await syncRevisions(this.ctx, ds, sel, this.revInf);
    const hash = revs.update.metadata.labels?.['controller.kubernetes.io/hash'] ?? revs.update.metadata.name!.slice(ds.metadata.name!.length + 1);
    const pods = await claim({ client: this.ctx.client, owner: ds, selector: sel, informer: this.podInf, ref: refs.pods });
    const byNode = new Map<string, KubeObject[]>();
    for (const p of pods) {
      if (p.metadata.deletionTimestamp) continue;
      const n = targetNode(p);
      if (!n) continue;
      (byNode.get(n) ?? byNode.set(n, []).get(n)!).push(p);
    }
    for (const list of byNode.values()) list.sort((a, b) => (parseTime(a.metadata.creationTimestamp) ?? 0) - (parseTime(b.metadata.creationTimestamp) ?? 0));
    const nodes = this.nodeInf.list();
    const nodeNames = new Set(nodes.map((n) => n.metadata.name!));
    const toCreate: string[] = [];
    const toDelete: KubeObject[] = [];
    for (const node of nodes) {
      const n = node.metadata.name!;
      const { shouldRun, shouldContinue } = nodeShouldRun(node, ds);
      const have = byNode.get(n) ?? [];
      if (shouldRun && have.length === 0) toCreate.push(n);
      else if (!shouldContinue) toDelete.push(...have);
      else if (have.length) {
        const failed = have.filter((p) => p.status?.phase === 'Failed');
        for (const p of failed) this.ctx.recorderFor('daemonset-controller').record(ds, 'Warning', 'FailedDaemonPod', `Found failed daemon pod ${p.metadata.namespace}/${p.metadata.name} on node ${n}, will try to kill it`);
        toDelete.push(...failed);
        const running = have.filter((p) => p.status?.phase !== 'Failed');
        if (running.length === 0 && shouldRun) toCreate.push(n);
        // More than one daemon pod on a node (outside a surge): keep the oldest.
        if (running.length > 1 && !this.surging(ds, running, hash)) toDelete.push(...running.slice(1));
      }
    }
    for (const [n, list] of byNode) if (!nodeNames.has(n)) toDelete.push(...list);
    if (!ds.metadata.deletionTimestamp) {
      toDelete.push(...this.rollingDeletes(ds, nodes, byNode, hash, toCreate));
      await this.writePods(ds, hash, toCreate, toDelete);
    }
    const waitMs = await this.writeStatus(ds, nodes, byNode, hash);
    const live = new Set([revs.update.metadata.name!, ...pods.map((p) => `${ds.metadata.name}-${p.metadata.labels?.[REVISION_HASH_LABEL]}`)]);
    await truncateHistory(this.ctx, ds, revs.all, live);
    if (waitMs !== undefined) this.queue.addAfter(key, waitMs + 50);
  }

  private surging(ds: KubeObject, running: KubeObject[], hash: string): boolean {
    return this.maxSurgeOf(ds, 1) > 0 && running.length === 2 && running.some((p) => p.metadata.labels?.[REVISION_HASH_LABEL] === hash);
  }

  private maxSurgeOf(ds: KubeObject, desired: number): number {
    const ru = ds.spec?.updateStrategy?.rollingUpdate ?? {};
    return scaledValue(ru.maxSurge ?? 0, desired, true);
  }

  /**
   * RollingUpdate: without surge, delete old pods while no more than
   * maxUnavailable nodes lack an available pod (the replacement comes on the
   * next sync); with surge, start a new pod beside an old one and delete the
   * old one once the new one is available.
   */
  private rollingDeletes(ds: KubeObject, nodes: KubeObject[], byNode: Map<string, KubeObject[]>, hash: string, toCreate: string[]): KubeObject[] {
    if ((ds.spec?.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') return [];
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const wanted = nodes.filter((n) => nodeShouldRun(n, ds).shouldRun);
    const desired = wanted.length;
    const ru = ds.spec?.updateStrategy?.rollingUpdate ?? {};
    const surge = this.maxSurgeOf(ds, desired);
    let maxUnavailable = scaledValue(ru.maxUnavailable ?? 1, desired, true);
    if (surge === 0 && maxUnavailable === 0) maxUnavailable = 1;
    const out: KubeObject[] = [];
    if (surge === 0) {
      let unavailable = 0;
      const candidates: KubeObject[] = [];
      for (const node of wanted) {
        const pods = (byNode.get(node.metadata.name!) ?? []).filter((p) => p.status?.phase !== 'Failed');
        const pod = pods[0];
        if (!pod) { unavailable++; continue; }
        const avail = isPodAvailable(pod, minReady);
        if (!avail) unavailable++;
        if (pod.metadata.labels?.[REVISION_HASH_LABEL] !== hash) {
          // An old pod that is not available anyway can go at once.
          if (!avail) out.push(pod);
          else candidates.push(pod);
        }
      }
      const budget = Math.max(0, maxUnavailable - unavailable);
      out.push(...candidates.slice(0, budget));
      return out;
    }
    let surging = 0;
    const needNew: string[] = [];
    for (const node of wanted) {
      const n = node.metadata.name!;
      const pods = (byNode.get(n) ?? []).filter((p) => p.status?.phase !== 'Failed');
      const fresh = pods.find((p) => p.metadata.labels?.[REVISION_HASH_LABEL] === hash);
      const old = pods.filter((p) => p !== fresh);
      if (!old.length) continue;
      if (fresh) {
        if (isPodAvailable(fresh, minReady)) out.push(...old);
        else surging++;
      } else if (!isPodAvailable(old[0], minReady)) out.push(...old);
      else needNew.push(n);
    }
    for (const n of needNew.slice(0, Math.max(0, surge - surging))) if (!toCreate.includes(n)) toCreate.push(n);
    return out;
  }

  private async writePods(ds: KubeObject, hash: string, toCreate: string[], toDelete: KubeObject[]): Promise<void> {
    const client = this.ctx.client;
    const errors: unknown[] = [];
    await Promise.all(toCreate.map(async (node) => {
      const pod = podFromTemplate(ds.spec.template, ds, { generateName: `${ds.metadata.name}-`, labels: { [REVISION_HASH_LABEL]: hash } });
      pod.spec.tolerations = daemonTolerations(pod.spec);
      const aff = (pod.spec.affinity ??= {});
      const na = (aff.nodeAffinity ??= {});
      na.requiredDuringSchedulingIgnoredDuringExecution = { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] };
      try {
        const created = await client.create(refs.pods, pod);
        this.ctx.recorderFor('daemonset-controller').record(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
      } catch (e) {
        this.ctx.recorderFor('daemonset-controller').record(ds, 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`);
        errors.push(e);
      }
    }));
    const seen = new Set<string>();
    await Promise.all(toDelete.filter((p) => !seen.has(p.metadata.uid!) && seen.add(p.metadata.uid!)).map(async (p) => {
      await deleteExact(client, refs.pods, p);
      this.ctx.recorderFor('daemonset-controller').record(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
    }));
    if (errors.length) throw errors[0];
  }

  private async writeStatus(ds: KubeObject, nodes: KubeObject[], byNode: Map<string, KubeObject[]>, hash: string): Promise<number | undefined> {
    const minReady = ds.spec?.minReadySeconds ?? 0;
    let desired = 0, current = 0, mis = 0, ready = 0, available = 0, updated = 0;
    let wait: number | undefined;
    for (const node of nodes) {
      const { shouldRun } = nodeShouldRun(node, ds);
      const pods = byNode.get(node.metadata.name!) ?? [];
      if (shouldRun) {
        desired++;
        if (!pods.length) continue;
        current++;
        const pod = pods[0];
        if (isPodReady(pod)) {
          ready++;
          const a = podAvailability(pod, minReady);
          if (a.available) available++;
          else if (a.inMs !== undefined) wait = Math.min(wait ?? Infinity, a.inMs);
        }
        if (pods.some((p) => p.metadata.labels?.[REVISION_HASH_LABEL] === hash)) updated++;
      } else if (pods.length) mis++;
    }
    const status: any = {
      ...(ds.status ?? {}),
      currentNumberScheduled: current, numberMisscheduled: mis, desiredNumberScheduled: desired, numberReady: ready,
      observedGeneration: ds.metadata.generation, updatedNumberScheduled: updated, numberAvailable: available,
      numberUnavailable: desired - available,
    };
    for (const k of ['updatedNumberScheduled', 'numberAvailable', 'numberUnavailable']) if (!status[k]) delete status[k];
    if (!deepEqual(status, ds.status ?? {})) await ignoreStale(this.ctx.client.updateStatus(refs.daemonsets, { ...ds, status }));
    return wait;
  }
}
