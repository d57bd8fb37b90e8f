// core/v1 kinds served by nodeless.
import type { FieldError, KubeObject } from '../types.js';
import { defineResource, metaFields } from './define.js';
import { defaultPodSpec, validatePodSpec } from './podspec.js';
import { deepCopy } from '../deepcopy.js';
import { own, setOwn } from '../../util/own.js';
import { quantity } from '../resource.js';
import { formatRFC3339 } from '../duration.js';
import { sameValue } from '../../util/equal.js';
import { configMapKey, portNumOrName } from './checks.js';

const podPhaseReady = (o: any) => o.status?.phase;

export const namespaces = defineResource({
  group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false, shortNames: ['ns'],
  // The namespace storage has no DeleteCollection.
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  subresources: ['status', 'finalize'], definition: 'io.k8s.api.core.v1.Namespace',
  defaults(o) {
    o.spec ??= {};
    o.spec.finalizers ??= ['kubernetes'];
    o.status ??= {};
    o.status.phase ??= 'Active';
    o.metadata.labels = { ...(o.metadata.labels ?? {}), 'kubernetes.io/metadata.name': o.metadata.name! };
  },
  fields: { ...metaFields, 'status.phase': (o) => o.status?.phase },
});

export const pods = defineResource({
  group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true, shortNames: ['po'], categories: ['all'],
  subresources: ['status', 'binding', 'eviction', 'log', 'proxy', 'exec', 'attach', 'portforward', 'ephemeralcontainers', 'resize'],
  definition: 'io.k8s.api.core.v1.Pod',
  defaults(o) {
    o.spec ??= {};
    defaultPodSpec(o.spec);
    o.spec.serviceAccountName ??= o.spec.serviceAccount ?? 'default';
    o.spec.serviceAccount ??= o.spec.serviceAccountName;
    o.spec.enableServiceLinks ??= true;
    // spec.priority and spec.preemptionPolicy: the Priority admission plugin (src/apiserver/admission/priority.ts).
    // The DefaultTolerationSeconds admission plugin: 300s for not-ready / unreachable.
    const tol: any[] = (o.spec.tolerations ??= []);
    for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
      if (!tol.some((t) => t?.key === key)) tol.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
    }
  },
  validate(o, old) {
    const errs = validatePodSpec(o.spec, 'spec');
    if (old && errs.length === 0) errs.push(...validatePodUpdate(o, old));
    return errs;
  },
  fields: {
    ...metaFields,
    'spec.nodeName': (o) => o.spec?.nodeName ?? '',
    'spec.restartPolicy': (o) => o.spec?.restartPolicy,
    'spec.schedulerName': (o) => o.spec?.schedulerName,
    'spec.serviceAccountName': (o) => o.spec?.serviceAccountName,
    'spec.hostNetwork': (o) => String(!!o.spec?.hostNetwork),
    'status.phase': podPhaseReady,
    'status.podIP': (o) => o.status?.podIP ?? '',
    'status.nominatedNodeName': (o) => o.status?.nominatedNodeName ?? '',
  },
});

/** Pod specs are immutable but for images, activeDeadlineSeconds, added tolerations and scheduling gates. */
function validatePodUpdate(o: KubeObject, old: KubeObject): FieldError[] {
  // Most pod updates are status writes with the spec as it was: no need to take copies apart.
  if (JSON.stringify(o.spec ?? {}) === JSON.stringify(old.spec ?? {})) return [];
  const strip = (spec: any) => {
    const s = deepCopy(spec ?? {});
    for (const list of [s.containers, s.initContainers]) for (const c of list ?? []) delete c.image;
    delete s.activeDeadlineSeconds;
    delete s.tolerations;
    delete s.schedulingGates;
    // Changed only through pods/ephemeralcontainers (validated there).
    delete s.ephemeralContainers;
    if (!old.spec?.nodeName) delete s.nodeName;
    return s;
  };
  // Compared as values: the order of keys is no change.
  if (!sameValue(strip(o.spec), strip(old.spec))) {
    return [{ field: 'spec', type: 'FieldValueForbidden', message: 'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)' }];
  }
  return [];
}

export const nodes = defineResource({
  group: '', version: 'v1', kind: 'Node', plural: 'nodes', namespaced: false, shortNames: ['no'],
  subresources: ['status', 'proxy'], definition: 'io.k8s.api.core.v1.Node',
  fields: { ...metaFields, 'spec.unschedulable': (o) => String(!!o.spec?.unschedulable) },
  defaults(o) { o.spec ??= {}; },
});

export const services = defineResource({
  group: '', version: 'v1', kind: 'Service', plural: 'services', namespaced: true, shortNames: ['svc'], categories: ['all'],
  subresources: ['status', 'proxy'], definition: 'io.k8s.api.core.v1.Service',
  createStatus: () => ({ loadBalancer: {} }),
  defaults(o) {
    o.spec ??= {};
    o.spec.type ??= 'ClusterIP';
    o.spec.sessionAffinity ??= 'None';
    o.spec.ipFamilies ??= ['IPv4'];
    o.spec.ipFamilyPolicy ??= 'SingleStack';
    o.spec.internalTrafficPolicy ??= 'Cluster';
    for (const p of o.spec.ports ?? []) {
      if (!p || typeof p !== 'object') continue;
      p.protocol ??= 'TCP';
      p.targetPort ??= p.port;
    }
  },
  validate(o) {
    const errs: FieldError[] = [];
    const ports = o.spec?.ports;
    // Only headless (clusterIP None) and ExternalName Services may go without ports.
    if (o.spec?.type !== 'ExternalName' && o.spec?.clusterIP !== 'None' && (!Array.isArray(ports) || ports.length === 0)) errs.push({ field: 'spec.ports', type: 'FieldValueRequired', message: '' });
    (Array.isArray(ports) ? ports : []).forEach((p: any, i: number) => {
      if (typeof p?.port !== 'number' || p.port < 1 || p.port > 65535) errs.push({ field: `spec.ports[${i}].port`, type: 'FieldValueInvalid', message: `${JSON.stringify(p?.port ?? null)}: must be between 1 and 65535, inclusive` });
      if (p?.targetPort != null) errs.push(...portNumOrName(p.targetPort, `spec.ports[${i}].targetPort`));
      if (Array.isArray(ports) && ports.length > 1 && !p?.name) errs.push({ field: `spec.ports[${i}].name`, type: 'FieldValueRequired', message: '' });
    });
    if (o.spec?.type && !['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'].includes(o.spec.type)) {
      errs.push({ field: 'spec.type', type: 'FieldValueNotSupported', message: `${JSON.stringify(o.spec.type)}: supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"` });
    }
    return errs;
  },
  fields: { ...metaFields, 'spec.clusterIP': (o) => o.spec?.clusterIP, 'spec.type': (o) => o.spec?.type },
});

export const endpoints = defineResource({
  group: '', version: 'v1', kind: 'Endpoints', listKind: 'EndpointsList', singular: 'endpoints', plural: 'endpoints', namespaced: true, shortNames: ['ep'],
  definition: 'io.k8s.api.core.v1.Endpoints', fields: metaFields,
});

export const events = defineResource({
  group: '', version: 'v1', kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'],
  definition: 'io.k8s.api.core.v1.Event',
  fields: {
    ...metaFields,
    'involvedObject.kind': (o) => o.involvedObject?.kind ?? '',
    'involvedObject.namespace': (o) => o.involvedObject?.namespace ?? '',
    'involvedObject.name': (o) => o.involvedObject?.name ?? '',
    'involvedObject.uid': (o) => o.involvedObject?.uid ?? '',
    'involvedObject.apiVersion': (o) => o.involvedObject?.apiVersion ?? '',
    'involvedObject.resourceVersion': (o) => o.involvedObject?.resourceVersion ?? '',
    'involvedObject.fieldPath': (o) => o.involvedObject?.fieldPath ?? '',
    reason: (o) => o.reason ?? '',
    reportingComponent: (o) => o.reportingComponent ?? '',
    source: (o) => o.source?.component ?? '',
    type: (o) => o.type ?? '',
  },
});

/** Keys of ConfigMaps and Secrets become file names in volumes: IsConfigMapKey for each (ValidateConfigMap, ValidateSecret). */
function validateKeys(o: KubeObject, bags: string[]): FieldError[] {
  const errs: FieldError[] = [];
  for (const bag of bags) {
    const m = (o as any)[bag];
    if (!m || typeof m !== 'object') continue;
    for (const k of Object.keys(m)) {
      errs.push(...configMapKey(k, `${bag}[${k}]`));
      if (bag === 'data' && bags.includes('binaryData') && o.binaryData && typeof o.binaryData === 'object' && Object.hasOwn(o.binaryData, k)) {
        errs.push({ field: `data[${k}]`, type: 'FieldValueInvalid', message: `${JSON.stringify(k)}: duplicate of key present in binaryData` });
      }
    }
  }
  return errs;
}

export const configmaps = defineResource({
  group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true, shortNames: ['cm'],
  definition: 'io.k8s.api.core.v1.ConfigMap', fields: metaFields,
  validate: (o) => validateKeys(o, ['data', 'binaryData']),
});

export const secrets = defineResource({
  group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true,
  definition: 'io.k8s.api.core.v1.Secret',
  defaults(o) {
    o.type ??= 'Opaque';
    // stringData is write-only: fold it into data, base64-encoded, as the API server does.
    if (o.stringData && typeof o.stringData === 'object') {
      o.data ??= {};
      for (const [k, v] of Object.entries(o.stringData)) setOwn(o.data, k, Buffer.from(String(v)).toString('base64'));
      delete o.stringData;
    }
  },
  validate: (o) => [
    ...validateKeys(o, ['data']),
    // ValidateSecret: a ServiceAccount token Secret names its account (the token controller fills the rest).
    ...((o as { type?: string }).type === 'kubernetes.io/service-account-token' && !o.metadata.annotations?.['kubernetes.io/service-account.name']
      ? [{ field: 'metadata.annotations[kubernetes.io/service-account.name]', type: 'FieldValueRequired' as const, message: '' }] : []),
  ],
  fields: { ...metaFields, type: (o) => o.type },
});

export const serviceaccounts = defineResource({
  group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true, shortNames: ['sa'],
  // token: the TokenRequest API (src/apiserver/tokenrequest.ts).
  subresources: ['token'], definition: 'io.k8s.api.core.v1.ServiceAccount', fields: metaFields,
});

// ---- the rest of core/v1 (issue 16); rules and sources: docs/api-resources.md

/** pods/binding's sibling: POST namespaces/NS/bindings binds the pod the Binding names (strategies/core.ts). */
export const bindings = defineResource({
  group: '', version: 'v1', kind: 'Binding', plural: 'bindings', namespaced: true, verbs: ['create'],
  definition: 'io.k8s.api.core.v1.Binding', fields: metaFields,
});

/** Read-only: the control plane's health, computed per request (strategies/core.ts). */
export const componentstatuses = defineResource({
  group: '', version: 'v1', kind: 'ComponentStatus', plural: 'componentstatuses', namespaced: false, shortNames: ['cs'], verbs: ['get', 'list'],
  definition: 'io.k8s.api.core.v1.ComponentStatus', fields: metaFields,
});

const LIMIT_TYPES = ['Container', 'Pod', 'PersistentVolumeClaim'];
/** A quantity in its canonical text, or NaN when it is not one. */
const QUANTITY_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?\d+)?$/;
const quantityError = (field: string, v: unknown): FieldError => ({ field, type: 'FieldValueInvalid', message: `${JSON.stringify(v)}: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'` });
function quantityMapErrors(m: unknown, field: string): FieldError[] {
  if (!m || typeof m !== 'object') return [];
  return Object.entries(m).filter(([, v]) => typeof v === 'number' ? v < 0 : !QUANTITY_RE.test(String(v))).map(([k, v]) => quantityError(`${field}[${k}]`, v));
}

export const limitranges = defineResource({
  group: '', version: 'v1', kind: 'LimitRange', plural: 'limitranges', namespaced: true, shortNames: ['limits'],
  definition: 'io.k8s.api.core.v1.LimitRange',
  defaults(o) {
    // SetDefaults_LimitRangeItem, for Container items: a default limit from max, a default request
    // from the default limit, else from min (empty maps are left out, as Go's omitempty does).
    const fill = (item: any, into: 'default' | 'defaultRequest', from: unknown) => {
      if (!from || typeof from !== 'object') return;
      for (const [k, v] of Object.entries(from)) {
        if (own(item[into], k) !== undefined) continue;
        if (!item[into] || typeof item[into] !== 'object') item[into] = {};
        setOwn(item[into], k, v);
      }
    };
    for (const item of Array.isArray(o.spec?.limits) ? o.spec.limits : []) {
      if (!item || typeof item !== 'object' || item.type !== 'Container') continue;
      fill(item, 'default', item.max);
      fill(item, 'defaultRequest', item.default);
      fill(item, 'defaultRequest', item.min);
    }
  },
  validate(o) {
    const errs: FieldError[] = [];
    const limits = o.spec?.limits;
    if (!Array.isArray(limits)) return errs;
    limits.forEach((item: any, i: number) => {
      const p = `spec.limits[${i}]`;
      if (!LIMIT_TYPES.includes(item?.type)) errs.push({ field: `${p}.type`, type: 'FieldValueNotSupported', message: `${JSON.stringify(item?.type ?? '')}: supported values: ${LIMIT_TYPES.map((t) => JSON.stringify(t)).join(', ')}` });
      for (const k of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']) errs.push(...quantityMapErrors(item?.[k], `${p}.${k}`));
      if (item?.type === 'Pod' && item.default) errs.push({ field: `${p}.default`, type: 'FieldValueForbidden', message: 'may not be specified when `type` is \'Pod\'' });
      if (item?.type === 'Pod' && item.defaultRequest) errs.push({ field: `${p}.defaultRequest`, type: 'FieldValueForbidden', message: 'may not be specified when `type` is \'Pod\'' });
      for (const [k, min] of Object.entries(item?.min ?? {})) {
        const max = own(item?.max ?? {}, k);
        if (max !== undefined && quantity(min) > quantity(max)) errs.push({ field: `${p}.min[${k}]`, type: 'FieldValueInvalid', message: `${JSON.stringify(min)}: min value ${min} is greater than max value ${max}` });
      }
    });
    return errs;
  },
  fields: metaFields,
});

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
function accessModeErrors(modes: unknown, field: string): FieldError[] {
  if (!Array.isArray(modes) || modes.length === 0) return [{ field, type: 'FieldValueRequired', message: 'at least 1 access mode is required' }];
  const errs: FieldError[] = modes.filter((m) => !ACCESS_MODES.includes(m)).map((m) => ({
    field, type: 'FieldValueNotSupported' as const, message: `${JSON.stringify(m)}: supported values: ${ACCESS_MODES.map((a) => JSON.stringify(a)).join(', ')}`,
  }));
  if (modes.includes('ReadWriteOncePod') && modes.length > 1) errs.push({ field, type: 'FieldValueForbidden', message: 'may not use ReadWriteOncePod with other access modes' });
  return errs;
}
const VOLUME_MODES = ['Block', 'Filesystem'];
const volumeModeErrors = (v: unknown, field: string): FieldError[] =>
  v === undefined || VOLUME_MODES.includes(v as string) ? [] : [{ field, type: 'FieldValueNotSupported', message: `${JSON.stringify(v)}: supported values: "Block", "Filesystem"` }];

export const persistentvolumeclaims = defineResource({
  group: '', version: 'v1', kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', namespaced: true, shortNames: ['pvc'],
  subresources: ['status'], definition: 'io.k8s.api.core.v1.PersistentVolumeClaim',
  defaults(o) {
    o.spec ??= {};
    o.spec.volumeMode ??= 'Filesystem';
  },
  createStatus: () => ({ phase: 'Pending' }),
  validate(o, old) {
    const s = o.spec ?? {};
    const errs = accessModeErrors(s.accessModes, 'spec.accessModes');
    const storage = own(s.resources?.requests ?? {}, 'storage');
    if (storage === undefined) errs.push({ field: 'spec.resources[storage]', type: 'FieldValueRequired', message: '' });
    else if (typeof storage !== 'number' && !QUANTITY_RE.test(String(storage))) errs.push(quantityError('spec.resources.requests[storage]', storage));
    else if (quantity(storage) <= 0) errs.push({ field: 'spec.resources[storage]', type: 'FieldValueInvalid', message: `${JSON.stringify(String(storage))}: must be greater than zero` });
    errs.push(...quantityMapErrors(s.resources?.limits, 'spec.resources.limits'));
    errs.push(...volumeModeErrors(s.volumeMode, 'spec.volumeMode'));
    if (old && errs.length === 0) errs.push(...validateClaimUpdate(o, old));
    return errs;
  },
  fields: metaFields,
});

/**
 * ValidatePersistentVolumeClaimUpdate: the spec is fixed once created, but for a bound claim's
 * storage request (expansion, never below what it has: RecoverVolumeExpansionFailure, on in
 * 1.32), the volumeAttributesClassName, and the volumeName a binder fills in.
 */
function validateClaimUpdate(o: KubeObject, old: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const next = deepCopy(o.spec ?? {});
  const prev = deepCopy(old.spec ?? {});
  const bound = o.status?.phase === 'Bound';
  if (bound && next.resources?.requests && own(next.resources.requests, 'storage') !== undefined) {
    const want = own(next.resources.requests, 'storage');
    const before = own(prev.resources?.requests ?? {}, 'storage');
    const has = own(old.status?.capacity ?? {}, 'storage');
    // Only a smaller request is judged: down to just above status.capacity, to recover from a failed expansion
    // (a claim bound to a volume bigger than it asked may keep its request, however the capacity compares).
    if (before !== undefined && quantity(want) < quantity(before) && has !== undefined && quantity(want) <= quantity(has)) {
      errs.push({ field: 'spec.resources.requests.storage', type: 'FieldValueForbidden', message: 'field can not be less than status.capacity' });
    }
    setOwn(next.resources.requests, 'storage', own(prev.resources?.requests ?? {}, 'storage'));
  }
  if (!prev.volumeName) prev.volumeName = next.volumeName;
  delete next.volumeAttributesClassName;
  delete prev.volumeAttributesClassName;
  for (const sp of [next, prev]) for (const k of Object.keys(sp)) if (sp[k] === undefined) delete sp[k];
  if (!sameValue(next, prev)) errs.push({ field: 'spec', type: 'FieldValueForbidden', message: 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims' });
  return errs;
}

const RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];
/** The volume sources a PersistentVolumeSpec may hold (exactly one). */
const PV_SOURCES = [
  'awsElasticBlockStore', 'azureDisk', 'azureFile', 'cephfs', 'cinder', 'csi', 'fc', 'flexVolume', 'flocker', 'gcePersistentDisk', 'glusterfs',
  'hostPath', 'iscsi', 'local', 'nfs', 'photonPersistentDisk', 'portworxVolume', 'quobyte', 'rbd', 'scaleIO', 'storageos', 'vsphereVolume',
];

export const persistentvolumes = defineResource({
  group: '', version: 'v1', kind: 'PersistentVolume', plural: 'persistentvolumes', namespaced: false, shortNames: ['pv'],
  subresources: ['status'], definition: 'io.k8s.api.core.v1.PersistentVolume',
  // PersistentVolumeStrategy.PrepareForCreate: Pending, with the time it became so.
  createStatus: () => ({ phase: 'Pending', lastPhaseTransitionTime: formatRFC3339() }),
  defaults(o) {
    o.spec ??= {};
    o.spec.persistentVolumeReclaimPolicy ??= 'Retain';
    o.spec.volumeMode ??= 'Filesystem';
    if (o.spec.hostPath && typeof o.spec.hostPath === 'object') o.spec.hostPath.type ??= '';
  },
  validate(o, old) {
    const s = o.spec ?? {};
    const errs = accessModeErrors(s.accessModes, 'spec.accessModes');
    const cap = s.capacity;
    if (!cap || typeof cap !== 'object' || Object.keys(cap).length === 0) errs.push({ field: 'spec.capacity', type: 'FieldValueRequired', message: '' });
    else {
      for (const k of Object.keys(cap)) if (k !== 'storage') errs.push({ field: 'spec.capacity', type: 'FieldValueNotSupported', message: `${JSON.stringify(k)}: supported values: "storage"` });
      errs.push(...quantityMapErrors(cap, 'spec.capacity'));
    }
    if (s.persistentVolumeReclaimPolicy !== undefined && !RECLAIM_POLICIES.includes(s.persistentVolumeReclaimPolicy)) {
      errs.push({ field: 'spec.persistentVolumeReclaimPolicy', type: 'FieldValueNotSupported', message: `${JSON.stringify(s.persistentVolumeReclaimPolicy)}: supported values: "Delete", "Recycle", "Retain"` });
    }
    const sources = PV_SOURCES.filter((k) => s[k] !== undefined && s[k] !== null);
    if (sources.length === 0) errs.push({ field: 'spec', type: 'FieldValueRequired', message: 'must specify a volume type' });
    else if (sources.length > 1) errs.push({ field: `spec.${sources[1]}`, type: 'FieldValueForbidden', message: 'may not specify more than 1 volume type' });
    errs.push(...volumeModeErrors(s.volumeMode, 'spec.volumeMode'));
    if (old) {
      const src = (spec: any) => JSON.stringify(PV_SOURCES.map((k) => spec?.[k] ?? null));
      if (src(s) !== src(old.spec)) errs.push({ field: 'spec.persistentvolumesource', type: 'FieldValueForbidden', message: 'spec.persistentvolumesource is immutable after creation' });
      if ((old.spec?.volumeMode ?? 'Filesystem') !== (s.volumeMode ?? 'Filesystem')) errs.push({ field: 'spec.volumeMode', type: 'FieldValueInvalid', message: `${JSON.stringify(s.volumeMode)}: field is immutable` });
    }
    return errs;
  },
  fields: metaFields,
});

export const podtemplates = defineResource({
  group: '', version: 'v1', kind: 'PodTemplate', plural: 'podtemplates', namespaced: true,
  definition: 'io.k8s.api.core.v1.PodTemplate',
  defaults(o) { defaultPodSpec(o.template?.spec); },
  validate(o) { return validatePodSpec(o.template?.spec, 'template.spec'); },
  fields: metaFields,
});

export const replicationcontrollers = defineResource({
  group: '', version: 'v1', kind: 'ReplicationController', plural: 'replicationcontrollers', namespaced: true, shortNames: ['rc'], categories: ['all'],
  subresources: ['status', 'scale'], definition: 'io.k8s.api.core.v1.ReplicationController', hasGeneration: true,
  scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' },
  defaults(o) {
    // SetDefaults_ReplicationController: selector and labels default to the template's labels.
    const s = (o.spec ??= {});
    const labels = s.template?.metadata?.labels;
    if (labels && typeof labels === 'object') {
      if (!s.selector || Object.keys(s.selector).length === 0) s.selector = { ...labels };
      if (!o.metadata.labels || Object.keys(o.metadata.labels).length === 0) o.metadata.labels = { ...labels };
    }
    s.replicas ??= 1;
    s.minReadySeconds ??= undefined;
    if (s.minReadySeconds === undefined) delete s.minReadySeconds;
    defaultPodSpec(s.template?.spec);
  },
  createStatus: () => ({ replicas: 0 }),
  validate(o) {
    const s = o.spec ?? {};
    const errs: FieldError[] = [];
    if (typeof s.replicas === 'number' && s.replicas < 0) errs.push({ field: 'spec.replicas', type: 'FieldValueInvalid', message: `${s.replicas}: must be greater than or equal to 0` });
    const sel = s.selector;
    if (!sel || typeof sel !== 'object' || Object.keys(sel).length === 0) errs.push({ field: 'spec.selector', type: 'FieldValueRequired', message: '' });
    if (!s.template) errs.push({ field: 'spec.template', type: 'FieldValueRequired', message: '' });
    else {
      const labels = s.template.metadata?.labels ?? {};
      if (sel && typeof sel === 'object' && Object.entries(sel).some(([k, v]) => own(labels, k) !== v)) {
        errs.push({ field: 'spec.template.metadata.labels', type: 'FieldValueInvalid', message: `${goStringMap(labels)}: selector does not match template labels` });
      }
      errs.push(...validatePodSpec(s.template.spec, 'spec.template.spec'));
      const rp = s.template.spec?.restartPolicy;
      if (rp && rp !== 'Always') errs.push({ field: 'spec.template.spec.restartPolicy', type: 'FieldValueNotSupported', message: `${JSON.stringify(rp)}: supported values: "Always"` });
    }
    return errs;
  },
  fields: { ...metaFields, 'status.replicas': (o) => String(o.status?.replicas ?? 0) },
});

/** The scopes a quota may name (helper.IsStandardResourceQuotaScope). */
const QUOTA_SCOPES = ['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity'];
/** standardResources and standardQuotaResources (pkg/apis/core/helper), hugepages aside. */
const STANDARD_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage', 'limits.cpu',
  'limits.memory', 'limits.ephemeral-storage', 'pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps',
  'persistentvolumeclaims', 'storage', 'requests.storage', 'services.nodeports', 'services.loadbalancers']);
const STANDARD_QUOTA_RESOURCES = new Set([...STANDARD_RESOURCES].filter((r) => r !== 'storage'));
const isHugePages = (r: string) => r.startsWith('hugepages-') || r.startsWith('requests.hugepages-');
const isStandardQuotaResource = (r: string) => STANDARD_QUOTA_RESOURCES.has(r) || isHugePages(r);
/** IsIntegerResourceName: object counts and extended resources (count/…, any other domain-qualified name) are whole numbers. */
const isIntegerResource = (r: string) => ['pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps', 'persistentvolumeclaims',
  'services.nodeports', 'services.loadbalancers'].includes(r) || (r.includes('/') && !r.includes('kubernetes.io/') && !r.startsWith('requests.'));
/** IsResourceQuotaScopeValidForResource: the pod scopes apply to pod counts and compute resources only. */
function scopeValidFor(scope: string, r: string): boolean {
  const podCount = r === 'pods';
  const podCompute = ['cpu', 'memory', 'limits.cpu', 'limits.memory', 'requests.cpu', 'requests.memory'].includes(r);
  if (scope === 'BestEffort') return podCount;
  if (QUOTA_SCOPES.includes(scope)) return podCount || podCompute;
  return true;
}
const goScopes = (v: unknown[]) => `[]core.ResourceQuotaScope{${v.map((x) => JSON.stringify(String(x))).join(', ')}}`;
const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[a-zA-Z0-9]([-A-Za-z0-9_.]*[a-zA-Z0-9])?$/;

/** ValidateResourceQuotaSpec: resource names and values of spec.hard, spec.scopes, spec.scopeSelector. */
function validateQuotaSpec(s: any): FieldError[] {
  const errs: FieldError[] = [];
  const invalid = (field: string, message: string) => errs.push({ field, type: 'FieldValueInvalid', message });
  const hard = s.hard && typeof s.hard === 'object' && !Array.isArray(s.hard) ? s.hard : {};
  for (const [k, v] of Object.entries(hard)) {
    const path = `spec.hard[${k}]`;
    const bare = !k.includes('/');
    if (!QUALIFIED_NAME.test(k)) invalid(path, `${JSON.stringify(k)}: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`);
    else {
      if (bare && !STANDARD_RESOURCES.has(k) && !isHugePages(k)) invalid(path, `${JSON.stringify(k)}: must be a standard resource type or fully qualified`);
      if (bare && !isStandardQuotaResource(k)) invalid(path, `${JSON.stringify(k)}: must be a standard resource for quota`);
    }
    const q = typeof v === 'number' ? v : QUANTITY_RE.test(String(v)) ? quantity(v) : NaN;
    if (Number.isNaN(q)) errs.push(quantityError(path, v));
    else if (q < 0) invalid(path, `${JSON.stringify(String(v))}: must be greater than or equal to 0`);
    else if (isIntegerResource(k) && !Number.isInteger(q)) invalid(path, `${JSON.stringify(String(v))}: must be an integer`);
  }
  const scopes: unknown[] = Array.isArray(s.scopes) ? s.scopes : [];
  const scopeErrs = (names: string[], field: string, shown: string) => {
    for (const sc of names) {
      for (const k of Object.keys(hard).sort()) {
        if (isStandardQuotaResource(k) && !scopeValidFor(sc, k)) invalid(field, `${shown}: unsupported scope applied to resource`);
      }
    }
    if ((names.includes('BestEffort') && names.includes('NotBestEffort')) || (names.includes('Terminating') && names.includes('NotTerminating'))) {
      invalid(field, `${shown}: conflicting scopes`);
    }
  };
  if (scopes.length) {
    for (const sc of scopes) if (!QUOTA_SCOPES.includes(sc as string)) invalid('spec.scopes', `${goScopes(scopes)}: unsupported scope`);
    scopeErrs(scopes.map(String), 'spec.scopes', goScopes(scopes));
  }
  const exprs: any[] = Array.isArray(s.scopeSelector?.matchExpressions) ? s.scopeSelector.matchExpressions : [];
  const base = 'spec.scopeSelector.matchExpressions';
  for (const e of exprs) {
    const name = String(e?.scopeName ?? '');
    const op = String(e?.operator ?? '');
    const values: unknown[] = Array.isArray(e?.values) ? e.values : [];
    if (!QUOTA_SCOPES.includes(name)) invalid(`${base}.scopeName`, `${JSON.stringify(name)}: unsupported scope`);
    if (['BestEffort', 'NotBestEffort', 'Terminating', 'NotTerminating', 'CrossNamespacePodAffinity'].includes(name) && op !== 'Exists') {
      invalid(`${base}.operator`, `${JSON.stringify(op)}: must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity`);
    }
    if (op === 'In' || op === 'NotIn') {
      if (values.length === 0) errs.push({ field: `${base}.values`, type: 'FieldValueRequired', message: "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector" });
    } else if (op === 'Exists' || op === 'DoesNotExist') {
      if (values.length) invalid(`${base}.values`, `[]string{${values.map((x) => JSON.stringify(String(x))).join(', ')}}: must be no value when \`operator\` is 'Exist' or 'DoesNotExist' for scope selector`);
    } else invalid(`${base}.operator`, `${JSON.stringify(op)}: not a valid selector operator`);
  }
  if (exprs.length) scopeErrs(exprs.map((e) => String(e?.scopeName ?? '')), base, '&core.ScopeSelector{...}');
  return errs;
}

export const resourcequotas = defineResource({
  group: '', version: 'v1', kind: 'ResourceQuota', plural: 'resourcequotas', namespaced: true, shortNames: ['quota'],
  subresources: ['status'], definition: 'io.k8s.api.core.v1.ResourceQuota',
  validate(o) {
    return validateQuotaSpec(o.spec ?? {});
  },
  fields: metaFields,
});

/** A map[string]string as field.Invalid prints it (%#v): map[string]string{"a":"b", "c":"d"}, keys sorted. */
export function goStringMap(m: Record<string, unknown>): string {
  return `map[string]string{${Object.keys(m).sort().map((k) => `${JSON.stringify(k)}:${JSON.stringify(String(m[k]))}`).join(', ')}}`;
}
