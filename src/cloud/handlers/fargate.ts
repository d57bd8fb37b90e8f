// REST handlers for EKS Fargate profiles (docs/aws/fargate.md), by name (and cluster when ambiguous).
import { items, q, type RouteDef } from './params.js';

export const fargateRoutes: RouteDef[] = [
  {
    method: 'GET', path: '/fargateprofiles',
    handle: ({ cloud, query }) => {
      const cluster = q(query, 'cluster');
      return items(cloud.fargate.list({ cluster }).map((p) => ({
        ...p, pods: cloud.fargate.nodes(p.clusterName).filter((n) => n.fargate!.profile === p.name).map((n) => ({ node: n.name, zone: n.zone, subnetId: n.subnetId, ...n.fargate })),
      })));
    },
  },
  {
    method: 'POST', path: '/fargateprofiles', status: 201,
    handle: ({ cloud, body }) => cloud.fargate.create({
      cluster: body.str('cluster'), name: body.str('name'), podExecutionRoleArn: body.str('podExecutionRoleArn', true),
      subnetIds: body.strList('subnetIds'), selectors: body.raw('selectors'),
    }),
  },
  { method: 'GET', path: '/fargateprofiles/:name', handle: ({ cloud, params, query }) => cloud.fargate.get(params.name, q(query, 'cluster')) },
  { method: 'DELETE', path: '/fargateprofiles/:name', handle: ({ cloud, params, query }) => cloud.fargate.delete(params.name, q(query, 'cluster')) },
];
