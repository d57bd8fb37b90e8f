// The records of the emulated cloud, as persisted under /cloud/<kind>/<id>
// (JSON) and as returned by the Cloud methods and the REST API.
import type { CloudKind } from './ids.js';

export type Tags = Record<string, string>;

/** Fields every persisted record has. `rv` is the store revision of its last write. */
export interface RecordBase {
  id: string;
  createdTime: string;
  rv?: number;
}

export interface Region {
  region: string;
  zones: string[];
  /** The cloud whose region this is (docs/aws.md). */
  cloud?: 'tencent' | 'alibaba' | 'aws';
}

export interface Vpc extends RecordBase {
  name: string;
  /** The cloud the VPC is in (absent: Tencent): its zones, id style and error codes (docs/aws.md). */
  cloud?: 'tencent' | 'alibaba' | 'aws';
  cidr: string;
  isDefault: boolean;
  enableDnsSupport: boolean;
  enableDnsHostnames: boolean;
  tags: Tags;
}

export interface Subnet extends RecordBase {
  vpcId: string;
  zone: string;
  cidr: string;
  name: string;
  isDefault: boolean;
  /** Route table the subnet is associated with (the VPC's default table unless changed). */
  routeTableId: string;
  tags: Tags;
}

/** A subnet as shown to users: the record plus its live address counts. */
export interface SubnetView extends Subnet {
  /** Usable addresses: the block minus what the cloud reserves (state.ts reservedOffsets). */
  totalIpCount: number;
  availableIpCount: number;
  usedIpCount: number;
}

// 'igw': an AWS internet gateway (the AWS default VPC's main route table sends 0.0.0.0/0 to one; docs/aws/private-subnets.md).
export type NextHopType = 'local' | 'nat' | 'eip' | 'peering' | 'vpn' | 'ccn' | 'cvm' | 'havip' | 'igw';

export interface Route {
  destinationCidr: string;
  nextHopType: NextHopType;
  /** Id of the next hop (nat-…, eip-…); the VPC id for the `local` route. */
  nextHopId: string;
  description?: string;
}

export interface RouteTable extends RecordBase {
  vpcId: string;
  name: string;
  isDefault: boolean;
  routes: Route[];
}

export interface RouteTableView extends RouteTable {
  subnetIds: string[];
}

export interface NatGateway extends RecordBase {
  vpcId: string;
  name: string;
  eipIds: string[];
  /** Bandwidth cap shared by everything behind the gateway. */
  bandwidthMbps: number;
  state: 'AVAILABLE';
}

export interface PodRef {
  cluster: string;
  namespace: string;
  name: string;
}

export type EipAssociation =
  /**
   * `effectiveAt`: associating is asynchronous (Alibaba's AssociateEipAddress, Tencent's AssociateAddress
   * answer at once and the EIP carries traffic a moment later); until then nothing reaches the ENI
   * through the EIP and its egress does not leave by it. Absent: at once.
   */
  | { type: 'eni'; id: string; privateIp: string; effectiveAt?: string }
  | { type: 'nat'; id: string };

export interface Eip extends RecordBase {
  address: string;
  name: string;
  description: string;
  bandwidthMbps: number;
  internetChargeType: string;
  instanceChargeType: string;
  isp: string;
  status: 'UNBIND' | 'BIND';
  /** The resource group it belongs to (Alibaba's ResourceGroupId): the account's default group unless one was given. */
  resourceGroupId?: string;
  association?: EipAssociation;
  /** The pod the EIP is bound to, for the pod EIP controller and for people reading `eip list`. */
  boundPod?: PodRef;
  /**
   * Set when the pod EIP controller allocated it for a pod: if nodeless dies
   * between the allocation and the PodEIP that records it, the controller
   * finds the orphan by this mark at start and releases it.
   */
  allocatedFor?: PodRef;
}

/**
 * What a pod asks of the EIP service, whichever cloud's annotations it uses
 * (src/clouds/alibaba/pod-eip.ts, src/clouds/tencent/pod-eip.ts): both dialects
 * read into this one shape, so one pod EIP controller serves them both.
 */
export interface EipRequest {
  /** An existing EIP named by instance id (Static), else allocate one (Auto). */
  instanceId?: string;
  bandwidthMbps: number;
  internetChargeType: string;
  instanceChargeType: string;
  isp?: string;
  name?: string;
  description?: string;
  /** Alibaba's eip-resource-group-id (default: the account's default resource group). */
  resourceGroupId?: string;
  releaseStrategy: 'Follow' | 'TTL' | 'Never';
  /** For TTL, in milliseconds. */
  releaseAfterMs?: number;
  releaseAfter?: string;
}

export type SgProtocol = 'tcp' | 'udp' | 'icmp' | 'all';
export type SgAction = 'ACCEPT' | 'DROP';

export interface SgRule {
  protocol: SgProtocol;
  /** "ALL", "80", "8000-9000" or "80,443". */
  port: string;
  /** Peer as a CIDR, or as another security group (its members' addresses). Exactly one is set. */
  cidr?: string;
  sgId?: string;
  action: SgAction;
  description?: string;
}

export interface SecurityGroup extends RecordBase {
  name: string;
  description: string;
  isDefault: boolean;
  ingress: SgRule[];
  egress: SgRule[];
  tags: Tags;
}

export interface SecurityGroupView extends SecurityGroup {
  /** ENIs (pods, nodes) bound to the group. */
  instanceCount: number;
}

export interface PodAttachment {
  type: 'pod';
  cluster: string;
  namespace: string;
  pod: string;
  uid: string;
  /** Super node (or node) the pod runs on, when known. */
  node?: string;
}

export interface NodeAttachment {
  type: 'node';
  cluster?: string;
  node: string;
}

/** An EKS cluster's own ENI in the cluster's subnets, where its private endpoint answers (docs/aws/endpoint-access.md). */
export interface ClusterAttachment {
  type: 'cluster';
  cluster: string;
  node?: undefined;
}

export interface Eni extends RecordBase {
  subnetId: string;
  vpcId: string;
  zone: string;
  primaryIp: string;
  securityGroupIds: string[];
  attachedTo: PodAttachment | NodeAttachment | ClusterAttachment;
  /** EC2's Description of the interface (an EKS cluster's: "Amazon EKS NAME"). */
  description?: string;
  /**
   * An EC2 instance's ENI (docs/aws/vpc-cni.md): its attachment's device index (0 = the primary ENI),
   * the secondary private addresses and the /28 prefixes assigned to it (AssignPrivateIpAddresses),
   * which the VPC CNI hands to pods. Each address they cover is taken in the subnet.
   */
  deviceIndex?: number;
  secondaryIps?: string[];
  prefixes?: string[];
}

export interface EndpointAccess {
  public: boolean;
  private: boolean;
  /** EKS publicAccessCidrs: who may reach the public endpoint (default 0.0.0.0/0; docs/aws/endpoint-access.md). */
  publicAccessCidrs?: string[];
}

export interface Cluster extends RecordBase {
  name: string;
  vpcId: string;
  /** Container network: the subnets pods take their IPs from. */
  subnetIds: string[];
  endpointAccess: EndpointAccess;
  /** AWS: the API server endpoint's DNS name (HEX.gr7.us-east-1.eks.amazonaws.com). */
  endpointHost?: string;
  /** The cloud whose product the cluster is (issue 20 adds Alibaba and AWS clusters); absent: Tencent. */
  cloud?: 'tencent' | 'alibaba' | 'aws';
}

export type SuperNodeState = 'running' | 'draining';

export interface SuperNode extends RecordBase {
  name: string;
  clusterName: string;
  subnetId: string;
  zone: string;
  state: SuperNodeState;
  /** Set when the node is an EC2 instance of an EKS managed node group (docs/aws.md), not a super node. */
  instance?: NodeGroupInstance;
  /** Set when the node is the Fargate micro-VM of one pod (docs/aws/fargate.md). */
  fargate?: FargateInstance;
}

/** The Fargate node of one pod: its profile, its pod, its ENI and what Fargate provisioned for it. */
export interface FargateInstance {
  profile: string;
  namespace: string;
  pod: string;
  uid: string;
  privateIp: string;
  eniId: string;
  /** The provisioned combination, e.g. 0.25 and 0.5 (the CapacityProvisioned annotation "0.25vCPU 0.5GB"). */
  vcpu: number;
  memoryGB: number;
}

/** An EKS Fargate profile (docs/aws/fargate.md): which pods run on Fargate, in which private subnets. */
export interface FargateProfile extends RecordBase {
  name: string;
  clusterName: string;
  arn: string;
  podExecutionRoleArn: string;
  subnetIds: string[];
  selectors: { namespace: string; labels?: Record<string, string> }[];
  /** CREATING until then (EKS takes a while to create a profile), ACTIVE after. */
  activeAt: string;
}

/** An AWS VPC endpoint (docs/aws/private-subnets.md): Interface (ENIs in subnets) or Gateway (routes in route tables). */
export interface VpcEndpoint extends RecordBase {
  vpcId: string;
  serviceName: string;
  type: 'Interface' | 'Gateway';
  subnetIds: string[];
  routeTableIds: string[];
  privateDnsEnabled: boolean;
  state: 'available';
}

export interface NodeGroupInstance {
  instanceId: string;
  instanceType: string;
  nodegroup: string;
  privateIp: string;
  /** The instance's primary ENI (its address). */
  eniId: string;
  /** The group's Kubernetes labels and taints when the instance was launched. */
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
  /** The group's bootstrap options when the instance was launched (docs/aws/node-groups.md). */
  bootstrap?: NodeBootstrap;
  capacityType?: 'ON_DEMAND' | 'SPOT';
}

/**
 * What /etc/eks/bootstrap.sh is given on the group's instances (docs/aws/node-groups.md): the container
 * runtime and the kubelet's extra arguments; `maxPods` is the --max-pods they set, which overrides the
 * VPC CNI's figure for the instance type.
 */
export interface NodeBootstrap {
  containerRuntime?: string;
  kubeletExtraArgs?: string;
  maxPods?: number;
  /** --node-labels of the extra arguments. */
  nodeLabels?: Record<string, string>;
}

/** An EKS managed node group: its instances are SuperNode rows with `instance` set. */
export interface NodeGroup extends RecordBase {
  name: string;
  clusterName: string;
  instanceType: string;
  subnetIds: string[];
  minSize: number;
  maxSize: number;
  desiredSize: number;
  /** Kubernetes labels and taints every instance's Node gets. */
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
  bootstrap?: NodeBootstrap;
  /** EKS's capacityType (ON_DEMAND unless SPOT was asked for). */
  capacityType?: 'ON_DEMAND' | 'SPOT';
}

export type QuotaName =
  | 'pods-per-cluster'
  | 'instances-per-security-group'
  | 'eips-per-region'
  | 'nat-gateways-per-vpc'
  | 'subnets-per-vpc'
  | 'vpcs-per-region'
  | 'disks-per-region'
  | 'load-balancers-per-region';

/** A quota raised or lowered from its default; `cluster` only for pods-per-cluster. */
export interface QuotaOverride {
  id: string;
  name: QuotaName;
  value: number;
  cluster?: string;
  createdTime: string;
  rv?: number;
}

export interface QuotaView {
  name: QuotaName;
  /** What the quota counts against: region, vpc, security group or cluster. */
  scope: 'region' | 'vpc' | 'security-group' | 'cluster';
  limit: number;
  default: number;
  cluster?: string;
  /** Current usage where it is one number (region quotas, or a cluster's pods). */
  used?: number;
}

/** One client entry of an /etc/exports line: `10.0.0.0/16(rw,insecure)`. */
export interface NfsClient {
  /** `*`, an IPv4 address or a CIDR. */
  host: string;
  options: string[];
}

export interface NfsExport {
  path: string;
  clients: NfsClient[];
}

/** A CFS file system (its mount target) or a self-managed NFS server: an address in a subnet that serves NFS. */
export interface FileSystem extends RecordBase {
  type: 'cfs' | 'nfs';
  name: string;
  vpcId: string;
  subnetId: string;
  zone: string;
  /** The mount target's / server's private IP (held by its ENI). */
  address: string;
  eniId: string;
  /** The server's /etc/exports; a CFS file system exports `/` to its (default, allow-all) permission group. */
  exports: NfsExport[];
}

/**
 * A cloud load balancer made for a Service of type LoadBalancer (docs/services.md): Tencent CLB,
 * Alibaba SLB or AWS NLB by the cluster's cloud. A public one's address is an EIP; an internal
 * one's is held by an ENI in the chosen subnet.
 */
export interface LoadBalancer extends RecordBase {
  name: string;
  /** CLB, SLB or NLB. */
  product: string;
  scheme: 'internet' | 'internal';
  address: string;
  eipId?: string;
  eniId?: string;
  subnetId?: string;
  cluster: string;
  /** The Service it serves (namespace/name) and that Service's uid. */
  service: string;
  serviceUid: string;
}

/** Where a cloud disk is attached: the node (a super node's pod VM) of a cluster. */
export interface DiskAttachment {
  cluster?: string;
  node: string;
}

/**
 * A cloud disk (Tencent CBS, docs/storage.md): a block device in one zone, attachable to one
 * instance of that zone at a time. `state` as DescribeDisks' DiskState (UNATTACHED / ATTACHED).
 */
export interface Disk extends RecordBase {
  name: string;
  zone: string;
  /** Size in GiB (CBS' DiskSize, "GB" in its API, 2^30 bytes in its driver). */
  sizeGiB: number;
  /** CLOUD_PREMIUM, CLOUD_SSD, … */
  type: string;
  chargeType: string;
  state: 'UNATTACHED' | 'ATTACHED';
  attachedTo?: DiskAttachment;
  tags: Tags;
}

export type ChangeKind = CloudKind;

/** What `cloud.onChange` listeners receive after a write is durable. */
export interface CloudChange {
  kind: ChangeKind;
  type: 'created' | 'updated' | 'deleted';
  id: string;
  /** The record after the change (before it, for deleted). Subnets come as SubnetView. */
  object: unknown;
}
