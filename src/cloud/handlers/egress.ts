// GET /cloud/v1/egress?cluster=&namespace=&pod= — how a pod reaches the
// internet (docs/tencent/egress.md): an EIP bound to its ENI wins; otherwise the route table
// of its subnet must send 0.0.0.0/0 to a NAT gateway. The answer says why
// there is no path when there is none, so `nodeless net egress` can print it.
import { InvalidParameterValue, MissingParameter, ResourceNotFound } from '../errors.js';
import type { Cloud } from '../cloud.js';
import { carriesTraffic } from '../models/eip.js';
import { q, type RouteDef } from './params.js';

export interface EgressView {
  pod: { cluster: string; namespace: string; name: string; ip: string; eniId: string; subnetId: string };
  routeTableId: string;
  /** 'eip', 'nat', or 'none' when the pod cannot reach the internet. */
  via: 'eip' | 'nat' | 'none';
  route?: { destinationCidr: string; nextHopType: string; nextHopId: string };
  nat?: { id: string; publicIps: string[]; bandwidthMbps: number };
  eip?: { id: string; address: string };
  /**
   * Connections the pod opens to the internet, each with the public address it leaves from. A NAT
   * gateway with several EIPs picks one per flow at random (which EIP a connection uses cannot be
   * chosen: docs/alibaba/nat-bandwidth.md), so two flows of one pod may leave from different addresses.
   */
  flows: EgressFlow[];
  /** One line: the path, or why there is none. */
  summary: string;
}

export interface EgressFlow {
  protocol: 'tcp';
  /** The pod's address and an ephemeral port (Linux's default range, 32768-60999). */
  source: string;
  publicIp: string;
}

/** Most flows one question may ask for. */
const MAX_FLOWS = 1000;

export function podEgress(cloud: Cloud, cluster: string, namespace: string, pod: string, flowCount = 1): EgressView {
  const eni = cloud.findEniByPod({ cluster, namespace, pod });
  if (!eni) throw new ResourceNotFound('pod ENI', `${cluster}/${namespace}/${pod}`);
  const subnet = cloud.subnets.get(eni.subnetId);
  const head = `pod IP ${eni.primaryIp} (${eni.id}, ${subnet.id})`;
  const base = {
    pod: { cluster, namespace, name: pod, ip: eni.primaryIp, eniId: eni.id, subnetId: subnet.id },
    routeTableId: subnet.routeTableId,
  };
  const flows = (publicIps: string[]): EgressFlow[] => Array.from({ length: publicIps.length ? flowCount : 0 }, () => ({
    protocol: 'tcp' as const,
    source: `${eni.primaryIp}:${32768 + Math.floor(cloud.random() * (60999 - 32768 + 1))}`,
    publicIp: publicIps.length === 1 ? publicIps[0] : publicIps[Math.floor(cloud.random() * publicIps.length)],
  }));
  // An EIP whose association has not completed yet carries nothing: the pod still leaves by the subnet's route.
  const eip = cloud.eips.findByEni(eni.id);
  if (eip && carriesTraffic(eip)) {
    return { ...base, via: 'eip', eip: { id: eip.id, address: eip.address }, flows: flows([eip.address]), summary: `${head} → EIP ${eip.id} ${eip.address}` };
  }
  const path = cloud.routeTables.egress(subnet.id);
  const route = path.route && { destinationCidr: path.route.destinationCidr, nextHopType: path.route.nextHopType, nextHopId: path.route.nextHopId };
  if (path.nat) {
    const ips = path.nat.eipIds.map((id) => { try { return cloud.eips.get(id).address; } catch { return id; } });
    return {
      ...base, via: 'nat', route,
      nat: { id: path.nat.id, publicIps: ips, bandwidthMbps: path.nat.bandwidthMbps },
      flows: flows(ips),
      summary: `${head} → route table ${subnet.routeTableId} ${route!.destinationCidr} → NAT ${path.nat.id} → public IP ${ips.join(', ') || '(none)'}${ips.length > 1 ? ' (one per flow, at random)' : ''}`,
    };
  }
  const why = route
    ? `route ${route.destinationCidr} in route table ${subnet.routeTableId} goes to ${route.nextHopType} ${route.nextHopId}, not to a NAT gateway`
    : `no route 0.0.0.0/0 in route table ${subnet.routeTableId} associated with subnet ${subnet.id}`;
  return { ...base, via: 'none', route, flows: [], summary: `${why}: the pod cannot reach the internet; add a NAT gateway route or bind an EIP` };
}

export const egressRoutes: RouteDef[] = [
  {
    method: 'GET', path: '/egress',
    handle: ({ cloud, query }) => {
      const namespace = q(query, 'namespace') ?? 'default';
      const pod = q(query, 'pod');
      if (!pod) throw new MissingParameter('pod');
      const f = q(query, 'flows') ?? '1';
      if (!/^\d+$/.test(f) || Number(f) < 1 || Number(f) > MAX_FLOWS) throw new InvalidParameterValue(`flows ${JSON.stringify(f)} must be an integer from 1 to ${MAX_FLOWS}`);
      return podEgress(cloud, q(query, 'cluster') ?? 'default', namespace, pod, Number(f));
    },
  },
];
