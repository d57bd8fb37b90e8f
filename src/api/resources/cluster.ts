// scheduling.k8s.io PriorityClass, node.k8s.io RuntimeClass, discovery.k8s.io
// EndpointSlice, events.k8s.io Event (a view of core/v1 Events) and the
// storage.k8s.io kinds. Rules and sources: docs/api-resources.md.
import type { FieldError, KubeObject } from '../types.js';
import { defineResource, metaFields } from './define.js';
import { validateDNS1123Label, validateQualifiedName } from '../selectors.js';
import { sameValue } from '../../util/equal.js';
import { deepCopy } from '../deepcopy.js';

const required = (field: string, message = ''): FieldError => ({ field, type: 'FieldValueRequired', message });
const immutable = (field: string, value: unknown): FieldError => ({ field, type: 'FieldValueInvalid', message: `${goValue(value)}: field is immutable` });
const forbidden = (field: string, message: string): FieldError => ({ field, type: 'FieldValueForbidden', message });
const unsupported = (field: string, value: unknown, allowed: string[]): FieldError => ({
  field, type: 'FieldValueNotSupported', message: `${JSON.stringify(value)}: supported values: ${allowed.map((a) => JSON.stringify(a)).join(', ')}`,
});
/** A scalar as field.Invalid prints it: strings quoted, numbers and booleans bare, nil as null. */
function goValue(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

// ---- scheduling.k8s.io

/** The two classes every cluster has (scheduling.SystemPriorityClasses), created at start (src/cluster.ts). */
export const SYSTEM_PRIORITY_CLASSES = [
  { name: 'system-node-critical', value: 2000001000, description: 'Used for system critical pods that must not be moved from their current node.' },
  { name: 'system-cluster-critical', value: 2000000000, description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.' },
];
const HIGHEST_USER_DEFINABLE_PRIORITY = 1000000000;

function validatePriorityClass(o: KubeObject, old?: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const name = o.metadata.name ?? '';
  if (typeof o.value !== 'number') errs.push(required('value'));
  if (name.startsWith('system-')) {
    const known = SYSTEM_PRIORITY_CLASSES.find((c) => c.name === name);
    const why = !known ? `${name} is not a known system priority class` : known.value !== o.value ? `value of ${name} PriorityClass must be ${known.value}` : o.globalDefault ? `globalDefault of ${name} PriorityClass must be false` : '';
    if (why) errs.push(forbidden('metadata.name', `priority class names with 'system-' prefix are reserved for system use only. error: ${why}`));
  } else if (typeof o.value === 'number' && o.value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    errs.push(forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
  }
  if (o.preemptionPolicy !== undefined && !['Never', 'PreemptLowerPriority'].includes(o.preemptionPolicy)) errs.push(unsupported('preemptionPolicy', o.preemptionPolicy, ['Never', 'PreemptLowerPriority']));
  if (old) {
    if (o.value !== old.value) errs.push(forbidden('value', 'may not be changed in an update.'));
    if (o.preemptionPolicy !== old.preemptionPolicy) errs.push(immutable('preemptionPolicy', o.preemptionPolicy));
  }
  return errs;
}

export const priorityclasses = defineResource({
  group: 'scheduling.k8s.io', version: 'v1', kind: 'PriorityClass', plural: 'priorityclasses', namespaced: false, shortNames: ['pc'],
  definition: 'io.k8s.api.scheduling.v1.PriorityClass',
  defaults(o) { o.preemptionPolicy ??= 'PreemptLowerPriority'; },
  validate: validatePriorityClass,
  fields: metaFields,
});

// ---- node.k8s.io

export const runtimeclasses = defineResource({
  group: 'node.k8s.io', version: 'v1', kind: 'RuntimeClass', plural: 'runtimeclasses', namespaced: false,
  definition: 'io.k8s.api.node.v1.RuntimeClass',
  validate(o, old) {
    const errs: FieldError[] = [];
    if (typeof o.handler !== 'string' || o.handler === '') errs.push(required('handler'));
    else {
      const bad = validateDNS1123Label(o.handler);
      if (bad.length) errs.push({ field: 'handler', type: 'FieldValueInvalid', message: `${JSON.stringify(o.handler)}: ${bad.join('; ')}` });
    }
    if (old && o.handler !== old.handler) errs.push(immutable('handler', o.handler));
    return errs;
  },
  fields: metaFields,
});

// ---- discovery.k8s.io

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export const endpointslices = defineResource({
  group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', plural: 'endpointslices', namespaced: true,
  definition: 'io.k8s.api.discovery.v1.EndpointSlice',
  defaults(o) {
    // SetDefaults_EndpointPort.
    for (const p of Array.isArray(o.ports) ? o.ports : []) {
      if (!p || typeof p !== 'object') continue;
      p.name ??= '';
      p.protocol ??= 'TCP';
    }
  },
  validate(o, old) {
    const errs: FieldError[] = [];
    if (!ADDRESS_TYPES.includes(o.addressType)) {
      if (o.addressType === undefined || o.addressType === '') errs.push(required('addressType'));
      else errs.push(unsupported('addressType', o.addressType, ADDRESS_TYPES));
    }
    const eps: any[] = Array.isArray(o.endpoints) ? o.endpoints : [];
    if (eps.length > 1000) errs.push({ field: 'endpoints', type: 'FieldValueTooMany', message: `${eps.length}: must have at most 1000 items` });
    eps.forEach((e, i) => {
      const addrs: any[] = Array.isArray(e?.addresses) ? e.addresses : [];
      if (addrs.length === 0) errs.push(required(`endpoints[${i}].addresses`, 'must contain at least 1 address'));
      else if (addrs.length > 100) errs.push({ field: `endpoints[${i}].addresses`, type: 'FieldValueTooMany', message: `${addrs.length}: must have at most 100 items` });
      if (o.addressType === 'IPv4') addrs.forEach((a, j) => {
        if (typeof a !== 'string' || !IPV4.test(a)) errs.push({ field: `endpoints[${i}].addresses[${j}]`, type: 'FieldValueInvalid', message: `${JSON.stringify(a)}: must be a valid IPv4 address` });
      });
    });
    const names = new Set<string>();
    (Array.isArray(o.ports) ? o.ports : []).forEach((p: any, i: number) => {
      const n = p?.name ?? '';
      if (names.has(n)) errs.push({ field: `ports[${i}].name`, type: 'FieldValueDuplicate', message: JSON.stringify(n) });
      names.add(n);
      if (p?.protocol !== undefined && !['SCTP', 'TCP', 'UDP'].includes(p.protocol)) errs.push(unsupported(`ports[${i}].protocol`, p.protocol, ['SCTP', 'TCP', 'UDP']));
    });
    if (old && o.addressType !== old.addressType) errs.push(immutable('addressType', o.addressType));
    return errs;
  },
  fields: metaFields,
});

// ---- events.k8s.io: the core Events, in the newer shape (pkg/apis/events/v1/conversion.go)

/** Core v1 Event fields and their events.k8s.io/v1 names. */
const EVENT_RENAMES: [string, string][] = [
  ['involvedObject', 'regarding'], ['message', 'note'], ['source', 'deprecatedSource'], ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'], ['count', 'deprecatedCount'], ['reportingComponent', 'reportingController'],
];
const SAME = ['metadata', 'eventTime', 'series', 'reportingInstance', 'action', 'reason', 'related', 'type'];

function renameEvent(o: KubeObject, apiVersion: string, pairs: [string, string][]): KubeObject {
  const out: KubeObject = { apiVersion, kind: 'Event', metadata: deepCopy(o.metadata) };
  for (const k of SAME) if (k !== 'metadata' && o[k] !== undefined) out[k] = deepCopy(o[k]);
  for (const [from, to] of pairs) if (o[from] !== undefined && o[from] !== '' && o[from] !== null) out[to] = deepCopy(o[from]);
  return out;
}

export const eventToEventsV1 = (core: KubeObject): KubeObject => renameEvent(core, 'events.k8s.io/v1', EVENT_RENAMES);
export const eventsV1ToEvent = (ev: KubeObject): KubeObject => renameEvent(ev, 'v1', EVENT_RENAMES.map(([a, b]) => [b, a]));

const EVENT_TYPES = ['Normal', 'Warning'];

export const eventsV1 = defineResource({
  group: 'events.k8s.io', version: 'v1', kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'],
  definition: 'io.k8s.api.events.v1.Event',
  storedAs: { group: '', plural: 'events' },
  convert: { fromStorage: eventToEventsV1, toStorage: eventsV1ToEvent },
  validate(o, old) {
    // ValidateEventCreate/Update for an events.k8s.io/v1 request: the newer fields are required.
    const errs: FieldError[] = [];
    if (old) return errs;
    if (!o.eventTime) errs.push(required('eventTime'));
    if (!EVENT_TYPES.includes(o.type)) errs.push({ field: 'type', type: 'FieldValueInvalid', message: `"": has invalid value: ${o.type ?? ''}` });
    if (!o.reportingController) errs.push(required('reportingController'));
    else errs.push(...validateQualifiedName(o.reportingController).map((m): FieldError => ({ field: 'reportingController', type: 'FieldValueInvalid', message: `${JSON.stringify(o.reportingController)}: ${m}` })));
    for (const k of ['reportingInstance', 'action', 'reason']) {
      if (!o[k]) errs.push(required(k));
      else if (String(o[k]).length > 128) errs.push({ field: k, type: 'FieldValueInvalid', message: '"": can have at most 128 characters' });
    }
    if (typeof o.note === 'string' && o.note.length > 1024) errs.push({ field: 'note', type: 'FieldValueInvalid', message: '"": can have at most 1024 characters' });
    return errs;
  },
  fields: metaFields,
});

// ---- storage.k8s.io

const RECLAIM = ['Delete', 'Retain'];
const BINDING_MODES = ['Immediate', 'WaitForFirstConsumer'];

export const storageclasses = defineResource({
  group: 'storage.k8s.io', version: 'v1', kind: 'StorageClass', plural: 'storageclasses', namespaced: false, shortNames: ['sc'],
  definition: 'io.k8s.api.storage.v1.StorageClass',
  defaults(o) {
    o.reclaimPolicy ??= 'Delete';
    o.volumeBindingMode ??= 'Immediate';
  },
  validate(o, old) {
    const errs: FieldError[] = [];
    if (!o.provisioner) errs.push(required('provisioner'));
    else errs.push(...validateQualifiedName(o.provisioner).map((m): FieldError => ({ field: 'provisioner', type: 'FieldValueInvalid', message: `${JSON.stringify(o.provisioner)}: ${m}` })));
    if (!RECLAIM.includes(o.reclaimPolicy)) errs.push(unsupported('reclaimPolicy', o.reclaimPolicy, RECLAIM));
    if (!BINDING_MODES.includes(o.volumeBindingMode)) errs.push(unsupported('volumeBindingMode', o.volumeBindingMode, BINDING_MODES));
    if (old) {
      // ValidateStorageClassUpdate.
      if (!sameValue(o.parameters ?? {}, old.parameters ?? {})) errs.push(forbidden('parameters', 'updates to parameters are forbidden.'));
      if (o.provisioner !== old.provisioner) errs.push(forbidden('provisioner', 'updates to provisioner are forbidden.'));
      if (o.reclaimPolicy !== old.reclaimPolicy) errs.push(forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
      if (o.volumeBindingMode !== old.volumeBindingMode) errs.push(immutable('volumeBindingMode', o.volumeBindingMode));
    }
    return errs;
  },
  fields: metaFields,
});

const LIFECYCLE_MODES = ['Ephemeral', 'Persistent'];
const FS_GROUP_POLICIES = ['File', 'None', 'ReadWriteOnceWithFSType'];

export const csidrivers = defineResource({
  group: 'storage.k8s.io', version: 'v1', kind: 'CSIDriver', plural: 'csidrivers', namespaced: false,
  definition: 'io.k8s.api.storage.v1.CSIDriver',
  defaults(o) {
    // SetDefaults_CSIDriver (SELinuxMountReadWriteOncePod is on by default in 1.32).
    const s = (o.spec ??= {});
    s.attachRequired ??= true;
    s.podInfoOnMount ??= false;
    s.storageCapacity ??= false;
    s.fsGroupPolicy ??= 'ReadWriteOnceWithFSType';
    if (!Array.isArray(s.volumeLifecycleModes) || s.volumeLifecycleModes.length === 0) s.volumeLifecycleModes = ['Persistent'];
    s.requiresRepublish ??= false;
    s.seLinuxMount ??= false;
  },
  validate(o, old) {
    const s = o.spec ?? {};
    const errs: FieldError[] = [];
    const name = o.metadata.name ?? '';
    if (name.length > 63) errs.push({ field: 'metadata.name', type: 'FieldValueTooLong', message: `may not be more than 63 bytes` });
    (Array.isArray(s.volumeLifecycleModes) ? s.volumeLifecycleModes : []).forEach((m: unknown) => {
      if (!LIFECYCLE_MODES.includes(m as string)) errs.push(unsupported('spec.volumeLifecycleModes', m, LIFECYCLE_MODES));
    });
    if (s.fsGroupPolicy !== undefined && !FS_GROUP_POLICIES.includes(s.fsGroupPolicy)) errs.push(unsupported('spec.fsGroupPolicy', s.fsGroupPolicy, FS_GROUP_POLICIES));
    if (old) {
      const p = old.spec ?? {};
      if (s.attachRequired !== p.attachRequired) errs.push(immutable('spec.attachRequired', s.attachRequired));
      if (s.fsGroupPolicy !== p.fsGroupPolicy) errs.push(immutable('spec.fsGroupPolicy', s.fsGroupPolicy));
      if (!sameValue(s.volumeLifecycleModes, p.volumeLifecycleModes)) errs.push({ field: 'spec.volumeLifecycleModes', type: 'FieldValueInvalid', message: 'field is immutable' });
    }
    return errs;
  },
  fields: metaFields,
});

export const csinodes = defineResource({
  group: 'storage.k8s.io', version: 'v1', kind: 'CSINode', plural: 'csinodes', namespaced: false,
  definition: 'io.k8s.api.storage.v1.CSINode',
  validate(o, old) {
    const errs: FieldError[] = [];
    const drivers = o.spec?.drivers;
    if (!Array.isArray(drivers)) {
      errs.push(required('spec.drivers'));
      return errs;
    }
    const seen = new Set<string>();
    drivers.forEach((d: any, i: number) => {
      const p = `spec.drivers[${i}]`;
      if (!d?.name) errs.push(required(`${p}.name`));
      else if (seen.has(d.name)) errs.push({ field: `${p}.name`, type: 'FieldValueDuplicate', message: JSON.stringify(d.name) });
      else seen.add(d.name);
      if (!d?.nodeID) errs.push(required(`${p}.nodeID`));
      const was = old?.spec?.drivers?.find?.((x: any) => x?.name === d?.name);
      if (was && was.nodeID !== d.nodeID) errs.push(immutable(`${p}.nodeID`, d.nodeID));
      if (was && !sameValue(was.topologyKeys ?? [], d.topologyKeys ?? [])) errs.push({ field: `${p}.topologyKeys`, type: 'FieldValueInvalid', message: 'field is immutable' });
    });
    return errs;
  },
  fields: metaFields,
});

export const csistoragecapacities = defineResource({
  group: 'storage.k8s.io', version: 'v1', kind: 'CSIStorageCapacity', plural: 'csistoragecapacities', namespaced: true,
  definition: 'io.k8s.api.storage.v1.CSIStorageCapacity',
  validate(o, old) {
    const errs: FieldError[] = [];
    if (!o.storageClassName) errs.push(required('storageClassName'));
    if (old) {
      if (o.storageClassName !== old.storageClassName) errs.push(immutable('storageClassName', o.storageClassName));
      if (!sameValue(o.nodeTopology, old.nodeTopology)) errs.push({ field: 'nodeTopology', type: 'FieldValueInvalid', message: 'field is immutable' });
    }
    return errs;
  },
  fields: metaFields,
});

export const volumeattachments = defineResource({
  group: 'storage.k8s.io', version: 'v1', kind: 'VolumeAttachment', plural: 'volumeattachments', namespaced: false,
  subresources: ['status'], definition: 'io.k8s.api.storage.v1.VolumeAttachment',
  createStatus: () => ({ attached: false }),
  validate(o, old) {
    const s = o.spec ?? {};
    const errs: FieldError[] = [];
    if (!s.attacher) errs.push(required('spec.attacher'));
    if (!s.nodeName) errs.push(required('spec.nodeName'));
    const src = s.source ?? {};
    const n = (src.persistentVolumeName ? 1 : 0) + (src.inlineVolumeSpec ? 1 : 0);
    if (n !== 1) errs.push(required('spec.source', 'must specify exactly one of inlineVolumeSpec and persistentVolumeName'));
    if (old && !sameValue(o.spec, old.spec)) errs.push({ field: 'spec', type: 'FieldValueInvalid', message: 'field is immutable' });
    return errs;
  },
  fields: metaFields,
});
