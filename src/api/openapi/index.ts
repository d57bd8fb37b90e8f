// OpenAPI documents (/openapi/v2, /openapi/v3) and schema-based field validation.
// Built-in schemas come from zz_generated.definitions.json (scripts/gen-openapi.ts);
// custom resources bring their CRD's openAPIV3Schema in ResourceType.crdSchema.
export { definitions, crdDefinitionName } from './defs.js';
export { openapiV2, openapiV3Root, openapiV3GroupVersion, openapiV3Hash, gvPath, type DeleteReturnsObject } from './documents.js';
export { validateObject, decodeError, goValueKind } from './validate.js';
