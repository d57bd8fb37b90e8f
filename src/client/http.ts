// The Client interface over HTTPS: the same calls the controllers make
// in-process, sent to any Kubernetes API server (nodeless or a real one).
import https from 'node:https';
import type { KubeObject } from '../api/types.js';
import type { Client, DeleteOpts, ListOpts, ObjectList, PatchType, ResourceRef, WatchEvent, WatchHandle, WatchOpts, WriteOpts } from './types.js';
import { ApiError } from './types.js';
import { onJsonLines } from './jsonlines.js';
import { jsonRequest } from './jsonrequest.js';

export interface HttpClientOptions {
  /** Base URL, e.g. https://127.0.0.1:6443 (a path prefix such as /clusters/x is kept). */
  server: string;
  token?: string;
  ca?: string | Buffer;
}

const PATCH_CONTENT: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

/** Namespaced-ness is learnt from discovery once per group/version. */
type Discovery = Map<string, boolean>;

export class HttpClient implements Client {
  private agent: https.Agent;
  private discovery = new Map<string, Promise<Discovery>>();

  constructor(private opts: HttpClientOptions) {
    this.agent = new https.Agent({ keepAlive: true, ca: opts.ca });
  }

  private base(ref: ResourceRef) {
    return ref.apiVersion.includes('/') ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
  }

  private async namespaced(ref: ResourceRef): Promise<boolean> {
    let d = this.discovery.get(ref.apiVersion);
    if (!d) {
      d = this.request('GET', this.base(ref)).then((r) => new Map((r.resources as any[]).map((x) => [x.name, !!x.namespaced])));
      this.discovery.set(ref.apiVersion, d);
    }
    const v = (await d).get(ref.resource);
    if (v === undefined) throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${ref.apiVersion} ${ref.resource})`);
    return v;
  }

  private async path(ref: ResourceRef, ns: string | undefined, name?: string, sub?: string) {
    const nsPart = ns && (await this.namespaced(ref)) ? `/namespaces/${encodeURIComponent(ns)}` : '';
    return `${this.base(ref)}${nsPart}/${ref.resource}${name ? `/${encodeURIComponent(name)}` : ''}${sub ? `/${sub}` : ''}`;
  }

  private url(p: string, query?: Record<string, string | undefined>): URL {
    const u = new URL(this.opts.server);
    u.pathname = u.pathname.replace(/\/$/, '') + p;
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') u.searchParams.set(k, v);
    return u;
  }

  private async request(method: string, p: string, body?: unknown, query?: Record<string, string | undefined>, contentType = 'application/json'): Promise<any> {
    const res = await jsonRequest({
      method, url: this.url(p, query), token: this.opts.token, agent: this.agent, contentType,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status >= 200 && res.status < 300) return res.body;
    throw new ApiError(res.status, res.body?.reason ?? 'Unknown', res.body?.message ?? res.text.trim(), res.body);
  }

  private writeQuery(opts: WriteOpts = {}) {
    return { fieldManager: opts.fieldManager, force: opts.force ? 'true' : undefined, dryRun: opts.dryRun ? 'All' : undefined };
  }

  async get<T extends KubeObject>(ref: ResourceRef, ns: string | undefined, name: string): Promise<T> {
    return this.request('GET', await this.path(ref, ns, name));
  }

  async tryGet<T extends KubeObject>(ref: ResourceRef, ns: string | undefined, name: string): Promise<T | undefined> {
    try {
      return await this.get<T>(ref, ns, name);
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return undefined;
      throw e;
    }
  }

  async list<T extends KubeObject>(ref: ResourceRef, opts: ListOpts = {}): Promise<ObjectList<T>> {
    return this.request('GET', await this.path(ref, opts.namespace), undefined, {
      labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, limit: opts.limit ? String(opts.limit) : undefined, continue: opts.continue,
    });
  }

  async create<T extends KubeObject>(ref: ResourceRef, obj: T, opts?: WriteOpts): Promise<T> {
    return this.request('POST', await this.path(ref, obj.metadata.namespace), obj, this.writeQuery(opts));
  }

  async update<T extends KubeObject>(ref: ResourceRef, obj: T, opts?: WriteOpts & { subresource?: string }): Promise<T> {
    return this.request('PUT', await this.path(ref, obj.metadata.namespace, obj.metadata.name, opts?.subresource), obj, this.writeQuery(opts));
  }

  async updateStatus<T extends KubeObject>(ref: ResourceRef, obj: T, opts?: WriteOpts): Promise<T> {
    return this.request('PUT', await this.path(ref, obj.metadata.namespace, obj.metadata.name, 'status'), obj, this.writeQuery(opts));
  }

  async patch<T extends KubeObject>(ref: ResourceRef, ns: string | undefined, name: string, type: PatchType, patch: unknown, opts: WriteOpts & { subresource?: string } = {}): Promise<T> {
    return this.request('PATCH', await this.path(ref, ns, name, opts.subresource), patch, this.writeQuery(opts), PATCH_CONTENT[type]);
  }

  async delete(ref: ResourceRef, ns: string | undefined, name: string, opts: DeleteOpts = {}): Promise<KubeObject | undefined> {
    return this.request('DELETE', await this.path(ref, ns, name), { apiVersion: 'v1', kind: 'DeleteOptions', ...opts });
  }

  async getScale(ref: ResourceRef, ns: string | undefined, name: string): Promise<KubeObject> {
    return this.request('GET', await this.path(ref, ns, name, 'scale'));
  }

  async updateScale(ref: ResourceRef, ns: string | undefined, name: string, scale: KubeObject): Promise<KubeObject> {
    return this.request('PUT', await this.path(ref, ns, name, 'scale'), scale);
  }

  async createSubresource(ref: ResourceRef, ns: string | undefined, name: string, subresource: string, body: unknown): Promise<unknown> {
    return this.request('POST', await this.path(ref, ns, name, subresource), body);
  }

  watch<T extends KubeObject>(ref: ResourceRef, opts: WatchOpts, onEvent: (e: WatchEvent<T>) => void): WatchHandle {
    let req: ReturnType<typeof https.request> | undefined;
    let stopped = false;
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    void this.path(ref, opts.namespace).then((p) => {
      if (stopped) return resolveDone();
      req = https.request(this.url(p, {
        watch: '1', resourceVersion: opts.resourceVersion, labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector,
        allowWatchBookmarks: opts.allowWatchBookmarks ? 'true' : undefined,
      }), { agent: this.agent, headers: { accept: 'application/json', ...(this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {}) } }, (res) => {
        if ((res.statusCode ?? 0) >= 300) {
          // A watch refused up front (410 Expired, say) reaches the caller as an ERROR event, as client-go does.
          const chunks: Buffer[] = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            let status: any;
            try { status = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { status = { code: res.statusCode }; }
            if (!stopped) onEvent({ type: 'ERROR', object: status });
            resolveDone();
          });
          return;
        }
        onJsonLines(res, (e) => { if (!stopped) onEvent(e); });
        res.on('end', resolveDone);
        res.on('close', resolveDone);
      });
      req.on('error', resolveDone);
      req.end();
    }, (e) => {
      if (!stopped) onEvent({ type: 'ERROR', object: { message: (e as Error).message } as any });
      resolveDone();
    });
    return {
      stop: () => {
        stopped = true;
        req?.destroy();
        resolveDone();
      },
      done,
    };
  }
}
