// Small HTTP helpers shared by the handlers: JSON responses, Status errors, bodies.
import type http from 'node:http';
import YAML from 'yaml';
import { errors, StatusError } from './status.js';
import { decodeProtobuf } from './protobuf.js';
import { decodePatchBody } from './patch/index.js';
import type { FieldValidation, PatchKind, WriteOptions } from './registry.js';

export const MAX_BODY = 3 * 1024 * 1024;

export function sendJson(res: http.ServerResponse, code: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Renders any thrown error as a Kubernetes Status; unexpected errors become 500 with their message. */
export function sendError(res: http.ServerResponse, e: unknown, log?: (e: unknown) => void): void {
  let se: StatusError;
  if (e instanceof StatusError) se = e;
  else {
    log?.(e);
    se = errors.internal(e instanceof Error ? e.message : String(e));
  }
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, se.code, se.toStatus());
}

export function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY) {
      req.resume();
      reject(errors.tooLarge(MAX_BODY));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(errors.tooLarge(MAX_BODY));
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Decodes a JSON or YAML request body; bad input is a 400 naming the problem. */
export function decodeBody(contentType: string | undefined, body: Buffer): unknown {
  const type = (contentType ?? 'application/json').split(';')[0].trim().toLowerCase();
  const text = body.toString('utf8');
  if (text.trim() === '') throw errors.badRequest('the request body is empty: expected a JSON or YAML object');
  if (type === 'application/json' || type === '' || type.endsWith('+json')) {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw errors.badRequest(`the body of the request could not be decoded as JSON: ${(e as Error).message}`);
    }
  }
  if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml' || type.endsWith('+yaml')) {
    try {
      return YAML.parse(text);
    } catch (e) {
      throw errors.badRequest(`the body of the request could not be decoded as YAML: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  if (type === 'application/vnd.kubernetes.protobuf') return decodeProtobuf(body);
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
  const kind = PATCH_TYPES[type];
  if (!kind) throw errors.unsupportedMedia(type);
  try {
    return { kind, patch: decodePatchBody(type, body.toString('utf8')) };
  } catch (e) {
    throw errors.badRequest((e as Error).message);
  }
}

/** dryRun, fieldManager, fieldValidation and force from the query, checked as the API server does. */
export function writeOptions(q: URLSearchParams, subresource?: string): WriteOptions {
  const dry = q.getAll('dryRun');
  if (dry.some((d) => d !== 'All')) throw errors.badRequest(`Invalid dryRun value: ${JSON.stringify(dry)}; the only supported value is "All"`);
  const fv = q.get('fieldValidation');
  if (fv && !['Strict', 'Warn', 'Ignore'].includes(fv)) throw errors.badRequest(`fieldValidation must be one of "Ignore", "Warn", or "Strict", got ${JSON.stringify(fv)}`);
  const force = q.get('force');
  return {
    dryRun: dry.length > 0,
    fieldManager: q.get('fieldManager') ?? undefined,
    fieldValidation: (fv as FieldValidation) ?? undefined,
    force: force === 'true' || force === '1',
    subresource,
    warnings: [],
  };
}
