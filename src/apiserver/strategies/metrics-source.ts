// What metrics.k8s.io is computed from (./metrics.ts): the usage the pod runtime reports
// (src/runtime/metricsserver.ts). Types only, shared by the strategy and StoreAccess.
import type { KubeObject } from '../../api/types.js';

/** One container's usage over a window: CPU as a rate, memory as the working set at its end. */
export interface ContainerUsagePoint {
  name: string;
  cpuNanoCores: number;
  memoryBytes: number;
}

/** What metrics-server keeps for a pod: the end of its window, the window, its containers' usage. */
export interface PodUsagePoint {
  timestamp: number;
  windowMs: number;
  containers: ContainerUsagePoint[];
}

export interface NodeUsagePoint {
  timestamp: number;
  windowMs: number;
  cpuNanoCores: number;
  memoryBytes: number;
}

/** Where the usage comes from (the cluster's pod runtime); undefined for what it has no metrics of. */
export interface ResourceMetricsSource {
  pods(pods: KubeObject[]): (PodUsagePoint | undefined)[];
  /** `podsOn(node)`: the pods bound to it. */
  nodes(nodes: KubeObject[], podsOn: (node: string) => KubeObject[]): (NodeUsagePoint | undefined)[];
}
