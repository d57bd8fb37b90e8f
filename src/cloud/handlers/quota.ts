// REST handlers for quotas: list with usage, and the "support ticket" that sets one.
import { MissingParameter } from '../errors.js';
import { items, q, type RouteDef } from './params.js';

export const quotaRoutes: RouteDef[] = [
  { method: 'GET', path: '/quotas', handle: ({ cloud, query }) => items(cloud.quotas.list({ cluster: q(query, 'cluster') })) },
  {
    method: 'PUT', path: '/quotas/:name',
    handle: ({ cloud, params, body }) => {
      const value = body.int('value');
      if (value === undefined) throw new MissingParameter('value');
      return cloud.quotas.set(params.name, value, { cluster: body.str('cluster', true) });
    },
  },
];
