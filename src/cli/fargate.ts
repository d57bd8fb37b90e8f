// `nodeless fargate create|list|delete`: EKS Fargate profiles of an AWS cluster (docs/aws/fargate.md).
// The names and flags are a contract (issue 20): scripts use them.
import type { Command } from 'commander';
import { api, clusterQuery, labelFlag, leaf, showDone, showList } from './common.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerFargateCommands(program: Command): void {
  const fg = program.command('fargate').description('EKS Fargate profiles of an AWS cluster: which pods run on Fargate, one node per pod');
  leaf(fg, 'list', 'list Fargate profiles (status, selectors, subnets) and their pods', async (o) => {
    showList(o, 'fargateprofile', (await api(o, 'GET', `/fargateprofiles${clusterQuery(o)}`)).items);
  }).option('--cluster <name>', 'only this cluster').alias('ls');
  leaf(fg, 'create', 'create a Fargate profile; matching pods created once it is ACTIVE run on Fargate', async (o) => {
    const l = labelFlag(o.labels);
    const selectors = (o.namespace as string[]).map((namespace) => (l ? { namespace, labels: l } : { namespace }));
    const subnetIds = o.subnets === undefined ? undefined : String(o.subnets).split(',').map((s) => s.trim()).filter(Boolean);
    const res = await api(o, 'POST', '/fargateprofiles', { cluster: o.cluster, name: o.name, selectors, subnetIds, podExecutionRoleArn: o.podExecutionRoleArn });
    showDone(o, res, `Fargate profile ${res.name} created in cluster ${res.clusterName} (${res.status})`);
  }).requiredOption('--cluster <name>', 'the AWS cluster').requiredOption('--name <name>', 'profile name')
    .requiredOption('--namespace <ns>', 'namespace of a selector (repeat for up to 5 selectors; wildcards * and ? allowed)', collect)
    .option('--labels <k=v,...>', 'labels every selector also requires of a pod')
    .option('--subnets <ids>', 'comma-separated private subnets of the cluster\'s VPC (default: the cluster\'s subnets)')
    .option('--pod-execution-role-arn <arn>', 'IAM role Fargate pods run with (default: AmazonEKSFargatePodExecutionRole)');
  leaf(fg, 'delete <name>', 'delete a Fargate profile: its pods are deleted, their nodes go with them', async (o, name) => {
    const res = await api(o, 'DELETE', `/fargateprofiles/${encodeURIComponent(name)}${clusterQuery(o)}`);
    showDone(o, res, `Fargate profile ${res.name} deleted`);
  }).option('--cluster <name>', 'cluster (when two clusters have a profile of that name)').alias('rm');
}
