// What a request asks, as kube-apiserver's RequestInfoFactory reads it from the
// method and path alone (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go),
// before any handler runs: the authorizer decides on this, not on what the
// handlers later make of the request. A path under /api/VERSION/RESOURCE or
// /apis/GROUP/VERSION/RESOURCE is a resource request; anything else (discovery
// documents included: /api, /api/v1, /apis/apps/v1) is a non-resource request
// whose verb is the lowercased HTTP method. docs/auth.md.
import { queryBool } from '../params.js';
import { validatePathSegmentName } from '../strategies/strategy.js';
import type { AuthorizationAttributes } from './authorizer.js';
import type { UserInfo } from './user.js';

export interface RequestInfo {
  isResourceRequest: boolean;
  /** The URL path, for a non-resource request. */
  path: string;
  verb: string;
  apiPrefix: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
}

/** The verbs a path can carry itself (/api/v1/watch/pods, /api/v1/proxy/...): specialVerbs. */
const SPECIAL_VERBS = new Set(['proxy', 'watch']);
/** namespaceSubresources: /api/v1/namespaces/NAME/status is the namespace's own subresource. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

const METHOD_VERBS: Record<string, string> = { POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/**
 * RequestInfoFactory.NewRequestInfo for `method` on `path` (the cluster-relative path, already
 * percent-decoded segment by segment) with its query. Throws (400) when a special verb has
 * nothing after it, as kube's does ("unable to determine kind and namespace from url").
 */
export function requestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const info: RequestInfo = {
    isResourceRequest: false, path, verb: method.toLowerCase(), apiPrefix: '', apiGroup: '', apiVersion: '', namespace: '', resource: '', subresource: '', name: '',
  };
  let parts = path.replace(/^\/+|\/+$/g, '').split('/');
  if (parts.length === 1 && parts[0] === '') parts = [];
  if (parts.length < 3 || (parts[0] !== 'api' && parts[0] !== 'apis')) return info;
  const prefix = parts[0];
  parts = parts.slice(1);
  let group = '';
  if (prefix === 'apis') {
    if (parts.length < 3) return info;
    group = parts[0];
    parts = parts.slice(1);
  }
  info.apiPrefix = prefix;
  info.apiGroup = group;
  info.isResourceRequest = true;
  info.apiVersion = parts[0];
  parts = parts.slice(1);
  if (SPECIAL_VERBS.has(parts[0])) {
    if (parts.length < 2) throw new RequestInfoError(`unable to determine kind and namespace from url, ${path}`);
    info.verb = parts[0];
    parts = parts.slice(1);
  } else {
    info.verb = METHOD_VERBS[method.toUpperCase()] ?? '';
  }
  if (parts[0] === 'namespaces') {
    if (parts.length > 1) {
      info.namespace = parts[1];
      // namespaces/NAME/RESOURCE...: the rest names a resource in that namespace, unless it is the namespace's own subresource.
      if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2])) parts = parts.slice(2);
    }
  }
  if (parts.length >= 3 && info.verb !== 'proxy') info.subresource = parts[2];
  if (parts.length >= 2) info.name = parts[1];
  if (parts.length >= 1) info.resource = parts[0];
  // No name and a GET: a list, or a watch (?watch as the parameter codec reads it); a
  // fieldSelector metadata.name=NAME names the one object the list is about.
  if (!info.name && info.verb === 'get') {
    info.verb = queryBool(query, 'watch') ? 'watch' : 'list';
    const byName = exactName(query.get('fieldSelector'));
    if (byName !== undefined && validatePathSegmentName(byName).length === 0) info.name = byName;
  }
  if (!info.name && info.verb === 'delete') info.verb = 'deletecollection';
  return info;
}

/** fields.Selector.RequiresExactMatch("metadata.name"): `metadata.name=x` or `==x` among the terms. */
function exactName(selector: string | null): string | undefined {
  if (!selector) return undefined;
  for (const term of selector.split(',')) {
    const m = /^\s*metadata\.name\s*(==?)\s*(.*?)\s*$/.exec(term);
    if (m) return m[2];
  }
  return undefined;
}

export class RequestInfoError extends Error {}

/** The authorizer's attributes for a request (kube's GetAuthorizerAttributes). */
export function attributesOf(user: UserInfo, info: RequestInfo): AuthorizationAttributes {
  if (!info.isResourceRequest) return { user, verb: info.verb, resourceRequest: false, path: info.path };
  return {
    user, verb: info.verb, resourceRequest: true, namespace: info.namespace, apiGroup: info.apiGroup, apiVersion: info.apiVersion,
    resource: info.resource, subresource: info.subresource, name: info.name,
  };
}
