// The HPA's replica calculation for resource metrics, as kube-controller-manager's
// podautoscaler/replica_calculator.go and metrics/utilization.go do it
// (docs/autoscaling.md, "The replica count"): usage per pod from metrics.k8s.io,
// the pods grouped into ready, unready, missing and ignored, the usage ratio with
// a 10% tolerance, and the conservative second pass when some pods are unready
// or have no metrics. Pure functions over the pods, their metrics and now.
import type { KubeObject } from '../../api/types.js';
import { parseQuantity, quantityMilli } from '../../api/quantity.js';

/** One pod's usage as the metrics client returns it: milli-units (MilliValue), with the window it covers. */
export interface PodMetric {
  value: number;
  timestamp: number;
  windowMs: number;
}

export type PodMetrics = Map<string, PodMetric>;

/** What the calculator needs beyond its inputs (the controller's flags). */
export interface CalcOptions {
  /** --horizontal-pod-autoscaler-tolerance: 0.1. */
  tolerance: number;
  /** --horizontal-pod-autoscaler-cpu-initialization-period: 5m. */
  cpuInitializationPeriodMs: number;
  /** --horizontal-pod-autoscaler-initial-readiness-delay: 30s. */
  initialReadinessDelayMs: number;
  now: number;
}

export const DEFAULT_CALC = { tolerance: 0.1, cpuInitializationPeriodMs: 5 * 60_000, initialReadinessDelayMs: 30_000 };

const milli = (v: unknown): number | undefined => {
  const q = parseQuantity(v);
  return q ? Number(quantityMilli(q)) : undefined;
};

const time = (s: unknown) => (typeof s === 'string' && s ? Date.parse(s) : NaN);

/**
 * The resource metrics client (metrics/client.go GetResourceMetric): each
 * PodMetrics' containers summed (or the one container asked for); a pod missing
 * the resource in any container it reports has no metric.
 */
export function podMetricsOf(items: KubeObject[], resource: string, container?: string): PodMetrics {
  const out: PodMetrics = new Map();
  for (const m of items) {
    const containers: any[] = Array.isArray(m.containers) ? m.containers : [];
    let sum = 0;
    let missing = containers.length === 0;
    let found = false;
    for (const c of containers) {
      if (container && c?.name !== container) continue;
      const v = milli(c?.usage?.[resource]);
      if (v === undefined) { missing = true; break; }
      sum += v;
      found = true;
    }
    if (container && !found) missing = true;
    if (!missing) out.set(m.metadata.name!, { value: sum, timestamp: time(m.timestamp), windowMs: goDurationMs(m.window) });
  }
  return out;
}

/** A metrics.k8s.io window ("15s", "1m0s", "10.5s") in ms. */
function goDurationMs(v: unknown): number {
  let ms = 0;
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g;
  for (let m = re.exec(String(v ?? '')); m; m = re.exec(String(v ?? ''))) {
    const n = Number(m[1]);
    ms += m[2] === 'h' ? n * 3_600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : m[2] === 'ms' ? n : n / (m[2] === 'ns' ? 1e6 : 1e3);
  }
  return ms;
}

/**
 * calculatePodRequests: the pods' requests of the resource in milli-units, over
 * their app containers and sidecars (restartable init containers), or the one
 * container asked for. A container without the request is an error.
 */
export function podRequests(pods: KubeObject[], resource: string, container?: string): Map<string, number> | string {
  const out = new Map<string, number>();
  for (const pod of pods) {
    const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter((c: any) => c?.restartPolicy === 'Always')];
    let sum = 0;
    for (const c of containers) {
      if (container && c?.name !== container) continue;
      const r = milli(c?.resources?.requests?.[resource]);
      if (r === undefined) return `missing request for ${resource} in container ${c?.name} of Pod ${pod.metadata.name}`;
      sum += r;
    }
    out.set(pod.metadata.name!, sum);
  }
  return out;
}

/** groupPods: ready count, and the unready, missing and ignored pods' names. */
export function groupPods(pods: KubeObject[], metrics: PodMetrics, resource: string, o: CalcOptions) {
  let ready = 0;
  const unready = new Set<string>();
  const missing = new Set<string>();
  const ignored = new Set<string>();
  for (const pod of pods) {
    const name = pod.metadata.name!;
    // Deleted, failed and pending pods do not count.
    if (pod.metadata.deletionTimestamp || pod.status?.phase === 'Failed' || pod.status?.phase === 'Pending') { ignored.add(name); continue; }
    const metric = metrics.get(name);
    if (!metric) { missing.add(name); continue; }
    if (resource === 'cpu') {
      const cond = (pod.status?.conditions ?? []).find((c: any) => c?.type === 'Ready');
      const start = time(pod.status?.startTime);
      let isUnready: boolean;
      if (!cond || Number.isNaN(start)) isUnready = true;
      else if (start + o.cpuInitializationPeriodMs > o.now) {
        // Within the initialization period: unready, or its metric's window began before it became ready.
        isUnready = cond.status === 'False' || metric.timestamp < time(cond.lastTransitionTime) + metric.windowMs;
      } else {
        // After it: unready only if it has never been ready.
        isUnready = cond.status === 'False' && start + o.initialReadinessDelayMs > time(cond.lastTransitionTime);
      }
      if (isUnready) { unready.add(name); continue; }
    }
    ready++;
  }
  return { ready, unready, missing, ignored };
}

/** GetResourceUtilizationRatio: the ratio to the target, the utilization (%) and the average usage (milli). */
export function utilizationRatio(metrics: PodMetrics, requests: Map<string, number>, target: number): { ratio: number; utilization: number; raw: number } | string {
  let total = 0;
  let requested = 0;
  let n = 0;
  for (const [name, m] of metrics) {
    const r = requests.get(name);
    if (r === undefined) continue;
    total += m.value;
    requested += r;
    n++;
  }
  if (requested === 0) return 'no metrics returned matched known pods';
  const utilization = Math.trunc((total * 100) / requested);
  return { ratio: utilization / target, utilization, raw: Math.trunc(total / n) };
}

export interface Proposal {
  replicas: number;
  /** The average usage (milli); with a utilization target, also the utilization (%). */
  raw: number;
  utilization?: number;
  timestamp: number;
}

const latest = (metrics: PodMetrics) => {
  let t = 0;
  for (const m of metrics.values()) t = Math.max(t, m.timestamp);
  return t;
};

/**
 * The second pass when pods are missing metrics or unready (scale-up only for unready):
 * missing pods count as using `missingValue(name)` when the first ratio says scale down,
 * nothing when it says scale up; unready pods nothing. A result crossing 1 the other way,
 * or within tolerance, keeps the current count.
 */
function conservative(metrics: PodMetrics, current: number, ratio: number, missing: Set<string>, unready: Set<string>, scaleUpWithUnready: boolean,
  missingValue: (name: string) => number, newRatio: (m: PodMetrics) => number | string, tolerance: number): number | string {
  const m: PodMetrics = new Map(metrics);
  if (missing.size > 0) {
    if (ratio < 1) for (const n of missing) m.set(n, { value: missingValue(n), timestamp: 0, windowMs: 0 });
    else if (ratio > 1) for (const n of missing) m.set(n, { value: 0, timestamp: 0, windowMs: 0 });
  }
  if (scaleUpWithUnready) for (const n of unready) m.set(n, { value: 0, timestamp: 0, windowMs: 0 });
  const nr = newRatio(m);
  if (typeof nr === 'string') return nr;
  if (Math.abs(1 - nr) <= tolerance || (ratio < 1 && nr > 1) || (ratio > 1 && nr < 1)) return current;
  const next = Math.ceil(nr * m.size);
  if ((nr < 1 && next > current) || (nr > 1 && next < current)) return current;
  return next;
}

const NO_PODS = 'no pods returned by selector while calculating replica count';
const NO_METRICS = 'did not receive metrics for targeted pods (pods might be unready)';

/** GetResourceReplicas: a Utilization target (percent of the pods' requests). */
export function resourceReplicas(current: number, target: number, resource: string, pods: KubeObject[], metrics: PodMetrics, o: CalcOptions, container?: string): Proposal | string {
  if (!pods.length) return NO_PODS;
  const g = groupPods(pods, metrics, resource, o);
  const m: PodMetrics = new Map(metrics);
  for (const n of [...g.ignored, ...g.unready]) m.delete(n);
  if (!m.size) return NO_METRICS;
  const requests = podRequests(pods, resource, container);
  if (typeof requests === 'string') return requests;
  const u = utilizationRatio(m, requests, target);
  if (typeof u === 'string') return u;
  const timestamp = latest(metrics);
  const scaleUpWithUnready = g.unready.size > 0 && u.ratio > 1;
  const base = { raw: u.raw, utilization: u.utilization, timestamp };
  if (!scaleUpWithUnready && g.missing.size === 0) {
    if (Math.abs(1 - u.ratio) <= o.tolerance) return { replicas: current, ...base };
    return { replicas: Math.ceil(u.ratio * g.ready), ...base };
  }
  // A missing pod counts at its request (100%), or at the target when that is higher.
  const fallback = Math.max(100, target);
  const r = conservative(m, current, u.ratio, g.missing, g.unready, scaleUpWithUnready, (n) => Math.trunc(((requests.get(n) ?? 0) * fallback) / 100), (mm) => {
    const x = utilizationRatio(mm, requests, target);
    return typeof x === 'string' ? x : x.ratio;
  }, o.tolerance);
  return typeof r === 'string' ? r : { replicas: r, ...base };
}

/** GetRawResourceReplicas: an AverageValue target (milli-units per pod). */
export function rawResourceReplicas(current: number, targetMilli: number, resource: string, pods: KubeObject[], metrics: PodMetrics, o: CalcOptions): Proposal | string {
  if (!pods.length) return NO_PODS;
  const g = groupPods(pods, metrics, resource, o);
  const m: PodMetrics = new Map(metrics);
  for (const n of [...g.ignored, ...g.unready]) m.delete(n);
  if (!m.size) return NO_METRICS;
  // GetMetricUsageRatio: the average (integer division) over the target.
  const usage = (mm: PodMetrics) => {
    let t = 0;
    for (const x of mm.values()) t += x.value;
    return Math.trunc(t / mm.size);
  };
  const avg = usage(m);
  const ratio = avg / targetMilli;
  const base = { raw: avg, timestamp: latest(metrics) };
  const scaleUpWithUnready = g.unready.size > 0 && ratio > 1;
  if (!scaleUpWithUnready && g.missing.size === 0) {
    if (Math.abs(1 - ratio) <= o.tolerance) return { replicas: current, ...base };
    return { replicas: Math.ceil(ratio * g.ready), ...base };
  }
  const r = conservative(m, current, ratio, g.missing, g.unready, scaleUpWithUnready, () => targetMilli, (mm) => usage(mm) / targetMilli, o.tolerance);
  return typeof r === 'string' ? r : { replicas: r, ...base };
}
