// JSON objects in and out of CEL, as Kubernetes hands them to cel-go: an
// unstructured object's integers are CEL ints (int64), its other numbers
// doubles, its objects maps keyed by string; a structural schema (a CRD's)
// says which numbers are doubles. Maps are JS Maps, never plain objects: a
// key from a request ("constructor", "__proto__") must not reach a prototype.
import { celList, celMap, isCelList, isCelMap, isCelUint, type CelInput, type CelValue } from '@bufbuild/cel';

/** The part of an OpenAPI v3 schema the conversion reads. */
export interface SchemaLike {
  type?: string;
  properties?: Record<string, SchemaLike>;
  additionalProperties?: SchemaLike | boolean;
  items?: SchemaLike;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** A JSON value as a CEL input; `schema` (when known) types its numbers. */
export function toCel(v: unknown, schema?: SchemaLike): CelInput {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      // A schema's `number` is a double even when integral (1.0 decodes as 1); anything else integral is an int.
      if (schema?.type === 'number' || !Number.isInteger(v)) return v;
      return BigInt(v);
    case 'object': {
      if (Array.isArray(v)) return celList(v.map((x) => toCel(x, schema?.items)));
      const m = new Map<string, CelInput>();
      const props = schema?.properties;
      const extra = typeof schema?.additionalProperties === 'object' ? schema.additionalProperties : undefined;
      for (const k of Object.keys(v as object)) {
        const sub = props && own(props, k) ? props[k] : extra;
        m.set(k, toCel((v as Record<string, unknown>)[k], sub));
      }
      return celMap(m);
    }
    default:
      return null;
  }
}

/** A CEL result as JSON (variables, messages, audit values): ints as numbers, maps as null-prototype objects. */
export function fromCel(v: CelValue | unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return v;
  if (isCelUint(v)) return Number((v as { value: bigint }).value);
  if (isCelList(v)) return [...v].map(fromCel);
  if (isCelMap(v)) {
    const o: Record<string, unknown> = Object.create(null);
    for (const [k, x] of v) o[String(k)] = fromCel(x);
    return o;
  }
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  return String(v);
}

/** CEL's name of a value's type, as cel-go prints it in errors (`int`, `string`, `map`…). */
export function celTypeName(v: unknown): string {
  if (v === null) return 'null_type';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'double';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (isCelUint(v)) return 'uint';
  if (isCelList(v)) return 'list';
  if (isCelMap(v)) return 'map';
  if (v instanceof Uint8Array) return 'bytes';
  return 'object';
}
