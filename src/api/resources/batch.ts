// batch/v1 Job and CronJob.
import type { FieldError, KubeObject } from '../types.js';
import { defineResource, metaFields } from './define.js';
import { defaultPodSpec, validatePodSpec } from './podspec.js';
import { nonNegative } from './checks.js';
import { knownTimeZone, parseStandardCron } from '../cron.js';
import { sameValue } from '../../util/equal.js';

/** A LabelSelector as field.Invalid prints it (%#v of metav1.LabelSelector). */
export function goLabelSelector(sel: any): string {
  if (!sel || typeof sel !== 'object') return 'null';
  const ml = sel.matchLabels && typeof sel.matchLabels === 'object'
    ? `map[string]string{${Object.keys(sel.matchLabels).sort().map((k) => `${JSON.stringify(k)}:${JSON.stringify(String(sel.matchLabels[k]))}`).join(', ')}}`
    : 'map[string]string(nil)';
  const me = Array.isArray(sel.matchExpressions) && sel.matchExpressions.length
    ? `[]v1.LabelSelectorRequirement{${sel.matchExpressions.map((r: any) => `v1.LabelSelectorRequirement{Key:${JSON.stringify(String(r?.key ?? ''))}, Operator:${JSON.stringify(String(r?.operator ?? ''))}, Values:${Array.isArray(r?.values) ? `[]string{${r.values.map((v: unknown) => JSON.stringify(String(v))).join(', ')}}` : '[]string(nil)'}}`).join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return `v1.LabelSelector{MatchLabels:${ml}, MatchExpressions:${me}}`;
}

const immutable = (field: string, value: string): FieldError => ({ field, type: 'FieldValueInvalid', message: `${value}: field is immutable` });

/** ValidateJobSpecUpdate: what a Job may not change once created. */
function validateJobUpdate(o: KubeObject, old: KubeObject): FieldError[] {
  const s = o.spec ?? {};
  const p = old.spec ?? {};
  const errs: FieldError[] = [];
  if (!sameValue(s.selector, p.selector)) errs.push(immutable('spec.selector', goLabelSelector(s.selector)));
  // Indexed Jobs may change completions together with parallelism (elastic Indexed Jobs).
  const elastic = s.completionMode === 'Indexed' && p.completionMode === 'Indexed' && s.completions === s.parallelism;
  if (!elastic && s.completions !== p.completions) errs.push(immutable('spec.completions', s.completions === undefined || s.completions === null ? 'null' : String(s.completions)));
  if (!sameValue(s.template, p.template)) errs.push({ field: 'spec.template', type: 'FieldValueInvalid', message: 'field is immutable' });
  if (s.completionMode !== p.completionMode) errs.push(immutable('spec.completionMode', JSON.stringify(s.completionMode ?? '')));
  if (!sameValue(s.podFailurePolicy, p.podFailurePolicy)) errs.push({ field: 'spec.podFailurePolicy', type: 'FieldValueInvalid', message: 'field is immutable' });
  if (s.backoffLimitPerIndex !== p.backoffLimitPerIndex) errs.push(immutable('spec.backoffLimitPerIndex', String(s.backoffLimitPerIndex ?? 'null')));
  if (s.managedBy !== p.managedBy) errs.push(immutable('spec.managedBy', s.managedBy === undefined ? 'null' : JSON.stringify(s.managedBy)));
  return errs;
}

export const jobs = defineResource({
  group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', namespaced: true, categories: ['all'],
  subresources: ['status'], definition: 'io.k8s.api.batch.v1.Job', hasGeneration: true,
  defaults(o) {
    const s = (o.spec ??= {});
    // Work-queue Jobs (parallelism without completions) keep completions unset, as Kubernetes does.
    if (s.completions == null && s.parallelism == null) s.completions = 1;
    s.parallelism ??= 1;
    s.backoffLimit ??= 6;
    s.completionMode ??= 'NonIndexed';
    s.suspend ??= false;
    s.podReplacementPolicy ??= 'TerminatingOrFailed';
    s.manualSelector ??= undefined;
    if (s.manualSelector === undefined) delete s.manualSelector;
    // The Job controller owns its selector: a unique label on the template, as Kubernetes does.
    const uid = o.metadata.uid;
    if (uid && !s.selector) {
      s.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
      s.template ??= {};
      s.template.metadata ??= {};
      s.template.metadata.labels = {
        ...(s.template.metadata.labels ?? {}),
        'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': o.metadata.name!,
        'controller-uid': uid, 'job-name': o.metadata.name!,
      };
    }
    s.template ??= {};
    defaultPodSpec(s.template.spec);
  },
  validate(o, old) {
    const errs: FieldError[] = validatePodSpec(o.spec?.template?.spec, 'spec.template.spec');
    // validateJobSpec: counts, the deadline, the back-off limit and the TTL are never negative.
    for (const f of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished']) errs.push(...nonNegative(o.spec?.[f], `spec.${f}`));
    const rp = o.spec?.template?.spec?.restartPolicy;
    if (rp && rp !== 'OnFailure' && rp !== 'Never') errs.push({ field: 'spec.template.spec.restartPolicy', type: 'FieldValueNotSupported', message: `${JSON.stringify(rp)}: supported values: "OnFailure", "Never"` });
    if (old) errs.push(...validateJobUpdate(o, old));
    return errs;
  },
  fields: { ...metaFields, 'status.successful': (o) => String(o.status?.succeeded ?? 0) },
});

const CONCURRENCY = ['Allow', 'Forbid', 'Replace'];

/** ValidateCronJob (pkg/apis/batch/validation): the schedule, time zone, policies and job template. */
function validateCronJob(o: KubeObject): FieldError[] {
  const s = o.spec ?? {};
  const errs: FieldError[] = [];
  const name = o.metadata?.name ?? '';
  // The CronJob controller names Jobs <name>-<minutes>, which must fit a label value.
  if (name.length > 52) errs.push({ field: 'metadata.name', type: 'FieldValueInvalid', message: `${JSON.stringify(name)}: must be no more than 52 characters` });
  if (typeof s.schedule !== 'string' || s.schedule === '') errs.push({ field: 'spec.schedule', type: 'FieldValueRequired', message: '' });
  else {
    try {
      parseStandardCron(s.schedule);
    } catch (e) {
      errs.push({ field: 'spec.schedule', type: 'FieldValueInvalid', message: `${JSON.stringify(s.schedule)}: ${(e as Error).message}` });
    }
    if (s.schedule.includes('TZ')) {
      errs.push({ field: 'spec.schedule', type: 'FieldValueInvalid', message: `${JSON.stringify(s.schedule)}: ${s.timeZone !== undefined ? 'cannot use both timeZone field and TZ or CRON_TZ in schedule' : 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'}` });
    }
  }
  if (s.timeZone !== undefined && s.timeZone !== null) {
    const tz = String(s.timeZone);
    if (tz === '') errs.push({ field: 'spec.timeZone', type: 'FieldValueInvalid', message: '"": timeZone must be nil or non-empty string' });
    else if (tz.toLowerCase() === 'local') errs.push({ field: 'spec.timeZone', type: 'FieldValueInvalid', message: `${JSON.stringify(tz)}: timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones` });
    else if (!knownTimeZone(tz)) errs.push({ field: 'spec.timeZone', type: 'FieldValueInvalid', message: `${JSON.stringify(tz)}: unknown time zone ${tz}` });
  }
  if (s.concurrencyPolicy !== undefined && !CONCURRENCY.includes(s.concurrencyPolicy)) {
    errs.push({ field: 'spec.concurrencyPolicy', type: 'FieldValueNotSupported', message: `${JSON.stringify(s.concurrencyPolicy)}: supported values: "Allow", "Forbid", "Replace"` });
  }
  for (const k of ['startingDeadlineSeconds', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit']) {
    if (typeof s[k] === 'number' && s[k] < 0) errs.push({ field: `spec.${k}`, type: 'FieldValueInvalid', message: `${s[k]}: must be greater than or equal to 0` });
  }
  const pod = s.jobTemplate?.spec?.template?.spec;
  errs.push(...validatePodSpec(pod, 'spec.jobTemplate.spec.template.spec'));
  const rp = pod?.restartPolicy;
  if (rp && rp !== 'OnFailure' && rp !== 'Never') errs.push({ field: 'spec.jobTemplate.spec.template.spec.restartPolicy', type: 'FieldValueNotSupported', message: `${JSON.stringify(rp)}: supported values: "OnFailure", "Never"` });
  return errs;
}

export const cronjobs = defineResource({
  group: 'batch', version: 'v1', kind: 'CronJob', plural: 'cronjobs', namespaced: true, shortNames: ['cj'], categories: ['all'],
  subresources: ['status'], definition: 'io.k8s.api.batch.v1.CronJob', hasGeneration: true,
  defaults(o) {
    // SetDefaults_CronJob.
    const s = (o.spec ??= {});
    s.concurrencyPolicy ??= 'Allow';
    s.suspend ??= false;
    s.successfulJobsHistoryLimit ??= 3;
    s.failedJobsHistoryLimit ??= 1;
    defaultPodSpec(s.jobTemplate?.spec?.template?.spec);
  },
  validate: (o) => validateCronJob(o),
  fields: metaFields,
});
