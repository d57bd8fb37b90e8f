// The Deployment controller: one ReplicaSet per pod template (named
// <deployment>-<pod-template-hash>), rolled forward by RollingUpdate or
// Recreate (util/rollout.ts), with the revision annotations `kubectl rollout
// history|undo` read and the status and conditions `kubectl rollout status`
// waits on.
import type { KubeObject } from '../api/types.js';
import { refs } from '../client/types.js';
import { selectorFromLabelSelector } from '../api/selectors.js';
import { type Informer } from '../client/cache/informer.js';
import { WorkQueue } from '../client/workqueue/queue.js';
import { ControllerContext, deleteExact, isAlreadyExists, isConflict, isNotFound, splitKey } from './util/context.js';
import { claim } from './util/claim.js';
import { controllerOf, controllerRef } from './util/pods.js';
import { computeHash, deepEqual } from './util/hash.js';
import {
  HASH_LABEL, REVISION, calculateStatus, deploymentComplete, deploymentProgressing, deploymentTimedOut, equalIgnoreHash,
  findNewRS, getDCond, hasProgressDeadline, isScalingEvent, maxRevision, maxSurge, newDCond, newRSNewReplicas, pruneStatus,
  removeDCond, replicasAnnotationsNeedUpdate, replicasOf, setDCond, setNewRSAnnotations, setReplicasAnnotations,
} from './util/deployment.js';
import { cleanup, rolloutRecreate, rolloutRolling, scale, type DeploymentSync } from './util/rollout.js';
import { parseTime } from './util/pods.js';
import { deepCopy } from '../api/deepcopy.js';

export class DeploymentController {
  private queue = new WorkQueue({ restAfterSlowSync: true, name: 'deployment-controller' });
  private dInf: Informer;
  private rsInf: Informer;
  private podInf: Informer;

  constructor(private ctx: ControllerContext) {
    this.dInf = ctx.informer(refs.deployments);
    this.rsInf = ctx.byController(ctx.informer(refs.replicasets));
    this.podInf = ctx.byController(ctx.informer(refs.pods));
    this.dInf.on({ add: (d) => this.enqueue(d), update: (_o, d) => this.enqueue(d) });
    this.rsInf.on({
      add: (rs) => this.enqueueRSOwner(rs),
      update: (old, rs) => {
        const oc = controllerOf(old);
        if (oc && oc.uid !== controllerOf(rs)?.uid && oc.kind === 'Deployment') this.queue.add(`${old.metadata.namespace}/${oc.name}`);
        this.enqueueRSOwner(rs);
      },
      delete: (rs) => this.enqueueRSOwner(rs),
    });
    // Recreate waits for the old pods to be gone: their deletion is news.
    this.podInf.on({
      delete: (pod) => {
        const c = controllerOf(pod);
        if (c?.kind !== 'ReplicaSet') return;
        const rs = this.rsInf.get(pod.metadata.namespace, c.name);
        if (rs) this.enqueueRSOwner(rs);
      },
    });
  }

  async run(): Promise<void> {
    await Promise.all([this.dInf.hasSynced(), this.rsInf.hasSynced(), this.podInf.hasSynced()]);
    this.queue.run((k) => this.sync(k), 4);
  }

  stop(): void {
    this.queue.stop();
  }

  private enqueue(d: KubeObject) {
    this.queue.add(`${d.metadata.namespace}/${d.metadata.name}`);
  }

  private enqueueRSOwner(rs: KubeObject) {
    const c = controllerOf(rs);
    if (c) {
      if (c.kind === 'Deployment') this.queue.add(`${rs.metadata.namespace}/${c.name}`);
      return;
    }
    // An orphan: the Deployments that would adopt it.
    for (const d of this.dInf.list(rs.metadata.namespace)) {
      try {
        const sel = selectorFromLabelSelector(d.spec?.selector);
        if (!sel.empty && sel.matches(rs.metadata.labels)) this.enqueue(d);
      } catch { /* an invalid selector selects nothing */ }
    }
  }

  private async sync(key: string): Promise<void> {
    try {
      await this.syncOne(key);
    } catch (e) {
      // Deleted while we worked on it: nothing left to do.
      if (isNotFound(e)) {
        const d = this.dInf.get(...splitKey(key));
        if (!d || d.metadata.deletionTimestamp) return;
      }
      throw e;
    }
  }

  private async syncOne(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const cached = this.dInf.get(ns, name);
    if (!cached) return;
    const d = deepCopy(cached);
    let sel;
    try {
      sel = selectorFromLabelSelector(d.spec?.selector);
    } catch {
      return;
    }
    if (sel.empty) {
      this.recorder.record(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
        await this.ctx.client.updateStatus(refs.deployments, { ...d, status: { ...(d.status ?? {}), observedGeneration: d.metadata.generation } });
      }
      return;
    }
    const rsList = await claim({ client: this.ctx.client, owner: d, selector: sel, informer: this.rsInf, ref: refs.replicasets });
    const s = new Sync(this, d, rsList);
    if (d.metadata.deletionTimestamp) return s.syncStatusOnly();
    await s.checkPausedConditions();
    if (s.d.spec?.paused || isScalingEvent(s.d, rsList)) return s.syncScale();
    if (s.d.spec?.strategy?.type === 'Recreate') return rolloutRecreate(s);
    return rolloutRolling(s);
  }

  /** @internal used by Sync */
  get client() { return this.ctx.client; }
  /** @internal */
  get recorder() { return this.ctx.recorderFor('deployment-controller'); }
  /** @internal */
  podsOfRS(rs: KubeObject): KubeObject[] { return this.podInf.byIndex('controller', rs.metadata.uid!); }
  /** @internal */
  cachedRS(ns: string | undefined, name: string): KubeObject | undefined { return this.rsInf.get(ns, name); }
  /** @internal */
  requeueAfter(d: KubeObject, ms: number): void { this.queue.addAfter(`${d.metadata.namespace}/${d.metadata.name}`, ms); }
}

/** One sync of one Deployment: holds the Deployment as last written and does the writes. */
class Sync implements DeploymentSync {
  constructor(private c: DeploymentController, public d: KubeObject, private rsList: KubeObject[]) {}

  private get client() { return this.c.client; }

  async writeStatus(status: any): Promise<void> {
    this.d = await this.client.updateStatus(refs.deployments, { ...this.d, status: pruneStatus(status) });
  }

  async checkPausedConditions(): Promise<void> {
    if (!hasProgressDeadline(this.d)) return;
    const cond = getDCond(this.d.status, 'Progressing');
    if (cond?.reason === 'ProgressDeadlineExceeded') return;
    const pausedCond = cond?.reason === 'DeploymentPaused';
    const status = deepCopy(this.d.status ?? {});
    if (this.d.spec?.paused && !pausedCond) setDCond(status, newDCond('Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused'));
    else if (!this.d.spec?.paused && pausedCond) setDCond(status, newDCond('Progressing', 'Unknown', 'DeploymentResumed', 'Deployment is resumed'));
    else return;
    await this.writeStatus(status);
  }

  async syncStatusOnly(): Promise<void> {
    const { newRS, oldRSs } = await this.getAll(false);
    await this.syncDeploymentStatus([...oldRSs, newRS], newRS);
  }

  /** The scaling-only path (paused, or spec.replicas changed): no rollout progress. */
  async syncScale(): Promise<void> {
    const { newRS, oldRSs } = await this.getAll(false);
    await scale(this, newRS, oldRSs);
    // scale() wrote through the cache: read the RSs back as they are now.
    const fresh = (rs: KubeObject | undefined) => (rs ? this.c.cachedRS(rs.metadata.namespace, rs.metadata.name!) ?? rs : undefined);
    const olds = oldRSs.map((r) => fresh(r)!);
    if (this.d.spec?.paused) await cleanup(this, olds);
    await this.syncDeploymentStatus([...olds, fresh(newRS)], fresh(newRS));
  }

  async syncDeploymentStatus(allRSs: (KubeObject | undefined)[], newRS: KubeObject | undefined): Promise<void> {
    const status = pruneStatus(calculateStatus(allRSs, newRS, this.d));
    if (!deepEqual(status, this.d.status ?? {})) await this.writeStatus(status);
  }

  async scaleRS(rs: KubeObject, replicas: number): Promise<{ rs: KubeObject; scaled: boolean }> {
    const d = this.d;
    const max = replicasOf(d) + maxSurge(d);
    const sizeChange = (rs.spec?.replicas ?? 0) !== replicas;
    if (!sizeChange && !replicasAnnotationsNeedUpdate(rs, replicasOf(d), max)) return { rs, scaled: false };
    const old = rs.spec?.replicas ?? 0;
    const copy = deepCopy(rs);
    copy.spec.replicas = replicas;
    setReplicasAnnotations(copy, replicasOf(d), max);
    const updated = await this.client.update(refs.replicasets, copy);
    if (sizeChange) {
      this.c.recorder.record(d, 'Normal', 'ScalingReplicaSet', `Scaled ${old < replicas ? 'up' : 'down'} replica set ${rs.metadata.name} to ${replicas} from ${old}`);
    }
    return { rs: updated, scaled: sizeChange };
  }

  async deleteRS(rs: KubeObject): Promise<void> {
    await deleteExact(this.client, refs.replicasets, rs);
  }

  podsOf(rs: KubeObject): KubeObject[] {
    return this.c.podsOfRS(rs);
  }

  async getAll(create: boolean): Promise<{ newRS?: KubeObject; oldRSs: KubeObject[] }> {
    const existing = findNewRS(this.d, this.rsList);
    const oldRSs = this.rsList.filter((r) => r !== existing);
    const newRS = await this.getNewRS(existing, oldRSs, create);
    return { newRS, oldRSs };
  }

  private async setRevision(rev: string): Promise<void> {
    // An update, as kube's deployment controller writes it (its role may update Deployments, not patch
    // them); a conflict reads the Deployment again and retries (client-go's RetryOnConflict), so the
    // annotation lands on the newest version as the merge patch it replaces did.
    for (let attempt = 0; ; attempt++) {
      if (this.d.metadata.annotations?.[REVISION] === rev) return;
      try {
        this.d = await this.client.update(refs.deployments, { ...this.d, metadata: { ...this.d.metadata, annotations: { ...(this.d.metadata.annotations ?? {}), [REVISION]: rev } } });
        return;
      } catch (e) {
        if (!isConflict(e) || attempt >= 4) throw e;
        this.d = await this.client.get(refs.deployments, this.d.metadata.namespace, this.d.metadata.name!);
      }
    }
  }

  /** getNewReplicaSet: the RS of the current template, brought up to date, or created when asked. */
  private async getNewRS(existing: KubeObject | undefined, oldRSs: KubeObject[], create: boolean): Promise<KubeObject | undefined> {
    const d = this.d;
    const newRevision = maxRevision(oldRSs) + 1;
    if (existing) {
      let rs = existing;
      const copy = deepCopy(existing);
      const annChanged = setNewRSAnnotations(d, copy, newRevision, true);
      const minReady = d.spec?.minReadySeconds ?? 0;
      if (annChanged || (copy.spec.minReadySeconds ?? 0) !== minReady) {
        copy.spec.minReadySeconds = minReady;
        rs = await this.client.update(refs.replicasets, copy);
        this.rsList = this.rsList.map((r) => (r === existing ? rs : r));
      }
      await this.setRevision(rs.metadata.annotations?.[REVISION] ?? String(newRevision));
      if (hasProgressDeadline(this.d) && !getDCond(this.d.status, 'Progressing')) {
        const status = deepCopy(this.d.status ?? {});
        setDCond(status, newDCond('Progressing', 'True', 'FoundNewReplicaSet', `Found new replica set "${rs.metadata.name}"`));
        await this.writeStatus(status);
      }
      return rs;
    }
    if (!create) return undefined;

    const hash = computeHash(d.spec.template, d.status?.collisionCount);
    const template = deepCopy(d.spec.template ?? {});
    template.metadata ??= {};
    template.metadata.labels = { ...(template.metadata.labels ?? {}), [HASH_LABEL]: hash };
    const selector = deepCopy(d.spec.selector ?? {});
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [HASH_LABEL]: hash };
    const name = `${d.metadata.name}-${hash}`;
    const rs: KubeObject = {
      apiVersion: 'apps/v1', kind: 'ReplicaSet',
      metadata: { name, namespace: d.metadata.namespace, labels: { ...template.metadata.labels }, ownerReferences: [controllerRef(d)] },
      spec: { replicas: 0, minReadySeconds: d.spec.minReadySeconds ?? 0, selector, template },
    };
    const replicas = newRSNewReplicas(d, [...oldRSs, rs], rs);
    rs.spec.replicas = replicas;
    setNewRSAnnotations(d, rs, newRevision, false);

    let created: KubeObject;
    let alreadyExists = false;
    try {
      created = await this.client.create(refs.replicasets, rs);
    } catch (e) {
      if (isAlreadyExists(e)) {
        const found = this.c.cachedRS(d.metadata.namespace, name) ?? (await this.client.get(refs.replicasets, d.metadata.namespace, name));
        if (controllerOf(found)?.uid === d.metadata.uid && equalIgnoreHash(found.spec?.template, d.spec.template)) {
          created = found;
          alreadyExists = true;
        } else {
          // A hash collision with someone else's RS: a new collisionCount gives a new hash next time.
          const status = deepCopy(d.status ?? {});
          status.collisionCount = (status.collisionCount ?? 0) + 1;
          await this.writeStatus(status);
          throw e;
        }
      } else {
        if (hasProgressDeadline(d)) {
          const status = deepCopy(d.status ?? {});
          setDCond(status, newDCond('Progressing', 'False', 'FailedRSCreate', `Failed to create new replica set "${name}": ${(e as Error).message}`));
          await this.writeStatus(status);
        }
        throw e;
      }
    }
    if (!alreadyExists && replicas > 0) {
      this.c.recorder.record(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${name} to ${replicas} from 0`);
    }
    await this.setRevision(String(newRevision));
    if (!alreadyExists && hasProgressDeadline(this.d)) {
      const status = deepCopy(this.d.status ?? {});
      setDCond(status, newDCond('Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "${name}"`));
      await this.writeStatus(status);
    }
    this.rsList = [...this.rsList, created];
    return created;
  }

  /** syncRolloutStatus: counts, Available, Progressing (with the deadline) and ReplicaFailure. */
  async syncRolloutStatus(allRSs: (KubeObject | undefined)[], newRS: KubeObject | undefined): Promise<void> {
    const d = this.d;
    const status = calculateStatus(allRSs, newRS, d);
    if (!hasProgressDeadline(d)) removeDCond(status, 'Progressing');
    const cur = getDCond(d.status, 'Progressing');
    const complete = (status.replicas ?? 0) === (status.updatedReplicas ?? 0) && cur?.reason === 'NewReplicaSetAvailable';
    const rsName = newRS?.metadata.name;
    if (hasProgressDeadline(d) && !complete) {
      if (deploymentComplete(d, status)) {
        const msg = rsName ? `ReplicaSet "${rsName}" has successfully progressed.` : 'Deployment has successfully progressed.';
        setDCond(status, newDCond('Progressing', 'True', 'NewReplicaSetAvailable', msg));
      } else if (deploymentProgressing(d, status)) {
        const msg = rsName ? `ReplicaSet "${rsName}" is progressing.` : 'Deployment is progressing.';
        const c = newDCond('Progressing', 'True', 'ReplicaSetUpdated', msg);
        if (cur?.status === 'True') c.lastTransitionTime = cur.lastTransitionTime;
        removeDCond(status, 'Progressing');
        setDCond(status, c);
      } else if (deploymentTimedOut(d, status)) {
        const msg = rsName ? `ReplicaSet "${rsName}" has timed out progressing.` : `Deployment "${d.metadata.name}" has timed out progressing.`;
        setDCond(status, newDCond('Progressing', 'False', 'ProgressDeadlineExceeded', msg));
      }
    }
    const failing = [newRS, ...allRSs].map((r) => getDCond(r?.status, 'ReplicaFailure')).find((c) => c);
    if (failing) setDCond(status, newDCond('ReplicaFailure', failing.status, failing.reason, failing.message));
    else removeDCond(status, 'ReplicaFailure');
    pruneStatus(status);
    if (deepEqual(status, d.status ?? {})) {
      this.requeueStuck(status);
      return;
    }
    await this.writeStatus(status);
  }

  /** A rollout that makes no progress gets no events: come back when its deadline passes. */
  private requeueStuck(status: any): void {
    const d = this.d;
    const c = getDCond(status, 'Progressing');
    if (!hasProgressDeadline(d) || !c || c.reason === 'NewReplicaSetAvailable' || c.reason === 'ProgressDeadlineExceeded') return;
    if (deploymentComplete(d, status)) return;
    const at = (parseTime(c.lastUpdateTime) ?? Date.now()) + d.spec.progressDeadlineSeconds * 1000;
    this.c.requeueAfter(d, Math.max(at - Date.now(), 0) + 1000);
  }
}
