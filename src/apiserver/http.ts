// Small HTTP helpers shared by the handlers: JSON responses, Status errors, bodies.
import type http from 'node:http';
import { errors, StatusError } from './status.js';
import { parseJson, parseYaml } from '../util/decode.js';
import { decodeObject, encodeObject, ProtobufError, PROTOBUF } from './protobuf/index.js';
import { encodingFor, YAML_TYPE } from './negotiate.js';
import { stringify as toYaml } from 'yaml';
import { decodePatchBody } from './patch/index.js';
import type { FieldValidation, PatchKind, WriteOptions } from './registry.js';
import type { FieldError } from '../api/types.js';
import { hasOwn } from '../util/own.js';
import { queryBool, wantsPretty } from './params.js';

export const MAX_BODY = 3 * 1024 * 1024;

/**
 * JSON text as Go's encoding/json writes it: `<`, `>` and `&` escaped as \u003c, \u003e and \u0026
 * (json.Encoder escapes HTML by default) and U+2028/U+2029 as \u2028/\u2029. These characters can
 * only stand inside JSON strings, so the text is rewritten as a whole.
 */
export function goJson(text: string): string {
  return GO_ESCAPED.test(text) ? text.replace(GO_ESCAPED_ALL, (c) => GO_ESCAPES[c]) : text;
}
const GO_ESCAPED = /[<>&\u2028\u2029]/;
const GO_ESCAPED_ALL = /[<>&\u2028\u2029]/g;
const GO_ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

/**
 * A response body as kube-apiserver's JSON serializer writes it: json.Encoder's compact form ending
 * in a newline, or, when the client asked for it (params.ts wantsPretty), json.MarshalIndent's
 * two-space indent with no newline after. `body` may be JSON text already (a stored object).
 */
export function encodeJson(body: unknown, pretty = false): string {
  if (pretty) {
    const value = typeof body === 'string' ? JSON.parse(body) : body;
    return goJson(JSON.stringify(value, null, 2) ?? 'null');
  }
  return goJson(typeof body === 'string' ? body : (JSON.stringify(body) ?? 'null')) + '\n';
}

/** Whether the request `res` answers asked for indented JSON (?pretty, or curl, wget, a browser). */
function prettyFor(res: http.ServerResponse): boolean {
  const req = res.req;
  if (!req) return false;
  const ua = req.headers['user-agent'];
  if (!(req.url ?? '').includes('pretty') && !ua) return false;
  try {
    return wantsPretty(new URL(req.url ?? '/', 'https://localhost').searchParams, ua);
  } catch {
    return false;
  }
}

/**
 * Sends `body` (an object, or its JSON text) as JSON, encoded as kube-apiserver encodes it
 * (encodeJson), or as YAML or protobuf when the request's Accept header prefers them and the body
 * allows it (encodingFor, docs/protobuf.md): protobuf only for kinds the Kubernetes schema
 * describes, so custom resources and documents without a kind stay JSON. Never throws: a value
 * JSON cannot hold becomes a 500 Status, header values Node would refuse are made sendable, and a
 * response already started or a connection already gone is left alone. When the client has not
 * finished sending its body (an early error, a body timeout), the connection is closed after the
 * answer, so it is not kept waiting for the rest.
 */
export function sendJson(res: http.ServerResponse, code: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  let text: string | Buffer;
  let type = 'application/json';
  try {
    const accept = res.req?.headers.accept;
    const wants = accept && (accept.includes('protobuf') || accept.includes('yaml'));
    const obj = wants && typeof body === 'string' ? JSON.parse(body) : body;
    const encoding = wants ? encodingFor(accept, obj) : 'application/json';
    const pb = encoding === PROTOBUF ? encodeObject(obj) : undefined;
    if (pb) [text, type] = [pb, PROTOBUF];
    else if (encoding === YAML_TYPE) [text, type] = [toYaml(obj, { sortMapEntries: true }), YAML_TYPE];
    else text = encodeJson(body, prettyFor(res));
  } catch (e) {
    code = 500;
    headers = {};
    type = 'application/json';
    text = encodeJson(errors.internal(`the response could not be encoded: ${(e as Error)?.message ?? e}`).toStatus());
  }
  try {
    if (res.headersSent || res.writableEnded || res.destroyed) {
      if (!res.writableEnded) res.end();
      return;
    }
    const all: Record<string, string | string[] | number> = { 'content-type': type, 'content-length': Buffer.byteLength(text), ...sendableHeaders(headers) };
    // Warnings set earlier (a deprecated version's: addWarning) come first, not replaced.
    const prior = res.getHeader('warning');
    if (prior !== undefined && all.warning !== undefined) all.warning = [...[prior].flat().map(String), ...[all.warning].flat().map(String)];
    if (res.req && !res.req.complete) all.connection = 'close';
    res.writeHead(code, all);
    res.end(text);
  } catch {
    res.destroy();
  }
}

/** A `Warning: 299 - "…"` header on whatever the response turns out to be (kube's warning.AddWarning). */
export function addWarning(res: http.ServerResponse, text: string): void {
  const prior = res.getHeader('warning');
  const value = sendableHeaders({ warning: `299 - "${text.replace(/"/g, '\\"')}"` }).warning as string;
  res.setHeader('warning', prior === undefined ? [value] : [...[prior].flat().map(String), value]);
}

// Node refuses header values with characters outside Latin-1 or with control
// characters (warnings can quote user input); Go sends a value's UTF-8 bytes.
function sendableHeaders(headers: Record<string, string | string[]>): Record<string, string | string[]> {
  const fix = (v: string) => Buffer.from(v, 'utf8').toString('latin1').replace(/[\x00-\x08\x0a-\x1f\x7f]/g, ' ');
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = Array.isArray(v) ? v.map(fix) : fix(String(v));
  return out;
}

/** Renders any thrown error as a Kubernetes Status; unexpected errors become 500 with their message. Never throws. */
export function sendError(res: http.ServerResponse, e: unknown, log?: (e: unknown) => void): void {
  let status: unknown;
  let code = 500;
  const headers: Record<string, string> = {};
  try {
    let se: StatusError;
    if (e instanceof StatusError) se = e;
    else {
      try {
        log?.(e);
      } catch {
        // a failing logger must not take the answer with it
      }
      se = errors.internal(e instanceof Error ? e.message : safeString(e));
    }
    code = se.code;
    status = se.toStatus();
    // A client waits as long as the answer says (client-go reads the header of a 429 or 5xx).
    const retry = se.details?.retryAfterSeconds;
    if (typeof retry === 'number' && retry > 0 && (code === 429 || code >= 500)) headers['retry-after'] = String(retry);
  } catch {
    status = errors.internal('the error could not be rendered').toStatus();
  }
  sendJson(res, code, status, headers);
}

function safeString(v: unknown): string {
  try {
    return String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

/** kube-apiserver's default --request-timeout (60s); here it bounds how long a request body may take to arrive. */
export const REQUEST_TIMEOUT_MS = 60_000;

/** The answer when a body does not arrive in time: kube-apiserver's timeout filter (504, reason Timeout). */
export const bodyTimeout = () => new StatusError(504, 'Timeout', 'Timeout: request did not complete within the allotted timeout', {});

/**
 * A body past MAX_BODY is still read (and dropped) up to this size before the 413 goes out: the
 * client, which is still sending, then reads the answer on a connection that stays open. Answering
 * mid-body closes the connection under a client that is still writing, which sees EPIPE or
 * ECONNRESET instead of the 413 (Go's server lingers on the socket for the same reason).
 */
const DRAIN_LIMIT = 4 * MAX_BODY;

/**
 * The whole request body, at most MAX_BODY bytes (413 beyond), within
 * `timeoutMs` (504 after it). A body too large is discarded as it arrives, up
 * to DRAIN_LIMIT; beyond that, or on a timeout, the rest is discarded as it
 * arrives and sendJson closes the connection after answering.
 */
export function readBody(req: http.IncomingMessage, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > DRAIN_LIMIT) {
      req.resume();
      reject(errors.tooLarge(MAX_BODY));
      return;
    }
    let chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = declared > MAX_BODY;
    const stop = (err: StatusError) => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.resume();
      reject(err);
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) tooLarge = true;
      if (size > DRAIN_LIMIT) stop(errors.tooLarge(MAX_BODY));
      else if (!tooLarge) chunks.push(c);
      else chunks = [];
    };
    const onEnd = () => {
      clearTimeout(timer);
      if (tooLarge) reject(errors.tooLarge(MAX_BODY));
      else resolve(Buffer.concat(chunks));
    };
    const timer = setTimeout(() => stop(tooLarge ? errors.tooLarge(MAX_BODY) : bodyTimeout()), timeoutMs);
    timer.unref?.();
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Decodes a JSON or YAML request body; bad input is a 400 naming the problem. */
export function decodeBody(contentType: string | undefined, body: Buffer): unknown {
  const type = (contentType ?? 'application/json').split(';')[0].trim().toLowerCase();
  const text = body.toString('utf8');
  if (text.trim() === '') throw errors.badRequest('the request body is empty: expected a JSON or YAML object');
  if (type === 'application/json' || type === '' || type.endsWith('+json')) {
    try {
      return parseJson(text);
    } catch (e) {
      throw errors.badRequest(`the body of the request could not be decoded as JSON: ${(e as Error).message}`);
    }
  }
  if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml' || type.endsWith('+yaml')) {
    try {
      // Aliases may not add more than a whole body's worth of data (see docs/hardening.md).
      return parseYaml(text, { maxAliasBytes: MAX_BODY });
    } catch (e) {
      throw errors.badRequest(`the body of the request could not be decoded as YAML: ${(e as Error).message}`);
    }
  }
  if (type === PROTOBUF) {
    try {
      return decodeObject(body);
    } catch (e) {
      // kube-apiserver answers a body its decoder refuses with 400 and the decoder's words.
      if (e instanceof ProtobufError || e instanceof RangeError) throw errors.badRequest(e.message);
      throw e;
    }
  }
  throw errors.unsupportedMedia(type);
}

const PATCH_TYPES: Record<string, PatchKind> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
  'application/apply-patch+cbor': 'apply',
};

/** A PATCH body and its kind, from the Content-Type; 415 for other types, 400 for bodies that do not decode. */
export function decodePatch(contentType: string | undefined, body: Buffer): { kind: PatchKind; patch: unknown } {
  const type = (contentType ?? '').split(';')[0].trim();
  const kind = hasOwn(PATCH_TYPES, type) ? PATCH_TYPES[type] : undefined;
  if (!kind) throw errors.unsupportedMedia(type);
  try {
    return { kind, patch: decodePatchBody(type, body.toString('utf8')) };
  } catch (e) {
    throw errors.badRequest((e as Error).message);
  }
}

/** What a write is, for its options' validation: CreateOptions, UpdateOptions or PatchOptions. */
export type WriteKind = 'Create' | 'Update' | 'Patch';

/**
 * dryRun, fieldManager, fieldValidation and force from the query, read by the parameter codec
 * (the first value of each; dryRun every value) and checked as ValidateCreateOptions,
 * ValidateUpdateOptions and ValidatePatchOptions check them: a 422 on `<Kind>Options.meta.k8s.io ""`.
 */
export function writeOptions(q: URLSearchParams, subresource?: string, kind: WriteKind = 'Update', patch?: PatchKind): WriteOptions {
  const dry = q.getAll('dryRun');
  const fieldManager = q.get('fieldManager') ?? '';
  const fv = q.get('fieldValidation') ?? '';
  const force = queryBool(q, 'force');
  const errs: FieldError[] = [];
  if (kind === 'Patch') {
    if (patch !== 'apply' && force !== undefined) errs.push({ field: 'force', type: 'FieldValueForbidden', message: 'may not be specified for non-apply patch' });
    if (patch === 'apply' && fieldManager === '') errs.push({ field: 'fieldManager', type: 'FieldValueRequired', message: 'is required for apply patch' });
  }
  if (Buffer.byteLength(fieldManager) > 128) errs.push({ field: 'fieldManager', type: 'FieldValueTooLong', message: 'may not be more than 128 bytes' });
  let at = 0;
  for (const ch of fieldManager) {
    if (/[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/u.test(ch)) {
      const cp = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      errs.push({ field: 'fieldManager', type: 'FieldValueInvalid', message: `${JSON.stringify(fieldManager)}: invalid character U+${cp} (at position ${at})` });
    }
    at += Buffer.byteLength(ch);
  }
  if (dry.some((d) => d !== 'All')) errs.push({ field: 'dryRun', type: 'FieldValueNotSupported', message: `[]string{${dry.map((d) => JSON.stringify(d)).join(', ')}}: supported values: "All"` });
  if (!['', 'Ignore', 'Warn', 'Strict'].includes(fv)) errs.push({ field: 'fieldValidation', type: 'FieldValueNotSupported', message: `${JSON.stringify(fv)}: supported values: "", "Ignore", "Strict", "Warn"` });
  if (errs.length) throw errors.invalid({ kind: `${kind}Options`, group: 'meta.k8s.io' }, '', errs);
  return {
    dryRun: dry.length > 0,
    fieldManager: fieldManager || undefined,
    fieldValidation: (fv || undefined) as FieldValidation | undefined,
    force: force === true,
    subresource,
    warnings: [],
  };
}
