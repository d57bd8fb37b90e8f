// `nodeless cloud <kind> <verb>`: the emulated cloud's resources from the
// command line, through the running server's REST API (/cloud/v1). Human
// tables by default, `-o json|yaml` for scripts; a failure prints the cloud
// error as `Code: message` on one line and exits non-zero.
import type { Command } from 'commander';
import { api, CloudCliError, leaf, showDone, showList, showOne } from './common.js';
import { registerFileSystemCommands } from './filesystem.js';
import { registerVpcEndpointCommands } from './vpcendpoint.js';

const int = (v: string) => {
  if (!/^-?\d+$/.test(v)) throw new CloudCliError('InvalidParameter', `${v} is not an integer`);
  return Number(v);
};
const collect = (v: string, prev: string[] = []) => [...prev, v];

/** list / get / delete for a kind served at `path`; `filters` maps CLI options to query parameters. */
function crud(kindCmd: Command, kind: string, path: string, filters: Record<string, [string, string]> = {}, del = true): void {
  const list = leaf(kindCmd, 'list', `list ${kind} resources`, async (o) => {
    const qs = new URLSearchParams();
    for (const [opt, [param]] of Object.entries(filters)) if (o[opt]) qs.set(param, o[opt]);
    const res = await api(o, 'GET', `${path}${qs.size ? `?${qs}` : ''}`);
    showList(o, kind, res.items);
  }).alias('ls');
  for (const [opt, [, help]] of Object.entries(filters)) list.option(`--${opt} <value>`, help);
  leaf(kindCmd, 'get <id>', `show one ${kind}`, async (o, id) => showOne(o, kind, await api(o, 'GET', `${path}/${encodeURIComponent(id)}`)));
  if (del) {
    leaf(kindCmd, 'delete <id>', `delete a ${kind}`, async (o, id) => {
      const res = await api(o, 'DELETE', `${path}/${encodeURIComponent(id)}`);
      showDone(o, res, `${id} deleted`);
    }).alias('rm');
  }
}

export function registerCloudCommands(program: Command): void {
  const cloud = program.command('cloud').description('the emulated cloud: VPCs, subnets, route tables, NAT, EIPs, security groups, ENIs, disks, quotas');

  const region = cloud.command('region').description('regions and zones');
  leaf(region, 'list', 'list regions and their zones', async (o) => showList(o, 'region', (await api(o, 'GET', '/regions')).items)).alias('ls');

  const vpc = cloud.command('vpc').description('virtual private clouds');
  crud(vpc, 'vpc', '/vpcs');
  leaf(vpc, 'create', 'create a VPC; prints its id', async (o) => {
    const res = await api(o, 'POST', '/vpcs', { cidr: o.cidr, name: o.name, enableDnsHostnames: o.dnsHostnames, enableDnsSupport: o.dnsSupport, cloud: o.cloud });
    showDone(o, res, res.id);
  }).requiredOption('--cidr <cidr>', 'private IPv4 block, e.g. 172.16.0.0/16').option('--name <name>', 'name')
    .option('--cloud <cloud>', 'tencent (default), alibaba or aws: the region, zones and id style of the VPC').option('--dns-hostnames', 'enable DNS hostnames').option('--no-dns-support', 'disable DNS resolution in the VPC');

  // EC2 ModifyVpcAttribute: DNS resolution and DNS hostnames (an EKS private endpoint needs both; docs/aws/endpoint-access.md).
  leaf(vpc, 'modify-attribute <id>', 'turn DNS support or DNS hostnames on or off', async (o, id) => {
    const flag = (name: string, v: string | undefined) => {
      if (v === undefined) return undefined;
      if (v !== 'true' && v !== 'false') throw new CloudCliError('InvalidParameterValue', `${name} must be true or false, got "${v}"`);
      return v === 'true';
    };
    const body = { enableDnsSupport: flag('--enable-dns-support', o.enableDnsSupport), enableDnsHostnames: flag('--enable-dns-hostnames', o.enableDnsHostnames) };
    if (body.enableDnsSupport === undefined && body.enableDnsHostnames === undefined) throw new CloudCliError('MissingParameter', 'give --enable-dns-support or --enable-dns-hostnames');
    const res = await api(o, 'PATCH', `/vpcs/${encodeURIComponent(id)}`, body);
    showDone(o, res, `${id}: enableDnsSupport ${res.enableDnsSupport}, enableDnsHostnames ${res.enableDnsHostnames}`);
  }).option('--enable-dns-support <bool>', 'true or false').option('--enable-dns-hostnames <bool>', 'true or false');

  const subnet = cloud.command('subnet').description('subnets (pods take their IPs from them)');
  crud(subnet, 'subnet', '/subnets', { vpc: ['vpcId', 'only subnets of this VPC'], zone: ['zone', 'only subnets in this zone'] });
  leaf(subnet, 'create', 'create a subnet; prints its id', async (o) => {
    const res = await api(o, 'POST', '/subnets', { vpcId: o.vpc, zone: o.zone, cidr: o.cidr, name: o.name });
    showDone(o, res, res.id);
  }).requiredOption('--vpc <id>', 'VPC id').requiredOption('--zone <zone>', 'zone, e.g. ap-guangzhou-3')
    .requiredOption('--cidr <cidr>', 'block inside the VPC, e.g. 10.0.4.0/24').option('--name <name>', 'name');

  const rtb = cloud.command('rtb').alias('routetable').description('route tables');
  crud(rtb, 'routetable', '/routetables', { vpc: ['vpcId', 'only tables of this VPC'] });
  leaf(rtb, 'create', 'create a route table; prints its id', async (o) => {
    const res = await api(o, 'POST', '/routetables', { vpcId: o.vpc, name: o.name });
    showDone(o, res, res.id);
  }).requiredOption('--vpc <id>', 'VPC id').option('--name <name>', 'name');
  leaf(rtb, 'add-route <id>', 'add a route, e.g. --destination 0.0.0.0/0 --next-hop-type nat --next-hop nat-…', async (o, id) => {
    const res = await api(o, 'POST', `/routetables/${encodeURIComponent(id)}/routes`, { destinationCidr: o.destination, nextHopType: o.nextHopType, nextHopId: o.nextHop });
    showDone(o, res, `${o.destination} -> ${o.nextHop} added to ${id}`);
  }).requiredOption('--destination <cidr>', 'destination CIDR').option('--next-hop-type <type>', 'nat, eip, peering, vpn, ccn, cvm, havip or igw (AWS)', 'nat')
    .requiredOption('--next-hop <id>', 'next hop id');
  leaf(rtb, 'delete-route <id>', 'delete the route to a destination', async (o, id) => {
    const res = await api(o, 'DELETE', `/routetables/${encodeURIComponent(id)}/routes?destinationCidr=${encodeURIComponent(o.destination)}`);
    showDone(o, res, `route to ${o.destination} deleted from ${id}`);
  }).requiredOption('--destination <cidr>', 'destination CIDR');
  leaf(rtb, 'associate <id>', 'associate a subnet with this route table', async (o, id) => {
    const res = await api(o, 'POST', `/routetables/${encodeURIComponent(id)}/associate`, { subnetId: o.subnet });
    showDone(o, res, `${o.subnet} associated with ${id}`);
  }).requiredOption('--subnet <id>', 'subnet id');

  registerVpcEndpointCommands(cloud);

  const nat = cloud.command('nat').alias('natgateway').description('NAT gateways');
  crud(nat, 'natgateway', '/natgateways', { vpc: ['vpcId', 'only gateways of this VPC'] });
  leaf(nat, 'create', 'create a NAT gateway; prints its id', async (o) => {
    const res = await api(o, 'POST', '/natgateways', {
      vpcId: o.vpc, name: o.name, eipIds: o.eip, eipCount: o.eipCount === undefined ? undefined : int(o.eipCount),
      bandwidthMbps: o.bandwidth === undefined ? undefined : int(o.bandwidth),
    });
    showDone(o, res, res.id);
  }).requiredOption('--vpc <id>', 'VPC id').option('--name <name>', 'name').option('--eip <id>', 'existing EIP to use (repeatable)', collect)
    .option('--eip-count <n>', 'new EIPs to allocate when no --eip is given (default 1)').option('--bandwidth <mbps>', 'bandwidth cap in Mbit/s shared by all pods behind it (default 200)');
  leaf(nat, 'set-bandwidth <id> <mbps>', 'change the shared bandwidth cap of a NAT gateway (Mbit/s)', async (o, id, mbps) => {
    const res = await api(o, 'PATCH', `/natgateways/${encodeURIComponent(id)}`, { bandwidthMbps: int(mbps) });
    showDone(o, res, `${id} bandwidth ${res.bandwidthMbps}Mbps`);
  });

  const eip = cloud.command('eip').description('elastic public IPs');
  crud(eip, 'eip', '/eips', { status: ['status', 'BIND or UNBIND'] }, false);
  leaf(eip, 'allocate', 'allocate an EIP; prints its id', async (o) => {
    const res = await api(o, 'POST', '/eips', {
      bandwidthMbps: o.bandwidth === undefined ? undefined : int(o.bandwidth), internetChargeType: o.chargeType, name: o.name, description: o.description, isp: o.isp,
      resourceGroupId: o.resourceGroup,
    });
    showDone(o, res, res.id);
  }).option('--bandwidth <mbps>', 'bandwidth in Mbit/s').option('--charge-type <type>', 'internet charge type: TRAFFIC_POSTPAID_BY_HOUR (default), BANDWIDTH_POSTPAID_BY_HOUR…, or Alibaba\'s PayByTraffic, PayByBandwidth')
    .option('--name <name>', 'name').option('--description <text>', 'description').option('--isp <isp>', 'BGP (default), BGP_PRO, CMCC, CUCC, CTCC')
    .option('--resource-group <id>', 'Alibaba resource group (rg-…; default: the account\'s default group)');
  leaf(eip, 'associate <id>', 'bind an EIP to an ENI (pod) or a NAT gateway', async (o, id) => {
    const res = await api(o, 'POST', `/eips/${encodeURIComponent(id)}/associate`, { eniId: o.eni, natId: o.nat });
    showDone(o, res, `${id} (${res.address}) associated with ${o.eni ?? o.nat}`);
  }).option('--eni <id>', 'ENI id').option('--nat <id>', 'NAT gateway id');
  leaf(eip, 'disassociate <id>', 'unbind an EIP', async (o, id) => {
    const res = await api(o, 'POST', `/eips/${encodeURIComponent(id)}/disassociate`);
    showDone(o, res, `${id} (${res.address}) disassociated`);
  });
  leaf(eip, 'release <id>', 'release an unbound EIP', async (o, id) => {
    const res = await api(o, 'DELETE', `/eips/${encodeURIComponent(id)}`);
    showDone(o, res, `${id} (${res.address}) released`);
  });

  const sg = cloud.command('sg').alias('securitygroup').description('security groups');
  crud(sg, 'securitygroup', '/securitygroups');
  leaf(sg, 'create', 'create a security group; prints its id', async (o) => {
    const res = await api(o, 'POST', '/securitygroups', { name: o.name, description: o.description });
    showDone(o, res, res.id);
  }).requiredOption('--name <name>', 'name').option('--description <text>', 'description');
  leaf(sg, 'add-rule <id>', 'add a rule, e.g. --direction ingress --protocol tcp --port 80 --cidr 0.0.0.0/0', async (o, id) => {
    const res = await api(o, 'POST', `/securitygroups/${encodeURIComponent(id)}/rules`, {
      direction: o.direction, protocol: o.protocol, port: o.port, cidr: o.cidr, sgId: o.sg, action: o.action,
      description: o.description, index: o.index === undefined ? undefined : int(o.index),
    });
    showDone(o, res, `${o.direction} rule added to ${id}`);
  }).option('--direction <dir>', 'ingress or egress', 'ingress').option('--protocol <p>', 'tcp, udp, icmp or all', 'all')
    .option('--port <ports>', 'ALL, 80, 8000-9000 or 80,443', 'ALL').option('--cidr <cidr>', 'peer CIDR').option('--sg <id>', 'peer security group')
    .option('--action <a>', 'ACCEPT or DROP', 'ACCEPT').option('--description <text>', 'description').option('--index <n>', 'position to insert at');
  leaf(sg, 'delete-rule <id>', 'delete the rule at --index of --direction', async (o, id) => {
    const res = await api(o, 'DELETE', `/securitygroups/${encodeURIComponent(id)}/rules?direction=${encodeURIComponent(o.direction)}&index=${encodeURIComponent(o.index)}`);
    showDone(o, res, `${o.direction} rule #${o.index} deleted from ${id}`);
  }).option('--direction <dir>', 'ingress or egress', 'ingress').requiredOption('--index <n>', 'rule position (0-based)');

  const eni = cloud.command('eni').description('elastic network interfaces (one per pod)');
  crud(eni, 'eni', '/enis', { subnet: ['subnetId', 'only ENIs of this subnet'], cluster: ['cluster', 'only this cluster'], namespace: ['namespace', 'only this namespace'] }, false);

  const cluster = cloud.command('cluster').description('cluster records of the cloud (create clusters with `nodeless cluster create`)');
  crud(cluster, 'cluster', '/clusters', {}, false);

  registerFileSystemCommands(cloud);

  const lb = cloud.command('lb').alias('loadbalancer').description('load balancers (CLB/SLB/NLB) of Services of type LoadBalancer');
  crud(lb, 'loadbalancer', '/loadbalancers', { cluster: ['cluster', 'only load balancers of this cluster'] }, false);
  const disk = cloud.command('disk').description('cloud disks (CBS): the volumes of PersistentVolumes, one zone each');
  crud(disk, 'disk', '/disks', { zone: ['zone', 'only disks in this zone'], state: ['state', 'ATTACHED or UNATTACHED'], cluster: ['cluster', 'only disks of this cluster'] });
  leaf(disk, 'create', 'create a disk; prints its id', async (o) => {
    const res = await api(o, 'POST', '/disks', { zone: o.zone, sizeGiB: int(o.size), type: o.type, name: o.name });
    showDone(o, res, res.id);
  }).requiredOption('--zone <zone>', 'zone, e.g. ap-guangzhou-3').requiredOption('--size <GiB>', 'size in GiB')
    .option('--type <type>', 'CLOUD_PREMIUM (default), CLOUD_SSD, CLOUD_BASIC; cloud_essd…; gp3…').option('--name <name>', 'name');
  leaf(disk, 'resize <id> <GiB>', 'grow a disk to GiB', async (o, id, size) => {
    const res = await api(o, 'POST', `/disks/${encodeURIComponent(id)}/resize`, { sizeGiB: int(size) });
    showDone(o, res, `${id} ${res.sizeGiB}GiB`);
  });

  const quota = cloud.command('quota').description('quotas; `set` is the emulated support ticket');
  leaf(quota, 'list', 'list quotas with their limits and usage', async (o) => {
    showList(o, 'quota', (await api(o, 'GET', `/quotas${o.cluster ? `?cluster=${encodeURIComponent(o.cluster)}` : ''}`)).items);
  }).alias('ls').option('--cluster <name>', 'show per-cluster quotas of this cluster');
  leaf(quota, 'set <name> <value>', 'set a quota, e.g. quota set pods-per-cluster 500 --cluster default', async (o, name, value) => {
    const res = await api(o, 'PUT', `/quotas/${encodeURIComponent(name)}`, { value: int(value), cluster: o.cluster });
    showDone(o, res, `${name} = ${res.limit}${res.cluster ? ` for cluster ${res.cluster}` : ''}`);
  }).option('--cluster <name>', 'cluster (for pods-per-cluster)');
}
