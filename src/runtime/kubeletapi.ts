// The kubelet's read-only HTTP paths that clients reach through the API server's node proxy
// (`kubectl get --raw /api/v1/nodes/NAME/proxy/metrics/resource`, metrics-server, `kubectl top`'s
// sources, monitoring agents): /metrics/resource, /stats/summary, /configz and /healthz. A
// serverless node runs no containers of its own: what it reports is the modelled usage of the
// pods it holds (each pod's size, docs/tencent/pod-sizing.md; the same model as the pods'
// metrics port, ./metrics.ts), stable for a pod and growing with its age (docs/api-resources.md).
import type { KubeObject } from '../api/types.js';
import { nodeAllocatable } from '../api/resource.js';
import { podHash, sizeOf, type ProxyAnswer } from './metrics.js';

interface Usage { nanoCores: number; coreNanoSeconds: number; workingSetBytes: number }

const text = (status: number, body: string): ProxyAnswer => ({ status, contentType: 'text/plain; charset=utf-8', body });
const jsonAnswer = (body: unknown): ProxyAnswer => ({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });

/** A running container's modelled usage: a stable share (5–35% CPU, 20–50% memory) of its part of the pod's size. */
function containerUsage(pod: KubeObject, container: string, share: number, now: number): Usage {
  const { cpu, memBytes } = sizeOf(pod);
  const started = Date.parse(pod.status?.startTime ?? '') || now;
  const age = Math.max(0, (now - started) / 1000);
  const cores = cpu * share * (0.05 + 0.3 * podHash(pod, container + '/cpu'));
  return {
    nanoCores: Math.round(cores * 1e9),
    coreNanoSeconds: Math.round(cores * age * 1e9),
    workingSetBytes: Math.round(memBytes * share * (0.2 + 0.3 * podHash(pod, container + '/mem'))),
  };
}

/** The pod's running containers and their usage. */
function podUsage(pod: KubeObject, now: number): { name: string; startTime: string; usage: Usage }[] {
  const running = (pod.status?.containerStatuses ?? []).filter((c: any) => c?.state?.running);
  return running.map((c: any) => ({ name: c.name, startTime: c.state.running.startedAt ?? pod.status?.startTime, usage: containerUsage(pod, c.name, 1 / running.length, now) }));
}

const sum = (us: Usage[]): Usage => us.reduce((a, u) => ({ nanoCores: a.nanoCores + u.nanoCores, coreNanoSeconds: a.coreNanoSeconds + u.coreNanoSeconds, workingSetBytes: a.workingSetBytes + u.workingSetBytes }), { nanoCores: 0, coreNanoSeconds: 0, workingSetBytes: 0 });

/** /metrics/resource as the kubelet's resource metrics collector writes it (its [STABLE] metrics, names sorted). */
function metricsResource(node: KubeObject, pods: KubeObject[], now: number): string {
  const ts = now;
  const lines: string[] = [];
  const family = (name: string, help: string, type: string, samples: string[]) => {
    lines.push(`# HELP ${name} [STABLE] ${help}`, `# TYPE ${name} ${type}`, ...samples);
  };
  const per = pods.map((p) => ({ pod: p, containers: podUsage(p, now) }));
  const lbl = (p: KubeObject, c?: string) => `{${c !== undefined ? `container="${c}",` : ''}namespace="${p.metadata.namespace}",pod="${p.metadata.name}"}`;
  const cs = per.flatMap(({ pod, containers }) => containers.map((c) => ({ pod, c })));
  family('container_cpu_usage_seconds_total', 'Cumulative cpu time consumed by the container in core-seconds', 'counter', cs.map(({ pod, c }) => `container_cpu_usage_seconds_total${lbl(pod, c.name)} ${c.usage.coreNanoSeconds / 1e9} ${ts}`));
  family('container_memory_working_set_bytes', 'Current working set of the container in bytes', 'gauge', cs.map(({ pod, c }) => `container_memory_working_set_bytes${lbl(pod, c.name)} ${c.usage.workingSetBytes} ${ts}`));
  family('container_start_time_seconds', 'Start time of the container since unix epoch in seconds', 'gauge', cs.map(({ pod, c }) => `container_start_time_seconds${lbl(pod, c.name)} ${(Date.parse(c.startTime ?? '') || now) / 1000} ${ts}`));
  const total = sum(cs.map(({ c }) => c.usage));
  family('node_cpu_usage_seconds_total', 'Cumulative cpu time consumed by the node in core-seconds', 'counter', [`node_cpu_usage_seconds_total ${total.coreNanoSeconds / 1e9} ${ts}`]);
  family('node_memory_working_set_bytes', 'Current working set of the node in bytes', 'gauge', [`node_memory_working_set_bytes ${total.workingSetBytes} ${ts}`]);
  family('pod_cpu_usage_seconds_total', 'Cumulative cpu time consumed by the pod in core-seconds', 'counter', per.map(({ pod, containers }) => `pod_cpu_usage_seconds_total${lbl(pod)} ${sum(containers.map((c) => c.usage)).coreNanoSeconds / 1e9} ${ts}`));
  family('pod_memory_working_set_bytes', 'Current working set of the pod in bytes', 'gauge', per.map(({ pod, containers }) => `pod_memory_working_set_bytes${lbl(pod)} ${sum(containers.map((c) => c.usage)).workingSetBytes} ${ts}`));
  family('resource_scrape_error', '1 if there was an error while getting container metrics, 0 otherwise', 'gauge', ['resource_scrape_error 0']);
  void node;
  return lines.join('\n') + '\n';
}

const cpuStats = (time: string, u: Usage) => ({ time, usageNanoCores: u.nanoCores, usageCoreNanoSeconds: u.coreNanoSeconds });
const memStats = (time: string, u: Usage, limit?: number) => ({
  time, ...(limit !== undefined ? { availableBytes: Math.max(0, limit - u.workingSetBytes) } : {}),
  usageBytes: u.workingSetBytes, workingSetBytes: u.workingSetBytes, rssBytes: Math.round(u.workingSetBytes * 0.9), pageFaults: 0, majorPageFaults: 0,
});

/** /stats/summary: the kubelet's stats Summary (k8s.io/kubelet/pkg/apis/stats/v1alpha1) for the node and its pods. */
type DiskOf = (pod: KubeObject) => { capacityBytes: number; usedBytes: number } | undefined;

function statsSummary(node: KubeObject, pods: KubeObject[], now: number, diskOf?: DiskOf) {
  const time = new Date(now).toISOString().replace(/\.\d+Z$/, 'Z');
  const alloc = nodeAllocatable(node);
  const per = pods.map((p) => ({ pod: p, containers: podUsage(p, now) }));
  const total = sum(per.flatMap((x) => x.containers.map((c) => c.usage)));
  return {
    node: {
      nodeName: node.metadata.name,
      startTime: node.metadata.creationTimestamp,
      cpu: cpuStats(time, total),
      memory: memStats(time, total, alloc.memory),
    },
    pods: per.map(({ pod, containers }) => {
      const u = sum(containers.map((c) => c.usage));
      return {
        podRef: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid },
        startTime: pod.status?.startTime,
        containers: containers.map((c) => ({ name: c.name, startTime: c.startTime, cpu: cpuStats(time, c.usage), memory: memStats(time, c.usage) })),
        cpu: cpuStats(time, u),
        memory: memStats(time, u, sizeOf(pod).memBytes),
        // The pod's own system disk (a serverless pod's ephemeral storage; docs/tencent/system-disk.md).
        ...ephemeralStorage(time, diskOf?.(pod)),
        'process_stats': { 'process_count': containers.length },
      };
    }),
  };
}

function ephemeralStorage(time: string, d: { capacityBytes: number; usedBytes: number } | undefined) {
  if (!d) return {};
  return { 'ephemeral-storage': { time, availableBytes: Math.max(0, d.capacityBytes - d.usedBytes), capacityBytes: d.capacityBytes, usedBytes: d.usedBytes } };
}

/** /configz: the KubeletConfiguration the node's agent runs with, as the kubelet's configz handler wraps it. */
function configz(node: KubeObject) {
  const alloc = nodeAllocatable(node);
  return {
    kubeletconfig: {
      enableServer: true, staticPodPath: '', syncFrequency: '1m0s', fileCheckFrequency: '20s', httpCheckFrequency: '20s',
      address: '0.0.0.0', port: 10250, readOnlyPort: 0, authentication: { anonymous: { enabled: false }, webhook: { enabled: true, cacheTTL: '2m0s' }, x509: {} },
      authorization: { mode: 'Webhook', webhook: { cacheAuthorizedTTL: '5m0s', cacheUnauthorizedTTL: '30s' } },
      registryPullQPS: 5, registryBurst: 10, eventRecordQPS: 50, eventBurst: 100, enableDebuggingHandlers: true,
      healthzPort: 10248, healthzBindAddress: '127.0.0.1', oomScoreAdj: -999, clusterDomain: 'cluster.local', clusterDNS: ['10.96.0.10'],
      streamingConnectionIdleTimeout: '4h0m0s', nodeStatusUpdateFrequency: '10s', nodeStatusReportFrequency: '5m0s', nodeLeaseDurationSeconds: 40,
      imageMinimumGCAge: '2m0s', imageGCHighThresholdPercent: 85, imageGCLowThresholdPercent: 80, volumeStatsAggPeriod: '1m0s',
      cgroupsPerQOS: true, cgroupDriver: 'systemd', cpuManagerPolicy: 'none', memoryManagerPolicy: 'None', topologyManagerPolicy: 'none',
      runtimeRequestTimeout: '2m0s', hairpinMode: 'promiscuous-bridge', maxPods: alloc.pods, podPidsLimit: -1, resolvConf: '/etc/resolv.conf',
      cpuCFSQuota: true, cpuCFSQuotaPeriod: '100ms', maxOpenFiles: 1000000, contentType: 'application/vnd.kubernetes.protobuf', kubeAPIQPS: 50, kubeAPIBurst: 100,
      serializeImagePulls: true, evictionHard: { 'imagefs.available': '15%', 'memory.available': '100Mi', 'nodefs.available': '10%', 'nodefs.inodesFree': '5%' },
      evictionPressureTransitionPeriod: '5m0s', enableControllerAttachDetach: true, makeIPTablesUtilChains: true, iptablesMasqueradeBit: 14, iptablesDropBit: 15,
      failSwapOn: true, memorySwap: {}, containerLogMaxSize: '10Mi', containerLogMaxFiles: 5, containerLogMaxWorkers: 1, containerLogMonitorInterval: '10s',
      configMapAndSecretChangeDetectionStrategy: 'Watch', enforceNodeAllocatable: ['pods'], volumePluginDir: '/usr/libexec/kubernetes/kubelet-plugins/volume/exec/',
      logging: { format: 'text', flushFrequency: '5s', verbosity: 0, options: { text: { infoBufferSize: '0' }, json: { infoBufferSize: '0' } } },
      enableSystemLogHandler: true, enableSystemLogQuery: false, shutdownGracePeriod: '0s', shutdownGracePeriodCriticalPods: '0s', enableProfilingHandler: true,
      enableDebugFlagsHandler: true, seccompDefault: false, memoryThrottlingFactor: 0.9, registerNode: true, localStorageCapacityIsolation: true,
      containerRuntimeEndpoint: 'unix:///run/containerd/containerd.sock', failCgroupV1: false,
    },
  };
}

/**
 * Answers nodes/NAME/proxy/PATH for a node and the pods bound to it (running ones report usage).
 * Paths the kubelet does not serve get its mux's plain 404.
 */
export function serveKubeletApi(node: KubeObject, pods: KubeObject[], path: string, method: string, now = Date.now(), diskOf?: DiskOf): ProxyAnswer {
  const p = '/' + path.replace(/^\/+/, '');
  if (method !== 'GET' && method !== 'HEAD') return text(405, 'Method Not Allowed\n');
  const running = pods.filter((x) => x.status?.phase === 'Running').sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}` < `${b.metadata.namespace}/${b.metadata.name}` ? -1 : 1);
  switch (p) {
    case '/healthz': return text(200, 'ok');
    case '/metrics/resource': return { status: 200, contentType: 'text/plain; version=0.0.4; charset=utf-8', body: metricsResource(node, running, now) };
    case '/stats/summary': return jsonAnswer(statsSummary(node, running, now, diskOf));
    case '/configz': return jsonAnswer(configz(node));
    case '/pods': return jsonAnswer({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: pods });
  }
  return text(404, '404 page not found\n');
}

