// Printers of networking.k8s.io: Ingress, IngressClass, NetworkPolicy
// (pkg/printers/internalversion/printers.go: printIngress, printIngressClass,
// printNetworkPolicy). The API server prints with Wide set, so addresses are not clipped.
import { formatLabelSelector } from '../selectors.js';
import { ageColumn, ageOf, col, nameColumn, nameOf, printer } from './common.js';

/** formatHosts: the first three rule hosts, "+ N more..." beyond, "*" when no rule names one. */
function formatHosts(rules: unknown): string {
  const list = Array.isArray(rules) ? rules : [];
  const hosts: string[] = [];
  let more = false;
  for (const r of list) {
    if (hosts.length === 3) more = true;
    if (!more && typeof r?.host === 'string' && r.host) hosts.push(r.host);
  }
  if (hosts.length === 0) return '*';
  return more ? `${hosts.join(',')} + ${list.length - 3} more...` : hosts.join(',');
}

/** ingressLoadBalancerStatusStringer: sorted unique IPs (else hostnames). */
function loadBalancer(status: any): string {
  const out = new Set<string>();
  for (const i of Array.isArray(status?.loadBalancer?.ingress) ? status.loadBalancer.ingress : []) {
    if (i?.ip) out.add(i.ip);
    else if (i?.hostname) out.add(i.hostname);
  }
  return [...out].sort().join(',');
}

export const ingressPrinter = printer(
  [
    nameColumn(),
    col('Class', 'string', 'The name of the IngressClass resource that should be used for additional configuration'),
    col('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
    col('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
    col('Ports', 'string', 'Ports of TLS configurations that open'),
    ageColumn(),
  ],
  (o, now) => [
    nameOf(o), typeof o.spec?.ingressClassName === 'string' ? o.spec.ingressClassName : '<none>', formatHosts(o.spec?.rules),
    loadBalancer(o.status), Array.isArray(o.spec?.tls) && o.spec.tls.length ? '80, 443' : '80', ageOf(o, now),
  ],
);

export const ingressClassPrinter = printer(
  [
    nameColumn(),
    col('Controller', 'string', 'Controller that is responsible for handling this class'),
    col('Parameters', 'string', 'A reference to a resource with additional parameters'),
    ageColumn(),
  ],
  (o, now) => {
    const p = o.spec?.parameters;
    const params = p ? `${p.kind ?? ''}${typeof p.apiGroup === 'string' ? `.${p.apiGroup}` : ''}/${p.name ?? ''}` : '<none>';
    return [nameOf(o), o.spec?.controller ?? '', params, ageOf(o, now)];
  },
);

export const networkPolicyPrinter = printer(
  [
    nameColumn(),
    col('Pod-Selector', 'string', 'Selects the pods to which this NetworkPolicy object applies.  The array of ingress rules is applied to any pods selected by this field. Multiple network policies can select the same set of pods.  In this case, the ingress rules for each are combined additively. This field is NOT optional and follows standard label selector semantics. An empty podSelector matches all pods in this namespace.'),
    ageColumn(),
  ],
  (o, now) => [nameOf(o), formatLabelSelector(o.spec?.podSelector ?? {}), ageOf(o, now)],
);
