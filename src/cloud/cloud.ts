// The emulated cloud as one object: `Cloud.open(store)` loads every record and
// rebuilds the indexes; the per-resource models hang off it (cloud.vpcs,
// cloud.subnets, …) and the calls the Kubernetes side makes all the time
// (IPAM, quotas, change hook) are methods of their own.
import type { Store } from '../store/types.js';
import { ClusterModel } from './models/cluster.js';
import { EipModel } from './models/eip.js';
import type { AllocatePodEniInput, FindEniInput } from './models/eni.js';
import { EniModel } from './models/eni.js';
import { FileSystemModel } from './models/filesystem.js';
import { DiskModel } from './models/disk.js';
import { LoadBalancerModel } from './models/loadbalancer.js';
import { NatGatewayModel } from './models/natgateway.js';
import { NodeGroupModel } from './models/nodegroup.js';
import { FargateModel } from './models/fargate.js';
import { VpcEndpointModel } from './models/vpcendpoint.js';
import { QuotaModel } from './models/quota.js';
import { DEFAULT_REGION, DEFAULT_ZONES, RegionModel } from './models/region.js';
import { RouteTableModel } from './models/routetable.js';
import { SecurityGroupModel } from './models/securitygroup.js';
import { SubnetModel } from './models/subnet.js';
import { SuperNodeModel } from './models/supernode.js';
import { VpcModel } from './models/vpc.js';
import { CloudState } from './state.js';
import type { CloudFaults } from './faults.js';
import type { Random } from '../util/random.js';
import type { CloudName } from './storage.js';
import type { CreateClusterInput } from './models/cluster.js';
import { checkCloud, cloudOf } from './models/region.js';
import type { CloudChange, Cluster, Eni, QuotaName, QuotaView, SecurityGroup, SubnetView, SuperNode, Vpc } from './types.js';

export interface CloudOptions {
  region?: string;
  zones?: string[];
  /** Where the service is random (a NAT gateway's EIP per flow): Math.random unless a test injects a seeded one. */
  random?: Random;
}

export interface BootstrapOptions {
  /** Also create one super node per default subnet for the default cluster (first start only). */
  superNodes?: boolean;
  /** The cloud cluster `default` is made on (first start only; default Tencent). */
  cloud?: CloudName;
}

/** What bootstrap found or made. */
export interface BootstrapResult {
  vpc: Vpc;
  subnets: SubnetView[];
  securityGroup: SecurityGroup;
  cluster: Cluster;
  superNodes: SuperNode[];
  /** True when this call created the defaults (empty store). */
  created: boolean;
}

export class Cloud {
  readonly regions: RegionModel;
  readonly quotas: QuotaModel;
  readonly vpcs: VpcModel;
  readonly subnets: SubnetModel;
  readonly routeTables: RouteTableModel;
  readonly eips: EipModel;
  readonly natGateways: NatGatewayModel;
  readonly securityGroups: SecurityGroupModel;
  readonly enis: EniModel;
  readonly clusters: ClusterModel;
  readonly superNodes: SuperNodeModel;
  readonly nodeGroups: NodeGroupModel;
  readonly fargate: FargateModel;
  readonly vpcEndpoints: VpcEndpointModel;
  readonly fileSystems: FileSystemModel;
  readonly disks: DiskModel;
  readonly loadBalancers: LoadBalancerModel;
  readonly random: Random;
  /** Injected faults (docs/faults.md). */
  readonly faults: CloudFaults;
  /**
   * Each AWS node's ipamd introspection (docs/aws/vpc-cni.md), by node name: registered by the VPC CNI
   * that runs above the cloud, served at /cloud/v1/ipamd/NODE for `nodeless aws ipamd`.
   */
  readonly ipamd = new Map<string, () => unknown>();

  private constructor(private readonly state: CloudState, random: Random = Math.random) {
    this.random = random;
    const s = state;
    this.faults = state.faults;
    // A subnet a fault exhausts (or gives back) is reported as changed, as an allocation is: the super nodes follow it.
    this.faults.subnetsChanged = (ids) => {
      for (const id of ids) if (state.subnets.has(id)) state.emit({ kind: 'subnet', type: 'updated', id, object: this.subnets.get(id) });
    };
    this.regions = new RegionModel(s);
    this.quotas = new QuotaModel(s);
    this.vpcs = new VpcModel(s, this.quotas);
    this.subnets = new SubnetModel(s, this.quotas, this.regions);
    this.routeTables = new RouteTableModel(s);
    this.eips = new EipModel(s, this.quotas);
    this.natGateways = new NatGatewayModel(s, this.quotas, this.eips);
    this.securityGroups = new SecurityGroupModel(s);
    this.enis = new EniModel(s, this.quotas, this.subnets, this.eips);
    this.clusters = new ClusterModel(s, this.quotas, this.enis);
    this.superNodes = new SuperNodeModel(s, this.clusters);
    this.nodeGroups = new NodeGroupModel(s, this.clusters, this.enis, this.superNodes);
    this.fargate = new FargateModel(s, this.clusters, this.enis, this.superNodes, this.routeTables);
    this.vpcEndpoints = new VpcEndpointModel(s, this.routeTables);
    this.fileSystems = new FileSystemModel(s, this.enis);
    this.disks = new DiskModel(s, this.quotas, this.regions);
    this.loadBalancers = new LoadBalancerModel(s, this.quotas, this.eips, this.enis);
  }

  /** Loads all cloud records from the store and rebuilds the in-memory indexes (IP bitmaps…). */
  static async open(store: Store, opts: CloudOptions = {}): Promise<Cloud> {
    const state = new CloudState(store, opts.region ?? DEFAULT_REGION, opts.zones ?? DEFAULT_ZONES);
    await state.load();
    const cloud = new Cloud(state, opts.random);
    await cloud.fileSystems.load();
    await cloud.disks.load();
    await cloud.loadBalancers.load();
    return cloud;
  }

  get region(): string {
    return this.state.region;
  }

  /**
   * On an empty store: default VPC 10.0.0.0/16, one /24 per zone, the default
   * route table and security group, and cluster `default`. Later starts find
   * and return them (idempotent; each missing piece is made again).
   */
  async bootstrap(opts: BootstrapOptions = {}): Promise<BootstrapResult> {
    const cloud = checkCloud(opts.cloud);
    const existing = this.state.clusterByName.has('default') ? this.clusters.get('default') : undefined;
    if (existing && cloudOf(existing) !== cloud) {
      throw new Error(`cluster default of this home is on ${cloudOf(existing)}, not ${cloud}: --cloud chooses the cloud of a new home's default cluster (add one on ${cloud} with \`nodeless cluster create NAME --cloud ${cloud}\`)`);
    }
    let { vpc, subnets, created } = await this.defaultNetwork(cloud);
    let securityGroup = this.securityGroups.defaultGroup();
    if (!securityGroup) {
      securityGroup = await this.securityGroups.create({
        name: 'default',
        description: 'default security group of the region: all egress, ingress from the default VPC',
        isDefault: true,
        ingress: [{ protocol: 'all', port: 'ALL', cidr: vpc.cidr, action: 'ACCEPT', description: 'from the default VPC' }],
        egress: [{ protocol: 'all', port: 'ALL', cidr: '0.0.0.0/0', action: 'ACCEPT', description: 'all egress' }],
      });
      created = true;
    }
    let cluster = existing;
    let superNodes: SuperNode[] = [];
    if (!cluster) {
      cluster = await this.clusters.create({ name: 'default', vpcId: vpc.id, subnetIds: subnets.map((x) => x.id), cloud });
      created = true;
      if (opts.superNodes && cloud === 'tencent') {
        for (const subnet of subnets) superNodes.push(await this.superNodes.create({ clusterName: 'default', subnetId: subnet.id }));
      }
    } else {
      superNodes = this.superNodes.list({ cluster: 'default' });
    }
    return { vpc, subnets, securityGroup, cluster, superNodes, created };
  }

  /**
   * The default VPC of `cloud`'s region and its default subnet per zone, made where missing
   * (each missing piece again, so a half-made network is completed on the next call).
   */
  async defaultNetwork(cloud: CloudName): Promise<{ vpc: Vpc; subnets: SubnetView[]; created: boolean }> {
    let created = false;
    const { vpcCidr, subnetCidr } = this.regions.defaults(cloud);
    let vpc = this.vpcs.defaultVpc(cloud);
    if (!vpc) {
      vpc = await this.vpcs.create({ cidr: vpcCidr, name: 'default', isDefault: true, cloud });
      created = true;
    }
    const subnets: SubnetView[] = [];
    for (const [i, zone] of this.regions.of(cloud).zones.entries()) {
      let subnet = this.subnets.list({ vpcId: vpc.id, zone }).find((x) => x.isDefault);
      if (!subnet) {
        subnet = await this.subnets.create({ vpcId: vpc.id, zone, cidr: subnetCidr(i), name: `default-${zone}`, isDefault: true });
        created = true;
      }
      subnets.push(subnet);
    }
    return { vpc, subnets, created };
  }

  /** A cluster on its cloud; with no VPC named, in the cloud's default VPC, made the first time it is needed. */
  async createCluster(input: CreateClusterInput): Promise<Cluster> {
    const cloud = checkCloud(input.cloud);
    if (input.vpcId === undefined) await this.defaultNetwork(cloud);
    return this.clusters.create(input);
  }

  /** The pod's ENI with an IP from `subnetId`; durable before it resolves, idempotent per pod uid. */
  async allocatePodEni(input: AllocatePodEniInput): Promise<Eni> {
    await this.faults.call('enis');
    return this.enis.allocatePod(input);
  }

  releaseEni(eniId: string): Promise<Eni> {
    return this.enis.release(eniId);
  }

  findEniByPod(input: FindEniInput): Eni | undefined {
    return this.enis.findByPod(input);
  }

  /** Free IP addresses of a subnet. */
  subnetAvailable(subnetId: string): number {
    return this.subnets.available(subnetId);
  }

  setQuota(name: QuotaName, value: number, opts: { cluster?: string } = {}): Promise<QuotaView> {
    return this.quotas.set(name, value, opts);
  }

  getQuota(name: QuotaName, opts: { cluster?: string } = {}): number {
    return this.quotas.limit(name, opts.cluster);
  }

  /** Called after every durable change; returns an unsubscribe function. */
  onChange(listener: (change: CloudChange) => void): () => void {
    return this.state.onChange(listener);
  }
}
