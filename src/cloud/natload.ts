// NAT gateway load (see docs/alibaba/nat-bandwidth.md: a VPC NAT at its 200
// Mbps cap made every pod behind it see request timeouts). A NAT's bandwidth cap is
// shared by all pods that egress through it; each pod's modelled traffic comes
// from annotation nodeless.dev/egress-mbps (cluster default: kube-system/eks-config).
//
// The cloud knows ENIs and routes but not pod phases or annotations, so each
// cluster's natload controller reports its running pods' traffic here (an
// in-memory table per Cloud, rebuilt from the pod list on every start), and
// the load is computed on demand from it and the current routes, EIPs and NATs.
import type { Cloud } from './cloud.js';
import type { NatGateway } from './types.js';

export const EGRESS_MBPS_ANNOTATION = 'nodeless.dev/egress-mbps';

/** The annotation's value in Mbit/s, or an error naming the expected form. */
export function parseEgressMbps(v: string): { mbps: number } | { error: string } {
  const s = v.trim();
  if (!/^\d+(\.\d+)?$/.test(s) || Number(s) > 100_000) {
    return { error: `annotation ${EGRESS_MBPS_ANNOTATION}: invalid value ${JSON.stringify(v)}: expected the pod's modelled internet traffic in Mbit/s, a number from 0 to 100000 such as "50"` };
  }
  return { mbps: Number(s) };
}

/** What a cluster's controller reports for one running pod. */
export interface PodTraffic {
  cluster: string;
  namespace: string;
  name: string;
  uid?: string;
  mbps: number;
}

export interface NatLoadPod {
  cluster: string;
  namespace: string;
  name: string;
  mbps: number;
}

export interface NatLoad {
  natId: string;
  name: string;
  vpcId: string;
  bandwidthMbps: number;
  demandMbps: number;
  /** demand / cap in percent, rounded. */
  utilisationPercent: number;
  /** Running pods egressing through the NAT (with or without traffic of their own). */
  podCount: number;
  saturated: boolean;
  pods: NatLoadPod[];
}

const key = (cluster: string, namespace: string, name: string) => `${cluster}/${namespace}/${name}`;

/** Running pods' traffic, per Cloud; listeners hear every change (so other clusters' controllers recompute). */
export class TrafficTable {
  private readonly pods = new Map<string, PodTraffic>();
  private readonly listeners = new Set<() => void>();

  /** Records a pod's traffic; a pod with none is not kept (it loads no NAT), so the table grows with talkers only. */
  set(t: PodTraffic): void {
    if (!(t.mbps > 0)) return this.delete(t.cluster, t.namespace, t.name);
    const k = key(t.cluster, t.namespace, t.name);
    const old = this.pods.get(k);
    if (old && old.mbps === t.mbps && old.uid === t.uid) return;
    this.pods.set(k, { ...t });
    this.notify();
  }

  delete(cluster: string, namespace: string, name: string): void {
    if (this.pods.delete(key(cluster, namespace, name))) this.notify();
  }

  /** Forgets a cluster's pods (its controller stopped). */
  dropCluster(cluster: string): void {
    let changed = false;
    for (const [k, t] of this.pods) if (t.cluster === cluster) { this.pods.delete(k); changed = true; }
    if (changed) this.notify();
  }

  all(): PodTraffic[] {
    return [...this.pods.values()];
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Something else the load depends on changed (an injected fault): listeners recompute. */
  touch(): void {
    this.notify();
  }

  private notify(): void {
    for (const fn of this.listeners) fn();
  }
}

const tables = new WeakMap<Cloud, TrafficTable>();

export function trafficTable(cloud: Cloud): TrafficTable {
  let t = tables.get(cloud);
  if (!t) tables.set(cloud, (t = new TrafficTable()));
  return t;
}

/** The NAT a running pod egresses through now: none when it has no ENI, has an EIP, or its route does not go to a NAT. */
export function natOfPod(cloud: Cloud, p: { cluster: string; namespace: string; name: string; uid?: string }): NatGateway | undefined {
  const eni = cloud.findEniByPod({ cluster: p.cluster, namespace: p.namespace, pod: p.name, uid: p.uid });
  if (!eni || cloud.eips.findByEni(eni.id)) return undefined;
  return cloud.routeTables.egress(eni.subnetId).nat;
}

/** Load of every NAT gateway (optionally of one VPC), from the reported pod traffic. */
export function natLoads(cloud: Cloud, filter: { vpcId?: string } = {}): NatLoad[] {
  const byNat = new Map<string, NatLoad>();
  for (const nat of cloud.natGateways.list(filter)) {
    byNat.set(nat.id, {
      natId: nat.id, name: nat.name, vpcId: nat.vpcId, bandwidthMbps: nat.bandwidthMbps,
      demandMbps: 0, utilisationPercent: 0, podCount: 0, saturated: false, pods: [],
    });
  }
  for (const t of trafficTable(cloud).all()) {
    const nat = natOfPod(cloud, t);
    const load = nat && byNat.get(nat.id);
    if (!load) continue;
    load.pods.push({ cluster: t.cluster, namespace: t.namespace, name: t.name, mbps: t.mbps });
    load.demandMbps += t.mbps;
  }
  for (const load of byNat.values()) {
    // Fractional annotations add up to float noise; Mbit/s to two decimals is plenty.
    load.demandMbps = Math.round(load.demandMbps * 100) / 100;
    load.podCount = load.pods.length;
    // An injected nat-saturation: the rest of the cap is taken by traffic nodeless does not model (docs/faults.md).
    if (cloud.faults.natSaturated(load.natId)) load.demandMbps = Math.max(load.demandMbps, load.bandwidthMbps);
    load.utilisationPercent = Math.round((load.demandMbps / load.bandwidthMbps) * 100);
    load.saturated = load.demandMbps >= load.bandwidthMbps;
    load.pods.sort((a, b) => key(a.cluster, a.namespace, a.name).localeCompare(key(b.cluster, b.namespace, b.name)));
  }
  return [...byNat.values()];
}

/** Load of one NAT gateway (ResourceNotFound when it does not exist). */
export function natLoad(cloud: Cloud, natId: string): NatLoad {
  const nat = cloud.natGateways.get(natId);
  return natLoads(cloud, { vpcId: nat.vpcId }).find((l) => l.natId === natId)!;
}

/** The one sentence users see in `net egress`, events and the README. */
export function saturationMessage(l: Pick<NatLoad, 'natId' | 'demandMbps' | 'bandwidthMbps' | 'utilisationPercent'>): string {
  return `NAT gateway ${l.natId} is saturated (${l.demandMbps}/${l.bandwidthMbps} Mbps, ${l.utilisationPercent}%): connections to the internet time out`;
}
