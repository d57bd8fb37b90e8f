// Subresources: status, scale, binding, eviction, log, proxy, finalize, approval (CSRs).
// Logs and the pod proxy come from the pod runtime and the super node agent,
// which plug in through `PodBackends` so the API server does not depend on them.
import type http from 'node:http';
import type { KubeObject, ResourceType } from '../api/types.js';
import type { Registry, WriteOptions } from './registry.js';
import type { ResourceRequest } from './request.js';
import { DecodeError, errors, StatusError, statusBody } from './status.js';
import { decodeError } from '../api/openapi/index.js';
import { queryBool, queryInt64, queryTime } from './params.js';
import type { FieldError } from '../api/types.js';
import { addWarning, decodeBody, decodePatch, sendJson, writeOptions } from './http.js';
import { jsonPatch, mergePatch } from './patch/index.js';
import { selectorFromLabelSelector, labelSelectorToString } from '../api/selectors.js';
import { renderingFor, toTable } from './tables.js';
import { formatRFC3339 } from '../api/duration.js';
import { own, setOwn } from '../util/own.js';
import type { PodStreams } from './streaming/types.js';
import { serveRemoteCommand, type RemoteCommandParams } from './streaming/remotecommand.js';
import { parsePorts, servePortForward } from './streaming/portforward.js';
import { proxyHttp, splitSchemeNamePort, type ProxyTarget } from './proxy.js';
import { createToken } from './tokenrequest.js';

export interface LogOptions {
  container?: string;
  previous?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  /** Lines from this time on (ms since the epoch): PodLogOptions.sinceTime. */
  sinceTime?: number;
  timestamps?: boolean;
  limitBytes?: number;
}

export interface PodBackends {
  /** The log text of a container so far; throws StatusError (400) for unknown containers. */
  readLog?(pod: KubeObject, opts: LogOptions): Promise<string> | string;
  /** Follow: calls onData with new text until stop() or the container ends (then onEnd). */
  followLog?(pod: KubeObject, opts: LogOptions, onData: (text: string) => void, onEnd: () => void): () => void;
  /** The pod proxy for ports nodeless answers itself (the metrics port); undefined for any other port. */
  proxy?(pod: KubeObject, port: string, path: string, query: URLSearchParams, method: string): Promise<{ status: number; contentType: string; body: string } | undefined>;
  /** Where the pod's real port is served (process-runtime pods); undefined for pods whose ports nothing serves. */
  proxyTarget?(pod: KubeObject, port: number): ProxyTarget | undefined;
  /**
   * The node proxy (`nodes/NAME[:PORT]/proxy/PATH`): the kubelet's read-only paths of a node an
   * agent runs, given the pods bound to it; undefined when no agent runs that node.
   */
  nodeProxy?(node: KubeObject, pods: KubeObject[], path: string, method: string): { status: number; contentType: string; body: string } | undefined;
  /** exec, attach and port-forward into the pod's containers. */
  streams?: PodStreams;
}

/** A query flag as kube-apiserver converts it into PodExecOptions: present and not 0/false/f. */
function flag(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v !== null && !['0', 'false', 'f'].includes(v.toLowerCase());
}


/** The autoscaling/v1 Scale view of an object: spec.replicas, status.replicas and the selector (as the scale subresource shows it). */
export function scaleOf(rt: ResourceType, o: KubeObject): KubeObject {
  const s = rt.scale!;
  const selPath = s.labelSelectorPath;
  let selector = selPath ? getPath(o, selPath) : undefined;
  if (selector === undefined && o.spec?.selector) selector = labelSelectorToString(o.spec.selector);
  return {
    kind: 'Scale', apiVersion: 'autoscaling/v1',
    metadata: { name: o.metadata.name, namespace: o.metadata.namespace, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion, creationTimestamp: o.metadata.creationTimestamp },
    spec: { replicas: getPath(o, s.specReplicasPath) ?? 0 },
    status: { replicas: getPath(o, s.statusReplicasPath) ?? 0, ...(typeof selector === 'string' && selector ? { selector } : {}) },
  };
}

/** GET …/scale: a type without the subresource is the path's NotFound. */
export async function readScale(reg: Registry, rt: ResourceType, namespace: string | undefined, name: string): Promise<KubeObject> {
  if (!rt.scale) throw errors.notFoundPath(`${rt.plural}/scale`);
  // A built-in kind's ScaleREST names its own resource in the NotFound: deployments/scale.apps "web" not found.
  const o = await reg.get(rt, namespace, name).catch((e) => {
    throw e instanceof StatusError && e.code === 404 && !rt.custom ? errors.notFound({ group: rt.group, plural: `${rt.plural}/scale` }, name) : e;
  });
  return scaleOf(rt, o);
}

/**
 * PUT …/scale: sets the object's replicas (a write to the object itself, under the scale request's
 * options: a dry run stores nothing); `rv`, when given, must be the object's resourceVersion.
 */
export async function writeScale(reg: Registry, rt: ResourceType, namespace: string | undefined, name: string, replicas: unknown, rv: string | undefined, opts: WriteOptions = {}): Promise<KubeObject> {
  if (!rt.scale) throw errors.notFoundPath(`${rt.plural}/scale`);
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw errors.invalid({ kind: 'Scale', group: 'autoscaling' }, name, [{ field: 'spec.replicas', type: 'FieldValueInvalid', message: `${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0` }]);
  }
  const cur = await reg.get(rt, namespace, name);
  if (rv && rv !== cur.metadata.resourceVersion) throw errors.conflict(rt, name);
  setPath(cur, rt.scale.specReplicasPath, replicas);
  return scaleOf(rt, await reg.update(rt, namespace, name, cur, { ...opts, subresource: undefined }));
}

/** The pod strategy's validateContainer: the named container must exist; none named picks the only one. */
export function streamContainer(pod: KubeObject, container: string | undefined): string {
  const spec = pod.spec ?? {};
  const all: any[] = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
  if (!container) {
    const cs: any[] = spec.containers ?? [];
    if (cs.length === 1) return cs[0].name;
    if (cs.length === 0) throw errors.badRequest(`a container name must be specified for pod ${pod.metadata.name}`);
    throw errors.badRequest(`a container name must be specified for pod ${pod.metadata.name}, choose one of: [${all.map((c) => c?.name).join(' ')}]`);
  }
  if (!all.some((c) => c?.name === container)) throw errors.badRequest(`container ${container} is not valid for pod ${pod.metadata.name}`);
  return container;
}

const SCALE = 'io.k8s.api.autoscaling.v1.Scale';
const SCALE_KIND = { kind: 'Scale', version: 'v1' };

// A CRD's scale paths (.spec.replicas) name fields of the object: each step is
// an own data key (a step such as `__proto__` or `constructor` must not reach
// a prototype), and a step through something that is not an object is a 422.
function getPath(obj: any, path: string): any {
  return path.replace(/^\./, '').split('.').reduce((o, k) => own(o, k), obj);
}
function setPath(obj: any, path: string, v: unknown): void {
  const parts = path.replace(/^\./, '').split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    let next = own(cur, p);
    if (next === undefined || next === null) setOwn(cur, p, (next = {}));
    else if (typeof next !== 'object' || Array.isArray(next)) throw new StatusError(422, 'Invalid', `${path}: cannot set a value below ${p}, which is not an object`);
    cur = next;
  }
  setOwn(cur, parts[parts.length - 1], v);
}

export class Subresources {
  constructor(public backends: PodBackends = {}) {}

  async handle(reg: Registry, r: ResourceRequest, res: http.ServerResponse): Promise<void> {
    const { rt, subresource: sub } = r;
    if (!r.name || !sub || !rt.subresources.includes(sub)) throw errors.notFoundPath(`${rt.plural}/${sub}`);
    switch (sub) {
      case 'status':
      case 'finalize':
      case 'approval':
        return this.status(reg, r, res);
      case 'scale':
        return this.scale(reg, r, res);
      case 'binding':
        return this.binding(reg, r, res);
      case 'eviction':
        return this.eviction(reg, r, res);
      case 'log':
        return this.log(reg, r, res);
      case 'proxy':
        return this.proxy(reg, r, res);
      case 'exec':
      case 'attach':
        return this.remoteCommand(reg, r, res);
      case 'portforward':
        return this.portForward(reg, r, res);
      case 'ephemeralcontainers':
        return this.ephemeralContainers(reg, r, res);
      case 'token': {
        // serviceaccounts/NAME/token: create only (./tokenrequest.ts).
        if (r.method !== 'POST') throw errors.methodNotAllowed(`${r.method} serviceaccounts/token`);
        const opts = writeOptions(r.query, 'token', 'Create');
        const warnings: string[] = [];
        const out = await createToken(reg, r.namespace, r.name, decodeBody(r.headers['content-type'], r.body), { dryRun: opts.dryRun, fieldValidation: opts.fieldValidation, warnings, user: r.user });
        for (const w of warnings) addWarning(res, w);
        return sendJson(res, 201, out);
      }
      default:
        throw new StatusError(405, 'MethodNotAllowed', `${rt.plural}/${sub} is not supported by nodeless`);
    }
  }

  private async status(reg: Registry, r: ResourceRequest, res: http.ServerResponse) {
    const { rt, namespace, name } = r;
    const sub = r.subresource!;
    // namespaces/finalize is update only (kube's FinalizeREST).
    if (sub === 'finalize' && r.method !== 'PUT') throw errors.methodNotAllowed('');
    if (r.method === 'GET') return sendJson(res, 200, await reg.getRaw(rt, namespace, name!));
    if (r.method === 'PUT') {
      const opts = writeOptions(r.query, sub, 'Update');
      const body = decodeBody(r.headers['content-type'], r.body) as KubeObject;
      return sendJson(res, 200, await reg.update(rt, namespace, name!, body, { ...opts, user: r.user }));
    }
    // finalize is update-only (kube-apiserver serves no PATCH there); status and approval take every patch type.
    if (r.method === 'PATCH' && sub !== 'finalize') {
      const { kind, patch } = decodePatch(r.headers['content-type'], r.body);
      return sendJson(res, 200, await reg.patch(rt, namespace, name!, kind, patch, { ...writeOptions(r.query, sub, 'Patch', kind), user: r.user }));
    }
    throw errors.methodNotAllowed(`${r.method} ${rt.plural}/${sub}`);
  }

  private async scale(reg: Registry, r: ResourceRequest, res: http.ServerResponse) {
    const { rt, namespace, name } = r;
    if (!rt.scale) throw errors.notFoundPath(`${rt.plural}/scale`);
    if (r.method === 'GET') return sendJson(res, 200, await readScale(reg, rt, namespace, name!));
    let replicas: unknown;
    let rv: string | undefined;
    let opts: WriteOptions;
    if (r.method === 'PUT') {
      opts = writeOptions(r.query, 'scale', 'Update');
      const body = decodeBody(r.headers['content-type'], r.body) as any;
      const bad = decodeError(SCALE, body);
      if (bad !== undefined) throw new DecodeError(SCALE_KIND, bad, body);
      // Go reads a Scale without spec.replicas as 0 (a protobuf Scale of 0 decodes that way: omitempty).
      replicas = body?.spec?.replicas ?? 0;
      rv = body?.metadata?.resourceVersion;
    } else if (r.method === 'PATCH') {
      const { kind, patch } = decodePatch(r.headers['content-type'], r.body);
      opts = writeOptions(r.query, 'scale', 'Patch', kind);
      const cur = scaleOf(rt, await reg.get(rt, namespace, name!));
      let next: any;
      try {
        next = kind === 'json' ? jsonPatch(cur, patch as any) : mergePatch(cur, patch);
      } catch (e) {
        throw errors.badRequest((e as Error).message);
      }
      const bad = decodeError(SCALE, next);
      if (bad !== undefined) throw new DecodeError(SCALE_KIND, bad, next).forPatch(kind, patch);
      replicas = next?.spec?.replicas;
    } else throw errors.methodNotAllowed(`${r.method} ${rt.plural}/scale`);
    return sendJson(res, 200, await writeScale(reg, rt, namespace, name!, replicas, rv, { ...opts, user: r.user }));
  }

  /** pods/NAME/binding: what a scheduler posts to place a pod; a dry run checks it and stores nothing. */
  private async binding(reg: Registry, r: ResourceRequest, res: http.ServerResponse) {
    if (r.method !== 'POST') throw errors.methodNotAllowed(`${r.method} pods/binding`);
    const opts = writeOptions(r.query, 'binding', 'Create');
    const body = decodeBody(r.headers['content-type'], r.body) as any;
    const node = body?.target?.name;
    if (!node) throw errors.invalid({ kind: 'Binding', group: '' }, r.name!, [{ field: 'target.name', type: 'FieldValueRequired', message: '' }]);
    await reg.bindPod(r.namespace!, r.name!, node, opts.dryRun);
    return sendJson(res, 201, statusBody('Success', 201));
  }

  /**
   * pods/NAME/eviction. A dry run is asked for in the body (`deleteOptions.dryRun`, what `kubectl drain
   * --dry-run=server` sends) or in the query; both given, they must match, as kube-apiserver's
   * propagateDryRun requires. A dry run checks the disruption budget and the delete, and changes nothing.
   */
  private async eviction(reg: Registry, r: ResourceRequest, res: http.ServerResponse) {
    if (r.method !== 'POST') throw errors.methodNotAllowed(`${r.method} pods/eviction`);
    const opts = writeOptions(r.query, 'eviction', 'Create');
    const body = r.body.length ? (decodeBody(r.headers['content-type'], r.body) as any) : {};
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw errors.badRequest('the body of an eviction must be an Eviction object');
    // The Eviction is decoded as kube-apiserver decodes it (its deleteOptions included) before anything is evicted.
    const bad = decodeError('io.k8s.api.policy.v1.Eviction', body);
    if (bad !== undefined) throw new DecodeError({ kind: 'Eviction', version: 'v1' }, bad, body);
    if ((body.metadata?.name ?? '') !== r.name) throw errors.badRequest('name in URL does not match name in Eviction object');
    const del = body.deleteOptions && typeof body.deleteOptions === 'object' ? body.deleteOptions : {};
    const inBody: unknown[] = Array.isArray(del.dryRun) ? del.dryRun : [];
    const inQuery = r.query.getAll('dryRun');
    if (inBody.length && inQuery.length && JSON.stringify(inBody) !== JSON.stringify(inQuery)) {
      throw new StatusError(500, '', `Non-matching dry-run options in request and content: [${inQuery.join(' ')}] and [${inBody.join(' ')}]`);
    }
    // Any dryRun value makes the store's delete a dry run (dryrun.IsDryRun: a non-empty list).
    await evictPod(reg, r.namespace!, r.name!, del, inBody.length > 0 || opts.dryRun === true);
    return sendJson(res, 201, statusBody('Success', 201));
  }

  private async log(reg: Registry, r: ResourceRequest, res: http.ServerResponse) {
    if (r.method !== 'GET') throw errors.methodNotAllowed(`${r.method} pods/log`);
    const q = r.query;
    const opts = podLogOptions(q, r.name!);
    const pod = await reg.get(r.rt, r.namespace, r.name!);
    const containers: any[] = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? []), ...(pod.spec?.ephemeralContainers ?? [])];
    let container = q.get('container') ?? undefined;
    if (!container) {
      if ((pod.spec?.containers ?? []).length > 1 && !pod.metadata.annotations?.['kubectl.kubernetes.io/default-container']) {
        throw errors.badRequest(`a container name must be specified for pod ${pod.metadata.name}, choose one of: [${pod.spec.containers.map((c: any) => c.name).join(' ')}]`);
      }
      container = pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'] ?? pod.spec?.containers?.[0]?.name;
    }
    if (!containers.some((c) => c.name === container)) {
      throw errors.badRequest(`container ${container} is not valid for pod ${pod.metadata.name}`);
    }
    opts.container = container;
    const text = this.backends.readLog ? await this.backends.readLog(pod, opts) : '';
    if (!opts.follow || !this.backends.followLog) {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
    res.write(text);
    const stop = this.backends.followLog(pod, opts, (t) => res.write(t), () => res.end());
    res.on('close', stop);
  }

  /** The pod, checked as kube-apiserver's streamLocation does (then the runtime's own checks). */
  private async streamPod(reg: Registry, r: ResourceRequest): Promise<KubeObject> {
    if (r.method !== 'GET' && r.method !== 'POST') throw errors.methodNotAllowed(`${r.method} pods/${r.subresource}`);
    return reg.get(r.rt, r.namespace, r.name!);
  }

  private streams(pod: KubeObject): PodStreams {
    if (!pod.spec?.nodeName) throw errors.badRequest(`pod ${pod.metadata.name} does not have a host assigned`);
    if (!this.backends.streams) throw errors.badRequest(`pod ${pod.metadata.name}: this nodeless runs no node agents (--api-only), so nothing can exec, attach or port-forward`);
    return this.backends.streams;
  }

  /** pods/NAME/exec and pods/NAME/attach (docs/streaming.md). */
  private async remoteCommand(reg: Registry, r: ResourceRequest, res: http.ServerResponse) {
    const pod = await this.streamPod(reg, r);
    const q = r.query;
    const kind = r.subresource as 'exec' | 'attach';
    const container = streamContainer(pod, q.get('container') ?? undefined);
    const streams = this.streams(pod);
    const p: RemoteCommandParams = { kind, container, command: q.getAll('command'), stdin: flag(q, 'stdin'), stdout: flag(q, 'stdout'), stderr: flag(q, 'stderr'), tty: flag(q, 'tty') };
    if (kind === 'exec' && !p.command.length) throw errors.badRequest('you must specify at least one command for the container');
    const check = streams.check(pod, container, kind);
    if (!r.upgrade) throw errors.badRequest('Upgrade request required');
    await serveRemoteCommand(r.upgrade, res, p, {
      notRunning: !check.ok,
      refused: !p.stdin && !p.stdout && !(p.stderr && !p.tty) ? 'you must specify at least 1 of stdin, stdout, stderr' : undefined,
      run: async (io) => {
        if (kind === 'exec') {
          const code = await streams.exec(pod, container, p.command, io);
          return code === 0 ? { kind: 'success' } : { kind: 'exit', code };
        }
        try {
          await streams.attach(pod, container, io);
        } catch (e) {
          return { kind: 'error', message: `error attaching to container: ${(e as Error).message}` };
        }
        return { kind: 'success' };
      },
    });
  }

  /** pods/NAME/ephemeralcontainers: the pod, of which a write changes spec.ephemeralContainers only (PodStrategy). */
  private async ephemeralContainers(reg: Registry, r: ResourceRequest, res: http.ServerResponse) {
    const { rt, namespace, name } = r;
    const opts = writeOptions(r.query, 'ephemeralcontainers');
    if (r.method === 'GET') return sendJson(res, 200, await reg.getRaw(rt, namespace, name!));
    if (r.method === 'PUT') {
      const body = decodeBody(r.headers['content-type'], r.body) as KubeObject;
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw errors.badRequest('the request body must be a JSON object');
      return sendJson(res, 200, await reg.update(rt, namespace, name!, body, opts));
    }
    if (r.method === 'PATCH') {
      const { kind, patch } = decodePatch(r.headers['content-type'], r.body);
      return sendJson(res, 200, await reg.patch(rt, namespace, name!, kind, patch, opts));
    }
    throw errors.methodNotAllowed(`${r.method} pods/ephemeralcontainers`);
  }

  /** pods/NAME/portforward. */
  private async portForward(reg: Registry, r: ResourceRequest, res: http.ServerResponse) {
    const pod = await this.streamPod(reg, r);
    parsePorts(r.query);
    const streams = this.streams(pod);
    streams.check(pod, undefined, 'portforward');
    if (!r.upgrade) throw errors.badRequest('Upgrade request required');
    await servePortForward(r.upgrade, res, r.query, { connect: (port) => streams.portForward(pod, port), podName: streams.sandboxId(pod) });
  }

  /** pods/NAME[:PORT]/proxy and services/NAME[:PORT]/proxy (docs/streaming.md). */
  private async proxy(reg: Registry, r: ResourceRequest, res: http.ServerResponse) {
    if (r.rt.plural === 'nodes') return this.nodeProxy(reg, r, res);
    const kind = r.rt.plural === 'services' ? 'service' : 'pod';
    const id = splitSchemeNamePort(r.name!);
    if (!id) throw errors.badRequest(`invalid ${kind} request "${r.name}"`);
    const prefix = `/api/v1/namespaces/${r.namespace}/${r.rt.plural}/${r.name}/proxy`;
    const path = r.rest ?? '/';
    if (kind === 'service') {
      const target = await this.serviceTarget(reg, r.namespace!, id.name, id.port, r.name!);
      return proxyHttp({ ...target, scheme: id.scheme || 'http' }, r.method, path, r.query, r.headers, r.body, res, prefix);
    }
    const pod = await reg.get(r.rt, r.namespace, id.name);
    // No port: the pod's first declared container port (pod ResourceLocation).
    const port = id.port || String((pod.spec?.containers ?? []).flatMap((c: any) => c?.ports ?? [])[0]?.containerPort ?? '');
    // The VM agent's metrics port (9100) is answered by nodeless itself.
    const metrics = await this.backends.proxy?.(pod, id.scheme ? `${id.scheme}:${port}` : port, path, r.query, r.method);
    if (metrics) {
      res.writeHead(metrics.status, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(metrics.body) });
      res.end(metrics.body);
      return;
    }
    const n = Number(port);
    const target = Number.isInteger(n) && n > 0 && n < 65536 ? this.backends.proxyTarget?.(pod, n) : undefined;
    if (!target) {
      throw new StatusError(503, 'ServiceUnavailable', `no endpoints available for pod "${id.name}": nothing serves port ${port || '(none declared)'} of a simulated pod (the proxy reaches the real ports of process-runtime pods: nodeless up --allow-process-runtime and annotation nodeless.dev/runtime: process)`);
    }
    return proxyHttp({ ...target, scheme: id.scheme || 'http' }, r.method, path, r.query, r.headers, r.body, res, prefix);
  }

  /** nodes/NAME[:PORT]/proxy/PATH: the kubelet's paths (/metrics/resource, /stats/summary, /configz…) of the node's agent. */
  private async nodeProxy(reg: Registry, r: ResourceRequest, res: http.ServerResponse) {
    const id = splitSchemeNamePort(r.name!);
    if (!id) throw errors.badRequest(`invalid node request "${r.name}"`);
    const node = await reg.get(r.rt, undefined, id.name);
    const podsRt = reg.catalog.lookup('', 'v1', 'pods')!;
    const pods = (await reg.list(podsRt, undefined, { fieldSelector: `spec.nodeName=${id.name}` })).items;
    const out = this.backends.nodeProxy?.(node, pods, r.rest ?? '/', r.method);
    // kube-apiserver's answer when it cannot dial the node's kubelet.
    if (!out) throw new StatusError(503, 'ServiceUnavailable', `error trying to reach service: no kubelet serves node "${id.name}"`);
    res.writeHead(out.status, { 'content-type': out.contentType, 'content-length': Buffer.byteLength(out.body) });
    res.end(r.method === 'HEAD' ? undefined : out.body);
  }

  /** The service ResourceLocation: the port by name or number, then a ready endpoint address whose pod serves it. */
  private async serviceTarget(reg: Registry, namespace: string, name: string, portStr: string, id: string): Promise<ProxyTarget> {
    const services = reg.catalog.lookup('', 'v1', 'services')!;
    const endpoints = reg.catalog.lookup('', 'v1', 'endpoints')!;
    const pods = reg.catalog.lookup('', 'v1', 'pods')!;
    const svc = await reg.get(services, namespace, name);
    if (/^[0-9]+$/.test(portStr)) {
      const sp = (svc.spec?.ports ?? []).find((p: any) => String(p?.port) === portStr);
      if (!sp) throw new StatusError(503, 'ServiceUnavailable', `no service port ${portStr} found for service "${name}"`);
      portStr = sp.name ?? '';
    }
    const eps = await reg.tryGet(endpoints, namespace, name);
    const subsets: any[] = eps?.subsets ?? [];
    if (!subsets.length) throw new StatusError(503, 'ServiceUnavailable', `no endpoints available for service "${name}"`);
    for (const ss of subsets) {
      for (const p of ss?.ports ?? []) {
        if ((p?.name ?? '') !== portStr) continue;
        for (const addr of ss.addresses ?? []) {
          const ref = addr?.targetRef;
          if (ref?.kind !== 'Pod' || !ref.name) continue;
          const pod = await reg.tryGet(pods, ref.namespace ?? namespace, ref.name);
          const t = pod && this.backends.proxyTarget?.(pod, Number(p.port));
          if (t) return t;
        }
      }
    }
    throw new StatusError(503, 'ServiceUnavailable', `no endpoints available for service "${id}"`);
  }

}

/**
 * PodLogOptions from the query, as the parameter codec reads them (params.ts), then
 * ValidatePodLogOptions: a 422 on `PodLogOptions "<pod>"`.
 */
function podLogOptions(q: URLSearchParams, pod: string): LogOptions & { follow: boolean } {
  const opts = {
    follow: queryBool(q, 'follow') === true,
    previous: queryBool(q, 'previous') === true,
    timestamps: queryBool(q, 'timestamps') === true,
    tailLines: queryInt64(q, 'tailLines'),
    sinceSeconds: queryInt64(q, 'sinceSeconds'),
    sinceTime: queryTime(q, 'sinceTime'),
    limitBytes: queryInt64(q, 'limitBytes'),
  };
  const errs: FieldError[] = [];
  if (opts.tailLines !== undefined && opts.tailLines < 0) errs.push({ field: 'tailLines', type: 'FieldValueInvalid', message: `${opts.tailLines}: must be greater than or equal to 0` });
  if (opts.limitBytes !== undefined && opts.limitBytes < 1) errs.push({ field: 'limitBytes', type: 'FieldValueInvalid', message: `${opts.limitBytes}: must be greater than 0` });
  if (opts.sinceSeconds !== undefined && q.has('sinceTime')) errs.push({ field: '', type: 'FieldValueForbidden', message: 'at most one of `sinceTime` or `sinceSeconds` may be specified' });
  else if (opts.sinceSeconds !== undefined && opts.sinceSeconds < 1) errs.push({ field: 'sinceSeconds', type: 'FieldValueInvalid', message: `${opts.sinceSeconds}: must be greater than 0` });
  if (errs.length) throw errors.invalid({ kind: 'PodLogOptions', group: '' }, pod, errs);
  return opts;
}

export { bindPod } from './binding.js';

/**
 * Eviction honouring PodDisruptionBudgets: refused with 429 when a budget
 * that selects the pod has no disruptions left, as kubectl drain expects.
 */
export async function evictPod(reg: Registry, namespace: string, name: string, deleteOptions: any, dryRun: boolean): Promise<void> {
  const pods = reg.catalog.lookup('', 'v1', 'pods')!;
  const pdbs = reg.catalog.lookup('policy', 'v1', 'poddisruptionbudgets')!;
  const pod = await reg.get(pods, namespace, name);
  const terminal = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
  const ready = (pod.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
  if (!terminal && !pod.metadata.deletionTimestamp) {
    const { items } = await reg.list(pdbs, namespace);
    const matching = items.filter((b) => selectorFromLabelSelector(b.spec?.selector).matches(pod.metadata.labels));
    // kube-apiserver answers this with a bare Failure Status: code 500, no reason.
    if (matching.length > 1) throw new StatusError(500, '', `This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.`);
    const pdb = matching[0];
    // A pod that is not ready does not count against the budget (unhealthyPodEvictionPolicy IfHealthyBudget).
    if (pdb && ready) {
      const allowed = pdb.status?.disruptionsAllowed ?? 0;
      if ((pdb.status?.observedGeneration ?? 0) < (pdb.metadata.generation ?? 1) || allowed <= 0) {
        throw new StatusError(429, 'TooManyRequests', `Cannot evict pod as it would violate the pod's disruption budget.`, {
          causes: [{ reason: 'DisruptionBudget', message: `The disruption budget ${pdb.metadata.name} needs ${pdb.status?.desiredHealthy ?? 0} healthy pods and has ${pdb.status?.currentHealthy ?? 0} currently` }],
        });
      }
      if (!dryRun) {
        pdb.status.disruptionsAllowed = allowed - 1;
        pdb.status.disruptedPods = { ...(pdb.status.disruptedPods ?? {}), [name]: formatRFC3339() };
        await reg.update(pdbs, namespace, pdb.metadata.name!, pdb, { subresource: 'status' });
      }
    }
  }
  // A dry run still runs the delete's checks (preconditions, admission) and deletes nothing.
  await reg.delete(pods, namespace, name, { gracePeriodSeconds: deleteOptions.gracePeriodSeconds, preconditions: deleteOptions.preconditions, dryRun });
}

export { renderingFor, toTable, selectorFromLabelSelector };
