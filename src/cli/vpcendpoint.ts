// `nodeless cloud vpce create|list|get|delete`: AWS VPC endpoints (docs/aws/private-subnets.md), e.g.
// the ecr.api and ecr.dkr Interface endpoints and the S3 Gateway endpoint of a private node group.
import type { Command } from 'commander';
import { api, leaf, showDone, showList, showOne } from './common.js';

const ids = (v: string | undefined) => (v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean));

export function registerVpcEndpointCommands(cloud: Command): void {
  const vpce = cloud.command('vpce').alias('vpcendpoint').description('AWS VPC endpoints: AWS services reached from inside a VPC');
  leaf(vpce, 'list', 'list VPC endpoints', async (o) => {
    showList(o, 'vpcendpoint', (await api(o, 'GET', `/vpcendpoints${o.vpc ? `?vpcId=${encodeURIComponent(o.vpc)}` : ''}`)).items);
  }).option('--vpc <id>', 'only endpoints of this VPC').alias('ls');
  leaf(vpce, 'get <id>', 'show one VPC endpoint', async (o, id) => showOne(o, 'vpcendpoint', await api(o, 'GET', `/vpcendpoints/${encodeURIComponent(id)}`)));
  leaf(vpce, 'create', 'create a VPC endpoint; prints its id', async (o) => {
    const res = await api(o, 'POST', '/vpcendpoints', {
      vpcId: o.vpc, serviceName: o.service, type: o.type, subnetIds: ids(o.subnets), routeTableIds: ids(o.routeTables),
      ...(o.privateDns === false ? { privateDnsEnabled: false } : {}),
    });
    showDone(o, res, res.id);
  }).requiredOption('--vpc <id>', 'VPC id').requiredOption('--service <name>', 'service name, e.g. com.amazonaws.us-east-1.ecr.dkr')
    .option('--type <type>', 'Interface or Gateway (EC2\'s default: Gateway)')
    .option('--subnets <ids>', 'Interface: comma-separated subnets, one per Availability Zone')
    .option('--route-tables <ids>', 'Gateway: comma-separated route tables')
    .option('--no-private-dns', 'Interface: do not give the service\'s DNS name to the endpoint inside the VPC');
  leaf(vpce, 'delete <id>', 'delete a VPC endpoint', async (o, id) => {
    const res = await api(o, 'DELETE', `/vpcendpoints/${encodeURIComponent(id)}`);
    showDone(o, res, `${id} deleted`);
  }).alias('rm');
}
