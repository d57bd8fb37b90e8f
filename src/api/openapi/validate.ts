// Schema-based field validation of request bodies.
//
// Schemas are compiled once into small nodes (property tables with refs already resolved),
// so that validating an object is a single walk without lookups by name. The walk reports:
// - unknown fields, as Kubernetes' strict decoding names them ("spec.containers[0].foo"),
// - values of the wrong JSON type, as FieldValueTypeInvalid,
// - for CRD schemas only, value validations (enum, bounds, pattern, lengths, item counts,
//   required). Built-in kinds validate those in code, as Kubernetes does.
import type { FieldError, ResourceType } from '../types.js';
import { OBJECT_META, definitions, refName, type Schema } from './defs.js';

const ANY = 0,
  OBJECT = 1,
  ARRAY = 2,
  STRING = 3,
  INTEGER = 4,
  NUMBER = 5,
  BOOLEAN = 6,
  INT_OR_STRING = 7;
const TYPE_NAMES = ['any', 'object', 'array', 'string', 'integer', 'number', 'boolean', 'integer,string'];

interface Limits {
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  pattern?: RegExp;
  patternSrc?: string;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  required?: string[];
}

interface VNode {
  t: number;
  /** Known properties (null prototype), or null. */
  props: Record<string, VNode> | null;
  /** Schema of map values (additionalProperties). */
  addl: VNode | null;
  items: VNode | null;
  /** Unknown properties are fine here (x-kubernetes-preserve-unknown-fields, free-form objects). */
  preserve: boolean;
  limits: Limits | null;
}

const node = (t: number): VNode => ({ t, props: null, addl: null, items: null, preserve: false, limits: null });
const ANY_NODE = node(ANY);
const STRING_NODE = node(STRING);

const builtinNodes = new Map<string, VNode>();

/** Compiled node of a built-in definition; created before its children so that cycles terminate. */
function builtinNode(name: string): VNode {
  let n = builtinNodes.get(name);
  if (n) return n;
  const def = definitions()[name];
  if (!def) {
    builtinNodes.set(name, ANY_NODE);
    return ANY_NODE;
  }
  n = node(ANY);
  builtinNodes.set(name, n);
  fill(n, def, false);
  return n;
}

function compile(s: unknown, crd: boolean): VNode {
  if (!s || typeof s !== 'object') return ANY_NODE;
  const sc = s as Schema;
  // A ref (possibly with sibling description / patch extensions, or wrapped in allOf) is the referred type.
  if (typeof sc.$ref === 'string') return builtinNode(refName(sc.$ref));
  if (Array.isArray(sc.allOf) && sc.allOf.length === 1 && typeof sc.allOf[0]?.$ref === 'string' && !sc.type && !sc.properties)
    return builtinNode(refName(sc.allOf[0].$ref));
  const n = node(ANY);
  fill(n, sc, crd);
  return n;
}

function fill(n: VNode, s: Schema, crd: boolean): void {
  const type: string | undefined = s.type;
  if (s['x-kubernetes-int-or-string'] === true) n.t = INT_OR_STRING;
  else if (type === 'object' || (!type && (s.properties || s.additionalProperties))) n.t = OBJECT;
  else if (type === 'array' || (!type && s.items)) n.t = ARRAY;
  else if (type === 'string') n.t = STRING;
  else if (type === 'integer') n.t = INTEGER;
  else if (type === 'number') n.t = NUMBER;
  else if (type === 'boolean') n.t = BOOLEAN;
  else n.t = ANY;

  if (n.t === OBJECT) {
    if (s.properties && typeof s.properties === 'object') {
      const props: Record<string, VNode> = Object.create(null);
      for (const [k, ps] of Object.entries(s.properties)) props[k] = compile(ps, crd);
      n.props = props;
    }
    if (s.additionalProperties === true) n.addl = ANY_NODE;
    else if (s.additionalProperties && typeof s.additionalProperties === 'object') n.addl = compile(s.additionalProperties, crd);
    // A built-in object with neither properties nor a value schema is free-form (RawExtension,
    // FieldsV1, ...). CRD schemas are structural: there, only the extension keeps unknown fields.
    n.preserve = s['x-kubernetes-preserve-unknown-fields'] === true || (!crd && !n.props && !n.addl);
    if (s['x-kubernetes-embedded-resource'] === true) withTypeMeta(n);
  } else if (n.t === ARRAY) {
    n.items = s.items && typeof s.items === 'object' && !Array.isArray(s.items) ? compile(s.items, crd) : ANY_NODE;
  }
  if (crd) n.limits = limitsOf(s, n.t);
}

/** apiVersion, kind and metadata are always allowed at the top of an object and in embedded resources. */
function withTypeMeta(n: VNode): void {
  const props: Record<string, VNode> = Object.create(null);
  if (n.props) Object.assign(props, n.props);
  props.apiVersion ??= STRING_NODE;
  props.kind ??= STRING_NODE;
  props.metadata = builtinNode(OBJECT_META);
  n.props = props;
}

function limitsOf(s: Schema, t: number): Limits | null {
  const l: Limits = {};
  let any = false;
  const num = (k: keyof Limits) => {
    if (typeof s[k] === 'number') {
      (l as any)[k] = s[k];
      any = true;
    }
  };
  if (Array.isArray(s.enum) && s.enum.length) {
    l.enum = s.enum;
    any = true;
  }
  if (t === INTEGER || t === NUMBER || t === ANY || t === INT_OR_STRING) {
    num('minimum');
    num('maximum');
    if (s.exclusiveMinimum === true) l.exclusiveMinimum = true;
    if (s.exclusiveMaximum === true) l.exclusiveMaximum = true;
  }
  if (t === STRING || t === ANY || t === INT_OR_STRING) {
    num('minLength');
    num('maxLength');
    if (typeof s.pattern === 'string') {
      try {
        l.pattern = new RegExp(s.pattern, 'u');
        l.patternSrc = s.pattern;
        any = true;
      } catch {
        // A pattern JavaScript cannot compile is skipped rather than rejecting every object.
      }
    }
  }
  if (t === ARRAY) {
    num('minItems');
    num('maxItems');
  }
  if (t === OBJECT && Array.isArray(s.required) && s.required.length) {
    l.required = s.required;
    any = true;
  }
  return any ? l : null;
}

// ---------------------------------------------------------------- roots

const customRoots = new WeakMap<object, VNode>();
const builtinRoots = new Map<string, VNode>();

function rootNode(rt: ResourceType): VNode | undefined {
  if (rt.crdSchema && typeof rt.crdSchema === 'object') {
    let n = customRoots.get(rt.crdSchema);
    if (!n) {
      n = { ...compile(rt.crdSchema, true) };
      if (n.t === ANY) {
        n.t = OBJECT;
        n.preserve = rt.crdSchema['x-kubernetes-preserve-unknown-fields'] === true;
      }
      if (n.t === OBJECT) withTypeMeta(n);
      customRoots.set(rt.crdSchema, n);
    }
    return n;
  }
  if (!rt.definition) return undefined;
  let n = builtinRoots.get(rt.definition);
  if (!n) {
    const base = builtinNode(rt.definition);
    // Copy so that adding apiVersion/kind/metadata does not change the shared definition node.
    n = { ...base };
    if (n.t === OBJECT && !(n.props?.apiVersion && n.props.kind && n.props.metadata)) withTypeMeta(n);
    builtinRoots.set(rt.definition, n);
  }
  return n;
}

// ---------------------------------------------------------------- walk

type Seg = string | number;
interface State {
  path: Seg[];
  unknown: string[];
  errors: FieldError[];
  /** A built-in kind: nulls in typed lists and maps decode to zero values, as Go's JSON decoding gives them. */
  builtin: boolean;
}

/** What Go's encoding/json leaves in a typed list item or map value for a JSON null. */
const ZERO: Partial<Record<number, () => unknown>> = { [OBJECT]: () => ({}), [STRING]: () => '', [INTEGER]: () => 0, [NUMBER]: () => 0, [BOOLEAN]: () => false };

function fmtPath(path: Seg[], last?: string): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? '.' + p : p;
  if (last !== undefined) s += s ? '.' + last : last;
  return s;
}

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' ? JSON.stringify(v) : String(v));

function typeError(st: State, expected: number, v: unknown): void {
  const field = fmtPath(st.path);
  const actual = jsonType(v);
  st.errors.push({
    field,
    type: 'FieldValueTypeInvalid',
    message: `Invalid value: "${actual}": ${field} in body must be of type ${TYPE_NAMES[expected]}: "${actual}"`,
  });
}

function walk(n: VNode, v: any, st: State): void {
  if (v === null || v === undefined) return; // null means "unset" (Go) or is pruned (CRDs)
  switch (n.t) {
    case ANY:
      break;
    case OBJECT: {
      if (typeof v !== 'object' || Array.isArray(v)) return typeError(st, OBJECT, v);
      const props = n.props;
      for (const k in v) {
        const child = props === null ? undefined : props[k];
        const target = child ?? n.addl;
        if (target) {
          if (target.t === ANY && target.limits === null) continue;
          if (v[k] === null && !child && st.builtin && ZERO[target.t]) v[k] = ZERO[target.t]!();
          st.path.push(k);
          walk(target, v[k], st);
          st.path.pop();
        } else if (!n.preserve) {
          st.unknown.push(fmtPath(st.path, k));
        }
      }
      break;
    }
    case ARRAY: {
      if (!Array.isArray(v)) return typeError(st, ARRAY, v);
      const items = n.items!;
      if (items.t === ANY && items.limits === null) break;
      const zero = st.builtin ? ZERO[items.t] : undefined;
      for (let i = 0; i < v.length; i++) {
        if (v[i] === null && zero) v[i] = zero(); // "containers": [null] is a container with no fields, then invalid
        st.path.push(i);
        walk(items, v[i], st);
        st.path.pop();
      }
      break;
    }
    case STRING:
      if (typeof v !== 'string') return typeError(st, STRING, v);
      break;
    case INTEGER:
      if (typeof v !== 'number' || !Number.isInteger(v)) return typeError(st, INTEGER, v);
      break;
    case NUMBER:
      if (typeof v !== 'number') return typeError(st, NUMBER, v);
      break;
    case BOOLEAN:
      if (typeof v !== 'boolean') return typeError(st, BOOLEAN, v);
      break;
    case INT_OR_STRING:
      if (typeof v !== 'string' && typeof v !== 'number') return typeError(st, INT_OR_STRING, v);
      break;
  }
  if (n.limits !== null) checkLimits(n.limits, v, st);
}

/** CRD value validations, with Kubernetes' wording. */
function checkLimits(l: Limits, v: any, st: State): void {
  const field = () => fmtPath(st.path);
  const invalid = (msg: string) => st.errors.push({ field: field(), type: 'FieldValueInvalid', message: `Invalid value: ${show(v)}: ${field()} in body ${msg}` });
  if (l.enum && !l.enum.some((e) => e === v || (typeof e === 'object' && JSON.stringify(e) === JSON.stringify(v)))) {
    st.errors.push({
      field: field(),
      type: 'FieldValueNotSupported',
      message: `Unsupported value: ${show(v)}: supported values: ${l.enum.map(show).join(', ')}`,
    });
  }
  if (typeof v === 'number') {
    if (l.minimum !== undefined && (l.exclusiveMinimum ? v <= l.minimum : v < l.minimum))
      invalid(`should be greater than ${l.exclusiveMinimum ? '' : 'or equal to '}${l.minimum}`);
    if (l.maximum !== undefined && (l.exclusiveMaximum ? v >= l.maximum : v > l.maximum))
      invalid(`should be less than ${l.exclusiveMaximum ? '' : 'or equal to '}${l.maximum}`);
  } else if (typeof v === 'string') {
    const len = l.minLength !== undefined || l.maxLength !== undefined ? [...v].length : 0;
    if (l.minLength !== undefined && len < l.minLength) invalid(`should be at least ${l.minLength} chars long`);
    if (l.maxLength !== undefined && len > l.maxLength)
      st.errors.push({ field: field(), type: 'FieldValueTooLong', message: `Too long: may not be more than ${l.maxLength} bytes` });
    if (l.pattern && !l.pattern.test(v)) invalid(`should match '${l.patternSrc}'`);
  } else if (Array.isArray(v)) {
    if (l.minItems !== undefined && v.length < l.minItems)
      st.errors.push({ field: field(), type: 'FieldValueInvalid', message: `Invalid value: ${v.length}: ${field()} in body should have at least ${l.minItems} items` });
    if (l.maxItems !== undefined && v.length > l.maxItems)
      st.errors.push({ field: field(), type: 'FieldValueInvalid', message: `Too many: ${v.length}: must have at most ${l.maxItems} items` });
  } else if (typeof v === 'object' && l.required) {
    for (const r of l.required) {
      if (v[r] === undefined) st.errors.push({ field: fmtPath(st.path, r), type: 'FieldValueRequired', message: 'Required value' });
    }
  }
}

/**
 * Validate an object against its type's schema. `unknownFields` are dotted paths for
 * `strict decoding error: unknown field "<path>"`; `errors` are type errors (and, for custom
 * resources, schema value validations). A type without a schema validates nothing.
 */
export function validateObject(rt: ResourceType, obj: unknown): { unknownFields: string[]; errors: FieldError[] } {
  const st: State = { path: [], unknown: [], errors: [], builtin: !rt.crdSchema };
  const root = rootNode(rt);
  if (root) walk(root, obj, st);
  return { unknownFields: st.unknown, errors: st.errors };
}
