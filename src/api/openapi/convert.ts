// Schema rewriting between the stored (swagger 2.0) form and OpenAPI 3.0.
import { refName, type Schema } from './defs.js';
import { setOwn } from '../../util/own.js';

/** Keys whose values are schemas, maps of schemas or lists of schemas (everything else is data). */
function mapSchema(s: unknown, visit: (out: Schema) => Schema): any {
  if (!s || typeof s !== 'object' || Array.isArray(s)) return s;
  const src = s as Schema;
  const out: Schema = {};
  for (const k of Object.keys(src)) {
    const v = src[k];
    switch (k) {
      case 'properties':
      case 'patternProperties':
      case 'definitions':
        out[k] = v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([p, ps]) => [p, mapSchema(ps, visit)])) : v;
        break;
      case 'items':
        out[k] = Array.isArray(v) ? v.map((x) => mapSchema(x, visit)) : mapSchema(v, visit);
        break;
      case 'additionalProperties':
      case 'additionalItems':
      case 'not':
        out[k] = mapSchema(v, visit);
        break;
      case 'allOf':
      case 'anyOf':
      case 'oneOf':
        out[k] = Array.isArray(v) ? v.map((x) => mapSchema(x, visit)) : v;
        break;
      default:
        setOwn(out, k, v); // a CRD's schema is user data: a `__proto__` key stays a key
    }
  }
  return visit(out);
}

const V3_PREFIX = '#/components/schemas/';

/**
 * v2 -> v3: refs move to #/components/schemas/, and a ref with siblings (a description,
 * patch extensions) becomes `allOf: [{$ref}]` beside them, because in OpenAPI 3.0 a $ref
 * object may not carry other keys. kubectl explain and kubectl's patch computation both
 * follow that allOf.
 */
export function toV3Schema(s: Schema): Schema {
  return mapSchema(s, (out) => {
    const ref = out.$ref;
    if (typeof ref !== 'string') return out;
    delete out.$ref;
    const target = { $ref: V3_PREFIX + refName(ref) };
    if (Object.keys(out).length === 0) return target;
    return { allOf: [target], ...out };
  });
}

/** v3 CRD schema -> swagger 2.0: drop what 2.0 cannot say. Refs (v2 style already) stay. */
export function toV2CrdSchema(s: Schema): Schema {
  return mapSchema(s, (out) => {
    delete out.nullable;
    delete out.anyOf;
    delete out.oneOf;
    delete out.not;
    return out;
  });
}
