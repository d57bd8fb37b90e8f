// core/v1 kinds served by nodeless.
import type { FieldError, KubeObject } from '../types.js';
import { defineResource, metaFields } from './define.js';
import { defaultPodSpec, validatePodSpec } from './podspec.js';
import { deepCopy } from '../deepcopy.js';
import { setOwn } from '../../util/own.js';

const podPhaseReady = (o: any) => o.status?.phase;

export const namespaces = defineResource({
  group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false, shortNames: ['ns'],
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
    o.spec.priority ??= 0;
    o.spec.preemptionPolicy ??= 'PreemptLowerPriority';
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
    if (!old.spec?.nodeName) delete s.nodeName;
    return JSON.stringify(s);
  };
  if (strip(o.spec) !== strip(old.spec)) {
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

export const configmaps = defineResource({
  group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true, shortNames: ['cm'],
  definition: 'io.k8s.api.core.v1.ConfigMap', fields: metaFields,
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
  fields: { ...metaFields, type: (o) => o.type },
});

export const serviceaccounts = defineResource({
  group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true, shortNames: ['sa'],
  definition: 'io.k8s.api.core.v1.ServiceAccount', fields: metaFields,
});
