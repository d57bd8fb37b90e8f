// apps/v1 workload kinds.
import type { FieldError, KubeObject } from '../types.js';
import { defineResource, metaFields } from './define.js';
import { defaultPodSpec, validatePodSpec, validateTemplateSelected } from './podspec.js';
import { intOrPercentValue, nonNegative, notMoreThan100Percent, positiveIntOrPercent, showIntOrString } from './checks.js';

function validateWorkload(o: KubeObject, podSpec = o.spec?.template?.spec): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...nonNegative(o.spec?.replicas, 'spec.replicas'));
  errs.push(...nonNegative(o.spec?.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...validateTemplateSelected(o.spec?.selector, o.spec?.template, 'spec.template'));
  errs.push(...validatePodSpec(podSpec, 'spec.template.spec'));
  return errs;
}

/** ValidateDeploymentSpec's numbers and strategy (pkg/apis/apps/validation). */
function validateDeployment(o: KubeObject): FieldError[] {
  const s = o.spec ?? {};
  const errs = validateWorkload(o);
  errs.push(...nonNegative(s.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  if (typeof s.progressDeadlineSeconds === 'number') {
    errs.push(...nonNegative(s.progressDeadlineSeconds, 'spec.progressDeadlineSeconds'));
    if (s.progressDeadlineSeconds <= (s.minReadySeconds ?? 0)) {
      errs.push({ field: 'spec.progressDeadlineSeconds', type: 'FieldValueInvalid', message: `${s.progressDeadlineSeconds}: must be greater than minReadySeconds` });
    }
  }
  const st = s.strategy ?? {};
  const ru = st.rollingUpdate;
  if (st.type === 'Recreate') {
    if (ru != null) errs.push({ field: 'spec.strategy.rollingUpdate', type: 'FieldValueForbidden', message: "may not be specified when strategy `type` is 'Recreate'" });
  } else if (st.type === 'RollingUpdate') {
    if (ru == null) errs.push({ field: 'spec.strategy.rollingUpdate', type: 'FieldValueRequired', message: 'this should be defaulted and never be nil' });
    else {
      const f = 'spec.strategy.rollingUpdate';
      errs.push(...positiveIntOrPercent(ru.maxUnavailable, `${f}.maxUnavailable`), ...positiveIntOrPercent(ru.maxSurge, `${f}.maxSurge`));
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
        errs.push({ field: `${f}.maxUnavailable`, type: 'FieldValueInvalid', message: `${showIntOrString(ru.maxUnavailable ?? 0)}: may not be 0 when \`maxSurge\` is 0` });
      }
      errs.push(...notMoreThan100Percent(ru.maxUnavailable, `${f}.maxUnavailable`));
    }
  } else {
    // Go prints the strategy struct; its rollingUpdate pointer shows as nil or as an address we do not reproduce.
    errs.push({ field: 'spec.strategy', type: 'FieldValueNotSupported', message: `apps.DeploymentStrategy{Type:${JSON.stringify(st.type ?? '')}, RollingUpdate:(*apps.RollingUpdateDeployment)(${ru == null ? 'nil' : '0xc000000000'})}: supported values: "Recreate", "RollingUpdate"` });
  }
  return errs;
}

/** ValidateStatefulSetSpec's numbers, pod management policy and rolling update. */
function validateStatefulSet(o: KubeObject): FieldError[] {
  const s = o.spec ?? {};
  // The pods' volumes include one per volumeClaimTemplate (kube leaves the template's volumes unchecked
  // for this reason; nodeless checks them with the claims in, so mounts of a claim template are valid).
  const spec = s.template?.spec;
  const claims = (Array.isArray(s.volumeClaimTemplates) ? s.volumeClaimTemplates : []).map((t: any) => t?.metadata?.name).filter((x: unknown): x is string => typeof x === 'string' && !!x);
  const podSpec = spec && typeof spec === 'object' && claims.length
    ? { ...spec, volumes: [...(Array.isArray(spec.volumes) ? spec.volumes : []), ...claims.filter((c: string) => !(spec.volumes ?? []).some((v: any) => v?.name === c)).map((c: string) => ({ name: c, persistentVolumeClaim: { claimName: c } }))] }
    : spec;
  const errs = validateWorkload(o, podSpec);
  if (s.ordinals) errs.push(...nonNegative(s.ordinals.start, 'spec.ordinals.start'));
  if (s.podManagementPolicy !== undefined && !['OrderedReady', 'Parallel'].includes(s.podManagementPolicy)) {
    errs.push({ field: 'spec.podManagementPolicy', type: 'FieldValueInvalid', message: `${JSON.stringify(s.podManagementPolicy)}: must be 'OrderedReady' or 'Parallel'` });
  }
  const ru = s.updateStrategy?.type === 'RollingUpdate' ? s.updateStrategy.rollingUpdate : undefined;
  if (ru) {
    const f = 'spec.updateStrategy.rollingUpdate';
    errs.push(...nonNegative(ru.partition, `${f}.partition`));
    if (ru.maxUnavailable != null) {
      errs.push(...positiveIntOrPercent(ru.maxUnavailable, `${f}.maxUnavailable`));
      if (intOrPercentValue(ru.maxUnavailable) === 0) errs.push({ field: `${f}.maxUnavailable`, type: 'FieldValueInvalid', message: `${showIntOrString(ru.maxUnavailable)}: cannot be 0` });
      errs.push(...notMoreThan100Percent(ru.maxUnavailable, `${f}.maxUnavailable`));
    }
  }
  return errs;
}

/** ValidateDaemonSetSpec's numbers and rolling update (exactly one of maxSurge and maxUnavailable non-zero). */
function validateDaemonSet(o: KubeObject): FieldError[] {
  const s = o.spec ?? {};
  const errs = [...validateTemplateSelected(s.selector, s.template, 'spec.template'), ...validatePodSpec(s.template?.spec, 'spec.template.spec')];
  errs.push(...nonNegative(s.minReadySeconds, 'spec.minReadySeconds'), ...nonNegative(s.templateGeneration, 'spec.templateGeneration'), ...nonNegative(s.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  const ru = s.updateStrategy?.type === 'RollingUpdate' ? s.updateStrategy.rollingUpdate : undefined;
  if (ru) {
    const f = 'spec.updateStrategy.rollingUpdate';
    errs.push(...positiveIntOrPercent(ru.maxUnavailable, `${f}.maxUnavailable`), ...positiveIntOrPercent(ru.maxSurge, `${f}.maxSurge`));
    errs.push(...notMoreThan100Percent(ru.maxUnavailable, `${f}.maxUnavailable`), ...notMoreThan100Percent(ru.maxSurge, `${f}.maxSurge`));
    const unavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
    const surge = intOrPercentValue(ru.maxSurge) !== 0;
    if (unavailable && surge) errs.push({ field: `${f}.maxSurge`, type: 'FieldValueInvalid', message: `${showIntOrString(ru.maxSurge)}: may not be set when maxUnavailable is non-zero` });
    else if (!unavailable && !surge) errs.push({ field: `${f}.maxUnavailable`, type: 'FieldValueRequired', message: 'cannot be 0 when maxSurge is 0' });
  }
  return errs;
}

function immutableSelector(o: KubeObject, old?: KubeObject): FieldError[] {
  if (old && JSON.stringify(o.spec?.selector) !== JSON.stringify(old.spec?.selector)) {
    return [{ field: 'spec.selector', type: 'FieldValueInvalid', message: `${JSON.stringify(o.spec?.selector ?? null)}: field is immutable` }]; // a nil selector prints as null in Go
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
  validate: (o, old) => [...validateDeployment(o), ...immutableSelector(o, old)],
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
  validate: (o, old) => [...validateStatefulSet(o), ...immutableSelector(o, old)],
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
  validate: (o, old) => [...validateDaemonSet(o), ...immutableSelector(o, old)],
  fields: metaFields,
});

export const controllerrevisions = defineResource({
  group: 'apps', version: 'v1', kind: 'ControllerRevision', plural: 'controllerrevisions', namespaced: true,
  definition: 'io.k8s.api.apps.v1.ControllerRevision', fields: metaFields,
});
