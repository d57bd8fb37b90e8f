// batch/v1 Job.
import type { FieldError } from '../types.js';
import { defineResource, metaFields } from './define.js';
import { defaultPodSpec, validatePodSpec } from './podspec.js';

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
    if (s.template.spec && s.template.spec.restartPolicy === 'Always') s.template.spec.restartPolicy = 'Always';
  },
  validate(o, old) {
    const errs: FieldError[] = validatePodSpec(o.spec?.template?.spec, 'spec.template.spec');
    const rp = o.spec?.template?.spec?.restartPolicy;
    if (rp && rp !== 'OnFailure' && rp !== 'Never') errs.push({ field: 'spec.template.spec.restartPolicy', type: 'FieldValueNotSupported', message: `${JSON.stringify(rp)}: supported values: "OnFailure", "Never"` });
    if (old && JSON.stringify(o.spec?.template) !== JSON.stringify(old.spec?.template)) {
      errs.push({ field: 'spec.template', type: 'FieldValueInvalid', message: 'field is immutable' });
    }
    return errs;
  },
  fields: { ...metaFields, 'status.successful': (o) => String(o.status?.succeeded ?? 0) },
});
