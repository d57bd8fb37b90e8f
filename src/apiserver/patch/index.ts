// Patch semantics of the API server as pure functions: JSON patch, JSON merge
// patch, strategic merge patch, server-side apply and managedFields bookkeeping.

export { PatchError, ApplyConflictError, type ApplyConflict } from './errors.js';
export { jsonPatch, mergePatch, decodePatchBody, PATCH_CONTENT_TYPES, type PatchContentType } from './json.js';
export { strategicMergePatch } from './strategic.js';
export { serverSideApply, recordUpdate, BEFORE_FIRST_APPLY, type ApplyOptions } from './managed.js';
export { FieldSet, pathString } from './fieldset.js';
