// A CRD's x-kubernetes-validations rules, as apiextensions-apiserver checks
// them (pkg/apiserver/schema/cel/validation.go): every rule at every node of
// the schema that the object has, `self` that node's value typed by its
// schema, `oldSelf` the stored object's value at the same place on an update
// (transition rules run only where there is one to compare: object fields,
// map keys, and items of list-type map lists by their keys). Errors name the
// node (`spec.x: Invalid value: "object": msg`), a rule's fieldPath and reason
// say where and how; a runaway rule is cancelled by the cost limit; an
// unchanged value is not refused again (ratcheting). docs/admission.md.
import type { FieldError } from '../types.js';
import type { CelInput } from '@bufbuild/cel';
import { compile, type Compiled } from './index.js';
import { PER_CALL_LIMIT, RUNTIME_COST_BUDGET, COST_EXCEEDED } from './cost.js';
import { toCel } from './values.js';
import { duplicate, forbidden, invalid, required } from '../resources/validation.js';
import { sameValue } from '../../util/equal.js';

const RULE_VARIABLES = ['self', 'oldSelf'];
const OUT_OF_BUDGET = 'validation failed due to running out of cost budget, no further validation rules will be run';

const own = (o: unknown, k: string) => !!o && typeof o === 'object' && Object.prototype.hasOwnProperty.call(o, k);
const trimmed = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

/** ruleErrorString: the rule's message, else the rule. */
const ruleString = (r: any) => trimmed(r?.message) || trimmed(r?.rule);

/** Go's %#v of an apiextensions.ValidationRule, as a CRD's validation shows a rule that does not compile. */
export function goValidationRule(r: any): string {
  const s = (v: unknown) => JSON.stringify(typeof v === 'string' ? v : '');
  const reason = typeof r?.reason === 'string' ? `(*apiextensions.FieldValueErrorReason)(${s(r.reason)})` : '(*apiextensions.FieldValueErrorReason)(nil)';
  const opt = typeof r?.optionalOldSelf === 'boolean' ? `(*bool)(${r.optionalOldSelf})` : '(*bool)(nil)';
  return `apiextensions.ValidationRule{Rule:${s(r?.rule)}, Message:${s(r?.message)}, MessageExpression:${s(r?.messageExpression)}, Reason:${reason}, FieldPath:${s(r?.fieldPath)}, OptionalOldSelf:${opt}}`;
}

/** The errors of a CRD's rules that do not compile (ValidateCustomResourceDefinitionOpenAPISchema's CEL checks). */
export function ruleCompileErrors(schema: any, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const visit = (s: any, p: string) => {
    if (!s || typeof s !== 'object') return;
    const rules = s['x-kubernetes-validations'];
    if (Array.isArray(rules)) {
      rules.forEach((r, i) => {
        const rp = `${p}.x-kubernetes-validations[${i}]`;
        if (typeof r?.rule === 'string' && r.rule.trim()) {
          const c = compile(r.rule, { variables: RULE_VARIABLES });
          if (!c.ok) errs.push({ field: `${rp}.rule`, type: 'FieldValueInvalid', message: `${goValidationRule(r)}: compilation failed: ${c.error}` });
        }
        if (typeof r?.messageExpression === 'string' && r.messageExpression.trim()) {
          const c = compile(r.messageExpression, { variables: RULE_VARIABLES });
          if (!c.ok) errs.push({ field: `${rp}.messageExpression`, type: 'FieldValueInvalid', message: `${goValidationRule(r)}: messageExpression compilation failed: ${c.error}` });
        }
      });
    }
    if (s.properties && typeof s.properties === 'object') for (const k of Object.keys(s.properties)) visit(s.properties[k], `${p}.properties[${k}]`);
    if (s.additionalProperties && typeof s.additionalProperties === 'object') visit(s.additionalProperties, `${p}.additionalProperties`);
    if (s.items && typeof s.items === 'object') visit(s.items, `${p}.items`);
  };
  visit(schema, path);
  return errs;
}

interface State { budget: number; stop: boolean; errs: FieldError[] }

/** A rule's fieldPath under the node's path: `.x.y` → `node.x.y`, `['a.b']` → `node[a.b]`. */
function withFieldPath(path: string, fieldPath: unknown): string {
  if (typeof fieldPath !== 'string' || !fieldPath) return path;
  const rel = fieldPath.replace(/\['((?:[^'\\]|\\.)*)'\]/g, (_m, k: string) => `[${k.replace(/\\(.)/g, '$1')}]`).replace(/^\./, '');
  if (path === '<nil>') return rel;
  return rel.startsWith('[') ? `${path}${rel}` : `${path}.${rel}`;
}

function fieldError(path: string, type: string, detail: string, reason: unknown): FieldError {
  switch (reason) {
    case 'FieldValueForbidden': return forbidden(path, detail);
    case 'FieldValueRequired': return required(path, detail);
    case 'FieldValueDuplicate': return duplicate(path, type);
    default: return invalid(path, type, detail);
  }
}

function rulesOf(s: any): { rule: any; c: Compiled; m?: Compiled }[] {
  const rules: any[] = Array.isArray(s['x-kubernetes-validations']) ? s['x-kubernetes-validations'] : [];
  return rules.map((rule) => ({
    rule,
    c: compile(String(rule?.rule ?? ''), { variables: RULE_VARIABLES }),
    ...(trimmed(rule?.messageExpression) ? { m: compile(rule.messageExpression, { variables: RULE_VARIABLES }) } : {}),
  }));
}

/** The rules at one node (Validator.validateExpressions). */
function checkNode(s: any, value: unknown, old: unknown, hasOld: boolean, path: string, st: State): void {
  const list = rulesOf(s);
  if (list.length === 0) return;
  const type = typeof s.type === 'string' ? s.type : 'object';
  if (st.budget <= 0) { st.errs.push(invalid(path, type, OUT_OF_BUDGET)); st.stop = true; return; }
  const self = toCel(value, s);
  const bindings: Record<string, CelInput> = hasOld ? { self, oldSelf: toCel(old, s) } : { self };
  const unchanged = hasOld && sameValue(value, old);
  for (const { rule, c, m } of list) {
    if (!c.ok) { st.errs.push(invalid(path, type, `rule compile error: ${c.error}`)); continue; }
    // Transition rules run only where there is an old value to compare with.
    if (c.program.usesOldSelf && !hasOld) continue;
    const r = c.program.run(bindings, PER_CALL_LIMIT);
    st.budget -= r.cost;
    if (st.budget < 0) { st.errs.push(invalid(path, type, OUT_OF_BUDGET)); st.stop = true; return; }
    if (!r.ok) {
      if (r.costExceeded) {
        st.errs.push(invalid(path, type, `'${COST_EXCEEDED}': no further validation rules will be run due to call cost exceeds limit for rule: ${ruleString(rule)}`));
        st.stop = true;
        return;
      }
      st.errs.push(invalid(path, type, `${r.error} evaluating rule: ${ruleString(rule)}`));
      continue;
    }
    if (r.value === true) continue;
    // Ratcheting: a value the update did not change is not refused for a rule that does not compare with it.
    if (unchanged && !c.program.usesOldSelf) continue;
    let detail = '';
    if (m?.ok) {
      const mr = m.program.run(bindings, PER_CALL_LIMIT);
      st.budget -= mr.cost;
      const text = mr.ok && typeof mr.value === 'string' ? mr.value.trim() : '';
      if (text && !text.includes('\n') && text.length <= 5 * 1024) detail = text;
    }
    if (!detail) detail = trimmed(rule?.message) || `failed rule: ${ruleString(rule)}`;
    st.errs.push(fieldError(withFieldPath(path, rule?.fieldPath), type, detail, rule?.reason));
  }
}

/** The list items of `old` matched to `value`'s by a list-type map's keys (only those lists correlate). */
function oldItem(s: any, item: unknown, old: unknown): { hasOld: boolean; old?: unknown } {
  if (s?.['x-kubernetes-list-type'] !== 'map' || !Array.isArray(old)) return { hasOld: false };
  const keys: string[] = Array.isArray(s['x-kubernetes-list-map-keys']) ? s['x-kubernetes-list-map-keys'] : [];
  if (!item || typeof item !== 'object' || keys.length === 0) return { hasOld: false };
  const found = old.find((o) => o && typeof o === 'object' && keys.every((k) => sameValue((o as any)[k], (item as any)[k])));
  return found === undefined ? { hasOld: false } : { hasOld: true, old: found };
}

function walk(s: any, value: unknown, old: unknown, hasOld: boolean, path: string, st: State): void {
  if (st.stop || !s || typeof s !== 'object' || value === undefined || value === null) return;
  checkNode(s, value, old, hasOld, path, st);
  if (st.stop) return;
  const child = (k: string) => (path === '<nil>' ? k : `${path}.${k}`);
  if (Array.isArray(value)) {
    if (s.items && typeof s.items === 'object') {
      value.forEach((item, i) => {
        const o = hasOld ? oldItem(s, item, old) : { hasOld: false };
        walk(s.items, item, o.old, o.hasOld, `${path === '<nil>' ? '' : path}[${i}]`, st);
      });
    }
    return;
  }
  if (typeof value !== 'object') return;
  const props = s.properties && typeof s.properties === 'object' ? s.properties : undefined;
  const extra = s.additionalProperties && typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
  // A map is correlated key by key unless it is atomic (MapIsCorrelatable).
  const correlatable = s['x-kubernetes-map-type'] !== 'atomic';
  for (const k of Object.keys(value as object)) {
    const v = (value as Record<string, unknown>)[k];
    const has = hasOld && correlatable && own(old, k);
    const o = has ? (old as Record<string, unknown>)[k] : undefined;
    if (props && own(props, k)) walk(props[k], v, o, has, child(k), st);
    else if (extra) walk(extra, v, o, has, `${path === '<nil>' ? '' : path}[${k}]`, st);
  }
}

/**
 * The rules' errors for a custom resource (`old` on an update). The root's `self` is the object
 * with apiVersion, kind and only metadata.name and generateName, as kube-apiserver gives it.
 */
export function validateRules(schema: any, obj: any, old: any | undefined): FieldError[] {
  if (!schema || typeof schema !== 'object') return [];
  const st: State = { budget: RUNTIME_COST_BUDGET, stop: false, errs: [] };
  const rootView = (o: any) => (o && typeof o === 'object' ? { ...o, metadata: { ...(o.metadata?.name !== undefined ? { name: o.metadata.name } : {}), ...(o.metadata?.generateName !== undefined ? { generateName: o.metadata.generateName } : {}) } } : o);
  walk(schema, rootView(obj), rootView(old), old !== undefined, '<nil>', st);
  return st.errs;
}

/** Whether a schema has any rule (most CRDs have none: their objects skip the walk). */
export function hasRules(schema: any): boolean {
  if (!schema || typeof schema !== 'object') return false;
  if (Array.isArray(schema['x-kubernetes-validations']) && schema['x-kubernetes-validations'].length) return true;
  if (schema.properties && typeof schema.properties === 'object' && Object.values(schema.properties).some(hasRules)) return true;
  return hasRules(schema.additionalProperties) || hasRules(schema.items);
}
