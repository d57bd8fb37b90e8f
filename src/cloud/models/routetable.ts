// Route tables: each VPC has a default table with the `local` route; custom
// tables are associated with subnets. Egress to the internet needs a
// `0.0.0.0/0 -> NAT gateway` route in the subnet's table (docs/tencent/egress.md), so
// `egress()` answers "how does a pod in this subnet reach the internet?".
import { CloudError, InvalidParameterValue, MissingParameter, ResourceInUse, ResourceNotFound, UnsupportedOperation } from '../errors.js';
import { awsSuffix, newId } from '../ids.js';
import { cidrContains, cidrContainsIp, parseCidr, parseIp } from '../ipv4.js';
import type { CloudState } from '../state.js';
import { now } from '../state.js';
import type { NatGateway, NextHopType, Route, RouteTable, RouteTableView, Vpc } from '../types.js';
import { checkName, clone, mustGet } from './common.js';

export const NEXT_HOP_TYPES: NextHopType[] = ['local', 'nat', 'eip', 'peering', 'vpn', 'ccn', 'cvm', 'havip', 'igw'];

/** A route table record for `vpc` (not yet stored), with the VPC's local route. */
export function newRouteTable(s: CloudState, vpc: Vpc, name: string, isDefault: boolean): RouteTable {
  return {
    id: newId('routetable', (x) => s.routeTables.has(x), vpc.cloud),
    vpcId: vpc.id,
    name,
    isDefault,
    routes: [
      { destinationCidr: vpc.cidr, nextHopType: 'local', nextHopId: vpc.id, description: 'local route of the VPC' },
      // AWS's default VPC comes with an internet gateway and a main route table sending 0.0.0.0/0 to it:
      // its default subnets are public (docs/aws/private-subnets.md). nodeless models no other internet gateway.
      ...(isDefault && vpc.isDefault && vpc.cloud === 'aws' ? [{ destinationCidr: '0.0.0.0/0', nextHopType: 'igw' as const, nextHopId: `igw-${awsSuffix()}`, description: 'the default VPC\'s internet gateway' }] : []),
    ],
    createdTime: now(),
  };
}

export interface AddRouteInput {
  destinationCidr: string;
  nextHopType: NextHopType;
  nextHopId: string;
  description?: string;
}

/** How a subnet reaches a public address: the matching route, and the NAT gateway if that is the next hop. */
export interface EgressPath {
  route?: Route;
  nat?: NatGateway;
}

export class RouteTableModel {
  constructor(private readonly s: CloudState) {}

  list(filter: { vpcId?: string } = {}): RouteTableView[] {
    return this.s.routeTables.all().filter((t) => !filter.vpcId || t.vpcId === filter.vpcId).map((t) => this.view(t));
  }

  get(id: string): RouteTableView {
    return this.view(mustGet(this.s.routeTables, id));
  }

  view(t: RouteTable): RouteTableView {
    const subnetIds = this.s.subnets.all().filter((x) => x.routeTableId === t.id).map((x) => x.id);
    return { ...clone(t), subnetIds };
  }

  async create(input: { vpcId: string; name?: string }): Promise<RouteTableView> {
    const vpc = mustGet(this.s.vpcs, input.vpcId);
    const name = input.name === undefined ? undefined : checkName(input.name, 'route table');
    const rtb = newRouteTable(this.s, vpc, name ?? '', false);
    if (!rtb.name) rtb.name = rtb.id;
    await this.s.routeTables.insert(rtb);
    this.s.emit({ kind: 'routetable', type: 'created', id: rtb.id, object: this.view(rtb) });
    return this.view(rtb);
  }

  async delete(id: string): Promise<RouteTableView> {
    const rtb = mustGet(this.s.routeTables, id);
    if (rtb.isDefault) throw new UnsupportedOperation(`route table ${id} is the default table of VPC ${rtb.vpcId}; it goes away with the VPC`);
    const view = this.view(rtb);
    if (view.subnetIds.length) {
      throw new ResourceInUse(`route table ${id} is associated with subnet(s) ${view.subnetIds.join(', ')}; associate them with another table first`);
    }
    await this.s.routeTables.remove(rtb);
    this.s.emit({ kind: 'routetable', type: 'deleted', id, object: view });
    return view;
  }

  async addRoute(id: string, input: AddRouteInput): Promise<RouteTableView> {
    const rtb = mustGet(this.s.routeTables, id);
    const vpc = mustGet(this.s.vpcs, rtb.vpcId);
    const dest = parseCidr(input.destinationCidr, 'destinationCidr');
    if (!NEXT_HOP_TYPES.includes(input.nextHopType)) {
      throw new InvalidParameterValue(`nextHopType ${JSON.stringify(input.nextHopType)} is not one of ${NEXT_HOP_TYPES.filter((t) => t !== 'local').join(', ')}`);
    }
    if (input.nextHopType === 'local') throw new InvalidParameterValue('local routes are made by the VPC itself');
    if (typeof input.nextHopId !== 'string' || !input.nextHopId) throw new MissingParameter('nextHopId');
    if (cidrContains(parseCidr(vpc.cidr), dest)) {
      throw new InvalidParameterValue(`destination ${dest.text} is inside VPC ${vpc.id} (${vpc.cidr}); traffic inside the VPC always takes the local route`);
    }
    if (rtb.routes.some((r) => r.destinationCidr === dest.text)) {
      throw new InvalidParameterValue(`route table ${id} already has a route to ${dest.text}; delete it first`);
    }
    if (input.nextHopType === 'nat') {
      const nat = mustGet(this.s.natGateways, input.nextHopId);
      if (nat.vpcId !== vpc.id) throw new InvalidParameterValue(`NAT gateway ${nat.id} is in VPC ${nat.vpcId}, not in ${vpc.id}`);
    }
    if (input.nextHopType === 'eip') mustGet(this.s.eips, input.nextHopId);
    if (input.nextHopType === 'igw' && !this.internetGateways(vpc.id).includes(input.nextHopId)) {
      // EC2 CreateRoute's answer for a gateway it does not know (the only one nodeless has is the AWS default VPC's).
      throw new CloudError('InvalidInternetGatewayID.NotFound', `The internetGateway ID '${input.nextHopId}' does not exist`, 400);
    }
    const route: Route = { destinationCidr: dest.text, nextHopType: input.nextHopType, nextHopId: input.nextHopId };
    if (input.description) route.description = String(input.description);
    await this.s.routeTables.update(rtb, (t) => { t.routes.push(route); });
    return this.changed(rtb);
  }

  async deleteRoute(id: string, destinationCidr: string): Promise<RouteTableView> {
    const rtb = mustGet(this.s.routeTables, id);
    const dest = parseCidr(destinationCidr, 'destinationCidr');
    const index = rtb.routes.findIndex((r) => r.destinationCidr === dest.text);
    if (index < 0) throw new ResourceNotFound('route', `${dest.text} in ${id}`);
    if (rtb.routes[index].nextHopType === 'local') throw new UnsupportedOperation('the local route of a VPC cannot be deleted');
    await this.s.routeTables.update(rtb, (t) => { t.routes.splice(index, 1); });
    return this.changed(rtb);
  }

  /** Associates a subnet with this table (a subnet has exactly one table). */
  async associate(id: string, subnetId: string): Promise<RouteTableView> {
    const rtb = mustGet(this.s.routeTables, id);
    const subnet = mustGet(this.s.subnets, subnetId);
    if (subnet.vpcId !== rtb.vpcId) throw new InvalidParameterValue(`subnet ${subnetId} is in VPC ${subnet.vpcId}, route table ${id} in ${rtb.vpcId}`);
    const previous = subnet.routeTableId;
    await this.s.subnets.update(subnet, (x) => { x.routeTableId = id; });
    this.s.emit({ kind: 'subnet', type: 'updated', id: subnetId, object: clone(subnet) });
    if (previous && previous !== id && this.s.routeTables.has(previous)) this.changed(this.s.routeTables.get(previous)!);
    return this.changed(rtb);
  }

  /** Longest-prefix match of `ip` in the table of `subnetId`. */
  lookup(subnetId: string, ip: string): Route | undefined {
    const subnet = mustGet(this.s.subnets, subnetId);
    const addr = parseIp(ip);
    if (addr === undefined) throw new InvalidParameterValue(`${ip} is not an IPv4 address`);
    const rtb = this.s.routeTables.get(subnet.routeTableId);
    let best: Route | undefined;
    let bestPrefix = -1;
    for (const r of rtb?.routes ?? []) {
      const c = parseCidr(r.destinationCidr);
      if (cidrContainsIp(c, addr) && c.prefix > bestPrefix) {
        best = r;
        bestPrefix = c.prefix;
      }
    }
    return best ? clone(best) : undefined;
  }

  /** The internet gateways of a VPC (the AWS default VPC's, named by its main table's route). */
  internetGateways(vpcId: string): string[] {
    return [...new Set(this.s.routeTables.all().filter((t) => t.vpcId === vpcId).flatMap((t) => t.routes.filter((r) => r.nextHopType === 'igw').map((r) => r.nextHopId)))];
  }

  /** AWS's public subnet: its route table has a route to an internet gateway (EKS Fargate takes only private ones). */
  isPublic(subnetId: string): boolean {
    const subnet = mustGet(this.s.subnets, subnetId);
    return (this.s.routeTables.get(subnet.routeTableId)?.routes ?? []).some((r) => r.nextHopType === 'igw');
  }

  /** The path to the internet from `subnetId` (a public test address stands for "the internet"). */
  egress(subnetId: string): EgressPath {
    const route = this.lookup(subnetId, '8.8.8.8');
    if (!route) return {};
    const nat = route.nextHopType === 'nat' ? this.s.natGateways.get(route.nextHopId) : undefined;
    return nat ? { route, nat: clone(nat) } : { route };
  }

  private changed(rtb: RouteTable): RouteTableView {
    const view = this.view(rtb);
    this.s.emit({ kind: 'routetable', type: 'updated', id: rtb.id, object: view });
    return view;
  }
}
