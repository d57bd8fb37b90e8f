// REST handlers for resource paths: turns an HTTP request into a registry call
// and the result into JSON, a Table, or a watch stream.
import type http from 'node:http';
import type { FieldError, KubeObject } from '../api/types.js';
import { decodeError } from '../api/openapi/index.js';
import type { DeleteOptions, Registry, WriteOptions } from './registry.js';
import { errors, StatusError } from './status.js';
import { addWarning, decodeBody, decodePatch, encodeJson, goJson, sendJson, writeOptions } from './http.js';
import { renderingFor, toPartial, toPartialList, toTable } from './tables.js';
import type { Subresources } from './subresources.js';
import type { ResourceRequest } from './request.js';
import { queryBool, queryInt64 } from './params.js';
import { negotiate, type Negotiated } from './negotiate.js';
import { encodeObject, PROTOBUF, watchFrame } from './protobuf/index.js';
import { timerDelay } from '../util/timers.js';

function warningHeaders(opts: { warnings?: string[] }): Record<string, string[]> {
  return opts.warnings?.length ? { warning: opts.warnings.map((w) => `299 - "${w.replace(/"/g, '\\"')}"`) } : {};
}

function asObject(v: unknown, what: string): KubeObject {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw errors.badRequest(`${what} must be a JSON object`);
  return v as KubeObject;
}

/** The list and watch parameters the registry reads (docs/watch-semantics.md). */
function listQuery(q: URLSearchParams) {
  return {
    labelSelector: q.get('labelSelector') ?? undefined, fieldSelector: q.get('fieldSelector') ?? undefined,
    resourceVersion: q.get('resourceVersion') ?? undefined, resourceVersionMatch: q.get('resourceVersionMatch') ?? undefined,
    sendInitialEvents: queryBool(q, 'sendInitialEvents'),
  };
}

/** ?limit: kube-apiserver pages only for a positive limit; zero or negative lists everything. */
function limitParam(q: URLSearchParams): number | undefined {
  const n = queryInt64(q, 'limit');
  return n !== undefined && n > 0 ? n : undefined;
}

const COLLECTION_VERBS = ['list', 'watch', 'create', 'deletecollection'];

/**
 * A verb the type does not serve: kube-apiserver registers no route for it, so a path that has
 * other routes answers 405 and one that has none (a named review) 404.
 */
function checkVerb(r: ResourceRequest, watch: boolean): void {
  const verb = verbOf(r.method, !!r.name, watch);
  if (verb && r.rt.verbs.includes(verb)) return;
  const pathServed = r.name ? r.rt.verbs.some((v) => !COLLECTION_VERBS.includes(v)) : r.rt.verbs.some((v) => COLLECTION_VERBS.includes(v));
  if (!pathServed) throw errors.notFoundPath(`${r.rt.plural}${r.name ? `/${r.name}` : ''}`);
  throw new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
}

export async function handleResource(reg: Registry, subs: Subresources, r: ResourceRequest, res: http.ServerResponse): Promise<void> {
  const { rt, namespace, name, method, query: q } = r;
  const isWatch = !r.subresource && queryBool(q, 'watch') === true;
  // 406 before anything else, as kube-apiserver's handlers negotiate first (docs/protobuf.md). The
  // connect subresources (proxy, exec, attach, portforward) answer what their backend or stream sends;
  // a custom resource's scale is an autoscaling/v1 Scale.
  const connect = ['proxy', 'exec', 'attach', 'portforward'].includes(r.subresource ?? '');
  const media = connect ? undefined : negotiate(r.headers.accept, { custom: (rt.custom || !!rt.crdSchema) && r.subresource !== 'scale', watch: isWatch });
  // A deprecated version (a CRD version's deprecationWarning) warns on every request, refused or not.
  if (rt.deprecationWarning) addWarning(res, rt.deprecationWarning);
  if (r.subresource) return subs.handle(reg, r, res);
  const rendering = renderingFor(media!);
  // A verb the type does not serve has no route in kube-apiserver (componentstatuses are get/list
  // only, bindings and the reviews create only).
  checkVerb(r, isWatch);

  if (!name) {
    switch (method) {
      case 'GET': {
        if (isWatch) return watch(reg, r, res, media!);
        const list = await reg.list(rt, namespace, { ...listQuery(q), limit: limitParam(q), continue: q.get('continue') ?? undefined });
        const meta = { resourceVersion: list.resourceVersion, ...(list.continue ? { continue: list.continue } : {}), ...(list.remainingItemCount !== undefined ? { remainingItemCount: list.remainingItemCount } : {}) };
        if (rendering === 'table') return sendJson(res, 200, toTable(rt, list.items, { includeObject: q.get('includeObject') ?? undefined, ...meta }));
        if (rendering === 'partial') return sendJson(res, 200, toPartialList(list.items, meta));
        const av = rt.group ? `${rt.group}/${rt.version}` : rt.version;
        return sendJson(res, 200, { kind: rt.listKind, apiVersion: av, metadata: meta, items: list.items });
      }
      case 'POST': {
        const opts = { ...writeOptions(q, undefined, 'Create'), user: r.user };
        const obj = await reg.create(rt, namespace, asObject(decodeBody(r.headers['content-type'], r.body), 'the request body'), opts);
        return sendJson(res, 201, obj, warningHeaders(opts));
      }
      case 'DELETE': {
        const opts = { ...deleteOptions(r), user: r.user };
        const gone = await reg.deleteCollection(rt, namespace, { labelSelector: q.get('labelSelector') ?? undefined, fieldSelector: q.get('fieldSelector') ?? undefined }, opts);
        const av = rt.group ? `${rt.group}/${rt.version}` : rt.version;
        return sendJson(res, 200, { kind: rt.listKind, apiVersion: av, metadata: {}, items: gone });
      }
      default:
        throw errors.methodNotAllowed(`${method} on a collection`);
    }
  }

  switch (method) {
    case 'GET': {
      if (rendering === 'object') return sendJson(res, 200, await reg.getRaw(rt, namespace, name));
      const o = await reg.get(rt, namespace, name);
      if (rendering === 'table') return sendJson(res, 200, toTable(rt, [o], { includeObject: q.get('includeObject') ?? undefined, resourceVersion: o.metadata.resourceVersion }));
      return sendJson(res, 200, toPartial(o));
    }
    case 'PUT': {
      const opts = { ...writeOptions(q), user: r.user };
      const obj = await reg.update(rt, namespace, name, asObject(decodeBody(r.headers['content-type'], r.body), 'the request body'), opts);
      return sendJson(res, opts.created ? 201 : 200, obj, warningHeaders(opts));
    }
    case 'PATCH': {
      const { kind, patch } = decodePatch(r.headers['content-type'], r.body);
      const opts = { ...writeOptions(q, undefined, 'Patch', kind), user: r.user };
      const existed = kind === 'apply' ? await reg.tryGet(rt, namespace, name) : true;
      const obj = await reg.patch(rt, namespace, name, kind, patch, opts);
      return sendJson(res, existed ? 200 : 201, obj, warningHeaders(opts));
    }
    case 'DELETE': {
      const opts = { ...deleteOptions(r), user: r.user, warnings: [] as string[] };
      const obj = await reg.delete(rt, namespace, name, opts);
      return sendJson(res, 200, obj, warningHeaders(opts));
    }
    default:
      throw errors.methodNotAllowed(method);
  }
}

/** The API verb of a request on a resource path (undefined for methods no verb has). */
function verbOf(method: string, named: boolean, watch: boolean): string | undefined {
  switch (method) {
    case 'GET': return watch ? 'watch' : named ? 'get' : 'list';
    case 'POST': return 'create';
    case 'PUT': return 'update';
    case 'PATCH': return 'patch';
    case 'DELETE': return named ? 'delete' : 'deletecollection';
  }
  return undefined;
}

const DELETE_OPTIONS = 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions';

/**
 * DeleteOptions as kube-apiserver reads them: from the body when there is one (the query is then
 * not read), else from the query. Anything malformed is refused before anything is deleted: a body
 * Go cannot decode is a 400 with the decoder's words, a query value that does not parse is a 400 with
 * strconv's, and values DeleteOptions validation refuses are a 422 (docs/validation.md).
 */
export function deleteOptions(r: Pick<ResourceRequest, 'body' | 'headers' | 'query'>): DeleteOptions {
  let o: any;
  if (r.body.length && r.body.toString('utf8').trim()) {
    o = asObject(decodeBody(r.headers['content-type'], r.body), 'DeleteOptions');
    const bad = decodeError(DELETE_OPTIONS, o);
    if (bad !== undefined) throw errors.badRequest(bad);
  } else o = deleteOptionsQuery(r.query);
  return checkDeleteOptions(o);
}

/** The query form of DeleteOptions, converted as Kubernetes' parameter codec does (the first value of each). */
function deleteOptionsQuery(q: URLSearchParams): any {
  const o: any = {};
  const grace = queryInt64(q, 'gracePeriodSeconds');
  if (grace !== undefined) o.gracePeriodSeconds = grace;
  const orphan = queryBool(q, 'orphanDependents');
  if (orphan !== undefined) o.orphanDependents = orphan;
  const policy = q.get('propagationPolicy');
  if (policy !== null) o.propagationPolicy = policy;
  const dry = q.getAll('dryRun');
  if (dry.length) o.dryRun = dry;
  return o;
}

/** ValidateDeleteOptions (apimachinery), then the options the registry acts on. */
export function checkDeleteOptions(o: any): DeleteOptions {
  const errs: FieldError[] = [];
  const policy: string | undefined = o.propagationPolicy ?? undefined;
  if (o.orphanDependents != null && policy !== undefined) {
    errs.push({ field: 'propagationPolicy', type: 'FieldValueInvalid', message: `${JSON.stringify(policy)}: orphanDependents and deletionPropagation cannot be both set` });
  }
  if (policy !== undefined && !['Foreground', 'Background', 'Orphan'].includes(policy)) {
    errs.push({ field: 'propagationPolicy', type: 'FieldValueNotSupported', message: `${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan", "nil"` });
  }
  const dry: string[] = Array.isArray(o.dryRun) ? o.dryRun : [];
  if (dry.some((d) => d !== 'All')) {
    errs.push({ field: 'dryRun', type: 'FieldValueNotSupported', message: `[]string{${dry.map((d) => JSON.stringify(d)).join(', ')}}: supported values: "All"` });
  }
  if (errs.length) throw errors.invalid({ kind: 'DeleteOptions', group: 'meta.k8s.io' }, '', errs);
  return {
    dryRun: dry.length > 0,
    propagationPolicy: (policy ?? (o.orphanDependents === true ? 'Orphan' : undefined)) as DeleteOptions['propagationPolicy'],
    gracePeriodSeconds: typeof o.gracePeriodSeconds === 'number' ? o.gracePeriodSeconds : undefined,
    preconditions: o.preconditions ?? undefined,
  };
}

/**
 * A watch stream, flushed event by event, bookmarks when asked: one JSON event per line, or in
 * protobuf length-prefixed WatchEvent frames (protobuf/index.ts watchFrame, docs/protobuf.md).
 * Once the request is valid, errors (410 Expired, 504 Too large resource version) come as an
 * ERROR event in the 200 stream, as kube-apiserver's cacher and etcd3 watchers send them.
 */
async function watch(reg: Registry, r: ResourceRequest, res: http.ServerResponse, media: Negotiated): Promise<void> {
  const q = r.query;
  const rt = r.rt;
  const rendering = renderingFor(media);
  const timeout = queryInt64(q, 'timeoutSeconds');
  const includeObject = q.get('includeObject') ?? undefined;
  const allowWatchBookmarks = queryBool(q, 'allowWatchBookmarks') === true;
  const protobuf = media.type === PROTOBUF;
  const event = (type: string, object: unknown): string | Buffer => {
    if (!protobuf) return encodeJson({ type, object });
    let enveloped: Buffer | undefined;
    try {
      enveloped = encodeObject(object);
    } catch {
      // left undefined: reported in the stream below
    }
    // An object the schema cannot carry ends the stream's usefulness, not the server: say so in the stream.
    if (!enveloped) return watchFrame('ERROR', encodeObject(errors.internal(`the ${(object as KubeObject)?.kind} could not be encoded as protobuf`).toStatus())!);
    return watchFrame(type, enveloped);
  };
  const wrap = (type: string, json: string, obj: KubeObject | undefined): string | Buffer => {
    // Each JSON event as json.Encoder writes it: compact, HTML-escaped, one line.
    if (!protobuf && (rendering === 'object' || type === 'BOOKMARK')) return goJson(`{"type":"${type}","object":${json}}`) + '\n';
    const o = obj ?? (JSON.parse(json) as KubeObject);
    if (rendering === 'object' || type === 'BOOKMARK') return event(type, o);
    return event(type, rendering === 'table' ? toTable(rt, [o], { includeObject, resourceVersion: o.metadata.resourceVersion }) : toPartial(o));
  };
  let lastRv = 0;
  let started = false;
  const buffered: (string | Buffer)[] = [];
  const av = rt.group ? `${rt.group}/${rt.version}` : rt.version;
  const send = (chunk: string | Buffer) => {
    r.metrics?.watchEvent(rt.group, rt.version, rt.kind, Buffer.byteLength(chunk));
    return started ? res.write(chunk) : buffered.push(chunk);
  };
  const head = () => {
    res.writeHead(200, { 'content-type': protobuf ? `${PROTOBUF};stream=watch` : 'application/json', 'transfer-encoding': 'chunked', 'cache-control': 'no-cache, private' });
    res.flushHeaders();
    started = true;
  };
  let stop: () => void;
  let end: (() => void) | undefined;
  try {
    stop = await reg.watch(rt, r.namespace, { ...listQuery(q), allowWatchBookmarks }, (type, json, obj, rv) => {
      lastRv = Math.max(lastRv, rv);
      send(wrap(type, json, obj));
    }, () => end?.());
  } catch (e) {
    if (!(e instanceof StatusError) || (e.code !== 410 && e.code !== 504)) throw e;
    head();
    for (const chunk of buffered) res.write(chunk);
    res.end(event('ERROR', e.toStatus()));
    return;
  }
  head();
  for (const chunk of buffered) res.write(chunk);
  const timers: NodeJS.Timeout[] = [];
  end = () => {
    stop();
    for (const t of timers) clearTimeout(t), clearInterval(t);
    if (!res.writableEnded) res.end();
  };
  if (allowWatchBookmarks) {
    timers.push(setInterval(() => {
      res.write(event('BOOKMARK', { kind: rt.kind, apiVersion: av, metadata: { resourceVersion: String(Math.max(lastRv, Number(q.get('resourceVersion')) || 0, reg.store.revision())) } }));
    }, 15_000));
  }
  // Without a timeout (or 0) the API server picks 30–60 minutes; clients reconnect from their last
  // version. A longer one than a timer can hold is capped (about 24.8 days), not fired at once.
  const seconds = timeout || 1800 + Math.floor(Math.random() * 1800);
  timers.push(setTimeout(end, timerDelay(seconds * 1000)));
  res.on('close', end);
}

export { StatusError };
