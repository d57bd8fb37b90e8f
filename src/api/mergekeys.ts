// How lists and maps of built-in kinds merge: the patchStrategy/patchMergeKey
// struct tags (strategic merge patch) and the listType/listMapKey markers
// (server-side apply) of k8s.io/api, as a small tree of named struct types so
// the same field name can mean different things in different places
// (container `ports` keyed by containerPort, Service `spec.ports` by port).
//
// Only fields whose behaviour differs from the default need an entry: a field
// that is absent here is a plain map/scalar, and a list that is absent here is
// atomic (replaced as a whole), which is what k8s.io/api does for untagged lists
// such as tolerations, args, command, taints, envFrom and readinessGates.

import type { MergeKeys } from './types.js';

export interface FieldSpec {
  /** Named struct (see STRUCTS) of the value, or of each element for lists. */
  type?: string;
  /** patchStrategy tag. 'merge' lists merge by patchMergeKey (maps) or as sets (primitives). */
  patchStrategy?: 'merge' | 'merge,retainKeys' | 'retainKeys' | 'replace';
  patchMergeKey?: string;
  /** +listType for server-side apply; derived from the patch tags when absent. */
  listType?: 'atomic' | 'set' | 'map';
  /** +listMapKey markers (server-side apply identity of an item); default [patchMergeKey]. */
  listMapKeys?: string[];
  /** Defaulted key fields, so an applied item without them still matches the live item. */
  keyDefaults?: Record<string, unknown>;
  /** +structType=atomic / +mapType=atomic: owned and replaced as one value. */
  atomic?: boolean;
}

export type StructSpec = Record<string, FieldSpec>;

const merge = (key: string, type?: string, extra: Partial<FieldSpec> = {}): FieldSpec => ({
  patchStrategy: 'merge',
  patchMergeKey: key,
  ...(type ? { type } : {}),
  ...extra,
});
const conditions = merge('type');
/** Primitive list merged as a set (e.g. finalizers). */
const set: FieldSpec = { patchStrategy: 'merge', listType: 'set' };
/** metav1.LabelSelector is +structType=atomic. */
const selector: FieldSpec = { atomic: true };
const tcp = { protocol: 'TCP' };

export const STRUCTS: Record<string, StructSpec> = {
  ObjectMeta: {
    finalizers: set,
    ownerReferences: merge('uid'),
    managedFields: { listType: 'atomic' },
  },
  PodTemplateSpec: { metadata: { type: 'ObjectMeta' }, spec: { type: 'PodSpec' } },
  PodSpec: {
    volumes: merge('name', undefined, { patchStrategy: 'merge,retainKeys' }),
    initContainers: merge('name', 'Container'),
    containers: merge('name', 'Container'),
    ephemeralContainers: merge('name', 'Container'),
    imagePullSecrets: merge('name'),
    hostAliases: merge('ip'),
    topologySpreadConstraints: merge('topologyKey', undefined, { listMapKeys: ['topologyKey', 'whenUnsatisfiable'] }),
    schedulingGates: merge('name'),
    resourceClaims: merge('name', undefined, { patchStrategy: 'merge,retainKeys' }),
  },
  // Also used for initContainers and ephemeralContainers (EphemeralContainerCommon has the same tags).
  // resizePolicy is +listType=atomic without a patch strategy in k8s.io/api, so it is not listed.
  Container: {
    ports: merge('containerPort', undefined, { listMapKeys: ['containerPort', 'protocol'], keyDefaults: tcp }),
    env: merge('name'),
    volumeMounts: merge('mountPath'),
    volumeDevices: merge('devicePath'),
  },
  PodStatus: {
    conditions,
    podIPs: merge('ip'),
    hostIPs: merge('ip'),
    resourceClaimStatuses: merge('name', undefined, { patchStrategy: 'merge,retainKeys' }),
  },
  ServiceSpec: {
    ports: merge('port', undefined, { listMapKeys: ['port', 'protocol'], keyDefaults: tcp }),
  },
  NodeSpec: { podCIDRs: set },
  // NodeStatus.addresses merges by type for patches but is +listType=atomic for apply
  // (a node may report several addresses of one type).
  NodeStatus: { conditions, addresses: merge('type', undefined, { listType: 'atomic' }) },
  ConditionsStatus: { conditions },
  /** Deployment, ReplicaSet, StatefulSet, DaemonSet and Job specs. */
  WorkloadSpec: { selector, template: { type: 'PodTemplateSpec' } },
  JobTemplateSpec: { metadata: { type: 'ObjectMeta' }, spec: { type: 'WorkloadSpec' } },
  CronJobSpec: { jobTemplate: { type: 'JobTemplateSpec' } },
  PodDisruptionBudgetSpec: { selector },
  ServiceAccount: { metadata: { type: 'ObjectMeta' }, secrets: merge('name') },
};

const root = (spec?: string, status?: string, extra: StructSpec = {}): StructSpec => ({
  metadata: { type: 'ObjectMeta' },
  ...(spec ? { spec: { type: spec } } : {}),
  ...(status ? { status: { type: status } } : {}),
  ...extra,
});

/** Root struct of each built-in kind; other kinds (CRDs included) only know ObjectMeta. */
const KINDS: Record<string, StructSpec> = {
  Pod: root('PodSpec', 'PodStatus'),
  PodTemplate: root(undefined, undefined, { template: { type: 'PodTemplateSpec' } }),
  Deployment: root('WorkloadSpec', 'ConditionsStatus'),
  ReplicaSet: root('WorkloadSpec', 'ConditionsStatus'),
  StatefulSet: root('WorkloadSpec', 'ConditionsStatus'),
  DaemonSet: root('WorkloadSpec', 'ConditionsStatus'),
  Job: root('WorkloadSpec', 'ConditionsStatus'),
  CronJob: root('CronJobSpec'),
  Service: root('ServiceSpec', 'ConditionsStatus'),
  Node: root('NodeSpec', 'NodeStatus'),
  Namespace: root(undefined, 'ConditionsStatus'),
  PersistentVolumeClaim: root(undefined, 'ConditionsStatus'),
  PodDisruptionBudget: root('PodDisruptionBudgetSpec', 'ConditionsStatus'),
  HorizontalPodAutoscaler: root(undefined, 'ConditionsStatus'),
  ServiceAccount: STRUCTS.ServiceAccount!,
};
const GENERIC = root();

/** A position in the type tree: the struct the current map value is, if known. */
export type TypeRef = StructSpec | undefined;

/** The root struct of `kind`. */
export function rootType(kind: string): StructSpec {
  return KINDS[kind] ?? GENERIC;
}

/** The spec of field `name` inside struct `t`, if it has one. */
export function fieldSpec(t: TypeRef, name: string): FieldSpec | undefined {
  // Field names come from objects in requests: only the struct's own fields (`constructor` is data).
  return t && Object.prototype.hasOwnProperty.call(t, name) ? t[name] : undefined;
}

/** The struct of a field's value (or of its list elements). */
export function childType(spec: FieldSpec | undefined): TypeRef {
  return spec?.type ? STRUCTS[spec.type] : undefined;
}

/** True when strategic merge patch merges this list rather than replacing it. */
export function isMergeList(spec: FieldSpec | undefined): boolean {
  return !!spec?.patchStrategy && spec.patchStrategy.split(',').includes('merge');
}

/** The list type server-side apply uses for this field. */
export function listTypeOf(spec: FieldSpec | undefined): 'atomic' | 'set' | 'map' {
  if (spec?.listType) return spec.listType;
  if (isMergeList(spec)) return spec!.patchMergeKey ? 'map' : 'set';
  return 'atomic';
}

/** Key fields identifying an item of a 'map' list in server-side apply. */
export function listMapKeysOf(spec: FieldSpec | undefined): string[] {
  return spec?.listMapKeys ?? (spec?.patchMergeKey ? [spec.patchMergeKey] : []);
}

/**
 * Flattened view for documentation and callers that only need a lookup:
 * dotted path of every merge list of `kind` -> its merge key ('' for sets).
 */
export function mergeKeysFor(kind: string): MergeKeys {
  const out: MergeKeys = {};
  const walk = (t: StructSpec, prefix: string, depth: number): void => {
    if (depth > 8) return; // the tree has no cycles; this is only a guard
    for (const [name, spec] of Object.entries(t)) {
      const path = prefix ? `${prefix}.${name}` : name;
      if (isMergeList(spec)) out[path] = spec.patchMergeKey ?? '';
      const child = childType(spec);
      if (child) walk(child, path, depth + 1);
    }
  };
  walk(rootType(kind), '', 0);
  return out;
}
