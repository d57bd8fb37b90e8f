// Strategies of the core/v1 kinds that differ from the generic one
// (kubernetes/pkg/registry/core/<kind>/strategy.go and storage.go).
import type { FieldError, KubeObject } from '../../api/types.js';
import { errors } from '../status.js';
import { deepCopy } from '../../api/deepcopy.js';
import { validateEphemeralUpdate } from '../../api/resources/ephemeral.js';
import { setOwn } from '../../util/own.js';
import { ServiceIPAllocator } from '../serviceips.js';
import type { Finish, GracefulDeleteOptions, NameValidation, WriteContext } from './strategy.js';
import { ResourceStrategy } from './strategy.js';

/** Kubernetes' QoS class from requests and limits (qos.GetPodQOS). */
export function qosClass(pod: KubeObject): string {
  const cs: any[] = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  let guaranteed = cs.length > 0;
  let any = false;
  for (const c of cs) {
    const req = c?.resources?.requests ?? {};
    const lim = c?.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) {
      if (lim[r] === undefined || (req[r] !== undefined && String(req[r]) !== String(lim[r]))) guaranteed = false;
    }
  }
  return guaranteed ? 'Guaranteed' : any ? 'Burstable' : 'BestEffort';
}

export class PodStrategy extends ResourceStrategy {
  override readonly returnDeletedObject = true;
  /** A new pod is Pending, with the QoS class its (admitted) resources give it. */
  override prepareForCreate(obj: KubeObject): void {
    obj.status = { phase: 'Pending', qosClass: qosClass(obj) };
  }

  /**
   * podEphemeralContainersStrategy: the ephemeralcontainers subresource changes
   * spec.ephemeralContainers and nothing else; any other write keeps them as they were.
   */
  override prepareForUpdate(obj: KubeObject, old: KubeObject, subresource: string): void {
    if (subresource === 'ephemeralcontainers') {
      const added = obj.spec?.ephemeralContainers;
      const rv = obj.metadata.resourceVersion;
      for (const [k, v] of Object.entries(deepCopy(old))) setOwn(obj, k, v);
      obj.metadata.resourceVersion = rv;
      if (added === undefined) delete obj.spec.ephemeralContainers;
      else obj.spec.ephemeralContainers = added;
      return;
    }
    super.prepareForUpdate(obj, old, subresource);
    if (obj.spec && typeof obj.spec === 'object') {
      if (old.spec?.ephemeralContainers === undefined) delete obj.spec.ephemeralContainers;
      else obj.spec.ephemeralContainers = deepCopy(old.spec.ephemeralContainers);
    }
  }

  override validateUpdate(obj: KubeObject, old: KubeObject, subresource: string): FieldError[] {
    const errs = super.validateUpdate(obj, old, subresource);
    return subresource === 'ephemeralcontainers' ? [...errs, ...validateEphemeralUpdate(obj.spec, old.spec)] : errs;
  }

  /**
   * podStrategy.CheckGracefulDelete: the DeleteOptions' grace period, else the pod's
   * terminationGracePeriodSeconds (30 by default); at once for a pod no node runs, or one
   * that has finished; a negative period is 1 s.
   */
  override checkGracefulDelete(pod: KubeObject, opts: GracefulDeleteOptions): number {
    let period = opts.gracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    if (!pod.spec?.nodeName) period = 0;
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') period = 0;
    return period < 0 ? 1 : period;
  }
}

export class NamespaceStrategy extends ResourceStrategy {
  override readonly nameValidation: NameValidation = 'label';
  /** Namespace storage's Delete: the first DELETE moves it to Terminating for the namespace controller to empty. */
  override readonly deleteMarksFirst = true;
  override readonly returnDeletedObject = true;

  /** The status a create brings is kept (its phase defaults to Active). */
  override prepareForCreate(): void {}

  /** The finalize subresource writes spec.finalizers and keeps the status it is given. */
  override prepareForUpdate(obj: KubeObject, old: KubeObject, subresource: string): void {
    if (subresource !== 'finalize') super.prepareForUpdate(obj, old, subresource);
  }

  override prepareForDelete(ns: KubeObject): void {
    ns.status = { ...(ns.status ?? {}), phase: 'Terminating' };
  }

  /** A namespace also waits for spec.finalizers: the namespace controller empties it last. */
  override shouldDeleteDuringUpdate(ns: KubeObject): boolean {
    return super.shouldDeleteDuringUpdate(ns) && !ns.spec?.finalizers?.length;
  }
}

export class NodeStrategy extends ResourceStrategy {
  /** A Node is registered by its kubelet with its status. */
  override prepareForCreate(): void {}
}

export class ServiceStrategy extends ResourceStrategy {
  override readonly nameValidation: NameValidation = 'label';
  override readonly returnDeletedObject = true;
  /** The cluster's service IPs and node ports (each cluster's Registry has its own strategies). */
  private readonly allocator = new ServiceIPAllocator();

  override beginCreate(svc: KubeObject, ctx: WriteContext): Promise<Finish> {
    return this.allocator.allocate(svc, async () => (await ctx.store.list(this.type, undefined)).items);
  }

  override beginUpdate(svc: KubeObject, old: KubeObject, ctx: WriteContext): Finish {
    if (!ctx.subresource) this.allocator.keepAllocated(svc, old);
    return () => undefined;
  }
}

export class EventStrategy extends ResourceStrategy {
  override readonly readSoon = false;
  override readonly allowCreateOnUpdate = true;

  /** Event storage's TTLFunc: --event-ttl on every write (docs/store.md, "Events: --event-ttl"). */
  override get ttlSeconds(): number | undefined {
    return this.options.eventTTLSeconds || undefined;
  }
}

export class EndpointsStrategy extends ResourceStrategy {
  override readonly allowCreateOnUpdate = true;
}

/**
 * POST namespaces/NS/bindings (kube's BindingREST, the pods storage's binding): binds the pod
 * the Binding names to its target node; nothing of its own is stored.
 */
export class BindingStrategy extends ResourceStrategy {
  override async restCreate(namespace: string | undefined, body: KubeObject, ctx: WriteContext): Promise<KubeObject> {
    const errs: FieldError[] = [];
    const name = body.metadata?.name ?? '';
    if (!name) errs.push({ field: 'metadata.name', type: 'FieldValueRequired', message: 'name or generateName is required' });
    const target = body.target ?? {};
    if (!target.name) errs.push({ field: 'target.name', type: 'FieldValueRequired', message: '' });
    if (target.kind !== undefined && target.kind !== '' && target.kind !== 'Node') errs.push({ field: 'target.kind', type: 'FieldValueNotSupported', message: `${JSON.stringify(target.kind)}: supported values: "Node"` });
    if (errs.length) throw errors.invalid(this.type, name, errs);
    await ctx.store.bindPod(namespace!, name, target.name, ctx.dryRun);
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } as unknown as KubeObject;
  }
}

/** The components `kubectl get componentstatuses` reports: a serverless control plane runs them all, healthy. */
const COMPONENTS = ['controller-manager', 'etcd-0', 'scheduler'];

/** componentstatus REST: computed on each read, never stored (no uid, no resourceVersion, as kube answers). */
export class ComponentStatusStrategy extends ResourceStrategy {
  private status(name: string): KubeObject {
    return { kind: 'ComponentStatus', apiVersion: 'v1', metadata: { name, creationTimestamp: null as unknown as string }, conditions: [{ type: 'Healthy', status: 'True', message: 'ok' }] };
  }

  override async restGet(_ns: string | undefined, name: string): Promise<KubeObject> {
    if (!COMPONENTS.includes(name)) throw errors.notFound(this.type, name);
    return this.status(name);
  }

  override async restList(): Promise<KubeObject[]> {
    return COMPONENTS.map((n) => this.status(n));
  }
}
