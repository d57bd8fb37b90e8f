// Ephemeral containers (`kubectl debug`): what a pod's spec.ephemeralContainers
// may hold, and how the pods/ephemeralcontainers subresource may change it,
// in kube-apiserver's words (pkg/apis/core/validation: validateEphemeralContainers,
// ValidatePodEphemeralContainersUpdate). docs/streaming.md.
import type { FieldError } from '../types.js';
import { sameValue } from '../../util/equal.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Container fields an ephemeral container may not set (it has no ports, probes, lifecycle or resources of its own). */
const FORBIDDEN = ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe', 'ports', 'resources', 'resizePolicy', 'restartPolicy'];

/** `names` holds the names of the pod's containers and init containers already seen. */
export function validateEphemeralContainers(spec: any, path: string, names: Set<string>, errs: FieldError[]): void {
  const list = spec?.ephemeralContainers;
  if (list === undefined || list === null || !Array.isArray(list)) return;
  const regular = new Set([...(spec.containers ?? []), ...(spec.initContainers ?? [])].map((c: any) => c?.name));
  list.forEach((c: any, i: number) => {
    const p = `${path}.ephemeralContainers[${i}]`;
    if (!c || typeof c !== 'object') return;
    if (!c.name) errs.push({ field: `${p}.name`, type: 'FieldValueRequired', message: '' });
    else if (typeof c.name !== 'string' || !DNS_LABEL.test(c.name)) {
      errs.push({ field: `${p}.name`, type: 'FieldValueInvalid', message: `${JSON.stringify(c.name)}: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character` });
    } else if (names.has(c.name)) errs.push({ field: `${p}.name`, type: 'FieldValueDuplicate', message: JSON.stringify(c.name) });
    else names.add(c.name);
    if (!c.image) errs.push({ field: `${p}.image`, type: 'FieldValueRequired', message: '' });
    for (const f of FORBIDDEN) {
      const v = c[f];
      const set = v !== undefined && v !== null && !(f === 'resources' && typeof v === 'object' && !Object.keys(v).length);
      if (set) errs.push({ field: `${p}.${f}`, type: 'FieldValueForbidden', message: 'cannot be set for an Ephemeral Container' });
    }
    if (c.targetContainerName && !regular.has(c.targetContainerName)) {
      errs.push({ field: `${p}.targetContainerName`, type: 'FieldValueNotFound', message: JSON.stringify(c.targetContainerName) });
    }
  });
}

/** pods/ephemeralcontainers: ephemeral containers may be added, never removed or changed. */
export function validateEphemeralUpdate(spec: any, old: any): FieldError[] {
  const errs: FieldError[] = [];
  const now = new Map<string, any>((Array.isArray(spec?.ephemeralContainers) ? spec.ephemeralContainers : []).map((c: any) => [c?.name, c]));
  for (const c of Array.isArray(old?.ephemeralContainers) ? old.ephemeralContainers : []) {
    const n = now.get(c?.name);
    if (!n) errs.push({ field: 'spec.ephemeralContainers', type: 'FieldValueForbidden', message: `existing ephemeral containers ${JSON.stringify(c?.name)} may not be removed` });
    else if (!sameValue(n, c)) errs.push({ field: 'spec.ephemeralContainers', type: 'FieldValueForbidden', message: `existing ephemeral containers ${JSON.stringify(c?.name)} may not be changed` });
  }
  return errs;
}
