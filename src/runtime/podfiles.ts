// The files the kubelet and the container runtime write for every pod and
// bind into each container: /etc/hosts (the kubelet's managed hosts file,
// pkg/kubelet/kubelet_pods.go), /etc/resolv.conf (the kubelet's DNS
// configurer, pkg/kubelet/network/dns, written in containerd's format) and
// /etc/hostname, with the hostname rules of GeneratePodHostNameAndDomain.
// docs/process-runtime.md, "Hostname, /etc/hosts and /etc/resolv.conf".
import fs from 'node:fs';
import type { KubeObject } from '../api/types.js';

export const CLUSTER_DOMAIN = 'cluster.local';
/** The cluster DNS Service address kubeadm gives kube-dns (the 10th address of 10.96.0.0/12). */
export const CLUSTER_DNS = '10.96.0.10';

/** Kubelet's limits (pkg/apis/core/validation: MaxDNSNameservers, MaxDNSSearchPaths). */
const MAX_NAMESERVERS = 3;
const MAX_SEARCHES = 32;

/** Pod name (or spec.hostname), cut to 63 characters with no trailing '-' or '.', as truncatePodHostnameIfNeeded. */
export function podHostname(pod: KubeObject): { hostname: string; domain: string } {
  let hostname = String(pod.spec?.hostname || pod.metadata.name || '');
  if (hostname.length > 63) hostname = hostname.slice(0, 63).replace(/[-.]+$/, '');
  const sub = pod.spec?.subdomain;
  const domain = sub ? `${sub}.${pod.metadata.namespace}.svc.${CLUSTER_DOMAIN}` : '';
  // setHostnameAsFQDN: the kernel hostname is the FQDN (64 characters at most, which validation checks).
  if (pod.spec?.setHostnameAsFQDN === true && domain) return { hostname: `${hostname}.${domain}`, domain };
  return { hostname, domain };
}

/** The kubelet's managed hosts file: the boilerplate, the pod's IPs with its names, then the HostAliases. */
export function hostsFile(pod: KubeObject, ips: string[], nodeHosts = '/etc/hosts'): string {
  const aliases = (Array.isArray(pod.spec?.hostAliases) ? pod.spec.hostAliases : [])
    .filter((a: any) => a && typeof a.ip === 'string')
    .map((a: any) => `${a.ip}\t${(Array.isArray(a.hostnames) ? a.hostnames : []).join('\t')}\n`);
  const tail = aliases.length ? `\n# Entries added by HostAliases.\n${aliases.join('')}` : '';
  // A hostNetwork pod gets the node's own file (plus its aliases).
  if (pod.spec?.hostNetwork === true) {
    let own = '';
    try { own = fs.readFileSync(nodeHosts, 'utf8'); } catch { /* none */ }
    return own + tail;
  }
  const { hostname, domain } = podHostname(pod);
  const base = pod.spec?.setHostnameAsFQDN === true && domain ? hostname.slice(0, hostname.length - domain.length - 1) : hostname;
  let out = '# Kubernetes-managed hosts file.\n'
    + '127.0.0.1\tlocalhost\n'
    + '::1\tlocalhost ip6-localhost ip6-loopback\n'
    + 'fe00::0\tip6-localnet\n'
    + 'fe00::0\tip6-mcastprefix\n'
    + 'fe00::1\tip6-allnodes\n'
    + 'fe00::2\tip6-allrouters\n';
  for (const ip of ips) out += domain ? `${ip}\t${base}.${domain}\t${base}\n` : `${ip}\t${base}\n`;
  return out + tail;
}

export interface HostDns {
  nameservers: string[];
  searches: string[];
  options: string[];
}

/** The node's resolv.conf (kubelet --resolv-conf), as the kubelet parses it. */
export function readHostDns(file = '/etc/resolv.conf'): HostDns {
  const out: HostDns = { nameservers: [], searches: [], options: [] };
  let text = '';
  try { text = fs.readFileSync(file, 'utf8'); } catch { return out; }
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const f = line.split(/\s+/);
    if (f[0] === 'nameserver' && f[1]) out.nameservers.push(f[1]);
    // The last search (or domain) line wins, as in the resolver.
    else if (f[0] === 'search' || f[0] === 'domain') out.searches = f.slice(1).filter((s) => s !== '.' && s !== '');
    else if (f[0] === 'options') out.options.push(...f.slice(1));
  }
  return out;
}

const dedupe = (xs: string[]) => [...new Set(xs)];

/** Options merge by name, later ones replacing earlier ones (the kubelet's mergeDNSOptions). */
function mergeOptions(base: string[], extra: { name?: string; value?: string }[]): string[] {
  const m = new Map<string, string>();
  for (const o of base) { const [k, ...v] = o.split(':'); m.set(k, v.length ? `${k}:${v.join(':')}` : k); }
  for (const o of extra) { if (!o?.name) continue; m.set(o.name, o.value !== undefined && o.value !== null ? `${o.name}:${o.value}` : o.name); }
  return [...m.values()];
}

/**
 * The pod's DNS settings per dnsPolicy (ClusterFirst, ClusterFirstWithHostNet,
 * Default, None) and dnsConfig, as the kubelet's GetPodDNS computes them.
 * `nameserver` stands for the kubelet's --cluster-dns: the address process pods
 * reach the cluster DNS at (docs/dns.md), not the kube-dns ClusterIP.
 */
export function podDns(pod: KubeObject, host: HostDns = readHostDns(), nameserver = CLUSTER_DNS): HostDns {
  const spec = pod.spec ?? {};
  let policy = spec.dnsPolicy ?? 'ClusterFirst';
  // ClusterFirst on the host's network falls back to Default; ClusterFirstWithHostNet keeps cluster DNS.
  if (policy === 'ClusterFirst' && spec.hostNetwork === true) policy = 'Default';
  if (policy === 'ClusterFirstWithHostNet') policy = 'ClusterFirst';
  let dns: HostDns;
  if (policy === 'None') dns = { nameservers: [], searches: [], options: [] };
  else if (policy === 'Default') dns = { nameservers: [...host.nameservers], searches: [...host.searches], options: [...host.options] };
  else {
    const ns = pod.metadata.namespace;
    dns = { nameservers: [nameserver], searches: [`${ns}.svc.${CLUSTER_DOMAIN}`, `svc.${CLUSTER_DOMAIN}`, CLUSTER_DOMAIN, ...host.searches], options: ['ndots:5'] };
  }
  const cfg = spec.dnsConfig ?? {};
  dns.nameservers = dedupe([...dns.nameservers, ...(Array.isArray(cfg.nameservers) ? cfg.nameservers.map(String) : [])]).slice(0, MAX_NAMESERVERS);
  dns.searches = dedupe([...dns.searches, ...(Array.isArray(cfg.searches) ? cfg.searches.map(String) : [])]).slice(0, MAX_SEARCHES);
  dns.options = mergeOptions(dns.options, Array.isArray(cfg.options) ? cfg.options : []);
  return dns;
}

/** resolv.conf in containerd's layout (parseDNSOptions): search, nameserver lines, options. */
export function resolvConf(dns: HostDns): string {
  let out = '';
  if (dns.searches.length) out += `search ${dns.searches.join(' ')}\n`;
  if (dns.nameservers.length) out += `nameserver ${dns.nameservers.join('\nnameserver ')}\n`;
  if (dns.options.length) out += `options ${dns.options.join(' ')}\n`;
  return out;
}
