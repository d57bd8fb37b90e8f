// nodeless_doctor_findings{check,severity} on a cluster's /metrics: `nodeless doctor`'s
// findings (src/clouds/doctor.ts, docs/doctor.md) counted at each scrape, from the cloud
// model and the cluster's API in process, so an alert can fire on a critical finding.
import client from 'prom-client';
import type { Client } from './client/types.js';
import type { Cloud } from './cloud/cloud.js';
import { diagnose, doctorInput, findingCounts } from './clouds/doctor.js';
import { EKS_CONFIG } from './clouds/tencent/annotations.js';

async function localFindings(cloud: Cloud, name: string, kube: Client) {
  const cluster = cloud.clusters.get(name);
  const list = async (apiVersion: string, resource: string) => (await kube.list({ apiVersion, resource })).items;
  const eksConfig = await kube.get({ apiVersion: 'v1', resource: 'configmaps' }, EKS_CONFIG.namespace, EKS_CONFIG.name).catch(() => undefined);
  // An EKS cluster's VPC CNI: aws-node's settings and every ENI of the subnets its instances use.
  const aws = cluster.cloud === 'aws';
  const awsNode = aws ? await kube.get({ apiVersion: 'apps/v1', resource: 'daemonsets' }, 'kube-system', 'aws-node').catch(() => undefined) : undefined;
  const enis = aws ? vpcCniEnis(cloud, name) : undefined;
  return diagnose(doctorInput({
    cluster, vpc: cloud.vpcs.get(cluster.vpcId), superNodes: cloud.superNodes.list({ cluster: name }), subnets: cloud.subnets.list(), quotas: cloud.quotas.list({ cluster: name }),
    securityGroups: cloud.securityGroups.list(), routeTables: cloud.routeTables.list({ vpcId: cluster.vpcId }),
    natGateways: cloud.natGateways.list({ vpcId: cluster.vpcId }), fileSystems: cloud.fileSystems.list({ vpcId: cluster.vpcId }),
    deployments: await list('apps/v1', 'deployments'), statefulSets: await list('apps/v1', 'statefulsets'),
    hpas: await list('autoscaling/v2', 'horizontalpodautoscalers').catch(() => []), pods: await list('v1', 'pods'), eksConfig,
    events: (await kube.list({ apiVersion: 'v1', resource: 'events' }, { fieldSelector: 'type=Warning' })).items,
    nodeGroups: cloud.nodeGroups.list({ cluster: name }), vpcEndpoints: cloud.vpcEndpoints.list({ vpcId: cluster.vpcId }),
    awsNode, enis,
  }));
}

/** Every ENI of the subnets the cluster's instances (and node groups) use. */
function vpcCniEnis(cloud: Cloud, name: string) {
  const subnets = new Set<string>(cloud.nodeGroups.list({ cluster: name }).flatMap((g) => g.subnetIds));
  for (const e of cloud.enis.list({ cluster: name })) if (e.attachedTo.type === 'node') subnets.add(e.subnetId);
  return [...subnets].flatMap((subnetId) => cloud.enis.list({ subnetId }));
}

/** Registers the gauge in the cluster's metrics registry; its values are computed when scraped. */
export function registerDoctorMetric(registry: client.Registry, cloud: Cloud, name: string, kube: Client): void {
  new client.Gauge({
    name: 'nodeless_doctor_findings', registers: [registry], labelNames: ['check', 'severity'],
    help: 'Findings of nodeless doctor for this cluster, by check and severity (docs/doctor.md).',
    async collect() {
      this.reset();
      // A cluster being deleted mid-scrape has nothing to report: the scrape itself must not fail.
      const findings = await localFindings(cloud, name, kube).catch(() => undefined);
      for (const c of findings ? findingCounts(findings) : []) this.set({ check: c.check, severity: c.severity }, c.count);
    },
  });
}
