// GET /cloud/v1/egress?cluster=&namespace=&pod= — how a pod reaches the
// internet (docs/tencent/egress.md): an EIP bound to its ENI wins; otherwise the route table
// of its subnet must send 0.0.0.0/0 to a NAT gateway. The answer says why
// there is no path when there is none, so `nodeless net egress` can print it.
import { MissingParameter, ResourceNotFound } from '../errors.js';
import type { Cloud } from '../cloud.js';
import { q, type RouteDef } from './params.js';

export interface EgressView {
  pod: { cluster: string; namespace: string; name: string; ip: string; eniId: string; subnetId: string };
  routeTableId: string;
  /** 'eip', 'nat', or 'none' when the pod cannot reach the internet. */
  via: 'eip' | 'nat' | 'none';
  route?: { destinationCidr: string; nextHopType: string; nextHopId: string };
  nat?: { id: string; publicIps: string[]; bandwidthMbps: number };
  eip?: { id: string; address: string };
  /** One line: the path, or why there is none. */
  summary: string;
}

export function podEgress(cloud: Cloud, cluster: string, namespace: string, pod: string): EgressView {
  const eni = cloud.findEniByPod({ cluster, namespace, pod });
  if (!eni) throw new ResourceNotFound('pod ENI', `${cluster}/${namespace}/${pod}`);
  const subnet = cloud.subnets.get(eni.subnetId);
  const head = `pod IP ${eni.primaryIp} (${eni.id}, ${subnet.id})`;
  const base = {
    pod: { cluster, namespace, name: pod, ip: eni.primaryIp, eniId: eni.id, subnetId: subnet.id },
    routeTableId: subnet.routeTableId,
  };
  const eip = cloud.eips.findByEni(eni.id);
  if (eip) {
    return { ...base, via: 'eip', eip: { id: eip.id, address: eip.address }, summary: `${head} → EIP ${eip.id} ${eip.address}` };
  }
  const path = cloud.routeTables.egress(subnet.id);
  const route = path.route && { destinationCidr: path.route.destinationCidr, nextHopType: path.route.nextHopType, nextHopId: path.route.nextHopId };
  if (path.nat) {
    const ips = path.nat.eipIds.map((id) => { try { return cloud.eips.get(id).address; } catch { return id; } });
    return {
      ...base, via: 'nat', route,
      nat: { id: path.nat.id, publicIps: ips, bandwidthMbps: path.nat.bandwidthMbps },
      summary: `${head} → route table ${subnet.routeTableId} ${route!.destinationCidr} → NAT ${path.nat.id} → public IP ${ips.join(', ') || '(none)'}`,
    };
  }
  const why = route
    ? `route ${route.destinationCidr} in route table ${subnet.routeTableId} goes to ${route.nextHopType} ${route.nextHopId}, not to a NAT gateway`
    : `no route 0.0.0.0/0 in route table ${subnet.routeTableId} associated with subnet ${subnet.id}`;
  return { ...base, via: 'none', route, summary: `${why}: the pod cannot reach the internet; add a NAT gateway route or bind an EIP` };
}

export const egressRoutes: RouteDef[] = [
  {
    method: 'GET', path: '/egress',
    handle: ({ cloud, query }) => {
      const namespace = q(query, 'namespace') ?? 'default';
      const pod = q(query, 'pod');
      if (!pod) throw new MissingParameter('pod');
      return podEgress(cloud, q(query, 'cluster') ?? 'default', namespace, pod);
    },
  },
];
