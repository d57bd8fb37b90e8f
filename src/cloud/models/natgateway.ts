// NAT gateways: the shared way out to the internet for a VPC's pods (docs/tencent/egress.md).
// Each has at least one EIP and a bandwidth cap shared by all traffic behind
// it (the 200 Mbps saturation of docs/alibaba/nat-bandwidth.md).
import { InvalidParameter, ResourceInUse } from '../errors.js';
import { newId } from '../ids.js';
import type { CloudState } from '../state.js';
import { now } from '../state.js';
import type { NatGateway } from '../types.js';
import { checkInt, checkName, clone, mustGet } from './common.js';
import type { AllocateEipInput, EipModel } from './eip.js';
import type { QuotaModel } from './quota.js';

export interface CreateNatInput {
  vpcId: string;
  name?: string;
  /** Existing unbound EIPs to use; when absent, `eipCount` new ones are allocated. */
  eipIds?: string[];
  eipCount?: number;
  /** Shared cap in Mbit/s; default DEFAULT_NAT_BANDWIDTH_MBPS. */
  bandwidthMbps?: number;
  eip?: AllocateEipInput;
}

/**
 * The cap of a NAT created without one: the VPC NAT of docs/alibaba/nat-bandwidth.md
 * (200 Mbps, whose saturation caused its request timeouts). Change it with `nat set-bandwidth`.
 */
export const DEFAULT_NAT_BANDWIDTH_MBPS = 200;

export class NatGatewayModel {
  constructor(private readonly s: CloudState, private readonly quotas: QuotaModel, private readonly eips: EipModel) {}

  list(filter: { vpcId?: string } = {}): NatGateway[] {
    return this.s.natGateways.all().filter((n) => !filter.vpcId || n.vpcId === filter.vpcId).map(clone);
  }

  get(id: string): NatGateway {
    return clone(mustGet(this.s.natGateways, id));
  }

  async create(input: CreateNatInput): Promise<NatGateway> {
    const vpc = mustGet(this.s.vpcs, input.vpcId);
    const name = input.name === undefined ? undefined : checkName(input.name, 'NAT gateway');
    const bandwidthMbps = input.bandwidthMbps === undefined ? DEFAULT_NAT_BANDWIDTH_MBPS : checkInt(input.bandwidthMbps, 'bandwidthMbps', 1, 100_000);
    const existing = this.s.natGateways.all().filter((n) => n.vpcId === vpc.id);
    this.quotas.check('nat-gateways-per-vpc', existing.length, `VPC ${vpc.id}`);
    const given = input.eipIds ?? [];
    if (!Array.isArray(given) || given.some((x) => typeof x !== 'string')) throw new InvalidParameter('eipIds must be a list of EIP ids');
    const reuse = given.map((id) => mustGet(this.s.eips, id));
    for (const e of reuse) {
      if (e.association) throw new ResourceInUse(`EIP ${e.id} (${e.address}) is already associated; a NAT gateway needs free EIPs`);
    }
    if (new Set(given).size !== given.length) throw new InvalidParameter('eipIds lists an EIP twice');
    const count = reuse.length ? 0 : input.eipCount === undefined ? 1 : checkInt(input.eipCount, 'eipCount', 1, 10);
    if (count) this.eips.checkAllocate(input.eip ?? {}, count);

    const id = newId('natgateway', (x) => this.s.natGateways.has(x), vpc.cloud);
    const writes: Promise<unknown>[] = [];
    const eipIds = reuse.map((e) => e.id);
    for (const e of reuse) {
      writes.push(this.s.eips.update(e, (r) => { r.status = 'BIND'; r.association = { type: 'nat', id }; }));
    }
    for (let i = 0; i < count; i++) {
      const { rec, done } = this.eips.startAllocate(input.eip ?? {}, { type: 'nat', id });
      eipIds.push(rec.id);
      writes.push(done);
    }
    const nat: NatGateway = { id, vpcId: vpc.id, name: name ?? id, eipIds, bandwidthMbps, state: 'AVAILABLE', createdTime: now() };
    writes.push(this.s.natGateways.insert(nat));
    await Promise.all(writes);
    for (const eipId of eipIds) this.s.emit({ kind: 'eip', type: reuse.some((e) => e.id === eipId) ? 'updated' : 'created', id: eipId, object: this.eips.get(eipId) });
    this.s.emit({ kind: 'natgateway', type: 'created', id, object: clone(nat) });
    return clone(nat);
  }

  async update(id: string, input: { name?: string; bandwidthMbps?: number }): Promise<NatGateway> {
    const nat = mustGet(this.s.natGateways, id);
    if (input.name !== undefined) checkName(input.name, 'NAT gateway');
    if (input.bandwidthMbps !== undefined) checkInt(input.bandwidthMbps, 'bandwidthMbps', 1, 100_000);
    await this.s.natGateways.update(nat, (n) => {
      if (input.name !== undefined) n.name = input.name;
      if (input.bandwidthMbps !== undefined) n.bandwidthMbps = input.bandwidthMbps;
    });
    this.s.emit({ kind: 'natgateway', type: 'updated', id, object: clone(nat) });
    return clone(nat);
  }

  /** Refused while a route points at it; its EIPs are unbound but kept. */
  async delete(id: string): Promise<NatGateway> {
    const nat = mustGet(this.s.natGateways, id);
    const routed = this.s.routeTables.all().find((t) => t.routes.some((r) => r.nextHopType === 'nat' && r.nextHopId === id));
    if (routed) {
      const r = routed.routes.find((x) => x.nextHopId === id)!;
      throw new ResourceInUse(`NAT gateway ${id} is the next hop of route ${r.destinationCidr} in route table ${routed.id}; delete the route first`);
    }
    const eips = nat.eipIds.map((e) => this.s.eips.get(e)).filter((e) => e !== undefined);
    await Promise.all([...eips.map((e) => this.eips.startUnbind(e)), this.s.natGateways.remove(nat)]);
    for (const e of eips) this.eips.changed(e);
    this.s.emit({ kind: 'natgateway', type: 'deleted', id, object: clone(nat) });
    return clone(nat);
  }
}
