// `nodeless nodegroup create|scale|delete|list`: EKS managed node groups of an AWS cluster
// (docs/aws.md). The names and flags are a contract (issue 20): scripts use them.
import type { Command } from 'commander';
import { CliError } from './connect.js';
import { api, clusterQuery, labelFlag, leaf, showDone, showList } from './common.js';

/** A flag that must be a whole number ≥ 0 (or absent). */
function count(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  // Decimal digits only: Number() also reads "0x10" as 16 and "1e2" as 100.
  const v = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(v)) throw new CliError(`${flag} must be a whole number of 0 or more, got "${text}"`);
  return v;
}

/** `key=value:Effect,key:Effect` (kubectl taint's syntax). */
function taints(text: string | undefined): { key: string; value?: string; effect: string }[] | undefined {
  if (text === undefined) return undefined;
  return text.split(',').filter(Boolean).map((part) => {
    const m = /^([^=:]+)(?:=([^:]*))?:(.+)$/.exec(part);
    if (!m) throw new CliError(`--taints takes key=value:Effect items separated by commas, got "${part}"`);
    return m[2] === undefined ? { key: m[1], effect: m[3] } : { key: m[1], value: m[2], effect: m[3] };
  });
}

export function registerNodeGroupCommands(program: Command): void {
  const ng = program.command('nodegroup').description('EKS managed node groups of an AWS cluster: EC2 instances that become Nodes');
  leaf(ng, 'list', 'list node groups and their instances', async (o) => {
    showList(o, 'nodegroup', (await api(o, 'GET', `/nodegroups${clusterQuery(o)}`)).items);
  }).option('--cluster <name>', 'only this cluster').alias('ls');
  leaf(ng, 'create', 'create a node group; its instances register as Nodes', async (o) => {
    const subnetIds = String(o.subnets).split(',').map((s) => s.trim()).filter(Boolean);
    const res = await api(o, 'POST', '/nodegroups', {
      cluster: o.cluster, name: o.name, instanceType: o.instanceType, subnetIds,
      desiredSize: count('--desired', o.desired), minSize: count('--min', o.min), maxSize: count('--max', o.max),
      labels: labelFlag(o.labels), taints: taints(o.taints),
      containerRuntime: o.containerRuntime, kubeletExtraArgs: o.kubeletExtraArgs, maxPods: count('--max-pods', o.maxPods), capacityType: o.capacityType,
    });
    showDone(o, res, `node group ${res.name} created in cluster ${res.clusterName}: ${res.desiredSize} × ${res.instanceType}`);
  }).requiredOption('--cluster <name>', 'the AWS cluster').requiredOption('--name <name>', 'node group name')
    .requiredOption('--instance-type <type>', 'EC2 instance type, e.g. m5.large').requiredOption('--subnets <ids>', 'comma-separated subnets of the cluster\'s VPC')
    .requiredOption('--desired <n>', 'desired number of instances').option('--min <n>', 'minimum size (default 1, or 0 when --desired 0)').option('--max <n>', 'maximum size (default --desired)')
    .option('--labels <k=v,...>', 'Kubernetes labels of every instance\'s Node').option('--taints <key=value:Effect,...>', 'taints of every instance\'s Node (NoSchedule, PreferNoSchedule, NoExecute)')
    .option('--container-runtime <runtime>', 'bootstrap.sh --container-runtime (containerd)')
    .option('--kubelet-extra-args <args>', 'bootstrap.sh --kubelet-extra-args, e.g. "--max-pods=50 --node-labels=k=v"')
    .option('--max-pods <n>', 'the kubelet\'s --max-pods, instead of the VPC CNI\'s figure for the instance type')
    .option('--capacity-type <type>', 'ON_DEMAND (default) or SPOT');
  leaf(ng, 'scale <name>', 'set the desired size (and --min/--max); instances are launched or terminated', async (o, name) => {
    const res = await api(o, 'PATCH', `/nodegroups/${encodeURIComponent(name)}${clusterQuery(o)}`, {
      desiredSize: count('--desired', o.desired), minSize: count('--min', o.min), maxSize: count('--max', o.max),
    });
    showDone(o, res, `node group ${res.name} scaled to ${res.desiredSize}`);
  }).requiredOption('--desired <n>', 'desired number of instances').option('--min <n>', 'minimum size').option('--max <n>', 'maximum size').option('--cluster <name>', 'cluster (when two clusters have a group of that name)');
  leaf(ng, 'delete <name>', 'terminate every instance of the group (refused while one runs pods other than DaemonSet pods), then the group', async (o, name) => {
    const res = await api(o, 'DELETE', `/nodegroups/${encodeURIComponent(name)}${clusterQuery(o)}`);
    showDone(o, res, `node group ${res.name} deleted`);
  }).option('--cluster <name>', 'cluster (when two clusters have a group of that name)').alias('rm');
}
