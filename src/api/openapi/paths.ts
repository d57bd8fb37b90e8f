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

/**
 * The path items of one resource type. `deleteReturnsObject`: a DELETE answers the object, not a
 * Status (kube-apiserver's installer documents the storage's DeleteReturnsDeletedObject so).
 */
export function resourcePaths(rt: ResourceType, deleteReturnsObject = false): PathItem[] {
  const kindDef = kindDefinition(rt);
  if (!kindDef) return [];
  const listDef = listDefinition(rt) ?? '';
  const gvk = gvkOf(rt);
  const tag = groupTag(rt.group, rt.version);
  const gvId = groupId(rt.group) + cap(rt.version);
  const id = `${gvId}${rt.namespaced ? 'Namespaced' : ''}${rt.kind}`;
  const has = (v: string) => rt.verbs.includes(v);
  const patchTypes = rt.custom ? CUSTOM_PATCH_TYPES : PATCH_TYPES;
  const prefix = gvPrefix(rt.group, rt.version);
  const collection = rt.namespaced ? `${prefix}/namespaces/{namespace}/${rt.plural}` : `${prefix}/${rt.plural}`;
  const ns = rt.namespaced ? [pathParam('namespace', 'Object name and auth scope, such as for teams and projects.')] : [];
  const named = (kind: string) => [pathParam('name', `Name of the ${kind}.`), ...ns, P.pretty];
  const the = `the specified ${rt.kind}`;

  // One maker per operation shape: (operationId, what it acts on, body/response definition, GVK).
  type Maker = (operationId: string, what: string, def: string, g?: Gvk) => Op;
  const base = (operationId: string, g: Gvk = gvk) => ({ operationId, tag, gvk: g });
  const list: Maker = (opId, what, def) => ({ ...base(opId), method: 'get', action: 'list', description: `list or watch ${what}`, params: LIST, responses: { '200': def } });
  const read: Maker = (opId, what, def, g) => ({ ...base(opId, g), method: 'get', action: 'get', description: `read ${what}`, params: [], responses: { '200': def } });
  const create: Maker = (opId, what, def, g) => ({
    ...base(opId, g),
    method: 'post',
    action: 'post',
    description: `create ${what}`,
    params: WRITE,
    body: { def },
    responses: { '200': def, '201': def, '202': def },
  });
  const replace: Maker = (opId, what, def, g) => ({
    ...base(opId, g),
    method: 'put',
    action: 'put',
    description: `replace ${what}`,
    params: WRITE,
    body: { def },
    responses: { '200': def, '201': def },
  });
  const patch: Maker = (opId, what, def, g) => ({
    ...base(opId, g),
    method: 'patch',
    action: 'patch',
    description: `partially update ${what}`,
    params: [...WRITE, P.force],
    body: { def: PATCH, patchTypes },
    responses: { '200': def, '201': def },
  });
  const remove: Maker = (opId, what, def) => ({
    ...base(opId),
    method: 'delete',
    action: 'delete',
    description: `delete ${what}`,
    params: DELETE,
    body: { def: DELETE_OPTIONS },
    responses: deleteReturnsObject ? { '200': def, '202': def } : { '200': STATUS, '202': STATUS },
  });
  const removeAll: Maker = (opId, what) => ({
    ...base(opId),
    method: 'delete',
    action: 'deletecollection',
    description: `delete collection of ${what}`,
    params: [...LIST, ...DELETE],
    body: { def: DELETE_OPTIONS },
    responses: { '200': STATUS },
  });

  const out: PathItem[] = [];
  const coll: Op[] = [];
  if (has('list')) coll.push(list(`list${id}`, `objects of kind ${rt.kind}`, listDef));
  if (has('create')) coll.push(create(`create${id}`, `a ${rt.kind}`, kindDef));
  if (has('deletecollection')) coll.push(removeAll(`deletecollection${id}`, rt.kind, STATUS));
  if (coll.length) out.push({ path: collection, params: [...ns, P.pretty], ops: coll });

  const item: Op[] = [];
  if (has('get')) item.push(read(`read${id}`, the, kindDef));
  if (has('update')) item.push(replace(`replace${id}`, the, kindDef));
  if (has('patch')) item.push(patch(`patch${id}`, the, kindDef));
  if (has('delete')) item.push(remove(`delete${id}`, `a ${rt.kind}`, kindDef));
  if (item.length) out.push({ path: `${collection}/{name}`, params: named(rt.kind), ops: item });

  if (rt.namespaced && has('list')) {
    const op = list(`list${gvId}${rt.kind}ForAllNamespaces`, `objects of kind ${rt.kind}`, listDef);
    out.push({ path: `${prefix}/${rt.plural}`, params: [P.pretty], ops: [op] });
  }

  for (const sub of rt.subresources) {
    const path = `${collection}/{name}/${sub}`;
    const sid = id + cap(sub);
    if (sub === 'status') {
      const what = `status of ${the}`;
      const ops = [read(`read${sid}`, what, kindDef), replace(`replace${sid}`, what, kindDef), patch(`patch${sid}`, what, kindDef)];
      out.push({ path, params: named(rt.kind), ops });
    } else if (sub === 'scale') {
      const [what, def, g] = [`scale of ${the}`, 'io.k8s.api.autoscaling.v1.Scale', { group: 'autoscaling', kind: 'Scale', version: 'v1' }];
      out.push({ path, params: named('Scale'), ops: [read(`read${sid}`, what, def, g), replace(`replace${sid}`, what, def, g), patch(`patch${sid}`, what, def, g)] });
    } else if (sub === 'binding') {
      const g = { group: '', kind: 'Binding', version: 'v1' };
      out.push({ path, params: named('Binding'), ops: [create(`create${sid}`, `binding of a ${rt.kind}`, 'io.k8s.api.core.v1.Binding', g)] });
    } else if (sub === 'eviction') {
      const g = { group: 'policy', kind: 'Eviction', version: 'v1' };
      out.push({ path, params: named('Eviction'), ops: [create(`create${sid}`, `eviction of a ${rt.kind}`, 'io.k8s.api.policy.v1.Eviction', g)] });
    } else if (sub === 'log') {
      const op: Op = { ...read(`read${sid}`, `log of ${the}`, 'string'), params: LOG, produces: ['text/plain'] };
      out.push({ path, params: named(rt.kind), ops: [op] });
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
