// REST handlers for the load balancers of Services (docs/services.md): list and show. They are made
// and deleted by the cluster's service controller, as the cloud controller manager does.
import { items, q, type RouteDef } from './params.js';

export const loadBalancerRoutes: RouteDef[] = [
  { method: 'GET', path: '/loadbalancers', handle: ({ cloud, query }) => items(cloud.loadBalancers.list({ cluster: q(query, 'cluster') })) },
  { method: 'GET', path: '/loadbalancers/:id', handle: ({ cloud, params }) => cloud.loadBalancers.get(params.id) },
];
