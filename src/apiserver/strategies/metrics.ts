// metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics, served as metrics-server's
// REST storage serves them (pkg/api/node.go, pod.go; docs/metrics-api.md):
// computed on each read from the nodes and pods in the store and the usage a
// ResourceMetricsSource reports for them (the pod runtime: src/runtime/metricsserver.ts),
// never stored. A pod that is not Running, or for which there are no metrics
// yet, is left out of a list; a get of it is metrics-server's NotFound.
import type { KubeObject } from '../../api/types.js';
import { formatGoDuration, formatRFC3339 } from '../../api/duration.js';
import { formatQuantity } from '../../api/quantity.js';
import { errors, StatusError } from '../status.js';
import { ResourceStrategy, type StoreAccess } from './strategy.js';
import type { ResourceMetricsSource } from './metrics-source.js';

/** The groupResource metrics-server's NotFound names (metrics.Resource("podmetrics")). */
const NOT_FOUND = {
  pods: { group: 'metrics.k8s.io', plural: 'podmetrics' },
  nodes: { group: 'metrics.k8s.io', plural: 'nodemetrics' },
};

/** A lister's NotFound (client-go listers: v1.Resource("pod")), what metrics-server returns as is. */
const listerNotFound = (resource: 'pod' | 'node', name: string) => new StatusError(404, 'NotFound', `${resource} "${name}" not found`, { name, kind: resource });

/** CPU as metrics-server writes it: nanocores, canonical (300000000n prints as 300m). */
const cpuQuantity = (nano: number) => formatQuantity({ nano: BigInt(Math.max(0, Math.round(nano))), format: 'DecimalSI' });
/** Memory: bytes, canonical BinarySI (4485120 prints as 4380Ki). */
const memoryQuantity = (b: number) => formatQuantity({ nano: BigInt(Math.max(0, Math.round(b))) * 1_000_000_000n, format: 'BinarySI' });

const byNamespaceAndName = (a: KubeObject, b: KubeObject) => {
  const ka = `${a.metadata.namespace ?? ''}\u0000${a.metadata.name}`;
  const kb = `${b.metadata.namespace ?? ''}\u0000${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

abstract class MetricsStrategy extends ResourceStrategy {
  protected source(store: StoreAccess): ResourceMetricsSource {
    // No runtime behind the cluster (an API-only start): metrics-server would have nothing to scrape.
    return store.metricsSource ?? { pods: (ps) => ps.map(() => undefined), nodes: (ns) => ns.map(() => undefined) };
  }

  protected coreType(store: StoreAccess, plural: 'pods' | 'nodes') {
    return store.catalog.lookup('', 'v1', plural)!;
  }
}

export class PodMetricsStrategy extends MetricsStrategy {
  private render(pods: KubeObject[], store: StoreAccess): KubeObject[] {
    // Only Running pods have metrics (metrics-server's getPodMetrics); ordered by namespace and name as the API orders pods.
    const running = pods.filter((p) => p.status?.phase === 'Running').sort(byNamespaceAndName);
    const points = this.source(store).pods(running);
    const now = formatRFC3339(Date.now());
    const out: KubeObject[] = [];
    running.forEach((pod, i) => {
      const pt = points[i];
      if (!pt || !pt.containers.length) return;
      out.push({
        kind: 'PodMetrics', apiVersion: 'metrics.k8s.io/v1beta1',
        metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, creationTimestamp: now, ...(pod.metadata.labels ? { labels: pod.metadata.labels } : {}) },
        timestamp: formatRFC3339(pt.timestamp), window: formatGoDuration(pt.windowMs),
        containers: pt.containers.map((c) => ({ name: c.name, usage: { cpu: cpuQuantity(c.cpuNanoCores), memory: memoryQuantity(c.memoryBytes) } })),
      });
    });
    return out;
  }

  override async restList(namespace: string | undefined, store: StoreAccess): Promise<KubeObject[]> {
    return this.render((await store.list(this.coreType(store, 'pods'), namespace)).items, store);
  }

  override async restGet(namespace: string | undefined, name: string, store: StoreAccess): Promise<KubeObject> {
    const pod = await store.get(this.coreType(store, 'pods'), namespace, name).catch((e) => {
      throw e instanceof StatusError && e.code === 404 ? listerNotFound('pod', name) : e;
    });
    const [m] = this.render([pod], store);
    if (!m) throw errors.notFound(NOT_FOUND.pods, `${namespace}/${name}`);
    return m;
  }
}

export class NodeMetricsStrategy extends MetricsStrategy {
  private async render(nodes: KubeObject[], store: StoreAccess): Promise<KubeObject[]> {
    const pods = (await store.list(this.coreType(store, 'pods'), undefined)).items;
    const byNode = new Map<string, KubeObject[]>();
    for (const p of pods) {
      const n = p.spec?.nodeName;
      if (typeof n === 'string' && n) (byNode.get(n) ?? byNode.set(n, []).get(n)!).push(p);
    }
    const sorted = [...nodes].sort(byNamespaceAndName);
    const points = this.source(store).nodes(sorted, (n) => byNode.get(n) ?? []);
    const now = formatRFC3339(Date.now());
    const out: KubeObject[] = [];
    sorted.forEach((node, i) => {
      const pt = points[i];
      if (!pt) return;
      out.push({
        kind: 'NodeMetrics', apiVersion: 'metrics.k8s.io/v1beta1',
        metadata: { name: node.metadata.name, creationTimestamp: now, ...(node.metadata.labels ? { labels: node.metadata.labels } : {}) },
        timestamp: formatRFC3339(pt.timestamp), window: formatGoDuration(pt.windowMs),
        usage: { cpu: cpuQuantity(pt.cpuNanoCores), memory: memoryQuantity(pt.memoryBytes) },
      });
    });
    return out;
  }

  override async restList(_namespace: string | undefined, store: StoreAccess): Promise<KubeObject[]> {
    return this.render((await store.list(this.coreType(store, 'nodes'), undefined)).items, store);
  }

  override async restGet(_namespace: string | undefined, name: string, store: StoreAccess): Promise<KubeObject> {
    const node = await store.get(this.coreType(store, 'nodes'), undefined, name).catch((e) => {
      throw e instanceof StatusError && e.code === 404 ? listerNotFound('node', name) : e;
    });
    const [m] = await this.render([node], store);
    if (!m) throw errors.notFound(NOT_FOUND.nodes, name);
    return m;
  }
}
