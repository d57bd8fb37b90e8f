// `nodeless doctor [--cluster C] [-o table|json]`: reads the cluster's API
// objects and the cloud model from the running nodeless (read only), runs the
// checks of src/clouds/doctor.ts and prints each finding with its severity, the
// objects, what will happen and why (the source document), and the fix.
// Exits 1 when a finding is critical, so a CI pipeline can stop (docs/doctor.md).
import type { Command } from 'commander';
import { diagnose, doctorInput, type DoctorInput, type Finding } from '../clouds/doctor.js';
import { EKS_CONFIG } from '../clouds/tencent/annotations.js';
import { api, CloudCliError, leaf } from './common.js';
import { CliError, connect, request } from './connect.js';

async function kube(o: { home: string }, prefix: string, path: string, optional = false): Promise<any> {
  const res = await request(connect(o.home), 'GET', `${prefix}${path}`);
  if (res.status === 200) return res.body;
  if (optional && res.status === 404) return undefined;
  throw new CloudCliError(typeof res.body?.reason === 'string' && res.body.reason ? res.body.reason : `HTTP${res.status}`, `GET ${path}: ${res.body?.message ?? res.text.trim()}`);
}

export async function gather(o: { home: string }, clusterName: string): Promise<DoctorInput> {
  const clusters: any[] = (await api(o as any, 'GET', '/clusters')).items;
  const cluster = clusters.find((c) => c.name === clusterName || c.id === clusterName);
  if (!cluster) throw new CloudCliError('ResourceNotFound', `cluster ${clusterName} not found (clusters: ${clusters.map((c) => c.name).join(', ') || 'none'})`);
  const prefix = cluster.name === 'default' ? '' : `/clusters/${encodeURIComponent(cluster.name)}`;
  const q = encodeURIComponent(cluster.name);
  // An EKS cluster's endpoint may refuse this machine (docs/aws/endpoint-access.md): the cloud's view is still read,
  // and the endpoint check says why its objects are not.
  let unreachable: string | undefined;
  const objects = async (path: string, optional = false) => {
    try {
      return await kube(o, prefix, path, optional);
    } catch (e) {
      if (!(e instanceof CliError) || cluster.cloud !== 'aws') throw e;
      unreachable = e.message;
      return optional ? undefined : { items: [] };
    }
  };
  const [superNodes, subnets, quotas, sgs, rtbs, nats, fss, deps, stss, hpas, pods, cm, events, ngs, vpces, vpc] = await Promise.all([
    api(o as any, 'GET', `/supernodes?cluster=${q}`), api(o as any, 'GET', '/subnets'), api(o as any, 'GET', `/quotas?cluster=${q}`),
    api(o as any, 'GET', '/securitygroups'), api(o as any, 'GET', `/routetables?vpcId=${encodeURIComponent(cluster.vpcId)}`),
    api(o as any, 'GET', `/natgateways?vpcId=${encodeURIComponent(cluster.vpcId)}`), api(o as any, 'GET', `/filesystems?vpcId=${encodeURIComponent(cluster.vpcId)}`),
    objects('/apis/apps/v1/deployments'), objects('/apis/apps/v1/statefulsets'),
    objects('/apis/autoscaling/v2/horizontalpodautoscalers', true), objects('/api/v1/pods'),
    objects(`/api/v1/namespaces/${EKS_CONFIG.namespace}/configmaps/${EKS_CONFIG.name}`, true),
    objects('/api/v1/events?fieldSelector=type%3DWarning'),
    api(o as any, 'GET', `/nodegroups?cluster=${q}`), api(o as any, 'GET', `/vpcendpoints?vpcId=${encodeURIComponent(cluster.vpcId)}`),
    api(o as any, 'GET', `/vpcs/${encodeURIComponent(cluster.vpcId)}`),
  ]);
  // An EKS cluster's VPC CNI: aws-node's settings and every ENI of the subnets its instances use.
  let awsNode: any;
  let enis: any[] | undefined;
  if (cluster.cloud === 'aws') {
    awsNode = await objects('/apis/apps/v1/namespaces/kube-system/daemonsets/aws-node', true);
    const own = (await api(o as any, 'GET', `/enis?cluster=${q}`)).items.filter((e: any) => e.attachedTo?.type === 'node');
    const ids = new Set<string>([...ngs.items.flatMap((g: any) => g.subnetIds), ...own.map((e: any) => e.subnetId)]);
    enis = (await Promise.all([...ids].map((id) => api(o as any, 'GET', `/enis?subnetId=${encodeURIComponent(id)}`)))).flatMap((r) => r.items);
  }
  return doctorInput({
    cluster, vpc, unreachable, awsNode, enis, superNodes: superNodes.items, subnets: subnets.items, quotas: quotas.items, securityGroups: sgs.items,
    routeTables: rtbs.items, natGateways: nats.items, fileSystems: fss.items, deployments: deps.items, statefulSets: stss.items,
    hpas: hpas?.items ?? [], pods: pods.items, eksConfig: cm, events: events.items, nodeGroups: ngs.items, vpcEndpoints: vpces.items,
  });
}

function table(findings: Finding[]): string {
  if (!findings.length) return 'No problems found.';
  const lines: string[] = [];
  for (const f of findings) {
    lines.push(`${f.severity.toUpperCase()}  ${f.check}  ${f.objects.join(' ')}`, `  ${f.message}`, `  source: ${f.source.seed}; ${f.source.doc}`, `  fix: ${f.fix}`, '');
  }
  const n = (s: string) => findings.filter((f) => f.severity === s).length;
  lines.push(`${n('critical')} critical, ${n('warning')} warning, ${n('info')} info`);
  return lines.join('\n');
}

export function registerDoctorCommand(program: Command): void {
  leaf(program, 'doctor', 'find the source documents\' incidents in a cluster before production does (exit 1 on a critical finding)', async (o) => {
    if (o.output !== 'table' && o.output !== 'json') throw new CloudCliError('InvalidParameter', `-o must be table or json, got ${o.output}`);
    const input = await gather(o, o.cluster);
    const findings = diagnose(input);
    console.log(o.output === 'json' ? JSON.stringify({ cluster: input.cluster, findings }, null, 2) : table(findings));
    if (findings.some((f) => f.severity === 'critical')) process.exitCode = 1;
  }).option('--cluster <name>', 'cluster', 'default');
}
