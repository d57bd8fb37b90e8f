// The super node controller (see docs/tencent/super-nodes.md): every cloud super node of a
// cluster becomes a Kubernetes Node run by a node agent whose pods take their
// IPs from the super node's subnet (one ENI per pod). It keeps the node's
// network-unavailable taint and condition in step with the subnet's free
// addresses, turns a cloud drain into cordon + evictions, and vetoes removal
// of a node that still runs pods other than DaemonSet pods.
import type { KubeObject } from '../api/types.js';
import type { Client } from '../client/types.js';
import { ApiError, refs } from '../client/types.js';
import type { Cloud } from '../cloud/cloud.js';
import { ResourceInUse } from '../cloud/errors.js';
import type { SuperNode } from '../cloud/types.js';
import { subnetCondition } from '../clouds/tencent/supernode.js';
import { EventRecorder } from '../client/record/events.js';
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
  stop(sn: SuperNode): Promise<void>;
}

export interface SuperNodes {
  stop(): Promise<void>;
}

export async function startSuperNodes(cloud: Cloud, cluster: string, client: Client, agents: SuperNodeAgents): Promise<SuperNodes> {
  const started = new Set<string>(); // super node ids
  const kubeletEvents = new EventRecorder(client, { component: 'kubelet' });
  const controllerEvents = new EventRecorder(client, { component: 'node-controller' });
  const ownNodes = () => cloud.superNodes.list({ cluster });

  // A new cluster starts with one super node on its first subnet (docs/tencent/super-nodes.md).
  if (ownNodes().length === 0) {
    const c = cloud.clusters.get(cluster);
    if (c.subnetIds[0]) await cloud.superNodes.create({ clusterName: cluster, subnetId: c.subnetIds[0] });
  }

  const podsOn = async (node: string) => (await client.list(refs.pods, { fieldSelector: `spec.nodeName=${node}` })).items;

  /** Taint and condition follow the subnet's free addresses (EKLetHasInsufficientSubnetIP, docs/tencent/super-nodes.md). */
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
          const c = subnetCondition(exhausted, sn.subnetId, now);
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
    if (started.has(sn.id)) return;
    started.add(sn.id);
    await agents.start(sn);
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
    started.delete(sn.id);
    await agents.stop(sn);
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
    async stop() {
      unsubscribe();
      unguard();
    },
  };
}
