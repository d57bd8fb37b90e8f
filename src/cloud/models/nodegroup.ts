// EKS managed node groups (docs/aws.md "Managed node groups"): one instance type, subnets of the
// cluster's VPC, a desired size within [min, max]. Each instance is an EC2 instance with a primary
// ENI in one of the group's subnets (spread over them in turn, as the group's Auto Scaling group
// balances its zones) and a node named after its private address (`ip-172-31-0-23.ec2.internal`).
// Its row is a SuperNode with `instance` set, so the node agent registers and runs it as a Node.
import { CloudError, EksInvalidParameter, ec2NotFound, InvalidParameterValue } from '../errors.js';
import { awsSuffix, newId } from '../ids.js';
import type { CloudState } from '../state.js';
import { now } from '../state.js';
import type { NodeBootstrap, NodeGroup, SuperNode } from '../types.js';
import { checkDnsLabel, clone, findInCluster } from './common.js';
import type { ClusterModel } from './cluster.js';
import type { EniModel } from './eni.js';
import { instanceType } from './instancetypes.js';
import type { SuperNodeModel } from './supernode.js';

export interface CreateNodeGroupInput {
  cluster: string;
  name: string;
  instanceType: string;
  subnetIds: string[];
  desiredSize: number;
  minSize?: number;
  maxSize?: number;
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
  /** bootstrap.sh's --container-runtime and --kubelet-extra-args (docs/aws/node-groups.md). */
  containerRuntime?: string;
  kubeletExtraArgs?: string;
  /** The --max-pods override (EKS's own field has none: it is the kubelet argument, here a shorthand for it). */
  maxPods?: number;
  capacityType?: string;
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** Kubernetes label keys and values, checked before they reach a Node; kept in a prototype-free map. */
function checkLabels(labels: unknown): Record<string, string> | undefined {
  if (labels === undefined) return undefined;
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) throw new EksInvalidParameter('labels must be an object of string values');
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(labels)) {
    if (!LABEL_KEY.test(k) || typeof v !== 'string' || !LABEL_VALUE.test(v)) throw new EksInvalidParameter(`label ${JSON.stringify(k)}=${JSON.stringify(v)} is not a valid Kubernetes label`);
    out[k] = v;
  }
  return { ...out };
}

function checkTaints(taints: unknown): { key: string; value?: string; effect: string }[] | undefined {
  if (taints === undefined) return undefined;
  if (!Array.isArray(taints)) throw new EksInvalidParameter('taints must be a list');
  return taints.map((t) => {
    if (typeof t !== 'object' || t === null || typeof t.key !== 'string' || !LABEL_KEY.test(t.key) || (t.value !== undefined && (typeof t.value !== 'string' || !LABEL_VALUE.test(t.value))) || !EFFECTS.includes(t.effect)) {
      throw new EksInvalidParameter(`taint ${JSON.stringify(t)} needs a key, an optional value and an effect of ${EFFECTS.join(', ')}`);
    }
    return t.value === undefined ? { key: t.key, effect: t.effect } : { key: t.key, value: t.value, effect: t.effect };
  });
}

/** The kubelet flags --kubelet-extra-args may carry here; anything else would stop the kubelet from starting. */
const KUBELET_FLAGS = ['--max-pods', '--node-labels'];

/**
 * bootstrap.sh's options (docs/aws/node-groups.md): containerd is the only runtime since EKS 1.24
 * (dockershim is gone); --kubelet-extra-args is split as the shell would, and its --max-pods and
 * --node-labels read. A kubelet flag it does not know would make the kubelet exit, so it is refused.
 */
export function checkBootstrap(input: { containerRuntime?: unknown; kubeletExtraArgs?: unknown; maxPods?: unknown }): NodeBootstrap | undefined {
  const out: NodeBootstrap = {};
  if (input.containerRuntime !== undefined) {
    if (input.containerRuntime === 'dockerd') throw new EksInvalidParameter('container runtime dockerd is not supported: dockershim was removed in Kubernetes 1.24 and the EKS optimized AMI runs containerd only');
    if (input.containerRuntime !== 'containerd') throw new EksInvalidParameter(`unknown container runtime ${JSON.stringify(input.containerRuntime)}: --container-runtime takes containerd`);
    out.containerRuntime = 'containerd';
  }
  if (input.kubeletExtraArgs !== undefined) {
    if (typeof input.kubeletExtraArgs !== 'string') throw new EksInvalidParameter('kubeletExtraArgs must be a string');
    const words = input.kubeletExtraArgs.split(/\s+/).filter(Boolean);
    for (let i = 0; i < words.length; i++) {
      const w = words[i];
      const eq = w.indexOf('=');
      const flag = eq < 0 ? w : w.slice(0, eq);
      if (!KUBELET_FLAGS.includes(flag)) throw new EksInvalidParameter(`kubelet extra argument ${JSON.stringify(w)} is not supported here (${KUBELET_FLAGS.join(', ')}): the kubelet would exit with "unknown flag"`);
      const value = eq < 0 ? words[++i] : w.slice(eq + 1);
      if (value === undefined) throw new EksInvalidParameter(`kubelet flag ${flag} needs a value`);
      if (flag === '--max-pods') out.maxPods = checkMaxPods(value);
      else out.nodeLabels = { ...out.nodeLabels, ...checkLabels(Object.fromEntries(value.split(',').filter(Boolean).map((kv) => { const j = kv.indexOf('='); return j < 0 ? [kv, ''] : [kv.slice(0, j), kv.slice(j + 1)]; }))) };
    }
    out.kubeletExtraArgs = words.join(' ');
  }
  if (input.maxPods !== undefined) out.maxPods = checkMaxPods(input.maxPods);
  return Object.keys(out).length ? out : undefined;
}

function checkMaxPods(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new EksInvalidParameter(`max pods must be a whole number from 1 to 10000, got ${JSON.stringify(v)}`);
  return n;
}

/** EKS's 404 for a node group it does not know. */
const notFound = (name: string) => new CloudError('ResourceNotFoundException', `No node group found for name: ${name}.`, 404);

export class NodeGroupModel {
  constructor(private readonly s: CloudState, private readonly clusters: ClusterModel, private readonly enis: EniModel, private readonly superNodes: SuperNodeModel) {}

  list(filter: { cluster?: string } = {}): NodeGroup[] {
    return this.s.nodeGroups.all().filter((g) => !filter.cluster || g.clusterName === filter.cluster).map(clone);
  }

  get(name: string, cluster?: string): NodeGroup {
    return clone(this.find(name, cluster));
  }

  /** The group's instances (SuperNode rows), oldest first. */
  instances(g: NodeGroup): SuperNode[] {
    return this.s.superNodes.all().filter((n) => n.clusterName === g.clusterName && n.instance?.nodegroup === g.name);
  }

  private find(name: string, cluster?: string): NodeGroup {
    return findInCluster(this.s.nodeGroups.all(), name, cluster, 'node group', notFound);
  }

  async create(input: CreateNodeGroupInput): Promise<NodeGroup> {
    const cluster = this.clusters.find(input.cluster);
    if (cluster.cloud !== 'aws') throw new InvalidParameterValue(`cluster ${cluster.name} is a ${cluster.cloud ?? 'tencent'} cluster: managed node groups are an EKS feature (create the cluster with --cloud aws)`);
    const name = checkDnsLabel(input.name, 'node group name');
    if (this.s.nodeGroups.all().some((g) => g.clusterName === cluster.name && g.name === name)) {
      throw new CloudError('ResourceInUseException', `NodeGroup already exists with name ${name} and cluster name ${cluster.name}`, 409);
    }
    const type = instanceType(input.instanceType);
    if (!Array.isArray(input.subnetIds) || input.subnetIds.length === 0) throw new EksInvalidParameter('Subnets are required');
    const subnetIds = [...new Set(input.subnetIds)];
    for (const id of subnetIds) {
      const subnet = this.s.subnets.get(id);
      if (!subnet) throw ec2NotFound('subnet', id);
      if (subnet.vpcId !== cluster.vpcId) throw new EksInvalidParameter(`Specified subnets must belong to cluster's vpc ${cluster.vpcId}`);
    }
    const desiredSize = input.desiredSize;
    const minSize = input.minSize ?? Math.min(1, desiredSize);
    const maxSize = input.maxSize ?? Math.max(1, desiredSize);
    checkSizes(minSize, maxSize, desiredSize);
    const labels = checkLabels(input.labels);
    const taints = checkTaints(input.taints);
    const bootstrap = checkBootstrap(input);
    if (input.capacityType !== undefined && input.capacityType !== 'ON_DEMAND' && input.capacityType !== 'SPOT') {
      throw new EksInvalidParameter(`capacityType must be ON_DEMAND or SPOT, got ${JSON.stringify(input.capacityType)}`);
    }
    const capacityType = (input.capacityType ?? 'ON_DEMAND') as 'ON_DEMAND' | 'SPOT';
    const group: NodeGroup = {
      id: newId('nodegroup', (x) => this.s.nodeGroups.has(x)),
      name, clusterName: cluster.name, instanceType: type.name, subnetIds, minSize, maxSize, desiredSize, createdTime: now(),
      ...(labels ? { labels } : {}), ...(taints?.length ? { taints } : {}), ...(bootstrap ? { bootstrap } : {}), capacityType,
    };
    await this.s.nodeGroups.insert(group);
    this.s.emit({ kind: 'nodegroup', type: 'created', id: group.id, object: clone(group) });
    await this.reconcile(group);
    return clone(group);
  }

  async scale(name: string, input: { cluster?: string; desiredSize: number; minSize?: number; maxSize?: number }): Promise<NodeGroup> {
    const group = this.find(name, input.cluster);
    const minSize = input.minSize ?? group.minSize;
    const maxSize = input.maxSize ?? group.maxSize;
    checkSizes(minSize, maxSize, input.desiredSize);
    await this.s.nodeGroups.update(group, (g) => { g.desiredSize = input.desiredSize; g.minSize = minSize; g.maxSize = maxSize; });
    this.s.emit({ kind: 'nodegroup', type: 'updated', id: group.id, object: clone(group) });
    await this.reconcile(group);
    return clone(group);
  }

  /** Terminates every instance (each refused while it runs pods other than DaemonSet pods), then the group. */
  async delete(name: string, cluster?: string): Promise<NodeGroup> {
    const group = this.find(name, cluster);
    for (const sn of this.instances(group).reverse()) await this.terminate(sn);
    await this.s.nodeGroups.remove(group);
    this.s.emit({ kind: 'nodegroup', type: 'deleted', id: group.id, object: clone(group) });
    return clone(group);
  }

  /** Launches or terminates instances until the group has its desired size; newest go first. */
  private async reconcile(group: NodeGroup): Promise<void> {
    let have = this.instances(group);
    while (have.length < group.desiredSize) {
      await this.launch(group, group.subnetIds[have.length % group.subnetIds.length]);
      have = this.instances(group);
    }
    while (have.length > group.desiredSize) {
      await this.terminate(have[have.length - 1]);
      have = this.instances(group);
    }
  }

  private async launch(group: NodeGroup, subnetId: string): Promise<void> {
    const instanceId = `i-${awsSuffix()}`;
    // The primary ENI takes the instance's address; EC2's own refusal when the subnet is full.
    const eni = await this.enis.allocateNode({ subnetId, node: instanceId, cluster: group.clusterName }).catch((e) => {
      if (e instanceof CloudError && e.code === 'ResourceInsufficient') throw new CloudError('InsufficientFreeAddressesInSubnet', `There are not enough free addresses in subnet '${subnetId}' to satisfy the requested number of instances.`, 400);
      throw e;
    });
    const node: SuperNode = {
      id: newId('supernode', (x) => this.s.superNodes.has(x)),
      // us-east-1's private DNS names: ip-<address with dashes>.ec2.internal.
      name: `ip-${eni.primaryIp.replaceAll('.', '-')}.ec2.internal`,
      clusterName: group.clusterName, subnetId, zone: eni.zone, state: 'running', createdTime: now(),
      instance: {
        instanceId, instanceType: group.instanceType, nodegroup: group.name, privateIp: eni.primaryIp, eniId: eni.id,
        ...(group.labels ? { labels: group.labels } : {}), ...(group.taints ? { taints: group.taints } : {}),
        ...(group.bootstrap ? { bootstrap: group.bootstrap } : {}), ...(group.capacityType ? { capacityType: group.capacityType } : {}),
      },
    };
    await this.s.superNodes.insert(node);
    this.s.emit({ kind: 'supernode', type: 'created', id: node.id, object: clone(node) });
  }

  private async terminate(sn: SuperNode): Promise<void> {
    await this.superNodes.removeInstance(sn.id);
    if (!sn.instance) return;
    // Every ENI of the instance goes with it: its primary one, and those the VPC CNI attached
    // (created with DeleteOnTermination, docs/aws/vpc-cni.md), with their secondary addresses and prefixes.
    for (const e of this.enis.ofInstance(sn.instance.instanceId)) await this.enis.release(e.id);
    if (this.s.enis.has(sn.instance.eniId)) await this.enis.release(sn.instance.eniId);
  }
}

const MAX_GROUP_NODES = 450;

/** EKS's scaling config rules (nodeless's wording; the code is EKS's). */
function checkSizes(min: unknown, max: unknown, desired: unknown): void {
  for (const [what, v] of [['desiredSize', desired], ['minSize', min], ['maxSize', max]] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new EksInvalidParameter(`${what} must be a whole number of 0 or more, got ${JSON.stringify(v)}`);
  }
  if ((max as number) < 1) throw new EksInvalidParameter('maxSize must be at least 1');
  // EKS's quota of nodes per managed node group; a group launches its instances one by one, so an
  // unbounded size would keep the request launching until the subnet runs out of addresses.
  if ((max as number) > MAX_GROUP_NODES) throw new EksInvalidParameter(`maxSize ${max} is more than the ${MAX_GROUP_NODES} nodes a managed node group may have`);
  if ((min as number) > (max as number)) throw new EksInvalidParameter(`minSize ${min} can't be greater than maxSize ${max}`);
  if ((desired as number) < (min as number) || (desired as number) > (max as number)) {
    throw new EksInvalidParameter(`desiredSize ${desired} must be between minSize ${min} and maxSize ${max}`);
  }
}
