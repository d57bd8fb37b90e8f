// Whether NetworkPolicies let a connection into or out of a pod (docs/services.md), as a
// NetworkPolicy-enforcing CNI decides: a pod selected by no policy of a direction is open in that
// direction; once some policy of its namespace selects it for that direction (policyTypes, or
// Ingress plus Egress when it has egress rules), only what some rule of those policies allows
// gets through (the union); an empty rule list is default deny. A peer is an ipBlock (cidr minus
// except) or pods chosen by podSelector/namespaceSelector; ports match by number, named port of
// the destination pod, endPort range, and protocol.
import type { KubeObject } from './types.js';
import { selectorFromLabelSelector } from './selectors.js';

export interface Peer {
  /** An address outside the cluster, or the pod's. */
  ip: string;
  /** The pod behind the address, with its namespace's labels, when it is one. */
  pod?: KubeObject;
  namespaceLabels?: Record<string, string>;
}

export interface PolicyVerdict {
  allowed: boolean;
  /** namespace/name of the policies that select the pod for this direction. */
  policies: string[];
  reason: string;
}

function ipv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const p = m.slice(1).map(Number);
  return p.some((x) => x > 255) ? undefined : ((p[0] << 24) >>> 0) + (p[1] << 16) + (p[2] << 8) + p[3];
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = String(cidr).split('/');
  const a = ipv4(ip);
  const b = ipv4(base);
  const n = Number(bits);
  if (a === undefined || b === undefined || !Number.isInteger(n) || n < 0 || n > 32) return false;
  const mask = n === 0 ? 0 : (~0 << (32 - n)) >>> 0;
  return ((a & mask) >>> 0) === ((b & mask) >>> 0);
}

export function policyTypes(np: KubeObject): string[] {
  const t = np.spec?.policyTypes;
  if (Array.isArray(t) && t.length) return t;
  return np.spec?.egress?.length ? ['Ingress', 'Egress'] : ['Ingress'];
}

function peerMatches(peer: any, other: Peer, policyNs: string): boolean {
  if (peer.ipBlock) return inCidr(other.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c: string) => inCidr(other.ip, c));
  // Pod peers: only pods match (an address on the internet never does).
  if (!other.pod) return false;
  if (peer.namespaceSelector) {
    if (!selectorFromLabelSelector(peer.namespaceSelector).matches(other.namespaceLabels ?? {})) return false;
  } else if (other.pod.metadata.namespace !== policyNs) return false;
  return !peer.podSelector || selectorFromLabelSelector(peer.podSelector).matches(other.pod.metadata.labels ?? {});
}

function portMatches(ports: any[] | undefined, port: number, protocol: string, dest: KubeObject | undefined): boolean {
  if (!ports?.length) return true;
  return ports.some((p) => {
    if ((p.protocol ?? 'TCP') !== protocol) return false;
    if (p.port === undefined) return true;
    if (typeof p.port === 'number' || /^\d+$/.test(String(p.port))) {
      const lo = Number(p.port);
      return p.endPort ? port >= lo && port <= p.endPort : port === lo;
    }
    // A named port is the destination pod's container port of that name.
    return (dest?.spec?.containers ?? []).some((c: any) => (c.ports ?? []).some((cp: any) => cp.name === p.port && cp.containerPort === port && (cp.protocol ?? 'TCP') === protocol));
  });
}

/**
 * Ingress: may `other` connect to `pod` on port/protocol? Egress: may `pod` connect to `other`?
 * `policies` are the NetworkPolicies of the pod's namespace.
 */
export function evaluatePolicies(direction: 'Ingress' | 'Egress', pod: KubeObject, other: Peer, port: number, protocol: string, policies: KubeObject[]): PolicyVerdict {
  const ns = pod.metadata.namespace ?? 'default';
  const selecting = policies.filter((np) => (np.metadata.namespace ?? 'default') === ns && policyTypes(np).includes(direction)
    && selectorFromLabelSelector(np.spec?.podSelector ?? {}).matches(pod.metadata.labels ?? {}));
  const names = selecting.map((np) => `${ns}/${np.metadata.name}`);
  const peer = other.pod ? `pod ${other.pod.metadata.namespace}/${other.pod.metadata.name} (${other.ip})` : other.ip;
  const what = direction === 'Ingress' ? `from ${peer} to port ${port}/${protocol}` : `to ${peer} port ${port}/${protocol}`;
  if (!selecting.length) return { allowed: true, policies: [], reason: `no NetworkPolicy selects the pod for ${direction}` };
  const dest = direction === 'Ingress' ? pod : other.pod;
  for (const np of selecting) {
    for (const rule of (direction === 'Ingress' ? np.spec?.ingress : np.spec?.egress) ?? []) {
      const peers = (direction === 'Ingress' ? rule.from : rule.to) ?? [];
      if ((!peers.length || peers.some((p: any) => peerMatches(p, other, ns))) && portMatches(rule.ports, port, protocol, dest)) {
        return { allowed: true, policies: names, reason: `NetworkPolicy ${ns}/${np.metadata.name} allows ${direction.toLowerCase()} ${what}` };
      }
    }
  }
  return { allowed: false, policies: names, reason: `NetworkPolicy ${names.join(', ')} selects the pod and allows no ${direction.toLowerCase()} ${what}` };
}
