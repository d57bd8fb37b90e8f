// Resource quantities as the scheduler counts them: CPU in millicores, memory
// and storage in bytes, and a pod's effective request (the larger of its
// biggest init container and the sum of its app containers, plus overhead).
import type { KubeObject } from './types.js';

const SUFFIX: Record<string, number> = {
  '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, Pi: 1024 ** 5, Ei: 1024 ** 6,
};

/** A Kubernetes quantity as a plain number (cores, bytes, count); NaN when unparsable. */
export function quantity(q: unknown): number {
  if (typeof q === 'number') return q;
  if (typeof q !== 'string') return NaN;
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/.exec(q.trim());
  if (!m) return NaN;
  const n = Number(m[1] + (m[2] ?? ''));
  return n * (SUFFIX[m[3] ?? ''] ?? 1);
}

/** CPU in millicores, rounded up as Kubernetes' MilliValue() does. */
export const milliCpu = (q: unknown): number => {
  const v = quantity(q);
  return Number.isFinite(v) ? Math.ceil(v * 1000 - 1e-9) : 0;
};

/** Memory / storage in bytes (rounded up). */
export const bytes = (q: unknown): number => {
  const v = quantity(q);
  return Number.isFinite(v) ? Math.ceil(v - 1e-9) : 0;
};

export interface Resources {
  milliCpu: number;
  memory: number;
  ephemeralStorage: number;
  /** Extended resources (nvidia.com/gpu …) as counts. */
  scalar?: Record<string, number>;
}

export const emptyResources = (): Resources => ({ milliCpu: 0, memory: 0, ephemeralStorage: 0 });

function add(into: Resources, req: Record<string, unknown> | undefined): void {
  if (!req) return;
  for (const [k, v] of Object.entries(req)) {
    if (k === 'cpu') into.milliCpu += milliCpu(v);
    else if (k === 'memory') into.memory += bytes(v);
    else if (k === 'ephemeral-storage') into.ephemeralStorage += bytes(v);
    else if (k.includes('/') || k.startsWith('hugepages-')) (into.scalar ??= {})[k] = (into.scalar[k] ?? 0) + quantity(v);
  }
}

function max(into: Resources, o: Resources): void {
  into.milliCpu = Math.max(into.milliCpu, o.milliCpu);
  into.memory = Math.max(into.memory, o.memory);
  into.ephemeralStorage = Math.max(into.ephemeralStorage, o.ephemeralStorage);
  for (const [k, v] of Object.entries(o.scalar ?? {})) (into.scalar ??= {})[k] = Math.max(into.scalar[k] ?? 0, v);
}

/**
 * What the pod asks the node for. Sidecar init containers (restartPolicy Always)
 * keep running, so they count with the app containers.
 */
export function podRequests(pod: KubeObject): Resources {
  // Pods of one workload share a frozen containers array (client/cache/informer.ts): they share the answer too.
  const containers = pod.spec?.containers;
  const plain = !pod.spec?.initContainers && !pod.spec?.overhead && Array.isArray(containers) && Object.isFrozen(containers);
  if (plain) {
    const hit = requestsOf.get(containers);
    if (hit) return hit;
  }
  const total = computeRequests(pod);
  if (plain) requestsOf.set(containers, Object.freeze(total));
  return total;
}

const requestsOf = new WeakMap<object, Resources>();

function computeRequests(pod: KubeObject): Resources {
  const total = emptyResources();
  const sidecars = emptyResources();
  for (const c of pod.spec?.containers ?? []) add(total, c?.resources?.requests);
  const initMax = emptyResources();
  for (const c of pod.spec?.initContainers ?? []) {
    const r = emptyResources();
    add(r, c?.resources?.requests);
    if (c?.restartPolicy === 'Always') {
      add(sidecars, c?.resources?.requests);
      add(total, c?.resources?.requests);
    } else {
      // A regular init container runs next to the sidecars started before it.
      r.milliCpu += sidecars.milliCpu;
      r.memory += sidecars.memory;
      r.ephemeralStorage += sidecars.ephemeralStorage;
      max(initMax, r);
    }
  }
  max(total, initMax);
  add(total, pod.spec?.overhead);
  return total;
}

/**
 * A node's allocatable (falling back to capacity), as numbers. Remembered per
 * allocatable object: informer objects are frozen, and the scheduler asks for
 * every node at every pod (quantity parsing was a tenth of its time).
 */
export function nodeAllocatable(node: KubeObject): Resources & { pods: number } {
  const a = node.status?.allocatable ?? node.status?.capacity ?? {};
  const known = Object.isFrozen(a) ? allocatables.get(a) : undefined;
  if (known) return known;
  const r = emptyResources();
  add(r, a);
  const pods = quantity(a.pods);
  const out = Object.freeze({ ...r, pods: Number.isFinite(pods) ? pods : 110 });
  if (Object.isFrozen(a)) allocatables.set(a, out);
  return out;
}
const allocatables = new WeakMap<object, Resources & { pods: number }>();
