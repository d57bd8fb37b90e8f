// Printer columns of each cloud kind for human tables (CLI, console): one
// definition per kind so every listing shows the same things.
export interface Column {
  header: string;
  get: (row: any) => unknown;
}

const age = (t: unknown) => {
  if (typeof t !== 'string') return '';
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(t)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
};

export const COLUMNS: Record<string, Column[]> = {
  region: [
    { header: 'CLOUD', get: (r) => r.cloud ?? 'tencent' },
    { header: 'REGION', get: (r) => r.region },
    { header: 'ZONES', get: (r) => r.zones.join(',') },
  ],
  vpc: [
    { header: 'ID', get: (r) => r.id },
    { header: 'NAME', get: (r) => r.name },
    { header: 'CIDR', get: (r) => r.cidr },
    { header: 'CLOUD', get: (r) => r.cloud ?? 'tencent' },
    { header: 'DEFAULT', get: (r) => r.isDefault },
    { header: 'DNS', get: (r) => `support=${r.enableDnsSupport},hostnames=${r.enableDnsHostnames}` },
    { header: 'AGE', get: (r) => age(r.createdTime) },
  ],
  subnet: [
    { header: 'ID', get: (r) => r.id },
    { header: 'NAME', get: (r) => r.name },
    { header: 'VPC', get: (r) => r.vpcId },
    { header: 'ZONE', get: (r) => r.zone },
    { header: 'CIDR', get: (r) => r.cidr },
    { header: 'TOTAL', get: (r) => r.totalIpCount },
    { header: 'AVAILABLE', get: (r) => r.availableIpCount },
    { header: 'ROUTE-TABLE', get: (r) => r.routeTableId },
    { header: 'AGE', get: (r) => age(r.createdTime) },
  ],
  routetable: [
    { header: 'ID', get: (r) => r.id },
    { header: 'NAME', get: (r) => r.name },
    { header: 'VPC', get: (r) => r.vpcId },
    { header: 'DEFAULT', get: (r) => r.isDefault },
    { header: 'ROUTES', get: (r) => r.routes.map((x: any) => `${x.destinationCidr}->${x.nextHopType === 'local' ? 'local' : x.nextHopId}`).join(',') },
    { header: 'SUBNETS', get: (r) => (r.subnetIds ?? []).join(',') || '<none>' },
  ],
  natgateway: [
    { header: 'ID', get: (r) => r.id },
    { header: 'NAME', get: (r) => r.name },
    { header: 'VPC', get: (r) => r.vpcId },
    { header: 'EIPS', get: (r) => r.eipIds.join(',') },
    { header: 'BANDWIDTH', get: (r) => `${r.bandwidthMbps}Mbps` },
    { header: 'STATE', get: (r) => r.state },
    { header: 'AGE', get: (r) => age(r.createdTime) },
  ],
  eip: [
    { header: 'ID', get: (r) => r.id },
    { header: 'ADDRESS', get: (r) => r.address },
    { header: 'STATUS', get: (r) => r.status },
    { header: 'BOUND-TO', get: (r) => r.association ? `${r.association.id}${r.association.privateIp ? ` (${r.association.privateIp})` : ''}` : '<none>' },
    { header: 'POD', get: (r) => r.boundPod ? `${r.boundPod.cluster}/${r.boundPod.namespace}/${r.boundPod.name}` : '<none>' },
    { header: 'BANDWIDTH', get: (r) => `${r.bandwidthMbps}Mbps` },
    { header: 'CHARGE', get: (r) => r.internetChargeType },
    { header: 'AGE', get: (r) => age(r.createdTime) },
  ],
  securitygroup: [
    { header: 'ID', get: (r) => r.id },
    { header: 'NAME', get: (r) => r.name },
    { header: 'DEFAULT', get: (r) => r.isDefault },
    { header: 'INGRESS', get: (r) => r.ingress.length },
    { header: 'EGRESS', get: (r) => r.egress.length },
    { header: 'INSTANCES', get: (r) => r.instanceCount },
    { header: 'AGE', get: (r) => age(r.createdTime) },
  ],
  eni: [
    { header: 'ID', get: (r) => r.id },
    { header: 'IP', get: (r) => r.primaryIp },
    { header: 'SUBNET', get: (r) => r.subnetId },
    { header: 'ZONE', get: (r) => r.zone },
    { header: 'ATTACHED-TO', get: (r) => r.attachedTo.type === 'pod' ? `pod ${r.attachedTo.cluster}/${r.attachedTo.namespace}/${r.attachedTo.pod}` : r.attachedTo.type === 'cluster' ? `cluster ${r.attachedTo.cluster}` : `node ${r.attachedTo.node}` },
    { header: 'DESCRIPTION', get: (r) => r.description ?? '' },
    { header: 'SECURITY-GROUPS', get: (r) => r.securityGroupIds.join(',') },
    // An instance's ENI: what it holds besides its primary address (docs/aws/vpc-cni.md).
    { header: 'SECONDARY', get: (r) => (r.prefixes?.length ? `${r.prefixes.length}×/28` : r.secondaryIps ? String(r.secondaryIps.length) : '-') },
    { header: 'AGE', get: (r) => age(r.createdTime) },
  ],
  cluster: [
    { header: 'ID', get: (r) => r.id },
    { header: 'NAME', get: (r) => r.name },
    { header: 'CLOUD', get: (r) => r.cloud ?? 'tencent' },
    { header: 'VPC', get: (r) => r.vpcId },
    { header: 'SUBNETS', get: (r) => r.subnetIds.join(',') },
    { header: 'ENDPOINT', get: (r) => [r.endpointAccess?.public ? 'public' : '', r.endpointAccess?.private ? 'private' : ''].filter(Boolean).join('+') },
    { header: 'AGE', get: (r) => age(r.createdTime) },
  ],
  nodegroup: [
    { header: 'NAME', get: (r) => r.name },
    { header: 'CLUSTER', get: (r) => r.clusterName },
    { header: 'INSTANCE-TYPE', get: (r) => r.instanceType },
    { header: 'DESIRED', get: (r) => r.desiredSize },
    { header: 'MIN', get: (r) => r.minSize },
    { header: 'MAX', get: (r) => r.maxSize },
    { header: 'INSTANCES', get: (r) => (r.instances ?? []).length },
    { header: 'SUBNETS', get: (r) => r.subnetIds.join(',') },
    { header: 'STATUS', get: (r) => r.status ?? '' },
    { header: 'HEALTH', get: (r) => (r.health?.issues ?? []).map((i: any) => `${i.code}: ${i.message} (${i.resourceIds.join(',')})`).join('; ') },
  ],
  fargateprofile: [
    { header: 'NAME', get: (r) => r.name },
    { header: 'CLUSTER', get: (r) => r.clusterName },
    { header: 'STATUS', get: (r) => r.status },
    { header: 'SELECTORS', get: (r) => r.selectors.map((x: any) => [x.namespace, ...Object.entries(x.labels ?? {}).map(([k, v]) => `${k}=${v}`)].join(',')).join('; ') },
    { header: 'SUBNETS', get: (r) => r.subnetIds.join(',') },
    { header: 'PODS', get: (r) => (r.pods ?? []).length },
    { header: 'AGE', get: (r) => age(r.createdTime) },
  ],
  vpcendpoint: [
    { header: 'ID', get: (r) => r.id },
    { header: 'VPC', get: (r) => r.vpcId },
    { header: 'SERVICE', get: (r) => r.serviceName },
    { header: 'TYPE', get: (r) => r.type },
    { header: 'SUBNETS/ROUTE-TABLES', get: (r) => [...r.subnetIds, ...r.routeTableIds].join(',') },
    { header: 'STATE', get: (r) => r.state },
    { header: 'AGE', get: (r) => age(r.createdTime) },
  ],
  supernode: [
    { header: 'ID', get: (r) => r.id },
    { header: 'NAME', get: (r) => r.name },
    { header: 'CLUSTER', get: (r) => r.clusterName },
    { header: 'SUBNET', get: (r) => r.subnetId },
    { header: 'ZONE', get: (r) => r.zone },
    { header: 'STATE', get: (r) => r.state },
    { header: 'AGE', get: (r) => age(r.createdTime) },
  ],
  filesystem: [
    { header: 'ID', get: (r) => r.id },
    { header: 'NAME', get: (r) => r.name },
    { header: 'TYPE', get: (r) => r.type },
    { header: 'VPC', get: (r) => r.vpcId },
    { header: 'SUBNET', get: (r) => r.subnetId },
    { header: 'ADDRESS', get: (r) => r.address },
    { header: 'EXPORTS', get: (r) => r.exports.map((e: any) => `${e.path} ${e.clients.map((c: any) => `${c.host}(${c.options.join(',')})`).join(' ')}`).join('; ') || '<none>' },
    { header: 'AGE', get: (r) => age(r.createdTime) },
  ],
  disk: [
    { header: 'ID', get: (r) => r.id },
    { header: 'NAME', get: (r) => r.name },
    { header: 'ZONE', get: (r) => r.zone },
    { header: 'TYPE', get: (r) => r.type },
    { header: 'SIZE', get: (r) => `${r.sizeGiB}GiB` },
    { header: 'STATE', get: (r) => r.state },
    { header: 'ATTACHED-TO', get: (r) => r.attachedTo ? `${r.attachedTo.cluster ? `${r.attachedTo.cluster}/` : ''}${r.attachedTo.node}` : '<none>' },
    { header: 'AGE', get: (r) => age(r.createdTime) },
  ],
  loadbalancer: [
    { header: 'ID', get: (r) => r.id },
    { header: 'NAME', get: (r) => r.name },
    { header: 'PRODUCT', get: (r) => r.product },
    { header: 'SCHEME', get: (r) => r.scheme },
    { header: 'ADDRESS', get: (r) => r.address },
    { header: 'SERVICE', get: (r) => `${r.cluster}/${r.service}` },
    { header: 'AGE', get: (r) => age(r.createdTime) },
  ],
  quota: [
    { header: 'NAME', get: (r) => r.name },
    { header: 'SCOPE', get: (r) => r.cluster ? `cluster ${r.cluster}` : r.scope },
    { header: 'LIMIT', get: (r) => r.limit },
    { header: 'DEFAULT', get: (r) => r.default },
    { header: 'USED', get: (r) => r.used ?? '-' },
  ],
};

/** Rows as a table with left-aligned, space-padded columns (kubectl style). */
export function formatTable(columns: Column[], rows: unknown[]): string {
  const cells = rows.map((r) => columns.map((c) => {
    const v = c.get(r);
    return v === undefined || v === null || v === '' ? '<none>' : String(v);
  }));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i].length)));
  const line = (vals: string[]) => vals.map((v, i) => (i === vals.length - 1 ? v : v.padEnd(widths[i] + 3))).join('');
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}
