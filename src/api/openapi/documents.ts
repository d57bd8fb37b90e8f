// The published documents: /openapi/v2 (swagger 2.0), /openapi/v3 (root index) and
// /openapi/v3/<group-version> (OpenAPI 3.0). Built on first request and cached until the
// set of served resources changes (that only happens when CRDs change).
import { createHash } from 'node:crypto';
import type { ResourceType } from '../types.js';
import { META, crdDefinitions, definitions, reachable, v2Ref, type Schema } from './defs.js';
import { toV2CrdSchema, toV3Schema } from './convert.js';
import { discoveryPath, gvPrefix, resourcePaths, type Op, type Param, type PathItem } from './paths.js';

const INFO = { title: 'Kubernetes', version: 'v1.32.0' };
const CONTENT = ['application/json', 'application/yaml'];
const CODE_DESC: Record<string, string> = { '200': 'OK', '201': 'Created', '202': 'Accepted' };
/** Meta kinds every group-version document carries (request/response bodies of the generic endpoints). */
const META_ROOTS = ['Status', 'DeleteOptions', 'Patch', 'WatchEvent', 'APIResourceList'].map((k) => META + k);

/**
 * Whether a type's DELETE answers the object (its storage's ReturnDeletedObject; the API
 * server's strategies know) rather than a Status: the delete operation's response type.
 */
export type DeleteReturnsObject = (rt: ResourceType) => boolean;
const statusAlways: DeleteReturnsObject = () => false;

interface Built {
  key: string;
  deleteReturnsObject: DeleteReturnsObject;
  byGv: Map<string, ResourceType[]>;
  v3: Map<string, { doc: Schema; hash: string }>;
  root?: Schema;
  v2?: Schema;
}
let cache: Built | undefined;

const schemaIds = new WeakMap<object, number>();
let nextSchemaId = 1;
function schemaId(o: object): number {
  let id = schemaIds.get(o);
  if (id === undefined) schemaIds.set(o, (id = nextSchemaId++));
  return id;
}

/** A cheap identity of the resource set; CRD schemas count by object identity. */
function resourcesKey(resources: ResourceType[]): string {
  let key = '';
  for (const r of resources) {
    const schema = r.crdSchema ? schemaId(r.crdSchema) : 0;
    key += `${r.group}|${r.version}|${r.kind}|${r.listKind}|${r.plural}|${r.namespaced}|${r.custom}|${r.definition}|${schema}`;
    key += `|${r.verbs.join(',')}|${r.subresources.join(',')}\n`;
  }
  return key;
}

/** "api/v1" or "apis/<group>/<version>", the keys of the /openapi/v3 index. */
export const gvPath = (group: string, version: string): string => gvPrefix(group, version).slice(1);

function built(resources: ResourceType[], generation?: number, deleteReturnsObject?: DeleteReturnsObject): Built {
  // Documents built with the server's answer to deleteReturnsObject and without it are told apart.
  const key = `${deleteReturnsObject ? 'd' : '-'}${generation !== undefined ? `generation:${generation}` : resourcesKey(resources)}`;
  if (cache?.key === key) return cache;
  const byGv = new Map<string, ResourceType[]>();
  for (const r of resources) {
    const p = gvPath(r.group, r.version);
    (byGv.get(p) ?? byGv.set(p, []).get(p)!).push(r);
  }
  cache = { key, deleteReturnsObject: deleteReturnsObject ?? statusAlways, byGv, v3: new Map() };
  return cache;
}

function sortedPaths(items: PathItem[]): PathItem[] {
  const seen = new Map<string, PathItem>();
  for (const it of items) if (!seen.has(it.path)) seen.set(it.path, it);
  return [...seen.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Definition names an operation's bodies refer to. */
function opDefs(op: Op): string[] {
  const out = Object.values(op.responses).filter((d) => d && d !== 'string');
  if (op.body) out.push(op.body.def);
  return out;
}

// ---------------------------------------------------------------- v3

/**
 * Kubernetes publishes IntOrString and Quantity in v3 as a oneOf without a `type`, which is also
 * what makes kubectl explain print <IntOrString> / <Quantity> instead of <string>.
 */
const V3_SCALARS: Record<string, Schema[]> = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': [{ type: 'integer' }, { type: 'string' }],
  'io.k8s.apimachinery.pkg.api.resource.Quantity': [{ type: 'string' }, { type: 'number' }],
};

const v3Cache = new Map<string, Schema>();
function v3Builtin(name: string): Schema {
  let s = v3Cache.get(name);
  if (!s) {
    s = toV3Schema(definitions()[name]);
    if (V3_SCALARS[name]) {
      const { type: _type, ...rest } = s;
      s = { ...rest, oneOf: V3_SCALARS[name] };
    }
    v3Cache.set(name, s);
  }
  return s;
}

const v3Param = (p: Param): Schema => ({
  name: p.name,
  in: p.in,
  description: p.description,
  ...(p.required ? { required: true } : {}),
  schema: { type: p.type, uniqueItems: true },
});
const v3Ref = (def: string): Schema => ({ $ref: '#/components/schemas/' + def });

function v3Op(op: Op): Schema {
  const out: Schema = { tags: [op.tag], description: op.description, operationId: op.operationId };
  if (op.params.length) out.parameters = op.params.map(v3Param);
  if (op.body) {
    const types = op.body.patchTypes ?? ['*/*'];
    out.requestBody = {
      content: Object.fromEntries(types.map((t) => [t, { schema: v3Ref(op.body!.def) }])),
      ...(op.method === 'delete' ? {} : { required: true }),
    };
  }
  const responses: Schema = {};
  for (const [code, def] of Object.entries(op.responses)) {
    const r: Schema = { description: CODE_DESC[code] ?? 'OK' };
    if (def === 'string') r.content = { 'text/plain': { schema: { type: 'string' } } };
    else if (def) r.content = Object.fromEntries(CONTENT.map((c) => [c, { schema: v3Ref(def) }]));
    responses[code] = r;
  }
  responses['401'] = { description: 'Unauthorized' };
  out.responses = responses;
  out['x-kubernetes-action'] = op.action;
  if (op.gvk) out['x-kubernetes-group-version-kind'] = op.gvk;
  return out;
}

function buildV3(resources: ResourceType[], deleteReturnsObject: DeleteReturnsObject): Schema {
  const { group, version } = resources[0];
  const items = sortedPaths([discoveryPath(group, version), ...resources.flatMap((rt) => resourcePaths(rt, deleteReturnsObject(rt)))]);
  const extra: Record<string, Schema> = {};
  for (const r of resources) if (r.custom || r.crdSchema) Object.assign(extra, crdDefinitions(r));
  const roots = new Set<string>([...META_ROOTS, ...Object.keys(extra)]);
  const paths: Schema = {};
  for (const it of items) {
    const pi: Schema = {};
    for (const op of it.ops) {
      pi[op.method] = v3Op(op);
      for (const d of opDefs(op)) roots.add(d);
    }
    if (it.params.length) pi.parameters = it.params.map(v3Param);
    paths[it.path] = pi;
  }
  const schemas: Schema = {};
  for (const name of reachable(roots, extra)) schemas[name] = extra[name] ? toV3Schema(extra[name]) : v3Builtin(name);
  return {
    openapi: '3.0.0',
    info: INFO,
    paths,
    components: {
      schemas,
      securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' } },
    },
    security: [{ BearerToken: [] }],
  };
}

function v3Entry(b: Built, gv: string): { doc: Schema; hash: string } | undefined {
  let e = b.v3.get(gv);
  if (e) return e;
  const rts = b.byGv.get(gv);
  if (!rts) return undefined;
  const doc = buildV3(rts, b.deleteReturnsObject);
  // Uppercase hex SHA-512 of the document, like Kubernetes; kubectl caches by the URL holding it.
  const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
  b.v3.set(gv, (e = { doc, hash }));
  return e;
}

const normalizeGv = (p: string) => p.replace(/^\/+/, '').replace(/^openapi\/v3\//, '').replace(/\/+$/, '');

/** GET /openapi/v3: one entry per served group-version, its URL carrying the document hash. */
export function openapiV3Root(resources: ResourceType[], generation?: number, deleteReturnsObject?: DeleteReturnsObject): Schema {
  const b = built(resources, generation, deleteReturnsObject);
  if (!b.root) {
    const paths: Schema = {};
    for (const gv of [...b.byGv.keys()].sort()) paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${v3Entry(b, gv)!.hash}` };
    b.root = { paths };
  }
  return b.root;
}

/** GET /openapi/v3/<gvPath> ("api/v1", "apis/apps/v1"); undefined if that group-version is not served. */
export function openapiV3GroupVersion(gv: string, resources: ResourceType[], generation?: number, deleteReturnsObject?: DeleteReturnsObject): Schema | undefined {
  return v3Entry(built(resources, generation, deleteReturnsObject), normalizeGv(gv))?.doc;
}

/** The hash in the root's serverRelativeURL (for ETag / immutable caching of the group-version document). */
export function openapiV3Hash(gv: string, resources: ResourceType[], generation?: number, deleteReturnsObject?: DeleteReturnsObject): string | undefined {
  return v3Entry(built(resources, generation, deleteReturnsObject), normalizeGv(gv))?.hash;
}

// ---------------------------------------------------------------- v2

const v2Param = (p: Param): Schema => ({
  uniqueItems: true,
  type: p.type,
  description: p.description,
  name: p.name,
  in: p.in,
  ...(p.required ? { required: true } : {}),
});

function v2Op(op: Op): Schema {
  const out: Schema = {
    description: op.description,
    consumes: op.body?.patchTypes ?? ['*/*'],
    produces: op.produces ?? CONTENT,
    schemes: ['https'],
    tags: [op.tag],
    operationId: op.operationId,
  };
  const params = op.params.map(v2Param);
  if (op.body) params.unshift({ name: 'body', in: 'body', ...(op.method === 'delete' ? {} : { required: true }), schema: v2Ref(op.body.def) });
  if (params.length) out.parameters = params;
  const responses: Schema = {};
  for (const [code, def] of Object.entries(op.responses)) {
    const r: Schema = { description: CODE_DESC[code] ?? 'OK' };
    if (def === 'string') r.schema = { type: 'string' };
    else if (def) r.schema = v2Ref(def);
    responses[code] = r;
  }
  responses['401'] = { description: 'Unauthorized' };
  out.responses = responses;
  out['x-kubernetes-action'] = op.action;
  if (op.gvk) out['x-kubernetes-group-version-kind'] = op.gvk;
  return out;
}

/** GET /openapi/v2 (as an object; the server encodes it, kubectl asks for protobuf). */
export function openapiV2(resources: ResourceType[], generation?: number, deleteReturnsObject?: DeleteReturnsObject): Schema {
  const b = built(resources, generation, deleteReturnsObject);
  if (b.v2) return b.v2;
  const items: PathItem[] = [];
  const defs: Schema = { ...definitions() };
  for (const [, rts] of [...b.byGv].sort(([a], [c]) => (a < c ? -1 : 1))) {
    items.push(discoveryPath(rts[0].group, rts[0].version), ...rts.flatMap((rt) => resourcePaths(rt, b.deleteReturnsObject(rt))));
    for (const r of rts) {
      if (!(r.custom || r.crdSchema)) continue;
      for (const [n, s] of Object.entries(crdDefinitions(r))) defs[n] = toV2CrdSchema(s);
    }
  }
  const paths: Schema = {};
  for (const it of sortedPaths(items)) {
    const pi: Schema = {};
    for (const op of it.ops) pi[op.method] = v2Op(op);
    if (it.params.length) pi.parameters = it.params.map(v2Param);
    paths[it.path] = pi;
  }
  b.v2 = {
    swagger: '2.0',
    info: INFO,
    paths,
    definitions: Object.fromEntries(Object.keys(defs).sort().map((k) => [k, defs[k]])),
    securityDefinitions: { BearerToken: { description: 'Bearer Token authentication', type: 'apiKey', name: 'authorization', in: 'header' } },
    security: [{ BearerToken: [] }],
  };
  return b.v2;
}
