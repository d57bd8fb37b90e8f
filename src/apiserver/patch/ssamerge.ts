// Value merging for server-side apply (structured-merge-diff's TypedValue.Merge):
// maps merge recursively, keyed lists merge item by item on their list-map keys,
// set lists are unions, atomic lists and scalars are replaced by the applied value.
// Also the removal of one field path, used to prune fields an applier gave up.

import { childType, fieldSpec, listMapKeysOf, listTypeOf, type FieldSpec, type TypeRef } from '../../api/mergekeys.js';
import { itemKey, valueKey } from './fieldset.js';
import { clone, hasOwn, isObject, own, setOwn, type Obj } from './util.js';

/** Merge applied configuration `config` into `live` (neither is modified). */
export function ssaMerge(live: unknown, config: unknown, type: TypeRef): unknown {
  return mergeMap(isObject(live) ? live : {}, config as Obj, type);
}

function mergeMap(live: Obj, config: Obj, type: TypeRef): Obj {
  const out: Obj = { ...live };
  for (const [k, v] of Object.entries(config)) setOwn(out, k, mergeValue(own(live, k), v, fieldSpec(type, k)));
  return out;
}

function mergeValue(live: unknown, config: unknown, spec: FieldSpec | undefined): unknown {
  if (Array.isArray(config)) {
    const lt = listTypeOf(spec);
    if (lt === 'atomic' || !Array.isArray(live)) return clone(config);
    if (lt === 'set') return mergeOrdered(live, config, valueKey, (l, c) => c ?? l);
    return mergeOrdered(live, config, (x) => itemKey(x, spec), (l, c) =>
      isObject(l) && isObject(c) ? mergeMap(l, c, childType(spec)) : clone(c ?? l),
    );
  }
  if (isObject(config) && isObject(live) && !spec?.atomic) return mergeMap(live, config, childType(spec));
  return clone(config);
}

/**
 * Merge two lists of identified items: items in both are merged, the result
 * follows the applied order, and live-only items stay where they were relative
 * to their neighbours.
 */
function mergeOrdered(live: unknown[], config: unknown[], id: (x: unknown) => string, both: (l: unknown, c: unknown) => unknown): unknown[] {
  const liveById = new Map(live.map((x) => [id(x), x] as const));
  const configIds = new Set(config.map(id));
  const out: unknown[] = [];
  const done = new Set<string>();
  let l = 0;
  let c = 0;
  while (l < live.length || c < config.length) {
    if (l < live.length) {
      const lid = id(live[l]);
      if (done.has(lid)) {
        l++;
        continue;
      }
      if (!configIds.has(lid)) {
        out.push(live[l]);
        done.add(lid);
        l++;
        continue;
      }
    }
    if (c < config.length) {
      const cid = id(config[c]);
      if (!done.has(cid)) out.push(both(liveById.get(cid), config[c]));
      done.add(cid);
      c++;
    } else l++;
  }
  return out;
}

/**
 * Remove the field at `path` (FieldsV1 elements) from `obj` in place. Maps and
 * lists emptied by the removal are dropped too, except top-level fields.
 * Returns false when the path does not exist or names a list item's key field.
 */
export function removePath(obj: Obj, path: readonly string[], type: TypeRef): boolean {
  return removeIn(obj, path, 0, type);
}

function removeIn(container: Obj, path: readonly string[], i: number, type: TypeRef): boolean {
  const el = path[i]!;
  if (!el.startsWith('f:')) return false;
  const name = el.slice(2);
  if (!hasOwn(container, name)) return false;
  const spec = fieldSpec(type, name);
  if (i === path.length - 1) {
    delete container[name];
    return true;
  }
  const v = container[name];
  let ok = false;
  if (Array.isArray(v)) {
    const next = path[i + 1]!;
    const idx = v.findIndex((x) => (next.startsWith('v:') ? valueKey(x) : itemKey(x, spec)) === next);
    if (idx < 0) return false;
    if (i + 1 === path.length - 1) {
      v.splice(idx, 1);
      ok = true;
    } else if (isObject(v[idx])) {
      const field = path[i + 2]!;
      // Key fields identify the item; they go only with the item itself.
      if (listMapKeysOf(spec).includes(field.slice(2))) return false;
      ok = removeIn(v[idx], path, i + 2, childType(spec));
    }
    if (ok && v.length === 0 && i > 0) delete container[name];
  } else if (isObject(v)) {
    ok = removeIn(v, path, i + 1, childType(spec));
    if (ok && Object.keys(v).length === 0 && i > 0) delete container[name];
  }
  return ok;
}
