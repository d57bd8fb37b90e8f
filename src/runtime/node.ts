// The Node object a node agent registers and keeps alive: labels, capacity,
// conditions, addresses, nodeInfo, and its Lease in kube-node-lease.
import { createHash } from 'node:crypto';
import os from 'node:os';
import type { KubeObject } from '../api/types.js';
import type { Client } from '../client/types.js';
import { ApiError, refs } from '../client/types.js';
import type { Taint } from '../api/toleration.js';
import { iso } from './status.js';

export const KUBELET_VERSION = 'v1.32.0';
export const RUNTIME_VERSION = 'nodeless://0.1.0';

export interface NodeSpecOptions {
  nodeName: string;
  labels?: Record<string, string>;
  /** Adds `node-role.kubernetes.io/<role>: ""` (what ROLES shows in `kubectl get nodes`). */
  role?: string;
  capacity?: Record<string, string>;
  allocatable?: Record<string, string>;
  taints?: Taint[];
  internalIP?: string;
}

const hash = (s: string) => createHash('sha256').update(s).digest('hex');

/** A stable address per node name in 172.18.0.0/16 (the range kind's docker network uses). */
export function defaultNodeIP(name: string): string {
  const h = parseInt(hash(name).slice(0, 4), 16);
  return `172.18.${(h >> 8) % 255}.${2 + ((h & 255) % 250)}`;
}

const DEFAULT_CAPACITY = { cpu: '8', memory: '32Gi', pods: '110', 'ephemeral-storage': '100Gi' };

function conditions(now: string, prev: any[] = []): any[] {
  const c = (type: string, status: string, reason: string, message: string) => {
    const old = prev.find((x) => x.type === type);
    return { type, status, lastHeartbeatTime: now, lastTransitionTime: old?.status === status ? old.lastTransitionTime : now, reason, message };
  };
  return [
    c('NetworkUnavailable', 'False', 'RouteCreated', 'RouteController created a route'),
    c('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    c('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    c('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    c('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
  ];
}

/** `at`: now, on the agent's clock. */
export function nodeStatus(o: NodeSpecOptions, prev?: any, at = Date.now()): any {
  const capacity = { ...DEFAULT_CAPACITY, ...(o.capacity ?? {}) };
  const now = iso(at);
  const id = hash(`nodeless/${o.nodeName}`);
  return {
    ...(prev ?? {}),
    capacity,
    allocatable: { ...capacity, ...(o.allocatable ?? {}) },
    // Conditions others own (the super node agent's NetworkUnavailable, say) are kept as they are.
    conditions: [
      ...conditions(now, prev?.conditions).filter((c) => !(c.type === 'NetworkUnavailable' && prev?.conditions?.some((p: any) => p.type === 'NetworkUnavailable'))),
      ...(prev?.conditions ?? []).filter((p: any) => p.type === 'NetworkUnavailable'),
    ],
    addresses: [{ type: 'InternalIP', address: o.internalIP ?? defaultNodeIP(o.nodeName) }, { type: 'Hostname', address: o.nodeName }],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      machineID: id.slice(0, 32), systemUUID: `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20, 32)}`,
      bootID: hash(`${o.nodeName}/${process.pid}`).slice(0, 32),
      kernelVersion: os.release(), osImage: 'nodeless 0.1.0', containerRuntimeVersion: RUNTIME_VERSION,
      kubeletVersion: KUBELET_VERSION, kubeProxyVersion: KUBELET_VERSION, operatingSystem: 'linux', architecture: 'amd64',
    },
  };
}

/** Creates the Node, or takes an existing one over (keeping user labels and taints). */
export async function registerNode(client: Client, o: NodeSpecOptions, at = Date.now()): Promise<KubeObject> {
  const labels = {
    'beta.kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64', 'kubernetes.io/hostname': o.nodeName, 'kubernetes.io/os': 'linux',
    ...(o.role ? { [`node-role.kubernetes.io/${o.role}`]: '' } : {}),
    ...(o.labels ?? {}),
  };
  for (let attempt = 0; ; attempt++) {
    try {
      const cur = await client.tryGet(refs.nodes, undefined, o.nodeName);
      if (!cur) {
        return await client.create(refs.nodes, {
          apiVersion: 'v1', kind: 'Node',
          metadata: { name: o.nodeName, labels, annotations: { 'node.alpha.kubernetes.io/ttl': '0' } },
          spec: o.taints?.length ? { taints: o.taints } : {},
          status: nodeStatus(o, undefined, at),
        });
      }
      const taints: Taint[] = [...(cur.spec?.taints ?? [])];
      for (const t of o.taints ?? []) if (!taints.some((x) => x.key === t.key && x.effect === t.effect)) taints.push(t);
      const updated = await client.update(refs.nodes, {
        ...cur, metadata: { ...cur.metadata, labels: { ...(cur.metadata.labels ?? {}), ...labels } },
        spec: { ...(cur.spec ?? {}), ...(taints.length ? { taints } : {}) },
      });
      return await client.updateStatus(refs.nodes, { ...updated, status: nodeStatus(o, updated.status, at) });
    } catch (e) {
      if (attempt < 5 && e instanceof ApiError && (e.code === 409 || e.code === 404)) continue;
      throw e;
    }
  }
}

const microTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/** Renews (or creates) the node's Lease; returns it. */
export async function renewLease(client: Client, node: KubeObject, durationSeconds: number, cached?: KubeObject, at = Date.now()): Promise<KubeObject> {
  const name = node.metadata.name!;
  const now = microTime(at);
  for (let attempt = 0; ; attempt++) {
    try {
      const cur = attempt === 0 && cached ? cached : await client.tryGet(refs.leases, 'kube-node-lease', name);
      if (!cur) {
        return await client.create(refs.leases, {
          apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
          metadata: { name, namespace: 'kube-node-lease', ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid! }] },
          spec: { holderIdentity: name, leaseDurationSeconds: durationSeconds, renewTime: now },
        });
      }
      return await client.update(refs.leases, { ...cur, spec: { ...(cur.spec ?? {}), holderIdentity: name, leaseDurationSeconds: durationSeconds, renewTime: now } });
    } catch (e) {
      if (attempt < 3 && e instanceof ApiError && (e.code === 409 || e.code === 404)) continue;
      throw e;
    }
  }
}
