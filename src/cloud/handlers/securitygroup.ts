// REST handlers for security groups and their rules.
import { InvalidParameter, MissingParameter } from '../errors.js';
import type { Direction } from '../models/securitygroup.js';
import type { SgRule } from '../types.js';
import { items, q, type RouteDef } from './params.js';

const RULE_FIELDS = ['protocol', 'port', 'cidr', 'sgId', 'action', 'description'];

export const securityGroupRoutes: RouteDef[] = [
  { method: 'GET', path: '/securitygroups', handle: ({ cloud }) => items(cloud.securityGroups.list()) },
  {
    method: 'POST', path: '/securitygroups', status: 201,
    handle: ({ cloud, body }) => cloud.securityGroups.create({
      name: body.str('name'),
      description: body.str('description', true),
      ingress: body.list<SgRule>('ingress'),
      egress: body.list<SgRule>('egress'),
      tags: body.object('tags'),
    }),
  },
  { method: 'GET', path: '/securitygroups/:id', handle: ({ cloud, params }) => cloud.securityGroups.get(params.id) },
  { method: 'DELETE', path: '/securitygroups/:id', handle: ({ cloud, params }) => cloud.securityGroups.delete(params.id) },
  {
    // Body: one rule plus `direction` and optionally `index` (position to insert at).
    method: 'POST', path: '/securitygroups/:id/rules', status: 201,
    handle: ({ cloud, params, body }) => {
      const rule: Record<string, unknown> = {};
      for (const k of RULE_FIELDS) if (body.has(k)) rule[k] = body.raw(k);
      return cloud.securityGroups.addRule(params.id, body.str('direction') as Direction, rule as unknown as SgRule, body.int('index'));
    },
  },
  {
    method: 'PUT', path: '/securitygroups/:id/rules',
    handle: ({ cloud, params, body }) => cloud.securityGroups.replaceRules(params.id, {
      ingress: body.list<SgRule>('ingress'), egress: body.list<SgRule>('egress'),
    }),
  },
  {
    method: 'DELETE', path: '/securitygroups/:id/rules',
    handle: ({ cloud, params, query }) => {
      const direction = q(query, 'direction');
      const index = q(query, 'index');
      if (!direction) throw new MissingParameter('direction');
      if (index === undefined) throw new MissingParameter('index');
      if (!/^\d+$/.test(index)) throw new InvalidParameter('index must be a non-negative integer');
      return cloud.securityGroups.deleteRule(params.id, direction as Direction, Number(index));
    },
  },
];

