// Kubernetes' CEL libraries (k8s.io/apiserver/pkg/cel/library) over
// @bufbuild/cel: lists, regex, URLs, quantities and sets, beside the standard
// functions and the strings extension @bufbuild/cel brings. A URL or a
// quantity is a map holding its parsed parts under a key no object field can
// have ("@url", "@quantity"): @bufbuild/cel has no opaque value types.
// docs/admission.md lists what is there and what is not.
import { celFunc, celList, celMap, celMethod, CelScalar, isCelList, isCelMap, listType, mapType, type CelFunc, type CelInput, type CelList, type CelMap, type CelValue } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { plan, parse, celEnv, isCelError } from '@bufbuild/cel';
import { charge } from './cost.js';

const DYN = CelScalar.DYN;
const STRING = CelScalar.STRING;
const INT = CelScalar.INT;
const BOOL = CelScalar.BOOL;
const DOUBLE = CelScalar.DOUBLE;
const LIST = listType(DYN);
const MAP = mapType(STRING, DYN);

/** CEL ordering of two values of one kind (ints, doubles, strings, bools); throws for others, as cel-go's no such overload. */
function compare(a: CelValue, b: CelValue, fn: string): number {
  const num = (x: CelValue) => (typeof x === 'bigint' || typeof x === 'number');
  if (num(a) && num(b)) return Number(a) < Number(b) ? -1 : Number(a) > Number(b) ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  throw new Error(`no such overload: ${fn}`);
}

function equal(a: CelValue, b: CelValue): boolean {
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) return Number(a) === Number(b);
  if (isCelList(a) && isCelList(b)) return a.size === b.size && [...a].every((x, i) => equal(x, b.get(i)!));
  if (isCelMap(a) && isCelMap(b)) return a.size === b.size && [...a].every(([k, x]) => b.has(k) && equal(x, b.get(k)!));
  return a === b;
}

// ---------------------------------------------------------------- lists (library.Lists)

const lists: CelFunc[] = [
  celMethod('isSorted', LIST, [], BOOL, function () {
    const a = [...this];
    charge(a.length);
    for (let i = 1; i < a.length; i++) if (compare(a[i - 1], a[i], 'isSorted') > 0) return false;
    return true;
  }),
  celMethod('sum', LIST, [], DYN, function () {
    const a = [...this];
    charge(a.length);
    if (a.length === 0) return 0n;
    if (a.every((x) => typeof x === 'bigint')) return (a as bigint[]).reduce((s, x) => s + x, 0n);
    if (a.every((x) => typeof x === 'number')) return (a as number[]).reduce((s, x) => s + x, 0);
    throw new Error('no such overload: sum');
  }),
  celMethod('min', LIST, [], DYN, function () {
    const a = [...this];
    charge(a.length);
    if (a.length === 0) throw new Error('min called on empty list');
    return a.reduce((m, x) => (compare(x, m, 'min') < 0 ? x : m));
  }),
  celMethod('max', LIST, [], DYN, function () {
    const a = [...this];
    charge(a.length);
    if (a.length === 0) throw new Error('max called on empty list');
    return a.reduce((m, x) => (compare(x, m, 'max') > 0 ? x : m));
  }),
  celMethod('indexOf', LIST, [DYN], INT, function (x) {
    const a = [...this];
    charge(a.length);
    return BigInt(a.findIndex((y) => equal(y, x)));
  }),
  celMethod('lastIndexOf', LIST, [DYN], INT, function (x) {
    const a = [...this];
    charge(a.length);
    for (let i = a.length - 1; i >= 0; i--) if (equal(a[i], x)) return BigInt(i);
    return -1n;
  }),
];

// ---------------------------------------------------------------- sets (cel-go ext.Sets)

const sets: CelFunc[] = [
  celFunc('sets.contains', [LIST, LIST], BOOL, (a, b) => { charge(a.size * b.size); return [...b].every((y) => [...a].some((x) => equal(x, y))); }),
  celFunc('sets.equivalent', [LIST, LIST], BOOL, (a, b) => {
    charge(a.size * b.size);
    return [...b].every((y) => [...a].some((x) => equal(x, y))) && [...a].every((x) => [...b].some((y) => equal(x, y)));
  }),
  celFunc('sets.intersects', [LIST, LIST], BOOL, (a, b) => { charge(a.size * b.size); return [...a].some((x) => [...b].some((y) => equal(x, y))); }),
];

// ---------------------------------------------------------------- regex (library.Regex)

/**
 * RE2 syntax is checked by RE2 itself; finding the match uses the JS engine on
 * a bounded input, since @bufbuild/re2 answers only whether a pattern matches.
 */
const MAX_FIND_INPUT = 64 * 1024;
/** RE2's own syntax check: the standard `matches`, which compiles with @bufbuild/re2. */
const re2Check = plan(celEnv(), parse("''.matches(p)"));
const jsRegex = new Map<string, RegExp>();
function findRegex(pattern: string): RegExp {
  let re = jsRegex.get(pattern);
  if (re) return re;
  const checked = re2Check({ p: pattern });
  if (isCelError(checked)) throw checked; // an RE2 syntax error, in RE2's words
  re = new RegExp(pattern, 'gu');
  if (jsRegex.size > 256) jsRegex.clear();
  jsRegex.set(pattern, re);
  return re;
}
function matchesIn(s: string, pattern: string, limit: number): string[] {
  if (s.length > MAX_FIND_INPUT) throw new Error(`string too long for regex find: ${s.length} characters`);
  charge(s.length);
  const re = findRegex(pattern);
  const out: string[] = [];
  re.lastIndex = 0;
  for (let m = re.exec(s); m && (limit < 0 || out.length < limit); m = re.exec(s)) {
    out.push(m[0]);
    if (m[0] === '') re.lastIndex++;
  }
  return out;
}
const regex: CelFunc[] = [
  celMethod('find', STRING, [STRING], STRING, function (p) { return matchesIn(this, p, 1)[0] ?? ''; }),
  celMethod('findAll', STRING, [STRING], LIST, function (p) { return celList(matchesIn(this, p, -1)); }),
  celMethod('findAll', STRING, [STRING, INT], LIST, function (p, n) { return celList(matchesIn(this, p, Number(n))); }),
];

// ---------------------------------------------------------------- URLs (library.URLs)

const URL_KEY = '@url';
function parseURL(s: string): URL {
  // url.ParseRequestURI: absolute URIs or absolute paths; Go accepts a path, JS needs a base.
  if (s.startsWith('/')) return new URL(s, 'nodeless-path:/');
  const u = new URL(s);
  return u;
}
const urlOf = (m: CelMap): URL => {
  const raw = m.get(URL_KEY);
  if (typeof raw !== 'string') throw new Error('no such overload: not a URL');
  return parseURL(raw);
};
const urls: CelFunc[] = [
  celFunc('url', [STRING], MAP, (s) => {
    try { parseURL(s); } catch { throw new Error(`URL parse error during conversion from string: parse "${s}": invalid URI for request`); }
    return celMap(new Map<string, CelInput>([[URL_KEY, s]]));
  }),
  celFunc('isURL', [STRING], BOOL, (s) => { try { parseURL(s); return true; } catch { return false; } }),
  celMethod('getScheme', MAP, [], STRING, function () { const u = urlOf(this); return u.protocol === 'nodeless-path:' ? '' : u.protocol.replace(/:$/, ''); }),
  celMethod('getHost', MAP, [], STRING, function () { const u = urlOf(this); return u.protocol === 'nodeless-path:' ? '' : u.host; }),
  celMethod('getHostname', MAP, [], STRING, function () { const u = urlOf(this); return u.protocol === 'nodeless-path:' ? '' : u.hostname.replace(/^\[|\]$/g, ''); }),
  celMethod('getPort', MAP, [], STRING, function () { return urlOf(this).port; }),
  celMethod('getEscapedPath', MAP, [], STRING, function () { return urlOf(this).pathname; }),
  celMethod('getQuery', MAP, [], MAP, function () {
    const q = new Map<string, CelInput>();
    for (const [k, v] of urlOf(this).searchParams) q.set(k, celList([...((q.get(k) as CelList | undefined) ?? []), v] as CelInput[]));
    return celMap(q);
  }),
];

// ---------------------------------------------------------------- quantities (library.Quantity)

const QTY_KEY = '@quantity';
const QTY_RE = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/;
const SUFFIX: Record<string, number> = {
  '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, Pi: 1024 ** 5, Ei: 1024 ** 6,
};
function quantityValue(s: string): number | undefined {
  const m = QTY_RE.exec(s);
  return m ? Number(m[1] + (m[2] ?? '')) * SUFFIX[m[3] ?? ''] : undefined;
}
const qty = (s: string) => celMap(new Map<string, CelInput>([[QTY_KEY, s]]));
const qv = (m: CelMap): number => {
  const s = m.get(QTY_KEY);
  const v = typeof s === 'string' ? quantityValue(s) : undefined;
  if (v === undefined) throw new Error('no such overload: not a quantity');
  return v;
};
/** A number as a quantity string: whole numbers plain, others in milli-units (what Quantity.String would print in most cases). */
const qtyString = (n: number) => (Number.isInteger(n) ? String(n) : `${Math.round(n * 1000)}m`);
const quantities: CelFunc[] = [
  celFunc('quantity', [STRING], MAP, (s) => {
    if (quantityValue(s) === undefined) throw new Error('quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'');
    return qty(s);
  }),
  celFunc('isQuantity', [STRING], BOOL, (s) => quantityValue(s) !== undefined),
  celMethod('sign', MAP, [], INT, function () { return BigInt(Math.sign(qv(this))); }),
  celMethod('isInteger', MAP, [], BOOL, function () { const v = qv(this); return Number.isInteger(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER; }),
  celMethod('asInteger', MAP, [], INT, function () {
    const v = qv(this);
    if (!Number.isInteger(v) || Math.abs(v) > Number.MAX_SAFE_INTEGER) throw new Error('cannot convert value to integer');
    return BigInt(v);
  }),
  celMethod('asApproximateFloat', MAP, [], DOUBLE, function () { return qv(this); }),
  celMethod('compareTo', MAP, [MAP], INT, function (o) { return BigInt(Math.sign(qv(this) - qv(o))); }),
  celMethod('isLessThan', MAP, [MAP], BOOL, function (o) { return qv(this) < qv(o); }),
  celMethod('isGreaterThan', MAP, [MAP], BOOL, function (o) { return qv(this) > qv(o); }),
  celMethod('add', MAP, [MAP], MAP, function (o) { return qty(qtyString(qv(this) + qv(o))); }),
  celMethod('add', MAP, [INT], MAP, function (n) { return qty(qtyString(qv(this) + Number(n))); }),
  celMethod('sub', MAP, [MAP], MAP, function (o) { return qty(qtyString(qv(this) - qv(o))); }),
  celMethod('sub', MAP, [INT], MAP, function (n) { return qty(qtyString(qv(this) - Number(n))); }),
];

/** Every function an expression may call beyond the standard ones. */
export const KUBERNETES_LIBRARY: CelFunc[] = [...strings, ...lists, ...sets, ...regex, ...urls, ...quantities];

/** The cel-go macros: parsed into comprehensions or presence tests, never called by name. */
export const MACROS = new Set(['has', 'all', 'exists', 'exists_one', 'map', 'filter']);
