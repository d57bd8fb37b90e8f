// Kubernetes' protobuf wire format (application/vnd.kubernetes.protobuf), for
// every built-in kind, from one schema: zz_generated.descriptors.json, which
// scripts/gen-protobuf.ts extracts from a kubectl binary (docs/protobuf.md).
//
// A body is the magic "k8s\0" and a runtime.Unknown whose typeMeta names the
// kind and whose raw bytes are the kind's message. Objects live as JSON in
// nodeless, so this file converts between a message and the JSON Go's
// encoding/json writes for the same Go struct: field names from the json tags,
// omitempty (a non-pointer zero is left out; a pointer's zero is kept), inlined
// structs, and the types with their own JSON form (Time, MicroTime, Duration,
// Quantity, IntOrString, RawExtension, FieldsV1, the apiextensions JSON types).
import fs from 'node:fs';
import protobuf from 'protobufjs';
import { goDurationNanos, goDurationString } from '../../api/duration.js';
import { depthMessage, MAX_DEPTH, parseJson, valueDepth } from '../../util/decode.js';
import { setOwn } from '../../util/own.js';

type Json = any;

export const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"

interface Schema {
  root: protobuf.Root;
  /** apiVersion ("v1", "apps/v1", "meta.k8s.io/v1") -> proto package. */
  groups: Map<string, string>;
}

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';
let loaded: Schema | undefined;

/** The schema, read on first use. */
export function schema(): Schema {
  if (loaded) return loaded;
  const doc = JSON.parse(fs.readFileSync(new URL('./zz_generated.descriptors.json', import.meta.url), 'utf8'));
  // gnostic's OpenAPIv2.proto imports google/protobuf/any.proto.
  const any = { fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } };
  const root = protobuf.Root.fromJSON({ nested: { ...doc.nested, google: { nested: { protobuf: { nested: { Any: any } } } } } });
  loaded = { root, groups: new Map(Object.entries(doc.groups as Record<string, string>)) };
  return loaded;
}

/** The message of a built-in kind (or a meta/v1 kind every group serves), if there is one. */
export function messageFor(apiVersion: unknown, kind: unknown): protobuf.Type | undefined {
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) return undefined;
  const s = schema();
  const pkg = s.groups.get(apiVersion);
  if (pkg === undefined) return undefined;
  return lookup(s.root, `${pkg}.${kind}`) ?? lookup(s.root, `${META}.${kind}`);
}

function lookup(root: protobuf.Root, name: string): protobuf.Type | undefined {
  const t = root.lookup(name);
  return t instanceof protobuf.Type ? t : undefined;
}

// ---------------------------------------------------------------------------
// JSON -> message

const opts = (f: protobuf.Field): { ptr?: boolean; emit?: boolean; json?: string; inline?: boolean } => (f.options ?? {}) as any;
const jsonName = (f: protobuf.Field) => opts(f).json ?? f.name;
const fullName = (t: protobuf.Type) => t.fullName.slice(1);
const isObject = (v: unknown): v is Record<string, Json> => v !== null && typeof v === 'object' && !Array.isArray(v);
const own = (o: Record<string, Json>, k: string) => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);

/** Seconds and nanoseconds of an RFC 3339 time, as metav1.Time and MicroTime carry them. */
function timestamp(v: Json): { seconds?: number; nanos?: number } {
  if (typeof v !== 'string' || v === '') return {};
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) return {};
  const frac = /\.(\d+)/.exec(v)?.[1] ?? '';
  const nanos = frac ? Number(frac.padEnd(9, '0').slice(0, 9)) : 0;
  const seconds = Math.floor(ms / 1000);
  return seconds === 0 && nanos === 0 ? {} : { seconds, ...(nanos ? { nanos } : {}) };
}

const rawJson = (v: Json) => Buffer.from(JSON.stringify(v) ?? 'null');

/** A JSON value as the plain object protobufjs encodes for `field`; undefined leaves it out. */
function wireValue(field: protobuf.Field, v: Json): Json {
  const t = field.resolvedType;
  if (t instanceof protobuf.Type) return wireMessage(t, v);
  if (v === null || v === undefined) return undefined;
  switch (field.type) {
    case 'string': return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
    case 'bool': return typeof v === 'boolean' ? v : undefined;
    case 'bytes': return typeof v === 'string' ? Buffer.from(v, 'base64') : undefined;
    case 'int64': case 'uint64': case 'sint64': case 'fixed64': case 'sfixed64':
      return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : typeof v === 'string' && /^-?\d+$/.test(v) ? v : undefined;
    default: return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  }
}

function wireMessage(t: protobuf.Type, v: Json): Json {
  switch (fullName(t)) {
    case `${META}.Time`:
    case `${META}.MicroTime`: return timestamp(v);
    case `${META}.Duration`: {
      const ns = typeof v === 'string' ? goDurationNanos(v) : undefined;
      return ns === undefined ? undefined : { duration: ns.toString() };
    }
    case 'k8s.io.apimachinery.pkg.api.resource.Quantity': return typeof v === 'string' || typeof v === 'number' ? { string: String(v) } : undefined;
    case 'k8s.io.apimachinery.pkg.util.intstr.IntOrString':
      return typeof v === 'number' ? { type: 0, intVal: v } : typeof v === 'string' ? { type: 1, strVal: v } : undefined;
    case 'k8s.io.apimachinery.pkg.runtime.RawExtension':
    case `${META}.FieldsV1`:
    case 'k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.JSON':
      return v === undefined ? undefined : { [t.fieldsArray[0].name]: rawJson(v) };
  }
  const ext = 'k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.';
  switch (fullName(t)) {
    case ext + 'JSONSchemaPropsOrArray':
      return Array.isArray(v) ? { jSONSchemas: v.map((x) => toMessage(t.fields.schema.resolvedType as protobuf.Type, x)) } : isObject(v) ? { schema: toMessage(t.fields.schema.resolvedType as protobuf.Type, v) } : undefined;
    case ext + 'JSONSchemaPropsOrBool':
      return typeof v === 'boolean' ? { allows: v } : isObject(v) ? { allows: true, schema: toMessage(t.fields.schema.resolvedType as protobuf.Type, v) } : undefined;
    case ext + 'JSONSchemaPropsOrStringArray':
      return Array.isArray(v) ? { property: v.filter((x) => typeof x === 'string') } : isObject(v) ? { schema: toMessage(t.fields.schema.resolvedType as protobuf.Type, v) } : undefined;
  }
  if ((t.options as any)?.slice) return Array.isArray(v) ? { items: v.map((x) => wireValue(t.fields.items, x)).filter((x) => x !== undefined) } : undefined;
  return isObject(v) ? toMessage(t, v) : undefined;
}

/** A JSON object as the plain object protobufjs encodes as message `t`. */
export function toMessage(t: protobuf.Type, json: Record<string, Json>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const f of t.fieldsArray) {
    if (opts(f).inline) {
      out[f.name] = wireMessage(f.resolvedType as protobuf.Type, json);
      continue;
    }
    const v = own(json, jsonName(f));
    if (v === undefined) continue;
    let w: Json;
    if (f.map) {
      if (!isObject(v)) continue;
      w = {};
      for (const [k, x] of Object.entries(v)) {
        const e = wireValue(f, x);
        if (e !== undefined) setOwn(w, k, e);
      }
    } else if (f.repeated) {
      if (!Array.isArray(v)) continue;
      w = v.map((x) => wireValue(f, x)).filter((x) => x !== undefined);
    } else w = wireValue(f, v);
    if (w !== undefined) out[f.name] = w;
  }
  return out;
}

// ---------------------------------------------------------------------------
// message -> JSON

/** RFC 3339 as Go formats metav1.Time (seconds) and MicroTime (microseconds), in UTC. */
function rfc3339(m: { seconds?: number; nanos?: number }, micro: boolean): string | null {
  const seconds = Number(m.seconds ?? 0);
  const nanos = Number(m.nanos ?? 0);
  if (seconds === 0 && nanos === 0) return null; // the zero time: Go writes null
  const base = new Date(seconds * 1000).toISOString().slice(0, 19);
  return micro ? `${base}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${base}Z`;
}

/** Raw bytes that hold JSON (or, in an embedded object, a protobuf envelope). */
function fromRaw(raw: Uint8Array | undefined): Json {
  if (!raw || raw.length === 0) return null;
  const b = Buffer.from(raw);
  if (b.subarray(0, 4).equals(MAGIC)) return decodeObject(b);
  return parseJson(b.toString('utf8'));
}

const isZero = (v: Json) => v === 0 || v === false || v === '' || (v instanceof Uint8Array && v.length === 0);

/** One decoded value as JSON; undefined drops the field (Go's omitempty on a non-pointer zero). */
function jsonValue(f: protobuf.Field, v: Json, inList: boolean): Json {
  const t = f.resolvedType;
  if (t instanceof protobuf.Type) return jsonMessage(t, v);
  if (!inList && isZero(v) && !opts(f).ptr && !opts(f).emit) return undefined;
  if (f.type === 'bytes') return Buffer.from(v as Uint8Array).toString('base64');
  return v;
}

function jsonMessage(t: protobuf.Type, v: Record<string, Json>): Json {
  const ext = 'k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.';
  switch (fullName(t)) {
    case `${META}.Time`: return rfc3339(v, false);
    case `${META}.MicroTime`: return rfc3339(v, true);
    case `${META}.Duration`: return goDurationString(BigInt(v.duration ?? 0));
    case 'k8s.io.apimachinery.pkg.api.resource.Quantity': return v.string ?? '0';
    case 'k8s.io.apimachinery.pkg.util.intstr.IntOrString': return Number(v.type ?? 0) === 1 ? (v.strVal ?? '') : (v.intVal ?? 0);
    case 'k8s.io.apimachinery.pkg.runtime.RawExtension':
    case `${META}.FieldsV1`:
    case ext + 'JSON':
      return fromRaw(v[t.fieldsArray[0].name]);
    case ext + 'JSONSchemaPropsOrArray': {
      const s = t.fields.schema.resolvedType as protobuf.Type;
      if (v.jSONSchemas?.length) return v.jSONSchemas.map((x: Json) => fromMessage(s, x));
      return v.schema ? fromMessage(s, v.schema) : null;
    }
    case ext + 'JSONSchemaPropsOrBool':
      return v.schema ? fromMessage(t.fields.schema.resolvedType as protobuf.Type, v.schema) : v.allows === true;
    case ext + 'JSONSchemaPropsOrStringArray':
      if (v.property?.length) return v.property;
      return v.schema ? fromMessage(t.fields.schema.resolvedType as protobuf.Type, v.schema) : null;
  }
  if ((t.options as any)?.slice) return (v.items ?? []).map((x: Json) => jsonValue(t.fields.items, x, true));
  return fromMessage(t, v);
}

/** A decoded message (protobufjs toObject, defaults off) as the JSON Go writes for it. */
export function fromMessage(t: protobuf.Type, msg: Record<string, Json>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const f of t.fieldsArray) {
    const v = msg[f.name];
    if (v === undefined || v === null) {
      // A list Go always writes (no omitempty) is [] when the wire had no element.
      if (f.repeated && !f.map && opts(f).emit && !opts(f).inline) out[jsonName(f)] = [];
      continue;
    }
    let j: Json;
    if (f.map) {
      j = {};
      for (const [k, x] of Object.entries(v)) {
        const e = jsonValue(f, x, true);
        if (e !== undefined) setOwn(j, k, e);
      }
    } else if (f.repeated) j = (v as Json[]).map((x) => jsonValue(f, x, true));
    else j = jsonValue(f, v, false);
    if (j === undefined) continue;
    if (opts(f).inline) {
      if (isObject(j)) Object.assign(out, j);
    } else out[jsonName(f)] = j;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Envelopes

function unknownType(): protobuf.Type {
  return schema().root.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown');
}

/** The bytes of message `t` for a JSON object. */
export function encodeMessage(t: protobuf.Type, json: Record<string, Json>): Buffer {
  return Buffer.from(t.encode(toMessage(t, json)).finish());
}

/** A JSON object of a built-in kind in the envelope ("k8s\0" + runtime.Unknown); undefined when no message describes it. */
export function encodeObject(obj: unknown): Buffer | undefined {
  if (!isObject(obj)) return undefined;
  const t = messageFor(obj.apiVersion, obj.kind);
  if (!t) return undefined;
  const raw = encodeMessage(t, obj);
  const unknown = unknownType().encode({ typeMeta: { apiVersion: obj.apiVersion, kind: obj.kind }, raw, contentEncoding: '', contentType: '' }).finish();
  return Buffer.concat([MAGIC, unknown]);
}

/** Why a protobuf body was refused: the message kube-apiserver's decoder gives. */
export class ProtobufError extends Error {}

/** An enveloped protobuf object as JSON (kind and apiVersion first, as Go writes them). */
export function decodeObject(body: Buffer): Record<string, Json> {
  if (body.length === 0) throw new ProtobufError('empty data');
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw new ProtobufError('provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]');
  if (body.length === 4) throw new ProtobufError('empty body');
  const U = unknownType();
  let unknown: Record<string, Json>;
  try {
    unknown = U.toObject(U.decode(body.subarray(4)), { defaults: false });
  } catch (e) {
    throw new ProtobufError(`proto: ${(e as Error).message}`);
  }
  const apiVersion = unknown.typeMeta?.apiVersion ?? '';
  const kind = unknown.typeMeta?.kind ?? '';
  const typeMeta = `runtime.TypeMeta{APIVersion:${JSON.stringify(apiVersion)}, Kind:${JSON.stringify(kind)}}`;
  if (!kind) throw new ProtobufError(`Object 'Kind' is missing in '${typeMeta}'`);
  if (!apiVersion) throw new ProtobufError(`Object 'apiVersion' is missing in '${typeMeta}'`);
  const t = messageFor(apiVersion, kind);
  if (!t) throw new ProtobufError(`no kind ${JSON.stringify(kind)} is registered for version ${JSON.stringify(apiVersion)} in scheme "pkg/api/legacyscheme/scheme.go:30"`);
  let msg: Record<string, Json>;
  try {
    msg = t.toObject(t.decode(unknown.raw ?? new Uint8Array()), { longs: Number, defaults: false });
  } catch (e) {
    throw new ProtobufError(`proto: ${(e as Error).message}`);
  }
  let obj: Record<string, Json>;
  try {
    obj = { kind, apiVersion, ...fromMessage(t, msg) };
  } catch (e) {
    throw new ProtobufError(`${kind} in ${apiVersion} could not be decoded: ${(e as Error).message}`);
  }
  // The same nesting limit as JSON and YAML bodies (docs/hardening.md).
  if (valueDepth(obj) > MAX_DEPTH) throw new ProtobufError(depthMessage);
  return obj;
}

/**
 * One frame of a protobuf watch stream: a 4-byte big-endian length and a bare
 * metav1.WatchEvent (no envelope) whose object holds the enveloped object.
 */
export function watchFrame(type: string, object: Buffer): Buffer {
  const event = schema().root.lookupType(`${META}.WatchEvent`);
  const body = event.encode({ type, object: { raw: object } }).finish();
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
}

/** A frame's WatchEvent read back: the type and the enveloped object (for clients in tests). */
export function readWatchFrames(data: Buffer): { events: { type: string; object: Record<string, Json> }[]; rest: Buffer } {
  const event = schema().root.lookupType(`${META}.WatchEvent`);
  const events = [];
  let p = 0;
  while (data.length - p >= 4) {
    const len = data.readUInt32BE(p);
    if (data.length - p - 4 < len) break;
    const e = event.toObject(event.decode(data.subarray(p + 4, p + 4 + len)), { defaults: false }) as Json;
    events.push({ type: e.type, object: decodeObject(Buffer.from(e.object?.raw ?? [])) });
    p += 4 + len;
  }
  return { events, rest: data.subarray(p) };
}
