// REST handlers for EKS managed node groups (docs/aws.md), by name (and cluster when ambiguous).
import type { Cloud } from '../cloud.js';
import { EKS_REGISTRY } from '../models/vpcendpoint.js';
import type { NodeGroup } from '../types.js';
import { items, q, type RouteDef } from './params.js';

/**
 * EKS's node group status and health: instances that cannot reach ECR (no NAT route, no VPC endpoints)
 * never join, reported as NodeCreationFailure (docs/aws/private-subnets.md). nodeless keeps trying, so
 * the group is DEGRADED rather than CREATE_FAILED, and ACTIVE again once they join.
 */
function withHealth(cloud: Cloud, g: NodeGroup) {
  const stuck = cloud.nodeGroups.instances(g).filter((n) => !cloud.vpcEndpoints.registryPath(n.subnetId, EKS_REGISTRY).ok);
  const issues = stuck.length ? [{ code: 'NodeCreationFailure', message: 'Instances failed to join the kubernetes cluster', resourceIds: stuck.map((n) => n.instance!.instanceId) }] : [];
  return { ...g, status: issues.length ? 'DEGRADED' : 'ACTIVE', health: { issues } };
}

export const nodeGroupRoutes: RouteDef[] = [
  {
    method: 'GET', path: '/nodegroups',
    handle: ({ cloud, query }) => items(cloud.nodeGroups.list({ cluster: q(query, 'cluster') }).map((g) => ({ ...withHealth(cloud, g), instances: cloud.nodeGroups.instances(g).map((n) => ({ name: n.name, zone: n.zone, ...n.instance })) }))),
  },
  {
    method: 'POST', path: '/nodegroups', status: 201,
    handle: ({ cloud, body }) => cloud.nodeGroups.create({
      cluster: body.str('cluster'), name: body.str('name'), instanceType: body.str('instanceType'),
      subnetIds: body.strList('subnetIds') ?? [], desiredSize: body.int('desiredSize') as number,
      minSize: body.int('minSize'), maxSize: body.int('maxSize'),
      labels: body.object('labels'), taints: body.raw('taints') as never,
      containerRuntime: body.raw('containerRuntime') as never, kubeletExtraArgs: body.raw('kubeletExtraArgs') as never, maxPods: body.raw('maxPods') as never,
      capacityType: body.raw('capacityType') as never,
    }),
  },
  { method: 'GET', path: '/nodegroups/:name', handle: ({ cloud, params, query }) => withHealth(cloud, cloud.nodeGroups.get(params.name, q(query, 'cluster'))) },
  {
    method: 'PATCH', path: '/nodegroups/:name',
    handle: ({ cloud, params, body, query }) => cloud.nodeGroups.scale(params.name, {
      cluster: q(query, 'cluster'), desiredSize: body.int('desiredSize') as number, minSize: body.int('minSize'), maxSize: body.int('maxSize'),
    }),
  },
  { method: 'DELETE', path: '/nodegroups/:name', handle: ({ cloud, params, query }) => cloud.nodeGroups.delete(params.name, q(query, 'cluster')) },
];
