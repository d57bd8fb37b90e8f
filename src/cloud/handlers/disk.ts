// REST handlers for cloud disks: create, list, resize, attach, detach, delete (docs/storage.md).
import { items, q, type RouteDef } from './params.js';

export const diskRoutes: RouteDef[] = [
  {
    method: 'GET', path: '/disks',
    handle: ({ cloud, query }) => items(cloud.disks.list({ zone: q(query, 'zone'), state: q(query, 'state'), cluster: q(query, 'cluster') })),
  },
  {
    method: 'POST', path: '/disks', status: 201,
    handle: ({ cloud, body }) => cloud.disks.create({
      zone: body.str('zone'),
      sizeGiB: body.int('sizeGiB') as number,
      type: body.str('type', true),
      name: body.str('name', true),
      chargeType: body.str('chargeType', true),
      tags: body.object<Record<string, string>>('tags'),
    }),
  },
  { method: 'GET', path: '/disks/:id', handle: ({ cloud, params }) => cloud.disks.get(params.id) },
  { method: 'POST', path: '/disks/:id/resize', handle: ({ cloud, params, body }) => cloud.disks.resize(params.id, body.int('sizeGiB') as number) },
  {
    method: 'POST', path: '/disks/:id/attach',
    handle: ({ cloud, params, body }) => cloud.disks.attach(params.id, { node: body.str('node'), cluster: body.str('cluster', true), zone: body.str('zone') }),
  },
  { method: 'POST', path: '/disks/:id/detach', handle: ({ cloud, params }) => cloud.disks.detach(params.id) },
  { method: 'DELETE', path: '/disks/:id', handle: ({ cloud, params }) => cloud.disks.delete(params.id) },
];
