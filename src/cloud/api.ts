// The cloud's REST API under /cloud/v1/: route table of every resource's
// handlers, and the one place where errors become responses
// ({code, message, requestId} with the error's HTTP status).
import { randomUUID } from 'node:crypto';
import { StoreError } from '../store/types.js';
import type { Cloud } from './cloud.js';
import { CloudError, InvalidAction } from './errors.js';
import { clusterRoutes } from './handlers/cluster.js';
import { eipRoutes } from './handlers/eip.js';
import { egressRoutes } from './handlers/egress.js';
import { ingressRoutes } from './ingress.js';
import { eniRoutes } from './handlers/eni.js';
import { fileSystemRoutes } from './handlers/filesystem.js';
import { diskRoutes } from './handlers/disk.js';
import { loadBalancerRoutes } from './handlers/loadbalancer.js';
import { natGatewayRoutes } from './handlers/natgateway.js';
import { natLoadRoutes } from './handlers/natload.js';
import { Body, type RouteDef } from './handlers/params.js';
import { quotaRoutes } from './handlers/quota.js';
import { regionRoutes } from './handlers/region.js';
import { routeTableRoutes } from './handlers/routetable.js';
import { securityGroupRoutes } from './handlers/securitygroup.js';
import { subnetRoutes } from './handlers/subnet.js';
import { superNodeRoutes } from './handlers/supernode.js';
import { nodeGroupRoutes } from './handlers/nodegroup.js';
import { fargateRoutes } from './handlers/fargate.js';
import { vpcEndpointRoutes } from './handlers/vpcendpoint.js';
import { vpcRoutes } from './handlers/vpc.js';

export const API_PREFIX = '/cloud/v1';

export interface CloudRequest {
  method: string;
  /** Full path, e.g. /cloud/v1/subnets/subnet-1a2b3c4d (no query string). */
  path: string;
  query: URLSearchParams;
  /** Parsed JSON body; a string means the server could not parse it. */
  body: unknown;
}

export interface CloudResponse {
  status: number;
  body: unknown;
}

interface CompiledRoute {
  def: RouteDef;
  segments: string[];
}

const ROUTES: CompiledRoute[] = [
  ...regionRoutes, ...vpcRoutes, ...subnetRoutes, ...routeTableRoutes, ...natGatewayRoutes, ...eipRoutes,
  ...securityGroupRoutes, ...eniRoutes, ...clusterRoutes, ...superNodeRoutes, ...nodeGroupRoutes, ...fargateRoutes, ...vpcEndpointRoutes, ...quotaRoutes, ...egressRoutes, ...ingressRoutes, ...natLoadRoutes,
  ...fileSystemRoutes, ...diskRoutes, ...loadBalancerRoutes,
].map((def) => ({ def, segments: def.path.split('/').filter(Boolean) }));

/** The resources of the cloud API (the first segment of its paths): what cloud faults can target. */
export function cloudApiResources(): string[] {
  return [...new Set(ROUTES.map((r) => r.segments[0]).filter((x) => x && !x.startsWith(':')))].sort();
}

function match(method: string, path: string): { def: RouteDef; params: Record<string, string> } | undefined {
  const parts = path.split('/').filter(Boolean);
  for (const { def, segments } of ROUTES) {
    if (def.method !== method || segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < segments.length && ok; i++) {
      if (segments[i].startsWith(':')) params[segments[i].slice(1)] = decodeSegment(parts[i]);
      else ok = segments[i] === parts[i];
    }
    if (ok) return { def, params };
  }
  return undefined;
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new CloudError('InvalidParameter', `malformed path segment ${s}`, 400);
  }
}

export async function handleCloudRequest(cloud: Cloud, req: CloudRequest): Promise<CloudResponse> {
  const requestId = randomUUID();
  const method = req.method.toUpperCase();
  try {
    const rest = req.path.startsWith(API_PREFIX) ? req.path.slice(API_PREFIX.length) : undefined;
    const found = rest === undefined || (rest !== '' && !rest.startsWith('/')) ? undefined : match(method, rest);
    if (!found) throw new InvalidAction(method, req.path);
    if (typeof req.body === 'string' && req.body.trim() !== '') {
      // The server hands over text it could not parse as JSON.
      let parsed: unknown;
      try {
        parsed = JSON.parse(req.body);
      } catch {
        throw new CloudError('InvalidParameter', 'the request body is not valid JSON', 400);
      }
      req = { ...req, body: parsed };
    }
    const body = new Body(req.body);
    // An injected fault may slow or refuse the call (docs/faults.md).
    await cloud.faults.call(rest!.split('/')[1] ?? '');
    const result = await found.def.handle({ cloud, params: found.params, query: req.query, body });
    return { status: found.def.status ?? 200, body: result };
  } catch (e) {
    return renderError(e, requestId);
  }
}

/** The single place errors become HTTP responses. */
export function renderError(e: unknown, requestId: string = randomUUID()): CloudResponse {
  if (e instanceof CloudError) {
    return { status: e.httpStatus, body: { code: e.code, message: e.message, requestId } };
  }
  if (e instanceof StoreError) {
    // The cloud is the only writer of /cloud/ keys, so a store conflict is a transient race: retry.
    return { status: e.code === 'NotFound' ? 404 : 409, body: { code: 'ResourceBusy', message: `try again: ${e.message}`, requestId } };
  }
  const message = e instanceof Error ? e.message : String(e);
  return { status: 500, body: { code: 'InternalError', message, requestId } };
}
