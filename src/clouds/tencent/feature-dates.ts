// Features of an EKS pod that its VM only has when the pod was created after
// they went live (docs/tencent/feature-dates.md): the FAQ dates exited-container
// GC 2021-09-15 ("在此时间前创建的 pod，并未带有此特性") and the
// pod-eviction-threshold restart 2022-04-27 ("在此时间前创建的 pod，需要重建 pod
// 来开启特性"). A pod made now always has both; annotation nodeless.dev/created-at
// tells nodeless the pod was created earlier, to show what such a pod lacks.
import type { KubeObject, FieldError } from '../../api/types.js';
import type { DiskGcSettings } from './disk.js';

export const CREATED_AT_ANNOTATION = 'nodeless.dev/created-at';

const EKS = 'eks.tke.cloud.tencent.com/';

export interface DatedFeature {
  /** The day it went live (UTC). */
  since: string;
  what: string;
  /** The annotations that have no effect on a pod created earlier. */
  annotations: string[];
  /** What the pod does instead. */
  instead: string;
}

export const DATED_FEATURES: DatedFeature[] = [
  {
    since: '2021-09-15', what: 'exited-container GC',
    annotations: [`${EKS}container-gc-threshold`, `${EKS}must-keep-last-container`],
    instead: 'exited containers are never removed, so their disk space is not freed',
  },
  {
    since: '2022-04-27', what: 'pod-eviction-threshold restarts',
    annotations: [`${EKS}pod-eviction-threshold`],
    instead: 'the pod is not restarted whatever its disk usage; recreate the pod to enable it',
  },
];

/** YYYY-MM-DD or an RFC 3339 time; undefined when malformed. */
function parseWhen(v: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))?$/.test(v)) return undefined;
  const t = Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v);
  return Number.isNaN(t) ? undefined : t;
}

/** When the platform takes the pod to have been created: the annotation's time, else undefined (now). */
export function createdAt(pod: KubeObject): number | undefined {
  const v = pod.metadata.annotations?.[CREATED_AT_ANNOTATION];
  return v === undefined ? undefined : parseWhen(v);
}

/** The annotation is a date or an RFC 3339 time, not in the future (`now`). */
export function validateCreatedAt(pod: KubeObject, now: number): FieldError[] {
  const v = pod.metadata.annotations?.[CREATED_AT_ANNOTATION];
  if (v === undefined) return [];
  const field = `metadata.annotations[${CREATED_AT_ANNOTATION}]`;
  const t = parseWhen(v);
  const bad = (why: string): FieldError[] => [{ field, type: 'FieldValueInvalid', message: `annotation ${CREATED_AT_ANNOTATION}: invalid value ${JSON.stringify(v)}: ${why}` }];
  if (t === undefined) return bad('expected a date (2021-06-01) or an RFC 3339 time (2021-06-01T08:00:00Z)');
  if (t > now) return bad('a pod cannot have been created in the future');
  return [];
}

/** The dated features a pod lacks (none without the annotation). */
export function lackingFeatures(pod: KubeObject): DatedFeature[] {
  const t = createdAt(pod);
  if (t === undefined) return [];
  return DATED_FEATURES.filter((f) => t < Date.parse(`${f.since}T00:00:00Z`));
}

/** The disk settings as a pod of that age has them: no exited-container GC, no eviction threshold. */
export function datedDiskSettings<T extends DiskGcSettings>(settings: T, pod: KubeObject): T {
  const lacking = lackingFeatures(pod);
  if (!lacking.length) return settings;
  const out = { ...settings };
  if (lacking.some((f) => f.since === '2021-09-15')) { out.containerGcThreshold = Infinity; out.mustKeepLastContainer = true; }
  if (lacking.some((f) => f.since === '2022-04-27')) out.podEvictionThreshold = undefined;
  return out;
}

/** One line per lacking feature, for the pod's event: what it lacks, since when, and which annotations do nothing. */
export function lackingMessage(pod: KubeObject, f: DatedFeature): string {
  const when = pod.metadata.annotations?.[CREATED_AT_ANNOTATION];
  return `pod created ${when}, before ${f.since}, has no ${f.what}: ${f.instead} (no effect: ${f.annotations.join(', ')})`;
}
