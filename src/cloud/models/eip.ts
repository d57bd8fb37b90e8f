// Elastic IPs: public addresses from an obviously emulated pool (the
// documentation ranges TEST-NET-3 203.0.113.0/24 and TEST-NET-2
// 198.51.100.0/24), bound to a pod's ENI or to a NAT gateway. Release is
// refused while bound, as on Tencent and Alibaba.
import { InvalidParameter, InvalidParameterValue, ResourceInUse, ResourceInsufficient, UnsupportedOperation } from '../errors.js';
import { newId } from '../ids.js';
import { formatIp, parseCidr } from '../ipv4.js';
import type { CloudState } from '../state.js';
import { now } from '../state.js';
import type { Eip, EipAssociation, PodRef } from '../types.js';
import { checkInt, checkName, clone, mustGet } from './common.js';
import type { QuotaModel } from './quota.js';

export const EIP_POOL = ['203.0.113.0/24', '198.51.100.0/24'];

/** Tencent (AllocateAddresses) and Alibaba (pod EIP annotations) spellings are both accepted. */
export const INTERNET_CHARGE_TYPES = [
  'TRAFFIC_POSTPAID_BY_HOUR', 'BANDWIDTH_POSTPAID_BY_HOUR', 'BANDWIDTH_PACKAGE', 'BANDWIDTH_PREPAID_BY_MONTH',
  'PayByTraffic', 'PayByBandwidth',
];
export const INSTANCE_CHARGE_TYPES = ['POSTPAID_BY_HOUR', 'PREPAID', 'PostPaid', 'PrePaid'];
export const ISPS = ['BGP', 'BGP_PRO', 'CMCC', 'CUCC', 'CTCC'];

export interface AllocateEipInput {
  /** Mbit/s; Tencent's AllocateAddresses defaults to 1. */
  bandwidthMbps?: number;
  internetChargeType?: string;
  instanceChargeType?: string;
  name?: string;
  description?: string;
  isp?: string;
  /** The pod a controller allocates it for (see Eip.allocatedFor). */
  allocatedFor?: PodRef;
  /** Alibaba's resource group (`rg-…`); default: the account's default resource group. */
  resourceGroupId?: string;
}

/**
 * The account's default resource group, which Alibaba puts a resource in when
 * none is named (ResourceGroupId of AllocateEipAddress). One fixed id: nodeless
 * models one account.
 */
export const DEFAULT_RESOURCE_GROUP = 'rg-acfmzdefault0001';

/** Whether an EIP bound to an ENI carries traffic yet (the association completed), at `nowMs`. */
export function carriesTraffic(eip: Eip, nowMs = Date.now()): boolean {
  const a = eip.association;
  return !!a && (a.type !== 'eni' || !a.effectiveAt || Date.parse(a.effectiveAt) <= nowMs);
}

export interface AssociateEipInput {
  eniId?: string;
  natId?: string;
}

export class EipModel {
  constructor(private readonly s: CloudState, private readonly quotas: QuotaModel) {}

  list(filter: { status?: string } = {}): Eip[] {
    return this.s.eips.all().filter((e) => !filter.status || e.status === filter.status).map(clone);
  }

  get(id: string): Eip {
    return clone(mustGet(this.s.eips, id));
  }

  /** The EIP bound to an ENI, if any. */
  findByEni(eniId: string): Eip | undefined {
    const id = this.s.eipByEni.get(eniId);
    return id ? clone(this.s.eips.get(id)!) : undefined;
  }

  async allocate(input: AllocateEipInput = {}): Promise<Eip> {
    this.checkAllocate(input, 1);
    const { rec, done } = this.startAllocate(input);
    await done;
    this.s.emit({ kind: 'eip', type: 'created', id: rec.id, object: clone(rec) });
    return clone(rec);
  }

  /** Validates an allocation of `count` EIPs without changing anything. */
  checkAllocate(input: AllocateEipInput, count: number): void {
    if (input.bandwidthMbps !== undefined) checkInt(input.bandwidthMbps, 'bandwidthMbps', 1, 10_000);
    const oneOf = (v: unknown, allowed: string[], what: string) => {
      if (v !== undefined && !allowed.includes(v as string)) throw new InvalidParameterValue(`${what} ${JSON.stringify(v)} is not one of ${allowed.join(', ')}`);
    };
    oneOf(input.internetChargeType, INTERNET_CHARGE_TYPES, 'internetChargeType');
    oneOf(input.instanceChargeType, INSTANCE_CHARGE_TYPES, 'instanceChargeType');
    oneOf(input.isp, ISPS, 'isp');
    if (input.name !== undefined && input.name !== '') checkName(input.name, 'EIP');
    if (input.description !== undefined && typeof input.description !== 'string') throw new InvalidParameter('description must be a string');
    if (input.resourceGroupId !== undefined && (typeof input.resourceGroupId !== 'string' || !/^rg-[a-z0-9]{1,64}$/.test(input.resourceGroupId))) {
      throw new InvalidParameterValue(`resourceGroupId ${JSON.stringify(input.resourceGroupId)} is not a resource group id (rg- and lower-case letters or digits)`);
    }
    this.quotas.check('eips-per-region', this.s.eips.size, `region ${this.s.region}`, { adding: count });
    const free = this.poolSize() - this.s.eipByAddress.size;
    if (free < count) throw new ResourceInsufficient(`the public address pool (${EIP_POOL.join(', ')}) has ${free} address(es) left`);
  }

  /** Takes an address and inserts the record (visible at once); `done` settles when durable. Call checkAllocate first. */
  startAllocate(input: AllocateEipInput, association?: EipAssociation): { rec: Eip; done: Promise<Eip> } {
    const id = newId('eip', (x) => this.s.eips.has(x));
    const rec: Eip = {
      id,
      address: this.nextAddress(),
      name: input.name || id,
      description: input.description ?? '',
      bandwidthMbps: input.bandwidthMbps ?? 1,
      internetChargeType: input.internetChargeType ?? 'TRAFFIC_POSTPAID_BY_HOUR',
      instanceChargeType: input.instanceChargeType ?? 'POSTPAID_BY_HOUR',
      isp: input.isp ?? 'BGP',
      resourceGroupId: input.resourceGroupId ?? DEFAULT_RESOURCE_GROUP,
      status: association ? 'BIND' : 'UNBIND',
      createdTime: now(),
    };
    if (association) rec.association = association;
    if (input.allocatedFor) rec.allocatedFor = { ...input.allocatedFor };
    return { rec, done: this.s.eips.insert(rec) };
  }

  async update(id: string, input: { name?: string; description?: string; bandwidthMbps?: number }): Promise<Eip> {
    const eip = mustGet(this.s.eips, id);
    if (input.name !== undefined) checkName(input.name, 'EIP');
    if (input.bandwidthMbps !== undefined) checkInt(input.bandwidthMbps, 'bandwidthMbps', 1, 10_000);
    await this.s.eips.update(eip, (e) => {
      if (input.name !== undefined) e.name = input.name;
      if (input.description !== undefined) e.description = String(input.description);
      if (input.bandwidthMbps !== undefined) e.bandwidthMbps = input.bandwidthMbps;
    });
    return this.changed(eip);
  }

  /**
   * Binds to exactly one of an ENI (and so its pod) or a NAT gateway. `takesMs`: an ENI's association
   * completes (carries traffic) that long after this call.
   */
  async associate(id: string, target: AssociateEipInput, opts: { takesMs?: number } = {}): Promise<Eip> {
    const eip = mustGet(this.s.eips, id);
    if (!!target.eniId === !!target.natId) throw new InvalidParameter('give exactly one of eniId and natId');
    if (eip.association) {
      throw new ResourceInUse(`EIP ${id} (${eip.address}) is already associated with ${describe(eip)}; disassociate it first`);
    }
    if (target.eniId) {
      const eni = mustGet(this.s.enis, target.eniId);
      const other = this.s.eipByEni.get(eni.id);
      if (other) throw new ResourceInUse(`ENI ${eni.id} already has EIP ${other} (${this.s.eips.get(other)?.address})`);
      const a = eni.attachedTo;
      await this.s.eips.update(eip, (e) => {
        e.status = 'BIND';
        e.association = opts.takesMs && opts.takesMs > 0
          ? { type: 'eni', id: eni.id, privateIp: eni.primaryIp, effectiveAt: new Date(Date.now() + opts.takesMs).toISOString() }
          : { type: 'eni', id: eni.id, privateIp: eni.primaryIp };
        if (a.type === 'pod') e.boundPod = { cluster: a.cluster, namespace: a.namespace, name: a.pod };
      });
    } else {
      const nat = mustGet(this.s.natGateways, target.natId!);
      await Promise.all([
        this.s.eips.update(eip, (e) => { e.status = 'BIND'; e.association = { type: 'nat', id: nat.id }; }),
        this.s.natGateways.update(nat, (n) => { n.eipIds.push(eip.id); }),
      ]);
      this.s.emit({ kind: 'natgateway', type: 'updated', id: nat.id, object: clone(nat) });
    }
    return this.changed(eip);
  }

  /** Unbinds; a no-op when not bound. A NAT gateway keeps at least one EIP. */
  async disassociate(id: string): Promise<Eip> {
    const eip = mustGet(this.s.eips, id);
    const a = eip.association;
    if (!a) return clone(eip);
    const writes: Promise<unknown>[] = [];
    if (a.type === 'nat') {
      const nat = this.s.natGateways.get(a.id);
      if (nat) {
        if (nat.eipIds.length <= 1) throw new UnsupportedOperation(`NAT gateway ${nat.id} needs at least one EIP; ${id} is its last`);
        writes.push(this.s.natGateways.update(nat, (n) => { n.eipIds = n.eipIds.filter((x) => x !== id); }));
      }
    }
    writes.push(this.startUnbind(eip));
    await Promise.all(writes);
    if (a.type === 'nat' && this.s.natGateways.has(a.id)) {
      this.s.emit({ kind: 'natgateway', type: 'updated', id: a.id, object: clone(this.s.natGateways.get(a.id)!) });
    }
    return this.changed(eip);
  }

  /** Clears the binding in memory at once (for ENI release and NAT deletion); resolves when durable. */
  startUnbind(eip: Eip): Promise<Eip> {
    return this.s.eips.update(eip, (e) => {
      e.status = 'UNBIND';
      delete e.association;
      delete e.boundPod;
    });
  }

  async release(id: string): Promise<Eip> {
    const eip = mustGet(this.s.eips, id);
    if (eip.association) {
      throw new ResourceInUse(`EIP ${id} (${eip.address}) is associated with ${describe(eip)}; disassociate it before releasing`);
    }
    const routed = this.s.routeTables.all().find((t) => t.routes.some((r) => r.nextHopType === 'eip' && r.nextHopId === id));
    if (routed) throw new ResourceInUse(`EIP ${id} is the next hop of a route in ${routed.id}`);
    await this.s.eips.remove(eip);
    this.s.emit({ kind: 'eip', type: 'deleted', id, object: clone(eip) });
    return clone(eip);
  }

  changed(eip: Eip): Eip {
    this.s.emit({ kind: 'eip', type: 'updated', id: eip.id, object: clone(eip) });
    return clone(eip);
  }

  private poolSize(): number {
    return EIP_POOL.length * 254;
  }

  /** Lowest free pool address, skipping each block's .0 and .255 so every address looks like a host. */
  private nextAddress(): string {
    for (const block of EIP_POOL) {
      const c = parseCidr(block);
      for (let off = 1; off < c.size - 1; off++) {
        const ip = formatIp(c.base + off);
        if (!this.s.eipByAddress.has(ip)) return ip;
      }
    }
    throw new ResourceInsufficient(`the public address pool (${EIP_POOL.join(', ')}) is exhausted`);
  }
}

function describe(eip: Eip): string {
  const a = eip.association!;
  if (a.type === 'nat') return `NAT gateway ${a.id}`;
  const pod = eip.boundPod ? ` (pod ${eip.boundPod.namespace}/${eip.boundPod.name} in cluster ${eip.boundPod.cluster})` : '';
  return `ENI ${a.id}${pod}`;
}
