// The cloud's state: one in-memory table per kind, mirrored to the Store under
// /cloud/<kind>/<id>, plus the derived indexes (per-subnet IP bitmaps, ENIs by
// pod, counts per cluster and security group) that are rebuilt from the rows
// on start, so nothing derived is ever persisted.
//
// Write discipline (why there is no lock): every operation validates and
// applies its change to memory synchronously — one JavaScript turn, so no other
// caller can interleave — and only then awaits the store. Concurrent callers
// therefore always see each other's reservations (no IP or EIP handed out
// twice), the SQLite store can group-commit many allocations in one fsync, and
// no caller gets a result before it is durable. A failed write undoes its
// in-memory change. This relies on the store applying writes in call order,
// which both the SQLite and the memory store do.
import { CloudFaults } from './faults.js';
import type { Store } from '../store/types.js';
import { StoreError } from '../store/types.js';
import { IpBitmap } from './bitmap.js';
import type { CloudKind } from './ids.js';
import { parseCidr, parseIp } from './ipv4.js';
import type {
  CloudChange, Cluster, Eip, Eni, FargateProfile, NatGateway, NodeGroup, VpcEndpoint, QuotaOverride, RouteTable, SecurityGroup, Subnet, SuperNode, Vpc,
} from './types.js';
import { deepCopy } from '../api/deepcopy.js';

interface Hooks<T> {
  add(rec: T): void;
  remove(rec: T): void;
  update?(before: T, after: T): void;
}

type Row = { id: string; rv?: number };

/** One kind's rows, with write-through to the store and index maintenance. */
/**
 * Offsets of a subnet's block the cloud keeps for itself. Tencent: network address, gateway (first
 * host) and broadcast — its CreateSubnet example reports TotalIpAddressCount 253 for a /24
 * (tencentcloud-cli examples/vpc/v20170312/CreateSubnet.md). AWS: the first four and the last
 * (network, VPC router, the Amazon-provided DNS at .2, one kept for future use, broadcast), so a /24
 * has 251 (docs/aws/vpc-cni.md; AWS VPC User Guide, "Subnet CIDR blocks").
 */
export function reservedOffsets(cloud: string | undefined, size: number): number[] {
  return cloud === 'aws' ? [0, 1, 2, 3, size - 1] : [0, 1, size - 1];
}

export class Table<T extends Row> {
  readonly rows = new Map<string, T>();
  private hooks: Hooks<T>[] = [];

  constructor(readonly kind: CloudKind, private readonly store: Store) {}

  key(id: string): string {
    return `/cloud/${this.kind}/${id}`;
  }

  get(id: string): T | undefined {
    return this.rows.get(id);
  }

  has(id: string): boolean {
    return this.rows.has(id);
  }

  get size(): number {
    return this.rows.size;
  }

  /** Rows in creation order (ids break ties), so listings are stable across restarts. */
  all(): T[] {
    return [...this.rows.values()].sort((a, b) => {
      const ta = (a as unknown as { createdTime?: string }).createdTime ?? '';
      const tb = (b as unknown as { createdTime?: string }).createdTime ?? '';
      return ta < tb ? -1 : ta > tb ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    });
  }

  index(hooks: Hooks<T>): void {
    this.hooks.push(hooks);
  }

  /** Adds a row read from the store (no write). */
  load(rec: T): void {
    this.attach(rec);
  }

  /** Adds every row of this kind stored in `store`, page by page, each through `fix` first if given. */
  async loadAll(store: Store = this.store, fix?: (rec: T) => void): Promise<void> {
    let after: string | undefined;
    for (;;) {
      const page = await store.list(`/cloud/${this.kind}/`, { limit: 10_000, after });
      for (const item of page.items) {
        const rec = JSON.parse(item.json) as T;
        rec.rv = item.rv;
        fix?.(rec);
        this.load(rec);
      }
      if (!page.continueAfter) break;
      after = page.continueAfter;
    }
  }

  /** Makes `rec` visible at once and resolves when it is durable; undone if the write fails. */
  async insert(rec: T): Promise<T> {
    this.attach(rec);
    try {
      const item = await this.store.create(this.key(rec.id), (rv) => serialize(rec, rv));
      rec.rv = Math.max(rec.rv ?? 0, item.rv);
    } catch (e) {
      if (this.rows.get(rec.id) === rec) this.detach(rec);
      throw e;
    }
    return rec;
  }

  /** Applies `mutate` to the row at once and resolves when durable; restored if the write fails. */
  async update(rec: T, mutate: (r: T) => void): Promise<T> {
    const before = deepCopy(rec);
    mutate(rec);
    for (const h of this.hooks) h.update?.(before, rec);
    try {
      const item = await this.store.update(this.key(rec.id), (rv) => serialize(rec, rv));
      rec.rv = Math.max(rec.rv ?? 0, item.rv);
    } catch (e) {
      const failed = deepCopy(rec);
      for (const k of Object.keys(rec)) delete (rec as Record<string, unknown>)[k];
      Object.assign(rec, before);
      for (const h of this.hooks) h.update?.(failed, rec);
      throw e;
    }
    return rec;
  }

  /** Removes the row at once and resolves when the delete is durable; restored if it fails. */
  async remove(rec: T): Promise<void> {
    this.detach(rec);
    try {
      await this.store.delete(this.key(rec.id));
    } catch (e) {
      // Already gone from the store is what we wanted.
      if (e instanceof StoreError && e.code === 'NotFound') return;
      if (!this.rows.has(rec.id)) this.attach(rec);
      throw e;
    }
  }

  private attach(rec: T): void {
    this.rows.set(rec.id, rec);
    for (const h of this.hooks) h.add(rec);
  }

  private detach(rec: T): void {
    this.rows.delete(rec.id);
    for (const h of this.hooks) h.remove(rec);
  }
}

function serialize(rec: Row, rv: number): string {
  return JSON.stringify({ ...rec, rv });
}

/**
 * One frozen list per set of security groups: every pod ENI of a workload
 * names the same groups, and 100k ENIs need not hold 100k equal arrays, new
 * or loaded after a restart. Frozen, so that no code can change one ENI's
 * groups through another's.
 */
const groupLists = new Map<string, readonly string[]>();
export function sharedGroups(ids: string[]): string[] {
  const key = ids.join(',');
  let hit = groupLists.get(key);
  if (!hit) {
    if (groupLists.size >= 1000) groupLists.clear();
    groupLists.set(key, (hit = Object.freeze(ids)));
  }
  return hit as string[];
}

/** Key of a pod in the ENI index. */
/** A flat string (see keyOf in client/cache/informer.ts for why join()). */
export const podKey = (cluster: string, namespace: string, pod: string): string => [cluster, namespace, pod].join('/');

/** Everything the models share. */
export class CloudState {
  /** Injected faults every model consults (docs/faults.md). */
  readonly faults = new CloudFaults();
  readonly vpcs: Table<Vpc>;
  readonly subnets: Table<Subnet>;
  readonly routeTables: Table<RouteTable>;
  readonly natGateways: Table<NatGateway>;
  readonly eips: Table<Eip>;
  readonly securityGroups: Table<SecurityGroup>;
  readonly enis: Table<Eni>;
  readonly clusters: Table<Cluster>;
  readonly superNodes: Table<SuperNode>;
  readonly nodeGroups: Table<NodeGroup>;
  readonly fargateProfiles: Table<FargateProfile>;
  readonly vpcEndpoints: Table<VpcEndpoint>;
  readonly quotas: Table<QuotaOverride>;

  // Derived indexes, rebuilt from the rows on start.
  /** Per subnet: which offsets of its block are taken (reserved addresses and ENIs). */
  readonly ipBitmaps = new Map<string, { bitmap: IpBitmap; base: number; reserved: number }>();
  /** Pod → its ENI id, or a Set of ids while a pod name has more than one (a Set per pod would cost megabytes at 100k pods). */
  readonly enisByPod = new Map<string, string | Set<string>>();
  readonly eniByUid = new Map<string, string>();
  /** VPC → address → ENI id: who holds an address (security group peers, diagnostics). Nested, so no key string per ENI. */
  readonly eniByAddress = new Map<string, Map<string, string>>();
  readonly podsByCluster = new Map<string, number>();
  /** Instance (or server) → the ids of the ENIs attached to it: the VPC CNI reads a node's ENIs on every pod. */
  readonly enisByNode = new Map<string, Set<string>>();

  /** The ENI holding `ip` in `vpcId`, if any. */
  eniAt(vpcId: string, ip: string): string | undefined {
    return this.eniByAddress.get(vpcId)?.get(ip);
  }
  readonly instancesBySg = new Map<string, number>();
  readonly eipByAddress = new Map<string, string>();
  readonly eipByEni = new Map<string, string>();
  readonly clusterByName = new Map<string, string>();

  private listeners = new Set<(c: CloudChange) => void>();

  constructor(readonly store: Store, readonly region: string, readonly zones: string[]) {
    this.vpcs = new Table('vpc', store);
    this.routeTables = new Table('routetable', store);
    this.subnets = new Table('subnet', store);
    this.securityGroups = new Table('securitygroup', store);
    this.clusters = new Table('cluster', store);
    this.superNodes = new Table('supernode', store);
    this.nodeGroups = new Table('nodegroup', store);
    this.fargateProfiles = new Table('fargateprofile', store);
    this.vpcEndpoints = new Table('vpcendpoint', store);
    this.natGateways = new Table('natgateway', store);
    this.eips = new Table('eip', store);
    this.enis = new Table('eni', store);
    this.quotas = new Table('quota', store);
    this.buildIndexes();
  }

  /** Tables in load order: what a row refers to is loaded before it. */
  tables(): Table<Row>[] {
    return [this.vpcs, this.routeTables, this.subnets, this.securityGroups, this.clusters, this.nodeGroups, this.fargateProfiles, this.superNodes, this.vpcEndpoints,
      this.natGateways, this.eips, this.enis, this.quotas] as unknown as Table<Row>[];
  }

  async load(): Promise<void> {
    const enis = this.enis as unknown as Table<Row>;
    for (const table of this.tables()) {
      await table.loadAll(this.store, table === enis ? (rec) => {
        if (Array.isArray((rec as Eni).securityGroupIds)) (rec as Eni).securityGroupIds = sharedGroups((rec as Eni).securityGroupIds);
      } : undefined);
    }
  }


  onChange(listener: (c: CloudChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(change: CloudChange): void {
    for (const l of this.listeners) {
      try {
        l(change);
      } catch {
        // A failing listener must not fail the cloud call that triggered it.
      }
    }
  }

  private buildIndexes(): void {
    this.subnets.index({
      add: (s) => {
        if (this.ipBitmaps.has(s.id)) return;
        const cidr = parseCidr(s.cidr);
        const bitmap = new IpBitmap(cidr.size);
        const reserved = reservedOffsets(this.vpcs.get(s.vpcId)?.cloud, cidr.size);
        for (const off of reserved) bitmap.set(off);
        this.ipBitmaps.set(s.id, { bitmap, base: cidr.base, reserved: reserved.length });
      },
      remove: (s) => { this.ipBitmaps.delete(s.id); },
    });
    const eniHooks: Hooks<Eni> = {
      add: (e) => {
        const entry = this.ipBitmaps.get(e.subnetId);
        let inVpc = this.eniByAddress.get(e.vpcId);
        if (!inVpc) this.eniByAddress.set(e.vpcId, (inVpc = new Map()));
        for (const addr of eniAddresses(e)) {
          const ip = parseIp(addr);
          if (entry && ip !== undefined) entry.bitmap.set(ip - entry.base);
          inVpc.set(addr, e.id);
        }
        for (const p of e.prefixes ?? []) forPrefix(p, (ip) => { if (entry) entry.bitmap.set(ip - entry.base); });
        for (const sg of e.securityGroupIds) this.instancesBySg.set(sg, (this.instancesBySg.get(sg) ?? 0) + 1);
        const a = e.attachedTo;
        if (a.type === 'node') {
          let ids = this.enisByNode.get(a.node);
          if (!ids) this.enisByNode.set(a.node, (ids = new Set()));
          ids.add(e.id);
        }
        if (a.type === 'pod') {
          const key = podKey(a.cluster, a.namespace, a.pod);
          const ids = this.enisByPod.get(key);
          if (ids === undefined) this.enisByPod.set(key, e.id);
          else if (typeof ids === 'string') { if (ids !== e.id) this.enisByPod.set(key, new Set([ids, e.id])); }
          else ids.add(e.id);
          this.eniByUid.set(a.uid, e.id);
          this.podsByCluster.set(a.cluster, (this.podsByCluster.get(a.cluster) ?? 0) + 1);
        }
      },
      remove: (e) => {
        const entry = this.ipBitmaps.get(e.subnetId);
        const inVpc = this.eniByAddress.get(e.vpcId);
        for (const addr of eniAddresses(e)) {
          const ip = parseIp(addr);
          if (entry && ip !== undefined) entry.bitmap.clear(ip - entry.base);
          if (inVpc?.get(addr) === e.id) inVpc.delete(addr);
        }
        for (const p of e.prefixes ?? []) forPrefix(p, (ip) => { if (entry) entry.bitmap.clear(ip - entry.base); });
        for (const sg of e.securityGroupIds) decrement(this.instancesBySg, sg);
        const a = e.attachedTo;
        if (a.type === 'node') {
          const ids = this.enisByNode.get(a.node);
          ids?.delete(e.id);
          if (ids?.size === 0) this.enisByNode.delete(a.node);
        }
        if (a.type === 'pod') {
          const key = podKey(a.cluster, a.namespace, a.pod);
          const ids = this.enisByPod.get(key);
          if (ids === e.id) this.enisByPod.delete(key);
          else if (typeof ids === 'object') {
            ids.delete(e.id);
            if (ids.size === 1) this.enisByPod.set(key, ids.values().next().value!);
          }
          if (this.eniByUid.get(a.uid) === e.id) this.eniByUid.delete(a.uid);
          decrement(this.podsByCluster, a.cluster);
        }
      },
    };
    // An instance's ENI gains and loses secondary addresses and prefixes (docs/aws/vpc-cni.md).
    this.enis.index({ ...eniHooks, update: (before, after) => { eniHooks.remove(before); eniHooks.add(after); } });
    const eipHooks: Hooks<Eip> = {
      add: (e) => {
        this.eipByAddress.set(e.address, e.id);
        if (e.association?.type === 'eni') this.eipByEni.set(e.association.id, e.id);
      },
      remove: (e) => {
        this.eipByAddress.delete(e.address);
        if (e.association?.type === 'eni' && this.eipByEni.get(e.association.id) === e.id) this.eipByEni.delete(e.association.id);
      },
    };
    this.eips.index({ ...eipHooks, update: (before, after) => { eipHooks.remove(before); eipHooks.add(after); } });
    this.clusters.index({
      add: (c) => { this.clusterByName.set(c.name, c.id); },
      remove: (c) => { this.clusterByName.delete(c.name); },
    });
  }
}

/** The single addresses an ENI holds: its primary and its secondary addresses. */
function eniAddresses(e: Eni): string[] {
  return e.secondaryIps?.length ? [e.primaryIp, ...e.secondaryIps] : [e.primaryIp];
}

/** Calls `fn` with each address (as a number) of a prefix such as 10.0.1.16/28. */
export function forPrefix(prefix: string, fn: (ip: number) => void): void {
  const c = parseCidr(prefix);
  for (let i = 0; i < c.size; i++) fn(c.base + i);
}

function decrement(map: Map<string, number>, key: string): void {
  const n = (map.get(key) ?? 0) - 1;
  if (n > 0) map.set(key, n);
  else map.delete(key);
}

let lastTime = 0;
/** Creation timestamps, strictly increasing within the process so listings keep creation order. */
export function now(): string {
  lastTime = Math.max(Date.now(), lastTime + 1);
  return new Date(lastTime).toISOString();
}
