// `nodeless vpc shell --subnet S [-- CMD…]`: a shell standing inside a VPC, the bastion of the EKS seed
// (docs/aws/endpoint-access.md). This process registers itself with the server (over the authenticated
// cloud API: the server finds this very process behind the connection), then runs the shell or CMD as
// its child, so every program started in it is inside the VPC for the clusters' private endpoints. Its
// kubeconfig names each private endpoint by its EKS DNS name; where this machine allows a mount
// namespace, the names resolve as the VPC's resolver would answer them (only with enableDnsSupport and
// enableDnsHostnames on), through an /etc/hosts of the shell's own.
import type { Command } from 'commander';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { api, CloudCliError } from './common.js';
import { connect, defaultHome } from './connect.js';
import { writePrivate } from '../util/private.js';

interface ShellAnswer {
  vpcId: string;
  subnetId: string;
  zone: string;
  enableDnsSupport: boolean;
  enableDnsHostnames: boolean;
  endpoints: { cluster: string; host: string; address: string; port: number }[];
}

/** Whether this machine lets a process have a mount namespace (root, or a user namespace). */
function canMountNamespace(): boolean {
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'true'], { stdio: 'ignore' });
  return r.status === 0;
}

export function registerVpcCommands(program: Command): void {
  const vpc = program.command('vpc').description('stand inside a VPC');
  vpc.command('shell')
    .description('a shell (or -- CMD) inside a VPC, as on a bastion in subnet S: it reaches the private endpoints of EKS clusters in that VPC')
    .requiredOption('--subnet <id>', 'subnet the shell stands in')
    .option('--home <dir>', 'nodeless state directory', defaultHome())
    .argument('[command...]', 'command to run instead of an interactive shell (after --)')
    .action(async (command: string[], o: { subnet: string; home: string }) => {
      try {
        process.exitCode = await runShell(o.home, o.subnet, command);
      } catch (e) {
        if (e instanceof CloudCliError) console.error(`${e.code}: ${e.message}`);
        else console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
        process.exitCode = 1;
      }
    });
}

async function runShell(home: string, subnetId: string, command: string[]): Promise<number> {
  const answer = await api({ home, output: 'json' }, 'POST', '/vpcshells', { subnetId }) as ShellAnswer;
  const conn = connect(home);
  const dir = path.join(home, 'vpc-shell', String(process.pid));
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const resolves = answer.enableDnsSupport && answer.enableDnsHostnames;
  const mountNs = canMountNamespace();
  // Without a mount namespace of its own the shell cannot have the VPC's resolver: the kubeconfig then
  // names the endpoint by its address where that resolver would have answered (a documented limit).
  const server = (e: ShellAnswer['endpoints'][number]) => `https://${mountNs || !resolves ? e.host : e.address}:${e.port}`;
  const kubeconfig = {
    apiVersion: 'v1', kind: 'Config',
    clusters: answer.endpoints.map((e) => ({
      name: `nodeless-${e.cluster}`,
      cluster: { server: server(e), 'certificate-authority-data': Buffer.from(conn.ca).toString('base64') },
    })),
    users: [{ name: 'nodeless', user: { token: conn.token } }],
    contexts: answer.endpoints.map((e) => ({ name: `nodeless-${e.cluster}`, context: { cluster: `nodeless-${e.cluster}`, user: 'nodeless', namespace: 'default' } })),
    'current-context': answer.endpoints[0] ? `nodeless-${answer.endpoints[0].cluster}` : '',
    preferences: {},
  };
  const kubeconfigPath = path.join(dir, 'kubeconfig');
  writePrivate(kubeconfigPath, YAML.stringify(kubeconfig));
  // The Route 53 private hosted zone EKS keeps for the VPC: answered only with both DNS attributes on.
  let hosts = '';
  try { hosts = fs.readFileSync('/etc/hosts', 'utf8'); } catch { /* none */ }
  if (resolves) hosts += `\n# the EKS private hosted zone of ${answer.vpcId} (nodeless vpc shell)\n${answer.endpoints.map((e) => `${e.address} ${e.host}`).join('\n')}\n`;
  const hostsPath = path.join(dir, 'hosts');
  fs.writeFileSync(hostsPath, hosts, { mode: 0o644 });
  const argv = command.length ? command : [process.env.SHELL || '/bin/sh'];
  const env = { ...process.env, KUBECONFIG: kubeconfigPath, NODELESS_VPC: answer.vpcId, NODELESS_SUBNET: answer.subnetId, PS1: `[vpc-shell ${answer.subnetId}]$ ` };
  if (!command.length) {
    console.error(`inside ${answer.vpcId}, subnet ${answer.subnetId} (${answer.zone}); private endpoints: ${answer.endpoints.map((e) => `${e.cluster} https://${e.host}:${e.port}`).join(', ') || 'none'}${resolves ? '' : ' (the VPC resolves no names: enableDnsSupport and enableDnsHostnames must be true)'}`);
  }
  const child = mountNs
    ? spawn('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount --bind "$0" /etc/hosts && exec "$@"', hostsPath, ...argv], { stdio: 'inherit', env })
    : spawn(argv[0], argv.slice(1), { stdio: 'inherit', env });
  const code = await new Promise<number>((resolve) => {
    child.on('error', (e) => { console.error(`error: ${e.message}`); resolve(127); });
    child.on('exit', (c, sig) => resolve(c ?? (sig ? 128 : 1)));
  });
  fs.rmSync(dir, { recursive: true, force: true });
  return code;
}
