// The API server's own metrics, under kube-apiserver's names and labels
// (k8s.io/apiserver pkg/endpoints/metrics and pkg/storage/etcd3/metrics, v1.32),
// registered with prom-client and served at /metrics (server.ts). One set per
// cluster, as each cluster is its own API server; the process_* and nodejs_*
// metrics are the process's, shared. docs/observability.md lists them all.
import client from 'prom-client';
import { StoreError, type Store } from '../store/types.js';

/** kube-apiserver's request latency buckets (apiserver_request_duration_seconds, etcd_request_duration_seconds). */
const LATENCY_BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];
/** Subresources whose requests are CONNECT, and long-running (BasicLongRunningRequestCheck). */
const CONNECT_SUBRESOURCES = new Set(['log', 'exec', 'portforward', 'attach', 'proxy']);
/** The verbs kube-apiserver reports; any other method is "other". */
const VERBS = new Set(['APPLY', 'CONNECT', 'CREATE', 'DELETE', 'DELETECOLLECTION', 'GET', 'LIST', 'PATCH', 'POST', 'PROXY', 'PUT', 'UPDATE', 'WATCH', 'WATCHLIST']);

/** What a resource request is, as RequestInfo and the metrics' labels see it. */
export interface RequestFacts {
  method: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  namespace?: string;
  name?: string;
  /** The request asks to watch (?watch read as a boolean). */
  watch: boolean;
  contentType?: string;
  /** Every dryRun value of the query. */
  dryRun: string[];
}

export interface RequestLabels {
  verb: string;
  dry_run: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  scope: string;
  component: string;
}

/**
 * The labels kube-apiserver gives a request: the verb as its metrics report it (LIST for a GET of
 * a collection, WATCH, APPLY for an apply patch, CONNECT for log/exec/proxy…), the scope (resource
 * for a named object or a create, namespace, cluster), the dry run (cleanDryRun: "", "All" or "invalid").
 */
export function requestLabels(f: RequestFacts): RequestLabels {
  const scope = f.name || f.method === 'POST' ? 'resource' : f.namespace ? 'namespace' : 'cluster';
  let verb = f.method.toUpperCase();
  if (verb === 'GET' || verb === 'HEAD') verb = scope === 'resource' ? 'GET' : 'LIST';
  if ((f.method === 'GET' || f.method === 'HEAD') && f.watch) verb = 'WATCH';
  if (verb === 'PATCH' && f.contentType === 'application/apply-patch+yaml') verb = 'APPLY';
  if (CONNECT_SUBRESOURCES.has(f.subresource)) verb = 'CONNECT';
  if (!VERBS.has(verb)) verb = 'other';
  const dry_run = f.dryRun.length === 0 ? '' : f.dryRun.some((d) => d !== 'All') ? 'invalid' : 'All';
  return { verb, dry_run, group: f.group, version: f.version, resource: f.resource, subresource: f.subresource, scope, component: 'apiserver' };
}

/** Whether kube-apiserver counts the request as long-running: watches and CONNECT subresources. */
const isLongRunning = (l: RequestLabels) => l.verb === 'WATCH' || CONNECT_SUBRESOURCES.has(l.subresource);

type Kind = 'readOnly' | 'mutating';

/** `pods`, `deployments.apps`: a GroupResource as its String() prints it (apiserver_storage_objects, etcd_* type). */
export const groupResource = (group: string, resource: string) => (group ? `${resource}.${group}` : resource);

export class ApiMetrics {
  readonly registry = new client.Registry();
  private readonly requests;
  private readonly duration;
  private readonly responseSizes;
  private readonly longRunning;
  private readonly inflight;
  private readonly watchEvents;
  private readonly watchEventSizes;
  private readonly etcdDuration;
  private readonly etcdRequests;
  private readonly etcdErrors;
  /** Requests being served now, and the most seen in this second and the last (the watermark kube-apiserver reports). */
  private readonly current: Record<Kind, number> = { readOnly: 0, mutating: 0 };
  private window = { second: 0, max: { readOnly: 0, mutating: 0 } as Record<Kind, number> };
  private lastSecond: Record<Kind, number> = { readOnly: 0, mutating: 0 };

  /** `counts` gives the number of stored objects per resource (apiserver_storage_objects), read at each scrape. */
  constructor(counts?: () => Promise<Map<string, number>>) {
    const registers = [this.registry];
    const requestLabelNames = ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component'] as const;
    this.requests = new client.Counter({
      name: 'apiserver_request_total', registers, labelNames: [...requestLabelNames, 'code'],
      help: 'Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.',
    });
    this.duration = new client.Histogram({
      name: 'apiserver_request_duration_seconds', registers, labelNames: requestLabelNames, buckets: LATENCY_BUCKETS,
      help: 'Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.',
    });
    this.responseSizes = new client.Histogram({
      name: 'apiserver_response_sizes', registers, labelNames: ['verb', 'group', 'version', 'resource', 'subresource', 'scope', 'component'],
      buckets: client.exponentialBuckets(1000, 10, 7),
      help: 'Response size distribution in bytes for each group, version, verb, resource, subresource, scope and component.',
    });
    this.longRunning = new client.Gauge({
      name: 'apiserver_longrunning_requests', registers, labelNames: ['verb', 'group', 'version', 'resource', 'subresource', 'scope', 'component'],
      help: 'Gauge of all active long-running apiserver requests broken out by verb, group, version, resource, scope and component. Not all requests are tracked this way.',
    });
    const self = this;
    this.inflight = new client.Gauge({
      name: 'apiserver_current_inflight_requests', registers, labelNames: ['request_kind'],
      help: 'Maximal number of currently used inflight request limit of this apiserver per request kind in last second.',
      collect() {
        self.advance();
        for (const k of ['readOnly', 'mutating'] as const) this.set({ request_kind: k }, Math.max(self.lastSecond[k], self.window.max[k]));
      },
    });
    this.watchEvents = new client.Counter({
      name: 'apiserver_watch_events_total', registers, labelNames: ['group', 'version', 'kind'],
      help: 'Number of events sent in watch clients',
    });
    this.watchEventSizes = new client.Histogram({
      name: 'apiserver_watch_events_sizes', registers, labelNames: ['group', 'version', 'kind'], buckets: client.exponentialBuckets(1024, 2, 8),
      help: 'Watch event size distribution in bytes',
    });
    new client.Gauge({
      name: 'apiserver_storage_objects', registers, labelNames: ['resource'],
      help: 'Number of stored objects at the time of last check split by kind.',
      async collect() {
        if (!counts) return;
        this.reset();
        try {
          for (const [resource, n] of await counts()) this.set({ resource }, n);
        } catch {
          // kube-apiserver reports -1 when the count fails; with no resource known, report nothing.
        }
      },
    });
    const etcdLabels = ['operation', 'type'] as const;
    this.etcdDuration = new client.Histogram({
      name: 'etcd_request_duration_seconds', registers, labelNames: etcdLabels, buckets: LATENCY_BUCKETS,
      help: 'Etcd request latency in seconds for each operation and object type.',
    });
    this.etcdRequests = new client.Counter({ name: 'etcd_requests_total', registers, labelNames: etcdLabels, help: 'Etcd request counts for each operation and object type.' });
    this.etcdErrors = new client.Counter({ name: 'etcd_request_errors_total', registers, labelNames: etcdLabels, help: 'Etcd failed request counts for each operation and object type.' });
  }

  /** Moves the in-flight watermark to this second. */
  private advance(): void {
    const second = Math.floor(Date.now() / 1000);
    if (second === this.window.second) return;
    this.lastSecond = second === this.window.second + 1 ? this.window.max : { ...this.current };
    this.window = { second, max: { ...this.current } };
  }

  private enter(kind: Kind, by: number): void {
    this.advance();
    this.current[kind] += by;
    if (this.current[kind] > this.window.max[kind]) this.window.max[kind] = this.current[kind];
  }

  /**
   * A resource request begins; call the returned function once it has ended with its HTTP code and
   * the bytes of its body. Long-running requests (watches, logs, proxies) count in
   * apiserver_longrunning_requests instead of the in-flight gauge, and in the totals when they end.
   */
  begin(f: RequestFacts): (code: number, bytes: number) => void {
    const labels = requestLabels(f);
    const started = performance.now();
    const long = isLongRunning(labels);
    const { dry_run: _dry, ...gaugeLabels } = labels;
    const kind: Kind = ['GET', 'LIST', 'WATCH'].includes(labels.verb) ? 'readOnly' : 'mutating';
    if (long) this.longRunning.inc(gaugeLabels);
    else this.enter(kind, 1);
    let ended = false;
    return (code, bytes) => {
      if (ended) return;
      ended = true;
      if (long) this.longRunning.dec(gaugeLabels);
      else this.enter(kind, -1);
      this.requests.inc({ ...labels, code: String(code) });
      this.duration.observe(labels, (performance.now() - started) / 1000);
      if (labels.verb === 'GET' || labels.verb === 'LIST') this.responseSizes.observe(gaugeLabels, bytes);
    };
  }

  /** One event sent to a watcher. */
  watchEvent(group: string, version: string, kind: string, bytes: number): void {
    this.watchEvents.inc({ group, version, kind });
    this.watchEventSizes.observe({ group, version, kind }, bytes);
  }

  /**
   * `store` with each read and write timed into etcd_request_duration_seconds, etcd_requests_total
   * and etcd_request_errors_total, by operation (get, list, listWithCount, create, update, delete)
   * and type (the GroupResource of the key, `/<cluster>/<group|core>/<plural>/…`). A missing key or a
   * failed precondition is an answer, not an error: only other failures count as errors.
   */
  instrumentStore(store: Store): Store {
    const ops: Record<string, string> = { get: 'get', list: 'list', count: 'listWithCount', create: 'create', update: 'update', delete: 'delete' };
    return new Proxy(store, {
      get: (target, prop) => {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        const operation = typeof prop === 'string' ? ops[prop] : undefined;
        if (!operation) return value.bind(target);
        return (key: string, ...rest: unknown[]) => {
          const t0 = performance.now();
          const labels = { operation, type: typeOfKey(key) };
          const done = (failed: boolean) => {
            this.etcdDuration.observe(labels, (performance.now() - t0) / 1000);
            this.etcdRequests.inc(labels);
            if (failed) this.etcdErrors.inc(labels);
          };
          return (value as (...a: unknown[]) => Promise<unknown>).call(target, key, ...rest).then(
            (v) => { done(false); return v; },
            (e) => { done(!(e instanceof StoreError)); throw e; },
          );
        };
      },
    });
  }
}

/** The GroupResource a store key belongs to: `/<cluster>/<group|core>/<plural>/…`. */
function typeOfKey(key: string): string {
  const [, , group, plural] = key.split('/');
  if (!group || !plural) return '';
  return groupResource(group === 'core' ? '' : group, plural);
}

let shared: client.Registry | undefined;

/** The process's own metrics (process_*, nodejs_*), collected once for all clusters. */
function processRegistry(): client.Registry {
  if (!shared) {
    shared = new client.Registry();
    client.collectDefaultMetrics({ register: shared });
  }
  return shared;
}

/** The Prometheus text exposition of a cluster's metrics and the process's. */
export async function scrape(m: ApiMetrics): Promise<{ contentType: string; text: string }> {
  const text = (await m.registry.metrics()) + (await processRegistry().metrics());
  return { contentType: m.registry.contentType, text };
}
