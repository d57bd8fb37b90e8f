// REST handlers for cluster records (by id or name).
import type { EndpointAccess } from '../types.js';
import type { CloudName } from '../storage.js';
import { items, type RouteDef } from './params.js';

export const clusterRoutes: RouteDef[] = [
  { method: 'GET', path: '/clusters', handle: ({ cloud }) => items(cloud.clusters.list()) },
  {
    method: 'POST', path: '/clusters', status: 201,
    handle: ({ cloud, body }) => cloud.createCluster({
      name: body.str('name'),
      vpcId: body.str('vpcId', true),
      subnetIds: body.strList('subnetIds'),
      endpointAccess: body.object<Partial<EndpointAccess>>('endpointAccess'),
      cloud: body.str('cloud', true) as CloudName | undefined,
    }),
  },
  { method: 'GET', path: '/clusters/:id', handle: ({ cloud, params }) => cloud.clusters.get(params.id) },
  {
    method: 'PATCH', path: '/clusters/:id',
    handle: ({ cloud, params, body }) => cloud.clusters.update(params.id, {
      endpointAccess: body.object<Partial<EndpointAccess>>('endpointAccess'), subnetIds: body.strList('subnetIds'),
    }),
  },
  { method: 'DELETE', path: '/clusters/:id', handle: ({ cloud, params }) => cloud.clusters.delete(params.id) },
];
