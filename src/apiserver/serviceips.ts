// Service cluster IPs and node ports, allocated at create as kube-apiserver
// does (its ipallocator and portallocator): a ClusterIP, NodePort or
// LoadBalancer Service gets spec.clusterIP/clusterIPs from the service range,
// and NodePort/LoadBalancer ports get a nodePort from 30000–32767. A Service
// that names its own clusterIP or nodePort keeps it if it is free; "None"
// makes a headless Service. Updates keep what was allocated.
import ipaddr from 'ipaddr.js';
import type { KubeObject, ResourceType } from '../api/types.js';
import type { Admission, Operation, Registry } from './registry.js';
import { StatusError } from './status.js';

/** kube-apiserver's default --service-cluster-ip-range. */
export const SERVICE_CIDR = '10.96.0.0/12';
/** The default/kubernetes Service's address: the range's first. */
export const KUBERNETES_SERVICE_IP = '10.96.0.1';
const NODE_PORTS: [number, number] = [30000, 32767];

const invalid = (svc: KubeObject, field: string, value: unknown, detail: string) => new StatusError(422, 'Invalid',
  `Service "${svc.metadata.name}" is invalid: ${field}: Invalid value: ${JSON.stringify(value)}: ${detail}`,
  { kind: 'Service', name: svc.metadata.name, causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${detail}`, field }] });

export function serviceAllocation(): Admission {
  const [net, bits] = ipaddr.parseCIDR(SERVICE_CIDR);
  const base = ipaddr.IPv4.parse(net.toString()).toByteArray().reduce((a, b) => a * 256 + b, 0);
  const size = 2 ** (32 - bits);
  const toIp = (n: number) => [24, 16, 8, 0].map((s) => (Math.floor(n / 2 ** s) & 255)).join('.');
  const inRange = (ip: string) => ipaddr.isValid(ip) && ipaddr.parse(ip).kind() === 'ipv4' && ipaddr.parse(ip).match(net, bits);
  /** Handed out but maybe not stored yet: two creates in one turn must not get the same address. */
  const pendingIps = new Set<string>();
  const pendingPorts = new Set<number>();

  const inUse = async (reg: Registry, rt: ResourceType) => {
    const ips = new Set(pendingIps), ports = new Set(pendingPorts);
    for (const s of (await reg.list(rt, undefined, {})).items) {
      for (const ip of s.spec?.clusterIPs ?? [s.spec?.clusterIP]) if (ip) ips.add(ip);
      for (const p of s.spec?.ports ?? []) if (p?.nodePort) ports.add(p.nodePort);
    }
    return { ips, ports };
  };
  const hold = <T>(set: Set<T>, v: T) => { set.add(v); setTimeout(() => set.delete(v), 10_000).unref(); };

  return {
    name: 'ServiceIPAllocation',
    async admit(op: Operation, rt: ResourceType, obj: KubeObject, old: KubeObject | undefined, ctx) {
      if (rt.group !== '' || rt.plural !== 'services' || ctx.subresource || op === 'DELETE') return;
      const spec = obj.spec;
      if (!spec || typeof spec !== 'object') return;
      if (op === 'UPDATE' && old) {
        // What was allocated stays, even when the new body leaves it out (a PUT of the original manifest).
        if (!spec.clusterIP && old.spec?.clusterIP) { spec.clusterIP = old.spec.clusterIP; spec.clusterIPs ??= old.spec.clusterIPs; }
        for (const p of spec.ports ?? []) {
          const was = (old.spec?.ports ?? []).find((q: any) => q.port === p?.port && (q.protocol ?? 'TCP') === (p?.protocol ?? 'TCP'));
          if (p && !p.nodePort && was?.nodePort && spec.type !== 'ClusterIP') p.nodePort = was.nodePort;
        }
        return;
      }
      const wantsNodePorts = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
      const needsIp = spec.type !== 'ExternalName' && spec.clusterIP !== 'None';
      if (!needsIp && !wantsNodePorts) {
        if (spec.clusterIP === 'None') spec.clusterIPs ??= ['None'];
        return;
      }
      const used = await inUse(ctx.registry, rt);
      if (needsIp) {
        if (spec.clusterIP) {
          if (!inRange(spec.clusterIP)) throw invalid(obj, 'spec.clusterIPs', spec.clusterIP, `provided IP is not in the valid range. The range of valid IPs is ${SERVICE_CIDR}`);
          if (used.ips.has(spec.clusterIP)) throw invalid(obj, 'spec.clusterIPs', spec.clusterIP, 'failed to allocate IP: provided IP is already allocated');
        } else {
          // A random free address, as the real allocator picks (never the network address, .0.1 is the kubernetes Service's).
          let n = 0;
          for (let tries = 0; tries < size; tries++) {
            const cand = 2 + Math.floor(Math.random() * (size - 3));
            if (!used.ips.has(toIp(base + cand))) { n = cand; break; }
          }
          if (!n) throw new StatusError(500, 'InternalError', `Internal error occurred: failed to allocate a serviceIP: range is full`);
          spec.clusterIP = toIp(base + n);
        }
        spec.clusterIPs = [spec.clusterIP];
        if (!ctx.dryRun) hold(pendingIps, spec.clusterIP);
      }
      if (wantsNodePorts) {
        for (const [i, p] of (spec.ports ?? []).entries()) {
          if (!p || typeof p !== 'object') continue;
          if (p.nodePort) {
            if (p.nodePort < NODE_PORTS[0] || p.nodePort > NODE_PORTS[1]) throw invalid(obj, `spec.ports[${i}].nodePort`, p.nodePort, `provided port is not in the valid range. The range of valid ports is ${NODE_PORTS[0]}-${NODE_PORTS[1]}`);
            if (used.ports.has(p.nodePort)) throw invalid(obj, `spec.ports[${i}].nodePort`, p.nodePort, 'provided port is already allocated');
          } else {
            const span = NODE_PORTS[1] - NODE_PORTS[0] + 1;
            const start = Math.floor(Math.random() * span);
            for (let k = 0; k < span && !p.nodePort; k++) {
              const cand = NODE_PORTS[0] + ((start + k) % span);
              if (!used.ports.has(cand)) p.nodePort = cand;
            }
          }
          used.ports.add(p.nodePort);
          if (!ctx.dryRun) hold(pendingPorts, p.nodePort);
        }
      }
    },
  };
}
