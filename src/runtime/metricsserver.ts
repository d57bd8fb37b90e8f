// What metrics-server would scrape from the kubelets of this process
// (docs/metrics-api.md): the usage behind metrics.k8s.io's PodMetrics and
// NodeMetrics (src/apiserver/strategies/metrics.ts).
//
// metrics-server keeps, for each container, two cumulative CPU readings a
// resolution apart (15 s by default) and serves the rate between them with the
// time between them as the window; a container younger than that is measured
// from its start (cumulative 0 at startedAt). Memory is the working set at the
// newer reading. Here:
// - a simulated container's readings come from its load schedule
//   (./usage.ts), exact at any moment, so the window is always the resolution
//   (or the container's age when younger) ending now;
// - a process container's readings are sampled from /proc when asked
//   (ProcessSampler), the rate taken against the newest earlier sample at least
//   a resolution old.
// A node's usage is the sum of its pods' (a super node runs nothing else).
import type { KubeObject } from '../api/types.js';
import type { NodeUsagePoint, PodUsagePoint, ResourceMetricsSource } from '../apiserver/strategies/index.js';
import { realClock, type Clock } from '../util/clock.js';
import type { NodeAgent } from './agent.js';
import { ProcessSampler, processTreeUsage, runningContainers, simulatedSchedules, simulatedUsage } from './usage.js';
import { processTable, type ProcEntry } from './portguard.js';
import { integral } from './load.js';

/** metrics-server's --metric-resolution default. */
export const METRIC_RESOLUTION_MS = 15_000;
/** A container measured over less than this has no rate yet (metrics-server drops a window under its scrape precision). */
const MIN_WINDOW_MS = 1000;

export interface MetricsServerOptions {
  clock?: Clock;
  resolutionMs?: number;
}

export function metricsSource(agents: () => Iterable<NodeAgent>, opts: MetricsServerOptions = {}): ResourceMetricsSource {
  const clock = opts.clock ?? realClock;
  const resolution = opts.resolutionMs ?? METRIC_RESOLUTION_MS;
  const sampler = new ProcessSampler(resolution);
  const agentOf = (node: string | undefined) => {
    for (const a of agents()) if (a.nodeName === node) return a;
    return undefined;
  };

  /** One pod's point at `now`; `table` is read once per request, and only if a process pod needs it. */
  const podPoint = (pod: KubeObject, now: number, table: () => ProcEntry[]): PodUsagePoint | undefined => {
    const containers: PodUsagePoint['containers'] = [];
    let windowMs = resolution;
    const target = agentOf(pod.spec?.nodeName)?.streamTarget(pod);
    if (target?.runtime.name === 'process') {
      for (const c of target.ps.containers) {
        const pid = c.state === 'running' && c.startedAt !== undefined ? target.runtime.pid?.(c) : undefined;
        if (pid === undefined || c.ephemeral || (c.init && !c.sidecar)) continue;
        const id = `${pod.metadata.uid}/${c.name}/${c.startedAt}`;
        const u = processTreeUsage(pid, table());
        const rate = sampler.sample(id, c.startedAt!, now, u.cpuSeconds);
        if (!rate) continue;
        windowMs = Math.min(windowMs, rate.windowMs);
        containers.push({ name: c.name, cpuNanoCores: rate.cores * 1e9, memoryBytes: u.rssBytes });
      }
    } else {
      for (const c of runningContainers(pod)) {
        const age = now - c.startedAt;
        if (age < MIN_WINDOW_MS) continue;
        const w = Math.min(resolution, age);
        const { cpu } = simulatedSchedules(pod, c.name);
        const t = now - c.startedAt;
        // The rate between two cumulative readings a window apart, as metrics-server computes it.
        const cores = (integral(cpu, t) - integral(cpu, t - w)) / w;
        windowMs = Math.min(windowMs, w);
        containers.push({ name: c.name, cpuNanoCores: cores * 1e9, memoryBytes: simulatedUsage(pod, c.name, c.startedAt, now).memoryBytes });
      }
    }
    return containers.length ? { timestamp: now, windowMs, containers } : undefined;
  };

  const points = (pods: KubeObject[], now: number) => {
    let table: ProcEntry[] | undefined;
    sampler.prune(now);
    return pods.map((p) => podPoint(p, now, () => (table ??= processTable())));
  };

  return {
    pods: (pods) => points(pods, clock.now()),
    nodes(nodes, podsOn) {
      const now = clock.now();
      return nodes.map((node): NodeUsagePoint | undefined => {
        // Only a node a kubelet of this process runs is scraped.
        if (!agentOf(node.metadata.name)) return undefined;
        const running = podsOn(node.metadata.name!).filter((p) => p.status?.phase === 'Running');
        let cpu = 0;
        let mem = 0;
        for (const pt of points(running, now)) {
          for (const c of pt?.containers ?? []) { cpu += c.cpuNanoCores; mem += c.memoryBytes; }
        }
        return { timestamp: now, windowMs: resolution, cpuNanoCores: cpu, memoryBytes: mem };
      });
    },
  };
}
