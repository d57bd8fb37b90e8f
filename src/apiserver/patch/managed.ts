// Field ownership (metadata.managedFields): server-side apply and the bookkeeping
// of ordinary writes, following structured-merge-diff's Updater. A manager is
// identified by name + operation + subresource; its field set is a FieldSet.

import type { KubeObject, ManagedFieldsEntry } from '../../api/types.js';
import { childType, fieldSpec, listTypeOf, rootType, type TypeRef } from '../../api/mergekeys.js';
import { ApplyConflictError, PatchError, type ApplyConflict } from './errors.js';
import { compare, FieldSet, isUnchanged, itemKey, pathString, toFieldSet, valueKey } from './fieldset.js';
import { ssaMerge, removePath } from './ssamerge.js';
import { clone, deepEqual, hasOwn, isObject, setOwn, type Obj } from './util.js';

/** Manager name Kubernetes gives fields of objects that had no managedFields before their first apply. */
export const BEFORE_FIRST_APPLY = 'before-first-apply';

/** metadata fields nobody owns (the API server sets them). */
const SERVER_META = ['managedFields', 'resourceVersion', 'uid', 'creationTimestamp', 'generation', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'name', 'namespace', 'generateName'];

/**
 * One managedFields entry. The field set is parsed only when needed: most writes
 * touch few fields, and other managers' entries are then kept byte for byte.
 */
class Manager {
  private parsed?: FieldSet;
  /** True once the set differs from `entry.fieldsV1`. */
  dirty = false;
  constructor(
    readonly entry: ManagedFieldsEntry,
    set?: FieldSet,
  ) {
    if (set) this.fields = set;
  }
  get fields(): FieldSet {
    return (this.parsed ??= FieldSet.fromFieldsV1(this.entry.fieldsV1));
  }
  set fields(s: FieldSet) {
    this.parsed = s;
    this.dirty = true;
  }
  /** Whether any member of `changes` is one of this manager's fields. */
  ownsAnyOf(changes: FieldSet): boolean {
    if (this.parsed) return !this.parsed.intersection(changes).isEmpty();
    return rawOwnsAny(this.entry.fieldsV1, changes);
  }
}

function rawOwnsAny(raw: unknown, changes: FieldSet): boolean {
  if (!isObject(raw)) return false;
  const keys = Object.keys(raw);
  if (changes.self && (keys.length === 0 || hasOwn(raw, '.'))) return true;
  for (const [el, c] of changes.children) if (hasOwn(raw, el) && rawOwnsAny(raw[el], c)) return true;
  return false;
}

const idOf = (e: ManagedFieldsEntry): string => JSON.stringify([e.manager ?? '', e.operation ?? '', e.subresource ?? '']);

function readManagers(obj: KubeObject | undefined): Map<string, Manager> {
  const out = new Map<string, Manager>();
  for (const e of obj?.metadata?.managedFields ?? []) {
    if (isObject(e)) out.set(idOf(e), new Manager(e));
  }
  return out;
}

// Kubernetes sorts entries by operation (Apply first), then time, manager, apiVersion, subresource.
function writeManagers(obj: KubeObject, managers: Map<string, Manager>): void {
  const entries: ManagedFieldsEntry[] = [];
  for (const m of managers.values()) {
    if (!m.dirty) {
      entries.push({ ...m.entry });
      continue;
    }
    if (m.fields.isEmpty()) continue;
    const e: ManagedFieldsEntry = {
      manager: m.entry.manager,
      operation: m.entry.operation,
      apiVersion: m.entry.apiVersion,
      time: m.entry.time,
      fieldsType: 'FieldsV1',
      fieldsV1: m.fields.toFieldsV1(),
    };
    if (m.entry.subresource) e.subresource = m.entry.subresource;
    entries.push(e);
  }
  const cmp = (a?: string, b?: string) => ((a ?? '') < (b ?? '') ? -1 : (a ?? '') > (b ?? '') ? 1 : 0);
  entries.sort(
    (p, q) =>
      cmp(p.operation, q.operation) ||
      cmp(secondOf(p.time), secondOf(q.time)) ||
      cmp(p.manager, q.manager) ||
      cmp(p.apiVersion, q.apiVersion) ||
      cmp(p.subresource, q.subresource),
  );
  if (entries.length) obj.metadata.managedFields = entries;
  else delete obj.metadata.managedFields;
}

// Compared at one-second resolution like metav1.Time; unparsable times sort by their text.
function secondOf(t?: string): string {
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? (t ?? '') : new Date(ms).toISOString().slice(0, 19);
}

/** How a manager appears in conflict messages, e.g. `"kubectl" with subresource "scale" using apps/v1`. */
function printManager(e: ManagedFieldsEntry): string {
  let s = JSON.stringify(e.manager ?? '');
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') s += ` using ${e.apiVersion ?? ''}`;
  return s;
}

/**
 * The part of an object whose fields are tracked for a write to `subresource`:
 * the status subresource tracks only status; the main resource everything but
 * server-set metadata and (when `status` is a subresource of the kind) status.
 */
function trackedView(obj: KubeObject | Obj | undefined, subresource: string | undefined, statusIsSubresource: boolean): Obj {
  if (!obj) return {};
  if (subresource === 'status') return obj.status === undefined ? {} : { status: obj.status };
  const view: Obj = { ...obj };
  delete view.apiVersion;
  delete view.kind;
  if (statusIsSubresource) delete view.status;
  if (isObject(obj.metadata)) {
    const meta: Obj = { ...obj.metadata };
    for (const k of SERVER_META) delete meta[k];
    view.metadata = meta;
  }
  return view;
}

export interface ApplyOptions {
  /** fieldManager of the request (kubectl uses "kubectl"). */
  manager: string;
  /** ?force=true: take ownership of conflicting fields instead of failing. */
  force: boolean;
  /** apiVersion the request was made in (recorded in managedFields and conflict messages). */
  apiVersion: string;
  /** RFC 3339 time recorded in managedFields. */
  now: string;
  kind: string;
  /** 'status' when applying to the status subresource. */
  subresource?: string;
  /** False for kinds whose status is a plain field rather than a subresource. Default true. */
  hasStatus?: boolean;
}

/**
 * Server-side apply of `applied` (the decoded apply-patch+yaml body) onto `live`
 * (undefined to create). Returns the new object with metadata.managedFields set;
 * throws ApplyConflictError when another manager owns a changed field and !force.
 */
export function serverSideApply(live: KubeObject | undefined, applied: KubeObject, opts: ApplyOptions): { object: KubeObject } {
  if (!isObject(applied)) throw new PatchError('apply patch must be an object', 400);
  if (applied.kind !== undefined && applied.kind !== opts.kind) {
    // A kind that is not a string is shown as JSON: a body's object never goes through its own toString.
    throw new PatchError(`the kind of the applied object (${typeof applied.kind === 'string' ? applied.kind : JSON.stringify(applied.kind)}) does not match the resource (${opts.kind})`, 400);
  }
  const meta: unknown = applied.metadata;
  if (meta !== undefined && meta !== null && !isObject(meta)) {
    // As the field manager's accessor words it (the applied object is unstructured there).
    throw new PatchError(`.metadata accessor error: ${JSON.stringify(meta)} is of the type ${Array.isArray(meta) ? '[]interface {}' : typeof meta === 'string' ? 'string' : typeof meta === 'number' ? 'float64' : 'bool'}, expected map[string]interface{}`, 400);
  }
  if (Array.isArray(applied.metadata?.managedFields) && applied.metadata.managedFields.length > 0) {
    throw new PatchError('metadata.managedFields must be nil', 400); // kube-apiserver's words (structured merge manager)
  }
  const type = rootType(opts.kind);
  checkDuplicates(applied, type, '');
  const statusSub = opts.hasStatus ?? true;
  const sub = opts.subresource || undefined;
  const config = trackedView(dropNulls(applied) as Obj, sub, statusSub);
  if (config.metadata) {
    // name/namespace identify the object; keep them so a create gets them.
    for (const k of ['name', 'namespace']) if (applied.metadata?.[k] !== undefined) config.metadata[k] = applied.metadata[k];
  }

  const base: KubeObject = live ? clone(live) : { apiVersion: opts.apiVersion, kind: opts.kind, metadata: {} };
  const managers = readManagers(live);
  if (live && managers.size === 0) {
    // An object created before field tracking: someone owns what is there already.
    const set = toFieldSet(trackedView(live, undefined, statusSub), type);
    const entry: ManagedFieldsEntry = { manager: BEFORE_FIRST_APPLY, operation: 'Update', apiVersion: opts.apiVersion, time: opts.now };
    if (!set.isEmpty()) managers.set(idOf(entry), new Manager(entry, set));
  }

  const entry: ManagedFieldsEntry = { manager: opts.manager, operation: 'Apply', apiVersion: opts.apiVersion, time: opts.now };
  if (sub) entry.subresource = sub;
  const id = idOf(entry);
  const lastSet = managers.get(id)?.fields;
  const newSet = toFieldSet(trackedView(config, undefined, false), type);
  managers.delete(id);

  let merged = ssaMerge(base, config, type) as KubeObject;
  if (lastSet) merged = prune(merged, lastSet.difference(newSet), newSet, managers, type);

  const cmp = compare(trackedView(base, sub, statusSub), trackedView(merged, sub, statusSub), type);
  if (live && lastSet && isUnchanged(cmp) && lastSet.difference(newSet).isEmpty() && newSet.difference(lastSet).isEmpty()) {
    // Re-applying the same configuration is a no-op: not even the entry's time moves.
    return { object: clone(live) };
  }
  const changed = cmp.modified.union(cmp.added);
  const conflicts: ApplyConflict[] = [];
  const lost = new Map<string, FieldSet>();
  for (const [mid, m] of managers) {
    const c = m.fields.intersection(changed);
    if (c.isEmpty()) continue;
    lost.set(mid, c);
    for (const p of c.members()) conflicts.push({ manager: printManager(m.entry), field: pathString(p) });
  }
  if (conflicts.length && !opts.force) throw new ApplyConflictError(conflicts);

  for (const [mid, m] of managers) {
    const drop = lost.get(mid);
    if (drop || m.ownsAnyOf(cmp.removed)) m.fields = m.fields.difference(drop).difference(cmp.removed);
  }
  managers.set(id, new Manager(entry, newSet));
  merged.metadata ??= {};
  writeManagers(merged, managers);
  return { object: merged };
}

/**
 * Remove from `obj` the fields the applier owned last time but no longer applies,
 * unless they are still applied or another manager owns them (or something below them).
 */
function prune(obj: KubeObject, dropped: FieldSet, applied: FieldSet, others: Map<string, Manager>, type: TypeRef): KubeObject {
  const removed: string[][] = [];
  for (const p of dropped.members()) {
    if (removed.some((r) => r.length <= p.length && r.every((el, i) => p[i] === el))) continue;
    if (applied.touches(p)) continue;
    if ([...others.values()].some((m) => m.fields.touches(p))) continue;
    if (removePath(obj, p, type)) removed.push(p);
  }
  return obj;
}

/**
 * Record an ordinary write (create/update/patch) by `manager`: it takes ownership
 * of the fields it added or changed, other managers lose them, and removed fields
 * leave every set. Sets `updated.metadata.managedFields` in place. `opts.kind`
 * defaults to updated.kind; `opts.hasStatus: false` for kinds whose status is a
 * plain field (CRDs without the status subresource).
 */
export function recordUpdate(
  old: KubeObject | undefined,
  updated: KubeObject,
  manager: string,
  apiVersion: string,
  now: string,
  subresource?: string,
  opts: { kind?: string; hasStatus?: boolean } = {},
): void {
  if (!isObject(updated) || !isObject(updated.metadata)) return;
  const type = rootType(opts.kind ?? updated.kind ?? old?.kind ?? '');
  const sub = subresource || undefined;
  // The main resource of a kind with a status subresource ignores status, so nobody owns it there.
  const statusSub = opts.hasStatus ?? true;
  const before = trackedView(old, sub, statusSub);
  const after = trackedView(updated, sub, statusSub);
  // Most controller writes change nothing tracked here; deepEqual is far cheaper than a comparison.
  const cmp = old && deepEqual(before, after) ? undefined : compare(before, after, type);
  if (!cmp || isUnchanged(cmp)) {
    // Nothing this manager could own changed: keep the old bookkeeping as is.
    const kept = old?.metadata?.managedFields;
    if (!kept) delete updated.metadata.managedFields;
    else if (!deepEqual(kept, updated.metadata.managedFields)) updated.metadata.managedFields = clone(kept);
    return;
  }

  const managers = readManagers(old);
  const entry: ManagedFieldsEntry = { manager, operation: 'Update', apiVersion, time: now };
  if (sub) entry.subresource = sub;
  const id = idOf(entry);
  const gained = cmp.modified.union(cmp.added);
  for (const [mid, m] of managers) {
    if (mid === id) continue;
    if (m.ownsAnyOf(gained) || m.ownsAnyOf(cmp.removed)) m.fields = m.fields.difference(gained).difference(cmp.removed);
  }
  const prev = managers.get(id)?.fields ?? new FieldSet();
  managers.delete(id); // re-inserted last so a new entry keeps a stable position before sorting
  managers.set(id, new Manager(entry, prev.union(gained).difference(cmp.removed)));
  writeManagers(updated, managers);
}

function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (!isObject(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) setOwn(out, k, dropNulls(x));
  return out;
}

// An apply configuration may not name one keyed-list item or set value twice
// (structured-merge-diff rejects it as invalid, 422).
function checkDuplicates(v: Obj, type: TypeRef, path: string): void {
  for (const [k, x] of Object.entries(v)) {
    const spec = fieldSpec(type, k);
    const p = `${path}.${k}`;
    if (Array.isArray(x)) {
      const lt = listTypeOf(spec);
      if (lt === 'atomic') continue;
      const seen = new Set<string>();
      for (const item of x) {
        const el = lt === 'set' ? valueKey(item) : itemKey(item, spec);
        if (seen.has(el)) throw new PatchError(`${p}: duplicate entries for key ${pathString([el])}`, 422);
        seen.add(el);
        if (lt === 'map' && isObject(item)) checkDuplicates(item, childType(spec), `${p}${pathString([el])}`);
      }
    } else if (isObject(x) && !spec?.atomic) {
      checkDuplicates(x, childType(spec), p);
    }
  }
}
