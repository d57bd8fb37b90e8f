// The garbage collector: objects whose owners are all gone are deleted
// (background); an owner deleted with propagationPolicy Foreground (finalizer
// `foregroundDeletion`) loses its dependents first and goes once none that
// blocks it is left; with Orphan (finalizer `orphan`) its dependents merely
// lose their ownerReference to it. The object graph comes from the shared
// informers of every watched resource: an owner is found from its reference
// (kind and name, then the uid must match), dependents through an index of
// owner uids. That index is split in two, the controller's uid (an index the
// workload controllers keep anyway) and the other owners' uids, so 10k pods of
// one ReplicaSet sit in one bucket, not two.
import type { KubeObject, OwnerReference } from '../api/types.js';
import type { ResourceRef } from '../client/types.js';
import { refs } from '../client/types.js';
import { type Informer } from '../client/cache/informer.js';
import { WorkQueue } from '../client/workqueue/queue.js';
import { ControllerContext, deleteExact, ignoreNotFound, isNotFound } from './util/context.js';
import { controllerOf } from './util/pods.js';

const FOREGROUND = 'foregroundDeletion';
const ORPHAN = 'orphan';

const refKey = (r: ResourceRef) => `${r.apiVersion}/${r.resource}`;

/** Owner kinds the GC knows before it has seen one (it learns the rest from its informers). */
const KNOWN_KINDS: Record<string, ResourceRef> = {
  'apps/v1/Deployment': refs.deployments, 'apps/v1/ReplicaSet': refs.replicasets, 'apps/v1/StatefulSet': refs.statefulsets,
  'apps/v1/DaemonSet': refs.daemonsets, 'apps/v1/ControllerRevision': refs.controllerrevisions, 'batch/v1/Job': refs.jobs, 'batch/v1/CronJob': refs.cronjobs,
  'v1/ReplicationController': refs.replicationcontrollers,
  'v1/Pod': refs.pods, 'v1/Node': refs.nodes, 'v1/Service': refs.services, 'v1/ConfigMap': refs.configmaps, 'v1/Secret': refs.secrets,
  'v1/ServiceAccount': refs.serviceaccounts, 'v1/Namespace': refs.namespaces, 'v1/Endpoints': refs.endpoints,
  'policy/v1/PodDisruptionBudget': refs.poddisruptionbudgets,
};

/** The resources the GC watches by default: the namespaced built-ins plus nodes (which own leases). */
export function defaultNamespacedRefs(): ResourceRef[] {
  return [refs.pods, refs.services, refs.endpoints, refs.configmaps, refs.secrets, refs.serviceaccounts, refs.deployments, refs.replicasets,
    refs.statefulsets, refs.daemonsets, refs.controllerrevisions, refs.jobs, refs.cronjobs, refs.replicationcontrollers, refs.leases, refs.poddisruptionbudgets, refs.events];
}

export class GarbageCollector {
  private queue = new WorkQueue({ name: 'garbage-collector-controller' });
  private informers = new Map<string, Informer>();
  private kinds = new Map<string, ResourceRef>(Object.entries(KNOWN_KINDS));

  constructor(private ctx: ControllerContext, private watched: () => ResourceRef[]) {
    this.refresh();
    // Custom resources served later (a new CRD) get watched too.
    ctx.informer(refs.crds).on({ add: () => this.refreshSoon(), update: () => this.refreshSoon() });
  }

  private refreshTimer?: NodeJS.Timeout;
  private refreshSoon(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.refresh();
    }, 200);
  }

  private refresh(): void {
    // Events never own anything and are never owned by controllers here: not worth caching.
    for (const ref of [...this.watched().filter((r) => r.resource !== 'events'), refs.nodes]) this.watch(ref);
  }

  private watch(ref: ResourceRef): void {
    const k = refKey(ref);
    if (this.informers.has(k)) return;
    const inf = this.ctx.byController(this.ctx.informer(ref));
    this.ctx.index(inf, 'other-owners', (o) => {
      const refs = o.metadata.ownerReferences;
      if (!refs?.length) return [];
      const c = controllerOf(o);
      return refs.filter((r) => r !== c).map((r) => r.uid);
    });
    this.informers.set(k, inf);
    const seen = (o: KubeObject) => {
      if (o.kind && o.apiVersion) this.kinds.set(`${o.apiVersion}/${o.kind}`, ref);
      this.check(ref, o);
    };
    inf.on({
      add: seen,
      update: (_old, o) => seen(o),
      delete: (o) => {
        // Its dependents may be orphans now; an owner waiting on it may be free to go.
        for (const d of this.dependentsOf(o.metadata.uid!)) this.queue.add(this.key('dep', d.ref, d.obj));
        for (const r of o.metadata.ownerReferences ?? []) {
          const owner = this.ownerOf(o, r);
          if (owner?.obj.metadata.deletionTimestamp) this.queue.add(this.key('owner', owner.ref, owner.obj));
        }
      },
    });
  }

  async run(): Promise<void> {
    // A type that is not served never syncs: do not wait for it forever.
    await Promise.race([Promise.all([...this.informers.values()].map((i) => i.hasSynced())), new Promise((r) => setTimeout(r, 10_000).unref())]);
    // Anything that looked orphaned before every cache was full gets a look now.
    for (const [k, inf] of this.informers) {
      const ref = this.refOf(k);
      for (const o of inf.list()) this.check(ref, o, true);
    }
    this.queue.run((k) => this.process(k), 4);
  }

  stop(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.queue.stop();
  }

  private refOf(k: string): ResourceRef {
    const i = k.lastIndexOf('/');
    return { apiVersion: k.slice(0, i), resource: k.slice(i + 1) };
  }

  private key(kind: 'dep' | 'owner', ref: ResourceRef, o: KubeObject): string {
    return [kind, refKey(ref), o.metadata.namespace ?? '', o.metadata.name].join('\t');
  }

  /** The owner `r` names, from the caches: same kind and name, in the dependent's namespace or cluster-wide, and the same uid. */
  private ownerOf(dep: KubeObject, r: OwnerReference): { ref: ResourceRef; obj: KubeObject } | undefined {
    const ref = this.kinds.get(`${r.apiVersion}/${r.kind}`);
    const inf = ref && this.informers.get(refKey(ref));
    if (!inf) return undefined;
    const o = (dep.metadata.namespace ? inf.get(dep.metadata.namespace, r.name) : undefined) ?? inf.get(undefined, r.name);
    return o && o.metadata.uid === r.uid ? { ref, obj: o } : undefined;
  }

  private dependentsOf(uid: string): { ref: ResourceRef; obj: KubeObject }[] {
    const out: { ref: ResourceRef; obj: KubeObject }[] = [];
    for (const [k, inf] of this.informers) {
      const ref = this.refOf(k);
      for (const o of inf.byIndex('controller', uid)) out.push({ ref, obj: o });
      for (const o of inf.byIndex('other-owners', uid)) out.push({ ref, obj: o });
    }
    return out;
  }

  /** Cheap test from the caches, run on every change: queue only what may need work. */
  private check(ref: ResourceRef, o: KubeObject, force = false): void {
    const m = o.metadata;
    if (m.deletionTimestamp && (m.finalizers ?? []).some((f) => f === FOREGROUND || f === ORPHAN)) this.queue.add(this.key('owner', ref, o));
    const owners = m.ownerReferences ?? [];
    if (!owners.length) return;
    for (const r of owners) {
      const owner = this.ownerOf(o, r);
      if (!owner || (owner.obj.metadata.deletionTimestamp && owner.obj.metadata.finalizers?.includes(FOREGROUND))) {
        if (owner || force || this.kinds.has(`${r.apiVersion}/${r.kind}`)) this.queue.add(this.key('dep', ref, o));
        return;
      }
    }
  }

  private async process(key: string): Promise<void> {
    const [kind, rk, ns, name] = key.split('\t');
    const ref = this.refOf(rk);
    const o = this.informers.get(rk)?.get(ns || undefined, name);
    if (!o) return;
    if (kind === 'owner') return this.processOwner(ref, o);
    return this.processDependent(ref, o);
  }

  /** Is the owner there (same uid)? The cache says first; absence is confirmed with a live read. */
  private async ownerState(dep: KubeObject, r: OwnerReference): Promise<'solid' | 'dangling' | 'waiting'> {
    const cached = this.ownerOf(dep, r)?.obj;
    const waiting = (o: KubeObject) => !!o.metadata.deletionTimestamp && !!o.metadata.finalizers?.includes(FOREGROUND);
    if (cached) return waiting(cached) ? 'waiting' : 'solid';
    const ref = this.kinds.get(`${r.apiVersion}/${r.kind}`);
    if (!ref) return 'solid'; // a kind we cannot look up: never delete on a guess
    const clusterScoped = ref.resource === 'nodes' || ref.resource === 'namespaces' || ref.resource === 'customresourcedefinitions';
    try {
      const live = await this.ctx.client.get(ref, clusterScoped ? undefined : dep.metadata.namespace, r.name);
      if (live.metadata.uid !== r.uid) return 'dangling';
      return waiting(live) ? 'waiting' : 'solid';
    } catch (e) {
      if (isNotFound(e)) return 'dangling';
      throw e;
    }
  }

  private async processDependent(ref: ResourceRef, o: KubeObject): Promise<void> {
    if (o.metadata.deletionTimestamp && !o.metadata.finalizers?.some((f) => f === FOREGROUND || f === ORPHAN)) return;
    const owners = o.metadata.ownerReferences ?? [];
    if (!owners.length) return;
    const states = await Promise.all(owners.map((r) => this.ownerState(o, r)));
    const solid = owners.filter((_, i) => states[i] === 'solid');
    if (solid.length === owners.length) return;
    if (solid.length) {
      // Still owned by someone: just drop the references to owners that are gone or waiting.
      await ignoreNotFound(this.ctx.client.patch(ref, o.metadata.namespace, o.metadata.name!, 'merge', { metadata: { ownerReferences: solid } }));
      return;
    }
    if (o.metadata.deletionTimestamp) return;
    const fin = o.metadata.finalizers ?? [];
    const waiting = states.includes('waiting');
    // Dependents of a foreground deletion that have dependents themselves go in the foreground too.
    const policy = fin.includes(ORPHAN) ? 'Orphan' : fin.includes(FOREGROUND) || (waiting && this.dependentsOf(o.metadata.uid!).length) ? 'Foreground' : 'Background';
    await deleteExact(this.ctx.client, ref, o, { propagationPolicy: policy });
  }

  private async processOwner(ref: ResourceRef, o: KubeObject): Promise<void> {
    const m = o.metadata;
    if (!m.deletionTimestamp) return;
    const fin = m.finalizers ?? [];
    const uid = m.uid!;
    if (fin.includes(ORPHAN)) {
      for (const d of this.dependentsOf(uid)) {
        const rest = (d.obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
        await ignoreNotFound(this.ctx.client.patch(d.ref, d.obj.metadata.namespace, d.obj.metadata.name!, 'merge', { metadata: { ownerReferences: rest.length ? rest : null } }));
      }
      await this.removeFinalizer(ref, o, ORPHAN);
      return;
    }
    if (fin.includes(FOREGROUND)) {
      const deps = this.dependentsOf(uid);
      for (const d of deps) if (!d.obj.metadata.deletionTimestamp) this.queue.add(this.key('dep', d.ref, d.obj));
      const blocking = deps.filter((d) => (d.obj.metadata.ownerReferences ?? []).some((r) => r.uid === uid && r.blockOwnerDeletion));
      if (blocking.length === 0) await this.removeFinalizer(ref, o, FOREGROUND);
    }
  }

  private async removeFinalizer(ref: ResourceRef, o: KubeObject, f: string): Promise<void> {
    const fresh = await ignoreNotFound(this.ctx.client.get(ref, o.metadata.namespace, o.metadata.name!));
    if (!fresh || fresh.metadata.uid !== o.metadata.uid) return;
    const rest = (fresh.metadata.finalizers ?? []).filter((x) => x !== f);
    if (rest.length === (fresh.metadata.finalizers ?? []).length) return;
    await ignoreNotFound(this.ctx.client.patch(ref, o.metadata.namespace, o.metadata.name!, 'merge', { metadata: { finalizers: rest.length ? rest : null } }));
  }
}
