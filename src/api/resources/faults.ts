// nodeless.dev/v1alpha1 Fault: a fault injected into the cluster or its cloud
// (docs/faults.md), served like a built-in kind from one definition: its
// OpenAPI schema (which the API server validates and publishes) and the
// checks a schema cannot say (the kind's contract in ../faults.ts).
import type { FieldError } from '../types.js';
import { FAULT_GROUP, FAULT_KIND_NAMES, FAULT_VERSION, isFaultKind, kindDef } from '../faults.js';
import { parseGoDuration } from '../duration.js';
import { defineResource, metaFields } from './define.js';
import { forbidden, invalid, notSupported, required } from './validation.js';

const str = { type: 'string' };
const time = { type: 'string', format: 'date-time' };

const FAULT_SCHEMA = {
  type: 'object',
  description: 'A fault injected into the cluster or its cloud, active from its start for spec.for (or until deleted).',
  properties: {
    apiVersion: str, kind: str, metadata: { type: 'object' },
    spec: {
      type: 'object', required: ['kind'],
      properties: {
        kind: { type: 'string', description: `What fails: ${FAULT_KIND_NAMES.join(', ')}.` },
        target: { type: 'string', description: 'What it fails (a zone, a node, NAMESPACE/POD, a subnet, a resource: see the kind).' },
        for: { type: 'string', description: 'How long the fault lasts, as a duration (5m); absent: until it is deleted.' },
        parameters: { type: 'object', additionalProperties: str, description: "The kind's parameters." },
      },
    },
    status: {
      type: 'object',
      properties: {
        phase: { type: 'string', description: 'Active, Expired or Cleared.' },
        startTime: time,
        endTime: time,
        message: str,
        conditions: {
          type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'],
          items: {
            type: 'object', required: ['type', 'status'],
            properties: { type: str, status: str, reason: str, message: str, lastTransitionTime: time },
          },
        },
      },
    },
  },
};

/** The checks of a Fault's spec beyond its schema: the kind, its target and parameters, the duration. */
export function validateFaultSpec(spec: any): FieldError[] {
  const errs: FieldError[] = [];
  if (!spec || typeof spec !== 'object') return [required('spec')];
  if (spec.kind === undefined || spec.kind === '') return [required('spec.kind', `must be one of ${FAULT_KIND_NAMES.join(', ')}`)];
  const kind: unknown = spec.kind;
  if (!isFaultKind(kind)) return [notSupported('spec.kind', kind, FAULT_KIND_NAMES)];
  const def = kindDef(kind);
  if (def.unavailable) return [forbidden('spec.kind', `${kind} cannot be injected: ${def.unavailable}`)];
  const target = typeof spec.target === 'string' ? spec.target : '';
  if (!def.target && target) errs.push(forbidden('spec.target', `${spec.kind} takes no target`));
  if (def.target?.required && !target) errs.push(required('spec.target', `${spec.kind} needs ${def.target.help}`));
  if (spec.for !== undefined) {
    const ms = typeof spec.for === 'string' ? parseGoDuration(spec.for) : undefined;
    if (ms === undefined || ms <= 0) errs.push(invalid('spec.for', spec.for, 'must be a positive duration such as 30s, 5m or 1h'));
  }
  const params = spec.parameters && typeof spec.parameters === 'object' ? spec.parameters : {};
  const names = Object.keys(def.params);
  for (const [k, v] of Object.entries(params)) {
    const p = Object.prototype.hasOwnProperty.call(def.params, k) ? def.params[k] : undefined;
    if (!p) {
      errs.push(names.length ? notSupported(`spec.parameters[${k}]`, k, names) : forbidden(`spec.parameters[${k}]`, `${spec.kind} takes no parameters`));
      continue;
    }
    const why = typeof v === 'string' ? p.check(v) : 'must be a string';
    if (why) errs.push(invalid(`spec.parameters[${k}]`, v, why));
  }
  return errs;
}

export const faults = defineResource({
  group: FAULT_GROUP, version: FAULT_VERSION, kind: 'Fault', plural: 'faults', namespaced: false, categories: ['nodeless'],
  subresources: ['status'], hasGeneration: true, crdSchema: FAULT_SCHEMA, fields: metaFields,
  validate(o, old) {
    const errs = validateFaultSpec(o.spec);
    // What a fault does is fixed when it is injected: another fault is another object.
    if (old && JSON.stringify(old.spec) !== JSON.stringify(o.spec)) errs.push({ field: 'spec', type: 'FieldValueInvalid', message: 'field is immutable' });
    return errs;
  },
});
