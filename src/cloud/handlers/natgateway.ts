// REST handlers for NAT gateways.
import { items, q, type RouteDef } from './params.js';

export const natGatewayRoutes: RouteDef[] = [
  { method: 'GET', path: '/natgateways', handle: ({ cloud, query }) => items(cloud.natGateways.list({ vpcId: q(query, 'vpcId') })) },
  {
    method: 'POST', path: '/natgateways', status: 201,
    handle: ({ cloud, body }) => cloud.natGateways.create({
      vpcId: body.str('vpcId'),
      name: body.str('name', true),
      eipIds: body.strList('eipIds'),
      eipCount: body.int('eipCount'),
      bandwidthMbps: body.int('bandwidthMbps'),
    }),
  },
  { method: 'GET', path: '/natgateways/:id', handle: ({ cloud, params }) => cloud.natGateways.get(params.id) },
  {
    method: 'PATCH', path: '/natgateways/:id',
    handle: ({ cloud, params, body }) => cloud.natGateways.update(params.id, { name: body.str('name', true), bandwidthMbps: body.int('bandwidthMbps') }),
  },
  { method: 'DELETE', path: '/natgateways/:id', handle: ({ cloud, params }) => cloud.natGateways.delete(params.id) },
];
