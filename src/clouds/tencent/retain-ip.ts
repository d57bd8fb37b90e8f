// Fixed pod IPs (Tencent EKS `eks.tke.cloud.tencent.com/retain-ip: "true"`,
// see docs/tencent/retain-ip.md): when such a pod goes, its ENI is kept for
// `retain-ip-hours` (default 48) instead of being freed, and a pod recreated
// with the same name and namespace (a StatefulSet pod) on the same subnet
// gets the same address back. After the window the ENI is released.
//
// The retained addresses are recorded in ConfigMap kube-system/
// nodeless-retained-pod-ips (one key per pod, `<namespace>.<name>`), so they
// survive a restart of nodeless and can be inspected with kubectl. This file
// holds the product's rules and the book of kept addresses; the control loop
// that expires them and keeps the ConfigMap in step is
// src/controllers/retainip.ts.
import type { KubeObject } from '../../api/types.js';
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

/**
 * The book of retained addresses: which ENI is kept for which pod name, and
 * until when. Synchronous, so a pod's network hands an address over in one
 * turn. What changes with time or needs the API (expiry, freeing the ENI,
 * recording in the ConfigMap) is the retain-ip controller's
 * (src/controllers/retainip.ts), told of every change through onChange.
 */
export class RetainedIps {
  private readonly entries = new Map<string, Retained>();
  /** Pod uid → hours to keep its IP; learnt at allocation, because a release may see only the uid. */
  private readonly wanted = new Map<string, number>();
  /** Per key: addresses kept earlier that are not coming back and must be freed. */
  private readonly stale = new Map<string, Retained[]>();
  private readonly listeners = new Set<(key: string) => void>();
  /** Length of an "hour" (tests shorten it to watch the window end: NODELESS_RETAIN_IP_HOUR_MS). */
  readonly hourMs = Number(process.env.NODELESS_RETAIN_IP_HOUR_MS) || 3_600_000;

  /** `now`: the clock windows are measured on (the controller's). */
  constructor(private readonly cloud: Cloud, private readonly now: () => number = Date.now) {}

  /** Takes in what an earlier run recorded (the ConfigMap's data); a record whose ENI is gone is dropped. Returns the keys read. */
  load(data: Readonly<Record<string, string>>): string[] {
    const keys = Object.keys(data);
    for (const key of keys) {
      const r = parseRetained(data[key]);
      if (r && this.held(r)) this.entries.set(key, r);
      this.notify(key);
    }
    return keys;
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
    if (prev && prev.eni !== eni.id) this.stale.set(key, [...(this.stale.get(key) ?? []), prev]);
    this.entries.set(key, { eni: eni.id, ip: eni.primaryIp, subnet: eni.subnetId, uid, until: new Date(this.now() + hours * this.hourMs).toISOString() });
    this.notify(key);
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

  /** The address kept for `key`, if any. */
  get(key: string): Retained | undefined {
    return this.entries.get(key);
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  /** Addresses kept earlier under `key` that are to be freed (they stay listed until released()). */
  staleOf(key: string): readonly Retained[] {
    return this.stale.get(key) ?? [];
  }

  /** A stale address of `key` was freed. */
  released(key: string, r: Retained): void {
    const left = (this.stale.get(key) ?? []).filter((x) => x !== r);
    if (left.length) this.stale.set(key, left);
    else this.stale.delete(key);
  }

  /** Stops keeping the address of `key` (handed over, expired, or its ENI went). */
  forget(key: string): void {
    if (this.entries.delete(key)) this.notify(key);
  }

  /** Whether the window of `r` is over. */
  expired(r: Retained): boolean {
    return this.now() >= Date.parse(r.until);
  }

  /** Whether the ENI still belongs to the pod that had it (nobody freed or reused it meanwhile). */
  held(r: Retained): boolean {
    let e: Eni;
    try { e = this.cloud.enis.get(r.eni); } catch { return false; }
    return e.attachedTo.type === 'pod' && e.attachedTo.uid === r.uid;
  }

  /** Tells `fn` the key of every change. */
  onChange(fn: (key: string) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private notify(key: string): void {
    for (const fn of this.listeners) fn(key);
  }
}

/** A record as the ConfigMap holds it (JSON), or undefined when it is not one. */
export function parseRetained(v: string | undefined): Retained | undefined {
  if (typeof v !== 'string') return undefined;
  try {
    const r = JSON.parse(v);
    return r && typeof r === 'object' && typeof r.eni === 'string' && typeof r.until === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}

/** ConfigMap keys allow dots; namespaces have none, so `<namespace>.<name>` is unambiguous. */
export const keyOf = (namespace: string, name: string) => `${namespace}.${name}`;
