// `nodeless net …`: network diagnostics of serverless pods. `net egress POD`
// asks the running server's cloud (GET /cloud/v1/egress) how the pod reaches
// the internet (SPEC S8) and prints the path, or why there is none (exit 1).
// `net simulate` (offline ipvs replays) is added by pods.ts to the same command.
import type { Command } from 'commander';
import { api, leaf } from './cloud.js';

/** The one `net` command of the program, created on first use so pods.ts and this file share it. */
export function netCommand(program: Command): Command {
  return program.commands.find((c) => c.name() === 'net') ?? program.command('net').description('network diagnostics of serverless pods');
}

export function registerNetCommands(program: Command): void {
  const net = netCommand(program);
  if (net.commands.some((c) => c.name() === 'egress')) return;
  leaf(net, 'egress <pod>', 'how a pod reaches the internet: NAT gateway route or EIP, or why it cannot', async (o, pod) => {
    const qs = new URLSearchParams({ namespace: o.namespace, pod, ...(o.cluster ? { cluster: o.cluster } : {}) });
    const view = await api(o, 'GET', `/egress?${qs}`);
    if (o.output === 'json') console.log(JSON.stringify(view, null, 2));
    else console.log(view.summary);
    if (view.via === 'none') process.exitCode = 1;
  }).option('-n, --namespace <ns>', 'namespace of the pod', 'default').option('--cluster <name>', 'cluster (default: default)');
}
