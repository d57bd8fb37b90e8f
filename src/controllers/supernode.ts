// The super node controller (see docs/tencent/super-nodes.md): every cloud super node of a
// cluster becomes a Kubernetes Node run by a node agent whose pods take their
// IPs from the super node's subnet (one ENI per pod). It keeps the node's
// network-unavailable taint and condition in step with the subnet's free
// addresses, turns a cloud drain into cordon + evictions, and vetoes removal
// of a node that still runs pods other than DaemonSet pods.
//
// A controller as docs/controllers.md describes: the cloud's change feed and
// the Node informer turn into super node ids on the queue; sync(id) makes the
// agent, the Node and its pods match the super node record, and a failure is
// retried with back-off.
import type { KubeObject } from '../api/types.js';
import type { Client } from '../client/types.js';
import { ApiError, refs } from '../client/types.js';
import type { Cloud } from '../cloud/cloud.js';
import { ResourceInUse } from '../cloud/errors.js';
import type { SuperNode, SuperNodeState } from '../cloud/types.js';
import { EKLET_COMPONENT, subnetCondition } from '../clouds/tencent/supernode.js';
import { EventRecorder } from '../client/record/events.js';
import { InformerView, SharedInformers } from '../client/cache/shared.js';
import { Controller, type ControllerOptions } from '../client/controller.js';
import { formatRFC3339 } from '../api/duration.js';

export const NETWORK_TAINT = 'node.kubernetes.io/network-unavailable';

const isDaemonSetPod = (p: KubeObject) => (p.metadata.ownerReferences ?? []).some((o) => o.kind === 'DaemonSet' && o.controller);
const isTerminal = (p: KubeObject) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/**
 * What runs a super node's pods (the eklet, src/eklet.ts): this controller
 * says when one starts and stops; the assembly wires the runtime's node agent.
 */
export interface SuperNodeAgents {
  /** Starts the agent of a super node; resolves once its Node is registered. Starting a running one does nothing. */
  start(sn: SuperNode): Promise<void>;
  /** Stops it; stopping one that does not run does nothing. */
  stop(sn: SuperNode): Promise<void>;
}

export interface SuperNodeControllerOptions extends ControllerOptions {
  /** The cluster's shared informers (else the controller gets its own). */
  informers?: SharedInformers;
}

/** Whether the Node shows the subnet as it is: tainted and NetworkUnavailable=True exactly when it has no free address. */
function networkInStep(node: KubeObject, exhausted: boolean): boolean {
  const tainted = (node.spec?.taints ?? []).some((t: any) => t.key === NETWORK_TAINT);
  const cond = (node.status?.conditions ?? []).find((c: any) => c.type === 'NetworkUnavailable');
  return tainted === exhausted && cond?.status === (exhausted ? 'True' : 'False');
}

export class SuperNodeController extends Controller {
  private readonly nodes: InformerView;
  private readonly pods: InformerView;
  private readonly shared: SharedInformers;
  /** Super nodes whose agent this controller started, by id (the record, for stopping it once the cloud forgot it). */
  private readonly started = new Map<string, SuperNode>();
  /** The state each super node had at its last sync: a drain ending (draining → running) uncordons the node once. */
  private readonly lastState = new Map<string, SuperNodeState>();
  /** The eklet's announcements, one recorder per super node (the source's host is the node). */
  private readonly ekletEvents = new Map<string, EventRecorder>();
  private readonly controllerEvents: EventRecorder;
  private readonly offs: (() => void)[] = [];

  constructor(private cloud: Cloud, private cluster: string, private client: Client, private agents: SuperNodeAgents, private opts: SuperNodeControllerOptions = {}) {
    super('supernode-controller', opts);
    this.shared = opts.informers ?? new SharedInformers(client);
    this.nodes = new InformerView(this.shared.informer(refs.nodes));
    this.pods = new InformerView(this.shared.informer(refs.pods));
    this.pods.inner.addIndex('node', (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []));
    this.controllerEvents = new EventRecorder(client, { component: 'node-controller' }, undefined, this.clock);
    // What queues a super node: its record changing, its subnet's free addresses changing, its Node changing.
    this.offs.push(this.cloud.onChange((ch) => {
      if (ch.kind === 'supernode') {
        if ((ch.object as SuperNode).clusterName === this.cluster) this.queue.add(ch.id);
      } else if (ch.kind === 'routetable' || ch.kind === 'vpcendpoint' || ch.kind === 'natgateway') {
        // An EKS instance that could not reach ECR may join now (docs/aws/private-subnets.md).
        for (const sn of this.own()) if (sn.instance && !this.started.has(sn.id)) this.queue.add(sn.id);
      } else if (ch.kind === 'subnet') {
        // Every allocation reports its subnet; the sync compares with the cached Node and writes only a change.
        for (const sn of this.own()) if (sn.subnetId === ch.id) this.queue.add(sn.id);
      }
    }));
    const onNode = (n: KubeObject) => {
      const sn = this.own().find((x) => x.name === n.metadata.name);
      if (sn) this.queue.add(sn.id);
    };
    this.nodes.on({ add: onNode, update: (_o, n) => onNode(n), delete: onNode });
  }

  /** The cluster's super nodes. */
  private own(): SuperNode[] {
    return this.cloud.superNodes.list({ cluster: this.cluster });
  }

  /**
   * Creates the first super node of a new cluster, starts every super node's
   * agent (resolving once their Nodes are registered), then works the queue.
   */
  async start(workers = 4): Promise<void> {
    // A new cluster starts with one super node on its first subnet (docs/tencent/super-nodes.md).
    // Not on AWS: a new EKS cluster has no nodes until a node group or Fargate profile gives it some (docs/aws.md).
    if (this.own().length === 0) {
      const c = this.cloud.clusters.get(this.cluster);
      if (c.subnetIds[0] && c.cloud !== 'aws') await this.cloud.superNodes.create({ clusterName: this.cluster, subnetId: c.subnetIds[0] });
    }
    // Removal is refused while pods other than DaemonSet pods remain (S3). Asked of the API, not the cache: a guard must be right.
    this.offs.push(this.cloud.superNodes.addDeleteGuard(async (sn) => {
      if (sn.clusterName !== this.cluster) return;
      const on = (await this.client.list(refs.pods, { fieldSelector: `spec.nodeName=${sn.name}` })).items;
      const left = on.filter((p) => !isDaemonSetPod(p) && !isTerminal(p));
      if (left.length) {
        throw new ResourceInUse(`super node ${sn.name} still runs ${left.length} pod(s) that are not DaemonSet pods (${left.slice(0, 3).map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(', ')}${left.length > 3 ? ', …' : ''}); drain it first: nodeless supernode drain ${sn.name}`);
      }
    }));
    await Promise.all([this.nodes.hasSynced(), this.pods.hasSynced()]);
    // Every super node's Node is registered before nodeless says it is up; one that fails is retried by the workers.
    for (const sn of this.own()) {
      try {
        await this.sync(sn.id);
        this.queue.forget(sn.id);
      } catch (e) {
        this.handleErr(sn.id, e);
      }
    }
    this.runWorkers(workers);
  }

  /** Makes the agent, the Node and its pods match super node `id` (or its absence). */
  async sync(id: string): Promise<void> {
    const sn = this.own().find((x) => x.id === id);
    if (!sn) {
      const was = this.started.get(id);
      if (!was) return;
      await this.agents.stop(was);
      try {
        await this.client.delete(refs.nodes, undefined, was.name);
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
      }
      this.started.delete(id);
      this.lastState.delete(id);
      this.ekletEvents.get(id)?.stop();
      this.ekletEvents.delete(id);
      return;
    }
    if (!this.started.has(id)) {
      await this.agents.start(sn);
      this.started.set(id, sn);
      // What a kubelet and the node controller announce on start (kubectl describe node shows them).
      const node = this.nodes.get(undefined, sn.name) ?? await this.client.tryGet(refs.nodes, undefined, sn.name);
      if (node) {
        // Cluster-scoped: the recorder files these events in namespace default, as Kubernetes does.
        // The kubelet's words, from the super node's agent: `eklet, <node>` (docs/tencent/super-nodes.md).
        const eklet = this.ekletEvents.get(id) ?? this.ekletEvents.set(id, new EventRecorder(this.client, { component: EKLET_COMPONENT, host: sn.name }, undefined, this.clock)).get(id)!;
        eklet.record(node, 'Normal', 'Starting', 'Starting kubelet.');
        eklet.record(node, 'Normal', 'NodeReady', `Node ${sn.name} status is now: NodeReady`);
        this.controllerEvents.record(node, 'Normal', 'RegisteredNode', `Node ${sn.name} event: Registered Node ${sn.name} in Controller`);
      }
    }
    await this.syncNetwork(sn);
    if (sn.state === 'draining') {
      this.lastState.set(id, sn.state);
      await this.drain(sn);
      return;
    }
    if (this.lastState.get(id) === 'draining') {
      await this.client.patch(refs.nodes, undefined, sn.name, 'merge', { spec: { unschedulable: null } });
    }
    this.lastState.set(id, sn.state);
  }

  /** Taint and condition follow the subnet's free addresses (EKLetHasInsufficientSubnetIP, docs/tencent/super-nodes.md). */
  private async syncNetwork(sn: SuperNode): Promise<void> {
    const exhausted = this.cloud.subnetAvailable(sn.subnetId) <= 0;
    const cached = this.nodes.get(undefined, sn.name);
    // The agent registers the Node; its arrival in the informer queues this super node again.
    if (!cached || networkInStep(cached, exhausted)) return;
    // The cache may lag a write of ours: decide on the Node as the API has it.
    let node = await this.client.tryGet(refs.nodes, undefined, sn.name);
    if (!node || networkInStep(node, exhausted)) return;
    const taints: any[] = node.spec?.taints ?? [];
    if (exhausted !== taints.some((t) => t.key === NETWORK_TAINT)) {
      const next = exhausted
        ? [...taints, { key: NETWORK_TAINT, effect: 'NoSchedule', timeAdded: formatRFC3339(this.clock.now()) }]
        : taints.filter((t) => t.key !== NETWORK_TAINT);
      node = await this.client.patch(refs.nodes, undefined, sn.name, 'merge', { spec: { taints: next.length ? next : null } });
    }
    const cond = (node.status?.conditions ?? []).find((c: any) => c.type === 'NetworkUnavailable');
    if (cond?.status !== (exhausted ? 'True' : 'False')) {
      const c = subnetCondition(exhausted, sn.subnetId, formatRFC3339(this.clock.now()));
      const conditions = [...(node.status?.conditions ?? []).filter((x: any) => x.type !== 'NetworkUnavailable'), c];
      // A conflict (the kubelet posted status meanwhile) fails the sync: it is retried on the fresher Node.
      await this.client.updateStatus(refs.nodes, { ...node, status: { ...node.status, conditions } });
    }
  }

  /** Drain: cordon, then evict every pod but DaemonSet pods (they are recreated elsewhere by their controllers). */
  private async drain(sn: SuperNode): Promise<void> {
    if (!this.nodes.get(undefined, sn.name)?.spec?.unschedulable) {
      await this.client.patch(refs.nodes, undefined, sn.name, 'merge', { spec: { unschedulable: true } });
    }
    const refused: string[] = [];
    for (const p of this.pods.byIndex('node', sn.name)) {
      if (isDaemonSetPod(p) || p.metadata.deletionTimestamp) continue;
      try {
        await this.client.createSubresource(refs.pods, p.metadata.namespace, p.metadata.name!, 'eviction', {
          apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: p.metadata.name, namespace: p.metadata.namespace },
        });
      } catch (e) {
        // A pod already gone is what we wanted; a refusal (a disruption budget's 429) is tried again after the back-off.
        if (!(e instanceof ApiError && e.code === 404)) refused.push(`${p.metadata.namespace}/${p.metadata.name}: ${(e as Error).message}`);
      }
    }
    if (refused.length) throw new Error(`draining ${sn.name}: ${refused.length} pod(s) not evicted (${refused.slice(0, 3).join('; ')}${refused.length > 3 ? '; …' : ''})`);
  }

  override stop(): void {
    super.stop();
    for (const off of this.offs.splice(0)) off();
    this.nodes.close();
    this.pods.close();
    for (const r of this.ekletEvents.values()) r.stop();
    this.controllerEvents.stop();
    if (!this.opts.informers) this.shared.stop();
  }
}

export interface SuperNodes {
  stop(): Promise<void>;
}

/** Starts the super node controller of `cluster` (see SuperNodeController.start). */
export async function startSuperNodes(cloud: Cloud, cluster: string, client: Client, agents: SuperNodeAgents, opts: SuperNodeControllerOptions = {}): Promise<SuperNodes> {
  const c = new SuperNodeController(cloud, cluster, client, agents, opts);
  await c.start();
  return { async stop() { c.stop(); } };
}
