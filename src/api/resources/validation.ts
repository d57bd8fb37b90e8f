// Field errors in the words of k8s.io/apimachinery's field package and the
// validators the kinds of src/api/resources/{rbac,networking,admissionregistration,
// certificates,flowcontrol,apiregistration}.ts share (apimachinery/pkg/util/validation,
// apis/meta/v1/validation). A value is shown as field.Error shows it: strings
// quoted, numbers and booleans plain, other values as Go's %#v would print them
// (docs/validation.md).
import type { FieldError } from '../types.js';
import { portNameErrors } from './checks.js';
import { regexError, validateDNS1123Label, validateDNS1123Subdomain, validateLabels, validateLabelValue, validateQualifiedName } from '../selectors.js';

/** Go's %#v of a []string: `[]string{"a", "b"}`, `[]string(nil)` for none. */
export function goStrings(v: unknown, type = 'string'): string {
  if (!Array.isArray(v)) return `[]${type}(nil)`;
  return `[]${type}{${v.map((s) => JSON.stringify(String(s))).join(', ')}}`;
}

/** How field.Error shows a scalar value (%q for strings, %v for numbers and booleans, null for none). */
export function goScalar(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

export const required = (field: string, message = ''): FieldError => ({ field, type: 'FieldValueRequired', message });
export const forbidden = (field: string, message: string): FieldError => ({ field, type: 'FieldValueForbidden', message });
/** field.Invalid with the value already shown as Go shows it. */
export const invalidShown = (field: string, shown: string, message: string): FieldError => ({ field, type: 'FieldValueInvalid', message: `${shown}: ${message}` });
/** field.Invalid of a scalar value. */
export const invalid = (field: string, value: unknown, message: string): FieldError => invalidShown(field, goScalar(value), message);
export const duplicate = (field: string, value: unknown): FieldError => ({ field, type: 'FieldValueDuplicate', message: goScalar(value) });
/** field.NotSupported: the value, then the supported values quoted and in the order given. */
export const notSupported = (field: string, value: unknown, supported: string[]): FieldError => ({
  field, type: 'FieldValueNotSupported', message: `${goScalar(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
});
export const tooLong = (field: string, max: number): FieldError => ({ field, type: 'FieldValueTooLong', message: `must have at most ${max} bytes` });

/** A JSON array, or [] for anything else (a list field left out decodes to nil in Go). */
export const list = (v: unknown): any[] => (Array.isArray(v) ? v : []);
/** A string field as Go decodes it: "" when absent. */
export const str = (v: unknown): string => (typeof v === 'string' ? v : '');

const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const DNS1035_LABEL_RE = new RegExp(`^${DNS1035_LABEL_FMT}$`);

/** IsDNS1035Label (API versions, admission review versions). */
export function isDNS1035Label(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push('must be no more than 63 characters');
  if (!DNS1035_LABEL_RE.test(v)) {
    errs.push(regexError("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character", DNS1035_LABEL_FMT, 'my-name', 'abc-123'));
  }
  return errs;
}

const WILDCARD_DNS1123_FMT = `\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*`;
const WILDCARD_DNS1123_RE = new RegExp(`^${WILDCARD_DNS1123_FMT}$`);

/** IsWildcardDNS1123Subdomain (Ingress hosts such as `*.example.com`). */
export function isWildcardDNS1123Subdomain(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 253) errs.push('must be no more than 253 characters');
  if (!WILDCARD_DNS1123_RE.test(v)) {
    errs.push(regexError("a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character", WILDCARD_DNS1123_FMT, '*.example.com'));
  }
  return errs;
}

/** IsValidPortNum. */
export const isValidPortNum = (n: number): string[] => (Number.isInteger(n) && n >= 1 && n <= 65535 ? [] : ['must be between 1 and 65535, inclusive']);

/** IsValidPortName (IANA_SVC_NAME). */
export const isValidPortName = portNameErrors;

/** IsFullyQualifiedName: a DNS subdomain with at least three segments (webhook names). */
export function isFullyQualifiedName(field: string, name: string): FieldError[] {
  if (name.length === 0) return [required(field, '')];
  const msgs = validateDNS1123Subdomain(name);
  if (msgs.length) return [invalid(field, name, msgs.join(','))];
  if (name.split('.').length < 3) return [invalid(field, name, 'should be a domain with at least three segments separated by dots')];
  return [];
}

const HTTP_PATH_FMT = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+";
const HTTP_PATH_RE = new RegExp(`^${HTTP_PATH_FMT}$`);

/** IsDomainPrefixedPath (an IngressClass controller: `example.com/ingress-controller`). */
export function isDomainPrefixedPath(field: string, dpPath: string): FieldError[] {
  if (dpPath.length === 0) return [required(field, '')];
  const i = dpPath.indexOf('/');
  const host = i < 0 ? dpPath : dpPath.slice(0, i);
  const p = i < 0 ? '' : dpPath.slice(i + 1);
  if (i < 0 || host.length === 0 || p.length === 0) return [invalid(field, dpPath, 'must be a domain-prefixed path (such as "acme.io/foo")')];
  const errs = validateDNS1123Subdomain(host).map((m) => invalid(field, host, m));
  if (!HTTP_PATH_RE.test(p)) errs.push(invalid(field, p, regexError('Invalid path', HTTP_PATH_FMT)));
  return errs;
}

/** ValidatePathSegmentName's messages (names that would break a URL path). */
export function pathSegmentErrors(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  return ['/', '%'].filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`);
}

/** ValidateLabelName: a qualified name. */
const labelName = (key: string, field: string): FieldError[] => validateQualifiedName(key).map((m) => invalid(field, key, m));

/** metav1validation.ValidateLabelSelector (strict: label values must be valid). */
export function validateLabelSelector(sel: any, field: string): FieldError[] {
  if (!sel || typeof sel !== 'object') return [];
  const errs: FieldError[] = [];
  if (sel.matchLabels && typeof sel.matchLabels === 'object') {
    // ValidateLabels reports each problem on the map's path, not on the key's.
    errs.push(...validateLabels(sel.matchLabels, `${field}.matchLabels`));
  }
  list(sel.matchExpressions).forEach((r: any, i: number) => {
    const p = `${field}.matchExpressions[${i}]`;
    const values = list(r?.values);
    switch (r?.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) errs.push(required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) errs.push(forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      default:
        errs.push(invalid(`${p}.operator`, str(r?.operator), 'not a valid selector operator'));
    }
    errs.push(...labelName(str(r?.key), `${p}.key`));
    values.forEach((v: unknown, j: number) => {
      for (const m of validateLabelValue(str(v))) errs.push(invalid(`${p}.values[${j}]`, str(v), m));
    });
  });
  return errs;
}

/** NameIsDNSSubdomain as field errors. */
export const dnsSubdomain = (v: string, field: string): FieldError[] => validateDNS1123Subdomain(v).map((m) => invalid(field, v, m));
/** NameIsDNSLabel as field errors. */
export const dnsLabel = (v: string, field: string): FieldError[] => validateDNS1123Label(v).map((m) => invalid(field, v, m));

/** A Go-style %#v of a LabelSelector's String(): what printers show for a paramRef selector. */
export function goLabelSelectorString(sel: any): string {
  const ml = sel?.matchLabels && typeof sel.matchLabels === 'object' ? Object.keys(sel.matchLabels).sort() : [];
  const labels = ml.map((k) => `${k}: ${sel.matchLabels[k]},`).join('');
  const exprs = list(sel?.matchExpressions).map((e: any) => `LabelSelectorRequirement{Key:${str(e?.key)},Operator:${str(e?.operator)},Values:[${list(e?.values).join(' ')}],}`).join(',');
  return `&LabelSelector{MatchLabels:map[string]string{${labels}},MatchExpressions:[]LabelSelectorRequirement{${exprs}},}`;
}
