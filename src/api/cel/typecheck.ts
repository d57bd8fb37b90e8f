// The field check of cel-go's type checker, as kube-apiserver's
// ValidatingAdmissionPolicy type checking runs it (plugin/policy/validating/
// typechecking.go): `object`, `oldObject` and `params` typed by the OpenAPI
// schema of the kinds a policy matches, every field an expression selects
// looked up in that schema, and a field the schema does not have reported as
// cel-go reports it (`ERROR: <input>:1:12: undefined field 'replicsa'` with the
// source line and a caret). Only field names are checked: where a value's
// type is not known from the schema (a map of anything, preserved unknown
// fields, int-or-string, what a function returns) nothing below it is.
// docs/admission.md, "ValidatingAdmissionPolicy".
import { parse } from '@bufbuild/cel';
import { celError } from './index.js';

export type Schema = Record<string, any>;

interface ExprNode {
  id: bigint;
  exprKind: { case: string | undefined; value: any };
}

/**
 * The issues of `source` with the given variables typed (`roots`: variable → its schema);
 * `resolve` follows a schema's `$ref`. Undefined when there are none (or it does not parse: the
 * policy's own validation reports that).
 */
export function typeCheck(source: string, roots: Record<string, Schema | undefined>, resolve: (ref: string) => Schema | undefined): string | undefined {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(source);
  } catch {
    return undefined;
  }
  const positions = (parsed.sourceInfo?.positions ?? {}) as Record<string, number>;
  const issues: string[] = [];
  const deref = (s: Schema | undefined, depth = 0): Schema | undefined => {
    if (!s || typeof s !== 'object' || depth > 8) return undefined;
    if (typeof s.$ref === 'string') return deref(resolve(s.$ref.slice(s.$ref.lastIndexOf('/') + 1)), depth + 1);
    if (Array.isArray(s.allOf) && s.allOf.length === 1 && !s.properties) return deref(s.allOf[0], depth + 1);
    // Values of any type: nothing to check below them.
    if (s['x-kubernetes-int-or-string'] || (s['x-kubernetes-preserve-unknown-fields'] && !s.properties)) return undefined;
    return s;
  };
  /** The schema of what `e` evaluates to, when the schema says; issues found below are collected. */
  const visit = (e: ExprNode | undefined, scope: Map<string, Schema | undefined>): Schema | undefined => {
    if (!e) return undefined;
    const v = e.exprKind.value;
    switch (e.exprKind.case) {
      case 'identExpr':
        return scope.has(v.name) ? scope.get(v.name) : deref(roots[v.name]);
      case 'selectExpr': {
        const s = visit(v.operand, scope);
        if (!s) return undefined;
        const field: string = v.field;
        if (s.properties && typeof s.properties === 'object' && Object.prototype.hasOwnProperty.call(s.properties, field)) return deref(s.properties[field]);
        if (s.additionalProperties && typeof s.additionalProperties === 'object') return deref(s.additionalProperties);
        if (s.additionalProperties === true || s['x-kubernetes-preserve-unknown-fields']) return undefined;
        // An object type with known fields, none of them this one.
        if (s.properties && typeof s.properties === 'object' && Object.keys(s.properties).length) {
          issues.push(celError(source, positions[String(e.id)] ?? 0, `undefined field '${field}'`));
        }
        return undefined;
      }
      case 'callExpr': {
        const target = visit(v.target, scope);
        const args = (v.args as ExprNode[]).map((a) => visit(a, scope));
        // list[i] and map[key]: the items' schema.
        if (v.function === '_[_]' && args[0]) {
          const s = args[0];
          if (s.type === 'array') return deref(s.items);
          if (s.additionalProperties && typeof s.additionalProperties === 'object') return deref(s.additionalProperties);
        }
        void target;
        return undefined;
      }
      case 'listExpr':
        for (const a of v.elements as ExprNode[]) visit(a, scope);
        return undefined;
      case 'structExpr':
        for (const en of v.entries as any[]) {
          if (en.keyKind?.case === 'mapKey') visit(en.keyKind.value, scope);
          visit(en.value, scope);
        }
        return undefined;
      case 'comprehensionExpr': {
        const range = visit(v.iterRange, scope);
        visit(v.accuInit, scope);
        const inner = new Map(scope);
        // A list's loop variable is an item; a map's is a key (a string), its second variable the value.
        // With two variables, a list's are the index and the item, a map's the key and the value.
        const item = range?.type === 'array' ? deref(range.items) : undefined;
        inner.set(v.iterVar, v.iterVar2 ? undefined : item);
        if (v.iterVar2) inner.set(v.iterVar2, item ?? (range?.additionalProperties && typeof range.additionalProperties === 'object' ? deref(range.additionalProperties) : undefined));
        inner.set(v.accuVar, undefined);
        visit(v.loopCondition, inner);
        visit(v.loopStep, inner);
        visit(v.result, inner);
        return undefined;
      }
      default:
        return undefined;
    }
  };
  visit(parsed.expr as unknown as ExprNode, new Map());
  return issues.length ? issues.join('\n') : undefined;
}
