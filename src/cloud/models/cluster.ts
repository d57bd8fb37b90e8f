// Clusters: a serverless cluster lives in one VPC and takes pod IPs from its
// container-network subnets (docs/tencent/super-nodes.md). The Kubernetes side owns the objects;
// this is the cloud's record of the cluster.
import { randomBytes } from 'node:crypto';
import { EksInvalidParameter, ec2NotFound, InvalidParameterValue, ResourceInUse, ResourceNotFound } from '../errors.js';
import { parseIp } from '../ipv4.js';
import type { CloudName } from '../storage.js';
import { newId } from '../ids.js';
import type { CloudState } from '../state.js';
import { now } from '../state.js';
import type { Cluster, EndpointAccess, Eni } from '../types.js';
import { checkDnsLabel, clone, mustGet } from './common.js';
import { checkCloud, cloudOf, RegionModel } from './region.js';
import type { QuotaModel } from './quota.js';
import type { EniModel } from './eni.js';

export interface CreateClusterInput {
  name: string;
  /** Default: the region's default VPC. */
  vpcId?: string;
  /** Default: every subnet of the VPC. */
  subnetIds?: string[];
  endpointAccess?: Partial<EndpointAccess>;
  /** The cloud whose product the cluster is (default Tencent); its VPC must be of that cloud. */
  cloud?: CloudName;
}

export class ClusterModel {
  constructor(private readonly s: CloudState, private readonly quotas: QuotaModel, private readonly enis: EniModel) {}

  list(): Cluster[] {
    return this.s.clusters.all().map(clone);
  }

  /** By id (cls-…) or by name. */
  get(idOrName: string): Cluster {
    return clone(this.find(idOrName));
  }

  find(idOrName: string): Cluster {
    const id = this.s.clusterByName.get(idOrName) ?? idOrName;
    const c = this.s.clusters.get(id);
    if (!c) throw new ResourceNotFound('cluster', idOrName);
    return c;
  }

  async create(input: CreateClusterInput): Promise<Cluster> {
    const name = checkDnsLabel(input.name, 'cluster name');
    const taken = this.s.clusterByName.get(name);
    if (taken) throw new InvalidParameterValue(`cluster name ${name} is already used by ${taken}`);
    const cloud = checkCloud(input.cloud);
    const aws = cloud === 'aws';
    // An AWS cluster is refused in EC2's and EKS's words (docs/aws.md).
    if (aws && input.vpcId !== undefined && !this.s.vpcs.has(input.vpcId)) throw ec2NotFound('vpc', String(input.vpcId));
    const vpc = input.vpcId ? mustGet(this.s.vpcs, input.vpcId) : this.s.vpcs.all().find((v) => v.isDefault && cloudOf(v) === cloud);
    if (!vpc) throw new InvalidParameterValue(`no vpcId given and the ${cloud} region has no default VPC`);
    if (cloudOf(vpc) !== cloud) throw new InvalidParameterValue(`VPC ${vpc.id} is a ${cloudOf(vpc)} VPC; a cluster on ${cloud} needs a VPC of ${cloud}`);
    let subnetIds = input.subnetIds ?? this.s.subnets.all().filter((x) => x.vpcId === vpc.id).map((x) => x.id);
    if (!Array.isArray(subnetIds)) throw new InvalidParameterValue('subnetIds must be a list of subnet ids');
    subnetIds = [...new Set(subnetIds)];
    if (subnetIds.length === 0) throw new InvalidParameterValue(`a cluster needs at least one subnet of VPC ${vpc.id} for its pods`);
    for (const id of subnetIds) {
      if (aws && !this.s.subnets.has(id)) throw ec2NotFound('subnet', id);
      const subnet = mustGet(this.s.subnets, id);
      if (subnet.vpcId !== vpc.id) {
        if (aws) throw new EksInvalidParameter('Subnets specified must be in the same VPC');
        throw new InvalidParameterValue(`subnet ${id} is in VPC ${subnet.vpcId}, not in the cluster's VPC ${vpc.id}`);
      }
    }
    if (aws && new Set(subnetIds.map((id) => this.s.subnets.get(id)!.zone)).size < 2) {
      throw new EksInvalidParameter('Subnets specified must be in at least two different AZs');
    }
    const endpointAccess = checkEndpointAccess(input.endpointAccess, aws);
    const cluster: Cluster = {
      id: newId('cluster', (x) => this.s.clusters.has(x)),
      name, vpcId: vpc.id, subnetIds, endpointAccess, createdTime: now(), ...(cloud === 'tencent' ? {} : { cloud }),
      ...(aws ? { endpointHost: this.endpointName() } : {}),
    };
    await this.s.clusters.insert(cluster);
    try {
      await this.syncEndpointEnis(cluster);
    } catch (e) {
      await this.s.clusters.remove(cluster);
      throw e;
    }
    this.s.emit({ kind: 'cluster', type: 'created', id: cluster.id, object: clone(cluster) });
    return clone(cluster);
  }

  /** EKS names each endpoint HEX.gr7.REGION.eks.amazonaws.com (docs/aws/endpoint-access.md). */
  private endpointName(): string {
    return `${randomBytes(16).toString('hex').toUpperCase()}.gr7.${new RegionModel(this.s).of('aws').region}.eks.amazonaws.com`;
  }

  /** The ENIs of an EKS cluster (description "Amazon EKS NAME"): its private endpoint's addresses, in its subnets. */
  endpointEnis(cluster: Cluster): Eni[] {
    return this.enis.list({ cluster: cluster.name }).filter((e) => e.attachedTo.type === 'cluster');
  }

  /**
   * With private access on, an EKS cluster has two ENIs in two of its subnets (distinct zones when it can):
   * the addresses its endpoint name resolves to inside the VPC. Off, they are deleted and their addresses freed.
   */
  private async syncEndpointEnis(cluster: Cluster): Promise<void> {
    if (cluster.cloud !== 'aws') return;
    const have = this.endpointEnis(cluster);
    if (!cluster.endpointAccess.private) {
      for (const e of have) await this.enis.release(e.id);
      return;
    }
    if (have.length >= 2) return;
    const subnets = cluster.subnetIds.map((id) => this.s.subnets.get(id)!).filter(Boolean);
    const byZone = [...new Map(subnets.map((x) => [x.zone, x])).values()];
    const chosen = (byZone.length >= 2 ? byZone : subnets).filter((x) => !have.some((e) => e.subnetId === x.id));
    for (const subnet of chosen.slice(0, 2 - have.length)) {
      await this.enis.allocateCluster({ cluster: cluster.name, subnetId: subnet.id, description: `Amazon EKS ${cluster.name}` });
    }
  }

  async update(idOrName: string, input: { endpointAccess?: Partial<EndpointAccess>; subnetIds?: string[] }): Promise<Cluster> {
    const cluster = this.find(idOrName);
    const aws = cluster.cloud === 'aws';
    if (input.endpointAccess !== undefined && (input.endpointAccess === null || typeof input.endpointAccess !== 'object' || Array.isArray(input.endpointAccess))) {
      throw new InvalidParameterValue('endpointAccess must be an object');
    }
    const endpointAccess = input.endpointAccess === undefined ? undefined : checkEndpointAccess({ ...cluster.endpointAccess, ...input.endpointAccess }, aws);
    // EKS refuses an UpdateClusterConfig that changes nothing, naming the configuration it already has.
    if (aws && endpointAccess && input.subnetIds === undefined && sameAccess(endpointAccess, cluster.endpointAccess)) {
      throw new EksInvalidParameter(`Cluster is already at the desired configuration with endpointPrivateAccess: ${endpointAccess.private} , endpointPublicAccess: ${endpointAccess.public}, and Public Endpoint Restrictions: [${(endpointAccess.publicAccessCidrs ?? []).join(',')}]`);
    }
    let subnetIds: string[] | undefined;
    if (input.subnetIds !== undefined) {
      if (!Array.isArray(input.subnetIds) || input.subnetIds.length === 0) throw new InvalidParameterValue('subnetIds must be a non-empty list');
      subnetIds = [...new Set(input.subnetIds)];
      for (const id of subnetIds) {
        if (mustGet(this.s.subnets, id).vpcId !== cluster.vpcId) throw new InvalidParameterValue(`subnet ${id} is not in VPC ${cluster.vpcId}`);
      }
      const kept = this.s.superNodes.all().find((n) => n.clusterName === cluster.name && !subnetIds!.includes(n.subnetId));
      if (kept) throw new ResourceInUse(`super node ${kept.name} still uses subnet ${kept.subnetId}`);
    }
    await this.s.clusters.update(cluster, (c) => {
      if (endpointAccess) c.endpointAccess = endpointAccess;
      // An EKS cluster recorded before endpoints had names gets its name now.
      if (aws && !c.endpointHost) c.endpointHost = this.endpointName();
      if (subnetIds) c.subnetIds = subnetIds;
    });
    await this.syncEndpointEnis(cluster);
    this.s.emit({ kind: 'cluster', type: 'updated', id: cluster.id, object: clone(cluster) });
    return clone(cluster);
  }

  /** Adds a subnet to the container network (what adding a super node on a new subnet does, docs/tencent/super-nodes.md). */
  startAddSubnet(cluster: Cluster, subnetId: string): Promise<unknown> | undefined {
    if (cluster.subnetIds.includes(subnetId)) return undefined;
    return this.s.clusters.update(cluster, (c) => { c.subnetIds.push(subnetId); });
  }

  async delete(idOrName: string): Promise<Cluster> {
    const cluster = this.find(idOrName);
    const nodes = this.s.superNodes.all().filter((n) => n.clusterName === cluster.name);
    if (nodes.length) throw new ResourceInUse(`cluster ${cluster.name} still has super node(s) ${nodes.map((n) => n.name).join(', ')}`);
    const pods = this.s.podsByCluster.get(cluster.name) ?? 0;
    if (pods) throw new ResourceInUse(`cluster ${cluster.name} still has ${pods} pod network interface(s)`);
    for (const e of this.endpointEnis(cluster)) await this.enis.release(e.id);
    await Promise.all([this.s.clusters.remove(cluster), ...this.quotas.removeCluster(cluster.name)]);
    this.s.emit({ kind: 'cluster', type: 'deleted', id: cluster.id, object: clone(cluster) });
    return clone(cluster);
  }
}

/** EKS's quota of public endpoint CIDR blocks per cluster. */
export const MAX_PUBLIC_ACCESS_CIDRS = 40;

/**
 * EKS rule: private access must be on before public can be turned off, so never both off; publicAccessCidrs
 * are IPv4 blocks, 0.0.0.0/0 when none are given (docs/aws/endpoint-access.md). EKS's words on AWS.
 */
function checkEndpointAccess(input: Partial<EndpointAccess> | undefined, aws = false): EndpointAccess {
  const access: EndpointAccess = { public: input?.public ?? true, private: input?.private ?? false };
  if (typeof access.public !== 'boolean' || typeof access.private !== 'boolean') {
    throw new InvalidParameterValue('endpointAccess.public and endpointAccess.private must be true or false');
  }
  if (!access.public && !access.private) {
    if (aws) throw new EksInvalidParameter('Both private and public endpoint access cannot be false');
    throw new InvalidParameterValue('endpoint access needs public or private access enabled; enable private before disabling public');
  }
  const cidrs = input?.publicAccessCidrs;
  if (!aws && cidrs !== undefined) throw new InvalidParameterValue('publicAccessCidrs is an EKS setting: only an AWS cluster takes it');
  if (cidrs !== undefined && (!Array.isArray(cidrs) || cidrs.length === 0)) throw new EksInvalidParameter('publicAccessCidrs must be a non-empty list of CIDR blocks');
  if (cidrs !== undefined || aws) {
    const list = [...new Set((cidrs ?? ['0.0.0.0/0']).map(String))];
    const bad = list.filter((c) => !isIpv4Cidr(c));
    if (bad.length) throw new EksInvalidParameter(`The following CIDRs are invalid in publicAccessCidrs: [${bad.join(',')}]`);
    if (list.length > MAX_PUBLIC_ACCESS_CIDRS) {
      throw new EksInvalidParameter(`publicAccessCidrs has ${list.length} blocks; a cluster takes at most ${MAX_PUBLIC_ACCESS_CIDRS}`);
    }
    access.publicAccessCidrs = list;
  }
  return access;
}

/** a.b.c.d/n with n from 0 to 32 (EKS takes a block whose address has host bits set, e.g. 1.2.3.4/24, as written). */
function isIpv4Cidr(text: string): boolean {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(text);
  return !!m && parseIp(m[1]) !== undefined && Number(m[2]) <= 32;
}

function sameAccess(a: EndpointAccess, b: EndpointAccess): boolean {
  const set = (x: EndpointAccess) => [...(x.publicAccessCidrs ?? ['0.0.0.0/0'])].sort().join(',');
  return a.public === b.public && a.private === b.private && set(a) === set(b);
}
