// The `eks.tke.cloud.tencent.com/*` pod annotations of Tencent EKS super nodes:
// cluster-wide defaults (ConfigMap kube-system/eks-config, key pod.annotations),
// validation of every documented value, and typed settings with the service's
// defaults. See docs/tencent/annotations.md for every annotation and its source.

import { parseYaml } from '../../util/decode.js';
import { setOwn } from '../../util/own.js';
import type { FieldError, KubeObject } from '../../api/types.js';
import { parseGoDuration } from '../../api/duration.js';
import { checkAnnotationSpec, CPU_ANNOTATION, MEM_ANNOTATION, GPU_TYPE_ANNOTATION, GPU_COUNT_ANNOTATION, parseGpuTypes } from './podsize.js';

export const EKS_PREFIX = 'eks.tke.cloud.tencent.com/';
/** Where cluster defaults live. */
export const EKS_CONFIG = { namespace: 'kube-system', name: 'eks-config', key: 'pod.annotations' } as const;
/** conntrack's UDP timeout on the pod's VM; not configurable by annotation. */
export const CONNTRACK_UDP_TIMEOUT_SEC = 120;

const k = (name: string): string => EKS_PREFIX + name;

/** Typed view of the annotations, defaults filled in. */
export interface EksSettings {
  cpu?: string;
  mem?: string;
  rootDiskGiB: number;
  specAutoUpgrade: boolean;
  gpuTypes: string[];
  gpuCount?: number;
  cpuTypes: string[];
  spotPod: boolean;
  retainIp: boolean;
  retainIpHours?: number;
  /** undefined: no EIP; {} : EIP with default attributes. */
  eipAttributes?: Record<string, unknown>;
  /** eip-claim-delete-policy: Never → keep the EIP for a same-name pod. */
  eipKeepOnDelete: boolean;
  eipIdList: string[];
  cbsReuseKey?: string;
  /** Empty: the region's `default` security group. */
  securityGroupIds: string[];
  hostTimezone: string;
  hostSysctls: { name: string; value: string }[];
  resolvConf?: string;
  recreateNodeLostPod: boolean;
  heartbeatLostPeriodSec: number;
  imageGcHigh: number;
  imageGcLow: number;
  imageGcPeriodSec: number;
  containerGcThreshold: number;
  mustKeepLastContainer: boolean;
  /** Off unless set. */
  podEvictionThreshold?: number;
  metricsPort: number;
  customMetricsUrl: string;
  criStatsIntervalSec: number;
  reserveSandboxDurationSec?: number;
  reserveSucceededSandbox: boolean;
  reserveTaskShorterThanSec?: number;
  clusterIpEnabled: boolean;
  durationToWaitServiceRulesSec: number;
  ipvsScheduler: 'rr' | 'sh';
  ipvsShPort: boolean;
  ipvsSyncPeriodSec: number;
  ipvsMinSyncPeriodSec: number;
  ipvsUdpTimeoutSec: number;
  ipvsTcpTimeoutSec: number;
  conntrackUdpTimeoutSec: number;
}

// ---------- cluster defaults ----------

/**
 * Parses the `pod.annotations` value of ConfigMap kube-system/eks-config: a
 * YAML (or JSON) map, as in the guide, or plain `key: value` lines.
 */
export function parseClusterDefaults(text: string | undefined): Record<string, string> {
  // Every pod create reads the defaults in two admissions (sizing, egress) and the kubelet once more:
  // the YAML is parsed once per text, and the same frozen object comes back, so podEksSettings()
  // can remember what it computed from it.
  const key = text ?? '';
  let parsed = parsedDefaults.get(key);
  if (!parsed) {
    if (parsedDefaults.size >= 16) parsedDefaults.clear();
    parsedDefaults.set(key, (parsed = Object.freeze(parseDefaults(text))));
  }
  return parsed;
}

/** Recently seen eks-config texts (one per cluster, in practice) and what they parse to. */
const parsedDefaults = new Map<string, Readonly<Record<string, string>>>();

function parseDefaults(text: string | undefined): Record<string, string> {
  if (!text || !text.trim()) return {};
  let doc: unknown;
  try {
    // The ConfigMap is user data: depth, aliases and odd tags are handled as for request bodies.
    doc = parseYaml(text, { maxAliasBytes: text.length + 1024 });
  } catch {
    doc = undefined;
  }
  if (doc && typeof doc === 'object' && !Array.isArray(doc)) {
    const out: Record<string, string> = {};
    for (const [key, v] of Object.entries(doc as Record<string, unknown>)) {
      setOwn(out, key, v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
    }
    return out;
  }
  // Fallback: lenient `key: value` lines (values may be quoted).
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([^:#\s][^:\s]*)\s*:\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    setOwn(out, m[1], m[2].replace(/^(['"])(.*)\1$/, '$2'));
  }
  return out;
}

/** Cluster defaults overlaid by the pod's own annotations (the pod wins). */
export function effectiveAnnotations(pod: KubeObject, clusterDefaults: Record<string, string>): Record<string, string> {
  return { ...clusterDefaults, ...(pod.metadata?.annotations ?? {}) };
}

// ---------- value parsers ----------

/** A Go duration ("5s", "15m", "1h30m", "900s") in seconds; undefined if Go refuses it or it is negative (no timeout or period here can be). */
export function durationSeconds(v: string): number | undefined {
  const ms = parseGoDuration(v);
  return ms === undefined || ms < 0 ? undefined : ms / 1000;
}

const bool = (v: string | undefined): boolean | undefined => (v === 'true' ? true : v === 'false' ? false : undefined);
const intIn = (v: string | undefined, min: number, max: number): number | undefined =>
  v !== undefined && /^\d+$/.test(v.trim()) && Number(v) >= min && Number(v) <= max ? Number(v) : undefined;
const list = (v: string | undefined): string[] => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/**
 * The port the pod VM's metrics agent holds unless the pod or eks-config moves
 * it (metrics-port): 9100. NODELESS_METRICS_PORT sets another for one nodeless
 * process: process-runtime pods share this machine's network, so the tests
 * give a free port instead of binding this machine's real 9100.
 */
export const DEFAULT_METRICS_PORT = intIn(process.env.NODELESS_METRICS_PORT, 1, 65535) ?? 9100;

function jsonObject(v: string): Record<string, unknown> | undefined {
  if (v.trim() === '') return {};
  try {
    const o = JSON.parse(v);
    return o && typeof o === 'object' && !Array.isArray(o) ? o : undefined;
  } catch {
    return undefined;
  }
}

function validTimezone(v: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: v });
    return true;
  } catch {
    return false;
  }
}

const EIP_CHARGE_TYPES = ['TRAFFIC_POSTPAID_BY_HOUR', 'BANDWIDTH_POSTPAID_BY_HOUR', 'BANDWIDTH_PACKAGE', 'BANDWIDTH_PREPAID_BY_MONTH'];

function checkEipAttributes(v: string): string | undefined {
  const o = jsonObject(v);
  if (!o) return `expected '' or '{}' (EIP with defaults) or a JSON object such as {"InternetMaxBandwidthOut":50,"InternetChargeType":"TRAFFIC_POSTPAID_BY_HOUR"}`;
  const bw = o.InternetMaxBandwidthOut;
  if (bw !== undefined && !(typeof bw === 'number' && Number.isInteger(bw) && bw > 0)) return 'InternetMaxBandwidthOut must be a positive integer (Mbit/s)';
  const ct = o.InternetChargeType;
  if (ct !== undefined && !EIP_CHARGE_TYPES.includes(ct as string)) return `InternetChargeType must be one of ${EIP_CHARGE_TYPES.join(', ')}`;
  return undefined;
}

function checkSysctls(v: string): string | undefined {
  const bad = 'expected a JSON list such as [{"name": "net.core.somaxconn","value": "65535"}]';
  try {
    const a = JSON.parse(v);
    if (!Array.isArray(a)) return bad;
    for (const e of a) {
      if (!e || typeof e.name !== 'string' || !/^[a-z0-9_.\-/]+$/i.test(e.name) || (typeof e.value !== 'string' && typeof e.value !== 'number')) return bad;
    }
    return undefined;
  } catch {
    return bad;
  }
}

// ---------- the rule table ----------

/** A rule returns true/undefined when valid, or the expected form (string) when not. */
type Check = (v: string) => string | undefined;

const expect = (ok: (v: string) => boolean, form: string): Check => (v) => (ok(v) ? undefined : form);
const duration = (example = '900s or 15m', maxSec?: number): Check => (v) => {
  const s = durationSeconds(v);
  if (s === undefined) return `expected a duration such as ${example}`;
  if (maxSec !== undefined && s > maxSec) return `expected a duration of at most ${maxSec}s`;
  return undefined;
};
const boolean = expect((v) => bool(v) !== undefined, 'expected "true" or "false"');
const percent = expect((v) => intIn(v, 0, 100) !== undefined, 'expected a percentage from 0 to 100 such as "80"');
const idList = (prefix: string) => expect((v) => list(v).length > 0 && list(v).every((id) => new RegExp(`^${prefix}-[0-9a-z]+$`).test(id)),
  `expected a comma-separated list such as ${prefix}-xxxxxxxx,${prefix}-yyyyyyyy`);
const nonEmpty = expect((v) => v.trim() !== '', 'expected a non-empty value');

const RULES: Record<string, Check> = {
  'root-cbs-size': expect((v) => intIn(v, 20, 32000) !== undefined, 'expected a disk size in GiB of at least 20, such as "50"'),
  'spec-auto-upgrade': boolean,
  [GPU_TYPE_ANNOTATION.slice(EKS_PREFIX.length)]: expect((v) => parseGpuTypes(v).length > 0 && parseGpuTypes(v).every((t) => /^(1\/[248]\*)?[A-Za-z][A-Za-z0-9]*$/.test(t)),
    'expected GPU types in priority order such as "T4,V100" or "1/4*V100"'),
  [GPU_COUNT_ANNOTATION.slice(EKS_PREFIX.length)]: expect((v) => intIn(v, 1, 8) !== undefined, 'expected a number of cards: 1, 2, 4 or 8'),
  'cpu-type': expect((v) => list(v).length > 0 && list(v).every((t) => /^[A-Za-z0-9._-]+$/.test(t)), 'expected "amd", "intel", a priority list such as "amd,intel", or a CPU model'),
  'spot-pod': boolean,
  'retain-ip': boolean,
  'retain-ip-hours': expect((v) => intIn(v, 1, 1e6) !== undefined, 'expected a whole number of hours such as "48"'),
  'eip-attributes': checkEipAttributes,
  'eip-claim-delete-policy': expect((v) => v === 'Never' || v === 'Always', 'expected "Never" (keep the EIP) or "Always"'),
  'eip-id-list': idList('eip'),
  'cbs-reuse-key': nonEmpty,
  'security-group-id': idList('sg'),
  'host-timezone': expect(validTimezone, 'expected an IANA time zone such as "Asia/Shanghai" or "UTC"'),
  'host-sysctls': checkSysctls,
  'recreate-node-lost-pod': boolean,
  'heartbeat-lost-period': duration('1m or 300s'),
  'image-gc-high-threshold': percent,
  'image-gc-low-threshold': percent,
  'image-gc-period': duration('3m'),
  'container-gc-threshold': percent,
  'must-keep-last-container': boolean,
  'pod-eviction-threshold': percent,
  'metrics-port': expect((v) => intIn(v, 1, 65535) !== undefined, 'expected a port from 1 to 65535 such as "9110"'),
  'custom-metrics-url': expect((v) => /^\/\S*$/.test(v), 'expected a URL path such as "/metrics"'),
  'cri-stats-interval': duration('30s'),
  'reserve-sandbox-duration': duration('1m'),
  'reserve-succeeded-sandbox': boolean,
  'reserve-task-shorter-than': duration('5s'),
  'cluster-ip-switch': expect((v) => v === 'disable' || v === 'enable', 'expected "disable" or "enable"'),
  'duration-to-wait-service-rules': duration('30s', 30),
  'ipvs-scheduler': expect((v) => v === 'rr' || v === 'sh', 'expected "rr" (round robin) or "sh" (source hash)'),
  'ipvs-sh-port': boolean,
  'ipvs-sync-period': duration('30s'),
  'ipvs-min-sync-period': duration('2s'),
  'ipvs-udp-timeout': duration('120s or 5s'),
  'ipvs-tcp-timeout': duration('900s or 15m'),
};

/** Every annotation this module knows (full keys). */
export const KNOWN_EKS_ANNOTATIONS: readonly string[] = [CPU_ANNOTATION, MEM_ANNOTATION, ...Object.keys(RULES).map(k), k('resolv-conf')];

/**
 * Checks every known eks.tke.cloud.tencent.com/* annotation for a well-formed
 * value. Unknown keys under the prefix pass (EKS has more than we model).
 */
export function validateEksAnnotations(annotations: Record<string, string>, fieldPrefix = 'metadata.annotations'): FieldError[] {
  const errs: FieldError[] = [];
  const field = (key: string) => `${fieldPrefix}[${key}]`;
  const invalid = (key: string, form: string, type: FieldError['type'] = 'FieldValueInvalid') =>
    errs.push({ field: field(key), type, message: `annotation ${key}: invalid value ${JSON.stringify(annotations[key])}: ${form}` });

  for (const [name, check] of Object.entries(RULES)) {
    const v = annotations[k(name)];
    if (v === undefined) continue;
    const form = check(String(v));
    if (form) invalid(k(name), form);
  }

  // cpu/mem: together, Gi only, and a row of the spec table.
  const cpu = annotations[CPU_ANNOTATION];
  const mem = annotations[MEM_ANNOTATION];
  const gpuCount = intIn(annotations[GPU_COUNT_ANNOTATION], 1, 8);
  const gpuType = parseGpuTypes(annotations[GPU_TYPE_ANNOTATION])[0];
  const specErr = checkAnnotationSpec(cpu, mem, gpuCount !== undefined ? (gpuType ?? 'V100') : undefined, gpuCount);
  if (specErr) {
    errs.push({ field: field(specErr.annotation), type: specErr.missing ? 'FieldValueRequired' : 'FieldValueInvalid', message: specErr.message });
  }

  // Cross-field rules.
  const high = intIn(annotations[k('image-gc-high-threshold')], 0, 100) ?? 80;
  const low = intIn(annotations[k('image-gc-low-threshold')], 0, 100) ?? 75;
  if (low >= high && (annotations[k('image-gc-low-threshold')] !== undefined || annotations[k('image-gc-high-threshold')] !== undefined)) {
    const key = annotations[k('image-gc-low-threshold')] !== undefined ? k('image-gc-low-threshold') : k('image-gc-high-threshold');
    errs.push({ field: field(key), type: 'FieldValueInvalid',
      message: `annotation ${key}: image-gc-low-threshold (${low}) must be lower than image-gc-high-threshold (${high})` });
  }
  if (annotations[k('eip-id-list')] !== undefined && annotations[k('eip-attributes')] !== undefined) {
    errs.push({ field: field(k('eip-attributes')), type: 'FieldValueForbidden',
      message: `annotation ${k('eip-attributes')}: may not be set together with ${k('eip-id-list')} (existing EIPs are bound as they are)` });
  }
  return errs;
}

// ---------- typed settings ----------

const dur = (v: string | undefined): number | undefined => (v === undefined ? undefined : durationSeconds(v));

/** Typed settings with EKS defaults; malformed values fall back to the default (validate separately). */
const NO_ANNOTATIONS: Record<string, string> = Object.freeze({});
const settingsOf = new WeakMap<object, WeakMap<object, EksSettings>>();

/**
 * A pod's settings under the cluster defaults, computed once per pair of
 * objects: the pods of one workload share one frozen annotations object in
 * the informer, so 10k pods parse their annotations once, not on every look.
 * Mutable inputs are parsed every time.
 */
export function podEksSettings(defaults: Record<string, string>, annotations: Record<string, string> | undefined): EksSettings {
  const ann = annotations ?? NO_ANNOTATIONS;
  if (!Object.isFrozen(ann) || !Object.isFrozen(defaults)) return eksSettings({ ...defaults, ...ann });
  let byAnn = settingsOf.get(defaults);
  if (!byAnn) settingsOf.set(defaults, (byAnn = new WeakMap()));
  let s = byAnn.get(ann);
  if (!s) byAnn.set(ann, (s = Object.freeze(eksSettings({ ...defaults, ...ann }))));
  return s;
}

export function eksSettings(annotations: Record<string, string>): EksSettings {
  const a = (name: string): string | undefined => annotations[k(name)];
  const sysctls = ((): { name: string; value: string }[] => {
    const v = a('host-sysctls');
    if (v === undefined || checkSysctls(v)) return [];
    return (JSON.parse(v) as { name: string; value: string | number }[]).map((e) => ({ name: e.name, value: String(e.value) }));
  })();
  const eipAttr = a('eip-attributes');
  const scheduler = a('ipvs-scheduler');
  return {
    cpu: annotations[CPU_ANNOTATION],
    mem: annotations[MEM_ANNOTATION],
    rootDiskGiB: intIn(a('root-cbs-size'), 20, 32000) ?? 20,
    specAutoUpgrade: bool(a('spec-auto-upgrade')) ?? false,
    gpuTypes: parseGpuTypes(annotations[GPU_TYPE_ANNOTATION]),
    gpuCount: intIn(annotations[GPU_COUNT_ANNOTATION], 1, 8),
    cpuTypes: list(a('cpu-type')),
    spotPod: bool(a('spot-pod')) ?? false,
    retainIp: bool(a('retain-ip')) ?? false,
    retainIpHours: intIn(a('retain-ip-hours'), 1, 1e6),
    eipAttributes: eipAttr === undefined ? undefined : jsonObject(eipAttr),
    eipKeepOnDelete: a('eip-claim-delete-policy') === 'Never',
    eipIdList: list(a('eip-id-list')),
    cbsReuseKey: a('cbs-reuse-key') || undefined,
    securityGroupIds: list(a('security-group-id')),
    hostTimezone: a('host-timezone') && validTimezone(a('host-timezone')!) ? a('host-timezone')! : 'UTC',
    hostSysctls: sysctls,
    resolvConf: a('resolv-conf'),
    recreateNodeLostPod: bool(a('recreate-node-lost-pod')) ?? true,
    heartbeatLostPeriodSec: dur(a('heartbeat-lost-period')) ?? 300,
    imageGcHigh: intIn(a('image-gc-high-threshold'), 0, 100) ?? 80,
    imageGcLow: intIn(a('image-gc-low-threshold'), 0, 100) ?? 75,
    imageGcPeriodSec: dur(a('image-gc-period')) ?? 180,
    containerGcThreshold: intIn(a('container-gc-threshold'), 0, 100) ?? 85,
    mustKeepLastContainer: bool(a('must-keep-last-container')) ?? false,
    podEvictionThreshold: intIn(a('pod-eviction-threshold'), 0, 100),
    metricsPort: intIn(a('metrics-port'), 1, 65535) ?? DEFAULT_METRICS_PORT,
    customMetricsUrl: a('custom-metrics-url') ?? '/metrics',
    criStatsIntervalSec: dur(a('cri-stats-interval')) ?? 30,
    reserveSandboxDurationSec: dur(a('reserve-sandbox-duration')),
    reserveSucceededSandbox: bool(a('reserve-succeeded-sandbox')) ?? false,
    reserveTaskShorterThanSec: dur(a('reserve-task-shorter-than')),
    clusterIpEnabled: a('cluster-ip-switch') !== 'disable',
    durationToWaitServiceRulesSec: Math.min(dur(a('duration-to-wait-service-rules')) ?? 0, 30),
    ipvsScheduler: scheduler === 'sh' ? 'sh' : 'rr',
    ipvsShPort: bool(a('ipvs-sh-port')) ?? false,
    ipvsSyncPeriodSec: dur(a('ipvs-sync-period')) ?? 30,
    ipvsMinSyncPeriodSec: dur(a('ipvs-min-sync-period')) ?? 0,
    ipvsUdpTimeoutSec: dur(a('ipvs-udp-timeout')) ?? 5,
    ipvsTcpTimeoutSec: dur(a('ipvs-tcp-timeout')) ?? 900,
    conntrackUdpTimeoutSec: CONNTRACK_UDP_TIMEOUT_SEC,
  };
}
