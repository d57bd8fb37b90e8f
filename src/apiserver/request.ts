// One request for a resource path, as the server parsed it: what the resource
// handlers and the subresource handlers both take (its own file, so neither
// imports the other).
import type http from 'node:http';
import type { ResourceType } from '../api/types.js';
import type { Upgrade } from './streaming/upgrade.js';
import type { ApiMetrics } from './metrics.js';
import type { UserInfo } from './auth/user.js';

export interface ResourceRequest {
  rt: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** Path after the subresource (pod proxy). */
  rest?: string;
  method: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The connection, when the request asked for an Upgrade (exec, attach, port-forward). */
  upgrade?: Upgrade;
  /** Where watch events are counted (apiserver_watch_events_total). */
  metrics?: ApiMetrics;
  /** Who sent it, as the authenticator found (./auth). */
  user: UserInfo;
}
