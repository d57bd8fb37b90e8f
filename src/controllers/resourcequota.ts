// The resource quota controller, as kube-controller-manager's
// (pkg/controller/resourcequota/resource_quota_controller.go): it keeps each
// ResourceQuota's status — `hard` as its spec says, `used` as counted from
// what is stored (src/api/quota.ts, the evaluators the ResourceQuota admission
// plugin charges with). A quota is counted when it is made or its spec.hard
// changes, when something it counts is deleted or stops counting (a pod that
// finished, a service that changed type, a claim that grew), and every
// resync period for all quotas (--resource-quota-sync-period, 5 minutes).
// Its own status writes and the admission plugin's do not queue it again.
import type { KubeObject } from '../api/types.js';
import { parseResourceList, resourceListObject } from '../api/quantity.js';
import { addLists, countedResources, equalLists, mask, quotaEvaluator, quotaScopes, type ResourceList } from '../api/quota.js';
import { Controller, type ControllerOptions } from '../client/controller.js';
import type { Informer } from '../client/cache/informer.js';
import { keyOf } from '../client/cache/informer.js';
import type { Client, ResourceRef } from '../client/types.js';
import { isConflict, isNotFound, splitKey } from './util/context.js';
import type { ClockTimer } from '../util/clock.js';

/** --resource-quota-sync-period's default. */
export const QUOTA_RESYNC_MS = 5 * 60 * 1000;

const QUOTAS: ResourceRef = { apiVersion: 'v1', resource: 'resourcequotas' };

export interface ResourceQuotaControllerOptions extends ControllerOptions {
  /** The shared informer of a resource (the cluster's SharedInformers). */
  informer: (ref: ResourceRef) => Informer;
  /** The served version of a namespaced group-resource, undefined when it is not served. */
  resolve: (group: string, resource: string) => ResourceRef | undefined;
  /** The full resync period (default 5 minutes). */
  resyncMs?: number;
}

export class ResourceQuotaController extends Controller {
  private readonly quotas: Informer;
  /** The kinds whose changes are watched for replenishment, by apiVersion/resource. */
  private readonly watched = new Set<string>();
  private resyncTimer: ClockTimer | undefined;
  private stopped = false;

  constructor(private readonly client: Client, private readonly opts: ResourceQuotaControllerOptions) {
    super('resourcequota-controller', opts);
    this.quotas = opts.informer(QUOTAS);
    this.quotas.on({
      add: (q) => this.addQuota(q),
      // Only a change of spec.hard (or a status nobody filled) is work: status writes come from here and from admission.
      update: (old, cur) => {
        if (!sameHard(old.spec?.hard, cur.spec?.hard) || !cur.status?.hard) this.addQuota(cur);
      },
      delete: () => undefined,
    });
  }

  async start(workers = 2): Promise<void> {
    await this.quotas.hasSynced();
    for (const q of this.quotas.list()) this.addQuota(q);
    this.runWorkers(workers);
    this.scheduleResync();
  }

  /** Queues a quota and makes sure what it counts is watched. */
  private addQuota(q: KubeObject): void {
    this.watchCounted(q);
    this.queue.add(keyOf(q));
  }

  /** Every quota of a namespace (replenishment: something they may count changed there). */
  private enqueueNamespace(ns: string | undefined): void {
    for (const q of this.quotas.list(ns)) this.queue.add(keyOf(q));
  }

  /** Replenishment informers for the kinds a quota counts (pods, services, claims, count/<resource>.<group>). */
  private watchCounted(q: KubeObject): void {
    for (const { group, resource } of countedResources(Object.keys(q.spec?.hard ?? {}))) {
      const ref = this.opts.resolve(group, resource);
      if (!ref) continue;
      const k = `${ref.apiVersion}/${ref.resource}`;
      if (this.watched.has(k)) continue;
      this.watched.add(k);
      const inf = this.opts.informer(ref);
      const ev = quotaEvaluator(group, resource);
      inf.on({
        // Creates are charged by admission.
        add: () => undefined,
        // An update that lowers usage (a pod that finished or is being deleted, a service's type) frees quota.
        update: (old, cur) => {
          if (!ev) return;
          const now = this.clock.now();
          if (!equalLists(ev.usage(old, now), ev.usage(cur, now))) this.enqueueNamespace(cur.metadata.namespace);
        },
        delete: (o) => this.enqueueNamespace(o.metadata.namespace),
      });
    }
  }

  private scheduleResync(): void {
    if (this.stopped) return;
    this.resyncTimer = this.clock.setTimeout(() => {
      for (const q of this.quotas.list()) this.queue.add(keyOf(q));
      this.scheduleResync();
    }, this.opts.resyncMs ?? QUOTA_RESYNC_MS);
  }

  /** syncResourceQuota: status.hard from spec.hard, status.used counted anew for every hard resource. */
  async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    // The stored quota, not the cache: admission may have charged it a moment ago.
    const q = await this.client.tryGet(QUOTAS, ns, name);
    if (!q) return;
    const hard = parseResourceList(q.spec?.hard);
    const hardNames = [...hard.keys()];
    let used: ResourceList = parseResourceList(q.status?.used);
    const scopes = quotaScopes(q);
    const now = this.clock.now();
    for (const { group, resource } of countedResources(hardNames)) {
      const ev = quotaEvaluator(group, resource);
      const ref = this.opts.resolve(group, resource);
      if (!ev || !ref) continue;
      const names = ev.matchingResources(hardNames);
      if (names.length === 0) continue;
      // CalculateUsageStats: each tracked name from zero, each object in every scope added.
      let sum: ResourceList = new Map(names.map((n) => [n, { nano: 0n, format: 'DecimalSI' as const }]));
      for (const o of (await this.client.list(ref, { namespace: ns })).items) {
        if (scopes.every((s) => ev.matchesScope(s, o))) sum = addLists(sum, ev.usage(o, now));
      }
      for (const [k, v] of mask(sum, names)) used.set(k, v);
    }
    used = mask(used, hardNames);
    const status = { hard: resourceListObject(hard), used: resourceListObject(used) };
    if (sameStatus(q.status, status)) return;
    try {
      await this.client.updateStatus(QUOTAS, { ...q, status });
    } catch (e) {
      // Admission charged it meanwhile: count again from the new version.
      if (isConflict(e)) return void this.queue.add(key);
      if (isNotFound(e)) return;
      throw e;
    }
  }

  override stop(): void {
    this.stopped = true;
    this.resyncTimer?.stop();
    super.stop();
  }
}

function sameHard(a: unknown, b: unknown): boolean {
  return equalLists(parseResourceList(a), parseResourceList(b));
}

function sameStatus(cur: any, next: { hard: Record<string, string>; used: Record<string, string> }): boolean {
  const same = (x: unknown, y: Record<string, string>) => {
    if (!x || typeof x !== 'object') return false;
    const keys = Object.keys(x);
    return keys.length === Object.keys(y).length && keys.every((k) => (x as Record<string, unknown>)[k] === y[k]);
  };
  return same(cur?.hard, next.hard) && same(cur?.used, next.used);
}
