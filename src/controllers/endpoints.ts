// The endpoints controller: for every Service with a selector, an Endpoints
// object of the same name listing the selected pods' IPs (ready ones under
// addresses, others under notReadyAddresses) and the target ports they serve.
import type { KubeObject } from '../api/types.js';
import { refs } from '../client/types.js';
import { selectorFromSet } from '../api/selectors.js';
import { type Informer } from '../client/cache/informer.js';
import { WorkQueue } from '../client/workqueue/queue.js';
import { ControllerContext, ignoreNotFound, ignoreStale, isAlreadyExists, splitKey } from './util/context.js';
import { isPodReady, nowIso } from './util/pods.js';
import { deepEqual } from './util/hash.js';

/** A Service port's targetPort on one pod: a number, or a named container port looked up in the pod. */
export function targetPort(svcPort: any, pod: KubeObject): number | undefined {
  const t = svcPort.targetPort ?? svcPort.port;
  if (typeof t === 'number') return t;
  if (/^\d+$/.test(String(t))) return Number(t);
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) if (p.name === t && (p.protocol ?? 'TCP') === (svcPort.protocol ?? 'TCP')) return p.containerPort;
  }
  return undefined;
}

/** The subsets of Endpoints for a service and its pods, grouped by the ports each pod serves. */
export function endpointSubsets(svc: KubeObject, pods: KubeObject[]): any[] {
  const groups = new Map<string, { ports: any[]; addresses: any[]; notReadyAddresses: any[] }>();
  const publishNotReady = !!svc.spec?.publishNotReadyAddresses;
  for (const pod of pods) {
    const ip = pod.status?.podIP;
    if (!ip || pod.metadata.deletionTimestamp || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
    const ports: any[] = [];
    for (const sp of svc.spec?.ports ?? []) {
      const port = targetPort(sp, pod);
      if (port === undefined) continue;
      ports.push({ ...(sp.name ? { name: sp.name } : {}), port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
    }
    if ((svc.spec?.ports ?? []).length && !ports.length) continue;
    const key = JSON.stringify(ports);
    const g = groups.get(key) ?? groups.set(key, { ports, addresses: [], notReadyAddresses: [] }).get(key)!;
    const addr: any = { ip, ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}), targetRef: { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid } };
    if (pod.spec?.hostname && pod.spec?.subdomain === svc.metadata.name) addr.hostname = pod.spec.hostname;
    (isPodReady(pod) || publishNotReady ? g.addresses : g.notReadyAddresses).push(addr);
  }
  const byIp = (a: any, b: any) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0);
  return [...groups.values()].map((g) => ({
    ...(g.addresses.length ? { addresses: g.addresses.sort(byIp) } : {}),
    ...(g.notReadyAddresses.length ? { notReadyAddresses: g.notReadyAddresses.sort(byIp) } : {}),
    ...(g.ports.length ? { ports: g.ports } : {}),
  }));
}

export class EndpointsController {
  private queue = new WorkQueue({ restAfterSlowSync: true, name: 'endpoints-controller' });
  private svcInf: Informer;
  private podInf: Informer;
  private epInf: Informer;

  constructor(private ctx: ControllerContext) {
    this.svcInf = ctx.informer(refs.services);
    this.podInf = ctx.informer(refs.pods);
    this.epInf = ctx.informer(refs.endpoints);
    queueServicesOnChange(this.svcInf, this.podInf, (key) => this.queue.add(key));
  }

  async run(): Promise<void> {
    await Promise.all([this.svcInf.hasSynced(), this.podInf.hasSynced(), this.epInf.hasSynced()]);
    this.queue.run((k) => this.sync(k), 2);
  }

  stop(): void { this.queue.stop(); }

  private async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const svc = this.svcInf.get(ns, name);
    const ep = this.epInf.get(ns, name);
    if (!svc) {
      // The service is gone: so are its endpoints (they carry no ownerReference for the GC).
      if (ep) await ignoreNotFound(this.ctx.client.delete(refs.endpoints, ns, name));
      return;
    }
    const sel = svc.spec?.selector;
    if (!sel || !Object.keys(sel).length) return; // selector-less services have user-managed endpoints
    const matcher = selectorFromSet(sel);
    const pods = this.podInf.list(ns ?? '').filter((p) => matcher.matches(p.metadata.labels));
    const subsets = endpointSubsets(svc, pods);
    const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
    if (svc.spec?.clusterIP === 'None') labels['service.kubernetes.io/headless'] = '';
    if (ep && deepEqual(ep.subsets ?? [], subsets) && deepEqual(ep.metadata.labels ?? {}, labels)) return;
    const body: KubeObject = {
      apiVersion: 'v1', kind: 'Endpoints',
      metadata: {
        ...(ep ? ep.metadata : { name, namespace: ns }),
        labels,
        annotations: { ...(ep?.metadata.annotations ?? {}), 'endpoints.kubernetes.io/last-change-trigger-time': nowIso() },
      },
      ...(subsets.length ? { subsets } : {}),
    };
    if (!subsets.length) delete body.subsets;
    if (ep) await ignoreStale(this.ctx.client.update(refs.endpoints, body));
    else {
      try {
        await this.ctx.client.create(refs.endpoints, body);
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
      }
    }
  }
}

/**
 * What the Endpoints and EndpointSlice controllers both react to: a Service's own changes, and a change
 * of any pod its selector matches (before and after a relabel), each as the Service's key.
 */
export function queueServicesOnChange(svcInf: Informer, podInf: Informer, add: (key: string) => void): void {
  const onSvc = (s: KubeObject) => add(`${s.metadata.namespace}/${s.metadata.name}`);
  svcInf.on({ add: onSvc, update: (_o, s) => onSvc(s), delete: onSvc });
  const onPod = (p: KubeObject) => {
    for (const s of svcInf.list(p.metadata.namespace)) {
      if (s.spec?.selector && Object.keys(s.spec.selector).length && selectorFromSet(s.spec.selector).matches(p.metadata.labels)) onSvc(s);
    }
  };
  podInf.on({
    add: onPod, delete: onPod,
    update: (o, p) => {
      onPod(p);
      if (!deepEqual(o.metadata.labels, p.metadata.labels)) onPod(o);
    },
  });
}
