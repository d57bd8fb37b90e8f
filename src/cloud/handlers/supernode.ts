// REST handlers for super node records; drain only marks the node, the
// Kubernetes side evicts its pods.
import { items, q, type RouteDef } from './params.js';

export const superNodeRoutes: RouteDef[] = [
  { method: 'GET', path: '/supernodes', handle: ({ cloud, query }) => items(cloud.superNodes.list({ cluster: q(query, 'cluster') })) },
  {
    method: 'POST', path: '/supernodes', status: 201,
    handle: ({ cloud, body }) => cloud.superNodes.create({
      clusterName: body.str('clusterName'), subnetId: body.str('subnetId'), name: body.str('name', true),
    }),
  },
  { method: 'GET', path: '/supernodes/:id', handle: ({ cloud, params }) => cloud.superNodes.get(params.id) },
  { method: 'DELETE', path: '/supernodes/:id', handle: ({ cloud, params }) => cloud.superNodes.delete(params.id) },
  { method: 'POST', path: '/supernodes/:id/drain', handle: ({ cloud, params }) => cloud.superNodes.drain(params.id) },
  { method: 'POST', path: '/supernodes/:id/uncordon', handle: ({ cloud, params }) => cloud.superNodes.uncordon(params.id) },
];
