// kwok.x-k8s.io/v1alpha1 Stage (docs/stages.md): cluster-scoped, served like a
// built-in kind so kwok users `kubectl apply` their stage files unchanged; its
// spec is validated by compiling it (src/api/stages.ts), so a Stage the
// controller could not run is a 422 naming the field.
import { compileStage, STAGE_GROUP, STAGE_VERSION } from '../stages.js';
import { defineResource, metaFields } from './define.js';

const str = { type: 'string' };
const obj = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
const from = { type: 'object', properties: { expressionFrom: str, jq: obj } };

const STAGE_SCHEMA = {
  type: 'object',
  description: 'kwok Stage: when an object of resourceRef matches selector, after delay, apply next.',
  properties: {
    apiVersion: str, kind: str, metadata: { type: 'object' },
    spec: {
      type: 'object', required: ['resourceRef'],
      properties: {
        resourceRef: { type: 'object', properties: { apiGroup: str, apiVersion: str, kind: str } },
        selector: {
          type: 'object',
          properties: {
            matchLabels: { type: 'object', additionalProperties: str },
            matchAnnotations: { type: 'object', additionalProperties: str },
            matchExpressions: { type: 'array', items: obj },
          },
        },
        weight: { type: 'integer' }, weightFrom: from,
        delay: {
          type: 'object',
          properties: { durationMilliseconds: { type: 'integer' }, durationFrom: from, jitterDurationMilliseconds: { type: 'integer' }, jitterDurationFrom: from },
        },
        next: obj,
        steps: { type: 'array', items: obj },
        immediateNextStage: { type: 'boolean' },
      },
    },
    status: obj,
  },
};

export const stages = defineResource({
  group: STAGE_GROUP, version: STAGE_VERSION, kind: 'Stage', plural: 'stages', namespaced: false, categories: ['kwok'],
  crdSchema: STAGE_SCHEMA, fields: metaFields,
  validate: (o) => compileStage(o).errors,
});
