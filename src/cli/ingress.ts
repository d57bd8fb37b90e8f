// `nodeless net ingress EIP:PORT`: whether a connection from the internet
// reaches a pod's port through its EIP (docs/alibaba/pod-eip.md); with a pod's
// private address (POD_IP:PORT) and `--from-pod`, a connection inside the VPC
// from another pod, whose labels the NetworkPolicies' selectors look at. The cloud answers the
// network half (GET /cloud/v1/ingress: EIP → ENI → security groups); this
// command then asks the pod's cluster whether anything listens on the port
// (a running container declaring it, or the pod VM's metrics agent, S9).
// Prints the path, or `blocked:`/`refused:` with the reason, and exits 1 when
// the connection would not get through.
import type { Command } from 'commander';
import type { KubeObject } from '../api/types.js';
import type { IngressView } from '../cloud/ingress.js';
import { metricsPortOf } from '../runtime/metrics.js';
import { api, leaf, showDone } from './common.js';
import { CliError, connect, request } from './connect.js';
import { evaluatePolicies, type Peer, type PolicyVerdict } from '../api/netpolicy.js';

/** The verdict of the NetworkPolicies of a pod's namespace on one connection (docs/services.md). */
export async function policyVerdict(home: string | undefined, cluster: string, pod: KubeObject, direction: 'Ingress' | 'Egress', peer: string | Peer, port: number, protocol: string): Promise<PolicyVerdict> {
  const prefix = cluster === 'default' ? '' : `/clusters/${encodeURIComponent(cluster)}`;
  const ns = pod.metadata.namespace ?? 'default';
  const res = await request(connect(home), 'GET', `${prefix}/apis/networking.k8s.io/v1/namespaces/${encodeURIComponent(ns)}/networkpolicies`);
  const items: KubeObject[] = res.status === 200 ? res.body.items ?? [] : [];
  return evaluatePolicies(direction, pod, typeof peer === 'string' ? { ip: peer } : peer, port, protocol.toUpperCase(), items);
}

/**
 * `--from-pod [NS/]NAME`: the pod a connection comes from, as a NetworkPolicy peer (its address, its labels
 * and its namespace's labels, for podSelector and namespaceSelector).
 */
async function sourcePod(home: string | undefined, cluster: string, ref: string): Promise<Peer & { cluster: string }> {
  const m = /^(?:([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/)?([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(ref);
  if (!m) throw new CliError(`--from-pod wants [NAMESPACE/]NAME (DNS names), got ${JSON.stringify(ref)}`);
  const ns = m[1] ?? 'default';
  const name = m[3];
  const prefix = cluster === 'default' ? '' : `/clusters/${encodeURIComponent(cluster)}`;
  const c = connect(home);
  const res = await request(c, 'GET', `${prefix}/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}`);
  if (res.status !== 200) throw new CliError(`--from-pod: pod ${ns}/${name} of cluster ${cluster}: ${res.body?.message ?? `HTTP ${res.status}`}`);
  const ip = res.body.status?.podIP;
  if (!ip) throw new CliError(`--from-pod: pod ${ns}/${name} has no IP yet, so it sends nothing`);
  const nsRes = await request(c, 'GET', `${prefix}/api/v1/namespaces/${encodeURIComponent(ns)}`);
  return { ip, pod: res.body, namespaceLabels: nsRes.status === 200 ? nsRes.body.metadata?.labels ?? {} : {}, cluster };
}

export interface Listener {
  /** The container that listens, or `metrics-agent` for the pod VM's own metrics port. */
  by: string;
  port: number;
  protocol: string;
}

/** Splits `203.0.113.5:80` (or `eip-…:80`). */
export function parseTarget(s: string): { address: string; port: number } {
  const m = /^([^:\s]+):(\d{1,5})$/.exec(s);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new CliError(`want EIP:PORT (an address or eip- id, and a port 1-65535), got ${JSON.stringify(s)}`);
  return { address: m[1], port: Number(m[2]) };
}

/** What listens on the port in the pod, or why nothing does. */
export function findListener(pod: KubeObject, port: number, protocol: string): { listener?: Listener; why?: string } {
  const who = `pod ${pod.metadata.namespace}/${pod.metadata.name}`;
  if (pod.metadata.deletionTimestamp) return { why: `${who} is being deleted` };
  if (pod.status?.phase !== 'Running') return { why: `${who} is ${pod.status?.phase ?? 'Pending'}, nothing listens yet` };
  const proto = protocol.toUpperCase();
  if (proto === 'TCP' && metricsPortOf(pod) === port) return { listener: { by: 'metrics-agent', port, protocol: proto } };
  const c = (pod.spec?.containers ?? []).find((x: any) => (x.ports ?? []).some((p: any) => Number(p.containerPort) === port && (p.protocol ?? 'TCP') === proto));
  if (!c) return { why: `no container of ${who} declares containerPort ${port}/${proto}, so nothing listens there (connection refused)` };
  const st = (pod.status?.containerStatuses ?? []).find((s: any) => s.name === c.name);
  if (!st?.state?.running) {
    const w = st?.state?.waiting?.reason ?? (st?.state?.terminated ? `terminated: ${st.state.terminated.reason ?? 'Error'}` : 'not started');
    return { why: `container ${c.name} of ${who} declares ${port}/${proto} but is not running (${w}), so the connection is refused` };
  }
  return { listener: { by: c.name, port, protocol: proto } };
}

export function registerIngressCommand(net: Command): void {
  if (net.commands.some((c) => c.name() === 'ingress')) return;
  leaf(net, 'ingress <eip:port>', 'whether a connection from the internet reaches a pod port through its EIP and security groups', async (o, target) => {
    const { address, port } = parseTarget(target);
    const protocol = String(o.protocol).toLowerCase();
    if (o.from && o.fromPod) throw new CliError('--from and --from-pod name the same thing: give one');
    const src = o.fromPod ? await sourcePod(o.home, o.cluster ?? 'default', String(o.fromPod)) : undefined;
    const from: string | undefined = src?.ip ?? o.from;
    const qs = new URLSearchParams({ address, port: String(port), protocol, ...(from ? { from } : {}) });
    const view: IngressView = await api(o, 'GET', `/ingress?${qs}`);
    let summary = view.summary;
    let listener: Listener | undefined;
    if (view.allowed && view.pod) {
      const p = view.pod;
      const prefix = p.cluster === 'default' ? '' : `/clusters/${encodeURIComponent(p.cluster)}`;
      const res = await request(connect(o.home), 'GET', `${prefix}/api/v1/namespaces/${encodeURIComponent(p.namespace)}/pods/${encodeURIComponent(p.name)}`);
      const found = res.status === 200 ? findListener(res.body, port, protocol) : { why: `pod ${p.namespace}/${p.name} no longer exists (HTTP ${res.status})` };
      listener = found.listener;
      // The pod's NetworkPolicies come after the security groups: a policy that selects the pod for Ingress must allow the source.
      if (listener && res.status === 200) {
        // A pod of the same cluster is a peer the policies' pod and namespace selectors can match; anything else is an address.
        const peer: string | Peer = src && src.cluster === p.cluster ? src : from ?? '0.0.0.0';
        const v = await policyVerdict(o.home, p.cluster, res.body, 'Ingress', peer, port, protocol);
        if (!v.allowed) {
          showDone(o, { ...view, listener, reachable: false, networkPolicy: v, summary: `blocked: ${v.reason} (${view.summary})` }, `blocked: ${v.reason} (${view.summary})`);
          process.exitCode = 1;
          return;
        }
      }
      summary = listener
        ? `${view.summary} → ${listener.by === 'metrics-agent' ? 'the pod\'s metrics agent' : `container ${listener.by}`} listening on ${port}/${listener.protocol}: reachable`
        : `refused: ${found.why} (${view.summary})`;
    } else if (view.allowed) {
      summary = `${view.summary}: reachable (node ENI)`;
      listener = { by: 'node', port, protocol: protocol.toUpperCase() };
    }
    const reachable = view.allowed && !!listener;
    showDone(o, { ...view, listener: listener ?? null, reachable, summary }, summary);
    if (!reachable) process.exitCode = 1;
  }).option('--protocol <p>', 'tcp or udp', 'tcp').option('--from <ip>', 'source address on the internet (default: anyone, 0.0.0.0/0), or in the VPC for a pod\'s private address')
    .option('--from-pod <[ns/]name>', 'the connection comes from this pod (its address; its labels and namespace for the NetworkPolicies)')
    .option('--cluster <name>', 'cluster of --from-pod (default: default)');
}
