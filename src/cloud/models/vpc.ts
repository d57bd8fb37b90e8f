// VPCs: a private CIDR block in the region; creating one also creates its
// default route table with the `local` route.
import { InvalidParameterValue, ResourceInUse } from '../errors.js';
import { newId } from '../ids.js';
import { cidrContains, parseCidr, PRIVATE_RANGES } from '../ipv4.js';
import type { CloudState } from '../state.js';
import { now } from '../state.js';
import type { Tags, Vpc } from '../types.js';
import { checkName, checkTags, clone, mustGet } from './common.js';
import { checkCloud, cloudOf } from './region.js';
import type { CloudName } from '../storage.js';
import type { QuotaModel } from './quota.js';
import { newRouteTable } from './routetable.js';

export interface CreateVpcInput {
  cidr: string;
  name?: string;
  tags?: Tags;
  enableDnsSupport?: boolean;
  enableDnsHostnames?: boolean;
  isDefault?: boolean;
  /** Default: Tencent. */
  cloud?: CloudName;
}

export interface UpdateVpcInput {
  name?: string;
  tags?: Tags;
  enableDnsSupport?: boolean;
  enableDnsHostnames?: boolean;
}

export class VpcModel {
  constructor(private readonly s: CloudState, private readonly quotas: QuotaModel) {}

  list(): Vpc[] {
    return this.s.vpcs.all().map(clone);
  }

  get(id: string): Vpc {
    return clone(mustGet(this.s.vpcs, id));
  }

  /** The default VPC of `cloud`'s region (each cloud's region has its own). */
  defaultVpc(cloud: CloudName = 'tencent'): Vpc | undefined {
    return this.s.vpcs.all().find((v) => v.isDefault && cloudOf(v) === cloud);
  }

  async create(input: CreateVpcInput): Promise<Vpc> {
    const cidr = parseCidr(input.cidr, 'VPC CIDR');
    // Tencent: 10.0.0.0/12–28, 172.16.0.0/12–28, 192.168.0.0/16–28.
    const range = PRIVATE_RANGES.find((r) => cidrContains(r, cidr));
    if (!range || cidr.prefix < Math.max(12, range.prefix) || cidr.prefix > 28) {
      throw new InvalidParameterValue(
        `VPC CIDR ${cidr.text} must lie in 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 with a mask from /12 (/16 for 192.168) to /28`);
    }
    const name = input.name === undefined ? '' : checkName(input.name, 'VPC');
    const tags = checkTags(input.tags);
    const cloud = checkCloud(input.cloud);
    if (input.isDefault && this.defaultVpc(cloud)) throw new InvalidParameterValue('the region already has a default VPC');
    this.quotas.check('vpcs-per-region', this.s.vpcs.size, `region ${this.s.region}`);
    const id = newId('vpc', (x) => this.s.vpcs.has(x), cloud);
    const vpc: Vpc = {
      id,
      ...(cloud === 'tencent' ? {} : { cloud }),
      name: name || id,
      cidr: cidr.text,
      isDefault: input.isDefault ?? false,
      enableDnsSupport: input.enableDnsSupport ?? true,
      // As on AWS, hostnames are on for the default VPC only unless asked for.
      enableDnsHostnames: input.enableDnsHostnames ?? (input.isDefault ?? false),
      tags,
      createdTime: now(),
    };
    const rtb = newRouteTable(this.s, vpc, 'default', true);
    await Promise.all([this.s.vpcs.insert(vpc), this.s.routeTables.insert(rtb)]);
    this.s.emit({ kind: 'vpc', type: 'created', id, object: clone(vpc) });
    this.s.emit({ kind: 'routetable', type: 'created', id: rtb.id, object: clone(rtb) });
    return clone(vpc);
  }

  async update(id: string, input: UpdateVpcInput): Promise<Vpc> {
    const vpc = mustGet(this.s.vpcs, id);
    const name = input.name === undefined ? undefined : checkName(input.name, 'VPC');
    const tags = input.tags === undefined ? undefined : checkTags(input.tags);
    for (const k of ['enableDnsSupport', 'enableDnsHostnames'] as const) {
      if (input[k] !== undefined && typeof input[k] !== 'boolean') throw new InvalidParameterValue(`${k} must be true or false`);
    }
    await this.s.vpcs.update(vpc, (v) => {
      if (name !== undefined) v.name = name;
      if (tags !== undefined) v.tags = tags;
      if (input.enableDnsSupport !== undefined) v.enableDnsSupport = input.enableDnsSupport;
      if (input.enableDnsHostnames !== undefined) v.enableDnsHostnames = input.enableDnsHostnames;
    });
    this.s.emit({ kind: 'vpc', type: 'updated', id, object: clone(vpc) });
    return clone(vpc);
  }

  /** Refused while anything lives in the VPC; its default route table goes with it. */
  async delete(id: string): Promise<Vpc> {
    const vpc = mustGet(this.s.vpcs, id);
    const inVpc = <T extends { vpcId: string; id: string }>(rows: Iterable<T>) => [...rows].filter((r) => r.vpcId === id);
    const subnets = inVpc(this.s.subnets.rows.values());
    if (subnets.length) throw new ResourceInUse(`VPC ${id} still has ${subnets.length} subnet(s): ${subnets.map((x) => x.id).join(', ')}; delete them first`);
    const nats = inVpc(this.s.natGateways.rows.values());
    if (nats.length) throw new ResourceInUse(`VPC ${id} still has NAT gateway(s) ${nats.map((x) => x.id).join(', ')}; delete them first`);
    const clusters = inVpc(this.s.clusters.rows.values());
    if (clusters.length) throw new ResourceInUse(`VPC ${id} is used by cluster(s) ${clusters.map((c) => c.name).join(', ')}`);
    const tables = inVpc(this.s.routeTables.rows.values());
    const custom = tables.filter((t) => !t.isDefault);
    if (custom.length) throw new ResourceInUse(`VPC ${id} still has route table(s) ${custom.map((t) => t.id).join(', ')}; delete them first`);
    await Promise.all([this.s.vpcs.remove(vpc), ...tables.map((t) => this.s.routeTables.remove(t))]);
    for (const t of tables) this.s.emit({ kind: 'routetable', type: 'deleted', id: t.id, object: clone(t) });
    this.s.emit({ kind: 'vpc', type: 'deleted', id, object: clone(vpc) });
    return clone(vpc);
  }
}
