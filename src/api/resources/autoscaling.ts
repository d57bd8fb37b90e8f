// autoscaling HorizontalPodAutoscaler, served as v2 and v1 from one storage (v2), converted
// as pkg/apis/autoscaling/v1/conversion.go does: v1's targetCPUUtilizationPercentage is v2's
// cpu Resource metric; what v1 cannot say (other metrics, conditions, behavior) travels in
// the autoscaling.alpha.kubernetes.io/* annotations of the v1 object (docs/api-resources.md).
import type { FieldError, KubeObject } from '../types.js';
import { deepCopy } from '../deepcopy.js';
import { defineResource, metaFields } from './define.js';

const A = 'autoscaling.alpha.kubernetes.io/';
const METRICS = A + 'metrics';
const CURRENT_METRICS = A + 'current-metrics';
const CONDITIONS = A + 'conditions';
const BEHAVIOR = A + 'behavior';

const policy = (type: string, value: number) => ({ type, value, periodSeconds: 15 });
/** SetDefaults_HorizontalPodAutoscalerBehavior's rules (v2). */
const defaultScaleUp = () => ({ stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [policy('Pods', 4), policy('Percent', 100)] });
const defaultScaleDown = () => ({ stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [policy('Percent', 100)] });

/** SetDefaults_HorizontalPodAutoscaler (v2): one replica at least, cpu at 80% when no metric is named, behavior's rules. */
function defaultsV2(o: KubeObject): void {
  const s = (o.spec ??= {});
  s.minReplicas ??= 1;
  if (!Array.isArray(s.metrics) || s.metrics.length === 0) {
    s.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
  }
  const b = s.behavior;
  if (b && typeof b === 'object') {
    const fill = (rules: any, def: any) => {
      if (!rules || typeof rules !== 'object') return def;
      rules.stabilizationWindowSeconds ??= def.stabilizationWindowSeconds;
      rules.selectPolicy ??= def.selectPolicy;
      if (!Array.isArray(rules.policies) || rules.policies.length === 0) rules.policies = def.policies;
      return rules;
    };
    b.scaleUp = fill(b.scaleUp, defaultScaleUp());
    b.scaleDown = fill(b.scaleDown, defaultScaleDown());
  }
}

const METRIC_TYPES = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
const TARGET_TYPES = ['AverageValue', 'Utilization', 'Value'];

/** ValidateHorizontalPodAutoscaler (pkg/apis/autoscaling/validation), as v2 holds it. */
function validateV2(o: KubeObject): FieldError[] {
  const s = o.spec ?? {};
  const errs: FieldError[] = [];
  const ref = s.scaleTargetRef;
  if (!ref?.kind) errs.push({ field: 'spec.scaleTargetRef.kind', type: 'FieldValueRequired', message: '' });
  if (!ref?.name) errs.push({ field: 'spec.scaleTargetRef.name', type: 'FieldValueRequired', message: '' });
  if (typeof s.minReplicas === 'number' && s.minReplicas < 1) errs.push({ field: 'spec.minReplicas', type: 'FieldValueInvalid', message: `${s.minReplicas}: must be greater than or equal to 1` });
  if (typeof s.maxReplicas !== 'number' || s.maxReplicas < 1) errs.push({ field: 'spec.maxReplicas', type: 'FieldValueInvalid', message: `${s.maxReplicas ?? 0}: must be greater than 0` });
  if (typeof s.minReplicas === 'number' && typeof s.maxReplicas === 'number' && s.maxReplicas < s.minReplicas) {
    errs.push({ field: 'spec.maxReplicas', type: 'FieldValueInvalid', message: `${s.maxReplicas}: must be greater than or equal to \`minReplicas\`` });
  }
  (Array.isArray(s.metrics) ? s.metrics : []).forEach((m: any, i: number) => {
    const p = `spec.metrics[${i}]`;
    if (!METRIC_TYPES.includes(m?.type)) {
      errs.push({ field: `${p}.type`, type: 'FieldValueNotSupported', message: `${JSON.stringify(m?.type ?? '')}: supported values: ${METRIC_TYPES.map((t) => JSON.stringify(t)).join(', ')}` });
      return;
    }
    const key = m.type[0].toLowerCase() + m.type.slice(1);
    const src = m[key];
    if (!src) {
      errs.push({ field: `${p}.${key}`, type: 'FieldValueRequired', message: `must populate information for the given metric source` });
      return;
    }
    const t = src.target;
    if (!t || !TARGET_TYPES.includes(t.type)) errs.push({ field: `${p}.${key}.target.type`, type: t?.type ? 'FieldValueInvalid' : 'FieldValueRequired', message: t?.type ? `${JSON.stringify(t.type)}: must be either Utilization, Value, or AverageValue` : 'must specify a metric target type' });
    if (typeof t?.averageUtilization === 'number' && t.averageUtilization < 1) errs.push({ field: `${p}.${key}.target.averageUtilization`, type: 'FieldValueInvalid', message: `${t.averageUtilization}: must be greater than 0` });
    if ((m.type === 'Resource' || m.type === 'ContainerResource') && !src.name) errs.push({ field: `${p}.${key}.name`, type: 'FieldValueRequired', message: 'must specify a resource name' });
  });
  return errs;
}

// ---- conversion

/** A v2 metric as v1's MetricSpec (the v2beta1 shape) for the annotation, as Convert_autoscaling_MetricTarget_To_v1_* does. */
function metricToV1(m: any): any {
  const target = (t: any) => ({
    ...(t?.averageUtilization !== undefined ? { targetAverageUtilization: t.averageUtilization } : {}),
    ...(t?.averageValue !== undefined ? { targetAverageValue: t.averageValue } : {}),
  });
  switch (m?.type) {
    case 'Resource': return { type: 'Resource', resource: { name: m.resource?.name, ...target(m.resource?.target) } };
    case 'ContainerResource': return { type: 'ContainerResource', containerResource: { name: m.containerResource?.name, container: m.containerResource?.container, ...target(m.containerResource?.target) } };
    case 'Pods': return { type: 'Pods', pods: { metricName: m.pods?.metric?.name, targetAverageValue: m.pods?.target?.averageValue, ...(m.pods?.metric?.selector ? { selector: m.pods.metric.selector } : {}) } };
    case 'Object': return {
      type: 'Object',
      object: {
        target: m.object?.describedObject, metricName: m.object?.metric?.name, targetValue: m.object?.target?.value,
        ...(m.object?.metric?.selector ? { selector: m.object.metric.selector } : {}), ...(m.object?.target?.averageValue !== undefined ? { averageValue: m.object.target.averageValue } : {}),
      },
    };
    case 'External': return {
      type: 'External',
      external: {
        metricName: m.external?.metric?.name, ...(m.external?.metric?.selector ? { metricSelector: m.external.metric.selector } : {}),
        ...(m.external?.target?.value !== undefined ? { targetValue: m.external.target.value } : {}), ...(m.external?.target?.averageValue !== undefined ? { targetAverageValue: m.external.target.averageValue } : {}),
      },
    };
  }
  return m;
}

/** The reverse of metricToV1. */
function metricFromV1(m: any): any {
  const target = (s: any) => (s?.targetAverageValue !== undefined ? { type: 'AverageValue', averageValue: s.targetAverageValue } : { type: 'Utilization', averageUtilization: s?.targetAverageUtilization });
  switch (m?.type) {
    case 'Resource': return { type: 'Resource', resource: { name: m.resource?.name, target: target(m.resource) } };
    case 'ContainerResource': return { type: 'ContainerResource', containerResource: { name: m.containerResource?.name, container: m.containerResource?.container, target: target(m.containerResource) } };
    case 'Pods': return { type: 'Pods', pods: { metric: { name: m.pods?.metricName, ...(m.pods?.selector ? { selector: m.pods.selector } : {}) }, target: { type: 'AverageValue', averageValue: m.pods?.targetAverageValue } } };
    case 'Object': return {
      type: 'Object',
      object: {
        describedObject: m.object?.target, metric: { name: m.object?.metricName, ...(m.object?.selector ? { selector: m.object.selector } : {}) },
        target: m.object?.averageValue !== undefined ? { type: 'AverageValue', averageValue: m.object.averageValue } : { type: 'Value', value: m.object?.targetValue },
      },
    };
    case 'External': return {
      type: 'External',
      external: {
        metric: { name: m.external?.metricName, ...(m.external?.metricSelector ? { selector: m.external.metricSelector } : {}) },
        target: m.external?.targetAverageValue !== undefined ? { type: 'AverageValue', averageValue: m.external.targetAverageValue } : { type: 'Value', value: m.external?.targetValue },
      },
    };
  }
  return m;
}

function currentToV1(m: any): any {
  switch (m?.type) {
    case 'Resource': return { type: 'Resource', resource: { name: m.resource?.name, ...(m.resource?.current?.averageUtilization !== undefined ? { currentAverageUtilization: m.resource.current.averageUtilization } : {}), currentAverageValue: m.resource?.current?.averageValue ?? '0' } };
    case 'Pods': return { type: 'Pods', pods: { metricName: m.pods?.metric?.name, currentAverageValue: m.pods?.current?.averageValue ?? '0' } };
  }
  return m;
}

function currentFromV1(m: any): any {
  switch (m?.type) {
    case 'Resource': return { type: 'Resource', resource: { name: m.resource?.name, current: { ...(m.resource?.currentAverageUtilization !== undefined ? { averageUtilization: m.resource.currentAverageUtilization } : {}), averageValue: m.resource?.currentAverageValue } } };
    case 'Pods': return { type: 'Pods', pods: { metric: { name: m.pods?.metricName }, current: { averageValue: m.pods?.currentAverageValue } } };
  }
  return m;
}

const isCpuUtilization = (m: any) => m?.type === 'Resource' && m.resource?.name === 'cpu' && m.resource?.target?.type === 'Utilization';

function parseAnnotation(a: Record<string, string>, key: string): any {
  try {
    return a[key] !== undefined ? JSON.parse(a[key]) : undefined;
  } catch {
    return undefined;
  }
}

/** Stored v2 -> v1. */
export function hpaToV1(v2: KubeObject): KubeObject {
  const o = deepCopy(v2);
  const s = o.spec ?? {};
  const st = o.status ?? {};
  const annotations: Record<string, string> = { ...(o.metadata.annotations ?? {}) };
  const metrics: any[] = Array.isArray(s.metrics) ? s.metrics : [];
  const cpu = metrics.find(isCpuUtilization);
  const others = metrics.filter((m) => m !== cpu);
  if (others.length) annotations[METRICS] = JSON.stringify(others.map(metricToV1));
  if (s.behavior) annotations[BEHAVIOR] = JSON.stringify(s.behavior);
  const current: any[] = Array.isArray(st.currentMetrics) ? st.currentMetrics : [];
  const cpuNow = current.find((m) => m?.type === 'Resource' && m.resource?.name === 'cpu');
  const otherNow = current.filter((m) => m !== cpuNow);
  if (otherNow.length) annotations[CURRENT_METRICS] = JSON.stringify(otherNow.map(currentToV1));
  if (Array.isArray(st.conditions) && st.conditions.length) annotations[CONDITIONS] = JSON.stringify(st.conditions);
  const spec: any = {
    scaleTargetRef: s.scaleTargetRef, ...(s.minReplicas !== undefined ? { minReplicas: s.minReplicas } : {}), maxReplicas: s.maxReplicas,
    ...(cpu ? { targetCPUUtilizationPercentage: cpu.resource.target.averageUtilization } : {}),
  };
  const status: any = v2.status === undefined ? undefined : {
    ...(st.observedGeneration !== undefined ? { observedGeneration: st.observedGeneration } : {}),
    ...(st.lastScaleTime !== undefined ? { lastScaleTime: st.lastScaleTime } : {}),
    currentReplicas: st.currentReplicas ?? 0, desiredReplicas: st.desiredReplicas ?? 0,
    ...(typeof cpuNow?.resource?.current?.averageUtilization === 'number' ? { currentCPUUtilizationPercentage: cpuNow.resource.current.averageUtilization } : {}),
  };
  const out: KubeObject = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { ...o.metadata, annotations }, spec };
  if (!Object.keys(annotations).length) delete out.metadata.annotations;
  if (status) out.status = status;
  return out;
}

/** v1 -> stored v2 (the annotations become fields again and are dropped). */
export function hpaToV2(v1: KubeObject): KubeObject {
  const o = deepCopy(v1);
  const s = o.spec ?? {};
  const st = o.status;
  const annotations: Record<string, string> = { ...(o.metadata.annotations ?? {}) };
  const metrics: any[] = [];
  if (typeof s.targetCPUUtilizationPercentage === 'number') {
    metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: s.targetCPUUtilizationPercentage } } });
  }
  for (const m of parseAnnotation(annotations, METRICS) ?? []) metrics.push(metricFromV1(m));
  const behavior = parseAnnotation(annotations, BEHAVIOR);
  const currentMetrics: any[] = [];
  if (typeof st?.currentCPUUtilizationPercentage === 'number') currentMetrics.push({ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: st.currentCPUUtilizationPercentage } } });
  for (const m of parseAnnotation(annotations, CURRENT_METRICS) ?? []) currentMetrics.push(currentFromV1(m));
  const conditions = parseAnnotation(annotations, CONDITIONS);
  for (const k of [METRICS, CURRENT_METRICS, CONDITIONS, BEHAVIOR]) delete annotations[k];
  const out: KubeObject = {
    apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler',
    metadata: { ...o.metadata, annotations },
    spec: {
      scaleTargetRef: s.scaleTargetRef, ...(s.minReplicas !== undefined ? { minReplicas: s.minReplicas } : {}), maxReplicas: s.maxReplicas,
      ...(metrics.length ? { metrics } : {}), ...(behavior ? { behavior } : {}),
    },
  };
  if (!Object.keys(annotations).length) delete out.metadata.annotations;
  if (st) {
    out.status = {
      ...(st.observedGeneration !== undefined ? { observedGeneration: st.observedGeneration } : {}),
      ...(st.lastScaleTime !== undefined ? { lastScaleTime: st.lastScaleTime } : {}),
      ...(st.currentReplicas ? { currentReplicas: st.currentReplicas } : {}), desiredReplicas: st.desiredReplicas ?? 0,
      ...(currentMetrics.length ? { currentMetrics } : {}), ...(Array.isArray(conditions) ? { conditions } : {}),
    };
  }
  return out;
}

const common = {
  group: 'autoscaling', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', namespaced: true, shortNames: ['hpa'], categories: ['all'],
  subresources: ['status'], hasGeneration: true, fields: metaFields,
} as const;

export const horizontalpodautoscalersV2 = defineResource({
  ...common, shortNames: ['hpa'], categories: ['all'], subresources: ['status'], version: 'v2',
  definition: 'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler',
  defaults: defaultsV2,
  createStatus: () => ({ desiredReplicas: 0 }),
  validate: (o) => validateV2(o),
});

/** v1: a view of the v2 storage. Defaults and validation are v2's, applied to the converted object. */
export const horizontalpodautoscalersV1 = defineResource({
  ...common, shortNames: ['hpa'], categories: ['all'], subresources: ['status'], version: 'v1',
  definition: 'io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler',
  defaults(o) {
    o.spec ??= {};
    o.spec.minReplicas ??= 1;
  },
  createStatus: () => ({ currentReplicas: 0, desiredReplicas: 0 }),
  validate(o) {
    const errs = validateV2(hpaToV2(o));
    const t = o.spec?.targetCPUUtilizationPercentage;
    if (typeof t === 'number' && t < 1) errs.push({ field: 'spec.targetCPUUtilizationPercentage', type: 'FieldValueInvalid', message: `${t}: must be greater than 0` });
    return errs.filter((e) => !e.field.startsWith('spec.metrics'));
  },
  convert: {
    fromStorage: (o) => hpaToV1(withV2Defaults(o)),
    toStorage: (o) => withV2Defaults(hpaToV2(o)),
  },
});

/** The v2 defaults applied as a stored object is decoded (a v1 HPA without a target reads as cpu 80%). */
function withV2Defaults(o: KubeObject): KubeObject {
  defaultsV2(o);
  return o;
}
