// REST handlers for EKS managed node groups (docs/aws.md), by name (and cluster when ambiguous).
import { items, q, type RouteDef } from './params.js';

export const nodeGroupRoutes: RouteDef[] = [
  {
    method: 'GET', path: '/nodegroups',
    handle: ({ cloud, query }) => items(cloud.nodeGroups.list({ cluster: q(query, 'cluster') }).map((g) => ({ ...g, instances: cloud.nodeGroups.instances(g).map((n) => ({ name: n.name, zone: n.zone, ...n.instance })) }))),
  },
  {
    method: 'POST', path: '/nodegroups', status: 201,
    handle: ({ cloud, body }) => cloud.nodeGroups.create({
      cluster: body.str('cluster'), name: body.str('name'), instanceType: body.str('instanceType'),
      subnetIds: body.strList('subnetIds') ?? [], desiredSize: body.int('desiredSize') as number,
      minSize: body.int('minSize'), maxSize: body.int('maxSize'),
      labels: body.object('labels'), taints: body.raw('taints') as never,
    }),
  },
  { method: 'GET', path: '/nodegroups/:name', handle: ({ cloud, params, query }) => cloud.nodeGroups.get(params.name, q(query, 'cluster')) },
  {
    method: 'PATCH', path: '/nodegroups/:name',
    handle: ({ cloud, params, body, query }) => cloud.nodeGroups.scale(params.name, {
      cluster: q(query, 'cluster'), desiredSize: body.int('desiredSize') as number, minSize: body.int('minSize'), maxSize: body.int('maxSize'),
    }),
  },
  { method: 'DELETE', path: '/nodegroups/:name', handle: ({ cloud, params, query }) => cloud.nodeGroups.delete(params.name, q(query, 'cluster')) },
];
