// apps/v1 workload kinds.
import type { FieldError, KubeObject } from '../types.js';
import { defineResource, metaFields } from './define.js';
import { defaultPodSpec, validatePodSpec, validateTemplateSelected } from './podspec.js';

function validateWorkload(o: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const r = o.spec?.replicas;
  if (r !== undefined && (typeof r !== 'number' || r < 0)) errs.push({ field: 'spec.replicas', type: 'FieldValueInvalid', message: `${JSON.stringify(r)}: must be greater than or equal to 0` });
  errs.push(...validateTemplateSelected(o.spec?.selector, o.spec?.template, 'spec.template'));
  errs.push(...validatePodSpec(o.spec?.template?.spec, 'spec.template.spec'));
  return errs;
}

function immutableSelector(o: KubeObject, old?: KubeObject): FieldError[] {
  if (old && JSON.stringify(o.spec?.selector) !== JSON.stringify(old.spec?.selector)) {
    return [{ field: 'spec.selector', type: 'FieldValueInvalid', message: `${JSON.stringify(o.spec?.selector)}: field is immutable` }];
  }
  return [];
}

const scale = { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' };

export const deployments = defineResource({
  group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true, shortNames: ['deploy'], categories: ['all'],
  subresources: ['status', 'scale'], definition: 'io.k8s.api.apps.v1.Deployment', hasGeneration: true, scale,
  defaults(o) {
    const s = (o.spec ??= {});
    s.replicas ??= 1;
    s.revisionHistoryLimit ??= 10;
    s.progressDeadlineSeconds ??= 600;
    s.strategy ??= { type: 'RollingUpdate' };
    if (s.strategy.type === undefined) s.strategy.type = 'RollingUpdate';
    if (s.strategy.type === 'RollingUpdate') {
      s.strategy.rollingUpdate ??= {};
      s.strategy.rollingUpdate.maxUnavailable ??= '25%';
      s.strategy.rollingUpdate.maxSurge ??= '25%';
    }
    defaultPodSpec(s.template?.spec);
  },
  validate: (o, old) => [...validateWorkload(o), ...immutableSelector(o, old)],
  fields: metaFields,
});

export const replicasets = defineResource({
  group: 'apps', version: 'v1', kind: 'ReplicaSet', plural: 'replicasets', namespaced: true, shortNames: ['rs'], categories: ['all'],
  subresources: ['status', 'scale'], definition: 'io.k8s.api.apps.v1.ReplicaSet', hasGeneration: true, scale,
  createStatus: () => ({ replicas: 0 }),
  defaults(o) { o.spec ??= {}; o.spec.replicas ??= 1; defaultPodSpec(o.spec.template?.spec); },
  validate: (o, old) => [...validateWorkload(o), ...immutableSelector(o, old)],
  fields: { ...metaFields, 'status.replicas': (o) => String(o.status?.replicas ?? 0) },
});

export const statefulsets = defineResource({
  group: 'apps', version: 'v1', kind: 'StatefulSet', plural: 'statefulsets', namespaced: true, shortNames: ['sts'], categories: ['all'],
  subresources: ['status', 'scale'], definition: 'io.k8s.api.apps.v1.StatefulSet', hasGeneration: true, scale,
  createStatus: () => ({ replicas: 0, availableReplicas: 0 }),
  defaults(o) {
    const s = (o.spec ??= {});
    s.replicas ??= 1;
    s.podManagementPolicy ??= 'OrderedReady';
    s.revisionHistoryLimit ??= 10;
    s.updateStrategy ??= { type: 'RollingUpdate' };
    if (s.updateStrategy.type === 'RollingUpdate') { s.updateStrategy.rollingUpdate ??= {}; s.updateStrategy.rollingUpdate.partition ??= 0; }
    s.persistentVolumeClaimRetentionPolicy ??= { whenDeleted: 'Retain', whenScaled: 'Retain' };
    defaultPodSpec(s.template?.spec);
  },
  validate: (o, old) => [...validateWorkload(o), ...immutableSelector(o, old)],
  fields: metaFields,
});

export const daemonsets = defineResource({
  group: 'apps', version: 'v1', kind: 'DaemonSet', plural: 'daemonsets', namespaced: true, shortNames: ['ds'], categories: ['all'],
  subresources: ['status'], definition: 'io.k8s.api.apps.v1.DaemonSet', hasGeneration: true,
  createStatus: () => ({ currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 }),
  defaults(o) {
    const s = (o.spec ??= {});
    s.revisionHistoryLimit ??= 10;
    s.updateStrategy ??= { type: 'RollingUpdate' };
    if (s.updateStrategy.type === 'RollingUpdate') { s.updateStrategy.rollingUpdate ??= {}; s.updateStrategy.rollingUpdate.maxUnavailable ??= 1; s.updateStrategy.rollingUpdate.maxSurge ??= 0; }
    defaultPodSpec(s.template?.spec);
  },
  validate: (o, old) => [...validateTemplateSelected(o.spec?.selector, o.spec?.template, 'spec.template'), ...validatePodSpec(o.spec?.template?.spec, 'spec.template.spec'), ...immutableSelector(o, old)],
  fields: metaFields,
});

export const controllerrevisions = defineResource({
  group: 'apps', version: 'v1', kind: 'ControllerRevision', plural: 'controllerrevisions', namespaced: true,
  definition: 'io.k8s.api.apps.v1.ControllerRevision', fields: metaFields,
});
