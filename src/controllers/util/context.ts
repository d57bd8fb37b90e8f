// What every workload controller shares: one informer per resource (so 10k
// pods are cached once, not once per controller), the event recorder, and
// the tunables tests shrink.
import type { KubeObject } from '../../api/types.js';
import type { Client, ResourceRef } from '../../client/types.js';
import { ApiError } from '../../client/types.js';
import { Informer } from '../../client/cache/informer.js';
import { SharedInformers } from '../../client/cache/shared.js';
import { EventRecorder } from '../../client/record/events.js';
import { controllerOf } from './pods.js';
import type { TokenIssuer } from '../../apiserver/auth/serviceaccount.js';
import type { Clock } from '../../util/clock.js';

export interface ControllerOptions {
  /** Namespaced resource types the namespace controller empties and the garbage collector watches. */
  namespacedRefs?: () => ResourceRef[];
  /** Job pod-failure back-off base in ms (Kubernetes: 10s, doubling, capped at 6m). */
  jobBackoffBaseMs?: number;
  /** The cluster's shared informers (else the controllers get their own). */
  informers?: SharedInformers;
  /**
   * The cluster CA and token issuer (kube-controller-manager's --root-ca-file, --cluster-signing-*-file,
   * --service-account-private-key-file): with them run the root CA publisher, the legacy token
   * controller and the CSR signer.
   */
  credentials?: { rootCA: string; caKey: string; tokenIssuer: TokenIssuer };
  /** The time of the controllers written on client/controller.ts (CronJob…): tests pass a FakeClock. */
  clock?: Clock;
  /** kube-controller-manager's --terminated-pod-gc-threshold (default 12500; 0: no limit). */
  terminatedPodGCThreshold?: number;
  /**
   * The client a controller acts through, by its ServiceAccount name in kube-system
   * (kube-controller-manager's --use-service-account-credentials: `replicaset-controller`…);
   * by default every controller uses the context's client.
   */
  clientFor?: (serviceAccount: string) => Client;
}

export class ControllerContext {
  private readonly informers: SharedInformers;
  private readonly ownInformers: boolean;
  private indexed = new Set<string>();
  readonly recorder: EventRecorder;
  private readonly recorders = new Map<string, EventRecorder>();

  constructor(readonly client: Client, readonly opts: ControllerOptions = {}, private readonly component = 'kube-controller-manager') {
    this.recorder = new EventRecorder(client, { component });
    this.ownInformers = !opts.informers;
    this.informers = opts.informers ?? new SharedInformers(client);
  }

  /**
   * The recorder of one of kube-controller-manager's controllers, whose name its
   * events carry as their source (`replicaset-controller`, `replication-controller`…),
   * as `kubectl describe` shows them under From.
   */
  recorderFor(component: string): EventRecorder {
    let r = this.recorders.get(component);
    if (!r) this.recorders.set(component, (r = new EventRecorder(this.client, { component })));
    return r;
  }

  /** The client of a controller's ServiceAccount (the context's own without `clientFor`). */
  clientAs(serviceAccount: string): Client {
    return this.opts.clientFor?.(serviceAccount) ?? this.client;
  }

  /**
   * The context one controller works in: the same informers and indexes, its own client (its
   * ServiceAccount's identity, `clientFor`) and event recorders.
   */
  forController(serviceAccount: string): ControllerContext {
    if (!this.opts.clientFor) return this;
    const client = this.clientAs(serviceAccount);
    const child = Object.create(this) as ControllerContext;
    Object.defineProperty(child, 'client', { value: client });
    Object.defineProperty(child, 'recorder', { value: new EventRecorder(client, { component: this.component }) });
    // Its recorders (recorderFor) write as it too.
    Object.defineProperty(child, 'recorders', { value: new Map<string, EventRecorder>() });
    return child;
  }

  /**
   * The informers every controller shares. They list and watch with the context's own client, as
   * kube-controller-manager's shared informer factory uses its root credentials, whatever account
   * each controller then writes as.
   */
  get shared(): SharedInformers {
    return this.informers;
  }

  /** The shared informer of a resource (started on first use). */
  informer<T extends KubeObject = KubeObject>(ref: ResourceRef): Informer<T> {
    return this.informers.informer<T>(ref);
  }

  /** Adds a named index once, however many controllers ask for it. */
  index<T extends KubeObject>(inf: Informer<T>, name: string, fn: (o: T) => string[]): void {
    const k = `${inf.ref.apiVersion}/${inf.ref.resource}#${name}`;
    if (this.indexed.has(k)) return;
    this.indexed.add(k);
    inf.addIndex(name, fn);
  }

  /** Index 'controller': the controller uid, or `orphan/<namespace>` for objects nobody controls. */
  byController<T extends KubeObject>(inf: Informer<T>): Informer<T> {
    this.index(inf, 'controller', (o) => {
      const c = controllerOf(o);
      return [c ? c.uid : `orphan/${o.metadata.namespace ?? ''}`];
    });
    return inf;
  }

  stop(): void {
    for (const r of this.recorders.values()) r.stop();
    if (this.ownInformers) this.informers.stop();
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof ApiError && e.code === 404;
export const isConflict = (e: unknown): boolean => e instanceof ApiError && e.code === 409;
export const isAlreadyExists = (e: unknown): boolean => e instanceof ApiError && e.code === 409 && e.reason === 'AlreadyExists';

/** A create refused because the namespace is being deleted: nothing to report, the owner goes too. */
export const isNamespaceTerminating = (e: unknown): boolean =>
  e instanceof ApiError && e.code === 403 && /because it is being terminated/.test(e.message);

/** Ignores 404: the object is already gone, which is what the caller wanted. */
export async function ignoreNotFound<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/**
 * For status writes from a cached copy: a 409 means a newer version is on its
 * way to the informer, which will queue the object again; a 404 means it is gone.
 */
export async function ignoreStale<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (isNotFound(e) || isConflict(e)) return undefined;
    throw e;
  }
}

/**
 * Runs `fn` `count` times in growing batches (1, 2, 4, …) and stops at the
 * first batch with a failure, like the ReplicaSet controller's slowStartBatch:
 * a quota refusal costs one call, not thousands. Returns successes and the first error.
 */
export async function slowStartBatch(count: number, fn: () => Promise<void>, initial = 1): Promise<{ ok: number; error?: unknown }> {
  let remaining = count;
  let ok = 0;
  for (let batch = Math.min(remaining, initial); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
    ok += results.filter((r) => r.status === 'fulfilled').length;
    if (failed) return { ok, error: failed.reason };
    remaining -= batch;
  }
  return { ok };
}

/**
 * Deletes an object only if it is still the one we decided about (uid
 * precondition). A concurrent write may surface as a conflict: try again.
 */
export async function deleteExact(client: Client, ref: ResourceRef, o: KubeObject, opts: { propagationPolicy?: 'Background' | 'Foreground' | 'Orphan' } = {}): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await client.delete(ref, o.metadata.namespace, o.metadata.name!, { ...opts, preconditions: { uid: o.metadata.uid } });
      return;
    } catch (e) {
      if (isNotFound(e)) return;
      // A uid precondition that failed means the name is someone else's now: not ours to delete.
      if (e instanceof ApiError && e.code === 409 && /Precondition failed: UID/.test(e.message)) return;
      const conflict = (e instanceof ApiError && e.code === 409) || (e as { code?: string })?.code === 'Conflict';
      if (!conflict || attempt >= 4) throw e;
    }
  }
}

/** Splits a `namespace/name` work-queue key. */
export function splitKey(key: string): [string | undefined, string] {
  const i = key.indexOf('/');
  return i < 0 ? [undefined, key] : [key.slice(0, i), key.slice(i + 1)];
}

/**
 * Writes that the informer has not shown yet, per owner: pod creates and
 * deletes in flight, so a quick second sync does not double them (what
 * client-go's "expectations" are for). Entries expire, as expectations do.
 */
/** Records `name` now, at the back of the map (a name seen again moves back, keeping the map in time order). */
function add(m: Map<string, number>, name: string): void {
  m.delete(name);
  m.set(name, Date.now());
}

export class Pending {
  private creates = new Map<string, Map<string, number>>();
  private deletes = new Map<string, Map<string, number>>();
  constructor(private ttlMs = 60_000) {}

  private live(m: Map<string, Map<string, number>>, owner: string): Map<string, number> {
    let s = m.get(owner);
    if (!s) m.set(owner, (s = new Map()));
    // Entries go in in time order, so the expired ones are at the front: stop at the first live one
    // (a sweep of the whole map on every call was quadratic in a burst of 500 creates).
    const now = Date.now();
    for (const [k, t] of s) {
      if (now - t <= this.ttlMs) break;
      s.delete(k);
    }
    return s;
  }

  created(owner: string, name: string): void { add(this.live(this.creates, owner), name); }
  deleted(owner: string, name: string): void { add(this.live(this.deletes, owner), name); }
  /** Called from informer handlers: the cache now shows the object (or its deletion). */
  observedCreate(owner: string, name: string): void { this.creates.get(owner)?.delete(name); }
  observedDelete(owner: string, name: string): void { this.deletes.get(owner)?.delete(name); }
  pendingCreates(owner: string): number { return this.live(this.creates, owner).size; }
  isDeleting(owner: string, name: string): boolean { return this.live(this.deletes, owner).has(name); }
  forget(owner: string): void { this.creates.delete(owner); this.deletes.delete(owner); }
}
