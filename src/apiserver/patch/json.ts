// RFC 6902 JSON patch, RFC 7386 JSON merge patch, and decoding of PATCH bodies.

import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { PatchError } from './errors.js';
import { depthMessage, MAX_DEPTH, parseJson, parseYamlDocuments, valueDepth } from '../../util/decode.js';
import { clone, isObject, own, setOwn, show } from './util.js';

export type PatchContentType =
  | 'application/json-patch+json'
  | 'application/merge-patch+json'
  | 'application/strategic-merge-patch+json'
  | 'application/apply-patch+yaml';

export const PATCH_CONTENT_TYPES: readonly PatchContentType[] = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/**
 * kube-apiserver's limits on a JSON patch: the number of operations
 * (maxJSONPatchOperations) and how much data its copy operations may add
 * (JSONPatchMaxCopyBytes, the same 3 MiB as the request body limit): without
 * the second, each copy of a value into itself doubles the document.
 */
export const MAX_PATCH_OPERATIONS = 10000;
export const MAX_COPY_BYTES = 3 * 1024 * 1024;

/** Apply RFC 6902 operations to a copy of `doc`; the input is never modified. */
export function jsonPatch<T = unknown>(doc: T, ops: unknown): T {
  if (!Array.isArray(ops)) throw new PatchError('json patch must be a JSON array of operations', 400);
  if (ops.length > MAX_PATCH_OPERATIONS) throw new PatchError(`The allowed maximum operations in a JSON patch is ${MAX_PATCH_OPERATIONS}, got ${ops.length}`, 413);
  ops.forEach((op, i) => checkOp(op, i));
  let current: any = clone(doc);
  let copied = 0;
  // One operation at a time so a failure can name the operation that failed.
  (ops as Operation[]).forEach((op, i) => {
    if (op.op === 'copy') {
      let size = 0;
      try {
        size = JSON.stringify(jsonpatch.getValueByPointer(current, op.from))?.length ?? 0;
      } catch {
        size = 0; // a missing from-path fails in applyOperation below, with its own message
      }
      copied += size;
      if (copied > MAX_COPY_BYTES) throw new PatchError(`Unable to complete the copy, the accumulated size increase of copy is ${copied}, exceeding the limit ${MAX_COPY_BYTES}`);
    }
    try {
      current = jsonpatch.applyOperation(current, op, true, true, true, i).newDocument;
    } catch (e) {
      throw new PatchError(describeFailure(op, i, current, e));
    }
  });
  // Each operation may nest its value below a path as deep as the limit allows.
  if (valueDepth(current) > MAX_DEPTH) throw new PatchError(`json patch result: ${depthMessage}`);
  return current as T;
}

function checkOp(op: unknown, i: number): void {
  if (!isObject(op)) throw new PatchError(`json patch operation ${i} is not an object: ${show(op)}`, 400);
  if (typeof op.op !== 'string' || !OPS.has(op.op)) {
    throw new PatchError(`json patch operation ${i}: unknown op ${show(op.op)} (want add, remove, replace, move, copy or test)`, 400);
  }
  if (typeof op.path !== 'string' || (op.path !== '' && !op.path.startsWith('/'))) {
    throw new PatchError(`json patch operation ${i} (${op.op}): path ${show(op.path)} is not a JSON pointer`, 400);
  }
  if ((op.op === 'move' || op.op === 'copy') && typeof op.from !== 'string') {
    throw new PatchError(`json patch operation ${i} (${op.op} ${op.path}): missing "from"`, 400);
  }
  if ((op.op === 'add' || op.op === 'replace' || op.op === 'test') && !('value' in op)) {
    throw new PatchError(`json patch operation ${i} (${op.op} ${op.path}): missing "value"`, 400);
  }
}

function describeFailure(op: Operation, i: number, doc: unknown, e: unknown): string {
  const where = `json patch operation ${i} (${op.op} ${op.path})`;
  const name = (e as { name?: string })?.name;
  if (name === 'TEST_OPERATION_FAILED') {
    let actual: unknown;
    try {
      actual = jsonpatch.getValueByPointer(doc, op.path);
    } catch {
      actual = undefined;
    }
    const expected = (op as { value?: unknown }).value;
    return `${where} failed: value is ${actual === undefined ? 'missing' : show(actual)}, expected ${show(expected)}`;
  }
  if (name === 'OPERATION_PATH_UNRESOLVABLE' || name === 'OPERATION_PATH_CANNOT_ADD') {
    return `${where} failed: doc is missing path ${show(op.path)}`;
  }
  if (name === 'OPERATION_FROM_UNRESOLVABLE') {
    return `${where} failed: doc is missing from-path ${show((op as { from?: string }).from)}`;
  }
  if (name === 'OPERATION_VALUE_OUT_OF_BOUNDS' || name === 'OPERATION_PATH_ILLEGAL_ARRAY_INDEX') {
    return `${where} failed: array index out of bounds or invalid`;
  }
  return `${where} failed: ${(e as Error)?.message?.split('\n')[0] ?? String(e)}`;
}

/** RFC 7386: null deletes, objects merge recursively, anything else (arrays too) replaces. */
export function mergePatch<T = unknown>(doc: T, patch: unknown): T {
  return applyMerge(clone(doc), patch) as T;
}

function applyMerge(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: Record<string, unknown> = isObject(target) ? target : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else setOwn(out, k, applyMerge(own(out, k), v));
  }
  return out;
}

/** Parse a PATCH body according to its Content-Type (parameters such as charset are ignored). */
export function decodePatchBody(contentType: string, text: string): unknown {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  switch (type) {
    case 'application/json-patch+json': {
      const v = decodeJson(text, 'json patch');
      if (!Array.isArray(v)) throw new PatchError('json patch body must be a JSON array of operations', 400);
      return v;
    }
    case 'application/merge-patch+json':
    case 'application/strategic-merge-patch+json': {
      const what = type === 'application/merge-patch+json' ? 'merge patch' : 'strategic merge patch';
      const v = decodeJson(text, what);
      if (!isObject(v)) throw new PatchError(`${what} body must be a JSON object, got ${kindOf(v)}`, 400);
      return v;
    }
    case 'application/apply-patch+yaml': {
      let docs: unknown[];
      try {
        docs = parseYamlDocuments(text, { maxAliasBytes: MAX_COPY_BYTES });
      } catch (e) {
        throw new PatchError(`error decoding YAML: ${(e as Error).message}`, 400);
      }
      if (docs.length !== 1) throw new PatchError(`apply patch must contain exactly one YAML document, got ${docs.length}`, 400);
      const v = docs[0];
      if (!isObject(v)) throw new PatchError(`apply patch must be a YAML or JSON object, got ${kindOf(v)}`, 400);
      return v;
    }
    default:
      throw new PatchError(`unsupported patch content type ${show(contentType)}; want one of ${PATCH_CONTENT_TYPES.join(', ')}`, 415);
  }
}

function decodeJson(text: string, what: string): unknown {
  try {
    return parseJson(text);
  } catch (e) {
    throw new PatchError(`error decoding ${what}: ${(e as Error).message}`, 400);
  }
}

function kindOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}
