// The pod runtime: the node agent (nodeless' kubelet) and its simulated and
// process runtimes, plus the PodBackends that serve `kubectl logs` from them.
import type { KubeObject } from '../api/types.js';
import type { LogOptions, PodBackends } from '../apiserver/subresources.js';
import type { NodeAgent } from './agent.js';
import { SimulatedRuntime } from './simulated.js';
import { serveKubeletApi } from './kubeletapi.js';
import { serveMetrics } from './metrics.js';
import { podStreams } from './streams.js';

export { Kubelet, startNodeAgent, type NodeAgent, type NodeAgentOptions } from './agent.js';
export { PodCidrNetwork, NetworkExhaustedError, defaultNetwork } from './network.js';
export { SIMULATE_ANNOTATION, RUNTIME_ANNOTATION, parseSimulate, type SimulationOptions } from './simulate.js';
export { KUBELET_VERSION, RUNTIME_VERSION } from './node.js';
export { metricsSource, METRIC_RESOLUTION_MS, type MetricsServerOptions } from './metricsserver.js';
export { serveMetrics, metricsPortOf, metricsPortConflict, DEFAULT_METRICS_PORT } from './metrics.js';
export type { PodNetwork, PodState, ContainerState, Runtime } from './types.js';
export type { PullBlock } from './disk.js';
export { namespaceSupport, type NamespaceSupport } from './namespaces.js';

/**
 * Logs, exec/attach/port-forward and the pod proxy for the API server, from whichever agent
 * runs the pod. `agents` may be a function so agents added later are found.
 * Pods no agent of this process runs (a finished agent, another process) get
 * the simulated log derived from their status. The pod proxy serves the
 * pod's own metrics port (9100, docs/tencent/metrics-port.md), and the real
 * ports of process pods (docs/streaming.md); `clusterDefaults` gives the
 * ConfigMap kube-system/eks-config annotations that may move the metrics port.
 */
export function runtimeBackends(
  agents: Iterable<NodeAgent> | (() => Iterable<NodeAgent>),
  clusterDefaults: () => Promise<Record<string, string>> | Record<string, string> = () => ({}),
): PodBackends {
  const fallback = new SimulatedRuntime();
  const find = (pod: KubeObject) => {
    const list = typeof agents === 'function' ? agents() : agents;
    for (const a of list) if (a.nodeName === pod.spec?.nodeName) return a;
    return undefined;
  };
  const list = () => (typeof agents === 'function' ? agents() : agents);
  return {
    streams: podStreams(list),
    readLog(pod: KubeObject, opts: LogOptions) {
      const a = find(pod);
      return a ? a.readLog(pod, opts) : fallback.readLog(undefined, pod, opts);
    },
    followLog(pod: KubeObject, opts: LogOptions, onData: (t: string) => void, onEnd: () => void) {
      const a = find(pod);
      return a ? a.followLog(pod, opts, onData, onEnd) : fallback.followLog(undefined, pod, opts, onData, onEnd);
    },
    async proxy(pod: KubeObject, port: string, path: string, query: URLSearchParams) {
      // The metrics port is nodeless' own; any other port is the pod's (proxyTarget).
      return serveMetrics(pod, port, path, query, await clusterDefaults());
    },
    nodeProxy(node: KubeObject, pods: KubeObject[], path: string, method: string) {
      // Only a node an agent runs has a kubelet to answer.
      for (const a of list()) {
        if (a.nodeName === node.metadata.name) return serveKubeletApi(node, pods, path, method, Date.now(), (p) => a.diskStats?.(p.metadata.namespace ?? 'default', p.metadata.name!));
      }
      return undefined;
    },
    proxyTarget(pod: KubeObject, port: number) {
      for (const a of list()) {
        if (a.nodeName !== pod.spec?.nodeName) continue;
        const t = a.streamTarget(pod);
        // Process pods listen on this machine (the network is the host's).
        return t?.runtime.name === 'process' && t.ps.containers.some((c) => c.state === 'running') ? { scheme: 'http' as const, host: '127.0.0.1', port } : undefined;
      }
      return undefined;
    },
  };
}
