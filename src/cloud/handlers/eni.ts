// REST handlers for ENIs: read-only, since pods get theirs through the Kubernetes side.
import { items, q, type RouteDef } from './params.js';

export const eniRoutes: RouteDef[] = [
  {
    method: 'GET', path: '/enis',
    handle: ({ cloud, query }) => items(cloud.enis.list({
      subnetId: q(query, 'subnetId'), cluster: q(query, 'cluster'), namespace: q(query, 'namespace'), node: q(query, 'node'),
    })),
  },
  { method: 'GET', path: '/enis/:id', handle: ({ cloud, params }) => cloud.enis.get(params.id) },
];
