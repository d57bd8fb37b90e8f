// AWS VPC endpoints (docs/aws/private-subnets.md): an Interface endpoint puts a service's private
// DNS name inside the VPC (ecr.api, ecr.dkr), a Gateway endpoint adds the service's prefix list to
// route tables (s3). With them a subnet with no route to a NAT gateway or an internet gateway still
// reaches ECR; `registryPath` answers "can an instance in this subnet pull from this registry?",
// for the node agent (pulls, node joins) and nodeless doctor alike.
import { CloudError, ec2NotFound } from '../errors.js';
import { newId } from '../ids.js';
import type { CloudState } from '../state.js';
import { now } from '../state.js';
import type { Route, VpcEndpoint } from '../types.js';
import { clone } from './common.js';
import type { RouteTableModel } from './routetable.js';

export interface CreateVpcEndpointInput {
  vpcId: string;
  serviceName: string;
  type?: string;
  subnetIds?: string[];
  routeTableIds?: string[];
  privateDnsEnabled?: boolean;
}

/** The services of a region nodeless knows, and the endpoint types each offers (S3 offers both). */
function services(region: string): Map<string, ('Interface' | 'Gateway')[]> {
  const p = `com.amazonaws.${region}.`;
  return new Map([
    [`${p}ecr.api`, ['Interface']], [`${p}ecr.dkr`, ['Interface']], [`${p}s3`, ['Gateway', 'Interface']],
    [`${p}dynamodb`, ['Gateway']], [`${p}sts`, ['Interface']], [`${p}logs`, ['Interface']], [`${p}ec2`, ['Interface']],
    [`${p}elasticloadbalancing`, ['Interface']], [`${p}eks`, ['Interface']], [`${p}eks-auth`, ['Interface']],
    [`${p}autoscaling`, ['Interface']], [`${p}ssm`, ['Interface']],
  ]);
}

const ec2Error = (code: string, message: string) => new CloudError(code, message, 400);

/** The ECR registry of the EKS images (pause, aws-node, kube-proxy, coredns) in us-east-1. */
export const EKS_REGISTRY = '602401143452.dkr.ecr.us-east-1.amazonaws.com';

/** Where an image comes from, as containerd resolves a reference: its registry host and the manifest URL. */
export function imageRegistry(image: string): { host: string; ref: string; manifestUrl: string } {
  let rest = image.split('@')[0];
  const first = rest.split('/')[0];
  let host = 'docker.io';
  if (rest.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    host = first;
    rest = rest.slice(first.length + 1);
  } else if (!rest.includes('/')) rest = `library/${rest}`;
  const colon = rest.lastIndexOf(':');
  const [repo, tag] = colon > 0 && !rest.slice(colon).includes('/') ? [rest.slice(0, colon), rest.slice(colon + 1)] : [rest, 'latest'];
  // Docker Hub's registry answers at registry-1.docker.io.
  const api = host === 'docker.io' ? 'registry-1.docker.io' : host;
  return { host: api, ref: `${host}/${repo}:${tag}`, manifestUrl: `https://${api}/v2/${repo}/manifests/${tag}` };
}

/** An ECR registry host (ACCOUNT.dkr.ecr.REGION.amazonaws.com) and its region. */
export function ecrRegion(host: string): string | undefined {
  return /^\d{12}\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com$/.exec(host)?.[1];
}

/** Can an instance in a subnet reach a registry, and if not, which piece is missing. */
export type RegistryPath =
  | { ok: true; via: 'nat' | 'igw' | 'endpoints' }
  | { ok: false; missing: string[]; step: 'dial' | 'auth' | 'layers' };

/** What decides a subnet's way to a registry: its internet route, its route table, its VPC's endpoints. */
export interface RegistryPathInput {
  route: Pick<Route, 'nextHopType' | 'nextHopId'> | undefined;
  natExists: (id: string) => boolean;
  routeTableId: string;
  endpoints: Pick<VpcEndpoint, 'serviceName' | 'type' | 'privateDnsEnabled' | 'routeTableIds'>[];
  host: string;
}

/**
 * The rules of `registryPath`, on plain data (nodeless doctor runs them on what the API returns):
 * a route to a NAT gateway or an internet gateway reaches any registry; without one, an ECR registry
 * of the region is reached through the ecr.dkr endpoint (the registry), the ecr.api endpoint (the
 * credential provider's token) and the S3 gateway endpoint on the subnet's route table (ECR serves
 * image layers from S3).
 */
export function ecrPath(i: RegistryPathInput): RegistryPath {
  if (i.route?.nextHopType === 'nat' && i.natExists(i.route.nextHopId)) return { ok: true, via: 'nat' };
  if (i.route?.nextHopType === 'igw') return { ok: true, via: 'igw' };
  const region = ecrRegion(i.host);
  if (region !== 'us-east-1') return { ok: false, missing: ['a route 0.0.0.0/0 to a NAT gateway'], step: 'dial' };
  const iface = (svc: string) => i.endpoints.some((e) => e.type === 'Interface' && e.privateDnsEnabled && e.serviceName === `com.amazonaws.${region}.${svc}`);
  const s3 = i.endpoints.some((e) => e.serviceName === `com.amazonaws.${region}.s3` && (e.type === 'Interface' || e.routeTableIds.includes(i.routeTableId)));
  const missing = [
    ...(iface('ecr.dkr') ? [] : [`com.amazonaws.${region}.ecr.dkr`]),
    ...(iface('ecr.api') ? [] : [`com.amazonaws.${region}.ecr.api`]),
    ...(s3 ? [] : [`com.amazonaws.${region}.s3`]),
  ];
  if (!missing.length) return { ok: true, via: 'endpoints' };
  return { ok: false, missing, step: !iface('ecr.dkr') ? 'dial' : !iface('ecr.api') ? 'auth' : 'layers' };
}

export class VpcEndpointModel {
  constructor(private readonly s: CloudState, private readonly routeTables: RouteTableModel) {}

  list(filter: { vpcId?: string } = {}): VpcEndpoint[] {
    return this.s.vpcEndpoints.all().filter((e) => !filter.vpcId || e.vpcId === filter.vpcId).map(clone);
  }

  get(id: string): VpcEndpoint {
    return clone(this.find(id));
  }

  private find(id: string): VpcEndpoint {
    if (typeof id !== 'string' || !/^vpce-[0-9a-f]{8,17}$/.test(id)) throw ec2Error('InvalidVpcEndpointId.Malformed', `The Vpc Endpoint Id '${String(id)}' is malformed`);
    const e = this.s.vpcEndpoints.get(id);
    if (!e) throw ec2Error('InvalidVpcEndpointId.NotFound', `The Vpc Endpoint Id '${id}' does not exist`);
    return e;
  }

  async create(input: CreateVpcEndpointInput): Promise<VpcEndpoint> {
    const vpc = typeof input.vpcId === 'string' ? this.s.vpcs.get(input.vpcId) : undefined;
    if (!vpc) throw ec2NotFound('vpc', String(input.vpcId));
    if (vpc.cloud !== 'aws') throw ec2Error('InvalidParameter', `VPC ${vpc.id} is a ${vpc.cloud ?? 'tencent'} VPC: VPC endpoints are an AWS feature`);
    const region = 'us-east-1';
    const offered = services(region).get(String(input.serviceName));
    if (!offered) throw ec2Error('InvalidServiceName', `The Vpc Endpoint Service '${String(input.serviceName)}' does not exist`);
    // EC2's CreateVpcEndpoint takes Gateway when no type is given.
    const type = input.type ?? 'Gateway';
    if (type !== 'Interface' && type !== 'Gateway') throw ec2Error('InvalidParameterValue', `Value (${String(type)}) for parameter VpcEndpointType is invalid. Valid values: Interface, Gateway, GatewayLoadBalancer`);
    if (!offered.includes(type)) throw ec2Error('InvalidParameter', `The Vpc Endpoint Service '${input.serviceName}' does not support endpoint type ${type}; it offers ${offered.join(', ')}`);
    const subnetIds = [...new Set(input.subnetIds ?? [])];
    const routeTableIds = [...new Set(input.routeTableIds ?? [])];
    const others = this.s.vpcEndpoints.all().filter((e) => e.vpcId === vpc.id && e.serviceName === input.serviceName);
    let privateDnsEnabled = false;
    if (type === 'Interface') {
      if (routeTableIds.length) throw ec2Error('InvalidParameter', 'Route table IDs are only supported for Gateway type VPC Endpoint.');
      if (!subnetIds.length) throw ec2Error('InvalidParameter', 'Interface type VPC Endpoint needs at least one subnet (SubnetIds)');
      const zones = new Set<string>();
      for (const id of subnetIds) {
        const subnet = typeof id === 'string' ? this.s.subnets.get(id) : undefined;
        if (!subnet) throw ec2NotFound('subnet', String(id));
        if (subnet.vpcId !== vpc.id) throw ec2Error('InvalidParameter', `The subnet ID '${id}' is not in VPC ${vpc.id}`);
        if (zones.has(subnet.zone)) {
          throw ec2Error('DuplicateSubnetsInSameZone', `Found another VPC endpoint subnet in the availability zone of ${id}. VPC endpoint subnets should be in different availability zones supported by the VPC endpoint service.`);
        }
        zones.add(subnet.zone);
      }
      // The console's and the CLI's default for an AWS service's Interface endpoint: its private DNS name in the VPC.
      privateDnsEnabled = input.privateDnsEnabled ?? true;
      if (typeof privateDnsEnabled !== 'boolean') throw ec2Error('InvalidParameterValue', 'privateDnsEnabled must be true or false');
      if (privateDnsEnabled && !(vpc.enableDnsSupport && vpc.enableDnsHostnames)) {
        throw ec2Error('InvalidParameter', `Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for ${vpc.id}`);
      }
      if (privateDnsEnabled && others.some((e) => e.privateDnsEnabled)) {
        const host = String(input.serviceName).split('.').slice(3).join('.');
        throw ec2Error('InvalidParameter', `private-dns-enabled cannot be set because there is already a conflicting DNS domain for ${host}.${region}.amazonaws.com in the VPC ${vpc.id}`);
      }
    } else {
      if (subnetIds.length) throw ec2Error('InvalidParameter', 'Subnet IDs are only supported for Interface type VPC Endpoint.');
      for (const id of routeTableIds) {
        const rtb = typeof id === 'string' ? this.s.routeTables.get(id) : undefined;
        if (!rtb || rtb.vpcId !== vpc.id) throw ec2Error('InvalidRouteTableId.NotFound', `The routeTable ID '${String(id)}' does not exist`);
        if (others.some((e) => e.routeTableIds.includes(id))) {
          throw ec2Error('RouteAlreadyExists', `route table ${id} already has a route with destination-prefix-list-id of ${input.serviceName}`);
        }
      }
    }
    const endpoint: VpcEndpoint = {
      id: newId('vpcendpoint', (x) => this.s.vpcEndpoints.has(x), 'aws'),
      vpcId: vpc.id, serviceName: String(input.serviceName), type, subnetIds, routeTableIds, privateDnsEnabled, state: 'available', createdTime: now(),
    };
    await this.s.vpcEndpoints.insert(endpoint);
    this.s.emit({ kind: 'vpcendpoint', type: 'created', id: endpoint.id, object: clone(endpoint) });
    return clone(endpoint);
  }

  async delete(id: string): Promise<VpcEndpoint> {
    const e = this.find(id);
    await this.s.vpcEndpoints.remove(e);
    this.s.emit({ kind: 'vpcendpoint', type: 'deleted', id: e.id, object: clone(e) });
    return clone(e);
  }

  /** Whether an instance in `subnetId` (no public address of its own) reaches registry `host`: ecrPath's rules. */
  registryPath(subnetId: string, host: string): RegistryPath {
    const subnet = this.s.subnets.get(subnetId);
    if (!subnet) return { ok: false, missing: ['the subnet'], step: 'dial' };
    return ecrPath({
      route: this.routeTables.egress(subnetId).route, natExists: (id) => this.s.natGateways.has(id), routeTableId: subnet.routeTableId,
      endpoints: this.s.vpcEndpoints.all().filter((e) => e.vpcId === subnet.vpcId), host,
    });
  }
}
