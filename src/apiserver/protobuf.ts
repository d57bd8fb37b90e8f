// Decoding of Kubernetes protobuf request bodies.
//
// kubectl's generator commands (`kubectl create deployment|job|service|pdb|
// configmap|secret|namespace|serviceaccount`) and `kubectl drain` (the
// Eviction it posts) use client-go's typed clients, which send
// `application/vnd.kubernetes.protobuf` bodies. We decode those kinds to the
// JSON a JSON client would have sent; everything else kubectl sends is JSON.
import protobuf from 'protobufjs';
import { errors } from './status.js';
import { PROTOBUF_KINDS, PROTOBUF_TYPES } from './protobuf-types.js';
import { formatRFC3339 } from '../api/duration.js';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"

const root = protobuf.Root.fromJSON({ nested: PROTOBUF_TYPES });
const unknownType = root.lookupType('Unknown');

const rfc3339 = (t: any): string | undefined =>
  t && t.seconds !== undefined ? formatRFC3339(Number(t.seconds) * 1000) : undefined;

/** One field's value as JSON has it; undefined drops the field. */
function jsonValue(field: protobuf.Field, v: any): any {
  const t = field.resolvedType;
  if (t instanceof protobuf.Type) {
    switch (t.name) {
      case 'Time': return rfc3339(v); // a zero Time is an empty message: JSON leaves it out
      case 'IntOrString': return Number(v.type ?? 0) === 1 ? (v.strVal ?? '') : (v.intVal ?? 0);
      case 'Quantity': return v.string;
      default: return toJson(t, v);
    }
  }
  // Go marshals non-pointer scalars even when zero; a JSON client omits them.
  if (!(field.options as any)?.ptr && (v === '' || v === false || v === 0)) return undefined;
  return v;
}

/** A decoded message as the JSON of the same object: times, int-or-strings and quantities in their string forms. */
function toJson(type: protobuf.Type, obj: Record<string, any>): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [name, v] of Object.entries(obj)) {
    const field = type.fields[name];
    if (!field) continue;
    let value: any;
    if (field.map) value = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, field.resolvedType ? jsonValue(field, x) : x]));
    else if (field.repeated) value = (v as any[]).map((x) => (field.resolvedType ? jsonValue(field, x) : x));
    else value = jsonValue(field, v);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

export function decodeProtobuf(body: Buffer): unknown {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw errors.badRequest('protobuf body does not start with the Kubernetes envelope ("k8s\\0")');
  let unknown: any;
  try {
    unknown = unknownType.toObject(unknownType.decode(body.subarray(4)), { bytes: Buffer as any });
  } catch (e) {
    throw errors.badRequest(`protobuf body could not be decoded: ${(e as Error).message}`);
  }
  const kind = unknown.typeMeta?.kind;
  const apiVersion = unknown.typeMeta?.apiVersion;
  if (!PROTOBUF_KINDS.has(kind)) {
    throw errors.unsupportedMedia(`application/vnd.kubernetes.protobuf for ${apiVersion}/${kind} (nodeless decodes protobuf only for ${[...PROTOBUF_KINDS].join(', ')}; send JSON)`);
  }
  try {
    const t = root.lookupType(kind);
    const obj = t.toObject(t.decode(unknown.raw ?? Buffer.alloc(0)), { longs: Number, bytes: String, defaults: false });
    return { apiVersion, kind, ...toJson(t, obj) };
  } catch (e) {
    throw errors.badRequest(`protobuf ${kind} could not be decoded: ${(e as Error).message}`);
  }
}
