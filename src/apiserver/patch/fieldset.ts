// Sets of field paths as server-side apply tracks them, with the FieldsV1 wire
// form of metadata.managedFields[].fieldsV1:
//   f:<name>          a map key / struct field
//   k:{"name":"x"}    an item of a keyed list (keys sorted, values JSON)
//   v:<json>          an item of a set-like primitive list
//   .                 the node itself is a member (written when it also has children)

import { childType, fieldSpec, listMapKeysOf, listTypeOf, type FieldSpec, type TypeRef } from '../../api/mergekeys.js';
import { deepEqual, isObject, own, type Obj } from './util.js';

/** A node of a field set: `self` marks membership, children hang off path elements. */
export class FieldSet {
  self = false;
  readonly children = new Map<string, FieldSet>();

  child(el: string): FieldSet {
    let c = this.children.get(el);
    if (!c) {
      c = new FieldSet();
      this.children.set(el, c);
    }
    return c;
  }

  /** Mark `path` (from this node) as a member. */
  insert(path: readonly string[]): void {
    let n: FieldSet = this;
    for (const el of path) n = n.child(el);
    n.self = true;
  }

  isEmpty(): boolean {
    if (this.self) return false;
    for (const c of this.children.values()) if (!c.isEmpty()) return false;
    return true;
  }

  /** The node at `path`, if any. */
  at(path: readonly string[]): FieldSet | undefined {
    let n: FieldSet | undefined = this;
    for (const el of path) {
      n = n.children.get(el);
      if (!n) return undefined;
    }
    return n;
  }

  /** True if `path` or anything below it is a member. */
  touches(path: readonly string[]): boolean {
    const n = this.at(path);
    return !!n && !n.isEmpty();
  }

  union(o: FieldSet): FieldSet {
    const out = this.copy();
    out.addAll(o);
    return out;
  }

  private addAll(o: FieldSet): void {
    if (o.self) this.self = true;
    for (const [el, c] of o.children) this.child(el).addAll(c);
  }

  difference(o: FieldSet | undefined): FieldSet {
    const out = new FieldSet();
    out.self = this.self && !o?.self;
    for (const [el, c] of this.children) {
      const d = c.difference(o?.children.get(el));
      if (!d.isEmpty()) out.children.set(el, d);
    }
    return out;
  }

  intersection(o: FieldSet | undefined): FieldSet {
    const out = new FieldSet();
    if (!o) return out;
    out.self = this.self && o.self;
    for (const [el, c] of this.children) {
      const i = c.intersection(o.children.get(el));
      if (!i.isEmpty()) out.children.set(el, i);
    }
    return out;
  }

  copy(): FieldSet {
    const out = new FieldSet();
    out.self = this.self;
    for (const [el, c] of this.children) out.children.set(el, c.copy());
    return out;
  }

  /** Every member path, in FieldsV1 order. */
  members(prefix: string[] = [], out: string[][] = []): string[][] {
    if (this.self) out.push(prefix);
    for (const el of sortedElements(this.children.keys())) this.children.get(el)!.members([...prefix, el], out);
    return out;
  }

  toFieldsV1(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (this.self && this.children.size > 0) out['.'] = {};
    for (const el of sortedElements(this.children.keys())) {
      const c = this.children.get(el)!;
      if (!c.isEmpty()) out[el] = c.toFieldsV1();
    }
    return out;
  }

  static fromFieldsV1(v: unknown): FieldSet {
    const n = new FieldSet();
    if (!isObject(v)) return n;
    const keys = Object.keys(v);
    if (keys.length === 0 || keys.includes('.')) n.self = true;
    for (const k of keys) if (k !== '.') n.children.set(k, FieldSet.fromFieldsV1(v[k]));
    return n;
  }
}

// structured-merge-diff orders path elements: fields, then keys, then values, then indexes.
const RANK: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };
function sortedElements(keys: Iterable<string>): string[] {
  return [...keys].sort((a, b) => (RANK[a[0]!] ?? 9) - (RANK[b[0]!] ?? 9) || (a < b ? -1 : a > b ? 1 : 0));
}

/** The path element of a keyed list item, e.g. `k:{"containerPort":80,"protocol":"TCP"}`. */
export function itemKey(item: unknown, spec: FieldSpec | undefined): string {
  const keys = listMapKeysOf(spec).slice().sort();
  const parts = keys.map((k) => {
    let v = isObject(item) ? own(item, k) : undefined;
    if (v === undefined) v = spec?.keyDefaults?.[k];
    return v === undefined ? undefined : `${JSON.stringify(k)}:${JSON.stringify(v)}`;
  });
  return `k:{${parts.filter((p) => p !== undefined).join(',')}}`;
}

export const valueKey = (v: unknown): string => `v:${JSON.stringify(v)}`;

/** Human form of a path, as in apply conflict messages: `.spec.containers[name="app"].image`. */
export function pathString(path: readonly string[]): string {
  let s = '';
  for (const el of path) {
    const body = el.slice(2);
    if (el.startsWith('f:')) s += `.${body}`;
    else if (el.startsWith('v:')) s += `[=${body}]`;
    else if (el.startsWith('i:')) s += `[${body}]`;
    else if (el.startsWith('k:')) s += `[${keyFields(body)}]`;
  }
  return s;
}

// `name="app",port=80` from the JSON of a k: element; managedFields come from
// clients, so an element that is not a JSON object is shown as it is.
function keyFields(body: string): string {
  try {
    const obj: unknown = JSON.parse(body);
    if (isObject(obj)) return Object.entries(obj).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',');
  } catch {
    // fall through
  }
  return body;
}

/** The fields set in `value` (a map of struct `type`), as server-side apply counts them. */
export function toFieldSet(value: Obj, type: TypeRef): FieldSet {
  const set = new FieldSet();
  addMap(set, value, type);
  return set;
}

function addMap(node: FieldSet, value: Obj, type: TypeRef): void {
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    addValue(node.child(`f:${k}`), v, fieldSpec(type, k));
  }
}

// Empty maps and lists contribute nothing (as in structured-merge-diff), atomic ones are one leaf.
function addValue(node: FieldSet, v: unknown, spec: FieldSpec | undefined): void {
  if (Array.isArray(v)) {
    const lt = listTypeOf(spec);
    if (lt === 'atomic') node.self = true;
    else if (lt === 'set') for (const x of v) node.child(valueKey(x)).self = true;
    else
      for (const item of v) {
        const c = node.child(itemKey(item, spec));
        c.self = true;
        if (isObject(item)) addMap(c, item, childType(spec));
      }
  } else if (isObject(v) && !spec?.atomic) {
    addMap(node, v, childType(spec));
  } else {
    node.self = true;
  }
}

/** What changed between two objects, as field sets. */
export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

export function compare(a: Obj, b: Obj, type: TypeRef): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  compareMap(c, [], a, b, type);
  return c;
}

export const isUnchanged = (c: Comparison): boolean => c.added.isEmpty() && c.modified.isEmpty() && c.removed.isEmpty();

function graft(target: FieldSet, path: string[], sub: FieldSet): void {
  let n = target;
  for (const el of path) n = n.child(el);
  for (const [el, ch] of sub.children) n.children.set(el, ch);
  if (sub.self) n.self = true;
}

function subtree(v: unknown, spec: FieldSpec | undefined): FieldSet {
  const s = new FieldSet();
  addValue(s, v, spec);
  return s;
}

function compareMap(c: Comparison, path: string[], a: Obj, b: Obj, type: TypeRef): void {
  for (const k of Object.keys(a)) {
    const bv = own(b, k);
    if (a[k] !== undefined && (bv === undefined || bv === null) && a[k] !== null) {
      graft(c.removed, [...path, `f:${k}`], subtree(a[k], fieldSpec(type, k)));
    }
  }
  for (const [k, bv] of Object.entries(b)) {
    if (bv === undefined || bv === null) continue;
    const av = own(a, k);
    const p = [...path, `f:${k}`];
    const spec = fieldSpec(type, k);
    if (av === undefined || av === null) graft(c.added, p, subtree(bv, spec));
    else compareValue(c, p, av, bv, spec);
  }
}

function compareValue(c: Comparison, path: string[], a: unknown, b: unknown, spec: FieldSpec | undefined): void {
  if (a === b) return;
  if (Array.isArray(a) && Array.isArray(b)) {
    const lt = listTypeOf(spec);
    if (lt === 'atomic') {
      if (!deepEqual(a, b)) c.modified.insert(path);
    } else if (lt === 'set') {
      for (const x of a) if (!b.some((y) => deepEqual(x, y))) c.removed.insert([...path, valueKey(x)]);
      for (const y of b) if (!a.some((x) => deepEqual(x, y))) c.added.insert([...path, valueKey(y)]);
    } else {
      const am = new Map(a.map((x) => [itemKey(x, spec), x] as const));
      const bm = new Map(b.map((x) => [itemKey(x, spec), x] as const));
      for (const [k, x] of am) if (!bm.has(k)) graft(c.removed, [...path, k], itemSubtree(x, spec));
      for (const [k, y] of bm) {
        const p = [...path, k];
        if (!am.has(k)) graft(c.added, p, itemSubtree(y, spec));
        else if (isObject(am.get(k)) && isObject(y)) compareMap(c, p, am.get(k), y, childType(spec));
        else if (!deepEqual(am.get(k), y)) c.modified.insert(p);
      }
    }
  } else if (isObject(a) && isObject(b) && !spec?.atomic) {
    compareMap(c, path, a, b, childType(spec));
  } else if (!deepEqual(a, b)) {
    // A scalar or atomic value changed, or the value changed shape.
    if (isObject(a) || Array.isArray(a) || isObject(b) || Array.isArray(b)) {
      graft(c.removed, path, subtree(a, spec));
      graft(c.added, path, subtree(b, spec));
    } else c.modified.insert(path);
  }
}

function itemSubtree(item: unknown, spec: FieldSpec | undefined): FieldSet {
  const s = new FieldSet();
  s.self = true;
  if (isObject(item)) addMap(s, item, childType(spec));
  return s;
}
