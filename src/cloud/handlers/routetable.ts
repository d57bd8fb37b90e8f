// REST handlers for route tables, their routes and subnet associations.
import { MissingParameter } from '../errors.js';
import type { NextHopType } from '../types.js';
import { items, q, type RouteDef } from './params.js';

export const routeTableRoutes: RouteDef[] = [
  { method: 'GET', path: '/routetables', handle: ({ cloud, query }) => items(cloud.routeTables.list({ vpcId: q(query, 'vpcId') })) },
  {
    method: 'POST', path: '/routetables', status: 201,
    handle: ({ cloud, body }) => cloud.routeTables.create({ vpcId: body.str('vpcId'), name: body.str('name', true) }),
  },
  { method: 'GET', path: '/routetables/:id', handle: ({ cloud, params }) => cloud.routeTables.get(params.id) },
  { method: 'DELETE', path: '/routetables/:id', handle: ({ cloud, params }) => cloud.routeTables.delete(params.id) },
  {
    method: 'POST', path: '/routetables/:id/routes', status: 201,
    handle: ({ cloud, params, body }) => cloud.routeTables.addRoute(params.id, {
      destinationCidr: body.str('destinationCidr'),
      nextHopType: body.str('nextHopType') as NextHopType,
      nextHopId: body.str('nextHopId'),
      description: body.str('description', true),
    }),
  },
  {
    method: 'DELETE', path: '/routetables/:id/routes',
    handle: ({ cloud, params, query }) => {
      const dest = q(query, 'destinationCidr');
      if (!dest) throw new MissingParameter('destinationCidr');
      return cloud.routeTables.deleteRoute(params.id, dest);
    },
  },
  {
    method: 'POST', path: '/routetables/:id/associate',
    handle: ({ cloud, params, body }) => cloud.routeTables.associate(params.id, body.str('subnetId')),
  },
];
