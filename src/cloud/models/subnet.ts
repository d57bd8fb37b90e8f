// Subnets: a block of a VPC in one zone. Pods take their IPs straight from
// here (docs/tencent/super-nodes.md), so the live usable/available counts come from the subnet's
// IP bitmap rather than from a stored number.
import { InvalidCidrOverlap, InvalidParameter, InvalidParameterValue, ResourceInUse } from '../errors.js';
import { newId } from '../ids.js';
import { cidrContains, cidrOverlaps, parseCidr } from '../ipv4.js';
import type { CloudState } from '../state.js';
import { now } from '../state.js';
import type { Subnet, SubnetView, Tags } from '../types.js';
import { checkName, checkTags, clone, mustGet } from './common.js';
import type { QuotaModel } from './quota.js';
import { cloudOf, type RegionModel } from './region.js';

/** Smallest subnet: /28, 16 addresses of which 13 usable. */
export const MAX_SUBNET_PREFIX = 28;

export interface CreateSubnetInput {
  vpcId: string;
  zone: string;
  cidr: string;
  name?: string;
  tags?: Tags;
  isDefault?: boolean;
}

export interface ListSubnetsFilter {
  vpcId?: string;
  zone?: string;
}

export class SubnetModel {
  constructor(private readonly s: CloudState, private readonly quotas: QuotaModel, private readonly regions: RegionModel) {}

  list(filter: ListSubnetsFilter = {}): SubnetView[] {
    return this.s.subnets.all()
      .filter((x) => (!filter.vpcId || x.vpcId === filter.vpcId) && (!filter.zone || x.zone === filter.zone))
      .map((x) => this.view(x));
  }

  get(id: string): SubnetView {
    return this.view(mustGet(this.s.subnets, id));
  }

  /** Free addresses of the subnet (what the super node agent watches for S4). */
  available(id: string): number {
    mustGet(this.s.subnets, id);
    // An injected subnet-exhaustion holds every free address (docs/faults.md).
    if (this.s.faults.subnetExhausted(id)) return 0;
    return this.s.ipBitmaps.get(id)!.bitmap.free;
  }

  view(subnet: Subnet): SubnetView {
    const { bitmap, reserved } = this.s.ipBitmaps.get(subnet.id)!;
    const total = bitmap.size - reserved;
    const free = this.s.faults.subnetExhausted(subnet.id) ? 0 : bitmap.free;
    return { ...clone(subnet), totalIpCount: total, availableIpCount: free, usedIpCount: total - free };
  }

  async create(input: CreateSubnetInput): Promise<SubnetView> {
    const vpc = mustGet(this.s.vpcs, input.vpcId);
    const zone = this.regions.checkZone(input.zone, cloudOf(vpc));
    const cidr = parseCidr(input.cidr, 'subnet CIDR');
    const vpcCidr = parseCidr(vpc.cidr);
    if (!cidrContains(vpcCidr, cidr)) {
      throw new InvalidParameter(`subnet CIDR ${cidr.text} is outside VPC ${vpc.id} (${vpc.cidr})`);
    }
    if (cidr.prefix > MAX_SUBNET_PREFIX) {
      throw new InvalidParameterValue(`subnet CIDR ${cidr.text} is too small: the smallest subnet is a /${MAX_SUBNET_PREFIX}`);
    }
    const siblings = this.s.subnets.all().filter((x) => x.vpcId === vpc.id);
    for (const other of siblings) {
      if (cidrOverlaps(parseCidr(other.cidr), cidr)) {
        throw new InvalidCidrOverlap(`${cidr.text} overlaps subnet ${other.id} (${other.cidr})`);
      }
    }
    this.quotas.check('subnets-per-vpc', siblings.length, `VPC ${vpc.id}`);
    const name = input.name === undefined ? undefined : checkName(input.name, 'subnet');
    const tags = checkTags(input.tags);
    const defaultRtb = this.s.routeTables.all().find((t) => t.vpcId === vpc.id && t.isDefault);
    const id = newId('subnet', (x) => this.s.subnets.has(x), vpc.cloud);
    const subnet: Subnet = {
      id,
      vpcId: vpc.id,
      zone,
      cidr: cidr.text,
      name: name ?? id,
      isDefault: input.isDefault ?? false,
      routeTableId: defaultRtb?.id ?? '',
      tags,
      createdTime: now(),
    };
    await this.s.subnets.insert(subnet);
    const view = this.view(subnet);
    this.s.emit({ kind: 'subnet', type: 'created', id, object: view });
    return view;
  }

  async update(id: string, input: { name?: string; tags?: Tags }): Promise<SubnetView> {
    const subnet = mustGet(this.s.subnets, id);
    const name = input.name === undefined ? undefined : checkName(input.name, 'subnet');
    const tags = input.tags === undefined ? undefined : checkTags(input.tags);
    await this.s.subnets.update(subnet, (x) => {
      if (name !== undefined) x.name = name;
      if (tags !== undefined) x.tags = tags;
    });
    const view = this.view(subnet);
    this.s.emit({ kind: 'subnet', type: 'updated', id, object: view });
    return view;
  }

  /** Refused while IPs are in use, a super node sits on it, or a cluster uses it as container network. */
  async delete(id: string): Promise<SubnetView> {
    const subnet = mustGet(this.s.subnets, id);
    const view = this.view(subnet);
    if (view.usedIpCount > 0) {
      throw new ResourceInUse(`subnet ${id} still has ${view.usedIpCount} IP address${view.usedIpCount === 1 ? '' : 'es'} in use`);
    }
    const node = this.s.superNodes.all().find((n) => n.subnetId === id);
    if (node) throw new ResourceInUse(`subnet ${id} is used by super node ${node.name} of cluster ${node.clusterName}; remove the super node first`);
    const cluster = this.s.clusters.all().find((c) => c.subnetIds.includes(id));
    if (cluster) throw new ResourceInUse(`subnet ${id} is part of the container network of cluster ${cluster.name}`);
    await this.s.subnets.remove(subnet);
    this.s.emit({ kind: 'subnet', type: 'deleted', id, object: view });
    return view;
  }
}
