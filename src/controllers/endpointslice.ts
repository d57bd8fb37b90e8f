// The EndpointSlice controller, as kube-controller-manager's: for every Service with a selector,
// discovery.k8s.io/v1 slices of the pods it selects (at most 100 endpoints a slice, one set of
// slices per port set and address type), labelled with the service's name and the controller's,
// owned by the Service; a service without endpoints gets one empty "placeholder" slice. Endpoints
// (the v1 kind) stay with endpoints.ts. See docs/services.md.
import type { KubeObject } from '../api/types.js';
import { refs } from '../client/types.js';
import { selectorFromSet } from '../api/selectors.js';
import { type Informer } from '../client/cache/informer.js';
import { WorkQueue } from '../client/workqueue/queue.js';
import { ControllerContext, ignoreNotFound, ignoreStale } from './util/context.js';
import { isPodReady, isTerminal, nowIso } from './util/pods.js';
import { deepEqual } from './util/hash.js';
import { queueServicesOnChange, targetPort } from './endpoints.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'endpointslice-controller.k8s.io';
/** kube-controller-manager's --max-endpoints-per-slice default. */
export const MAX_ENDPOINTS_PER_SLICE = 100;

const isV6 = (ip: string) => ip.includes(':');

/** One endpoint of a pod for a service (kube's podToEndpoint), or undefined when the pod has no address of the family. */
function podEndpoint(svc: KubeObject, pod: KubeObject, family: string, nodes: Informer): any | undefined {
  const ips: string[] = (pod.status?.podIPs ?? []).map((p: any) => p.ip).filter(Boolean);
  if (!ips.length && pod.status?.podIP) ips.push(pod.status.podIP);
  const ip = ips.find((a) => (family === 'IPv6') === isV6(a));
  if (!ip) return undefined;
  const publishNotReady = !!svc.spec?.publishNotReadyAddresses;
  const serving = publishNotReady || isPodReady(pod);
  const terminating = !!pod.metadata.deletionTimestamp;
  // A terminating pod is never "ready" unless the service publishes not-ready addresses (kube's rule).
  const ready = publishNotReady || (serving && !terminating);
  const ep: any = {
    addresses: [ip],
    conditions: { ready, serving, terminating },
    targetRef: { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid },
  };
  const nodeName = pod.spec?.nodeName;
  if (nodeName) {
    ep.nodeName = nodeName;
    const zone = nodes.get(undefined, nodeName)?.metadata.labels?.['topology.kubernetes.io/zone'];
    if (zone) ep.zone = zone;
  }
  if (pod.spec?.hostname && pod.spec?.subdomain === svc.metadata.name && svc.metadata.namespace === pod.metadata.namespace) ep.hostname = pod.spec.hostname;
  return ep;
}

export interface DesiredSlice { addressType: string; ports: any[]; endpoints: any[] }

/** The slices a service should have: endpoints grouped by the ports they serve, sorted, cut at `max`. */
export function desiredSlices(svc: KubeObject, pods: KubeObject[], nodes: Informer, max = MAX_ENDPOINTS_PER_SLICE): DesiredSlice[] {
  const families: string[] = svc.spec?.ipFamilies?.length ? svc.spec.ipFamilies : ['IPv4'];
  const out: DesiredSlice[] = [];
  for (const family of families) {
    const groups = new Map<string, { ports: any[]; endpoints: any[] }>();
    for (const pod of pods) {
      // kube keeps terminating pods (with terminating: true) but never terminal or address-less ones.
      if (isTerminal(pod) || !pod.status?.podIP) continue;
      const ports: any[] = [];
      for (const sp of svc.spec?.ports ?? []) {
        const port = targetPort(sp, pod);
        if (port === undefined) continue;
        ports.push({ name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
      }
      if ((svc.spec?.ports ?? []).length && !ports.length) continue;
      const ep = podEndpoint(svc, pod, family, nodes);
      if (!ep) continue;
      const key = JSON.stringify(ports);
      (groups.get(key) ?? groups.set(key, { ports, endpoints: [] }).get(key)!).endpoints.push(ep);
    }
    for (const g of groups.values()) {
      g.endpoints.sort((a, b) => (a.addresses[0] < b.addresses[0] ? -1 : a.addresses[0] > b.addresses[0] ? 1 : 0));
      for (let i = 0; i < g.endpoints.length; i += max) out.push({ addressType: family, ports: g.ports, endpoints: g.endpoints.slice(i, i + max) });
    }
  }
  // No endpoints at all: one placeholder slice without ports, as kube keeps one so clients see the service.
  if (!out.length) out.push({ addressType: families[0], ports: [], endpoints: [] });
  return out;
}

export class EndpointSliceController {
  private queue = new WorkQueue({ restAfterSlowSync: true, name: 'endpointslice-controller' });
  private svcInf: Informer;
  private podInf: Informer;
  private sliceInf: Informer;
  private nodeInf: Informer;
  /** Slices created but not yet in the cache: a sync waits for them rather than create twice (kube's expectations). */
  private pending = new Map<string, Map<string, number>>();

  constructor(private ctx: ControllerContext, private max = MAX_ENDPOINTS_PER_SLICE) {
    this.svcInf = ctx.informer(refs.services);
    this.podInf = ctx.informer(refs.pods);
    this.sliceInf = ctx.informer(refs.endpointslices);
    this.nodeInf = ctx.informer(refs.nodes);
    queueServicesOnChange(this.svcInf, this.podInf, (key) => this.queue.add(key));
    // A slice changed or removed by someone else is put back as the controller wants it.
    const onSlice = (sl: KubeObject) => {
      const svc = sl.metadata.labels?.[SERVICE_NAME_LABEL];
      if (svc && sl.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY) this.queue.add(`${sl.metadata.namespace}/${svc}`);
    };
    this.sliceInf.on({ add: onSlice, update: (_o, s) => onSlice(s), delete: onSlice });
  }

  async run(): Promise<void> {
    await Promise.all([this.svcInf.hasSynced(), this.podInf.hasSynced(), this.sliceInf.hasSynced(), this.nodeInf.hasSynced()]);
    this.queue.run((k) => this.sync(k), 2);
  }

  stop(): void { this.queue.stop(); }

  private async sync(key: string): Promise<void> {
    const i = key.indexOf('/');
    const ns = key.slice(0, i);
    const name = key.slice(i + 1);
    // The cache lags a create of ours: the slice's add event brings the key back.
    // (Checked against the cache itself: the add event may come before the create's answer.)
    const pending = this.pending.get(key);
    if (pending) {
      for (const [n, at] of pending) if (this.sliceInf.get(ns, n) || Date.now() - at > 60_000) pending.delete(n);
      if (pending.size) return;
      this.pending.delete(key);
    }
    const svc = this.svcInf.get(ns, name);
    const existing = this.sliceInf.list(ns).filter((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === name && s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY)
      .sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
    const sel = svc?.spec?.selector;
    if (!svc || !sel || !Object.keys(sel).length) {
      // Gone, or its endpoints are the user's: the controller's slices go (the GC would too, by owner).
      for (const s of existing) await ignoreNotFound(this.ctx.client.delete(refs.endpointslices, ns, s.metadata.name!));
      return;
    }
    const matcher = selectorFromSet(sel);
    const pods = this.podInf.list(ns).filter((p) => matcher.matches(p.metadata.labels));
    const want = desiredSlices(svc, pods, this.nodeInf, this.max);
    const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}), [SERVICE_NAME_LABEL]: name, [MANAGED_BY_LABEL]: MANAGED_BY };
    if (svc.spec?.clusterIP === 'None') labels['service.kubernetes.io/headless'] = '';
    const owner = { apiVersion: 'v1', kind: 'Service', name, uid: svc.metadata.uid!, controller: true, blockOwnerDeletion: true };
    const free = [...existing];
    const body = (d: DesiredSlice, old?: KubeObject): KubeObject => ({
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: {
        ...(old ? old.metadata : { generateName: `${name.slice(0, 57)}-`, namespace: ns }),
        labels, ownerReferences: [owner],
        annotations: { ...(old?.metadata.annotations ?? {}), 'endpoints.kubernetes.io/last-change-trigger-time': nowIso() },
      },
      addressType: d.addressType,
      endpoints: d.endpoints,
      ...(d.ports.length ? { ports: d.ports } : {}),
    });
    const same = (s: KubeObject, d: DesiredSlice) => s.addressType === d.addressType && deepEqual(s.endpoints ?? [], d.endpoints)
      && deepEqual(s.ports ?? [], d.ports) && deepEqual(s.metadata.labels ?? {}, labels);
    const todo: DesiredSlice[] = [];
    // Slices already right stay untouched (no write, no new resourceVersion).
    for (const d of want) {
      const j = free.findIndex((s) => same(s, d));
      if (j >= 0) free.splice(j, 1);
      else todo.push(d);
    }
    for (const d of todo) {
      const j = free.findIndex((s) => s.addressType === d.addressType);
      const old = j >= 0 ? free.splice(j, 1)[0] : undefined;
      if (old) await ignoreStale(this.ctx.client.update(refs.endpointslices, body(d, old)));
      else {
        const made = await this.ctx.client.create(refs.endpointslices, body(d));
        (this.pending.get(key) ?? this.pending.set(key, new Map()).get(key)!).set(made.metadata.name!, Date.now());
      }
    }
    for (const s of free) await ignoreNotFound(this.ctx.client.delete(refs.endpointslices, ns, s.metadata.name!));
  }
}
