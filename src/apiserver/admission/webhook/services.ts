// A webhook behind a Service, reached as kube-apiserver reaches it: its
// ClusterIP service resolver names the Service's cluster IP and port, and
// kube-proxy forwards that to a ready endpoint's target port. nodeless has no
// kube-proxy: a ready endpoint whose pod serves the port on this machine (a
// process-runtime pod: the pod proxy's mapping, PodBackends.proxyTarget) is
// dialled directly; with none, the dial fails as a ClusterIP without a
// reachable endpoint does (connection refused).
import type { KubeObject } from '../../../api/types.js';
import type { Registry } from '../../registry.js';
import type { ProxyTarget } from '../../proxy.js';
import type { ServiceResolver } from './client.js';

export type PodPortTarget = (pod: KubeObject, port: number) => ProxyTarget | undefined;

export function serviceResolver(registry: Registry, podTarget: () => PodPortTarget | undefined): ServiceResolver {
  const rt = (plural: string) => registry.catalog.lookup('', 'v1', plural)!;
  return async (namespace, name, port) => {
    const svc = await registry.tryGet(rt('services'), namespace, name);
    // The resolver reads a lister: its NotFound names the resource in the singular.
    if (!svc) return { error: `service "${name}" not found` };
    if (svc.spec?.type === 'ExternalName' && typeof svc.spec.externalName === 'string') return { host: svc.spec.externalName, port };
    const clusterIP = svc.spec?.clusterIP;
    if (clusterIP === 'None') return { error: 'cannot route to service with ClusterIP None' };
    const sp = (Array.isArray(svc.spec?.ports) ? svc.spec.ports : []).find((p: any) => p?.port === port);
    if (!sp) return { error: `no service port ${port} found for service "${name}"` };
    const eps = await registry.tryGet(rt('endpoints'), namespace, name);
    const target = podTarget();
    for (const ss of Array.isArray(eps?.subsets) ? eps!.subsets : []) {
      for (const p of Array.isArray(ss?.ports) ? ss.ports : []) {
        if ((p?.name ?? '') !== (sp.name ?? '')) continue;
        for (const addr of Array.isArray(ss.addresses) ? ss.addresses : []) {
          const ref = addr?.targetRef;
          if (ref?.kind !== 'Pod' || !ref.name || !target) continue;
          const pod = await registry.tryGet(rt('pods'), ref.namespace ?? namespace, ref.name);
          const t = pod && target(pod, Number(p.port));
          if (t) return { host: t.host, port: t.port };
        }
      }
    }
    return { error: `dial tcp ${clusterIP}:${port}: connect: connection refused` };
  };
}
