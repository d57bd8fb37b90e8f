// REST handlers for VPCs.
import { items, type RouteDef } from './params.js';
import type { CloudName } from '../storage.js';

export const vpcRoutes: RouteDef[] = [
  { method: 'GET', path: '/vpcs', handle: ({ cloud }) => items(cloud.vpcs.list()) },
  {
    method: 'POST', path: '/vpcs', status: 201,
    handle: ({ cloud, body }) => cloud.vpcs.create({
      cidr: body.str('cidr'),
      name: body.str('name', true),
      tags: body.object('tags'),
      enableDnsSupport: body.bool('enableDnsSupport'),
      enableDnsHostnames: body.bool('enableDnsHostnames'),
      cloud: body.str('cloud', true) as CloudName | undefined,
    }),
  },
  { method: 'GET', path: '/vpcs/:id', handle: ({ cloud, params }) => cloud.vpcs.get(params.id) },
  {
    method: 'PATCH', path: '/vpcs/:id',
    handle: ({ cloud, params, body }) => cloud.vpcs.update(params.id, {
      name: body.str('name', true),
      tags: body.object('tags'),
      enableDnsSupport: body.bool('enableDnsSupport'),
      enableDnsHostnames: body.bool('enableDnsHostnames'),
    }),
  },
  { method: 'DELETE', path: '/vpcs/:id', handle: ({ cloud, params }) => cloud.vpcs.delete(params.id) },
];
