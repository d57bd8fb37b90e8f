// `nodeless supernode add|list|drain|uncordon|remove` and `nodeless cluster create|list`:
// the serverless cluster's shape, through the cloud API. The server's super node
// agent turns these records into Kubernetes Nodes, evicts pods on drain, and
// refuses removal while pods other than DaemonSet pods remain (or for the last node).
import type { Command } from 'commander';
import { api, CloudCliError, leaf, showDone, showList } from './common.js';

/** `true` or `false`, as the AWS CLI's shorthand takes endpointPublicAccess=…; absent stays absent. */
function trueFalse(flag: string, v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new CloudCliError('InvalidParameterException', `${flag} must be true or false, got "${v}"`);
}

/** The endpoint access an EKS cluster is given (docs/aws/endpoint-access.md); undefined when no flag is set. */
function endpointAccessFlags(o: any): Record<string, unknown> | undefined {
  const access: Record<string, unknown> = {};
  const pub = trueFalse('--endpoint-public-access', o.endpointPublicAccess);
  const priv = trueFalse('--endpoint-private-access', o.endpointPrivateAccess);
  if (pub !== undefined) access.public = pub;
  if (priv !== undefined) access.private = priv;
  if (o.publicAccessCidrs !== undefined) access.publicAccessCidrs = String(o.publicAccessCidrs).split(',').map((x) => x.trim());
  return Object.keys(access).length ? access : undefined;
}

/** One line on a cluster's endpoints: what `create` and `update-config` print. */
function endpointLine(c: any): string {
  const a = c.endpointAccess ?? {};
  const parts = [`public ${a.public ? `on (${(a.publicAccessCidrs ?? ['0.0.0.0/0']).join(',')})` : 'off'}`, `private ${a.private ? 'on' : 'off'}`];
  return `endpoint ${c.endpointHost ? `https://${c.endpointHost}: ` : ''}${parts.join(', ')}`;
}

const endpointOptions = (cmd: Command) => cmd
  .option('--endpoint-public-access <bool>', 'AWS: serve the public endpoint (true, the default, or false)')
  .option('--endpoint-private-access <bool>', 'AWS: serve the private endpoint inside the VPC (true or false, the default)')
  .option('--public-access-cidrs <cidrs>', 'AWS: comma-separated IPv4 blocks allowed on the public endpoint (default 0.0.0.0/0)');

export function registerSuperNodeCommands(program: Command): void {
  const sn = program.command('supernode').description('super nodes: virtual nodes, one subnet (and zone) each');
  leaf(sn, 'list', 'list super nodes', async (o) => {
    const res = await api(o, 'GET', `/supernodes${o.cluster ? `?cluster=${encodeURIComponent(o.cluster)}` : ''}`);
    showList(o, 'supernode', res.items);
  }).option('--cluster <name>', 'only this cluster').alias('ls');
  leaf(sn, 'add', 'add a super node on a subnet (grows the container network); prints its name', async (o) => {
    const res = await api(o, 'POST', '/supernodes', { clusterName: o.cluster, subnetId: o.subnet, ...(o.name ? { name: o.name } : {}) });
    showDone(o, res, res.name);
  }).option('--cluster <name>', 'cluster', 'default').requiredOption('--subnet <id>', 'subnet the node\'s pods take IPs from').option('--name <name>', 'node name (default eklet-<subnet>-<random>)');
  const byName = async (o: any, name: string) => {
    const res = await api(o, 'GET', `/supernodes?cluster=${encodeURIComponent(o.cluster)}`);
    const found = res.items.find((n: any) => n.name === name || n.id === name);
    return found ? found.id : name;
  };
  leaf(sn, 'drain <name>', 'cordon the node and evict its pods (DaemonSet pods stay); they are recreated elsewhere', async (o, name) => {
    const res = await api(o, 'POST', `/supernodes/${encodeURIComponent(await byName(o, name))}/drain`);
    showDone(o, res, `${res.name} draining`);
  }).option('--cluster <name>', 'cluster', 'default');
  leaf(sn, 'uncordon <name>', 'let pods be scheduled on the node again', async (o, name) => {
    const res = await api(o, 'POST', `/supernodes/${encodeURIComponent(await byName(o, name))}/uncordon`);
    showDone(o, res, `${res.name} uncordoned`);
  }).option('--cluster <name>', 'cluster', 'default');
  leaf(sn, 'remove <name>', 'remove a drained super node (never the last one of a cluster)', async (o, name) => {
    const res = await api(o, 'DELETE', `/supernodes/${encodeURIComponent(await byName(o, name))}`);
    showDone(o, res, `${res.name} removed`);
  }).option('--cluster <name>', 'cluster', 'default').alias('rm');

  const cluster = program.command('cluster').description('serverless clusters (each with its own Kubernetes API and kubeconfig context)');
  leaf(cluster, 'list', 'list clusters', async (o) => showList(o, 'cluster', (await api(o, 'GET', '/clusters')).items)).alias('ls');
  endpointOptions(leaf(cluster, 'create <name>', 'create a cluster in a VPC with one or more container subnets', async (o, name) => {
    const res = await api(o, 'POST', '/clusters', { name, vpcId: o.vpc, subnetIds: o.subnet, cloud: o.cloud, endpointAccess: endpointAccessFlags(o) });
    showDone(o, res, `cluster ${res.name} (${res.id}) created on ${res.cloud ?? 'tencent'}; kubectl --context nodeless-${res.name}${res.cloud === 'aws' ? `\n${endpointLine(res)}` : ''}`);
  }).option('--vpc <id>', 'VPC (default: the default VPC of the cloud)').option('--subnet <id>', 'container subnet (repeat for more; default: every subnet of the VPC)', (v: string, p: string[] = []) => [...p, v])
    .option('--cloud <cloud>', 'tencent (default), alibaba or aws; the first cluster on a cloud makes its default VPC and subnets'));
  // EKS UpdateClusterConfig's resourcesVpcConfig endpoint fields (aws eks update-cluster-config --resources-vpc-config …).
  endpointOptions(leaf(cluster, 'update-config <name>', 'change a cluster\'s endpoint access (AWS: public, private, publicAccessCidrs)', async (o, name) => {
    const endpointAccess = endpointAccessFlags(o);
    if (!endpointAccess) throw new CloudCliError('InvalidParameterException', 'give --endpoint-public-access, --endpoint-private-access or --public-access-cidrs');
    const res = await api(o, 'PATCH', `/clusters/${encodeURIComponent(name)}`, { endpointAccess });
    showDone(o, res, `cluster ${res.name}: ${endpointLine(res)}`);
  }));
}
