// `nodeless net …`: network diagnostics of serverless pods. `net egress POD`
// asks the running server's cloud (GET /cloud/v1/egress) how the pod reaches
// the internet (docs/tencent/egress.md) and prints the path, or why there is none (exit 1);
// behind a saturated NAT gateway it says the pod's connections time out (exit 1).
// `net load` prints each NAT gateway's shared bandwidth cap against the
// modelled demand of the pods behind it (GET /cloud/v1/natload).
// `net simulate` (offline ipvs replays) is added by pods.ts to the same command.
import type { Command } from 'commander';
import { formatTable, type Column } from '../cloud/columns.js';
import { saturationMessage, type NatLoad } from '../cloud/natload.js';
import { api, leaf, showDone } from './common.js';
import { policyVerdict, registerIngressCommand } from './ingress.js';
import { connect, request } from './connect.js';

/** The one `net` command of the program, created on first use so pods.ts and this file share it. */
export function netCommand(program: Command): Command {
  return program.commands.find((c) => c.name() === 'net') ?? program.command('net').description('network diagnostics of serverless pods');
}

const LOAD_COLUMNS: Column[] = [
  { header: 'NAT', get: (l: NatLoad) => l.natId },
  { header: 'NAME', get: (l: NatLoad) => l.name },
  { header: 'VPC', get: (l: NatLoad) => l.vpcId },
  { header: 'BANDWIDTH', get: (l: NatLoad) => `${l.bandwidthMbps}Mbps` },
  { header: 'DEMAND', get: (l: NatLoad) => `${l.demandMbps}Mbps` },
  { header: 'UTILISATION', get: (l: NatLoad) => `${l.utilisationPercent}%` },
  { header: 'PODS', get: (l: NatLoad) => l.podCount },
  { header: 'STATUS', get: (l: NatLoad) => (l.saturated ? 'SATURATED' : 'OK') },
];

function loadTable(loads: NatLoad[], withPods: boolean): string {
  if (!loads.length) return 'No NAT gateways found.';
  const lines = [formatTable(LOAD_COLUMNS, loads)];
  if (withPods) {
    for (const l of loads.filter((x) => x.pods.length)) {
      lines.push('', `${l.natId}:`, ...l.pods.map((p) => `  ${p.cluster}/${p.namespace}/${p.name}  ${p.mbps}Mbps`));
    }
  }
  return lines.join('\n');
}

export function registerNetCommands(program: Command): void {
  const net = netCommand(program);
  registerIngressCommand(net); // `net ingress EIP:PORT` lives in ingress.ts
  if (net.commands.some((c) => c.name() === 'egress')) return;
  leaf(net, 'egress <pod>', 'how a pod reaches the internet: NAT gateway route or EIP, or why it cannot', async (o, pod) => {
    const qs = new URLSearchParams({ namespace: o.namespace, pod, ...(o.cluster ? { cluster: o.cluster } : {}), ...(o.flows ? { flows: o.flows } : {}) });
    const view = await api(o, 'GET', `/egress?${qs}`);
    // The path exists, but a NAT at its cap drops what the pod sends (the timeouts of docs/alibaba/nat-bandwidth.md).
    const load: NatLoad | undefined = view.via === 'nat' ? await api(o, 'GET', `/natload/${encodeURIComponent(view.nat.id)}`) : undefined;
    const timeout = load?.saturated ? saturationMessage(load) : undefined;
    // A NetworkPolicy that selects the pod for Egress must allow the destination (docs/services.md).
    if (view.via !== 'none') {
      const cluster = o.cluster ?? 'default';
      const prefix = cluster === 'default' ? '' : `/clusters/${encodeURIComponent(cluster)}`;
      const res = await request(connect(o.home), 'GET', `${prefix}/api/v1/namespaces/${encodeURIComponent(o.namespace)}/pods/${encodeURIComponent(pod)}`);
      if (res.status === 200) {
        const v = await policyVerdict(o.home, cluster, res.body, 'Egress', o.to, Number(o.port), o.protocol);
        if (!v.allowed) {
          const summary = `blocked: ${v.reason} (${view.summary})`;
          showDone(o, { ...view, networkPolicy: v, summary }, summary);
          process.exitCode = 1;
          return;
        }
      }
    }
    if (o.output === 'json') {
      const { pods: _pods, ...summary } = load ?? ({} as Partial<NatLoad>);
      console.log(JSON.stringify({ ...view, ...(load ? { natLoad: summary, saturated: load.saturated } : {}), ...(timeout ? { timeout } : {}) }, null, 2));
    } else {
      console.log(view.summary);
      // Which address each connection leaves from: told when it can differ (a NAT with several EIPs), or when asked.
      if (o.flows || (view.nat?.publicIps.length ?? 0) > 1) {
        for (const [i, f] of view.flows.entries()) console.log(`flow ${i + 1}: ${f.protocol} ${f.source} → public IP ${f.publicIp}`);
      }
      if (timeout) console.log(timeout);
    }
    if (view.via === 'none' || timeout) process.exitCode = 1;
  }).option('-n, --namespace <ns>', 'namespace of the pod', 'default').option('--cluster <name>', 'cluster (default: default)')
    .option('--to <ip>', 'destination address the NetworkPolicies are checked against (default 0.0.0.0: anywhere on the internet)', '0.0.0.0')
    .option('--port <n>', 'destination port for the NetworkPolicies', '443').option('--protocol <p>', 'TCP, UDP or SCTP', 'TCP')
    .option('--flows <n>', 'connections to show, each with the public IP it leaves from (a NAT gateway with several EIPs picks one per flow at random)');
  leaf(net, 'load', 'per NAT gateway: shared bandwidth cap, demand of the pods behind it, utilisation, SATURATED', async (o) => {
    const res = await api(o, 'GET', `/natload${o.vpc ? `?vpcId=${encodeURIComponent(o.vpc)}` : ''}`);
    showDone(o, res.items, loadTable(res.items, !!o.pods));
  }).option('--vpc <id>', 'only NAT gateways of this VPC').option('--pods', 'also list the pods behind each NAT gateway and their traffic');
}
