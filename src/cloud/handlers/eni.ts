// REST handlers for ENIs: read-only, since pods get theirs through the Kubernetes side.
import { CloudError } from '../errors.js';
import { items, q, type RouteDef } from './params.js';

export const eniRoutes: RouteDef[] = [
  {
    method: 'GET', path: '/enis',
    handle: ({ cloud, query }) => items(cloud.enis.list({
      subnetId: q(query, 'subnetId'), cluster: q(query, 'cluster'), namespace: q(query, 'namespace'), node: q(query, 'node'),
    })),
  },
  { method: 'GET', path: '/enis/:id', handle: ({ cloud, params }) => cloud.enis.get(params.id) },
  {
    // The VPC CNI's view of one AWS node (its ipamd introspection, docs/aws/vpc-cni.md).
    method: 'GET', path: '/ipamd/:node',
    handle: ({ cloud, params }) => {
      const view = cloud.ipamd.get(params.node);
      if (!view) throw new CloudError('ResourceNotFound', `no ipamd runs on node ${params.node}: only the instances of an AWS node group run the VPC CNI`, 404);
      return view();
    },
  },
];
