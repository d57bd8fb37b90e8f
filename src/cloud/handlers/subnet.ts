// REST handlers for subnets.
import { items, q, type RouteDef } from './params.js';

export const subnetRoutes: RouteDef[] = [
  {
    method: 'GET', path: '/subnets',
    handle: ({ cloud, query }) => items(cloud.subnets.list({ vpcId: q(query, 'vpcId'), zone: q(query, 'zone') })),
  },
  {
    method: 'POST', path: '/subnets', status: 201,
    handle: ({ cloud, body }) => cloud.subnets.create({
      vpcId: body.str('vpcId'),
      zone: body.str('zone'),
      cidr: body.str('cidr'),
      name: body.str('name', true),
      tags: body.object('tags'),
    }),
  },
  { method: 'GET', path: '/subnets/:id', handle: ({ cloud, params }) => cloud.subnets.get(params.id) },
  {
    method: 'PATCH', path: '/subnets/:id',
    handle: ({ cloud, params, body }) => cloud.subnets.update(params.id, { name: body.str('name', true), tags: body.object('tags') }),
  },
  { method: 'DELETE', path: '/subnets/:id', handle: ({ cloud, params }) => cloud.subnets.delete(params.id) },
];
