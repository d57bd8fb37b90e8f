// Query parameters as kube-apiserver's parameter codec reads them into
// ListOptions, PodLogOptions, CreateOptions and the others: the first value of
// a repeated parameter, unknown parameters ignored, booleans and integers by
// apimachinery's conversion functions (docs/api-params.md).
import { errors } from './status.js';

/**
 * A boolean parameter as Convert_Slice_string_To_bool reads it: absent is
 * undefined; a first value of "0" or "false" in any case is false; anything
 * else, even an empty value or "f", is true. kube-apiserver never refuses a
 * boolean: `watch=True` (the Python client) and `watch=1` both watch.
 */
export function queryBool(q: URLSearchParams, name: string): boolean | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  return !(v === '0' || v.toLowerCase() === 'false');
}

const INT64_MAX = 2n ** 63n - 1n;

/**
 * An integer parameter as Convert_Slice_string_To_int64 reads it (strconv.ParseInt base 10, 64 bits):
 * a value that does not parse is a 400 with strconv's words, which kube-apiserver passes on.
 * Values beyond what a double holds exactly are clamped (a limit that large is no limit).
 */
export function queryInt64(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (!/^[+-]?[0-9]+$/.test(v)) throw errors.badRequest(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  const big = BigInt(v);
  if (big > INT64_MAX || big < -INT64_MAX - 1n) throw errors.badRequest(`strconv.ParseInt: parsing ${JSON.stringify(v)}: value out of range`);
  return Math.max(Number.MIN_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, Number(big)));
}

/** A string parameter: its first value, or undefined when absent. */
export function queryString(q: URLSearchParams, name: string): string | undefined {
  return q.get(name) ?? undefined;
}

/**
 * A metav1.Time parameter (PodLogOptions.sinceTime) as Convert_Slice_string_To_Pointer_v1_Time reads
 * it: RFC 3339 (time.RFC3339 accepts fractional seconds too); an empty value is no time.
 * Returns ms since the epoch.
 */
export function queryTime(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(v);
  const t = m ? Date.parse(v.toUpperCase()) : NaN;
  if (!m || Number.isNaN(t)) throw errors.badRequest(`parsing time ${JSON.stringify(v)} as "2006-01-02T15:04:05Z07:00": cannot parse ${JSON.stringify(v)} as "2006"`);
  return t;
}

/**
 * Whether the answer is indented: `?pretty` as strconv.ParseBool reads it (a value it
 * does not know is false), else when the client looks like curl, wget or a browser,
 * as kube-apiserver's negotiation decides (isPrettyPrint).
 */
export function wantsPretty(q: URLSearchParams, userAgent: string | undefined): boolean {
  const p = q.get('pretty');
  if (p !== null && p !== '') return ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(p);
  const ua = userAgent ?? '';
  return ua.startsWith('curl') || ua.startsWith('Wget') || ua.startsWith('Mozilla/5.0');
}
