// Service cluster IPs and node ports, allocated at create as kube-apiserver
// does (its ipallocator and portallocator, called from the Service storage's
// BeginCreate and BeginUpdate: see strategies/core.ts): a ClusterIP, NodePort
// or LoadBalancer Service gets spec.clusterIP/clusterIPs from the service
// range, and NodePort/LoadBalancer ports get a nodePort from 30000–32767. A
// Service that names its own clusterIP or nodePort keeps it if it is free;
// "None" makes a headless Service. Updates keep what was allocated.
import ipaddr from 'ipaddr.js';
import type { KubeObject } from '../api/types.js';
import { StatusError } from './status.js';

/** kube-apiserver's default --service-cluster-ip-range. */
export const SERVICE_CIDR = '10.96.0.0/12';
/** The default/kubernetes Service's address: the range's first. */
export const KUBERNETES_SERVICE_IP = '10.96.0.1';
const NODE_PORTS: [number, number] = [30000, 32767];

const invalid = (svc: KubeObject, field: string, value: unknown, detail: string) => new StatusError(422, 'Invalid',
  `Service "${svc.metadata.name}" is invalid: ${field}: Invalid value: ${JSON.stringify(value)}: ${detail}`,
  { kind: 'Service', name: svc.metadata.name, causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${detail}`, field }] });

/**
 * One cluster's allocations. What is in the store is taken; what a create is
 * about to store is held until it is stored or refused, so two creates in one
 * turn never get the same address.
 */
export class ServiceIPAllocator {
  private readonly net: ReturnType<typeof ipaddr.parseCIDR>[0];
  private readonly bits: number;
  private readonly base: number;
  private readonly size: number;
  private readonly pendingIps = new Set<string>();
  private readonly pendingPorts = new Set<number>();

  constructor(cidr = SERVICE_CIDR) {
    [this.net, this.bits] = ipaddr.parseCIDR(cidr);
    this.base = ipaddr.IPv4.parse(this.net.toString()).toByteArray().reduce((a, b) => a * 256 + b, 0);
    this.size = 2 ** (32 - this.bits);
  }

  private toIp(n: number): string {
    return [24, 16, 8, 0].map((s) => (Math.floor(n / 2 ** s) & 255)).join('.');
  }

  private inRange(ip: string): boolean {
    return ipaddr.isValid(ip) && ipaddr.parse(ip).kind() === 'ipv4' && ipaddr.parse(ip).match(this.net, this.bits);
  }

  private inUse(stored: KubeObject[]) {
    const ips = new Set(this.pendingIps), ports = new Set(this.pendingPorts);
    for (const s of stored) {
      for (const ip of s.spec?.clusterIPs ?? [s.spec?.clusterIP]) if (ip) ips.add(ip);
      for (const p of s.spec?.ports ?? []) if (p?.nodePort) ports.add(p.nodePort);
    }
    return { ips, ports };
  }

  /**
   * Fills in spec.clusterIP(s) and nodePorts of a new Service (or refuses the ones it names).
   * `stored` lists the Services stored now; the returned function gives back what was held.
   */
  async allocate(svc: KubeObject, stored: () => Promise<KubeObject[]>): Promise<(stored: boolean) => void> {
    const held: { ips: string[]; ports: number[] } = { ips: [], ports: [] };
    const release = () => {
      for (const ip of held.ips) this.pendingIps.delete(ip);
      for (const p of held.ports) this.pendingPorts.delete(p);
    };
    const spec = svc.spec;
    if (!spec || typeof spec !== 'object') return release;
    const wantsNodePorts = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
    const needsIp = spec.type !== 'ExternalName' && spec.clusterIP !== 'None';
    if (!needsIp && !wantsNodePorts) {
      if (spec.clusterIP === 'None') spec.clusterIPs ??= ['None'];
      return release;
    }
    const used = this.inUse(await stored());
    try {
      if (needsIp) {
        if (spec.clusterIP) {
          if (!this.inRange(spec.clusterIP)) throw invalid(svc, 'spec.clusterIPs', spec.clusterIP, `provided IP is not in the valid range. The range of valid IPs is ${SERVICE_CIDR}`);
          if (used.ips.has(spec.clusterIP)) throw invalid(svc, 'spec.clusterIPs', spec.clusterIP, 'failed to allocate IP: provided IP is already allocated');
        } else {
          // A random free address, as the real allocator picks (never the network address, .0.1 is the kubernetes Service's).
          let n = 0;
          for (let tries = 0; tries < this.size; tries++) {
            const cand = 2 + Math.floor(Math.random() * (this.size - 3));
            if (!used.ips.has(this.toIp(this.base + cand))) { n = cand; break; }
          }
          if (!n) throw new StatusError(500, 'InternalError', `Internal error occurred: failed to allocate a serviceIP: range is full`);
          spec.clusterIP = this.toIp(this.base + n);
        }
        spec.clusterIPs = [spec.clusterIP];
        this.pendingIps.add(spec.clusterIP);
        held.ips.push(spec.clusterIP);
      }
      if (wantsNodePorts) {
        for (const [i, p] of (spec.ports ?? []).entries()) {
          if (!p || typeof p !== 'object') continue;
          if (p.nodePort) {
            if (p.nodePort < NODE_PORTS[0] || p.nodePort > NODE_PORTS[1]) throw invalid(svc, `spec.ports[${i}].nodePort`, p.nodePort, `provided port is not in the valid range. The range of valid ports is ${NODE_PORTS[0]}-${NODE_PORTS[1]}`);
            if (used.ports.has(p.nodePort)) throw invalid(svc, `spec.ports[${i}].nodePort`, p.nodePort, 'provided port is already allocated');
          } else {
            const span = NODE_PORTS[1] - NODE_PORTS[0] + 1;
            const start = Math.floor(Math.random() * span);
            for (let k = 0; k < span && !p.nodePort; k++) {
              const cand = NODE_PORTS[0] + ((start + k) % span);
              if (!used.ports.has(cand)) p.nodePort = cand;
            }
          }
          used.ports.add(p.nodePort);
          this.pendingPorts.add(p.nodePort);
          held.ports.push(p.nodePort);
        }
      }
    } catch (e) {
      release();
      throw e;
    }
    // Stored or not, the store now answers for it (or nothing holds it).
    return release;
  }

  /** An update keeps what was allocated, even when the new body leaves it out (a PUT of the original manifest). */
  keepAllocated(svc: KubeObject, old: KubeObject): void {
    const spec = svc.spec;
    if (!spec || typeof spec !== 'object') return;
    if (!spec.clusterIP && old.spec?.clusterIP) { spec.clusterIP = old.spec.clusterIP; spec.clusterIPs ??= old.spec.clusterIPs; }
    for (const p of spec.ports ?? []) {
      const was = (old.spec?.ports ?? []).find((q: any) => q.port === p?.port && (q.protocol ?? 'TCP') === (p?.protocol ?? 'TCP'));
      if (p && !p.nodePort && was?.nodePort && spec.type !== 'ClusterIP') p.nodePort = was.nodePort;
    }
  }
}
