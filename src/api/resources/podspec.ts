// Defaults and validation of a PodSpec, shared by Pods and every workload template.
import type { FieldError } from '../types.js';
import { own, setOwn } from '../../util/own.js';
import { validateEphemeralContainers } from './ephemeral.js';
import { formatQuantity, parseQuantity } from '../quantity.js';
import { dns1123Label, inclusiveRange, localDescendingPath, localNonReservedPath, noBacksteps, nonNegative, portNumOrName, positive } from './checks.js';

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
    // SetDefaults_ProjectedVolumeSource, SetDefaults_ServiceAccountTokenProjection (an hour).
    if (v?.projected && typeof v.projected === 'object') {
      v.projected.defaultMode ??= 420;
      for (const src of Array.isArray(v.projected.sources) ? v.projected.sources : []) {
        if (src?.serviceAccountToken && typeof src.serviceAccountToken === 'object') src.serviceAccountToken.expirationSeconds ??= 3600;
      }
    }
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
    else if (typeof c.name === 'string' && !DNS_LABEL.test(c.name)) errs.push(...dns1123Label(c.name, `${p}.name`));
    else if (names.has(c.name)) errs.push({ field: `${p}.name`, type: 'FieldValueDuplicate', message: JSON.stringify(c.name) });
    else names.add(c.name);
    if (!c.image) errs.push({ field: `${p}.image`, type: 'FieldValueRequired', message: '' });
    // Limits first, as ValidateResourceRequirements reports them.
    for (const kind of ['limits', 'requests'] as const) {
      const r = c.resources?.[kind];
      if (!r || typeof r !== 'object') continue;
      for (const [k, v] of Object.entries(r)) {
        if (!RESOURCE_NAME.test(k)) errs.push({ field: `${p}.resources.${kind}[${k}]`, type: 'FieldValueInvalid', message: `${JSON.stringify(k)}: must be a standard resource name` });
        const q = typeof v === 'number' || QUANTITY.test(String(v)) ? parseQuantity(v) : undefined;
        if (!q) {
          errs.push({ field: `${p}.resources.${kind}[${k}]`, type: 'FieldValueInvalid', message: `${JSON.stringify(v)}: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'` });
        } else if (q.nano < 0n) {
          // ValidateNonnegativeQuantity: the value as Quantity.String() prints it. Quotas and limit ranges add these up.
          errs.push({ field: `${p}.resources.${kind}[${k}]`, type: 'FieldValueInvalid', message: `${JSON.stringify(formatQuantity(q))}: must be greater than or equal to 0` });
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
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) errs.push(...validateProbe(c[probe], `${p}.${probe}`));
    for (const hook of ['postStart', 'preStop']) if (c.lifecycle?.[hook]) errs.push(...validateHandler(c.lifecycle[hook], `${p}.lifecycle.${hook}`));
  });
}

/** validateProbe: non-negative timings, a positive grace period, and the handler's port. */
function validateProbe(probe: any, path: string): FieldError[] {
  if (!probe || typeof probe !== 'object') return [];
  const errs = validateHandler(probe, path);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) errs.push(...nonNegative(probe[f], `${path}.${f}`));
  errs.push(...positive(probe.terminationGracePeriodSeconds, `${path}.terminationGracePeriodSeconds`));
  return errs;
}

/** The ports of httpGet and tcpSocket handlers (numbers or IANA service names), and of gRPC. */
function validateHandler(h: any, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!h || typeof h !== 'object') return errs;
  for (const kind of ['httpGet', 'tcpSocket']) if (h[kind] && typeof h[kind] === 'object') errs.push(...portNumOrName(h[kind].port, `${path}.${kind}.port`));
  const grpc = h.grpc?.port;
  if (typeof grpc === 'number' && (grpc < 1 || grpc > 65535)) errs.push({ field: `${path}.grpc.port`, type: 'FieldValueInvalid', message: `${grpc}: ${inclusiveRange(1, 65535)}` });
  return errs;
}

/** validateKeyToPath / downward API files: every item becomes a file under the volume, so its path must stay inside. */
function validateItems(items: unknown, path: string, requireKey: boolean): FieldError[] {
  const errs: FieldError[] = [];
  (Array.isArray(items) ? items : []).forEach((it: any, i: number) => {
    if (!it || typeof it !== 'object') return;
    const p = `${path}[${i}]`;
    if (requireKey && !it.key) errs.push({ field: `${p}.key`, type: 'FieldValueRequired', message: '' });
    if (!it.path) errs.push({ field: `${p}.path`, type: 'FieldValueRequired', message: '' });
    else if (typeof it.path === 'string') errs.push(...localNonReservedPath(it.path, `${p}.path`));
  });
  return errs;
}

/** ValidateVolumes: DNS-1123 label names, unique, and sources whose files stay inside the volume. */
function validateVolumes(volumes: unknown, path: string, names: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  (Array.isArray(volumes) ? volumes : []).forEach((v: any, i: number) => {
    const p = `${path}[${i}]`;
    if (!v || typeof v !== 'object') return;
    if (!v.name) errs.push({ field: `${p}.name`, type: 'FieldValueRequired', message: '' });
    else if (typeof v.name === 'string') errs.push(...dns1123Label(v.name, `${p}.name`));
    if (v.name && names.has(v.name)) errs.push({ field: `${p}.name`, type: 'FieldValueDuplicate', message: JSON.stringify(v.name) });
    else if (v.name) names.add(v.name);
    if (v.configMap) errs.push(...validateItems(v.configMap.items, `${p}.configMap.items`, true));
    if (v.secret) errs.push(...validateItems(v.secret.items, `${p}.secret.items`, true));
    if (v.downwardAPI) errs.push(...validateItems(v.downwardAPI.items, `${p}.downwardAPI.items`, false));
    if (v.hostPath && typeof v.hostPath.path === 'string') errs.push(...noBacksteps(v.hostPath.path, `${p}.hostPath.path`));
    (Array.isArray(v.projected?.sources) ? v.projected.sources : []).forEach((src: any, j: number) => {
      const sp = `${p}.projected.sources[${j}]`;
      if (src?.configMap) errs.push(...validateItems(src.configMap.items, `${sp}.configMap.items`, true));
      if (src?.secret) errs.push(...validateItems(src.secret.items, `${sp}.secret.items`, true));
      if (src?.downwardAPI) errs.push(...validateItems(src.downwardAPI.items, `${sp}.downwardAPI.items`, false));
      const tp = src?.serviceAccountToken;
      if (tp && typeof tp === 'object') {
        // validateProjectionSources: the TokenRequest's bounds, and a path (reported on the projection's path, as kube does).
        const exp = tp.expirationSeconds;
        if (typeof exp === 'number' && exp < 600) errs.push({ field: `${sp}.serviceAccountToken.expirationSeconds`, type: 'FieldValueInvalid', message: `${exp}: may not specify a duration less than 10 minutes` });
        if (typeof exp === 'number' && exp > 2 ** 32) errs.push({ field: `${sp}.serviceAccountToken.expirationSeconds`, type: 'FieldValueInvalid', message: `${exp}: may not specify a duration larger than 2^32 seconds` });
        if (!tp.path) errs.push({ field: `${p}.projected.path`, type: 'FieldValueRequired', message: '' });
        else if (typeof tp.path === 'string') errs.push(...localNonReservedPath(tp.path, `${sp}.serviceAccountToken.path`));
      }
    });
  });
  return errs;
}

/** ValidateVolumeMounts: an existing volume, a unique mountPath, a subPath inside the volume. */
function validateVolumeMounts(mounts: unknown, path: string, volumes: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (Array.isArray(mounts) ? mounts : []).forEach((m: any, i: number) => {
    if (!m || typeof m !== 'object') return;
    const p = `${path}[${i}]`;
    if (!m.name) errs.push({ field: `${p}.name`, type: 'FieldValueRequired', message: '' });
    if (!volumes.has(m.name)) errs.push({ field: `${p}.name`, type: 'FieldValueNotFound', message: JSON.stringify(m.name ?? '') });
    if (!m.mountPath) errs.push({ field: `${p}.mountPath`, type: 'FieldValueRequired', message: '' });
    else if (seen.has(m.mountPath)) errs.push({ field: `${p}.mountPath`, type: 'FieldValueInvalid', message: `${JSON.stringify(m.mountPath)}: must be unique` });
    if (m.mountPath) seen.add(m.mountPath);
    // Kubernetes reports these on the list's path (volumeMounts.subPath), not the item's.
    if (typeof m.subPath === 'string' && m.subPath) errs.push(...localDescendingPath(m.subPath, `${path}.subPath`));
    if (typeof m.subPathExpr === 'string' && m.subPathExpr) {
      if (m.subPath) errs.push({ field: `${p}.subPathExpr`, type: 'FieldValueInvalid', message: `${JSON.stringify(m.subPathExpr)}: subPathExpr and subPath are mutually exclusive` });
      errs.push(...localDescendingPath(m.subPathExpr, `${path}.subPathExpr`));
    }
  });
  return errs;
}

export function validatePodSpec(spec: any, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!spec || typeof spec !== 'object') {
    errs.push({ field: path, type: 'FieldValueRequired', message: '' });
    return errs;
  }
  const vols = new Set<string>();
  errs.push(...validateVolumes(spec.volumes, `${path}.volumes`, vols));
  const names = new Set<string>();
  validateContainers(spec.containers, `${path}.containers`, true, errs, names);
  validateContainers(spec.initContainers, `${path}.initContainers`, false, errs, names);
  validateEphemeralContainers(spec, path, names, errs);
  for (const list of ['containers', 'initContainers']) {
    if (!Array.isArray(spec[list])) continue;
    spec[list].forEach((c: any, i: number) => errs.push(...validateVolumeMounts(c?.volumeMounts, `${path}.${list}[${i}].volumeMounts`, vols)));
  }
  if (spec.restartPolicy !== undefined && !['Always', 'OnFailure', 'Never'].includes(spec.restartPolicy)) {
    errs.push({ field: `${path}.restartPolicy`, type: 'FieldValueNotSupported', message: `${JSON.stringify(spec.restartPolicy)}: supported values: "Always", "OnFailure", "Never"` });
  }
  if (spec.dnsPolicy !== undefined && !['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'].includes(spec.dnsPolicy)) {
    errs.push({ field: `${path}.dnsPolicy`, type: 'FieldValueNotSupported', message: `${JSON.stringify(spec.dnsPolicy)}: supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"` });
  }
  // An int64 in the API, but Kubernetes keeps it within int32 seconds.
  const ads = spec.activeDeadlineSeconds;
  if (typeof ads === 'number' && (ads < 1 || ads > 2 ** 31 - 1)) {
    errs.push({ field: `${path}.activeDeadlineSeconds`, type: 'FieldValueInvalid', message: `${ads}: ${inclusiveRange(1, 2 ** 31 - 1)}` });
  }
  return errs;
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
