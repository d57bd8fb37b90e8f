// Printers for core/v1 kinds other than Pod: Node, Namespace, Service,
// Endpoints, Event, ConfigMap, Secret and ServiceAccount.
import type { KubeObject } from '../types.js';
import { parseTimestamp, translateTimestampSince } from '../duration.js';
import { formatLabels } from '../selectors.js';
import { ageColumn, ageOf, col, int, nameColumn, nameOf, printer, wide, NAME_DESCRIPTION } from './common.js';

// --- Node

const NODE_ROLE_PREFIX = 'node-role.kubernetes.io/';
const LEGACY_ROLE_LABEL = 'kubernetes.io/role';

/** Roles from `node-role.kubernetes.io/<role>` keys and the legacy `kubernetes.io/role=<role>`, sorted. */
export function nodeRoles(node: KubeObject): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries<string>(node.metadata?.labels ?? {})) {
    if (k.startsWith(NODE_ROLE_PREFIX)) {
      const role = k.slice(NODE_ROLE_PREFIX.length);
      if (role) roles.add(role);
    } else if (k === LEGACY_ROLE_LABEL && v) {
      roles.add(v);
    }
  }
  return [...roles].sort();
}

/** "Ready", "NotReady", "Unknown", plus ",SchedulingDisabled" when cordoned. Only Ready is considered. */
export function nodeStatus(node: KubeObject): string {
  const conds: any[] = node.status?.conditions ?? [];
  // The last Ready condition wins, as in a map keyed by type.
  const ready = conds.filter((c) => c?.type === 'Ready').pop();
  const status = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (node.spec?.unschedulable) status.push('SchedulingDisabled');
  return status.join(',');
}

const nodeAddress = (node: KubeObject, type: string): string =>
  (node.status?.addresses ?? []).find((a: any) => a?.type === type)?.address ?? '<none>';

const addressesDescription = 'List of addresses reachable to the node. Queried from cloud provider, if available. More info: https://kubernetes.io/docs/reference/node/node-status/#addresses';

export const nodePrinter = printer(
  [
    nameColumn(),
    col('Status', 'string', 'The status of the node'),
    col('Roles', 'string', 'The roles of the node'),
    ageColumn(),
    col('Version', 'string', 'Kubelet Version reported by the node.'),
    wide('Internal-IP', 'string', addressesDescription),
    wide('External-IP', 'string', addressesDescription),
    wide('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).'),
    wide('Kernel-Version', 'string', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."),
    wide('Container-Runtime', 'string', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).'),
  ],
  (node, now) => {
    const info = node.status?.nodeInfo ?? {};
    return [
      nameOf(node), nodeStatus(node), nodeRoles(node).join(',') || '<none>', ageOf(node, now), info.kubeletVersion ?? '',
      nodeAddress(node, 'InternalIP'), nodeAddress(node, 'ExternalIP'),
      info.osImage || '<unknown>', info.kernelVersion || '<unknown>', info.containerRuntimeVersion || '<unknown>',
    ];
  },
);

// --- Namespace

export const namespacePrinter = printer(
  [nameColumn(), col('Status', 'string', 'The status of the namespace'), ageColumn()],
  (ns, now) => [nameOf(ns), ns.status?.phase ?? '', ageOf(ns, now)],
);

// --- Service

/** Load balancer ingress IPs (or hostnames), de-duplicated and sorted. */
function loadBalancerAddresses(svc: KubeObject): string {
  const set = new Set<string>();
  for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
    if (ing?.ip) set.add(ing.ip);
    else if (ing?.hostname) set.add(ing.hostname);
  }
  // Server-side tables are always generated "wide", so the address list is never clipped.
  return [...set].sort().join(',');
}

export function serviceExternalIP(svc: KubeObject): string {
  const externalIPs: string[] = svc.spec?.externalIPs ?? [];
  switch (svc.spec?.type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerAddresses(svc);
      if (externalIPs.length) return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return svc.spec?.externalName ?? '';
  }
  return '<unknown>';
}

/** "80/TCP", "80:30080/TCP" (with a node port), comma separated. */
export function servicePorts(svc: KubeObject): string {
  return (svc.spec?.ports ?? [])
    .map((p: any) => {
      const proto = p?.protocol ?? 'TCP';
      return p?.nodePort > 0 ? `${p.port}:${p.nodePort}/${proto}` : `${p?.port}/${proto}`;
    })
    .join(',');
}

export const servicePrinter = printer(
  [
    nameColumn(),
    col('Type', 'string', 'type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer.'),
    col('Cluster-IP', 'string', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
    col('External-IP', 'string', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
    col('Port(s)', 'string', 'The list of ports that are exposed by this service. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies'),
    ageColumn(),
    wide('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.'),
  ],
  (svc, now) => [
    nameOf(svc),
    svc.spec?.type ?? '',
    svc.spec?.clusterIPs?.[0] || svc.spec?.clusterIP || '<none>',
    serviceExternalIP(svc),
    servicePorts(svc) || '<none>',
    ageOf(svc, now),
    formatLabels(svc.spec?.selector),
  ],
);

// --- Endpoints

/** Up to three "ip:port" entries, then "+ N more...". */
export function formatEndpoints(ep: KubeObject): string {
  const subsets: any[] = ep.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const max = 3;
  const list: string[] = [];
  let count = 0;
  const hostPort = (ip: string, port: number) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
  for (const ss of subsets) {
    const addrs: any[] = ss?.addresses ?? [];
    const ports: any[] = ss?.ports ?? [];
    if (ports.length === 0) {
      // Headless services may publish addresses without ports.
      count += addrs.length;
      for (const a of addrs) { if (list.length === max) break; list.push(a?.ip ?? ''); }
      continue;
    }
    for (const p of ports) {
      count += addrs.length;
      for (const a of addrs) { if (list.length === max) break; list.push(hostPort(a?.ip ?? '', p?.port ?? 0)); }
    }
  }
  const s = list.join(',');
  return count > max ? `${s} + ${count - max} more...` : s;
}

export const endpointsPrinter = printer(
  [nameColumn(), col('Endpoints', 'string', 'The set of all endpoints is the union of all subsets.'), ageColumn()],
  (ep, now) => [nameOf(ep), formatEndpoints(ep), ageOf(ep, now)],
);

// --- Event

function eventSource(ev: KubeObject): string {
  const component = ev.source?.component || ev.reportingComponent || '';
  const host = ev.source?.host || ev.reportingInstance || '';
  return host ? `${component}, ${host}` : component;
}

export const eventPrinter = printer(
  [
    col('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
    col('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
    col('Reason', 'string', "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
    col('Object', 'string', 'The object that this event is about.'),
    wide('Subobject', 'string', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].'),
    wide('Source', 'string', 'The component reporting this event. Should be a short machine understandable string.'),
    col('Message', 'string', 'A human-readable description of the status of this operation.'),
    wide('First Seen', 'string', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)'),
    wide('Count', 'string', 'The number of times this event has occurred.'),
    { ...wide('Name', 'string', NAME_DESCRIPTION), format: 'name' },
  ],
  (ev, now) => {
    // Events from the events.k8s.io API carry eventTime/series instead of first/last timestamps.
    const first = parseTimestamp(ev.firstTimestamp) !== undefined
      ? translateTimestampSince(ev.firstTimestamp, now)
      : translateTimestampSince(ev.eventTime, now);
    let last = parseTimestamp(ev.lastTimestamp) !== undefined ? translateTimestampSince(ev.lastTimestamp, now) : first;
    let count = int(ev.count);
    if (ev.series) {
      last = translateTimestampSince(ev.series.lastObservedTime, now);
      count = int(ev.series.count);
    } else if (count === 0) {
      count = 1;
    }
    const io = ev.involvedObject ?? {};
    const kind = String(io.kind ?? '').toLowerCase();
    const target = io.name ? `${kind}/${io.name}` : kind;
    return [last, ev.type ?? '', ev.reason ?? '', target, io.fieldPath ?? '', eventSource(ev), String(ev.message ?? '').trim(), first, count, nameOf(ev)];
  },
);

// --- ConfigMap, Secret, ServiceAccount

const size = (m: unknown) => (m && typeof m === 'object' ? Object.keys(m).length : 0);

export const configMapPrinter = printer(
  [nameColumn(), col('Data', 'string', 'Data contains the configuration data.'), ageColumn()],
  (cm, now) => [nameOf(cm), size(cm.data) + size(cm.binaryData), ageOf(cm, now)],
);

export const secretPrinter = printer(
  [
    nameColumn(),
    col('Type', 'string', 'Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types'),
    col('Data', 'string', 'Data contains the secret data.'),
    ageColumn(),
  ],
  (s, now) => [nameOf(s), s.type ?? '', size(s.data), ageOf(s, now)],
);

export const serviceAccountPrinter = printer(
  [nameColumn(), col('Secrets', 'string', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'), ageColumn()],
  (sa, now) => [nameOf(sa), Array.isArray(sa.secrets) ? sa.secrets.length : 0, ageOf(sa, now)],
);
