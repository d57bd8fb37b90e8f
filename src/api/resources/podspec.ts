// Defaults and validation of a PodSpec, shared by Pods and every workload template.
import type { FieldError } from '../types.js';
import { own, setOwn } from '../../util/own.js';
import { validateEphemeralContainers } from './ephemeral.js';

const RESOURCE_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[a-zA-Z0-9]([-A-Za-z0-9_.]*[a-zA-Z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?\d+)?$/;

export function defaultContainer(c: any, isInit: boolean): void {
  if (!c || typeof c !== 'object') return;
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  if (!c.imagePullPolicy && typeof c.image === 'string') {
    const tag = c.image.includes('@') ? 'digest' : c.image.split('/').pop()!.split(':')[1];
    c.imagePullPolicy = !tag || tag === 'latest' ? 'Always' : 'IfNotPresent';
  }
  c.resources ??= {};
  // Kubernetes copies limits into requests when only limits are given.
  if (c.resources.limits && typeof c.resources.limits === 'object') {
    c.resources.requests ??= {};
    for (const [k, v] of Object.entries(c.resources.limits)) if (own(c.resources.requests, k) === undefined) setOwn(c.resources.requests, k, v);
  }
  for (const p of Array.isArray(c.ports) ? c.ports : []) if (p && typeof p === 'object') p.protocol ??= 'TCP';
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
    if (!probe || typeof probe !== 'object') continue;
    probe.timeoutSeconds ??= 1;
    probe.periodSeconds ??= 10;
    probe.successThreshold ??= 1;
    probe.failureThreshold ??= 3;
    if (probe.httpGet) probe.httpGet.scheme ??= 'HTTP', probe.httpGet.path ??= '/';
  }
  void isInit;
}

export function defaultPodSpec(spec: any): void {
  if (!spec || typeof spec !== 'object') return;
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  for (const c of Array.isArray(spec.containers) ? spec.containers : []) defaultContainer(c, false);
  for (const c of Array.isArray(spec.initContainers) ? spec.initContainers : []) defaultContainer(c, true);
  for (const c of Array.isArray(spec.ephemeralContainers) ? spec.ephemeralContainers : []) defaultContainer(c, false);
  for (const v of Array.isArray(spec.volumes) ? spec.volumes : []) {
    if (v?.configMap) v.configMap.defaultMode ??= 420;
    if (v?.secret) v.secret.defaultMode ??= 420;
    if (v?.downwardAPI) v.downwardAPI.defaultMode ??= 420;
    if (v?.hostPath) v.hostPath.type ??= '';
  }
}

function validateContainers(list: unknown, path: string, required: boolean, errs: FieldError[], names: Set<string>): void {
  if (list === undefined || list === null) {
    if (required) errs.push({ field: path, type: 'FieldValueRequired', message: '' });
    return;
  }
  if (!Array.isArray(list)) return; // the schema check reports the type
  if (required && list.length === 0) errs.push({ field: path, type: 'FieldValueRequired', message: '' });
  list.forEach((c: any, i: number) => {
    const p = `${path}[${i}]`;
    if (!c || typeof c !== 'object') return;
    if (!c.name) errs.push({ field: `${p}.name`, type: 'FieldValueRequired', message: '' });
    else if (typeof c.name === 'string' && !DNS_LABEL.test(c.name)) {
      errs.push({ field: `${p}.name`, type: 'FieldValueInvalid', message: `${JSON.stringify(c.name)}: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character` });
    } else if (names.has(c.name)) errs.push({ field: `${p}.name`, type: 'FieldValueDuplicate', message: JSON.stringify(c.name) });
    else names.add(c.name);
    if (!c.image) errs.push({ field: `${p}.image`, type: 'FieldValueRequired', message: '' });
    for (const kind of ['requests', 'limits'] as const) {
      const r = c.resources?.[kind];
      if (!r || typeof r !== 'object') continue;
      for (const [k, v] of Object.entries(r)) {
        if (!RESOURCE_NAME.test(k)) errs.push({ field: `${p}.resources.${kind}[${k}]`, type: 'FieldValueInvalid', message: `${JSON.stringify(k)}: must be a standard resource name` });
        if (typeof v === 'number' ? v < 0 : !QUANTITY.test(String(v))) {
          errs.push({ field: `${p}.resources.${kind}[${k}]`, type: 'FieldValueInvalid', message: `${JSON.stringify(v)}: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'` });
        }
      }
    }
    const ports: any[] = Array.isArray(c.ports) ? c.ports : [];
    ports.forEach((port, j) => {
      const n = port?.containerPort;
      if (typeof n !== 'number' || n < 1 || n > 65535) errs.push({ field: `${p}.ports[${j}].containerPort`, type: 'FieldValueInvalid', message: `${JSON.stringify(n ?? null)}: must be between 1 and 65535, inclusive` });
    });
    const env: any[] = Array.isArray(c.env) ? c.env : [];
    env.forEach((e, j) => { if (!e?.name) errs.push({ field: `${p}.env[${j}].name`, type: 'FieldValueRequired', message: '' }); });
  });
}

export function validatePodSpec(spec: any, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!spec || typeof spec !== 'object') {
    errs.push({ field: path, type: 'FieldValueRequired', message: '' });
    return errs;
  }
  const names = new Set<string>();
  validateContainers(spec.containers, `${path}.containers`, true, errs, names);
  validateContainers(spec.initContainers, `${path}.initContainers`, false, errs, names);
  validateEphemeralContainers(spec, path, names, errs);
  if (spec.restartPolicy !== undefined && !['Always', 'OnFailure', 'Never'].includes(spec.restartPolicy)) {
    errs.push({ field: `${path}.restartPolicy`, type: 'FieldValueNotSupported', message: `${JSON.stringify(spec.restartPolicy)}: supported values: "Always", "OnFailure", "Never"` });
  }
  if (spec.dnsPolicy !== undefined && !['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'].includes(spec.dnsPolicy)) {
    errs.push({ field: `${path}.dnsPolicy`, type: 'FieldValueNotSupported', message: `${JSON.stringify(spec.dnsPolicy)}: supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"` });
  }
  const vols = new Set<string>();
  (Array.isArray(spec.volumes) ? spec.volumes : []).forEach((v: any, i: number) => {
    if (!v?.name) errs.push({ field: `${path}.volumes[${i}].name`, type: 'FieldValueRequired', message: '' });
    else if (vols.has(v.name)) errs.push({ field: `${path}.volumes[${i}].name`, type: 'FieldValueDuplicate', message: JSON.stringify(v.name) });
    else vols.add(v.name);
  });
  for (const list of [spec.containers, spec.initContainers]) {
    if (!Array.isArray(list)) continue;
    list.forEach((c: any) => (Array.isArray(c?.volumeMounts) ? c.volumeMounts : []).forEach((m: any, j: number) => {
      if (m?.name && !vols.has(m.name)) errs.push({ field: `${path}.containers[${list.indexOf(c)}].volumeMounts[${j}].name`, type: 'FieldValueNotFound', message: JSON.stringify(m.name) });
    }));
  }
  return errs.map((e) => (e.type === 'FieldValueNotFound' && e.field.endsWith('.name') && e.field.includes('.volumeMounts[') ? { ...e, type: 'FieldValueInvalid', message: `${e.message}: volume not found` } : e));
}

/** Labels of a workload template must be selected by the workload's selector. */
export function validateTemplateSelected(selector: any, template: any, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!selector || typeof selector !== 'object') {
    errs.push({ field: 'spec.selector', type: 'FieldValueRequired', message: '' });
    return errs;
  }
  const ml: Record<string, string> = selector.matchLabels ?? {};
  const labels: Record<string, string> = template?.metadata?.labels ?? {};
  if (Object.keys(ml).length === 0 && !(selector.matchExpressions?.length)) {
    errs.push({ field: 'spec.selector', type: 'FieldValueInvalid', message: `${JSON.stringify(selector)}: empty selector is invalid for deployment` });
  }
  for (const [k, v] of Object.entries(ml)) {
    if (labels[k] !== v) {
      errs.push({ field: `${path}.metadata.labels`, type: 'FieldValueInvalid', message: `${JSON.stringify(labels)}: \`selector\` does not match template \`labels\`` });
      break;
    }
  }
  return errs;
}
