// /openapi/v2 in protobuf: the gnostic openapi.v2.Document that kube-openapi
// serves for `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`
// (kubectl's explain --output=plaintext-openapiv2 and its client-side schema
// lookups read it). The message schema is gnostic's OpenAPIv2.proto, taken from
// kubectl with the Kubernetes messages (zz_generated.descriptors.json); the
// mapping from the JSON document follows gnostic's compiler (ParseDocument):
// snake_case fields from camelCase keys, `x-` keys as vendor extensions whose
// values are YAML text, maps as lists of named pairs, and the oneofs chosen by
// `$ref`, `in` and `type`. See docs/protobuf.md.
import protobuf from 'protobufjs';
import { stringify as toYaml } from 'yaml';
import type http from 'node:http';
import { createHash } from 'node:crypto';
import { schema } from './protobuf/index.js';

type Json = any;
const isObject = (v: unknown): v is Record<string, Json> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** JSON key of a gnostic field: `_ref` is `$ref`, the rest are camelCase. */
const keyOf = (field: string) => (field === '_ref' ? '$ref' : field.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()));

/** gnostic's Any: the value as YAML text. */
const any = (v: Json) => ({ yaml: toYaml(v, { lineWidth: 0 }) });

function type(name: string): protobuf.Type {
  return schema().root.lookupType(`openapi.v2.${name}`);
}

function vendorExtensions(json: Record<string, Json>) {
  return Object.keys(json).filter((k) => k.startsWith('x-')).map((k) => ({ name: k, value: any(json[k]) }));
}

/** A field's value from JSON, per the field's type. */
function value(f: protobuf.Field, v: Json): Json {
  if (v === undefined || v === null) return undefined;
  const t = f.resolvedType;
  if (t instanceof protobuf.Type) return message(t.name, v);
  switch (f.type) {
    case 'string': return typeof v === 'string' ? v : undefined;
    case 'bool': return typeof v === 'boolean' ? v : undefined;
    case 'double': case 'int64': return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  }
  return undefined;
}

/** Message `name` from a JSON value, as gnostic's NewX(in) builds it. */
export function message(name: string, json: Json): Json {
  switch (name) {
    case 'Any': return any(json);
    case 'TypeItem': return { value: Array.isArray(json) ? json.filter((x) => typeof x === 'string') : typeof json === 'string' ? [json] : [] };
    case 'StringArray': return { value: Array.isArray(json) ? json.filter((x) => typeof x === 'string') : [] };
    case 'ItemsItem': return { schema: (Array.isArray(json) ? json : [json]).filter(isObject).map((s) => message('Schema', s)) };
    case 'AdditionalPropertiesItem': return typeof json === 'boolean' ? { boolean: json } : isObject(json) ? { schema: message('Schema', json) } : undefined;
  }
  if (!isObject(json)) return undefined;
  switch (name) {
    case 'ParametersItem': return json.$ref !== undefined ? { json_reference: message('JsonReference', json) } : { parameter: message('Parameter', json) };
    case 'ResponseValue': return json.$ref !== undefined ? { json_reference: message('JsonReference', json) } : { response: message('Response', json) };
    case 'Parameter': return json.in === 'body' ? { body_parameter: message('BodyParameter', json) } : { non_body_parameter: message('NonBodyParameter', json) };
    case 'NonBodyParameter': {
      const sub = { header: 'header_parameter_sub_schema', formData: 'form_data_parameter_sub_schema', query: 'query_parameter_sub_schema', path: 'path_parameter_sub_schema' }[json.in as string];
      const t = { header: 'HeaderParameterSubSchema', formData: 'FormDataParameterSubSchema', query: 'QueryParameterSubSchema', path: 'PathParameterSubSchema' }[json.in as string];
      return sub && t ? { [sub]: message(t, json) } : {};
    }
    case 'SchemaItem': return json.type === 'file' ? { file_schema: message('FileSchema', json) } : { schema: message('Schema', json) };
    case 'SecurityDefinitionsItem': {
      const which = json.type === 'basic' ? ['basic_authentication_security', 'BasicAuthenticationSecurity']
        : json.type === 'apiKey' ? ['api_key_security', 'ApiKeySecurity']
        : ({ implicit: ['oauth2_implicit_security', 'Oauth2ImplicitSecurity'], password: ['oauth2_password_security', 'Oauth2PasswordSecurity'],
          application: ['oauth2_application_security', 'Oauth2ApplicationSecurity'], accessCode: ['oauth2_access_code_security', 'Oauth2AccessCodeSecurity'] } as Record<string, string[]>)[json.flow];
      return which ? { [which[0]]: message(which[1], json) } : {};
    }
    case 'Paths': return {
      vendor_extension: vendorExtensions(json),
      path: Object.keys(json).filter((k) => k.startsWith('/')).map((k) => ({ name: k, value: message('PathItem', json[k]) })),
    };
    case 'Responses': return {
      response_code: Object.keys(json).filter((k) => !k.startsWith('x-')).map((k) => ({ name: k, value: message('ResponseValue', json[k]) })),
      vendor_extension: vendorExtensions(json),
    };
  }
  const t = type(name);
  const fields = t.fieldsArray;
  // Maps (Definitions, Properties, Headers, SecurityRequirement, ...): one repeated Named* field of name/value pairs.
  if (fields.length === 1 && fields[0].name === 'additional_properties') {
    const pair = fields[0].resolvedType as protobuf.Type;
    return { additional_properties: Object.keys(json).map((k) => ({ name: k, value: value(pair.fields.value, json[k]) })) };
  }
  const out: Record<string, Json> = {};
  for (const f of fields) {
    if (f.name === 'vendor_extension') {
      out.vendor_extension = vendorExtensions(json);
      continue;
    }
    const v = json[keyOf(f.name)];
    if (v === undefined || !Object.prototype.hasOwnProperty.call(json, keyOf(f.name))) continue;
    const w = f.repeated ? (Array.isArray(v) ? v.map((x) => value(f, x)).filter((x) => x !== undefined) : undefined) : value(f, v);
    if (w !== undefined) out[f.name] = w;
  }
  return out;
}

/** The protobuf bytes of an OpenAPI v2 document. */
export function encodeOpenAPIv2(doc: Record<string, Json>): Buffer {
  const t = type('Document');
  return Buffer.from(t.encode(message('Document', doc)).finish());
}

/** Media types kube-openapi serves /openapi/v2 in, with the Content-Type each answers with. */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';
const OPENAPI_V2_TYPES: [string, 'json' | 'protobuf'][] = [
  ['application/json', 'json'],
  ['application/com.github.proto-openapi.spec.v2@v1.0+protobuf', 'protobuf'],
  [OPENAPI_V2_PROTOBUF, 'protobuf'],
];

/** kube-openapi's negotiation for /openapi/v2: the first Accept clause (by quality) that names a served type; undefined for 406. */
export function openapiV2Encoding(accept: string | undefined): 'json' | 'protobuf' | undefined {
  const clauses = (accept && accept.trim() ? accept : '*/*').split(',').map((c, i) => {
    const [range, ...params] = c.split(';').map((s) => s.trim());
    const q = Number(/^q=(.*)$/.exec(params.find((p) => p.startsWith('q=')) ?? '')?.[1] ?? 1);
    return { range: range.toLowerCase(), q: Number.isFinite(q) ? q : 1, i };
  }).filter((c) => c.range && c.q > 0).sort((a, b) => b.q - a.q || a.i - b.i);
  for (const c of clauses) {
    const [type, subtype = ''] = c.range.split('/');
    for (const [media, enc] of OPENAPI_V2_TYPES) {
      const [mt, ms] = media.split('/');
      if ((type === mt || type === '*') && (subtype === ms || subtype === '*')) return enc;
    }
  }
  return undefined;
}

interface Encoded { json: string; protobuf?: Buffer; etag: string; lastModified: string }
const encoded = new WeakMap<object, Encoded>();

/**
 * GET /openapi/v2 as kube-openapi's handler serves it: JSON or gnostic
 * protobuf by Accept (406 for anything else), `Vary: Accept`, one ETag for both
 * encodings (the SHA-512 of the JSON, in upper-case hex, quoted), Last-Modified,
 * and 304 Not Modified for a matching If-None-Match.
 */
export function serveOpenAPIv2(req: http.IncomingMessage, res: http.ServerResponse, doc: Record<string, Json>): void {
  let e = encoded.get(doc);
  if (!e) {
    const json = JSON.stringify(doc);
    e = { json, etag: `"${createHash('sha512').update(json).digest('hex').toUpperCase()}"`, lastModified: new Date().toUTCString() };
    encoded.set(doc, e);
  }
  const enc = openapiV2Encoding(req.headers.accept);
  const headers: Record<string, string | number> = { vary: 'Accept' };
  if (!enc) {
    res.writeHead(406, headers);
    res.end();
    return;
  }
  const body = enc === 'json' ? Buffer.from(e.json) : (e.protobuf ??= encodeOpenAPIv2(doc));
  Object.assign(headers, { 'content-type': enc === 'json' ? 'application/json' : OPENAPI_V2_PROTOBUF, etag: e.etag, 'last-modified': e.lastModified });
  const inm = req.headers['if-none-match'];
  if (inm && inm.split(',').some((t) => t.trim() === e!.etag || t.trim() === '*')) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': body.length });
  res.end(req.method === 'HEAD' ? undefined : body);
}
