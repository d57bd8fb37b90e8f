// The ReplicaSet controller: keeps spec.replicas pods from the template
// running, adopting orphans its selector matches, and reports how many are
// ready and available. Creates go in slow-start batches, at most 500 per
// sync (the real controller's burstReplicas), so a quota refusal costs one
// call and 10k replicas are reached in a few dozen syncs.
// The same controller runs ReplicationControllers (REPLICATION_CONTROLLERS):
// kube-controller-manager's ReplicationManager is the ReplicaSet controller
// over RCs seen as ReplicaSets, their selector map taken as matchLabels.
import type { KubeObject } from '../api/types.js';
import { refs, type ResourceRef } from '../client/types.js';
import { selectorFromLabelSelector, type LabelMatcher, type LabelSelectorObject } from '../api/selectors.js';
import { type Informer } from '../client/cache/informer.js';
import { WorkQueue } from '../client/workqueue/queue.js';
import { ControllerContext, deleteExact, Pending, ignoreNotFound, isConflict, isNamespaceTerminating, isNotFound, slowStartBatch, splitKey } from './util/context.js';
import { claim } from './util/claim.js';
import { compareForDeletion, controllerOf, isPodActive, isPodReady, podAvailability, podFromTemplate, nowIso } from './util/pods.js';
import { deepEqual } from './util/hash.js';
import type { EventRecorder } from '../client/record/events.js';

/** At most this many creates or deletes per sync, as kube-controller-manager's burstReplicas. */
export const BURST_REPLICAS = 500;

/** Why manage() failed, and whether it was creating or deleting (ReplicaFailure reason). */
class ManageError extends Error {
  constructor(readonly err: unknown, readonly op: 'create' | 'delete') {
    super((err as Error)?.message ?? String(err));
  }
}

/** What differs between the kinds this controller keeps replicas of. */
export interface ReplicaKind {
  ref: ResourceRef;
  kind: string;
  /** The queue's name (as kube-controller-manager names the controller). */
  name: string;
  /** The source of its events (kube-controller-manager's recorder for it). */
  component: string;
  /** The object's selector as a LabelSelector. */
  selector(o: KubeObject): LabelSelectorObject | undefined;
}

export const REPLICA_SETS: ReplicaKind = { ref: refs.replicasets, kind: 'ReplicaSet', name: 'replicaset-controller', component: 'replicaset-controller', selector: (o) => o.spec?.selector };

/** A ReplicationController's spec.selector is a map of labels (defaulted from the template's by the API): matchLabels. */
export const REPLICATION_CONTROLLERS: ReplicaKind = {
  ref: refs.replicationcontrollers, kind: 'ReplicationController', name: 'replicationmanager', component: 'replication-controller',
  selector: (o) => ({ matchLabels: o.spec?.selector ?? {} }),
};

export class ReplicaSetController {
  private queue: WorkQueue;
  private readonly recorder: EventRecorder;
  private pending = new Pending();
  private rsInf: Informer;
  private podInf: Informer;
  private selectors = new Map<string, { gen: number; sel: LabelMatcher }>();

  constructor(private ctx: ControllerContext, private readonly kind: ReplicaKind = REPLICA_SETS) {
    this.queue = new WorkQueue({ restAfterSlowSync: true, name: kind.name });
    this.recorder = ctx.recorderFor(kind.component);
    this.rsInf = ctx.byController(ctx.informer(kind.ref));
    this.podInf = ctx.byController(ctx.informer(refs.pods));
    this.rsInf.on({
      add: (rs) => this.enqueue(rs),
      update: (_o, rs) => this.enqueue(rs),
      delete: (rs) => { this.pending.forget(rs.metadata.uid!); this.selectors.delete(rs.metadata.uid!); },
    });
    this.podInf.on({
      add: (pod) => {
        const c = this.ownerRef(pod);
        if (c) this.pending.observedCreate(c.uid, pod.metadata.name!);
        if (pod.metadata.deletionTimestamp && c) this.pending.observedDelete(c.uid, pod.metadata.name!);
        this.enqueuePodOwner(pod);
      },
      update: (old, pod) => {
        const c = this.ownerRef(pod);
        if (c && pod.metadata.deletionTimestamp) this.pending.observedDelete(c.uid, pod.metadata.name!);
        const oc = this.ownerRef(old);
        if (oc && oc.uid !== c?.uid) this.enqueueByRef(old.metadata.namespace!, oc.name);
        if (!c && JSON.stringify(old.metadata.labels) !== JSON.stringify(pod.metadata.labels)) this.enqueueOrphanMatches(pod);
        this.enqueuePodOwner(pod);
      },
      delete: (pod) => {
        const c = this.ownerRef(pod);
        if (c) this.pending.observedDelete(c.uid, pod.metadata.name!);
        this.enqueuePodOwner(pod);
      },
    });
  }

  async run(): Promise<void> {
    await Promise.all([this.rsInf.hasSynced(), this.podInf.hasSynced()]);
    this.queue.run((k) => this.sync(k), 4);
  }

  stop(): void {
    this.queue.stop();
  }

  private ownerRef(pod: KubeObject) {
    const c = controllerOf(pod);
    return c && c.kind === this.kind.kind ? c : undefined;
  }

  private enqueue(rs: KubeObject) {
    this.queue.add(`${rs.metadata.namespace}/${rs.metadata.name}`);
  }

  private enqueueByRef(ns: string, name: string) {
    this.queue.add(`${ns}/${name}`);
  }

  private enqueuePodOwner(pod: KubeObject) {
    const c = this.ownerRef(pod);
    if (c) this.enqueueByRef(pod.metadata.namespace!, c.name);
    else if (!controllerOf(pod)) this.enqueueOrphanMatches(pod);
  }

  private enqueueOrphanMatches(pod: KubeObject) {
    if (pod.metadata.deletionTimestamp) return;
    for (const rs of this.rsInf.list(pod.metadata.namespace)) {
      const sel = this.selector(rs);
      if (sel && !sel.empty && sel.matches(pod.metadata.labels)) this.enqueue(rs);
    }
  }

  private selector(rs: KubeObject): LabelMatcher | undefined {
    const uid = rs.metadata.uid!;
    const gen = rs.metadata.generation ?? 0;
    const c = this.selectors.get(uid);
    if (c && c.gen === gen) return c.sel;
    try {
      const sel = selectorFromLabelSelector(this.kind.selector(rs));
      this.selectors.set(uid, { gen, sel });
      return sel;
    } catch {
      return undefined;
    }
  }

  private async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const rs = this.rsInf.get(ns, name);
    if (!rs) return;
    const sel = this.selector(rs);
    if (!sel) return;
    const uid = rs.metadata.uid!;
    const pods = await claim({ client: this.ctx.client, owner: rs, selector: sel, informer: this.podInf, ref: refs.pods });
    const active = pods.filter((p) => isPodActive(p) && !this.pending.isDeleting(uid, p.metadata.name!));
    let manageErr: ManageError | undefined;
    let more = false;
    if (!rs.metadata.deletionTimestamp) {
      try {
        more = await this.manage(rs, active);
      } catch (e) {
        manageErr = e instanceof ManageError ? e : new ManageError(e, 'create');
      }
    }
    const nextCheck = await this.writeStatus(rs, active, manageErr);
    if (manageErr) throw manageErr.err;
    if (more) this.queue.add(key, true); // the next burst of creates: no rest
    else if (nextCheck !== undefined) this.queue.addAfter(key, nextCheck + 50);
  }

  /** Creates or deletes pods toward spec.replicas; returns true when more work remains than one burst. */
  private async manage(rs: KubeObject, active: KubeObject[]): Promise<boolean> {
    const uid = rs.metadata.uid!;
    const want = rs.spec?.replicas ?? 1;
    const diff = active.length + this.pending.pendingCreates(uid) - want;
    if (diff < 0) {
      const n = Math.min(-diff, BURST_REPLICAS);
      const { error } = await slowStartBatch(n, async () => {
        const pod = podFromTemplate(rs.spec.template, rs, { generateName: `${rs.metadata.name}-` });
        let created: KubeObject;
        try {
          created = await this.ctx.client.create(refs.pods, pod);
        } catch (e) {
          // A generated name that happens to collide: one more try with a fresh suffix.
          if ((e as any)?.reason === 'AlreadyExists') created = await this.ctx.client.create(refs.pods, pod);
          else throw e;
        }
        if (!this.podInf.get(created.metadata.namespace, created.metadata.name!)) this.pending.created(uid, created.metadata.name!);
        this.recorder.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
      });
      if (error) {
        // A namespace being terminated refuses creates: nothing to report, the RS is about to go.
        if (isNamespaceTerminating(error)) return false;
        this.recorder.record(rs, 'Warning', 'FailedCreate', `Error creating: ${(error as Error).message}`);
        throw new ManageError(error, 'create');
      }
      return n < -diff;
    }
    if (diff > 0) {
      const n = Math.min(diff, BURST_REPLICAS);
      const victims = [...active].sort(compareForDeletion).slice(0, n);
      for (const p of victims) this.pending.deleted(uid, p.metadata.name!);
      const results = await Promise.allSettled(victims.map(async (p) => {
        try {
          await deleteExact(this.ctx.client, refs.pods, p);
          this.recorder.record(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
        } catch (e) {
          this.pending.observedDelete(uid, p.metadata.name!);
          if (!isNotFound(e)) throw e;
        }
      }));
      const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
      if (failed) {
        this.recorder.record(rs, 'Warning', 'FailedDelete', `Error deleting: ${(failed.reason as Error).message}`);
        throw new ManageError(failed.reason, 'delete');
      }
      return n < diff;
    }
    return false;
  }

  /** Writes status when it changed; returns ms until a ready pod becomes available, if any is waiting. */
  private async writeStatus(rs: KubeObject, active: KubeObject[], manageErr?: ManageError): Promise<number | undefined> {
    const minReady = rs.spec?.minReadySeconds ?? 0;
    const tplLabels = Object.entries<string>(rs.spec?.template?.metadata?.labels ?? {});
    let fully = 0, ready = 0, available = 0;
    let wait: number | undefined;
    const now = Date.now();
    // The pods of one template share one frozen labels object (client/cache/compact.ts): judge each object once.
    const labelled = new Map<object, boolean>();
    for (const p of active) {
      const l = p.metadata.labels ?? {};
      let full = labelled.get(l);
      if (full === undefined) labelled.set(l, (full = tplLabels.every(([k, v]) => l[k] === v)));
      if (full) fully++;
      if (isPodReady(p)) {
        ready++;
        const a = podAvailability(p, minReady, now);
        if (a.available) available++;
        else if (a.inMs !== undefined) wait = Math.min(wait ?? Infinity, a.inMs);
      }
    }
    const status: any = {
      ...(rs.status ?? {}),
      replicas: active.length, fullyLabeledReplicas: fully, readyReplicas: ready, availableReplicas: available,
      observedGeneration: rs.metadata.generation,
    };
    const failure = (rs.status?.conditions ?? []).find((c: any) => c.type === 'ReplicaFailure');
    if (manageErr && !failure) {
      status.conditions = [...(rs.status?.conditions ?? []), {
        type: 'ReplicaFailure', status: 'True', lastTransitionTime: nowIso(),
        reason: manageErr.op === 'create' ? 'FailedCreate' : 'FailedDelete', message: manageErr.message,
      }];
    } else if (!manageErr && failure) {
      status.conditions = rs.status.conditions.filter((c: any) => c.type !== 'ReplicaFailure');
      if (!status.conditions.length) delete status.conditions;
    }
    // Kubernetes omits zero counts.
    for (const k of ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas']) if (!status[k]) delete status[k];
    if (!deepEqual(status, rs.status ?? {})) await this.updateStatus(rs, status);
    return wait;
  }

  private async updateStatus(rs: KubeObject, status: any): Promise<void> {
    try {
      await this.ctx.client.updateStatus(this.kind.ref, { ...rs, status });
    } catch (e) {
      if (isNotFound(e)) return;
      if (!isConflict(e)) throw e;
      // Someone wrote the RS since our cache saw it: retry once on the fresh copy.
      const fresh = await ignoreNotFound(this.ctx.client.get(this.kind.ref, rs.metadata.namespace, rs.metadata.name!));
      if (fresh && fresh.metadata.uid === rs.metadata.uid) await this.ctx.client.updateStatus(this.kind.ref, { ...fresh, status: { ...status, observedGeneration: Math.min(status.observedGeneration ?? 0, fresh.metadata.generation ?? 0) } });
    }
  }
}
