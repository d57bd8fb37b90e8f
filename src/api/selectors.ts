// Label and field selectors (the `?labelSelector=` / `?fieldSelector=` query
// parameters and the LabelSelector objects inside workloads), plus the label,
// annotation and DNS name validation rules they share. Grammar, canonical string
// form and error messages follow k8s.io/apimachinery (labels, fields, util/validation)
// so that kubectl shows the same errors as against a real cluster.
import type { FieldError } from './types.js';

/** A selector that failed to parse or validate; the message is Kubernetes' wording. */
export class SelectorError extends Error {
  override name = 'SelectorError';
}

// ---------------------------------------------------------------------------
// Name and value validation (k8s.io/apimachinery/pkg/util/validation)

const QNAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QNAME_RE = new RegExp(`^${QNAME_FMT}$`);
const QNAME_MSG = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT = `(${QNAME_FMT})?`;
const LABEL_VALUE_RE = new RegExp(`^${LABEL_VALUE_FMT}$`);
const LABEL_VALUE_MSG = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_LABEL_RE = new RegExp(`^${DNS1123_LABEL_FMT}$`);
const DNS1123_LABEL_MSG = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1123_SUBDOMAIN_RE = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
const DNS1123_SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const maxLenError = (n: number) => `must be no more than ${n} characters`;

/** Kubernetes' regex error text, examples included (the double spaces before "or" are theirs). */
export function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${fmt}')`;
}

/** Problems with a DNS-1123 subdomain (object names, label key prefixes); empty when valid. */
export function validateDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push(maxLenError(253));
  if (!DNS1123_SUBDOMAIN_RE.test(value)) errs.push(regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, 'example.com'));
  return errs;
}

/** Problems with a DNS-1123 label (namespace and service names); empty when valid. */
export function validateDNS1123Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLenError(63));
  if (!DNS1123_LABEL_RE.test(value)) {
    // A valid subdomain that is not a valid label can only be failing on its dots.
    if (DNS1123_SUBDOMAIN_RE.test(value)) errs.push('must not contain dots');
    else errs.push(regexError(DNS1123_LABEL_MSG, DNS1123_LABEL_FMT, 'my-name', '123-abc'));
  }
  return errs;
}

/** Problems with a qualified name ([prefix/]name), the form of label and annotation keys. */
export function validateQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0]!;
  } else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else errs.push(...validateDNS1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [`a qualified name ${regexError(QNAME_MSG, QNAME_FMT, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push(`name part ${maxLenError(63)}`);
  if (!QNAME_RE.test(name)) errs.push(`name part ${regexError(QNAME_MSG, QNAME_FMT, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

/** Problems with a label value (≤ 63 characters, may be empty). */
export function validateLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLenError(63));
  if (!LABEL_VALUE_RE.test(value)) errs.push(regexError(LABEL_VALUE_MSG, LABEL_VALUE_FMT, 'MyValue', 'my_value', '12345'));
  return errs;
}

const invalid = (field: string, value: string, msg: string): FieldError => ({ field, type: 'FieldValueInvalid', message: `${JSON.stringify(value)}: ${msg}` });

/** Validate metadata.labels; errors carry the map's path (as Kubernetes reports them, not per key). */
export function validateLabels(labels: Record<string, string> | undefined | null, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const m of validateQualifiedName(k)) errs.push(invalid(path, k, m));
    if (typeof v !== 'string') continue; // type errors are the schema's business
    for (const m of validateLabelValue(v)) errs.push(invalid(path, v, m));
  }
  return errs;
}

/** Total size of annotation keys plus values allowed on one object (256 KiB). */
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

/** Validate metadata.annotations: keys are qualified names (case-insensitive), total size ≤ 256 KiB. */
export function validateAnnotations(annotations: Record<string, string> | undefined | null, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const m of validateQualifiedName(k.toLowerCase())) errs.push(invalid(path, k, m));
    // Go counts bytes, not UTF-16 units.
    total += Buffer.byteLength(k) + Buffer.byteLength(typeof v === 'string' ? v : '');
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) {
    errs.push({ field: path, type: 'FieldValueTooLong', message: `may not be more than ${TOTAL_ANNOTATION_SIZE_LIMIT} bytes` });
  }
  return errs;
}

// ---------------------------------------------------------------------------
// Label selectors

export type LabelOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

export interface LabelMatcher {
  matches(labels: Record<string, string> | undefined | null): boolean;
  /** True when the selector does not restrict anything (matches every object). */
  empty: boolean;
  /** Canonical form, e.g. `app=web,tier in (a,b),!legacy`. */
  toString(): string;
  /** Parsed requirements, sorted by key; empty for match-all and match-nothing. */
  readonly requirements: readonly LabelRequirement[];
  /** The single value a key must equal, if the selector pins it (for index lookups). */
  requiresExactMatch(key: string): string | undefined;
}

const has = (o: Record<string, string>, k: string) => Object.prototype.hasOwnProperty.call(o, k);

function requirementMatches(r: LabelRequirement, labels: Record<string, string>): boolean {
  switch (r.operator) {
    case '=': case '==': case 'in':
      return has(labels, r.key) && r.values.includes(labels[r.key]!);
    case '!=': case 'notin':
      return !has(labels, r.key) || !r.values.includes(labels[r.key]!);
    case 'exists':
      return has(labels, r.key);
    case '!':
      return !has(labels, r.key);
    case 'gt': case 'lt': {
      if (!has(labels, r.key) || r.values.length !== 1) return false;
      const lv = parseInteger(labels[r.key]!);
      const rv = parseInteger(r.values[0]!);
      if (lv === undefined || rv === undefined) return false;
      return r.operator === 'gt' ? lv > rv : lv < rv;
    }
  }
}

function parseInteger(s: string): bigint | undefined {
  return /^[+-]?\d+$/.test(s) ? BigInt(s) : undefined;
}

function requirementString(r: LabelRequirement): string {
  const vals = () => [...r.values].sort().join(',');
  switch (r.operator) {
    case 'exists': return r.key;
    case '!': return `!${r.key}`;
    case 'in': return `${r.key} in (${vals()})`;
    case 'notin': return `${r.key} notin (${vals()})`;
    case 'gt': return `${r.key}>${vals()}`;
    case 'lt': return `${r.key}<${vals()}`;
    default: return `${r.key}${r.operator}${vals()}`;
  }
}

class RequirementsSelector implements LabelMatcher {
  readonly requirements: readonly LabelRequirement[];
  constructor(reqs: LabelRequirement[]) {
    // Sorted by key (stable) so the string form is deterministic, as Kubernetes does.
    this.requirements = [...reqs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
  get empty(): boolean { return this.requirements.length === 0; }
  matches(labels: Record<string, string> | undefined | null): boolean {
    const l = labels ?? {};
    return this.requirements.every((r) => requirementMatches(r, l));
  }
  toString(): string { return this.requirements.map(requirementString).join(','); }
  requiresExactMatch(key: string): string | undefined {
    const r = this.requirements.find((x) => x.key === key);
    if (r && (r.operator === '=' || r.operator === '==' || r.operator === 'in') && r.values.length === 1) return r.values[0];
    return undefined;
  }
}

/** Matches nothing: what a nil LabelSelector means on a workload. */
const NOTHING: LabelMatcher = {
  matches: () => false,
  empty: false,
  toString: () => '',
  requirements: [],
  requiresExactMatch: () => undefined,
};

/** A selector matching every object. */
export const everything = (): LabelMatcher => new RequirementsSelector([]);
/** A selector matching no object. */
export const nothing = (): LabelMatcher => NOTHING;

/** `field: Invalid value: "v": msg`, Go's field.Error text (a nil path prints as `<nil>`). */
const fieldInvalid = (path: string, value: string, msg: string) => `${path}: Invalid value: ${JSON.stringify(value)}: ${msg}`;

/** Build and validate one requirement; throws with Kubernetes' (aggregated) message. */
export function newRequirement(key: string, operator: LabelOperator, values: string[], keyPath = 'key'): LabelRequirement {
  const errs: string[] = [];
  const keyErrs = validateQualifiedName(key);
  if (keyErrs.length) errs.push(fieldInvalid(keyPath, key, keyErrs.join('; ')));
  const vs = JSON.stringify(values);
  switch (operator) {
    case 'in': case 'notin':
      if (values.length === 0) errs.push(`values: Invalid value: ${vs}: for 'in', 'notin' operators, values set can't be empty`);
      break;
    case '=': case '==': case '!=':
      if (values.length !== 1) errs.push(`values: Invalid value: ${vs}: exact-match compatibility requires one single value`);
      break;
    case 'exists': case '!':
      if (values.length !== 0) errs.push(`values: Invalid value: ${vs}: values set must be empty for exists and does not exist`);
      break;
    case 'gt': case 'lt':
      if (values.length !== 1) errs.push(`values: Invalid value: ${vs}: for 'Gt', 'Lt' operators, exactly one value is required`);
      values.forEach((v, i) => {
        if (parseInteger(v) === undefined) errs.push(fieldInvalid(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
  }
  values.forEach((v, i) => {
    const m = validateLabelValue(v);
    if (m.length) errs.push(fieldInvalid(`values[${i}][${key}]`, v, m.join('; ')));
  });
  const unique = [...new Set(errs)];
  if (unique.length === 1) throw new SelectorError(unique[0]);
  if (unique.length > 1) throw new SelectorError(`[${unique.join(', ')}]`);
  return { key, operator, values };
}

// --- the string grammar: lexer + recursive descent, same tokens as apimachinery

type Tok = 'err' | 'eos' | ')' | ',' | '!' | '==' | '=' | '>' | 'id' | 'in' | '<' | '!=' | 'notin' | '(';
interface Item { tok: Tok; lit: string }
const KEYWORDS = new Map<string, Tok>([[')', ')'], [',', ','], ['!', '!'], ['==', '=='], ['=', '='], ['>', '>'], ['in', 'in'], ['<', '<'], ['!=', '!='], ['notin', 'notin'], ['(', '(']]);
const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isSpecial = (c: string) => '=!(),><'.includes(c);

function lex(s: string): Item[] {
  const items: Item[] = [];
  let i = 0;
  for (;;) {
    while (i < s.length && isSpace(s[i]!)) i++;
    if (i >= s.length) { items.push({ tok: 'eos', lit: '' }); return items; }
    if (isSpecial(s[i]!)) {
      // Longest run of special characters that still forms an operator ("!=", "==").
      let buf = '';
      let last: Item | undefined;
      while (i < s.length && isSpecial(s[i]!)) {
        buf += s[i];
        const t = KEYWORDS.get(buf);
        if (t) { last = { tok: t, lit: buf }; i++; } else if (last) break; else i++;
      }
      items.push(last ?? { tok: 'err', lit: `error expected: keyword found '${buf}'` });
    } else {
      let buf = '';
      while (i < s.length && !isSpecial(s[i]!) && !isSpace(s[i]!)) buf += s[i++];
      items.push({ tok: KEYWORDS.get(buf) ?? 'id', lit: buf });
    }
  }
}

class Parser {
  private pos = 0;
  constructor(private items: Item[]) {}
  // In value position the keywords `in`/`notin` are ordinary identifiers ("x in (in)").
  private asValue(it: Item): Item { return it.tok === 'in' || it.tok === 'notin' ? { tok: 'id', lit: it.lit } : it; }
  peek(values = true): Item { const it = this.items[this.pos]!; return values ? this.asValue(it) : it; }
  next(values = true): Item { const it = this.items[this.pos++]!; return values ? this.asValue(it) : it; }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    for (;;) {
      const { tok, lit } = this.peek();
      if (tok === 'eos') return reqs;
      if (tok !== 'id' && tok !== '!') throw new SelectorError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      try {
        reqs.push(this.requirement());
      } catch (e) {
        throw new SelectorError(`unable to parse requirement: ${(e as Error).message}`);
      }
      const t = this.next();
      if (t.tok === 'eos') return reqs;
      if (t.tok !== ',') throw new SelectorError(`found '${t.lit}', expected: ',' or 'end of string'`);
      const t2 = this.peek();
      if (t2.tok !== 'id' && t2.tok !== '!') throw new SelectorError(`found '${t2.lit}', expected: identifier after ','`);
    }
  }

  private requirement(): LabelRequirement {
    let op: LabelOperator | undefined;
    let t = this.next();
    if (t.tok === '!') { op = '!'; t = this.next(); }
    if (t.tok !== 'id') throw new SelectorError(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    const keyErrs = validateQualifiedName(key);
    if (keyErrs.length) throw new SelectorError(fieldInvalid('<nil>', key, keyErrs.join('; ')));
    // `!key` is complete by itself; anything after it is left for the caller to reject.
    if (op === '!') return newRequirement(key, '!', []);
    const after = this.peek().tok;
    if (after === 'eos' || after === ',') return newRequirement(key, 'exists', []);
    const o = this.next(false);
    const ops: Partial<Record<Tok, LabelOperator>> = { in: 'in', notin: 'notin', '=': '=', '==': '==', '!=': '!=', '>': 'gt', '<': 'lt' };
    const operator = ops[o.tok];
    if (!operator) throw new SelectorError(`found '${o.lit}', expected: '=', '!=', '==', 'in', notin'`);
    const values = operator === 'in' || operator === 'notin' ? this.valueSet() : this.exactValue();
    return newRequirement(key, operator, [...values].sort());
  }

  private valueSet(): Set<string> {
    const open = this.next();
    if (open.tok !== '(') throw new SelectorError(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.peek();
    if (tok === ')') { this.next(); return new Set(['']); }
    if (tok !== 'id' && tok !== ',') throw new SelectorError(`found '${lit}', expected: ',', ')' or identifier`);
    const s = this.identifiers();
    if (this.next().tok !== ')') throw new SelectorError(`found '${lit}', expected: ')'`);
    return s;
  }

  // A possibly empty, comma separated list of possibly empty values: "(a,,b)", "(,a)".
  private identifiers(): Set<string> {
    const s = new Set<string>();
    for (;;) {
      const t = this.next();
      if (t.tok === 'id') {
        s.add(t.lit);
        const t2 = this.peek();
        if (t2.tok === ',') continue;
        if (t2.tok === ')') return s;
        throw new SelectorError(`found '${t2.lit}', expected: ',' or ')'`);
      } else if (t.tok === ',') {
        if (s.size === 0) s.add('');
        const t2 = this.peek();
        if (t2.tok === ')') { s.add(''); return s; }
        if (t2.tok === ',') { this.next(); s.add(''); }
      } else {
        throw new SelectorError(`found '${t.lit}', expected: ',', or identifier`);
      }
    }
  }

  private exactValue(): Set<string> {
    const { tok } = this.peek();
    if (tok === 'eos' || tok === ',') return new Set(['']);
    const t = this.next();
    if (t.tok === 'id') return new Set([t.lit]);
    throw new SelectorError(`found '${t.lit}', expected: identifier`);
  }
}

/** Parse a `labelSelector` query string. The empty string selects everything. */
export function parseLabelSelector(s: string): LabelMatcher {
  return new RequirementsSelector(new Parser(lex(s)).parse());
}

export interface LabelSelectorObject {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: { key: string; operator: string; values?: string[] | null }[] | null;
}

const EXPR_OPS: Record<string, LabelOperator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/**
 * The matcher for a metav1.LabelSelector object. As in Kubernetes, a null or
 * absent selector matches NOTHING, while an empty one (`{}`) matches EVERYTHING.
 * Throws SelectorError for unknown operators or invalid keys/values.
 */
export function selectorFromLabelSelector(sel: LabelSelectorObject | undefined | null): LabelMatcher {
  if (sel === undefined || sel === null) return NOTHING;
  const ml = Object.entries(sel.matchLabels ?? {});
  const exprs = sel.matchExpressions ?? [];
  if (ml.length + exprs.length === 0) return everything();
  const reqs: LabelRequirement[] = ml.map(([k, v]) => newRequirement(k, '=', [v]));
  for (const e of exprs) {
    const op = Object.prototype.hasOwnProperty.call(EXPR_OPS, e.operator) ? EXPR_OPS[e.operator] : undefined;
    if (!op) throw new SelectorError(`${JSON.stringify(e.operator)} is not a valid label selector operator`);
    reqs.push(newRequirement(e.key, op, [...(e.values ?? [])]));
  }
  return new RequirementsSelector(reqs);
}

/** Equality selector for a plain label map (Service selectors, matchLabels); empty map selects everything. */
export function selectorFromSet(set: Record<string, string> | undefined | null): LabelMatcher {
  return new RequirementsSelector(Object.entries(set ?? {}).map(([key, v]) => ({ key, operator: '=' as const, values: [v] })));
}

/** Canonical string of a LabelSelector object, as in Scale status.selector ("" for null or empty). */
export function labelSelectorToString(sel: LabelSelectorObject | undefined | null): string {
  return selectorFromLabelSelector(sel).toString();
}

/** For table columns: like labelSelectorToString but "<none>" when empty and "<error>" when invalid. */
export function formatLabelSelector(sel: LabelSelectorObject | undefined | null): string {
  try {
    return labelSelectorToString(sel) || '<none>';
  } catch {
    return '<error>';
  }
}

/** "a=1,b=2" with sorted keys, "<none>" for an empty map (Service selector, node selector columns). */
export function formatLabels(labels: Record<string, string> | undefined | null): string {
  const s = Object.keys(labels ?? {}).sort().map((k) => `${k}=${labels![k]}`).join(',');
  return s || '<none>';
}

// ---------------------------------------------------------------------------
// Field selectors

export interface FieldRequirement {
  field: string;
  operator: '=' | '==' | '!=';
  value: string;
}

export interface FieldMatcher {
  /** `get` returns the object's value for a field path; undefined counts as "". */
  matches(get: (field: string) => string | undefined): boolean;
  /** Field paths the selector mentions; the caller rejects those its kind does not support. */
  fields(): string[];
  empty: boolean;
  readonly requirements: readonly FieldRequirement[];
  toString(): string;
  /** The value a field must equal, if pinned (e.g. metadata.name=x, spec.nodeName=n). */
  requiresExactMatch(field: string): string | undefined;
}

/** Escape `\`, `,` and `=` in a field selector value. */
export const escapeFieldValue = (v: string) => v.replace(/[\\,=]/g, (c) => `\\${c}`);

function unescapeFieldValue(s: string): string {
  let out = '';
  let slash = false;
  for (const c of s) {
    if (slash) {
      if (c !== '\\' && c !== ',' && c !== '=') throw new SelectorError(`invalid field selector: invalid escape sequence: \\${c}`);
      out += c;
      slash = false;
    } else if (c === '\\') {
      slash = true;
    } else if (c === ',' || c === '=') {
      // Go prints the rune with %v, i.e. as its code point number.
      throw new SelectorError(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else {
      out += c;
    }
  }
  if (slash) throw new SelectorError('invalid field selector: invalid escape sequence: \\');
  return out;
}

/** Split on commas that are not escaped with a backslash. */
function splitTerms(s: string): string[] {
  if (s === '') return [];
  const terms: string[] = [];
  let start = 0;
  let slash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (slash) slash = false;
    else if (c === '\\') slash = true;
    else if (c === ',') { terms.push(s.slice(start, i)); start = i + 1; }
  }
  terms.push(s.slice(start));
  return terms;
}

/** Parse a `fieldSelector` query string (`=`, `==`, `!=`, comma = AND). */
export function parseFieldSelector(s: string): FieldMatcher {
  const reqs: FieldRequirement[] = [];
  // Kubernetes sorts the raw terms first, which fixes the canonical order.
  for (const term of splitTerms(s).sort()) {
    if (term === '') continue;
    let found: FieldRequirement | undefined;
    for (let i = 0; i < term.length && !found; i++) {
      for (const op of ['!=', '==', '='] as const) {
        if (term.startsWith(op, i)) {
          found = { field: term.slice(0, i), operator: op, value: unescapeFieldValue(term.slice(i + op.length)) };
          break;
        }
      }
    }
    if (!found) throw new SelectorError(`invalid selector: '${s}'; can't understand '${term}'`);
    reqs.push(found);
  }
  return {
    requirements: reqs,
    empty: reqs.length === 0,
    matches: (get) => reqs.every((r) => ((get(r.field) ?? '') === r.value) !== (r.operator === '!=')),
    fields: () => [...new Set(reqs.map((r) => r.field))],
    toString: () => reqs.map((r) => `${r.field}${r.operator === '!=' ? '!=' : '='}${escapeFieldValue(r.value)}`).join(','),
    requiresExactMatch: (field) => reqs.find((r) => r.field === field && r.operator !== '!=')?.value,
  };
}
