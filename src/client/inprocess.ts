// The Client interface served straight from a cluster's Registry: no HTTP,
// same semantics (validation, admission, concurrency, authorization) as a remote
// client gets. A client made `as(user)` acts as that user: each call is authorized
// as kube-apiserver authorizes a request (the registry's cached decisions, so a
// controller's thousandth pod write costs a map lookup), and writes carry the user
// into admission. Without a user it is the API server's own loopback client
// (system:masters), as the cluster's bootstrap code is. docs/auth.md.
import type { KubeObject, ResourceType } from '../api/types.js';
import type { Registry } from '../apiserver/registry.js';
import { StatusError } from '../apiserver/status.js';
import { bindPod, evictPod, readScale, writeScale } from '../apiserver/subresources.js';
import { createToken } from '../apiserver/tokenrequest.js';
import type { Client, DeleteOpts, ListOpts, ObjectList, PatchType, ResourceRef, WatchEvent, WatchHandle, WatchOpts, WriteOpts } from './types.js';
import { ApiError } from './types.js';
import { deepCopy } from '../api/deepcopy.js';
import { SYSTEM_MASTERS, type UserInfo } from '../apiserver/auth/user.js';

export class InProcessClient implements Client {
  /** Whether calls need authorizing: a user outside system:masters. */
  private readonly checked: boolean;

  constructor(private reg: Registry, private manager = 'nodeless-controller', readonly user?: UserInfo) {
    this.checked = !!user && !user.groups.includes(SYSTEM_MASTERS);
  }

  /** The same registry, as `user` (a controller's, the scheduler's, a kubelet's identity). */
  as(user: UserInfo, manager = this.manager): InProcessClient {
    return new InProcessClient(this.reg, manager, user);
  }

  /** Authorizes one call as the HTTP path would (RequestInfo's attributes for it); a refusal is kube's 403. */
  private async authorize(verb: string, rt: ResourceType, namespace: string | undefined, name = '', subresource = ''): Promise<void> {
    if (!this.checked) return;
    await this.reg.authorize({
      user: this.user!, verb, resourceRequest: true, apiGroup: rt.group, apiVersion: rt.version, resource: rt.plural,
      namespace: rt.namespaced ? namespace ?? '' : '', name, subresource,
    });
  }

  /** What a write carries: the user, for admission and the strategies. */
  private withUser<T extends object>(opts: T): T & { user?: UserInfo } {
    return this.user ? { ...opts, user: this.user } : opts;
  }

  private rt(ref: ResourceRef): ResourceType {
    const [group, version] = ref.apiVersion.includes('/') ? ref.apiVersion.split('/') : ['', ref.apiVersion];
    const rt = this.reg.catalog.lookup(group, version, ref.resource);
    if (!rt) throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${ref.apiVersion} ${ref.resource})`);
    return rt;
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof StatusError) throw new ApiError(e.code, e.reason, e.message, e.toStatus());
      throw e;
    }
  }

  get<T extends KubeObject>(ref: ResourceRef, ns: string | undefined, name: string): Promise<T> {
    return this.call(async () => {
      const rt = this.rt(ref);
      await this.authorize('get', rt, ns, name);
      return this.reg.get(rt, ns, name) as Promise<T>;
    });
  }

  async tryGet<T extends KubeObject>(ref: ResourceRef, ns: string | undefined, name: string): Promise<T | undefined> {
    return this.call(async () => {
      const rt = this.rt(ref);
      await this.authorize('get', rt, ns, name);
      return this.reg.tryGet(rt, ns, name) as Promise<T | undefined>;
    });
  }

  list<T extends KubeObject>(ref: ResourceRef, opts: ListOpts = {}): Promise<ObjectList<T>> {
    return this.call(async () => {
      const rt = this.rt(ref);
      await this.authorize('list', rt, opts.namespace);
      const r = await this.reg.list(rt, opts.namespace, opts);
      return { items: r.items as T[], metadata: { resourceVersion: r.resourceVersion, ...(r.continue ? { continue: r.continue } : {}) } };
    });
  }

  create<T extends KubeObject>(ref: ResourceRef, obj: T, opts: WriteOpts = {}): Promise<T> {
    return this.call(async () => {
      const rt = this.rt(ref);
      await this.authorize('create', rt, obj.metadata.namespace);
      return this.reg.create(rt, obj.metadata.namespace, deepCopy(obj), this.withUser({ ...opts, fieldManager: opts.fieldManager })) as Promise<T>;
    });
  }

  update<T extends KubeObject>(ref: ResourceRef, obj: T, opts: WriteOpts & { subresource?: string } = {}): Promise<T> {
    return this.call(async () => {
      const rt = this.rt(ref);
      await this.authorize('update', rt, obj.metadata.namespace, obj.metadata.name, opts.subresource);
      return this.reg.update(rt, obj.metadata.namespace, obj.metadata.name!, deepCopy(obj), this.withUser({ ...opts })) as Promise<T>;
    });
  }

  updateStatus<T extends KubeObject>(ref: ResourceRef, obj: T, opts: WriteOpts = {}): Promise<T> {
    return this.call(async () => {
      const rt = this.rt(ref);
      await this.authorize('update', rt, obj.metadata.namespace, obj.metadata.name, 'status');
      return this.reg.update(rt, obj.metadata.namespace, obj.metadata.name!, deepCopy(obj), this.withUser({ ...opts, subresource: 'status' })) as Promise<T>;
    });
  }

  patch<T extends KubeObject>(ref: ResourceRef, ns: string | undefined, name: string, type: PatchType, patch: unknown, opts: WriteOpts & { subresource?: string } = {}): Promise<T> {
    return this.call(async () => {
      const rt = this.rt(ref);
      await this.authorize('patch', rt, ns, name, opts.subresource);
      return this.reg.patch(rt, ns, name, type, deepCopy(patch), this.withUser({ ...opts, fieldManager: opts.fieldManager ?? (type === 'apply' ? this.manager : undefined) })) as Promise<T>;
    });
  }

  async delete(ref: ResourceRef, ns: string | undefined, name: string, opts: DeleteOpts = {}): Promise<KubeObject | undefined> {
    return this.call(async () => {
      const rt = this.rt(ref);
      await this.authorize('delete', rt, ns, name);
      return this.reg.delete(rt, ns, name, this.withUser({ ...opts }));
    });
  }

  getScale(ref: ResourceRef, ns: string | undefined, name: string): Promise<KubeObject> {
    return this.call(async () => {
      const rt = this.rt(ref);
      await this.authorize('get', rt, ns, name, 'scale');
      return readScale(this.reg, rt, ns, name);
    });
  }

  updateScale(ref: ResourceRef, ns: string | undefined, name: string, scale: KubeObject): Promise<KubeObject> {
    return this.call(async () => {
      const rt = this.rt(ref);
      await this.authorize('update', rt, ns, name, 'scale');
      return writeScale(this.reg, rt, ns, name, scale?.spec?.replicas ?? 0, scale?.metadata?.resourceVersion);
    });
  }

  async createSubresource(ref: ResourceRef, ns: string | undefined, name: string, subresource: string, body: any): Promise<unknown> {
    return this.call(async () => {
      await this.authorize('create', this.rt(ref), ns, name, subresource);
      if (ref.resource === 'pods' && subresource === 'binding') return bindPod(this.reg, ns!, name, body?.target?.name);
      // As over HTTP: a dryRun in the Eviction's deleteOptions makes it a dry run.
      if (ref.resource === 'pods' && subresource === 'eviction') return evictPod(this.reg, ns!, name, body?.deleteOptions ?? {}, (body?.deleteOptions?.dryRun ?? []).length > 0);
      if (ref.resource === 'serviceaccounts' && subresource === 'token') return createToken(this.reg, ns, name, deepCopy(body));
      throw new ApiError(404, 'NotFound', `subresource ${subresource} is not served in-process`);
    });
  }

  watch<T extends KubeObject>(ref: ResourceRef, opts: WatchOpts, onEvent: (e: WatchEvent<T>) => void): WatchHandle {
    let stopFn: (() => void) | undefined;
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    let stopped = false;
    const rt = this.rt(ref);
    const start = async () => {
      await this.authorize('watch', rt, opts.namespace);
      return this.reg.watch(rt, opts.namespace, opts, (type, json, obj) => {
        // The registry decodes each change for each watcher (or leaves it to us): the object is this watcher's own.
        if (!stopped) onEvent({ type, object: (obj ?? JSON.parse(json)) as T });
      });
    };
    start().then((s) => {
      if (stopped) s();
      else stopFn = s;
    }, (e) => {
      const err = e instanceof StatusError ? e.toStatus() : e instanceof ApiError ? e.status : { message: String(e) };
      if (!stopped) onEvent({ type: 'ERROR', object: err as any });
      resolveDone();
    });
    return {
      stop: () => {
        stopped = true;
        stopFn?.();
        resolveDone();
      },
      done,
    };
  }
}
