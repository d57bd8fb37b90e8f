// GET /cloud/v1/natload[?vpcId=] and /cloud/v1/natload/:id — each NAT
// gateway's bandwidth cap, the modelled demand of the running pods behind it,
// utilisation and whether it is saturated (`nodeless net load`).
import { natLoad, natLoads } from '../natload.js';
import { items, q, type RouteDef } from './params.js';

export const natLoadRoutes: RouteDef[] = [
  { method: 'GET', path: '/natload', handle: ({ cloud, query }) => items(natLoads(cloud, { vpcId: q(query, 'vpcId') })) },
  { method: 'GET', path: '/natload/:id', handle: ({ cloud, params }) => natLoad(cloud, params.id) },
];
