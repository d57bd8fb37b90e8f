// The Client interface served straight from a cluster's Registry: no HTTP,
// same semantics (validation, admission, concurrency) as a remote client gets.
import type { KubeObject, ResourceType } from '../api/types.js';
import type { Registry } from '../apiserver/registry.js';
import { StatusError } from '../apiserver/status.js';
import { bindPod, evictPod, readScale, writeScale } from '../apiserver/subresources.js';
import { createToken } from '../apiserver/tokenrequest.js';
import type { Client, DeleteOpts, ListOpts, ObjectList, PatchType, ResourceRef, WatchEvent, WatchHandle, WatchOpts, WriteOpts } from './types.js';
import { ApiError } from './types.js';
import { deepCopy } from '../api/deepcopy.js';

export class InProcessClient implements Client {
  constructor(private reg: Registry, private manager = 'nodeless-controller') {}

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
    return this.call(() => this.reg.get(this.rt(ref), ns, name) as Promise<T>);
  }

  async tryGet<T extends KubeObject>(ref: ResourceRef, ns: string | undefined, name: string): Promise<T | undefined> {
    return this.call(() => this.reg.tryGet(this.rt(ref), ns, name) as Promise<T | undefined>);
  }

  list<T extends KubeObject>(ref: ResourceRef, opts: ListOpts = {}): Promise<ObjectList<T>> {
    return this.call(async () => {
      const r = await this.reg.list(this.rt(ref), opts.namespace, opts);
      return { items: r.items as T[], metadata: { resourceVersion: r.resourceVersion, ...(r.continue ? { continue: r.continue } : {}) } };
    });
  }

  create<T extends KubeObject>(ref: ResourceRef, obj: T, opts: WriteOpts = {}): Promise<T> {
    return this.call(() => this.reg.create(this.rt(ref), obj.metadata.namespace, deepCopy(obj), { ...opts, fieldManager: opts.fieldManager }) as Promise<T>);
  }

  update<T extends KubeObject>(ref: ResourceRef, obj: T, opts: WriteOpts = {}): Promise<T> {
    return this.call(() => this.reg.update(this.rt(ref), obj.metadata.namespace, obj.metadata.name!, deepCopy(obj), opts) as Promise<T>);
  }

  updateStatus<T extends KubeObject>(ref: ResourceRef, obj: T, opts: WriteOpts = {}): Promise<T> {
    return this.call(() => this.reg.update(this.rt(ref), obj.metadata.namespace, obj.metadata.name!, deepCopy(obj), { ...opts, subresource: 'status' }) as Promise<T>);
  }

  patch<T extends KubeObject>(ref: ResourceRef, ns: string | undefined, name: string, type: PatchType, patch: unknown, opts: WriteOpts & { subresource?: string } = {}): Promise<T> {
    return this.call(() => this.reg.patch(this.rt(ref), ns, name, type, deepCopy(patch), { ...opts, fieldManager: opts.fieldManager ?? (type === 'apply' ? this.manager : undefined) }) as Promise<T>);
  }

  async delete(ref: ResourceRef, ns: string | undefined, name: string, opts: DeleteOpts = {}): Promise<KubeObject | undefined> {
    return this.call(() => this.reg.delete(this.rt(ref), ns, name, opts));
  }

  getScale(ref: ResourceRef, ns: string | undefined, name: string): Promise<KubeObject> {
    return this.call(() => readScale(this.reg, this.rt(ref), ns, name));
  }

  updateScale(ref: ResourceRef, ns: string | undefined, name: string, scale: KubeObject): Promise<KubeObject> {
    return this.call(() => writeScale(this.reg, this.rt(ref), ns, name, scale?.spec?.replicas ?? 0, scale?.metadata?.resourceVersion));
  }

  async createSubresource(ref: ResourceRef, ns: string | undefined, name: string, subresource: string, body: any): Promise<unknown> {
    return this.call(async () => {
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
    this.reg.watch(this.rt(ref), opts.namespace, opts, (type, json, obj) => {
      // The registry decodes each change for each watcher (or leaves it to us): the object is this watcher's own.
      if (!stopped) onEvent({ type, object: (obj ?? JSON.parse(json)) as T });
    }).then((s) => {
      if (stopped) s();
      else stopFn = s;
    }, (e) => {
      const err = e instanceof StatusError ? e.toStatus() : { message: String(e) };
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
