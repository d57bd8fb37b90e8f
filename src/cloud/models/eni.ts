// ENIs and IPAM: every pod gets an ENI whose primary IP comes straight from
// its super node's subnet (docs/tencent/super-nodes.md). Allocation takes the next free bit of the
// subnet's bitmap (flat cost from /24 to /16), is visible to concurrent callers
// at once and durable before it is returned, so no IP is handed out twice,
// not even across a kill -9.
import { CloudError, ec2NotFound, InvalidParameter, InvalidParameterValue, ResourceInsufficient, ResourceNotFound } from '../errors.js';
import { newId } from '../ids.js';
import { formatIp, parseCidr, parseIp } from '../ipv4.js';
import type { CloudState } from '../state.js';
import { now, podKey, sharedGroups } from '../state.js';
import type { Eni, NodeAttachment, PodAttachment } from '../types.js';
import { clone, mustGet } from './common.js';
import type { EipModel } from './eip.js';
import type { QuotaModel } from './quota.js';
import type { SubnetModel } from './subnet.js';

export interface AllocatePodEniInput {
  cluster: string;
  namespace: string;
  pod: string;
  uid: string;
  subnetId: string;
  /** Empty or absent: the region's default security group (docs/tencent/security-groups.md). */
  securityGroupIds?: string[];
  /** Wanted address (fixed pod IP); used when free, otherwise the next free one is taken. */
  preferIp?: string;
  /** Node (super node name) the pod runs on. */
  node?: string;
}

export interface AllocateNodeEniInput {
  node: string;
  cluster?: string;
  subnetId: string;
  securityGroupIds?: string[];
  preferIp?: string;
}

/** An EC2 instance's further ENI (CreateNetworkInterface + AttachNetworkInterface), as the VPC CNI makes them. */
export interface CreateInstanceEniInput {
  node: string;
  cluster?: string;
  subnetId: string;
  securityGroupIds?: string[];
  deviceIndex: number;
  /** Secondary addresses (SecondaryPrivateIpAddressCount) or /28 prefixes (Ipv4PrefixCount) to assign with it. */
  secondaryIpCount?: number;
  prefixCount?: number;
}

/** EC2's answers when a subnet cannot give what was asked (CreateNetworkInterface, AssignPrivateIpAddresses). */
export const insufficientAddresses = () => new CloudError('InsufficientFreeAddressesInSubnet', 'The specified subnet does not have enough free addresses to satisfy the request.', 400);
export const insufficientCidrBlocks = () => new CloudError('InsufficientCidrBlocks', 'The specified subnet does not have enough free cidr blocks to satisfy the request.', 400);

export interface FindEniInput {
  cluster: string;
  namespace: string;
  pod: string;
  uid?: string;
}

export class EniModel {
  /** Allocations not yet durable, by pod uid: a concurrent retry waits for the same ENI. */
  private readonly inflight = new Map<string, Promise<Eni>>();

  constructor(
    private readonly s: CloudState,
    private readonly quotas: QuotaModel,
    private readonly subnets: SubnetModel,
    private readonly eips: EipModel,
  ) {}

  list(filter: { subnetId?: string; cluster?: string; namespace?: string; node?: string } = {}): Eni[] {
    return this.s.enis.all().filter((e) => {
      if (filter.subnetId && e.subnetId !== filter.subnetId) return false;
      const a = e.attachedTo;
      if (filter.cluster && a.cluster !== filter.cluster) return false;
      if (filter.namespace && (a.type !== 'pod' || a.namespace !== filter.namespace)) return false;
      if (filter.node && a.node !== filter.node) return false;
      return true;
    }).map(clone);
  }

  /** The ENIs attached to an instance (or server), through the index rather than a scan of every ENI. */
  ofInstance(node: string): Eni[] {
    return [...this.s.enisByNode.get(node) ?? []].map((id) => clone(this.s.enis.get(id)!));
  }

  get(id: string): Eni {
    return clone(mustGet(this.s.enis, id));
  }

  /**
   * The ENI of a pod. Idempotent per pod uid: a retry after a crash gets the
   * ENI it already has instead of a second address.
   */
  async allocatePod(input: AllocatePodEniInput): Promise<Eni> {
    for (const k of ['cluster', 'namespace', 'pod', 'uid', 'subnetId'] as const) {
      if (typeof input[k] !== 'string' || !input[k]) throw new InvalidParameter(`${k} is required`);
    }
    const pending = this.inflight.get(input.uid);
    if (pending) return clone(await pending);
    const existingId = this.s.eniByUid.get(input.uid);
    if (existingId) return clone(this.s.enis.get(existingId)!);
    if (!this.s.clusterByName.has(input.cluster)) throw new ResourceNotFound('cluster', input.cluster);
    this.quotas.checkPods(input.cluster);
    // Built whole, not grown: a field added later goes to a side table V8 allocates per object (100k ENIs).
    const attachedTo: PodAttachment = input.node
      ? { type: 'pod', cluster: input.cluster, namespace: input.namespace, pod: input.pod, uid: input.uid, node: input.node }
      : { type: 'pod', cluster: input.cluster, namespace: input.namespace, pod: input.pod, uid: input.uid };
    const promise = this.allocate(input.subnetId, input.securityGroupIds, attachedTo, input.preferIp);
    this.inflight.set(input.uid, promise);
    try {
      return await promise;
    } finally {
      this.inflight.delete(input.uid);
    }
  }

  /** An ENI for a node of a node group (docs/aws/node-groups.md); not counted against pods-per-cluster. */
  async allocateNode(input: AllocateNodeEniInput): Promise<Eni> {
    if (typeof input.node !== 'string' || !input.node) throw new InvalidParameter('node is required');
    const attachedTo: NodeAttachment = input.cluster ? { type: 'node', node: input.node, cluster: input.cluster } : { type: 'node', node: input.node };
    return this.allocate(input.subnetId, input.securityGroupIds, attachedTo, input.preferIp);
  }

  /** An EKS cluster's ENI (its private endpoint's address; docs/aws/endpoint-access.md). */
  async allocateCluster(input: { cluster: string; subnetId: string; description: string }): Promise<Eni> {
    return this.allocate(input.subnetId, undefined, { type: 'cluster', cluster: input.cluster }, undefined, input.description);
  }

  private async allocate(subnetId: string, sgInput: string[] | undefined, attachedTo: Eni['attachedTo'], preferIp?: string, description?: string): Promise<Eni> {
    const subnet = mustGet(this.s.subnets, subnetId);
    const securityGroupIds = this.resolveGroups(sgInput);
    for (const sg of securityGroupIds) {
      this.quotas.check('instances-per-security-group', this.s.instancesBySg.get(sg) ?? 0, `security group ${sg}`);
    }
    const { bitmap, base } = this.s.ipBitmaps.get(subnet.id)!;
    let offset = -1;
    if (preferIp !== undefined) {
      const ip = parseIp(preferIp);
      const cidr = parseCidr(subnet.cidr);
      if (ip === undefined || ip < cidr.base || ip >= cidr.base + cidr.size) {
        throw new InvalidParameterValue(`preferred IP ${preferIp} is not in subnet ${subnet.id} (${subnet.cidr})`);
      }
      if (!bitmap.has(ip - base)) offset = ip - base;
    }
    if (offset < 0) offset = bitmap.nextFree();
    // An injected subnet-exhaustion: no address is handed out, as when the subnet is full (docs/faults.md).
    if (offset < 0 || this.s.faults.subnetExhausted(subnet.id)) {
      const view = this.subnets.view(subnet);
      throw new ResourceInsufficient(
        `subnet ${subnet.id} (${subnet.cidr}) has no IP address available: ${view.totalIpCount} usable, ${view.usedIpCount} in use`);
    }
    const eni: Eni = {
      id: newId('eni', (x) => this.s.enis.has(x), this.s.vpcs.get(subnet.vpcId)?.cloud),
      subnetId: subnet.id,
      vpcId: subnet.vpcId,
      zone: subnet.zone,
      primaryIp: formatIp(base + offset),
      securityGroupIds,
      attachedTo,
      ...(description === undefined ? {} : { description }),
      createdTime: now(),
      rv: undefined, // set by insert(); here so that the row is built whole
    };
    // insert() marks the bit synchronously (index hook), before any await.
    await this.s.enis.insert(eni);
    this.s.emit({ kind: 'eni', type: 'created', id: eni.id, object: clone(eni) });
    this.emitSubnet(subnet.id);
    return clone(eni);
  }

  /**
   * An instance's further ENI with its secondary addresses or prefixes (docs/aws/vpc-cni.md). All or
   * nothing: when the subnet cannot give every address asked for, EC2 refuses the whole request.
   */
  async createInstanceEni(input: CreateInstanceEniInput): Promise<Eni> {
    // Injected throttling or latency of the EC2 calls (docs/faults.md), before anything is read.
    await this.s.faults.call('enis');
    const subnet = this.s.subnets.get(input.subnetId);
    if (!subnet) throw ec2NotFound('subnet', String(input.subnetId));
    for (const sg of input.securityGroupIds ?? []) {
      if (!this.s.securityGroups.has(sg)) throw new CloudError('InvalidSecurityGroupID.NotFound', `The security group '${sg}' does not exist`, 400);
    }
    const { base } = this.s.ipBitmaps.get(subnet.id)!;
    const ips = this.freeOffsets(subnet.id, 1 + (input.secondaryIpCount ?? 0));
    if (!ips) throw insufficientAddresses();
    const prefixes = input.prefixCount ? this.freeBlocks(subnet.id, input.prefixCount, new Set(ips)) : [];
    if (!prefixes) throw insufficientCidrBlocks();
    const attachedTo: NodeAttachment = input.cluster ? { type: 'node', node: input.node, cluster: input.cluster } : { type: 'node', node: input.node };
    const eni: Eni = {
      id: newId('eni', (x) => this.s.enis.has(x), this.s.vpcs.get(subnet.vpcId)?.cloud),
      subnetId: subnet.id, vpcId: subnet.vpcId, zone: subnet.zone, primaryIp: formatIp(base + ips[0]),
      securityGroupIds: this.resolveGroups(input.securityGroupIds), attachedTo, createdTime: now(), rv: undefined,
      deviceIndex: input.deviceIndex, secondaryIps: ips.slice(1).map((o) => formatIp(base + o)), prefixes: prefixes.map((o) => `${formatIp(base + o)}/28`),
    };
    await this.s.enis.insert(eni);
    this.s.emit({ kind: 'eni', type: 'created', id: eni.id, object: clone(eni) });
    this.emitSubnet(subnet.id);
    return clone(eni);
  }

  /** AssignPrivateIpAddresses: `count` secondary addresses, or `prefixes` /28 prefixes, all or none. */
  async assignAddresses(eniId: string, want: { count?: number; prefixes?: number }): Promise<Eni> {
    await this.s.faults.call('enis');
    const eni = mustGet(this.s.enis, eniId);
    const { base } = this.s.ipBitmaps.get(eni.subnetId)!;
    const ips = want.count ? this.freeOffsets(eni.subnetId, want.count) : [];
    if (!ips) throw insufficientAddresses();
    const blocks = want.prefixes ? this.freeBlocks(eni.subnetId, want.prefixes, new Set(ips)) : [];
    if (!blocks) throw insufficientCidrBlocks();
    await this.s.enis.update(eni, (e) => {
      if (ips.length) e.secondaryIps = [...(e.secondaryIps ?? []), ...ips.map((o) => formatIp(base + o))];
      if (blocks.length) e.prefixes = [...(e.prefixes ?? []), ...blocks.map((o) => `${formatIp(base + o)}/28`)];
    });
    this.s.emit({ kind: 'eni', type: 'updated', id: eni.id, object: clone(eni) });
    this.emitSubnet(eni.subnetId);
    return clone(eni);
  }

  /** UnassignPrivateIpAddresses: gives secondary addresses and prefixes back to the subnet. */
  async unassignAddresses(eniId: string, what: { ips?: string[]; prefixes?: string[] }): Promise<Eni> {
    const eni = mustGet(this.s.enis, eniId);
    const ips = new Set(what.ips ?? []);
    const prefixes = new Set(what.prefixes ?? []);
    await this.s.enis.update(eni, (e) => {
      if (ips.size) e.secondaryIps = (e.secondaryIps ?? []).filter((x) => !ips.has(x));
      if (prefixes.size) e.prefixes = (e.prefixes ?? []).filter((x) => !prefixes.has(x));
    });
    this.s.emit({ kind: 'eni', type: 'updated', id: eni.id, object: clone(eni) });
    this.emitSubnet(eni.subnetId);
    return clone(eni);
  }

  /** `n` free offsets of the subnet (lowest first), or undefined when it has fewer. */
  private freeOffsets(subnetId: string, n: number): number[] | undefined {
    const { bitmap } = this.s.ipBitmaps.get(subnetId)!;
    // An injected subnet-exhaustion (docs/faults.md) holds every free address.
    if (bitmap.free < n || this.s.faults.subnetExhausted(subnetId)) return undefined;
    const out: number[] = [];
    for (let i = 0; i < bitmap.size && out.length < n; i++) if (!bitmap.has(i)) out.push(i);
    return out.length === n ? out : undefined;
  }

  /**
   * `n` free, aligned /28 blocks of the subnet (their first offsets), none overlapping `taken`: a
   * prefix needs 16 contiguous free addresses, so a fragmented subnet can have free addresses and no prefix.
   */
  private freeBlocks(subnetId: string, n: number, taken: Set<number>): number[] | undefined {
    const { bitmap, base } = this.s.ipBitmaps.get(subnetId)!;
    if (this.s.faults.subnetExhausted(subnetId)) return undefined;
    const out: number[] = [];
    // Blocks are aligned on the address (a /28 boundary), whatever the subnet's own alignment.
    for (let start = (16 - (base % 16)) % 16; start + 16 <= bitmap.size && out.length < n; start += 16) {
      let free = true;
      for (let i = start; i < start + 16 && free; i++) free = !bitmap.has(i) && !taken.has(i);
      if (free) out.push(start);
    }
    return out.length === n ? out : undefined;
  }

  /** Frees the ENI and its IP; an EIP bound to it is unbound (kept, not released). */
  async release(id: string): Promise<Eni> {
    const eni = mustGet(this.s.enis, id);
    const eipId = this.s.eipByEni.get(id);
    const eip = eipId ? this.s.eips.get(eipId) : undefined;
    const writes: Promise<unknown>[] = [this.s.enis.remove(eni)];
    if (eip) writes.push(this.eips.startUnbind(eip));
    await Promise.all(writes);
    if (eip) this.eips.changed(eip);
    this.s.emit({ kind: 'eni', type: 'deleted', id, object: clone(eni) });
    this.emitSubnet(eni.subnetId);
    return clone(eni);
  }

  /** A pod's ENI: the one of `uid` when given, else the newest for that pod name. */
  findByPod(input: FindEniInput): Eni | undefined {
    const ids = this.s.enisByPod.get(podKey(input.cluster, input.namespace, input.pod));
    if (!ids) return undefined;
    let best: Eni | undefined;
    for (const id of typeof ids === 'string' ? [ids] : ids) {
      const e = this.s.enis.get(id)!;
      if (input.uid !== undefined) {
        if (e.attachedTo.type === 'pod' && e.attachedTo.uid === input.uid) return clone(e);
        continue;
      }
      if (!best || e.createdTime > best.createdTime) best = e;
    }
    return best ? clone(best) : undefined;
  }

  private resolveGroups(ids: string[] | undefined): string[] {
    if (ids !== undefined && (!Array.isArray(ids) || ids.some((x) => typeof x !== 'string'))) {
      throw new InvalidParameter('securityGroupIds must be a list of security group ids');
    }
    if (!ids || ids.length === 0) {
      const def = this.s.securityGroups.all().find((g) => g.isDefault);
      if (!def) throw new ResourceNotFound('security group', 'default');
      return sharedGroups([def.id]);
    }
    for (const id of ids) {
      if (!this.s.securityGroups.has(id)) {
        throw new InvalidParameterValue(`security group ${id} does not exist in region ${this.s.region}`);
      }
    }
    return sharedGroups([...new Set(ids)]);
  }

  private emitSubnet(subnetId: string): void {
    const subnet = this.s.subnets.get(subnetId);
    if (subnet) this.s.emit({ kind: 'subnet', type: 'updated', id: subnetId, object: this.subnets.view(subnet) });
  }
}
