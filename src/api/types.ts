// Shapes shared by every part: the generic Kubernetes object and the description
// of a served resource type (one per kind, see src/api/resources/).

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
  [k: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: 'Apply' | 'Update';
  apiVersion?: string;
  time?: string;
  fieldsType?: 'FieldsV1';
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

/** Any Kubernetes object. Controllers narrow `spec`/`status` themselves. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: any;
  status?: any;
  [k: string]: any;
}

export interface GroupVersionResource {
  group: string; // '' for core
  version: string;
  resource: string; // plural
}

/** A column of server-side printing (kubectl get). */
export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format?: string;
  description?: string;
  priority?: number;
}

export interface Printer {
  columns: TableColumn[];
  /** Cells for one object, same order as `columns`. */
  cells(obj: KubeObject, now: number): unknown[];
  /** The order rows are printed in, when the kind's list printer sorts (FlowSchemas by precedence). */
  order?(items: KubeObject[]): KubeObject[];
}

/** A field error as Kubernetes reports it in Status.details.causes. */
export interface FieldError {
  field: string;
  type: 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueNotSupported' | 'FieldValueDuplicate' | 'FieldValueForbidden' | 'FieldValueTooLong' | 'FieldValueTooMany' | 'FieldValueTypeInvalid' | 'FieldValueNotFound';
  message: string;
}

/** How strategic merge patch merges lists, per JSON path of list fields (see api/mergekeys.ts). */
export type MergeKeys = Record<string, string>;

export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs: string[];
  /** Subresources served: status, scale, binding, eviction, log, proxy. */
  subresources: string[];
  /** OpenAPI definition name of the kind (e.g. io.k8s.api.core.v1.Pod); for CRDs the schema itself. */
  definition?: string;
  crdSchema?: any;
  /** True for CRD-backed types: merge patch instead of strategic. */
  custom?: boolean;
  /** Spec-bearing kinds bump metadata.generation on spec changes. */
  hasGeneration?: boolean;
  /** Subresource `status` exists: the main endpoint ignores status, /status ignores the rest. */
  hasStatus?: boolean;
  printer?: Printer;
  /** Fill defaults in place (on create and update). */
  defaults?(obj: KubeObject): void;
  /** Semantic validation beyond the schema; `old` on update. */
  validate?(obj: KubeObject, old?: KubeObject): FieldError[];
  /** Field selector support: field path -> value getter. */
  fields?: Record<string, (obj: KubeObject) => string | undefined>;
  /** For the scale subresource: where replicas and the selector live. */
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
  /**
   * The status a created object comes back with (kinds with a status subresource): what Go's
   * encoding of the type's empty status struct prints, e.g. `{}` for a Deployment,
   * `{"loadBalancer":{}}` for a Service, `{"phase":"Pending"}` for a PVC. `{}` when unset.
   */
  createStatus?(obj: KubeObject): Record<string, unknown>;
  /**
   * Another version or group that shares this type's storage (kube-apiserver keeps one storage
   * per group-resource and converts): `storedAs` is where the objects live, `convert` turns a stored
   * object into this version and back (docs/api-resources.md, "One storage, two versions").
   */
  storedAs?: { group: string; plural: string };
  convert?: { fromStorage(o: KubeObject): KubeObject; toStorage(o: KubeObject): KubeObject };
  /**
   * A CRD's versions (spec.conversion): objects are stored at `storageVersion` and served at this
   * type's version, converted by rewriting apiVersion (None) or by the CRD's webhook (Webhook).
   */
  crdConversion?: { storageVersion: string; strategy: 'None' | 'Webhook'; webhook?: { clientConfig?: any; conversionReviewVersions?: string[] } };
  /** A deprecated version's warning, sent with every response for it (a CRD version's deprecationWarning). */
  deprecationWarning?: string;
}

export const apiVersionOf = (t: { group: string; version: string }): string =>
  t.group ? `${t.group}/${t.version}` : t.version;
