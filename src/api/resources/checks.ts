// Field checks Kubernetes' validation shares between kinds (k8s.io/apimachinery validation,
// pkg/apis/core and apps validation), with its messages. Values are shown as Go's field errors
// show them: numbers plainly, strings quoted, IntOrString as Go's %#v of the struct.
// docs/validation.md lists which kind checks what.
import type { FieldError } from '../types.js';
import { regexError, validateDNS1123Label } from '../selectors.js';

const invalid = (field: string, shown: string, detail: string): FieldError => ({ field, type: 'FieldValueInvalid', message: `${shown}: ${detail}` });

/** ValidateNonnegativeField: `<field>: Invalid value: -1: must be greater than or equal to 0`. */
export function nonNegative(v: unknown, field: string): FieldError[] {
  return typeof v === 'number' && v < 0 ? [invalid(field, String(v), 'must be greater than or equal to 0')] : [];
}

/** Strictly positive (leases, probe grace periods): `must be greater than 0`. */
export function positive(v: unknown, field: string): FieldError[] {
  return typeof v === 'number' && v <= 0 ? [invalid(field, String(v), 'must be greater than 0')] : [];
}

/** validation.InclusiveRangeError. */
export const inclusiveRange = (lo: number, hi: number) => `must be between ${lo} and ${hi}, inclusive`;

/** Go's %#v of an intstr.IntOrString, the way field errors print one. */
export function showIntOrString(v: number | string): string {
  return typeof v === 'string' ? `intstr.IntOrString{Type:1, IntVal:0, StrVal:${JSON.stringify(v)}}` : `intstr.IntOrString{Type:0, IntVal:${v}, StrVal:""}`;
}

const PERCENT_FMT = '[0-9]+%';
const PERCENT_RE = new RegExp(`^${PERCENT_FMT}$`);
const percentError = regexError("a valid percent string must be a numeric string followed by an ending '%'", PERCENT_FMT, '1%', '93%');

/** A percentage's number, when `v` is a valid percent string. */
function percentOf(v: unknown): number | undefined {
  return typeof v === 'string' && PERCENT_RE.test(v) ? Number(v.slice(0, -1)) : undefined;
}

/** getIntOrPercentValue: a percent's number, an int, or a string's Atoi (0 when it is not a number). */
export function intOrPercentValue(v: unknown): number {
  const p = percentOf(v);
  if (p !== undefined) return p;
  if (typeof v === 'number') return v;
  return typeof v === 'string' && /^[+-]?[0-9]+$/.test(v) ? Number(v) : 0;
}

/** ValidatePositiveIntOrPercent: a non-negative int or a percent string. */
export function positiveIntOrPercent(v: unknown, field: string): FieldError[] {
  if (typeof v === 'string') return PERCENT_RE.test(v) ? [] : [invalid(field, showIntOrString(v), percentError)];
  if (typeof v === 'number') return nonNegative(v, field);
  return [];
}

/** IsNotMoreThan100Percent. */
export function notMoreThan100Percent(v: unknown, field: string): FieldError[] {
  const p = percentOf(v);
  return p !== undefined && p > 100 ? [invalid(field, showIntOrString(v as string), 'must not be greater than 100%')] : [];
}

/** IsValidPortName's messages, empty when valid. */
export function portNameErrors(name: string): string[] {
  const errs: string[] = [];
  if (name.length > 15) errs.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(name)) errs.push('must contain at least one letter (a-z)');
  if (name.includes('--')) errs.push('must not contain consecutive hyphens');
  if (name.length > 0 && (name.startsWith('-') || name.endsWith('-'))) errs.push('must not begin or end with a hyphen');
  return errs;
}

/** ValidatePortNumOrName: 1..65535, or an IANA_SVC_NAME. */
export function portNumOrName(v: unknown, field: string): FieldError[] {
  if (typeof v === 'number') return v >= 1 && v <= 65535 ? [] : [invalid(field, String(v), inclusiveRange(1, 65535))];
  if (typeof v === 'string') return portNameErrors(v).map((m) => invalid(field, JSON.stringify(v), m));
  return [];
}

/** ValidateDNS1123Label as a field error per message. */
export function dns1123Label(v: string, field: string): FieldError[] {
  return validateDNS1123Label(v).map((m) => invalid(field, JSON.stringify(v), m));
}

/** validateLocalDescendingPath: relative, and no `..` element. */
export function localDescendingPath(p: string, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (p.startsWith('/')) errs.push(invalid(field, JSON.stringify(p), 'must be a relative path'));
  errs.push(...noBacksteps(p, field));
  return errs;
}

/** validatePathNoBacksteps: one error is enough, even for `../../..`. */
export function noBacksteps(p: string, field: string): FieldError[] {
  return p.split('/').includes('..') ? [invalid(field, JSON.stringify(p), "must not contain '..'")] : [];
}

/** ValidateLocalNonReservedPath: a descending path that does not start with `..` either (kubelet's `..data`). */
export function localNonReservedPath(p: string, field: string): FieldError[] {
  const errs = localDescendingPath(p, field);
  if (p.startsWith('..') && !p.startsWith('../')) errs.push(invalid(field, JSON.stringify(p), "must not start with '..'"));
  return errs;
}

const CONFIG_KEY_FMT = '[-._a-zA-Z0-9]+';
const CONFIG_KEY_RE = new RegExp(`^${CONFIG_KEY_FMT}$`);

/** IsConfigMapKey (ConfigMap and Secret keys, which become file names in volumes). */
export function configMapKey(key: string, field: string): FieldError[] {
  const msgs: string[] = [];
  if (key.length > 253) msgs.push('must be no more than 253 characters');
  if (!CONFIG_KEY_RE.test(key)) msgs.push(regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", CONFIG_KEY_FMT, 'key.name', 'KEY_NAME', 'key-name'));
  if (key === '.') msgs.push("must not be '.'");
  else if (key === '..') msgs.push("must not be '..'");
  else if (key.startsWith('..')) msgs.push("must not start with '..'");
  return msgs.map((m) => invalid(field, JSON.stringify(key), m));
}
