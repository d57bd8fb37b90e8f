// The REST operations of each resource, in a version-neutral form that v2.ts and v3.ts render.
// Shapes follow what the Kubernetes API server publishes, because kubectl reads them:
// every operation carries x-kubernetes-group-version-kind (kubectl explain finds the kind
// through it) and every PATCH lists fieldValidation among its own parameters (kubectl's
// --validate=strict check) and the patch content types (strategic merge only for built-ins).
import type { ResourceType } from '../types.js';
import { META, gvkOf, kindDefinition, listDefinition, type Gvk } from './defs.js';

export interface Param {
  name: string;
  in: 'query' | 'path';
  type: 'string' | 'integer' | 'boolean';
  description: string;
  required?: boolean;
}

export interface Op {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  action: string;
  operationId: string;
  description: string;
  tag: string;
  params: Param[];
  /** Definition name of the request body; for PATCH the content types too. */
  body?: { def: string; patchTypes?: string[] };
  /** Status code -> definition name ('' = no body, 'string' = plain text). */
  responses: Record<string, string>;
  produces?: string[];
  /** Absent only for the discovery endpoint. */
  gvk?: Gvk;
}

export interface PathItem {
  path: string;
  params: Param[];
  ops: Op[];
}

const q = (name: string, type: Param['type'], description: string): Param => ({ name, in: 'query', type, description });

const P = {
  pretty: q('pretty', 'string', "If 'true', the output is pretty printed."),
  dryRun: q('dryRun', 'string', 'When present, modifications are not persisted. The only valid value is All.'),
  fieldManager: q('fieldManager', 'string', 'Name of the actor making the change, recorded in managedFields.'),
  fieldValidation: q(
    'fieldValidation',
    'string',
    'How to treat unknown or duplicate fields in the request body: Ignore, Warn (the default) or Strict (reject the request).',
  ),
  force: q('force', 'boolean', 'Force an apply request, taking ownership of conflicting fields. Only for apply patches.'),
  gracePeriodSeconds: q('gracePeriodSeconds', 'integer', 'Seconds before the object is deleted; zero deletes immediately.'),
  orphanDependents: q('orphanDependents', 'boolean', 'Deprecated: use propagationPolicy.'),
  propagationPolicy: q('propagationPolicy', 'string', 'Garbage collection of dependents: Orphan, Background or Foreground.'),
  allowWatchBookmarks: q('allowWatchBookmarks', 'boolean', 'Ask for BOOKMARK watch events.'),
  continue: q('continue', 'string', 'Continue token from a previous paged list.'),
  fieldSelector: q('fieldSelector', 'string', 'Select objects by fields.'),
  labelSelector: q('labelSelector', 'string', 'Select objects by labels.'),
  limit: q('limit', 'integer', 'Maximum number of items to return; use continue for the rest.'),
  resourceVersion: q('resourceVersion', 'string', 'Which resource version the list or watch starts from.'),
  resourceVersionMatch: q('resourceVersionMatch', 'string', 'How resourceVersion applies to a list: Exact or NotOlderThan.'),
  sendInitialEvents: q('sendInitialEvents', 'boolean', 'Start a watch with the current state as ADDED events.'),
  timeoutSeconds: q('timeoutSeconds', 'integer', 'Timeout of the list or watch call.'),
  watch: q('watch', 'boolean', 'Watch for changes instead of listing.'),
};
const WRITE = [P.dryRun, P.fieldManager, P.fieldValidation];
const LIST = [
  P.allowWatchBookmarks,
  P.continue,
  P.fieldSelector,
  P.labelSelector,
  P.limit,
  P.resourceVersion,
  P.resourceVersionMatch,
  P.sendInitialEvents,
  P.timeoutSeconds,
  P.watch,
];
const DELETE = [P.dryRun, P.gracePeriodSeconds, P.orphanDependents, P.propagationPolicy];
const LOG = [
  q('container', 'string', 'The container to stream logs of; defaults to the only container.'),
  q('follow', 'boolean', 'Follow the log stream.'),
  q('limitBytes', 'integer', 'Stop after this many bytes.'),
  q('previous', 'boolean', 'Logs of the previous, terminated container instance.'),
  q('sinceSeconds', 'integer', 'Only logs newer than this many seconds.'),
  q('tailLines', 'integer', 'Only this many lines from the end.'),
  q('timestamps', 'boolean', 'Prefix every line with an RFC3339 timestamp.'),
];
const pathParam = (name: string, what: string): Param => ({
  name,
  in: 'path',
  type: 'string',
  description: what,
  required: true,
});

export const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];
export const CUSTOM_PATCH_TYPES = PATCH_TYPES.filter((t) => !t.startsWith('application/strategic'));

const STATUS = META + 'Status';
const DELETE_OPTIONS = META + 'DeleteOptions';
const PATCH = META + 'Patch';

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
/** apps -> Apps, coordination.k8s.io -> Coordination, stable.example.com -> StableExampleCom. */
const groupId = (group: string) => (group ? group.replace(/\.k8s\.io$/, '').split(/[.-]/).map(cap).join('') : 'Core');
export const groupTag = (group: string, version: string) => {
  const g = groupId(group);
  return `${g.charAt(0).toLowerCase()}${g.slice(1)}_${version}`;
};

export const gvPrefix = (group: string, version: string) => (group ? `/apis/${group}/${version}` : `/api/${version}`);

/** The path items of one resource type. */
export function resourcePaths(rt: ResourceType): PathItem[] {
  const kindDef = kindDefinition(rt);
  if (!kindDef) return [];
  const listDef = listDefinition(rt) ?? '';
  const gvk = gvkOf(rt);
  const id = `${groupId(rt.group)}${cap(rt.version)}${rt.namespaced ? 'Namespaced' : ''}${rt.kind}`;
  const tag = groupTag(rt.group, rt.version);
  const has = (v: string) => rt.verbs.includes(v);
  const patchTypes = rt.custom ? CUSTOM_PATCH_TYPES : PATCH_TYPES;
  const prefix = gvPrefix(rt.group, rt.version);
  const collection = rt.namespaced ? `${prefix}/namespaces/{namespace}/${rt.plural}` : `${prefix}/${rt.plural}`;
  const ns = rt.namespaced ? [pathParam('namespace', 'Object name and auth scope, such as for teams and projects.')] : [];
  const named = [pathParam('name', `Name of the ${rt.kind}.`), ...ns, P.pretty];
  const op = (o: Omit<Op, 'tag' | 'gvk'> & { gvk?: Gvk }): Op => ({ tag, gvk, ...o });
  const out: PathItem[] = [];

  const coll: Op[] = [];
  if (has('list'))
    coll.push(op({ method: 'get', action: 'list', operationId: `list${id}`, description: `list or watch objects of kind ${rt.kind}`, params: LIST, responses: { '200': listDef } }));
  if (has('create'))
    coll.push(op({ method: 'post', action: 'post', operationId: `create${id}`, description: `create a ${rt.kind}`, params: WRITE, body: { def: kindDef }, responses: { '200': kindDef, '201': kindDef, '202': kindDef } }));
  if (has('deletecollection'))
    coll.push(op({ method: 'delete', action: 'deletecollection', operationId: `deletecollection${id}`, description: `delete collection of ${rt.kind}`, params: [...LIST, ...DELETE], body: { def: DELETE_OPTIONS }, responses: { '200': STATUS } }));
  if (coll.length) out.push({ path: collection, params: [...ns, P.pretty], ops: coll });

  const item: Op[] = [];
  if (has('get')) item.push(op({ method: 'get', action: 'get', operationId: `read${id}`, description: `read the specified ${rt.kind}`, params: [], responses: { '200': kindDef } }));
  if (has('update'))
    item.push(op({ method: 'put', action: 'put', operationId: `replace${id}`, description: `replace the specified ${rt.kind}`, params: WRITE, body: { def: kindDef }, responses: { '200': kindDef, '201': kindDef } }));
  if (has('patch'))
    item.push(op({ method: 'patch', action: 'patch', operationId: `patch${id}`, description: `partially update the specified ${rt.kind}`, params: [...WRITE, P.force], body: { def: PATCH, patchTypes }, responses: { '200': kindDef, '201': kindDef } }));
  if (has('delete'))
    item.push(op({ method: 'delete', action: 'delete', operationId: `delete${id}`, description: `delete a ${rt.kind}`, params: DELETE, body: { def: DELETE_OPTIONS }, responses: { '200': kindDef, '202': kindDef } }));
  if (item.length) out.push({ path: `${collection}/{name}`, params: named, ops: item });

  if (rt.namespaced && has('list'))
    out.push({
      path: `${prefix}/${rt.plural}`,
      params: [P.pretty],
      ops: [op({ method: 'get', action: 'list', operationId: `list${groupId(rt.group)}${cap(rt.version)}${rt.kind}ForAllNamespaces`, description: `list or watch objects of kind ${rt.kind}`, params: LIST, responses: { '200': listDef } })],
    });

  for (const sub of rt.subresources) {
    const path = `${collection}/{name}/${sub}`;
    const params = [pathParam('name', `Name of the ${sub === 'scale' ? 'Scale' : rt.kind}.`), ...ns, P.pretty];
    const sid = id + cap(sub);
    if (sub === 'status' || sub === 'scale') {
      const def = sub === 'scale' ? 'io.k8s.api.autoscaling.v1.Scale' : kindDef;
      const sgvk = sub === 'scale' ? { group: 'autoscaling', kind: 'Scale', version: 'v1' } : gvk;
      const what = sub === 'scale' ? `scale of the specified ${rt.kind}` : `status of the specified ${rt.kind}`;
      out.push({
        path,
        params,
        ops: [
          op({ method: 'get', action: 'get', operationId: `read${sid}`, description: `read ${what}`, params: [], responses: { '200': def }, gvk: sgvk }),
          op({ method: 'put', action: 'put', operationId: `replace${sid}`, description: `replace ${what}`, params: WRITE, body: { def }, responses: { '200': def, '201': def }, gvk: sgvk }),
          op({ method: 'patch', action: 'patch', operationId: `patch${sid}`, description: `partially update ${what}`, params: [...WRITE, P.force], body: { def: PATCH, patchTypes }, responses: { '200': def, '201': def }, gvk: sgvk }),
        ],
      });
    } else if (sub === 'binding' || sub === 'eviction') {
      const def = sub === 'binding' ? 'io.k8s.api.core.v1.Binding' : 'io.k8s.api.policy.v1.Eviction';
      const sgvk = sub === 'binding' ? { group: '', kind: 'Binding', version: 'v1' } : { group: 'policy', kind: 'Eviction', version: 'v1' };
      out.push({
        path,
        params: [pathParam('name', `Name of the ${sgvk.kind}.`), ...ns, P.pretty],
        ops: [op({ method: 'post', action: 'post', operationId: `create${sid}`, description: `create ${sub} of a ${rt.kind}`, params: WRITE, body: { def }, responses: { '200': def, '201': def, '202': def }, gvk: sgvk })],
      });
    } else if (sub === 'log') {
      out.push({
        path,
        params,
        ops: [op({ method: 'get', action: 'get', operationId: `read${sid}`, description: `read log of the specified ${rt.kind}`, params: LOG, responses: { '200': 'string' }, produces: ['text/plain'] })],
      });
    }
    // exec, attach, portforward and proxy are connections (WebSocket/SPDY), not documented here.
  }
  return out;
}

/** GET <prefix>/ : the group-version's APIResourceList. */
export function discoveryPath(group: string, version: string): PathItem {
  return {
    path: `${gvPrefix(group, version)}/`,
    params: [],
    ops: [
      {
        method: 'get',
        action: '',
        operationId: `get${groupId(group)}${cap(version)}APIResources`,
        description: 'get available resources',
        tag: groupTag(group, version),
        params: [],
        responses: { '200': META + 'APIResourceList' },
      },
    ],
  };
}
