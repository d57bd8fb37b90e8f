// Kubernetes errors: one StatusError family rendered as metav1.Status in one place.
import type { FieldError, ResourceType } from '../api/types.js';
import { goValueKind } from '../api/openapi/index.js';

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: { reason?: string; message?: string; field?: string }[]; retryAfterSeconds?: number };
  code?: number;
}

export class StatusError extends Error {
  constructor(
    public readonly code: number,
    public readonly reason: string,
    message: string,
    public readonly details?: StatusBody['details'],
  ) {
    super(message);
  }

  toStatus(): StatusBody {
    return statusBody('Failure', this.code, this.message, this.reason, this.details);
  }
}

/**
 * A metav1.Status as Go's encoding/json writes it: fields in the struct's order (kind, apiVersion,
 * metadata, status, message, reason, details, code) and every `omitempty` field left out when empty,
 * so a core kind's details carry no `"group":""` and a reason-less Status no `"reason":""`. Details
 * is a pointer: present but empty, it is still written (`"details":{}`), as Go does.
 */
export function statusBody(status: StatusBody['status'], code: number, message?: string, reason?: string, details?: StatusBody['details']): StatusBody {
  const s: Record<string, unknown> = { kind: 'Status', apiVersion: 'v1', metadata: {}, status };
  if (message) s.message = message;
  if (reason) s.reason = reason;
  if (details) {
    const d: Record<string, unknown> = {};
    if (details.name) d.name = details.name;
    if (details.group) d.group = details.group;
    if (details.kind) d.kind = details.kind;
    if (details.uid) d.uid = details.uid;
    if (details.causes?.length) {
      d.causes = details.causes.map((c) => {
        const o: Record<string, string> = {};
        if (c.reason) o.reason = c.reason;
        if (c.message) o.message = c.message;
        if (c.field) o.field = c.field;
        return o;
      });
    }
    if (details.retryAfterSeconds) d.retryAfterSeconds = details.retryAfterSeconds;
    s.details = d;
  }
  if (code) s.code = code;
  return s as unknown as StatusBody;
}

/** `deployments.apps` / `pods`: how Kubernetes names a resource in messages. */
export const qualifiedResource = (rt: Pick<ResourceType, 'plural' | 'group'>) => (rt.group ? `${rt.plural}.${rt.group}` : rt.plural);
/** `Deployment.apps` / `Pod`: how Kubernetes names a kind in validation messages. */
export const qualifiedKind = (rt: Pick<ResourceType, 'kind' | 'group'>) => (rt.group ? `${rt.kind}.${rt.group}` : rt.kind);

const detailsOf = (rt: Pick<ResourceType, 'plural' | 'group'>, name: string) => ({ name, group: rt.group, kind: rt.plural });

export const errors = {
  notFound: (rt: Pick<ResourceType, 'plural' | 'group'>, name: string) =>
    new StatusError(404, 'NotFound', `${qualifiedResource(rt)} "${name}" not found`, detailsOf(rt, name)),
  alreadyExists: (rt: Pick<ResourceType, 'plural' | 'group'>, name: string) =>
    new StatusError(409, 'AlreadyExists', `${qualifiedResource(rt)} "${name}" already exists`, detailsOf(rt, name)),
  conflict: (rt: Pick<ResourceType, 'plural' | 'group'>, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again') =>
    new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(rt)} "${name}": ${why}`, detailsOf(rt, name)),
  badRequest: (message: string) => new StatusError(400, 'BadRequest', message),
  forbidden: (rt: Pick<ResourceType, 'plural' | 'group'>, name: string, why: string) =>
    new StatusError(403, 'Forbidden', `${qualifiedResource(rt)} "${name}" is forbidden: ${why}`, detailsOf(rt, name)),
  invalid: (rt: Pick<ResourceType, 'kind' | 'group'>, name: string, causes: FieldError[]) => {
    const text = (c: FieldError) => (c.message.startsWith(describeType(c.type)) ? c.message : `${describeType(c.type)}${c.message ? `: ${c.message}` : ''}`);
    const parts = causes.map((c) => `${c.field}: ${text(c)}`);
    const msg = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
    return new StatusError(422, 'Invalid', `${qualifiedKind(rt)} "${name}" is invalid: ${msg}`, {
      name, group: rt.group, kind: rt.kind,
      causes: causes.map((c) => ({ reason: c.type, message: text(c), field: c.field })),
    });
  },
  methodNotAllowed: (what: string) => new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource${what ? ` (${what})` : ''}`),
  notFoundPath: (path: string) => new StatusError(404, 'NotFound', `the server could not find the requested resource (${path})`),
  unsupportedMedia: (type: string) => new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format (${type || 'none'}) - accepted media types include: application/json, application/yaml, application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml`),
  tooLarge: (limit: number) => new StatusError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`),
  expired: (message: string) => new StatusError(410, 'Expired', message),
  /** storage.NewTooLargeResourceVersionError: a Timeout the client retries after a second (client-go relists on it). */
  tooLargeResourceVersion: (rv: string, current: number) => new StatusError(504, 'Timeout', `Timeout: Too large resource version: ${rv}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1,
  }),
  tooManyRequests: (message: string, retryAfterSeconds?: number) => new StatusError(429, 'TooManyRequests', message, retryAfterSeconds ? { retryAfterSeconds } : undefined),
  unauthorized: () => new StatusError(401, 'Unauthorized', 'Unauthorized'),
  internal: (message: string) => new StatusError(500, 'InternalError', `Internal error occurred: ${message}`),
};

/**
 * A body Go's decoder refuses (a value of the wrong type, an int32 out of range, bad base64):
 * kube-apiserver answers 400 `<Kind> in version "<v>" cannot be handled as a <Kind>: <detail>`
 * (transformDecodeError). See docs/validation.md.
 */
export class DecodeError extends StatusError {
  /** `message` replaces the usual one, for a failure before the kind is read (Registry.checkTypeMeta). */
  constructor(rt: Pick<ResourceType, 'kind' | 'version'>, public readonly detail: string, public readonly object: unknown, message?: string) {
    super(400, 'BadRequest', message ?? `${rt.kind} in version ${JSON.stringify(rt.version)} cannot be handled as a ${rt.kind}: ${detail}`);
  }

  /**
   * The same failure once a patch was applied: kube-apiserver's patch handler answers 422 on the
   * field `patch`, showing the patched object (JSON and merge patches) or the patch map (strategic).
   */
  forPatch(kind: string, patch: unknown): StatusError {
    const value = kind === 'strategic' ? goPrint(patch) : JSON.stringify(this.object);
    const message = `Invalid value: ${JSON.stringify(value)}: ${this.detail}`;
    return new StatusError(422, 'Invalid', ` "" is invalid: patch: ${message}`, { causes: [{ reason: 'FieldValueInvalid', message, field: 'patch' }] });
  }
}

/**
 * An apiVersion or kind that is not a string (a null is no value): Go's serializer reads both
 * first (Interpret), so the failure comes before the kind is known, and transformDecodeError
 * words it as an unrecognized object followed by the start of the body.
 */
export function typeMetaError(rt: Pick<ResourceType, 'kind' | 'version'>, obj: Record<string, unknown>): DecodeError | undefined {
  const bad = Object.keys(obj).find((k) => (k === 'apiVersion' || k === 'kind') && obj[k] !== null && typeof obj[k] !== 'string');
  if (!bad) return undefined;
  const detail = `couldn't get version/kind; json parse error: json: cannot unmarshal ${goValueKind(obj[bad])} into Go struct field .${bad} of type string`;
  const text = JSON.stringify(obj);
  return new DecodeError(rt, detail, obj, `the object provided is unrecognized (must be of type ${rt.kind}): ${detail} (${text.length > 30 ? `${text.slice(0, 30)} ...` : text})`);
}

/** Go's %+v of a decoded JSON value (map[a:1 b:[x y]]), as kube-apiserver prints a patch map in messages. */
export function goPrint(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goPrint).join(' ')}]`;
  if (typeof v === 'object') {
    const keys = Object.keys(v as object).sort();
    return `map[${keys.map((k) => `${k}:${goPrint((v as Record<string, unknown>)[k])}`).join(' ')}]`;
  }
  if (typeof v === 'number') {
    // Integers arrive as int64 (decimal); other numbers as float64, printed by %v's shortest %g
    // (exponent form from 1e+06 on, and below 1e-04).
    if (Number.isInteger(v) && Math.abs(v) < 2 ** 63) return BigInt(v).toString();
    if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
    const exp = Math.floor(Math.log10(Math.abs(v)));
    if (exp < -4 || exp >= 6) {
      const [m, e] = v.toExponential().split('e');
      const n = Number(e);
      return `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
    }
    return String(v);
  }
  return String(v);
}

export function describeType(t: FieldError['type']): string {
  switch (t) {
    case 'FieldValueRequired': return 'Required value';
    case 'FieldValueInvalid': return 'Invalid value';
    case 'FieldValueNotSupported': return 'Unsupported value';
    case 'FieldValueDuplicate': return 'Duplicate value';
    case 'FieldValueForbidden': return 'Forbidden';
    case 'FieldValueTooLong': return 'Too long';
    case 'FieldValueTooMany': return 'Too many';
    case 'FieldValueTypeInvalid': return 'Invalid value';
    case 'FieldValueNotFound': return 'Not found';
  }
}
