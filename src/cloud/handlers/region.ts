// REST handlers for regions and zones.
import { items, type RouteDef } from './params.js';

export const regionRoutes: RouteDef[] = [
  { method: 'GET', path: '/regions', handle: ({ cloud }) => items(cloud.regions.list()) },
];
