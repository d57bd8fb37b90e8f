// The one client interface controllers use. It is implemented in-process
// (client/inprocess.ts, straight into the API server's registry) and over
// HTTP (client/http.ts, against nodeless or any real Kubernetes API server).
import type { KubeObject } from '../api/types.js';

export interface ResourceRef {
  /** apiVersion, e.g. 'v1' or 'apps/v1'. */
  apiVersion: string;
  /** Plural resource name, e.g. 'pods'. */
  resource: string;
}

export interface ListOpts {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface ObjectList<T extends KubeObject = KubeObject> {
  items: T[];
  metadata: { resourceVersion: string; continue?: string };
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: WatchEventType;
  object: T;
}

export interface WatchOpts extends ListOpts {
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
}

export interface WatchHandle {
  stop(): void;
  /** Resolves when the watch ends (stopped, server closed it, or an error). */
  done: Promise<void>;
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export interface DeleteOpts {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface WriteOpts {
  fieldManager?: string;
  force?: boolean;
  dryRun?: boolean;
}

/** Errors from either implementation carry the Kubernetes Status. */
export class ApiError extends Error {
  constructor(
    public readonly code: number,
    public readonly reason: string,
    message: string,
    public readonly status?: any,
  ) {
    super(message);
  }
}

export interface Client {
  get<T extends KubeObject = KubeObject>(ref: ResourceRef, namespace: string | undefined, name: string): Promise<T>;
  /** Like get, but resolves undefined on 404. */
  tryGet<T extends KubeObject = KubeObject>(ref: ResourceRef, namespace: string | undefined, name: string): Promise<T | undefined>;
  list<T extends KubeObject = KubeObject>(ref: ResourceRef, opts?: ListOpts): Promise<ObjectList<T>>;
  create<T extends KubeObject = KubeObject>(ref: ResourceRef, obj: T, opts?: WriteOpts): Promise<T>;
  /** PUT; `subresource` writes through one (a Namespace's `finalize`). */
  update<T extends KubeObject = KubeObject>(ref: ResourceRef, obj: T, opts?: WriteOpts & { subresource?: string }): Promise<T>;
  /** PUT to the status subresource. */
  updateStatus<T extends KubeObject = KubeObject>(ref: ResourceRef, obj: T, opts?: WriteOpts): Promise<T>;
  patch<T extends KubeObject = KubeObject>(
    ref: ResourceRef, namespace: string | undefined, name: string, type: PatchType, patch: unknown,
    opts?: WriteOpts & { subresource?: string },
  ): Promise<T>;
  delete(ref: ResourceRef, namespace: string | undefined, name: string, opts?: DeleteOpts): Promise<KubeObject | undefined>;
  /** GET the scale subresource: an autoscaling/v1 Scale (client-go's scale client, what the HPA controller reads). */
  getScale(ref: ResourceRef, namespace: string | undefined, name: string): Promise<KubeObject>;
  /** PUT the scale subresource (spec.replicas; metadata.resourceVersion, when set, must match). */
  updateScale(ref: ResourceRef, namespace: string | undefined, name: string, scale: KubeObject): Promise<KubeObject>;
  /** POST to a subresource (binding, eviction). */
  createSubresource(ref: ResourceRef, namespace: string | undefined, name: string, subresource: string, body: unknown): Promise<unknown>;
  watch<T extends KubeObject = KubeObject>(ref: ResourceRef, opts: WatchOpts, onEvent: (e: WatchEvent<T>) => void): WatchHandle;
}

export const refs = {
  namespaces: { apiVersion: 'v1', resource: 'namespaces' },
  pods: { apiVersion: 'v1', resource: 'pods' },
  nodes: { apiVersion: 'v1', resource: 'nodes' },
  services: { apiVersion: 'v1', resource: 'services' },
  endpoints: { apiVersion: 'v1', resource: 'endpoints' },
  endpointslices: { apiVersion: 'discovery.k8s.io/v1', resource: 'endpointslices' },
  ingresses: { apiVersion: 'networking.k8s.io/v1', resource: 'ingresses' },
  ingressclasses: { apiVersion: 'networking.k8s.io/v1', resource: 'ingressclasses' },
  events: { apiVersion: 'v1', resource: 'events' },
  configmaps: { apiVersion: 'v1', resource: 'configmaps' },
  secrets: { apiVersion: 'v1', resource: 'secrets' },
  serviceaccounts: { apiVersion: 'v1', resource: 'serviceaccounts' },
  deployments: { apiVersion: 'apps/v1', resource: 'deployments' },
  replicasets: { apiVersion: 'apps/v1', resource: 'replicasets' },
  statefulsets: { apiVersion: 'apps/v1', resource: 'statefulsets' },
  daemonsets: { apiVersion: 'apps/v1', resource: 'daemonsets' },
  controllerrevisions: { apiVersion: 'apps/v1', resource: 'controllerrevisions' },
  jobs: { apiVersion: 'batch/v1', resource: 'jobs' },
  cronjobs: { apiVersion: 'batch/v1', resource: 'cronjobs' },
  horizontalpodautoscalers: { apiVersion: 'autoscaling/v2', resource: 'horizontalpodautoscalers' },
  replicationcontrollers: { apiVersion: 'v1', resource: 'replicationcontrollers' },
  leases: { apiVersion: 'coordination.k8s.io/v1', resource: 'leases' },
  poddisruptionbudgets: { apiVersion: 'policy/v1', resource: 'poddisruptionbudgets' },
  crds: { apiVersion: 'apiextensions.k8s.io/v1', resource: 'customresourcedefinitions' },
  clusterroles: { apiVersion: 'rbac.authorization.k8s.io/v1', resource: 'clusterroles' },
  podeips: { apiVersion: 'alibabacloud.com/v1beta1', resource: 'podeips' },
  persistentvolumeclaims: { apiVersion: 'v1', resource: 'persistentvolumeclaims' },
  persistentvolumes: { apiVersion: 'v1', resource: 'persistentvolumes' },
  storageclasses: { apiVersion: 'storage.k8s.io/v1', resource: 'storageclasses' },
  volumeattachments: { apiVersion: 'storage.k8s.io/v1', resource: 'volumeattachments' },
} satisfies Record<string, ResourceRef>;
