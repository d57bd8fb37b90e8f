// Schema-based field validation of request bodies.
//
// Schemas are compiled once into small nodes (property tables with refs already resolved),
// so that validating an object is a single walk without lookups by name. The walk reports:
// - unknown fields, as Kubernetes' strict decoding names them ("spec.containers[0].foo"),
// - for built-in kinds, what kube-apiserver's decoding into Go structs refuses: a value of the
//   wrong JSON type, an integer that does not fit its int32/int64 field (or is not an integer),
//   a byte string that is not base64. Go's encoding/json reports the first such problem in its
//   own words ("json: cannot unmarshal number 1e+308 into Go struct field DeploymentSpec.spec.replicas
//   of type int32"); the API server answers 400 with it (docs/validation.md),
// - for CRD schemas, values of the wrong JSON type (FieldValueTypeInvalid) and the value
//   validations (enum, bounds, pattern, lengths, item counts, required). Built-in kinds validate
//   values in code (src/api/resources), as Kubernetes does.
// The types, int32/int64 formats and byte strings come from the same definitions the OpenAPI
// documents are generated from, so the published schema and what is accepted cannot disagree.
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
  /** From a CRD schema: type errors are FieldValueTypeInvalid (422), not Go decoding errors. */
  crd: boolean;
  /** The definition's `format`: int32/int64 bound integers, byte strings are base64. */
  fmt: string | undefined;
  /** Go's name for the type, for definitions ("v1.PodSpec"); inline nodes derive theirs (goType). */
  go: string | undefined;
  /** The Go struct a definition decodes into ("PodSpec"): its fields' errors name it. */
  struct: string | undefined;
  /** Decoded by its own UnmarshalJSON (IntOrString, Quantity, Time): Go stops at its error. */
  custom: boolean;
}

const node = (t: number, crd = false): VNode => ({ t, props: null, addl: null, items: null, preserve: false, limits: null, crd, fmt: undefined, go: undefined, struct: undefined, custom: false });
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
  goIdentity(n, name, def);
  return n;
}

/**
 * What Go's decoder knows about a definition: its type name, the struct its fields belong to,
 * and whether a custom UnmarshalJSON decodes it (whose errors are about the inner type).
 */
function goIdentity(n: VNode, name: string, def: Schema): void {
  const parts = name.split('.');
  const last = parts[parts.length - 1]!;
  n.go = `${parts[parts.length - 2]}.${last}`;
  if (n.t === OBJECT && n.props) n.struct = last;
  if (def.format === 'int-or-string') {
    // intstr.IntOrString.UnmarshalJSON decodes a non-string into its int32.
    n.custom = true;
    n.go = 'int32';
  } else if (def.format === 'quantity') {
    n.custom = true;
  } else if (def.format === 'date-time') {
    // metav1.Time.UnmarshalJSON decodes into a string first.
    n.custom = true;
    n.go = 'string';
  } else if (def['x-kubernetes-preserve-unknown-fields'] === true && !n.props) {
    // RawExtension, FieldsV1, apiextensions JSON and JSONSchemaPropsOr*: their UnmarshalJSON takes any value.
    n.t = ANY;
  }
}

function compile(s: unknown, crd: boolean): VNode {
  if (!s || typeof s !== 'object') return ANY_NODE;
  const sc = s as Schema;
  // A ref (possibly with sibling description / patch extensions, or wrapped in allOf) is the referred type.
  if (typeof sc.$ref === 'string') return builtinNode(refName(sc.$ref));
  if (Array.isArray(sc.allOf) && sc.allOf.length === 1 && typeof sc.allOf[0]?.$ref === 'string' && !sc.type && !sc.properties)
    return builtinNode(refName(sc.allOf[0].$ref));
  const n = node(ANY, crd);
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
  if (!crd && typeof s.format === 'string') n.fmt = s.format;

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
  unknownAt: Seg[][];
  errors: FieldError[];
  /** A built-in kind: nulls in typed lists and maps decode to zero values, as Go's JSON decoding gives them. */
  builtin: boolean;
  /** Go's error context: the struct whose field is being decoded, and the JSON names of the fields down to it. */
  goStruct: string | undefined;
  goFields: string[];
  /** The first decoding error (Go keeps the first and goes on), or one from a custom decoder (Go stops). */
  decode: string | undefined;
  stopped: boolean;
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

/** How Go's decoder names a JSON value that does not fit ("string", "number", "bool", "array", "object"). */
export function goValueKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

/** A number as it reaches Go: YAML and JSON bodies alike are JSON encoded by Go first (1e+308, 9007199254740992). */
export function goNumber(v: number): string {
  if (Number.isFinite(v)) return String(v);
  return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
}

/** Go's name for a node's type: definitions carry theirs, inline arrays and maps are built from their parts. */
function goType(n: VNode): string {
  if (n.go) return n.go;
  switch (n.t) {
    case ARRAY: return `[]${goType(n.items ?? ANY_NODE)}`;
    case OBJECT: return n.addl ? `map[string]${goType(n.addl)}` : 'map[string]interface {}';
    case STRING: return n.fmt === 'byte' ? '[]uint8' : 'string';
    case INTEGER: return n.fmt === 'int32' ? 'int32' : 'int64';
    case NUMBER: return 'float64';
    case BOOLEAN: return 'bool';
    case INT_OR_STRING: return 'int32';
    default: return 'interface {}';
  }
}

const INT32_MIN = -(2 ** 31), INT32_MAX = 2 ** 31 - 1;
// 2^63 itself is let through: 9223372036854775807 (int64's maximum) reads as 2^63 in a double.
const INT64_LIMIT = 2 ** 63;

function fitsInteger(v: number, fmt: string | undefined): boolean {
  if (!Number.isInteger(v)) return false;
  return fmt === 'int32' ? v >= INT32_MIN && v <= INT32_MAX : v >= -INT64_LIMIT && v <= INT64_LIMIT;
}

function recordDecode(st: State, message: string, fatal: boolean): void {
  if (st.stopped) return;
  if (fatal) {
    st.decode = message;
    st.stopped = true;
  } else st.decode ??= message;
}

/** A value Go cannot decode into a built-in field: encoding/json's UnmarshalTypeError, with its context. */
function mismatch(n: VNode, v: unknown, st: State, value = goValueKind(v)): void {
  if (n.crd) return typeError(st, n.t, v);
  const into = st.goStruct !== undefined ? `Go struct field ${st.goStruct}.${st.goFields.join('.')}` : 'Go value';
  recordDecode(st, `json: cannot unmarshal ${value} into ${into} of type ${goType(n)}`, n.custom);
}

const B64 = new Int8Array(256).fill(-1);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.split('').forEach((c, i) => (B64[c.charCodeAt(0)] = i));

/**
 * Where Go's base64.StdEncoding.Decode fails on `s` (a byte offset), or -1 when it decodes.
 * Follows its quantum by quantum walk: CR and LF are skipped, padding is required, and what
 * follows the padding is an error at its first byte.
 */
export function base64ErrorOffset(s: string): number {
  const src = Buffer.from(s, 'utf8');
  const n = src.length;
  const newline = (c: number | undefined) => c === 0x0a || c === 0x0d;
  let si = 0;
  while (si < n) {
    for (let j = 0; j < 4; j++) {
      if (si === n) return j === 0 ? -1 : si - j;
      const c = src[si++]!;
      if (B64[c]! >= 0) continue;
      if (newline(c)) {
        j--;
        continue;
      }
      if (c !== 0x3d || j < 2) return si - 1;
      if (j === 2) {
        // "==" is expected: the first "=" is read.
        while (si < n && newline(src[si])) si++;
        if (si === n) return n;
        if (src[si] !== 0x3d) return si - 1;
        si++;
      }
      while (si < n && newline(src[si])) si++;
      return si < n ? si : -1;
    }
  }
  return -1;
}

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
      if (typeof v !== 'object' || Array.isArray(v)) return mismatch(n, v, st);
      const props = n.props;
      for (const k in v) {
        const child = props === null ? undefined : props[k];
        const target = child ?? n.addl;
        if (target) {
          if (target.t === ANY && target.limits === null) continue;
          if (v[k] === null && !child && st.builtin && ZERO[target.t]) v[k] = ZERO[target.t]!();
          st.path.push(k);
          if (child) {
            // A struct field: Go's error context names the struct and the field path (map keys and indexes it leaves out).
            const outer = st.goStruct;
            st.goStruct = n.struct ?? outer;
            st.goFields.push(k);
            walk(target, v[k], st);
            st.goFields.pop();
            st.goStruct = outer;
          } else walk(target, v[k], st);
          st.path.pop();
        } else if (!n.preserve) {
          st.unknown.push(fmtPath(st.path, k));
          st.unknownAt.push([...st.path, k]);
        }
      }
      break;
    }
    case ARRAY: {
      if (!Array.isArray(v)) return mismatch(n, v, st);
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
      if (typeof v !== 'string') return mismatch(n, v, st);
      if (n.fmt === 'byte') {
        // []byte fields decode base64; Go's decoder saves the error as it is, without context.
        const at = base64ErrorOffset(v);
        if (at >= 0) recordDecode(st, `illegal base64 data at input byte ${at}`, false);
      }
      break;
    case INTEGER:
      if (typeof v !== 'number') return mismatch(n, v, st);
      if (n.crd) {
        if (!Number.isInteger(v)) return typeError(st, INTEGER, v);
      } else if (!fitsInteger(v, n.fmt)) return mismatch(n, v, st, `number ${goNumber(v)}`);
      break;
    case NUMBER:
      if (typeof v !== 'number') return mismatch(n, v, st);
      if (!n.crd && !Number.isFinite(v)) return mismatch(n, v, st, `number ${goNumber(v)}`);
      break;
    case BOOLEAN:
      if (typeof v !== 'boolean') return mismatch(n, v, st);
      break;
    case INT_OR_STRING:
      if (n.crd) {
        if (typeof v !== 'string' && typeof v !== 'number') return typeError(st, INT_OR_STRING, v);
      } else if (n.fmt === 'quantity') {
        // resource.Quantity parses whatever it is given, so anything but a string or number fails its grammar.
        if (typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v))) {
          recordDecode(st, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'", true);
        }
      } else if (typeof v !== 'string') {
        if (typeof v !== 'number') return mismatch(n, v, st);
        if (!fitsInteger(v, 'int32')) return mismatch(n, v, st, `number ${goNumber(v)}`);
      }
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

export interface Validation {
  /** Dotted paths for `strict decoding error: unknown field "<path>"`. */
  unknownFields: string[];
  /** The same fields as paths of keys and indexes, for removing them: a key may hold '.', '[' or be ''. */
  unknownPaths: (string | number)[][];
  /** For custom resources: type errors and schema value validations (422). */
  errors: FieldError[];
  /** What Go's decoder would answer for this body (400), e.g. `json: cannot unmarshal ...`; none when it decodes. */
  decodeError?: string;
}

function run(root: VNode | undefined, obj: unknown, builtin: boolean): Validation {
  const st: State = { path: [], unknown: [], unknownAt: [], errors: [], builtin, goStruct: undefined, goFields: [], decode: undefined, stopped: false };
  if (root) walk(root, obj, st);
  return { unknownFields: st.unknown, unknownPaths: st.unknownAt, errors: st.errors, ...(st.decode !== undefined ? { decodeError: st.decode } : {}) };
}

/** Validate an object against its type's schema. A type without a schema validates nothing. */
export function validateObject(rt: ResourceType, obj: unknown): Validation {
  return run(rootNode(rt), obj, !rt.crdSchema);
}

/**
 * Decode-check a body against one built-in definition (DeleteOptions, Eviction...): the error Go's
 * decoder would give, or undefined.
 */
export function decodeError(definition: string, obj: unknown): string | undefined {
  return validateDefinition(definition, obj).decodeError;
}

/** validateObject for a body of one built-in definition that is not a stored type (a TokenRequest). */
export function validateDefinition(definition: string, obj: unknown): Validation {
  const n = builtinNode(definition);
  const root = n.struct ? n : { ...n, struct: definition.slice(definition.lastIndexOf('.') + 1) };
  return run(root, obj, true);
}
