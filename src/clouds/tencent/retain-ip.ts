// Fixed pod IPs (Tencent EKS `eks.tke.cloud.tencent.com/retain-ip: "true"`,
// see docs/tencent/retain-ip.md): when such a pod goes, its ENI is kept for
// `retain-ip-hours` (default 48) instead of being freed, and a pod recreated
// with the same name and namespace (a StatefulSet pod) on the same subnet
// gets the same address back. After the window the ENI is released.
//
// The retained addresses are recorded in ConfigMap kube-system/
// nodeless-retained-pod-ips (one key per pod, `<namespace>.<name>`), so they
// survive a restart of nodeless and can be inspected with kubectl.
import type { KubeObject } from '../../api/types.js';
import type { Client } from '../../client/types.js';
import { ApiError, refs } from '../../client/types.js';
import type { Cloud } from '../../cloud/cloud.js';
import type { Eni } from '../../cloud/types.js';

export const RETAIN_IP = 'eks.tke.cloud.tencent.com/retain-ip';
export const RETAIN_IP_HOURS = 'eks.tke.cloud.tencent.com/retain-ip-hours';
export const DEFAULT_RETAIN_HOURS = 48;
export const RETAINED_CONFIGMAP = { namespace: 'kube-system', name: 'nodeless-retained-pod-ips' } as const;

/** One retained address, as stored in the ConfigMap. */
export interface Retained {
  eni: string;
  ip: string;
  subnet: string;
  /** The uid of the pod that had it (the ENI still carries it). */
  uid: string;
  /** When the ENI is released if no pod of that name came back. */
  until: string;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export class RetainedIps {
  private readonly entries = new Map<string, Retained>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Pod uid → hours to keep its IP; learnt at allocation, because a release may see only the uid. */
  private readonly wanted = new Map<string, number>();
  private writes: Promise<unknown> = Promise.resolve();
  /** Length of an "hour" (tests shorten it to watch the window end: NODELESS_RETAIN_IP_HOUR_MS). */
  private readonly hourMs = Number(process.env.NODELESS_RETAIN_IP_HOUR_MS) || 3_600_000;

  constructor(private readonly cloud: Cloud, private readonly client: Client) {}

  /** Reads what an earlier run retained; drops records whose ENI is gone, expires the overdue. */
  async load(): Promise<void> {
    const cm = await this.client.tryGet(refs.configmaps, RETAINED_CONFIGMAP.namespace, RETAINED_CONFIGMAP.name);
    for (const [key, v] of Object.entries<string>(cm?.data ?? {})) {
      let r: Retained | undefined;
      try { r = JSON.parse(v); } catch { r = undefined; }
      if (!r || !this.held(r)) { this.persist(key, null); continue; }
      this.entries.set(key, r);
      this.schedule(key, r);
    }
  }

  /** Every allocation tells us whether the pod wants its IP kept. */
  note(pod: KubeObject): void {
    const uid = pod.metadata.uid;
    if (!uid) return;
    const a = pod.metadata.annotations ?? {};
    if (a[RETAIN_IP] !== 'true') { this.wanted.delete(uid); return; }
    const h = Number(a[RETAIN_IP_HOURS]);
    this.wanted.set(uid, Number.isInteger(h) && h > 0 ? h : DEFAULT_RETAIN_HOURS);
  }

  /** Whether the ENI is being kept for a pod name (its pod's late release calls must leave it alone). */
  isRetained(eniId: string): boolean {
    for (const r of this.entries.values()) if (r.eni === eniId) return true;
    return false;
  }

  /** The pod is gone: keep its ENI for its name instead of freeing it. False when the pod did not ask. */
  keep(pod: KubeObject, eni: Eni): boolean {
    const uid = pod.metadata.uid!;
    const hours = this.wanted.get(uid);
    if (hours === undefined) return false;
    this.wanted.delete(uid);
    const key = keyOf(pod.metadata.namespace!, pod.metadata.name!);
    // A pod of the same name that came back elsewhere and left again: the older address is not coming back.
    const prev = this.entries.get(key);
    if (prev && prev.eni !== eni.id) void this.free(prev);
    const r: Retained = { eni: eni.id, ip: eni.primaryIp, subnet: eni.subnetId, uid, until: new Date(Date.now() + hours * this.hourMs).toISOString() };
    this.entries.set(key, r);
    this.schedule(key, r);
    this.persist(key, r);
    return true;
  }

  /** Hands over the address retained for this pod name on `subnetId`, if any (synchronously, so nobody else takes it). */
  take(namespace: string, name: string, subnetId: string): Retained | undefined {
    const key = keyOf(namespace, name);
    const r = this.entries.get(key);
    if (!r || r.subnet !== subnetId || !this.held(r)) return undefined;
    this.forget(key);
    return r;
  }

  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private held(r: Retained): boolean {
    let e: Eni;
    try { e = this.cloud.enis.get(r.eni); } catch { return false; }
    return e.attachedTo.type === 'pod' && e.attachedTo.uid === r.uid;
  }

  private schedule(key: string, r: Retained): void {
    clearTimeout(this.timers.get(key));
    const left = Math.max(0, Date.parse(r.until) - Date.now());
    this.timers.set(key, setTimeout(() => void this.expire(key, r), Math.min(left, MAX_TIMER_MS)).unref());
  }

  private async expire(key: string, r: Retained): Promise<void> {
    if (this.entries.get(key) !== r) return;
    if (Date.now() < Date.parse(r.until)) return this.schedule(key, r); // a window longer than one timer
    this.forget(key);
    await this.free(r);
  }

  private forget(key: string): void {
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.entries.delete(key);
    this.persist(key, null);
  }

  private async free(r: Retained): Promise<void> {
    if (!this.held(r)) return;
    await this.cloud.releaseEni(r.eni).catch((e) => console.error(`retain-ip: releasing ${r.eni} (${r.ip}): ${(e as Error).message}`));
  }

  /** Writes one key (null deletes it), in order; the ConfigMap is made on first use. */
  private persist(key: string, r: Retained | null): void {
    const { namespace, name } = RETAINED_CONFIGMAP;
    const value = r ? JSON.stringify(r) : null;
    this.writes = this.writes.then(async () => {
      try {
        await this.client.patch(refs.configmaps, namespace, name, 'merge', { data: { [key]: value } });
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
        if (value === null) return;
        await this.client.create(refs.configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { [key]: value } });
      }
    }).catch((e) => console.error(`retain-ip: recording ${key}: ${(e as Error).message}`));
  }
}

/** ConfigMap keys allow dots; namespaces have none, so `<namespace>.<name>` is unambiguous. */
const keyOf = (namespace: string, name: string) => `${namespace}.${name}`;
