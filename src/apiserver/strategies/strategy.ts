// What is particular about one resource type, as kube-apiserver's generic
// registry asks each type's strategy (k8s.io/apiserver/pkg/registry/rest:
// RESTCreateStrategy, RESTUpdateStrategy, RESTGracefulDeleteStrategy; and the
// hooks of registry/generic/registry.Store: BeginCreate, BeginUpdate,
// AfterCreate, AfterUpdate, AfterDelete, ShouldDeleteDuringUpdate). The
// generic store (../registry.ts) knows no kind: it calls these, in the order
// docs/apiserver.md shows.
//
// ResourceStrategy is what a type gets when it declares nothing else: status
// is the status subresource's (reset on create, kept from the stored object on
// spec writes, the only thing a status write changes), spec changes bump
// metadata.generation, names are DNS subdomains. Types that differ extend it
// (./core.ts, ./apiextensions.ts) and are listed in ./index.ts.
import type { Catalog } from '../../api/catalog.js';
import { deepCopy } from '../../api/deepcopy.js';
import { validateDNS1123Label, validateDNS1123Subdomain } from '../../api/selectors.js';
import type { FieldError, KubeObject, ResourceType } from '../../api/types.js';
import { setOwn } from '../../util/own.js';
import { statusBody } from '../status.js';
import type { UserInfo } from '../auth/user.js';
import type { Authorizer } from '../auth/authorizer.js';
import type { TokenAuthenticator } from '../auth/authenticator.js';
import type { ResourceMetricsSource } from './metrics-source.js';
import type { RbacAuthorizer } from '../auth/rbac.js';

/**
 * How metadata.name is validated (ValidateObjectMeta's nameFn): a DNS-1123 subdomain
 * (NameIsDNSSubdomain, most kinds), a DNS-1123 label (NameIsDNSLabel: Namespace, Service),
 * a path segment (ValidatePathSegmentName: RBAC roles and bindings, and the like), or anything
 * (CertificateSigningRequests: "We don't care what you call your certificate requests").
 */
export type NameValidation = 'subdomain' | 'label' | 'pathSegment' | 'any';

/** What a strategy's hooks may use of the store they serve (the Registry, without importing it). */
export interface StoreAccess {
  readonly catalog: Catalog;
  list(rt: ResourceType, namespace: string | undefined): Promise<{ items: KubeObject[] }>;
  get(rt: ResourceType, namespace: string | undefined, name: string): Promise<KubeObject>;
  /** The pods' usage, for metrics.k8s.io (./metrics.ts); set by the assembly where a pod runtime runs. */
  readonly metricsSource?: ResourceMetricsSource;
  /** Places a pod on a node (pods/binding): the Binding kind's storage writes the pod's. */
  bindPod(namespace: string, name: string, node: string, dryRun?: boolean): Promise<void>;
  /** Who may do what (../auth/authorizer.ts): the access reviews ask it. */
  readonly authorizer: Authorizer;
  /** Who a token is (../auth/authenticator.ts): a TokenReview asks it. */
  readonly authenticator: TokenAuthenticator | undefined;
  /** The RBAC rules in force (../auth/rbac.ts): what a user holds, what a role grants. */
  readonly rbac: RbacAuthorizer;
  /** A role or binding was written: authorization decisions are made again. */
  rbacChanged(): void;
}

/** One write, as a hook sees it. */
export interface WriteContext {
  store: StoreAccess;
  dryRun: boolean;
  /** '' for the object itself. */
  subresource: string;
  /** Who asks (kube's request context user): a CSR records its requestor, a self review answers about it. */
  user: UserInfo;
}

/** Store.BeginCreate/BeginUpdate's FinishFunc: told whether the write was stored (allocations are kept or given back). */
export type Finish = (stored: boolean) => void;

/** The part of DeleteOptions the graceful-delete rules read. */
export interface GracefulDeleteOptions {
  gracePeriodSeconds?: number;
}

/** Everything but metadata and status: a change here bumps metadata.generation. */
export function specOf(o: KubeObject): string {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
  return JSON.stringify(rest);
}

/** ValidatePathSegmentName (apimachinery/pkg/api/validation/path): names that would break a URL path. */
export function validatePathSegmentName(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  return ['/', '%'].filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`);
}

/** What a cluster's strategies are configured with (kube-apiserver's flags for its storages). */
export interface StrategyOptions {
  /** --event-ttl in seconds: Events' TTL (unset or 0: kept for good). */
  eventTTLSeconds?: number;
}

export class ResourceStrategy {
  constructor(readonly type: ResourceType, protected readonly options: StrategyOptions = {}) {}

  /** NamespaceScoped. */
  get namespaced(): boolean {
    return this.type.namespaced;
  }

  readonly nameValidation: NameValidation = 'subdomain';
  /** AllowCreateOnUpdate: whether a PUT of a missing object creates it. */
  readonly allowCreateOnUpdate: boolean = false;
  /** AllowUnconditionalUpdate: whether a PUT may leave out metadata.resourceVersion (a patch always may). */
  readonly allowUnconditionalUpdate: boolean = true;
  /**
   * A storage hint: whether objects are read back soon after they are written. Events are
   * not: they are written by the thousand and read by people, now and then.
   */
  readonly readSoon: boolean = true;
  /**
   * The generic store's TTLFunc: seconds each version a create or an update stores lives
   * before the store deletes it (an etcd lease); undefined keeps it for good.
   */
  get ttlSeconds(): number | undefined {
    return undefined;
  }
  /**
   * RESTGracefulDeleteStrategy: types whose DELETE waits a grace period implement
   * checkGracefulDelete (the seconds to wait, 0 for at once). Others go at once, or when their finalizers are done.
   */
  checkGracefulDelete?(obj: KubeObject, opts: GracefulDeleteOptions): number;
  /**
   * Whether the first DELETE only marks the object as terminating even when nothing
   * waits on it (a Namespace: its controller empties it first).
   */
  readonly deleteMarksFirst: boolean = false;
  /**
   * Store.ReturnDeletedObject: whether a DELETE that removed the object answers the object as
   * deleted (pods, services, namespaces, the volume kinds...) or a Status naming it (every other
   * kind, custom resources too). An object left terminating is answered either way (docs/apiserver.md, "What DELETE answers").
   */
  readonly returnDeletedObject: boolean = false;

  /** Messages for an invalid metadata.name (empty when it is valid). */
  validateName(name: string): string[] {
    switch (this.nameValidation) {
      case 'label': return validateDNS1123Label(name);
      case 'pathSegment': return validatePathSegmentName(name);
      case 'any': return [];
      default: return validateDNS1123Subdomain(name);
    }
  }

  /** The type's defaults, as decoding applies them (SetDefaults_*), before admission sees the object. */
  defaults(obj: KubeObject): void {
    this.type.defaults?.(obj);
  }

  /** PrepareForCreate: what a user may not set on create (status is the controllers'). */
  prepareForCreate(obj: KubeObject, _ctx?: WriteContext): void {
    // What a user sends as status is dropped; what comes back is the type's empty status, as
    // Go prints it (a struct is never omitted: `{}` for a Deployment).
    if (this.type.hasStatus) obj.status = this.type.createStatus?.(obj) ?? {};
  }

  /**
   * PrepareForUpdate, per subresource: a write of the object keeps the stored status; a
   * status write keeps everything else (metadata too, but for managedFields); a spec
   * change bumps metadata.generation.
   */
  prepareForUpdate(obj: KubeObject, old: KubeObject, subresource: string): void {
    if (subresource === 'status') {
      const status = obj.status;
      const managedFields = obj.metadata.managedFields ?? old.metadata.managedFields;
      for (const [k, v] of Object.entries(deepCopy({ ...old, status: undefined }))) setOwn(obj, k, v); // not Object.assign: a `__proto__` field is data
      obj.metadata = { ...deepCopy(old.metadata), managedFields };
      if (status === undefined) delete obj.status;
      else obj.status = status;
    } else if (this.type.hasStatus) {
      if (old.status === undefined) delete obj.status;
      else obj.status = deepCopy(old.status);
    }
    if (this.type.hasGeneration && subresource !== 'status' && specOf(obj) !== specOf(old)) obj.metadata.generation = (old.metadata.generation ?? 0) + 1;
  }

  /**
   * Types nothing is stored for (the token and access reviews, create-only) answer a POST here:
   * the object as returned, its status filled. The store calls it instead of storing.
   */
  review?(obj: KubeObject, ctx: WriteContext): Promise<KubeObject> | KubeObject;

  /**
   * A check of the write as a whole before admission (a REST storage's own Create/Update
   * wrapper: RBAC's escalation prevention), given the object as decoded and defaulted and, on
   * an update, the stored one. Throws to refuse.
   */
  checkWrite?(obj: KubeObject, old: KubeObject | undefined, ctx: WriteContext): Promise<void>;

  /** Validate: the type's own rules (metadata is validated by the store). */
  validate(obj: KubeObject): FieldError[] {
    return this.type.validate?.(obj) ?? [];
  }

  /**
   * ValidateUpdate. A status write keeps the stored spec, so the spec is not validated again
   * (kube-apiserver's status strategies validate status only): an object stored before a
   * validation rule existed can still report its status.
   */
  validateUpdate(obj: KubeObject, old: KubeObject, subresource: string): FieldError[] {
    if (subresource === 'status') return [];
    return this.type.validate?.(obj, old) ?? [];
  }

  /**
   * Store.BeginCreate: runs after validation, before the validating admission plugins; what
   * it takes (an address, a port) it keeps or gives back when told how the write ended.
   */
  beginCreate?(obj: KubeObject, ctx: WriteContext): Promise<Finish> | Finish;
  /** Store.BeginUpdate, at the same point of an update. */
  beginUpdate?(obj: KubeObject, old: KubeObject, ctx: WriteContext): Promise<Finish> | Finish;

  /** Refuses a DELETE before anything else runs (a REST storage's own Delete: the system PriorityClasses). */
  beforeDelete?(obj: KubeObject): void;

  /**
   * Store.finalizeDelete: what a DELETE that removed `obj` (or would have, in a dry run) answers:
   * the object, or a Status whose details name it, its group, its resource (in `kind`: "Yes we
   * set Kind field to resource", says the generic store) and its uid.
   */
  deletedResult(obj: KubeObject): KubeObject {
    if (this.returnDeletedObject) return obj;
    return statusBody('Success', 0, undefined, undefined, { name: obj.metadata.name, group: this.type.group, kind: this.type.plural, uid: obj.metadata.uid }) as unknown as KubeObject;
  }

  /** Marks an object on its first DELETE, beside deletionTimestamp (a Namespace's Terminating phase). */
  prepareForDelete(_obj: KubeObject): void {}

  /**
   * Store.ShouldDeleteDuringUpdate: whether an update of an object being deleted removes it,
   * because nothing holds it any longer (no finalizer, no grace period left).
   */
  shouldDeleteDuringUpdate(obj: KubeObject): boolean {
    const m = obj.metadata;
    return !!m.deletionTimestamp && !m.finalizers?.length && !(m.deletionGracePeriodSeconds! > 0);
  }

  /**
   * A type served by a REST object of its own rather than the generic store (kube-apiserver's
   * BindingREST, componentstatus REST): `restCreate` answers a POST, `restGet`/`restList` the
   * reads (given the store, for what they compute from: metrics.k8s.io); nothing is stored for such a type.
   */
  restCreate?(namespace: string | undefined, body: KubeObject, ctx: WriteContext): Promise<KubeObject>;
  restGet?(namespace: string | undefined, name: string, store: StoreAccess): Promise<KubeObject>;
  restList?(namespace: string | undefined, store: StoreAccess): Promise<KubeObject[]>;

  /** AfterCreate/AfterUpdate/AfterDelete: what follows a stored write (never a dry run). */
  afterCreate(_obj: KubeObject, _store: StoreAccess): void {}
  afterUpdate(_obj: KubeObject, _store: StoreAccess): void {}
  afterDelete(_obj: KubeObject, _store: StoreAccess): void {}
}
