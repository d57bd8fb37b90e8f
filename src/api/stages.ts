// kwok's Stage (kwok.x-k8s.io/v1alpha1, docs/stages.md), compiled: its
// selector (matchLabels, matchAnnotations, matchExpressions whose keys are jq
// paths), its weight, its delay (fixed or read from the object, with jitter),
// and its next step (statusTemplate, patches, finalizers, event, delete).
// Compiling is validating: a Stage that does not compile is refused (422)
// with the field that is wrong.
import YAML from 'yaml';
import type { FieldError, KubeObject } from './types.js';
import { parseGoDuration } from './duration.js';
import { GoTemplate, TemplateError } from '../util/gotemplate.js';
import { JqError, JqQuery, asText } from '../util/jqpath.js';

export const STAGE_GROUP = 'kwok.x-k8s.io';
export const STAGE_VERSION = 'v1alpha1';
const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];
const PATCH_TYPES = ['merge', 'json', 'strategic'];

interface Expression { query: JqQuery; operator: string; values: string[] }
export interface StagePatch { subresource?: string; root?: string; type: 'merge' | 'json' | 'strategic'; template: GoTemplate }

export interface CompiledStage {
  name: string;
  apiGroup: string;
  kind: string;
  matchLabels: [string, string][];
  matchAnnotations: [string, string][];
  expressions: Expression[];
  weight: number;
  weightFrom?: JqQuery;
  delayMs: number;
  delayFrom?: JqQuery;
  jitterMs?: number;
  jitterFrom?: JqQuery;
  statusTemplate?: GoTemplate;
  patches: StagePatch[];
  finalizers?: { add: string[]; remove: string[]; empty: boolean };
  event?: { type: string; reason: string; message: string };
  delete: boolean;
  immediateNextStage: boolean;
}

const isObj = (v: unknown): v is Record<string, any> => !!v && typeof v === 'object' && !Array.isArray(v);
const err = (field: string, type: FieldError['type'], message: string): FieldError => ({ field, type, message });

/** A jq expression given as `key`/`expressionFrom`, or wrapped as kwok's newer `jq: {key|expression}`. */
function query(field: string, v: unknown, errs: FieldError[]): JqQuery | undefined {
  if (typeof v !== 'string') { errs.push(err(field, 'FieldValueRequired', 'must be a jq expression such as .metadata.deletionTimestamp')); return undefined; }
  try { return new JqQuery(v); } catch (e) { errs.push(err(field, 'FieldValueInvalid', `${JSON.stringify(v)}: ${(e as JqError).message}`)); return undefined; }
}

function template(field: string, v: unknown, errs: FieldError[]): GoTemplate | undefined {
  if (typeof v !== 'string') { errs.push(err(field, 'FieldValueInvalid', 'must be a string (a Go template)')); return undefined; }
  try { return new GoTemplate(v); } catch (e) { errs.push(err(field, 'FieldValueInvalid', `template: ${(e as TemplateError).message}`)); return undefined; }
}

/** A `…From` field: `{expressionFrom: EXPR}` or `{jq: {expression: EXPR}}`. */
function from(field: string, v: unknown, errs: FieldError[]): JqQuery | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) { errs.push(err(field, 'FieldValueInvalid', 'must be an object with expressionFrom')); return undefined; }
  if (v.expressionFrom !== undefined) return query(`${field}.expressionFrom`, v.expressionFrom, errs);
  if (isObj(v.jq)) return query(`${field}.jq.expression`, v.jq.expression, errs);
  errs.push(err(`${field}.expressionFrom`, 'FieldValueRequired', ''));
  return undefined;
}

function nonNegInt(field: string, v: unknown, errs: FieldError[]): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) { errs.push(err(field, 'FieldValueInvalid', `${JSON.stringify(v)}: must be a non-negative integer`)); return undefined; }
  return v;
}

function stringMap(field: string, v: unknown, errs: FieldError[]): [string, string][] {
  if (v === undefined || v === null) return [];
  if (!isObj(v)) { errs.push(err(field, 'FieldValueInvalid', 'must be a map of strings')); return []; }
  const out: [string, string][] = [];
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') errs.push(err(`${field}[${k}]`, 'FieldValueInvalid', 'must be a string'));
    else out.push([k, x]);
  }
  return out;
}

/** Compiles a Stage object; the errors name the fields that are wrong (an empty list: it is valid). */
export function compileStage(o: KubeObject): { stage?: CompiledStage; errors: FieldError[] } {
  const errs: FieldError[] = [];
  const spec = o.spec;
  if (!isObj(spec)) return { errors: [err('spec', 'FieldValueRequired', '')] };
  const ref = spec.resourceRef;
  if (!isObj(ref)) errs.push(err('spec.resourceRef', 'FieldValueRequired', ''));
  else if (typeof ref.kind !== 'string' || !ref.kind) errs.push(err('spec.resourceRef.kind', 'FieldValueRequired', ''));
  const apiGroup = isObj(ref) ? String(ref.apiGroup ?? ref.apiVersion ?? 'v1') : 'v1';
  const sel = spec.selector ?? {};
  if (!isObj(sel)) errs.push(err('spec.selector', 'FieldValueInvalid', 'must be an object'));
  const matchLabels = stringMap('spec.selector.matchLabels', sel.matchLabels, errs);
  const matchAnnotations = stringMap('spec.selector.matchAnnotations', sel.matchAnnotations, errs);
  const expressions: Expression[] = [];
  const exprs = sel.matchExpressions ?? [];
  if (!Array.isArray(exprs)) errs.push(err('spec.selector.matchExpressions', 'FieldValueInvalid', 'must be a list'));
  else exprs.forEach((e0: any, i: number) => {
    const f = `spec.selector.matchExpressions[${i}]`;
    // kwok's newer files wrap each expression in `jq:`.
    const e = isObj(e0?.jq) ? e0.jq : e0;
    const fk = isObj(e0?.jq) ? `${f}.jq` : f;
    if (!isObj(e)) { errs.push(err(f, 'FieldValueInvalid', 'must be an object with key and operator')); return; }
    const q = query(`${fk}.key`, e.key, errs);
    if (!OPERATORS.includes(e.operator)) errs.push(err(`${fk}.operator`, 'FieldValueNotSupported', `${JSON.stringify(e.operator ?? '')}: supported values: ${OPERATORS.map((x) => `"${x}"`).join(', ')}`));
    const values = e.values ?? [];
    if (!Array.isArray(values) || values.some((v: unknown) => typeof v !== 'string')) errs.push(err(`${fk}.values`, 'FieldValueInvalid', 'must be a list of strings'));
    else if ((e.operator === 'In' || e.operator === 'NotIn') && !values.length) errs.push(err(`${fk}.values`, 'FieldValueRequired', `must be specified when operator is ${e.operator}`));
    else if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && values.length) errs.push(err(`${fk}.values`, 'FieldValueForbidden', `may not be specified when operator is ${e.operator}`));
    if (q && OPERATORS.includes(e.operator) && Array.isArray(values)) expressions.push({ query: q, operator: e.operator, values });
  });
  const weight = nonNegInt('spec.weight', spec.weight, errs) ?? 0;
  const weightFrom = from('spec.weightFrom', spec.weightFrom, errs);
  const delay = spec.delay ?? {};
  if (!isObj(delay)) errs.push(err('spec.delay', 'FieldValueInvalid', 'must be an object'));
  const delayMs = nonNegInt('spec.delay.durationMilliseconds', delay.durationMilliseconds, errs) ?? 0;
  const jitterMs = nonNegInt('spec.delay.jitterDurationMilliseconds', delay.jitterDurationMilliseconds, errs);
  const delayFrom = from('spec.delay.durationFrom', delay.durationFrom, errs);
  const jitterFrom = from('spec.delay.jitterDurationFrom', delay.jitterDurationFrom, errs);

  // `next`, or kwok's newer `steps` list of {patch, event, finalizers, delete}.
  const next = spec.next ?? {};
  if (!isObj(next)) errs.push(err('spec.next', 'FieldValueInvalid', 'must be an object'));
  const patches: StagePatch[] = [];
  const addPatch = (f: string, p: any) => {
    if (!isObj(p)) { errs.push(err(f, 'FieldValueInvalid', 'must be an object with a template')); return; }
    const type = p.type ?? 'merge';
    if (!PATCH_TYPES.includes(type)) errs.push(err(`${f}.type`, 'FieldValueNotSupported', `${JSON.stringify(type)}: supported values: ${PATCH_TYPES.map((x) => `"${x}"`).join(', ')}`));
    if (p.subresource !== undefined && p.subresource !== 'status' && p.subresource !== '') errs.push(err(`${f}.subresource`, 'FieldValueNotSupported', `${JSON.stringify(p.subresource)}: supported values: "status"`));
    if (p.root !== undefined && (typeof p.root !== 'string' || !/^[A-Za-z0-9_]*$/.test(p.root) || ['__proto__', 'constructor', 'prototype'].includes(p.root))) errs.push(err(`${f}.root`, 'FieldValueInvalid', 'must be a top-level field name such as status'));
    if (type === 'json' && p.root) errs.push(err(`${f}.root`, 'FieldValueForbidden', 'may not be set for a json patch'));
    const t = template(`${f}.template`, p.template, errs);
    if (t && PATCH_TYPES.includes(type)) patches.push({ subresource: p.subresource || undefined, root: p.root || undefined, type, template: t });
  };
  let statusTemplate: GoTemplate | undefined;
  if (next.statusTemplate !== undefined) statusTemplate = template('spec.next.statusTemplate', next.statusTemplate, errs);
  if (next.patches !== undefined) {
    if (!Array.isArray(next.patches)) errs.push(err('spec.next.patches', 'FieldValueInvalid', 'must be a list'));
    else next.patches.forEach((p: any, i: number) => addPatch(`spec.next.patches[${i}]`, p));
  }
  let fin = next.finalizers;
  let event = next.event;
  let del = next.delete;
  if (spec.steps !== undefined) {
    if (!Array.isArray(spec.steps)) errs.push(err('spec.steps', 'FieldValueInvalid', 'must be a list'));
    else spec.steps.forEach((s: any, i: number) => {
      if (!isObj(s)) { errs.push(err(`spec.steps[${i}]`, 'FieldValueInvalid', 'must be an object')); return; }
      if (s.patch !== undefined) addPatch(`spec.steps[${i}].patch`, s.patch);
      if (s.finalizers !== undefined) fin = s.finalizers;
      if (s.event !== undefined) event = s.event;
      if (s.delete !== undefined) del = s.delete;
    });
  }
  let finalizers: CompiledStage['finalizers'];
  if (fin !== undefined && fin !== null) {
    const list = (f: string, v: unknown): string[] => {
      if (v === undefined || v === null) return [];
      if (!Array.isArray(v)) { errs.push(err(f, 'FieldValueInvalid', 'must be a list of {value: NAME}')); return []; }
      return v.flatMap((x: any, i: number) => (typeof x?.value === 'string' && x.value ? [x.value] : (errs.push(err(`${f}[${i}].value`, 'FieldValueRequired', '')), [])));
    };
    if (Array.isArray(fin)) finalizers = { add: fin.filter((x) => typeof x === 'string'), remove: [], empty: false }; // kwok's oldest form: a list of names to add
    else if (isObj(fin)) finalizers = { add: list('spec.next.finalizers.add', fin.add), remove: list('spec.next.finalizers.remove', fin.remove), empty: fin.empty === true };
    else errs.push(err('spec.next.finalizers', 'FieldValueInvalid', 'must be an object with add, remove or empty'));
  }
  let ev: CompiledStage['event'];
  if (event !== undefined && event !== null) {
    if (!isObj(event)) errs.push(err('spec.next.event', 'FieldValueInvalid', 'must be an object with type, reason and message'));
    else {
      if (event.type !== 'Normal' && event.type !== 'Warning') errs.push(err('spec.next.event.type', 'FieldValueNotSupported', `${JSON.stringify(event.type ?? '')}: supported values: "Normal", "Warning"`));
      if (typeof event.reason !== 'string' || !event.reason) errs.push(err('spec.next.event.reason', 'FieldValueRequired', ''));
      ev = { type: String(event.type), reason: String(event.reason ?? ''), message: typeof event.message === 'string' ? event.message : '' };
    }
  }
  if (del !== undefined && typeof del !== 'boolean') errs.push(err('spec.next.delete', 'FieldValueInvalid', 'must be a boolean'));
  if (spec.immediateNextStage !== undefined && typeof spec.immediateNextStage !== 'boolean') errs.push(err('spec.immediateNextStage', 'FieldValueInvalid', 'must be a boolean'));
  if (errs.length) return { errors: errs };
  return {
    errors: [],
    stage: {
      name: o.metadata?.name ?? '', apiGroup, kind: ref.kind, matchLabels, matchAnnotations, expressions, weight, weightFrom,
      delayMs, delayFrom, jitterMs, jitterFrom, statusTemplate, patches, finalizers, event: ev, delete: del === true,
      immediateNextStage: spec.immediateNextStage === true,
    },
  };
}

/** Whether the stage's selector picks the object. */
export function stageMatches(s: CompiledStage, o: KubeObject): boolean {
  const labels = o.metadata?.labels ?? {};
  const annotations = o.metadata?.annotations ?? {};
  if (s.matchLabels.some(([k, v]) => labels[k] !== v)) return false;
  if (s.matchAnnotations.some(([k, v]) => annotations[k] !== v)) return false;
  return s.expressions.every((e) => {
    const vals = e.query.values(o);
    switch (e.operator) {
      case 'Exists': return vals.length > 0;
      case 'DoesNotExist': return vals.length === 0;
      case 'In': return vals.some((v) => e.values.includes(asText(v)));
      default: return !vals.some((v) => e.values.includes(asText(v)));
    }
  });
}

/** A duration read from the object: a Go duration ("5s"), a number of milliseconds, or an RFC 3339 time (the delay runs until it). */
function durationOf(q: JqQuery | undefined, o: KubeObject, now: number): number | undefined {
  const v = q?.values(o)[0];
  if (typeof v === 'number' && v >= 0) return v;
  if (typeof v !== 'string') return undefined;
  const d = parseGoDuration(v);
  if (d !== undefined) return d;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** How long to wait before the stage applies to the object: its delay, plus a uniform jitter up to the jitter bound. */
export function stageDelay(s: CompiledStage, o: KubeObject, now: number, random: () => number = Math.random): number {
  const base = durationOf(s.delayFrom, o, now) ?? s.delayMs;
  const jitter = durationOf(s.jitterFrom, o, now) ?? s.jitterMs;
  return jitter !== undefined && jitter > base ? base + Math.floor(random() * (jitter - base)) : base;
}

/** The stage's weight for the object (weightFrom, when it yields a number, wins). */
export function stageWeight(s: CompiledStage, o: KubeObject): number {
  const v = s.weightFrom?.values(o)[0];
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined;
  return n ?? s.weight;
}

/** Picks one of the stages that match, by weight (all weights 0: the first). */
export function pickStage(stages: CompiledStage[], o: KubeObject, random: () => number = Math.random): CompiledStage | undefined {
  const hits = stages.filter((s) => stageMatches(s, o));
  if (hits.length <= 1) return hits[0];
  const weights = hits.map((s) => stageWeight(s, o));
  const total = weights.reduce((a, b) => a + b, 0);
  if (total <= 0) return hits[0];
  let r = random() * total;
  for (let i = 0; i < hits.length; i++) { r -= weights[i]; if (r < 0) return hits[i]; }
  return hits[hits.length - 1];
}

/** kwok's Quote: a string's JSON, anything else's JSON as a quoted string (nil is "null"). */
export const kwokQuote = (v: unknown): string => { const j = JSON.stringify(v ?? null); return j.startsWith('"') ? j : JSON.stringify(j); };

/** kwok's YAML: with an indent, the YAML starts on a new line and every line is indented by 2 × indent spaces. */
export function kwokYaml(v: unknown, indent: unknown = 0): string {
  const data = YAML.stringify(v ?? null);
  const n = Number(indent) || 0;
  return n > 0 ? `\n${data}`.replaceAll('\n', `\n${'  '.repeat(n)}`) : data;
}
