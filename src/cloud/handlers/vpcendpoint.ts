// REST handlers for AWS VPC endpoints (docs/aws/private-subnets.md).
import { items, q, type RouteDef } from './params.js';

export const vpcEndpointRoutes: RouteDef[] = [
  { method: 'GET', path: '/vpcendpoints', handle: ({ cloud, query }) => items(cloud.vpcEndpoints.list({ vpcId: q(query, 'vpcId') })) },
  {
    method: 'POST', path: '/vpcendpoints', status: 201,
    handle: ({ cloud, body }) => cloud.vpcEndpoints.create({
      vpcId: body.str('vpcId'), serviceName: body.str('serviceName'), type: body.str('type', true),
      subnetIds: body.strList('subnetIds'), routeTableIds: body.strList('routeTableIds'), privateDnsEnabled: body.bool('privateDnsEnabled'),
    }),
  },
  { method: 'GET', path: '/vpcendpoints/:id', handle: ({ cloud, params }) => cloud.vpcEndpoints.get(params.id) },
  { method: 'DELETE', path: '/vpcendpoints/:id', handle: ({ cloud, params }) => cloud.vpcEndpoints.delete(params.id) },
];
