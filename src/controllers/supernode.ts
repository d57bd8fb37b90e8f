// The super node agent ("eklet", SPEC S1–S4): every cloud super node of a
// cluster becomes a Kubernetes Node run by a node agent whose pods take their
// IPs from the super node's subnet (one ENI per pod). It keeps the node's
// network-unavailable taint and condition in step with the subnet's free
// addresses, turns a cloud drain into cordon + evictions, and vetoes removal
// of a node that still runs pods other than DaemonSet pods.
import type { KubeObject } from '../api/types.js';
import type { Client } from '../client/types.js';
import { ApiError, refs } from '../client/types.js';
import type { Cloud } from '../cloud/cloud.js';
import { CloudError, ResourceInUse } from '../cloud/errors.js';
import type { Admission } from '../apiserver/registry.js';
import { errors } from '../apiserver/status.js';
import type { SuperNode } from '../cloud/types.js';
import { SG_ANNOTATION } from '../clouds/tencent/admission.js';
import { EventRecorder } from '../client/record/events.js';
import { RetainedIps } from '../clouds/tencent/retain-ip.js';
import { startNodeAgent, type NodeAgent, type NodeAgentOptions, type PodNetwork } from '../runtime/index.js';
import { NfsMounts } from '../runtime/nfs.js';
import { formatRFC3339 } from '../api/duration.js';

export const NETWORK_TAINT = 'node.kubernetes.io/network-unavailable';
export const SUBNET_LABEL = 'eks.tke.cloud.tencent.com/subnet-id';

/**
 * Pod IPs from a subnet, one ENI per pod, through the cloud's IPAM. A pod
 * annotated retain-ip keeps its ENI for its name when it goes, and a pod of
 * the same name on this subnet gets that address back (./retainip.ts).
 */
export class SubnetNetwork implements PodNetwork {
  constructor(private cloud: Cloud, private cluster: string, private subnetId: string, private node: string, private retained?: RetainedIps) {}

  async allocate(pod: KubeObject): Promise<{ ip: string }> {
    const sgs = (pod.metadata.annotations?.[SG_ANNOTATION] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const input = {
      cluster: this.cluster, namespace: pod.metadata.namespace!, pod: pod.metadata.name!, uid: pod.metadata.uid!,
      subnetId: this.subnetId, securityGroupIds: sgs, preferIp: pod.status?.podIP, node: this.node,
    };
    this.retained?.note(pod);
    const own = this.cloud.findEniByPod({ cluster: this.cluster, namespace: input.namespace, pod: input.pod, uid: input.uid });
    const kept = own ? undefined : this.retained?.take(input.namespace, input.pod, this.subnetId);
    if (kept) {
      // Free the kept ENI and take its address for the new pod in the same turn, before anyone else can.
      const freed = this.cloud.releaseEni(kept.eni);
      const eni = this.cloud.allocatePodEni({ ...input, preferIp: kept.ip });
      await freed;
      return { ip: (await eni).primaryIp };
    }
    const eni = own ?? await this.cloud.allocatePodEni(input);
    return { ip: eni.primaryIp };
  }

  async release(pod: KubeObject): Promise<void> {
    const eni = this.cloud.findEniByPod({ cluster: this.cluster, namespace: pod.metadata.namespace!, pod: pod.metadata.name!, uid: pod.metadata.uid });
    if (!eni || this.retained?.isRetained(eni.id) || this.retained?.keep(pod, eni)) return;
    await this.cloud.releaseEni(eni.id);
  }
}

const isDaemonSetPod = (p: KubeObject) => (p.metadata.ownerReferences ?? []).some((o) => o.kind === 'DaemonSet' && o.controller);
const isTerminal = (p: KubeObject) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

export interface SuperNodeOptions extends Pick<NodeAgentOptions, 'allowProcessRuntime' | 'stateDir' | 'simulation' | 'recordEvents' | 'eventLimit' | 'informers'> {}

export interface SuperNodes {
  agents(): NodeAgent[];
  stop(): Promise<void>;
}

/**
 * `kubectl delete node` on a super node follows the same rules as
 * `nodeless supernode remove`: the cloud record goes first (refused for the
 * last node, or while pods other than DaemonSet pods remain), then the Node.
 */
export function superNodeDeletion(cloud: Cloud, cluster: string): Admission {
  return {
    name: 'supernode-delete',
    async admit(op, rt, obj, _old, ctx) {
      if (op !== 'DELETE' || rt.plural !== 'nodes' || rt.group !== '' || ctx.dryRun) return;
      const sn = cloud.superNodes.list({ cluster }).find((x) => x.name === obj.metadata.name);
      if (!sn) return;
      try {
        await cloud.superNodes.delete(sn.id);
      } catch (e) {
        if (e instanceof CloudError) throw errors.forbidden(rt, obj.metadata.name!, `${e.code}: ${e.message}`);
        throw e;
      }
    },
  };
}

export async function startSuperNodes(cloud: Cloud, cluster: string, client: Client, opts: SuperNodeOptions = {}): Promise<SuperNodes> {
  const agents = new Map<string, NodeAgent>(); // by super node id
  const kubeletEvents = new EventRecorder(client, { component: 'kubelet' });
  const controllerEvents = new EventRecorder(client, { component: 'node-controller' });
  const ownNodes = () => cloud.superNodes.list({ cluster });
  // Addresses kept for retain-ip pods, shared by the cluster's super nodes (a pod may come back on another one).
  const retained = new RetainedIps(cloud, client);
  await retained.load();

  // A new cluster starts with one super node on its first subnet (tencent-tke-serverless-faq).
  if (ownNodes().length === 0) {
    const c = cloud.clusters.get(cluster);
    if (c.subnetIds[0]) await cloud.superNodes.create({ clusterName: cluster, subnetId: c.subnetIds[0] });
  }

  const podsOn = async (node: string) => (await client.list(refs.pods, { fieldSelector: `spec.nodeName=${node}` })).items;

  /** Taint and condition follow the subnet's free addresses (seed: EKLetHasInsufficientSubnetIP). */
  const lastExhausted = new Map<string, boolean>();
  const syncNetwork = async (sn: SuperNode, force = false) => {
    const available = cloud.subnetAvailable(sn.subnetId);
    const exhausted = available <= 0;
    // Every allocation reports the subnet; only a change of state is worth a write.
    if (!force && lastExhausted.get(sn.id) === exhausted) return;
    lastExhausted.set(sn.id, exhausted);
    for (let attempt = 0; attempt < 5; attempt++) {
      const node = await client.tryGet(refs.nodes, undefined, sn.name);
      if (!node) return;
      const taints: any[] = node.spec?.taints ?? [];
      const has = taints.some((t) => t.key === NETWORK_TAINT);
      const cond = (node.status?.conditions ?? []).find((c: any) => c.type === 'NetworkUnavailable');
      const wantStatus = exhausted ? 'True' : 'False';
      try {
        if (exhausted !== has) {
          const next = exhausted ? [...taints, { key: NETWORK_TAINT, effect: 'NoSchedule', timeAdded: formatRFC3339() }] : taints.filter((t) => t.key !== NETWORK_TAINT);
          await client.patch(refs.nodes, undefined, sn.name, 'merge', { spec: { taints: next.length ? next : null } });
        }
        if (cond?.status !== wantStatus) {
          const now = formatRFC3339();
          const c = exhausted
            ? { type: 'NetworkUnavailable', status: 'True', reason: 'EKLetHasInsufficientSubnetIP', message: `eklet node has insufficient IP available of subnet ${sn.subnetId}`, lastHeartbeatTime: now, lastTransitionTime: now }
            : { type: 'NetworkUnavailable', status: 'False', reason: 'EKLetHasSufficientSubnetIP', message: `eklet node has sufficient IP available of subnet ${sn.subnetId}`, lastHeartbeatTime: now, lastTransitionTime: now };
          const fresh = await client.get(refs.nodes, undefined, sn.name);
          const conditions = [...(fresh.status?.conditions ?? []).filter((x: any) => x.type !== 'NetworkUnavailable'), c];
          await client.updateStatus(refs.nodes, { ...fresh, status: { ...fresh.status, conditions } });
        }
        return;
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 409)) throw e;
      }
    }
  };

  /** Drain: cordon, then evict every pod but DaemonSet pods (they are recreated elsewhere by their controllers). */
  const drain = async (sn: SuperNode) => {
    await client.patch(refs.nodes, undefined, sn.name, 'merge', { spec: { unschedulable: true } });
    for (const p of await podsOn(sn.name)) {
      if (isDaemonSetPod(p) || p.metadata.deletionTimestamp) continue;
      try {
        await client.createSubresource(refs.pods, p.metadata.namespace, p.metadata.name!, 'eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: p.metadata.name, namespace: p.metadata.namespace } });
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 404)) console.error(`supernode drain ${sn.name}: ${(e as Error).message}`);
      }
    }
  };

  const start = async (sn: SuperNode) => {
    if (agents.has(sn.id)) return;
    const subnet = cloud.subnets.get(sn.subnetId);
    const region = cloud.regions.list()[0]?.region ?? '';
    const agent = startNodeAgent(client, {
      nodeName: sn.name,
      labels: {
        'node.kubernetes.io/instance-type': 'eklet', type: 'virtual-kubelet',
        'topology.kubernetes.io/zone': sn.zone, 'topology.kubernetes.io/region': region,
        'failure-domain.beta.kubernetes.io/zone': sn.zone, 'failure-domain.beta.kubernetes.io/region': region,
        [SUBNET_LABEL]: sn.subnetId,
      },
      capacity: { cpu: '960', memory: '3840Gi', pods: String(Math.max(subnet.totalIpCount, 1)), 'ephemeral-storage': '20Ti' },
      // A super node's own address is taken from its subnet's reserved range: shown, never contacted.
      network: new SubnetNetwork(cloud, cluster, sn.subnetId, sn.name, retained),
      // NFS volumes mount from CFS / NFS servers of the subnet's VPC (SPEC S13); each pod is its own host (S12).
      nfs: new NfsMounts((server, path, ip) => {
        const r = cloud.fileSystems.mountRequest({ vpcId: subnet.vpcId, server, path, clientIp: ip });
        return r.ok ? { ok: true, key: r.fileSystem.id, readOnly: r.readOnly } : r;
      }),
      hostPerPod: true,
      ...opts,
    });
    agents.set(sn.id, agent);
    await agent.ready;
    // What a kubelet and the node controller announce on start (kubectl describe node shows them).
    const node = await client.tryGet(refs.nodes, undefined, sn.name);
    if (node) {
      const ev = node; // cluster-scoped: the recorder files its events in namespace default, as Kubernetes does
      kubeletEvents.record(ev, 'Normal', 'Starting', 'Starting kubelet.');
      kubeletEvents.record(ev, 'Normal', 'NodeReady', `Node ${sn.name} status is now: NodeReady`);
      controllerEvents.record(ev, 'Normal', 'RegisteredNode', `Node ${sn.name} event: Registered Node ${sn.name} in Controller`);
    }
    await syncNetwork(sn, true);
    if (sn.state === 'draining') await drain(sn);
  };

  const stopAgent = async (sn: SuperNode, deleteNode: boolean) => {
    const agent = agents.get(sn.id);
    agents.delete(sn.id);
    await agent?.stop();
    if (deleteNode) {
      try { await client.delete(refs.nodes, undefined, sn.name); } catch { /* already gone */ }
    }
  };

  // Removal is refused while pods other than DaemonSet pods remain (S3).
  const unguard = cloud.superNodes.addDeleteGuard(async (sn) => {
    if (sn.clusterName !== cluster) return;
    const left = (await podsOn(sn.name)).filter((p) => !isDaemonSetPod(p) && !isTerminal(p));
    if (left.length) {
      throw new ResourceInUse(`super node ${sn.name} still runs ${left.length} pod(s) that are not DaemonSet pods (${left.slice(0, 3).map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(', ')}${left.length > 3 ? ', …' : ''}); drain it first: nodeless supernode drain ${sn.name}`);
    }
  });

  const unsubscribe = cloud.onChange((ch) => {
    const run = (p: Promise<unknown>) => p.catch((e) => console.error(`supernode ${ch.id}: ${(e as Error).message}`));
    if (ch.kind === 'supernode') {
      const sn = ch.object as SuperNode;
      if (sn.clusterName !== cluster) return;
      if (ch.type === 'created') run(start(sn));
      else if (ch.type === 'deleted') run(stopAgent(sn, true));
      else if (ch.type === 'updated') {
        if (sn.state === 'draining') run(drain(sn));
        else run(client.patch(refs.nodes, undefined, sn.name, 'merge', { spec: { unschedulable: null } }));
      }
    } else if (ch.kind === 'subnet') {
      for (const sn of ownNodes()) if (sn.subnetId === ch.id) run(syncNetwork(sn));
    }
  });

  for (const sn of ownNodes()) await start(sn);

  return {
    agents: () => [...agents.values()],
    async stop() {
      unsubscribe();
      unguard();
      retained.stop();
      await Promise.all([...agents.values()].map((a) => a.stop()));
      agents.clear();
    },
  };
}
