// REST handlers for elastic IPs: allocate, associate, disassociate, release.
import { items, q, type RouteDef } from './params.js';

export const eipRoutes: RouteDef[] = [
  { method: 'GET', path: '/eips', handle: ({ cloud, query }) => items(cloud.eips.list({ status: q(query, 'status') })) },
  {
    method: 'POST', path: '/eips', status: 201,
    handle: ({ cloud, body }) => cloud.eips.allocate({
      bandwidthMbps: body.int('bandwidthMbps'),
      internetChargeType: body.str('internetChargeType', true),
      instanceChargeType: body.str('instanceChargeType', true),
      name: body.str('name', true),
      description: body.str('description', true),
      isp: body.str('isp', true),
      resourceGroupId: body.str('resourceGroupId', true),
    }),
  },
  { method: 'GET', path: '/eips/:id', handle: ({ cloud, params }) => cloud.eips.get(params.id) },
  {
    method: 'PATCH', path: '/eips/:id',
    handle: ({ cloud, params, body }) => cloud.eips.update(params.id, {
      name: body.str('name', true), description: body.str('description', true), bandwidthMbps: body.int('bandwidthMbps'),
    }),
  },
  { method: 'DELETE', path: '/eips/:id', handle: ({ cloud, params }) => cloud.eips.release(params.id) },
  {
    method: 'POST', path: '/eips/:id/associate',
    handle: ({ cloud, params, body }) => cloud.eips.associate(params.id, { eniId: body.str('eniId', true), natId: body.str('natId', true) }),
  },
  { method: 'POST', path: '/eips/:id/disassociate', handle: ({ cloud, params }) => cloud.eips.disassociate(params.id) },
];
