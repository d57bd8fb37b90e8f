// Kubernetes strategic merge patch (application/strategic-merge-patch+json) as the
// API server applies it: lists merge by the merge keys of src/api/mergekeys.ts,
// untagged lists are replaced, and the $patch / $setElementOrder /
// $deleteFromPrimitiveList / $retainKeys directives kubectl generates are honoured.
// List ordering follows apimachinery: patched items in patch (or $setElementOrder)
// order, server-only items kept in their live position relative to them, new
// items ahead of the live items they are not ordered against.

import { childType, fieldSpec, isMergeList, rootType, type FieldSpec, type TypeRef } from '../../api/mergekeys.js';
import { PatchError } from './errors.js';
import { clone, deepEqual, isObject, own, setOwn, show, type Obj } from './util.js';

const PATCH = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder/';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';

/** Apply a strategic merge patch for built-in `kind` to a copy of `doc`. */
export function strategicMergePatch<T = unknown>(doc: T, patch: unknown, kind: string): T {
  if (!isObject(patch)) throw new PatchError(`strategic merge patch must be a JSON object, got ${show(patch)}`, 400);
  const original = isObject(doc) ? clone(doc) : {};
  return mergeMap(original, clone(patch), rootType(kind)) as T;
}

function mergeMap(original: Obj, patchIn: Obj, type: TypeRef): Obj {
  const patch = { ...patchIn };
  if (PATCH in patch) {
    const directive = patch[PATCH];
    delete patch[PATCH];
    if (directive === 'delete') return {};
    // "replace": the patch (minus directives and nulls) becomes the value.
    if (directive === 'replace') return mergeMap({}, patch, type);
    if (directive !== 'merge') throw new PatchError(`unknown patch type: ${show(directive)} in map: ${show(patchIn)}`, 400);
  }
  applyRetainKeys(original, patch);

  // $setElementOrder lists are merged together with their field, then reordered.
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ORDER)) continue;
    const field = key.slice(SET_ORDER.length);
    const order = patch[key];
    delete patch[key];
    if (!Array.isArray(order)) throw new PatchError(`invalid ${key}: want a list, got ${show(order)}`, 400);
    const spec = fieldSpec(type, field);
    const orig = Array.isArray(own(original, field)) ? (own(original, field) as unknown[]) : undefined;
    const pl = own(patch, field);
    if (pl !== undefined && !Array.isArray(pl)) continue; // the field itself is not a list: merged below
    if (!orig && pl === undefined) continue;
    delete patch[field];
    const merged = pl === undefined ? orig! : mergeList(orig ?? [], pl, spec, field, false);
    const ordered = reorder(merged, order, orig ?? [], spec);
    setOrDrop(original, field, ordered);
  }

  const deletions: [string, unknown][] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (key === RETAIN_KEYS) continue;
    if (key.startsWith(DELETE_PRIMITIVE)) {
      deletions.push([key.slice(DELETE_PRIMITIVE.length), value]);
      continue;
    }
    if (value === null) {
      delete original[key];
      continue;
    }
    const spec = fieldSpec(type, key);
    const cur = own(original, key);
    if (isObject(value) && isObject(cur) && !spec?.atomic && spec?.patchStrategy !== 'replace') {
      setOwn(original, key, mergeMap(cur, value, childType(spec)));
    } else if (Array.isArray(value) && Array.isArray(cur)) {
      setOrDrop(original, key, mergeList(cur, value, spec, key, true));
    } else {
      // New key, type change or scalar: take the patch value, minus its directives and nulls.
      setOwn(original, key, fresh(value, spec, key));
    }
  }

  // Deletions run last so they also apply to items the same patch merged above.
  for (const [field, values] of deletions) {
    if (!Array.isArray(values)) throw new PatchError(`invalid ${DELETE_PRIMITIVE}${field}: want a list, got ${show(values)}`, 400);
    const cur = own(original, field);
    if (!Array.isArray(cur)) continue;
    setOrDrop(original, field, cur.filter((x) => !values.some((d) => deepEqual(d, x))));
  }
  return original;
}

/** A patch value that has nothing to merge with. */
function fresh(value: unknown, spec: FieldSpec | undefined, field: string): unknown {
  if (isObject(value)) return mergeMap({}, value, childType(spec));
  if (Array.isArray(value)) return mergeList([], value, spec, field, true);
  return value;
}

// $retainKeys lists the keys the map keeps; everything else in the live map goes
// (used by kubectl when a volume changes from one source type to another).
function applyRetainKeys(original: Obj, patch: Obj): void {
  if (!(RETAIN_KEYS in patch)) return;
  const keep = patch[RETAIN_KEYS];
  if (!Array.isArray(keep) || keep.some((k) => typeof k !== 'string')) {
    throw new PatchError(`invalid ${RETAIN_KEYS}: want a list of field names, got ${show(keep)}`, 400);
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$') || v === null) continue;
    if (!keep.includes(k)) throw new PatchError(`field ${show(k)} is set in the patch but not present in the ${RETAIN_KEYS} list ${show(keep)}`, 400);
  }
  for (const k of Object.keys(original)) if (!keep.includes(k)) delete original[k];
}

function mergeList(original: unknown[], patch: unknown[], spec: FieldSpec | undefined, field: string, order: boolean): unknown[] {
  if (!isMergeList(spec)) return patch.map((v) => (isObject(v) ? stripNulls(v) : v));
  const key = spec!.patchMergeKey;
  if (!key || !patch.concat(original).some(isObject)) {
    // A set of primitives (finalizers, podCIDRs): union without duplicates.
    const merged: unknown[] = [];
    for (const v of [...original, ...patch]) if (!merged.some((m) => deepEqual(m, v))) merged.push(v);
    return order ? reorder(merged, patch, original, spec) : merged;
  }

  let base = original;
  const items: Obj[] = [];
  let replace = false;
  for (const el of patch) {
    if (!isObject(el)) throw new PatchError(`${field}: list item ${show(el)} is not an object; items merge by key ${show(key)}`, 400);
    if (!(PATCH in el)) {
      items.push(el);
      continue;
    }
    const directive = el[PATCH];
    if (directive === 'delete') {
      if (!(key in el)) throw new PatchError(`${field}: map: ${show(el)} does not contain declared merge key: ${key}`, 400);
      base = base.filter((o) => !(isObject(o) && deepEqual(o[key], el[key])));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw new PatchError(`${field}: merging lists cannot yet be specified in the patch`, 400);
    } else {
      throw new PatchError(`unknown patch type: ${show(directive)} in map: ${show(el)}`, 400);
    }
  }
  // "$patch: replace" in a list: the other items of the patch are the whole list.
  if (replace) return items.map((el) => mergeMap({}, el, childType(spec)));

  const merged = base.slice();
  for (const el of items) {
    if (!(key in el)) throw new PatchError(`${field}: map: ${show(el)} does not contain declared merge key: ${key}`, 400);
    const i = merged.findIndex((o) => isObject(o) && deepEqual(o[key], el[key]));
    if (i >= 0) merged[i] = mergeMap(merged[i] as Obj, el, childType(spec));
    else merged.push(mergeMap({}, el, childType(spec)));
  }
  return order ? reorder(merged, items, base, spec) : merged;
}

/**
 * Order `merged`: items named in `order` follow that order; the others keep the
 * order of `server` and are slotted in before the first ordered item they come
 * before on the server (apimachinery's normalizeElementOrder/mergeSortedSlice).
 */
function reorder(merged: unknown[], order: unknown[], server: unknown[], spec: FieldSpec | undefined): unknown[] {
  const key = spec?.patchMergeKey;
  const id = (v: unknown): string => JSON.stringify(key && isObject(v) ? v[key] : v) ?? 'undefined';
  const orderIdx = indexOf(order.filter((v) => !(isObject(v) && PATCH in v)), id);
  const serverIdx = indexOf(server, id);
  const inPatch = merged.filter((v) => orderIdx.has(id(v)));
  const serverOnly = merged.filter((v) => !orderIdx.has(id(v)));
  const byIndex = (idx: Map<string, number>) => (a: unknown, b: unknown) => (idx.get(id(a)) ?? -1) - (idx.get(id(b)) ?? -1);
  inPatch.sort(byIndex(orderIdx));
  serverOnly.sort(byIndex(serverIdx));

  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < inPatch.length) {
    if (j >= inPatch.length) out.push(serverOnly[i++]);
    else if (i >= serverOnly.length) out.push(inPatch[j++]);
    else {
      const l = serverIdx.get(id(serverOnly[i]));
      const r = serverIdx.get(id(inPatch[j]));
      if (l !== undefined && r !== undefined && l < r) out.push(serverOnly[i++]);
      else out.push(inPatch[j++]);
    }
  }
  return out;
}

function indexOf(list: unknown[], id: (v: unknown) => string): Map<string, number> {
  const m = new Map<string, number>();
  list.forEach((v, i) => {
    const k = id(v);
    if (!m.has(k)) m.set(k, i);
  });
  return m;
}

// Go drops empty slices on output (omitempty); mirror that for lists emptied by deletions.
function setOrDrop(target: Obj, field: string, list: unknown[]): void {
  if (list.length === 0) delete target[field];
  else setOwn(target, field, list);
}

function stripNulls(v: Obj): Obj {
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) {
    if (x === null) continue;
    setOwn(out, k, isObject(x) ? stripNulls(x) : x);
  }
  return out;
}
