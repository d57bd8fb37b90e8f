// REST handlers for file systems (CFS) and self-managed NFS servers: one
// collection, told apart by `type` (cfs | nfs) and by their id prefixes.
import { items, q, type RouteDef } from './params.js';

export const fileSystemRoutes: RouteDef[] = [
  {
    method: 'GET', path: '/filesystems',
    handle: ({ cloud, query }) => items(cloud.fileSystems.list({ type: q(query, 'type'), vpcId: q(query, 'vpcId') })),
  },
  {
    method: 'POST', path: '/filesystems', status: 201,
    handle: ({ cloud, body }) => cloud.fileSystems.create({
      type: body.str('type'),
      vpcId: body.str('vpcId', true),
      subnetId: body.str('subnetId', true),
      address: body.str('address', true),
      name: body.str('name', true),
      exports: body.strList('exports'),
    }),
  },
  { method: 'GET', path: '/filesystems/:id', handle: ({ cloud, params }) => cloud.fileSystems.get(params.id) },
  {
    method: 'PATCH', path: '/filesystems/:id',
    handle: ({ cloud, params, body }) => cloud.fileSystems.update(params.id, { name: body.str('name', true), exports: body.strList('exports') }),
  },
  { method: 'DELETE', path: '/filesystems/:id', handle: ({ cloud, params }) => cloud.fileSystems.delete(params.id) },
];
