// Super node records: one subnet (and so one zone) each (docs/tencent/super-nodes.md). The cloud
// keeps the record and its state; the Kubernetes side turns it into a Node,
// evicts pods on drain, and can veto removal through a delete guard (S3:
// a node that still has non-DaemonSet pods cannot be removed).
import { InvalidParameterValue, UnsupportedOperation } from '../errors.js';
import { newId, randomSuffix } from '../ids.js';
import type { CloudState } from '../state.js';
import { now } from '../state.js';
import type { SuperNode, SuperNodeState } from '../types.js';
import { checkDnsLabel, clone, mustGet } from './common.js';
import type { ClusterModel } from './cluster.js';

export interface CreateSuperNodeInput {
  clusterName: string;
  subnetId: string;
  /** Default: eklet-<subnet id>-<6 random chars>, like Tencent's node names. */
  name?: string;
}

/** Called before a super node is removed; throw a CloudError (e.g. ResourceInUse) to refuse. */
export type SuperNodeDeleteGuard = (node: SuperNode) => void | Promise<void>;

export class SuperNodeModel {
  private guards: SuperNodeDeleteGuard[] = [];

  constructor(private readonly s: CloudState, private readonly clusters: ClusterModel) {}

  list(filter: { cluster?: string } = {}): SuperNode[] {
    return this.s.superNodes.all().filter((n) => !filter.cluster || n.clusterName === filter.cluster).map(clone);
  }

  /** By id or by node name. */
  get(idOrName: string): SuperNode {
    return clone(this.find(idOrName));
  }

  find(idOrName: string): SuperNode {
    return this.s.superNodes.get(idOrName) ?? this.s.superNodes.all().find((n) => n.name === idOrName) ?? mustGet(this.s.superNodes, idOrName);
  }

  addDeleteGuard(guard: SuperNodeDeleteGuard): () => void {
    this.guards.push(guard);
    return () => { this.guards = this.guards.filter((g) => g !== guard); };
  }

  async create(input: CreateSuperNodeInput): Promise<SuperNode> {
    const cluster = this.clusters.find(input.clusterName);
    const subnet = mustGet(this.s.subnets, input.subnetId);
    if (subnet.vpcId !== cluster.vpcId) {
      throw new InvalidParameterValue(`subnet ${subnet.id} is in VPC ${subnet.vpcId}, cluster ${cluster.name} in ${cluster.vpcId}`);
    }
    const name = input.name === undefined ? `eklet-${subnet.id}-${randomSuffix(6)}` : checkDnsLabel(input.name, 'super node name');
    if (this.s.superNodes.all().some((n) => n.clusterName === cluster.name && n.name === name)) {
      throw new InvalidParameterValue(`cluster ${cluster.name} already has a super node named ${name}`);
    }
    const node: SuperNode = {
      id: newId('supernode', (x) => this.s.superNodes.has(x)),
      name, clusterName: cluster.name, subnetId: subnet.id, zone: subnet.zone, state: 'running', createdTime: now(),
    };
    const grow = this.clusters.startAddSubnet(cluster, subnet.id);
    await Promise.all([this.s.superNodes.insert(node), grow]);
    if (grow) this.s.emit({ kind: 'cluster', type: 'updated', id: cluster.id, object: clone(cluster) });
    this.s.emit({ kind: 'supernode', type: 'created', id: node.id, object: clone(node) });
    return clone(node);
  }

  /** Marks the node draining (cordoned); the Kubernetes side evicts its pods. */
  drain(idOrName: string): Promise<SuperNode> {
    return this.setState(idOrName, 'draining');
  }

  uncordon(idOrName: string): Promise<SuperNode> {
    return this.setState(idOrName, 'running');
  }

  /** The last super node of a cluster can never be removed (tencent-tke-serverless-faq). */
  async delete(idOrName: string): Promise<SuperNode> {
    const node = this.find(idOrName);
    // An EC2 instance of a node group goes with its group (which also frees its ENI and keeps the size right).
    if (node.fargate) throw new UnsupportedOperation(`${node.name} is the Fargate node of pod ${node.fargate.namespace}/${node.fargate.pod}; it goes when the pod is deleted`);
    if (node.instance) throw new UnsupportedOperation(`${node.name} is instance ${node.instance.instanceId} of node group ${node.instance.nodegroup}; scale the node group instead: nodeless nodegroup scale ${node.instance.nodegroup} --desired N`);
    this.checkNotLast(node);
    for (const guard of this.guards) await guard(clone(node));
    // The guards awaited: look again, the world may have moved.
    const current = this.s.superNodes.get(node.id);
    if (!current) return clone(node);
    this.checkNotLast(current);
    await this.s.superNodes.remove(current);
    this.s.emit({ kind: 'supernode', type: 'deleted', id: node.id, object: clone(current) });
    return clone(current);
  }

  /** Terminates a node group's instance: the guards (no pods left but DaemonSet pods) apply, the last-node rule does not. */
  async removeInstance(id: string): Promise<SuperNode | undefined> {
    const node = this.s.superNodes.get(id);
    if (!node) return undefined;
    for (const guard of this.guards) await guard(clone(node));
    const current = this.s.superNodes.get(id);
    if (!current) return clone(node);
    await this.s.superNodes.remove(current);
    this.s.emit({ kind: 'supernode', type: 'deleted', id, object: clone(current) });
    return clone(current);
  }

  private checkNotLast(node: SuperNode): void {
    if (node.instance) return; // an EC2 instance, not a super node: its node group decides
    const siblings = this.s.superNodes.all().filter((n) => n.clusterName === node.clusterName && !n.instance && !n.fargate);
    if (siblings.length <= 1) {
      throw new UnsupportedOperation(`super node ${node.name} is the last super node of cluster ${node.clusterName}; a cluster must keep at least one`);
    }
  }

  private async setState(idOrName: string, state: SuperNodeState): Promise<SuperNode> {
    const node = this.find(idOrName);
    if (node.state !== state) {
      await this.s.superNodes.update(node, (n) => { n.state = state; });
      this.s.emit({ kind: 'supernode', type: 'updated', id: node.id, object: clone(node) });
    }
    return clone(node);
  }
}

