// The StatefulSet controller: pods <sts>-0..N-1 with stable names, created in
// order and each only once the one before is Running and Ready
// (OrderedReady; Parallel does not wait), removed highest ordinal first, and
// rolled to a new template from the highest ordinal down to the partition,
// one pod at a time. Template history lives in ControllerRevisions.
import type { KubeObject } from '../api/types.js';
import { refs } from '../client/types.js';
import { selectorFromLabelSelector } from '../api/selectors.js';
import { type Informer } from '../client/cache/informer.js';
import { WorkQueue } from '../client/workqueue/queue.js';
import { ControllerContext, deleteExact, ignoreNotFound, ignoreStale, isAlreadyExists, isNamespaceTerminating, splitKey } from './util/context.js';
import { claim } from './util/claim.js';
import { controllerOf, isPodAvailable, isRunningAndReady, isTerminal, podAvailability, podFromTemplate } from './util/pods.js';
import { REVISION_HASH_LABEL, syncRevisions, templateOf, truncateHistory } from './util/revisions.js';
import { deepEqual } from './util/hash.js';
import { deepCopy } from '../api/deepcopy.js';

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

export function ordinalOf(sts: KubeObject, pod: KubeObject): number | undefined {
  const prefix = `${sts.metadata.name}-`;
  const n = pod.metadata.name ?? '';
  if (!n.startsWith(prefix)) return undefined;
  const rest = n.slice(prefix.length);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

/** The pod for one ordinal of a StatefulSet at one revision. */
export function statefulPod(sts: KubeObject, template: any, revisionName: string, ordinal: number): KubeObject {
  const name = `${sts.metadata.name}-${ordinal}`;
  const pod = podFromTemplate(template, sts, {
    name,
    labels: { [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal), [REVISION_HASH_LABEL]: revisionName },
  });
  pod.spec.hostname = name;
  if (sts.spec?.serviceName) pod.spec.subdomain = sts.spec.serviceName;
  // Each volumeClaimTemplate becomes a volume backed by the claim <template>-<sts>-<ordinal>.
  for (const vct of sts.spec?.volumeClaimTemplates ?? []) {
    const vname = vct?.metadata?.name;
    if (!vname) continue;
    const volumes: any[] = (pod.spec.volumes ?? []).filter((v: any) => v.name !== vname);
    volumes.push({ name: vname, persistentVolumeClaim: { claimName: `${vname}-${sts.metadata.name}-${ordinal}` } });
    pod.spec.volumes = volumes;
  }
  return pod;
}

const isHealthy = (p: KubeObject) => isRunningAndReady(p) && !p.metadata.deletionTimestamp;

export class StatefulSetController {
  private queue = new WorkQueue({ restAfterSlowSync: true, name: 'statefulset-controller' });
  private stsInf: Informer;
  private podInf: Informer;
  private revInf: Informer;

  constructor(private ctx: ControllerContext) {
    this.stsInf = ctx.informer(refs.statefulsets);
    this.podInf = ctx.byController(ctx.informer(refs.pods));
    this.revInf = ctx.byController(ctx.informer(refs.controllerrevisions));
    this.stsInf.on({ add: (s) => this.enqueue(s), update: (_o, s) => this.enqueue(s) });
    const onPod = (pod: KubeObject) => {
      const c = controllerOf(pod);
      if (c?.kind === 'StatefulSet') this.queue.add(`${pod.metadata.namespace}/${c.name}`);
      else if (!c) {
        for (const s of this.stsInf.list(pod.metadata.namespace)) {
          try { if (selectorFromLabelSelector(s.spec?.selector).matches(pod.metadata.labels)) this.enqueue(s); } catch { /* invalid selector */ }
        }
      }
    };
    this.podInf.on({ add: onPod, update: (_o, p) => onPod(p), delete: onPod });
  }

  async run(): Promise<void> {
    await Promise.all([this.stsInf.hasSynced(), this.podInf.hasSynced(), this.revInf.hasSynced()]);
    this.queue.run((k) => this.sync(k), 2);
  }

  stop(): void { this.queue.stop(); }

  private enqueue(s: KubeObject) { this.queue.add(`${s.metadata.namespace}/${s.metadata.name}`); }

  private async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const cached = this.stsInf.get(ns, name);
    if (!cached) return;
    const sts = deepCopy(cached);
    let sel;
    try { sel = selectorFromLabelSelector(sts.spec?.selector); } catch { return; }
    let revs;
    try {
      revs = await syncRevisions(this.ctx, sts, sel, this.revInf);
    } catch (e) {
      const cc = (e as any).collisionCount;
      if (cc !== undefined) await this.ctx.client.updateStatus(refs.statefulsets, { ...sts, status: { ...(sts.status ?? {}), collisionCount: cc } });
      throw e;
    }
    const update = revs.update;
    const current = revs.all.find((r) => r.metadata.name === sts.status?.currentRevision) ?? update;
    // Only pods named like its members are adopted, as the real controller does.
    const pods = await claim({ client: this.ctx.client, owner: sts, selector: sel, informer: this.podInf, ref: refs.pods, canAdopt: (p) => ordinalOf(sts, p) !== undefined });

    const replicaCount = sts.spec?.replicas ?? 1;
    const replicas: (KubeObject | undefined)[] = new Array(replicaCount).fill(undefined);
    const condemned: KubeObject[] = [];
    for (const p of pods) {
      const ord = ordinalOf(sts, p);
      if (ord === undefined) continue;
      if (ord < replicaCount) replicas[ord] = p;
      else condemned.push(p);
    }
    condemned.sort((a, b) => ordinalOf(sts, a)! - ordinalOf(sts, b)!);
    const waitMs = await this.manage(sts, replicas, condemned, current, update);
    await this.writeStatus(sts, [...replicas, ...condemned], current, update);
    const live = new Set([current.metadata.name!, update.metadata.name!, ...pods.map((p) => p.metadata.labels?.[REVISION_HASH_LABEL]).filter((x): x is string => !!x)]);
    await truncateHistory(this.ctx, sts, revs.all, live);
    if (waitMs !== undefined) this.queue.addAfter(key, waitMs + 50);
  }

  /** Moves one step (OrderedReady) or every step (Parallel) toward the spec; returns ms to wait for availability, if any. */
  private async manage(sts: KubeObject, replicas: (KubeObject | undefined)[], condemned: KubeObject[], current: KubeObject, update: KubeObject): Promise<number | undefined> {
    const ordered = (sts.spec?.podManagementPolicy ?? 'OrderedReady') !== 'Parallel';
    const rolling = (sts.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
    const partition = sts.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
    const currentTpl = templateOf(current);
    const updateTpl = templateOf(update);
    const minReady = sts.spec?.minReadySeconds ?? 0;
    let wait: number | undefined;
    const fresh = (ord: number): KubeObject => {
      // Below the partition pods keep the current revision, as the real controller does.
      const useCurrent = rolling && ord < partition;
      return statefulPod(sts, useCurrent ? currentTpl : updateTpl, (useCurrent ? current : update).metadata.name!, ord);
    };

    for (let ord = 0; ord < replicas.length; ord++) {
      let pod = replicas[ord];
      // A failed or finished pod is deleted and made again.
      if (pod && isTerminal(pod) && !pod.metadata.deletionTimestamp) {
        await this.deletePod(sts, pod);
        replicas[ord] = undefined;
        if (ordered) return wait;
        continue;
      }
      if (!pod) {
        pod = await this.createPod(sts, fresh(ord));
        replicas[ord] = pod;
        if (ordered) return wait;
        continue;
      }
      if (pod.metadata.deletionTimestamp) {
        if (ordered) return wait;
        continue;
      }
      if (!isRunningAndReady(pod)) {
        if (ordered) return wait;
        continue;
      }
      const a = podAvailability(pod, minReady);
      if (!a.available) {
        if (a.inMs !== undefined) wait = Math.min(wait ?? Infinity, a.inMs);
        if (ordered) return wait;
      }
    }
    // Scale down: highest ordinal first, one at a time when ordered.
    for (let i = condemned.length - 1; i >= 0; i--) {
      const pod = condemned[i];
      if (pod.metadata.deletionTimestamp) {
        if (ordered) return wait;
        continue;
      }
      // whenScaled: Delete: the claims follow the pod they belong to (the garbage collector deletes them after it).
      if (sts.spec?.persistentVolumeClaimRetentionPolicy?.whenScaled === 'Delete') await this.claimsOwnedBy(sts, pod);
      await this.deletePod(sts, pod);
      if (ordered) return wait;
    }
    if (!rolling) return wait; // OnDelete: pods take the new template when the user deletes them.
    for (let ord = replicas.length - 1; ord >= partition; ord--) {
      const pod = replicas[ord];
      if (!pod) return wait;
      if (pod.metadata.labels?.[REVISION_HASH_LABEL] !== update.metadata.name && !pod.metadata.deletionTimestamp) {
        await this.deletePod(sts, pod);
        return wait;
      }
      if (!isHealthy(pod)) return wait;
    }
    return wait;
  }

  private async createPod(sts: KubeObject, pod: KubeObject): Promise<KubeObject> {
    await this.createClaims(sts, pod);
    try {
      const created = await this.ctx.client.create(refs.pods, pod);
      this.ctx.recorderFor('statefulset-controller').record(sts, 'Normal', 'SuccessfulCreate', `create Pod ${pod.metadata.name} in StatefulSet ${sts.metadata.name} successful`);
      return created;
    } catch (e) {
      if (isAlreadyExists(e) || isNamespaceTerminating(e)) return pod;
      this.ctx.recorderFor('statefulset-controller').record(sts, 'Warning', 'FailedCreate', `create Pod ${pod.metadata.name} in StatefulSet ${sts.metadata.name} failed error: ${(e as Error).message}`);
      throw e;
    }
  }

  /**
   * createPersistentVolumeClaims: each volumeClaimTemplate's claim <template>-<pod>, made before the pod
   * if missing, labelled with the selector's matchLabels (kept when the pod goes: retention Retain).
   */
  private async createClaims(sts: KubeObject, pod: KubeObject): Promise<void> {
    const ns = sts.metadata.namespace;
    for (const vct of sts.spec?.volumeClaimTemplates ?? []) {
      const tpl = vct?.metadata?.name;
      if (!tpl) continue;
      const name = `${tpl}-${pod.metadata.name}`;
      if (await this.ctx.client.tryGet(refs.persistentvolumeclaims, ns, name)) continue;
      const claim: KubeObject = {
        apiVersion: 'v1', kind: 'PersistentVolumeClaim',
        metadata: { name, namespace: ns, labels: { ...(vct.metadata.labels ?? {}), ...(sts.spec?.selector?.matchLabels ?? {}) }, ...(vct.metadata.annotations ? { annotations: { ...vct.metadata.annotations } } : {}) },
        spec: deepCopy(vct.spec ?? {}),
      };
      // persistentVolumeClaimRetentionPolicy whenDeleted: Delete: the claim goes with the StatefulSet (garbage collector).
      if (sts.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete') {
        claim.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: sts.metadata.name!, uid: sts.metadata.uid!, blockOwnerDeletion: true }];
      }
      try {
        await this.ctx.client.create(refs.persistentvolumeclaims, claim);
        this.ctx.recorderFor('statefulset-controller').record(sts, 'Normal', 'SuccessfulCreate', `create Claim ${name} Pod ${pod.metadata.name} in StatefulSet ${sts.metadata.name} success`);
      } catch (e) {
        if (isAlreadyExists(e) || isNamespaceTerminating(e)) continue;
        this.ctx.recorderFor('statefulset-controller').record(sts, 'Warning', 'FailedCreate', `create Claim ${name} for Pod ${pod.metadata.name} in StatefulSet ${sts.metadata.name} failed error: ${(e as Error).message}`);
        throw e;
      }
    }
  }

  /** Makes each of a condemned pod's claims the pod's rather than the StatefulSet's (updateClaimOwnerRefForSetAndPod). */
  private async claimsOwnedBy(sts: KubeObject, pod: KubeObject): Promise<void> {
    for (const vct of sts.spec?.volumeClaimTemplates ?? []) {
      const tpl = vct?.metadata?.name;
      if (!tpl) continue;
      const claim = await this.ctx.client.tryGet(refs.persistentvolumeclaims, sts.metadata.namespace, `${tpl}-${pod.metadata.name}`);
      if (!claim || (claim.metadata.ownerReferences ?? []).some((r: any) => r.uid === pod.metadata.uid)) continue;
      // Owned by the pod alone: the garbage collector deletes an object only once all its owners are gone.
      const others = (claim.metadata.ownerReferences ?? []).filter((r: any) => r.uid !== sts.metadata.uid);
      claim.metadata.ownerReferences = [...others, { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name!, uid: pod.metadata.uid!, blockOwnerDeletion: true }];
      await ignoreStale(this.ctx.client.update(refs.persistentvolumeclaims, claim));
    }
  }

  private async deletePod(sts: KubeObject, pod: KubeObject): Promise<void> {
    await deleteExact(this.ctx.client, refs.pods, pod);
    this.ctx.recorderFor('statefulset-controller').record(sts, 'Normal', 'SuccessfulDelete', `delete Pod ${pod.metadata.name} in StatefulSet ${sts.metadata.name} successful`);
  }

  private async writeStatus(sts: KubeObject, pods: (KubeObject | undefined)[], current: KubeObject, update: KubeObject): Promise<void> {
    const minReady = sts.spec?.minReadySeconds ?? 0;
    let replicas = 0, ready = 0, available = 0, currentReplicas = 0, updated = 0;
    for (const p of pods) {
      if (!p || !p.metadata.uid) continue; // not created yet (or just now, not seen)
      replicas++;
      if (isRunningAndReady(p)) {
        ready++;
        if (isPodAvailable(p, minReady)) available++;
      }
      if (p.metadata.deletionTimestamp) continue;
      const rev = p.metadata.labels?.[REVISION_HASH_LABEL];
      if (rev === current.metadata.name) currentReplicas++;
      if (rev === update.metadata.name) updated++;
    }
    const status: any = {
      ...(sts.status ?? {}),
      observedGeneration: sts.metadata.generation,
      replicas, readyReplicas: ready, currentReplicas, updatedReplicas: updated, availableReplicas: available,
      currentRevision: current.metadata.name, updateRevision: update.metadata.name,
      collisionCount: sts.status?.collisionCount ?? 0,
    };
    // A finished rolling update: the update revision becomes the current one.
    const rolling = (sts.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
    if (rolling && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas && status.replicas === (sts.spec?.replicas ?? 1)) {
      status.currentRevision = status.updateRevision;
      status.currentReplicas = status.updatedReplicas;
    }
    // As the API omits them when zero.
    for (const k of ['readyReplicas', 'updatedReplicas', 'currentReplicas']) if (!status[k]) delete status[k];
    if (!deepEqual(status, sts.status ?? {})) {
      await ignoreStale(this.ctx.client.updateStatus(refs.statefulsets, { ...sts, status }));
    }
  }
}
