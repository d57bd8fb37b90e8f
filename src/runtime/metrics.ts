// The per-pod metrics endpoint of a serverless pod (see docs/tencent/metrics-port.md): every pod's VM
// serves node_exporter-style metrics on port 9100 (or the port of annotation
// eks.tke.cloud.tencent.com/metrics-port), reached through the API server's
// pod proxy: `kubectl get --raw /api/v1/namespaces/NS/pods/NAME:9100/proxy/metrics`.
// `?collect[]=ipvs` keeps only the ipvs collector, as node_exporter's filter does.
// The values are derived from the pod (its size, containers and ipvs settings),
// so they are stable and need no sampling.
import type { KubeObject } from '../api/types.js';
import { StatusError } from '../apiserver/status.js';
import { DEFAULT_METRICS_PORT, podEksSettings, type EksSettings } from '../clouds/tencent/annotations.js';
import { hasOwn } from '../util/own.js';

export { DEFAULT_METRICS_PORT };
export const POD_SIZE_ANNOTATION = 'nodeless.dev/pod-size';

/** The pod's metrics port: its annotation over the cluster defaults, else 9100. */
export function metricsPortOf(pod: KubeObject, clusterDefaults: Record<string, string> = {}): number {
  return podEksSettings(clusterDefaults, pod.metadata?.annotations).metricsPort ?? DEFAULT_METRICS_PORT;
}

/** A container that declares the metrics port as a containerPort cannot bind it: the VM's agent holds it. */
export function metricsPortConflict(pod: KubeObject, container: string, clusterDefaults: Record<string, string> = {}): number | undefined {
  const spec = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c: any) => c?.name === container);
  const port = metricsPortOf(pod, clusterDefaults);
  return (spec?.ports ?? []).some((p: any) => Number(p?.containerPort) === port && (p?.protocol ?? 'TCP') === 'TCP') ? port : undefined;
}

/** The bind error of docs/tencent/metrics-port.md (nginx's wording; the `listen() … failed (1: …)` part is the kernel's answer). */
export function listenDeniedMessage(image: string, port: number): string {
  const prog = /nginx/.test(image) ? 'nginx: [emerg]' : `${(image.split('/').pop() ?? image).split(/[:@]/)[0] || 'app'}:`;
  return `${prog} listen() to 0.0.0.0:${port}, backlog 511 failed (1: Operation not permitted)`;
}

/** "2C4G", "0.25C0.5G", "1C2G 1*T4" → cpu cores and memory bytes. */
export function sizeOf(pod: KubeObject): { cpu: number; memBytes: number } {
  const m = /^(\d+(?:\.\d+)?)C(\d+(?:\.\d+)?)G/.exec(pod.metadata?.annotations?.[POD_SIZE_ANNOTATION] ?? '');
  const cpu = m ? Number(m[1]) : 1;
  const gib = m ? Number(m[2]) : 2;
  return { cpu, memBytes: Math.round(gib * 1024 ** 3) };
}

/** A stable pseudo-random number in [0, 1) per pod and name. */
export function podHash(pod: KubeObject, name: string): number {
  let h = 2166136261;
  for (const ch of `${pod.metadata?.uid ?? ''}/${name}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return (h % 1000) / 1000;
}

/** A stable pseudo-random counter per pod and name, growing with the pod's age. */
function counter(pod: KubeObject, name: string, perSec: number, now: number): number {
  let h = 2166136261;
  for (const ch of `${pod.metadata?.uid ?? ''}/${name}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  const started = Date.parse(pod.status?.startTime ?? '') || now;
  const age = Math.max(0, (now - started) / 1000);
  return Math.floor(age * perSec * (0.5 + (h % 1000) / 1000)) + (h % 97);
}

type Collector = (pod: KubeObject, s: EksSettings, now: number) => string[];

const metric = (name: string, help: string, type: 'gauge' | 'counter', samples: [string, number][]) =>
  [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples.map(([labels, v]) => `${name}${labels} ${v}`)];

const COLLECTORS: Record<string, Collector> = {
  cpu: (pod, _s, now) => {
    const { cpu } = sizeOf(pod);
    const cores = Math.max(1, Math.ceil(cpu));
    const samples: [string, number][] = [];
    for (let i = 0; i < cores; i++) {
      samples.push([`{cpu="${i}",mode="idle"}`, counter(pod, `cpu${i}idle`, 0.8, now) / 100]);
      samples.push([`{cpu="${i}",mode="user"}`, counter(pod, `cpu${i}user`, 0.15, now) / 100]);
      samples.push([`{cpu="${i}",mode="system"}`, counter(pod, `cpu${i}system`, 0.05, now) / 100]);
    }
    return [
      ...metric('node_cpu_seconds_total', 'Seconds the CPUs spent in each mode.', 'counter', samples),
      ...metric('eks_pod_cpu_cores', 'CPU cores of the pod size (nodeless.dev/pod-size).', 'gauge', [['', cpu]]),
    ];
  },
  meminfo: (pod) => {
    const { memBytes } = sizeOf(pod);
    return [
      ...metric('node_memory_MemTotal_bytes', 'Memory information field MemTotal_bytes.', 'gauge', [['', memBytes]]),
      ...metric('node_memory_MemAvailable_bytes', 'Memory information field MemAvailable_bytes.', 'gauge', [['', Math.round(memBytes * 0.8)]]),
    ];
  },
  containers: (pod) => {
    const statuses: any[] = pod.status?.containerStatuses ?? [];
    return [
      ...metric('eks_pod_containers', 'Containers of the pod by state.', 'gauge', [
        ['{state="declared"}', (pod.spec?.containers ?? []).length],
        ['{state="running"}', statuses.filter((c) => c?.state?.running).length],
        ['{state="ready"}', statuses.filter((c) => c?.ready).length],
      ]),
      ...metric('eks_pod_container_restarts_total', 'Restarts of the pod\'s containers.', 'counter',
        statuses.map((c) => [`{container="${c?.name}"}`, Number(c?.restartCount ?? 0)])),
    ];
  },
  ipvs: (pod, s, now) => [
    ...metric('node_ipvs_connections_total', 'The total number of connections made.', 'counter', [['', counter(pod, 'conn', 2, now)]]),
    ...metric('node_ipvs_incoming_packets_total', 'The total number of incoming packets.', 'counter', [['', counter(pod, 'inpkt', 40, now)]]),
    ...metric('node_ipvs_outgoing_packets_total', 'The total number of outgoing packets.', 'counter', [['', counter(pod, 'outpkt', 38, now)]]),
    ...metric('node_ipvs_incoming_bytes_total', 'The total amount of incoming data.', 'counter', [['', counter(pod, 'inb', 4000, now)]]),
    ...metric('node_ipvs_outgoing_bytes_total', 'The total amount of outgoing data.', 'counter', [['', counter(pod, 'outb', 3500, now)]]),
    ...metric('eks_ipvs_timeout_seconds', 'ipvs connection timeouts of the pod (eks.tke.cloud.tencent.com/ipvs-*-timeout).', 'gauge', [
      ['{protocol="tcp"}', s.ipvsTcpTimeoutSec], ['{protocol="udp"}', s.ipvsUdpTimeoutSec],
    ]),
    ...metric('eks_conntrack_udp_timeout_seconds', 'conntrack UDP timeout of the pod\'s VM.', 'gauge', [['', s.conntrackUdpTimeoutSec]]),
  ],
};

export interface ProxyAnswer { status: number; contentType: string; body: string }

/**
 * Answers the pod proxy for the metrics port, or undefined when `port` is not
 * the pod's metrics port (the caller decides what other ports do).
 */
export function serveMetrics(pod: KubeObject, port: string, path: string, query: URLSearchParams, clusterDefaults: Record<string, string> = {}, now = Date.now()): ProxyAnswer | undefined {
  const settings = podEksSettings(clusterDefaults, pod.metadata?.annotations);
  const metricsPort = settings.metricsPort ?? DEFAULT_METRICS_PORT;
  if (Number(port.replace(/^https?:/, '')) !== metricsPort) return undefined;
  const name = pod.metadata?.name;
  if (pod.status?.phase !== 'Running') {
    throw new StatusError(503, 'ServiceUnavailable', `pod "${name}" is not running (phase ${pod.status?.phase ?? 'Pending'}): its metrics on port ${metricsPort} are not served yet`);
  }
  const p = '/' + path.replace(/^\/+/, '');
  if (p === '/') return { status: 200, contentType: 'text/html; charset=utf-8', body: '<html><head><title>Node Exporter</title></head><body><h1>Node Exporter</h1><p><a href="metrics">Metrics</a></p></body></html>\n' };
  if (p !== '/metrics') return { status: 404, contentType: 'text/plain; charset=utf-8', body: '404 page not found\n' };
  const wanted = query.getAll('collect[]');
  const unknown = wanted.filter((c) => !hasOwn(COLLECTORS, c)); // names from the query: `constructor` is no collector
  if (unknown.length) return { status: 400, contentType: 'text/plain; charset=utf-8', body: `couldn't create filtered metrics handler: missing collector: ${unknown.join(', ')}\n` };
  const names = wanted.length ? wanted : Object.keys(COLLECTORS);
  const lines = names.flatMap((c) => COLLECTORS[c](pod, settings, now));
  return { status: 200, contentType: 'text/plain; version=0.0.4; charset=utf-8', body: lines.join('\n') + '\n' };
}
