// CEL as Kubernetes compiles and runs it (k8s.io/apiserver/pkg/cel): an
// expression is compiled once against the variables its context declares
// (`object`, `oldObject`, `request`, `params`… for admission; `self` and
// `oldSelf` for a CRD's rules), refused with cel-go's words when it does not
// parse or names what is not declared, and run with a cost limit. The engine
// is @bufbuild/cel; ./library.ts adds Kubernetes' libraries, ./cost.ts the
// limit. docs/admission.md says what differs from cel-go.
import { celEnv, celFunc, CelScalar, isCelError, parse, plan, type CelInput, type CelValue } from '@bufbuild/cel';
import { KUBERNETES_LIBRARY, MACROS } from './library.js';
import { charge, COST_EXCEEDED, metered, PER_CALL_LIMIT } from './cost.js';

export { toCel, fromCel, celTypeName, type SchemaLike } from './values.js';
export { COST_EXCEEDED, PER_CALL_LIMIT, RUNTIME_COST_BUDGET } from './cost.js';

/** The hooks the cost rewrite puts around every comprehension (names no expression can spell). */
const RANGE = '@nodeless_range';
const STEP = '@nodeless_step';
const costHooks = [
  celFunc(RANGE, [CelScalar.DYN], CelScalar.DYN, (v) => { charge(1); return v; }),
  celFunc(STEP, [CelScalar.DYN], CelScalar.DYN, (v) => { charge(1); return v; }),
];

const env = celEnv({ funcs: [...KUBERNETES_LIBRARY, ...costHooks] });

export interface CompileOptions {
  /** The variables the context declares. */
  variables: readonly string[];
  /** Fields `variables.X` may name (a policy's variables); undefined when the context has none. */
  variableNames?: readonly string[];
}

export type Evaluation = { ok: true; value: CelValue; cost: number } | { ok: false; error: string; costExceeded: boolean; cost: number };

export interface Program {
  readonly source: string;
  /** Whether the expression reads `oldSelf` (a CRD transition rule). */
  readonly usesOldSelf: boolean;
  /** The `variables.X` the expression reads. */
  readonly usesVariables: ReadonlySet<string>;
  /** Runs with the given bindings (see ./values.ts toCel), at most `limit` cost. */
  run(bindings: Record<string, CelInput>, limit?: number): Evaluation;
}

export type Compiled = { ok: true; program: Program } | { ok: false; error: string };

/** cel-go's error text: `ERROR: <input>:L:C: message`, the source line and a caret under the column. */
export function celError(source: string, offset: number, message: string): string {
  const before = source.slice(0, Math.max(0, offset));
  const line = before.split('\n').length;
  const lineStart = before.lastIndexOf('\n') + 1;
  const col = [...source.slice(lineStart, offset)].length + 1;
  const text = source.split('\n')[line - 1] ?? '';
  const caret = `${[...text].slice(0, col - 1).map((c) => (c === '\t' ? '\t' : '.')).join('')}^`;
  return `ERROR: <input>:${line}:${col}: ${message}\n | ${text}\n | ${caret}`;
}

interface ExprNode {
  id: bigint;
  exprKind: { case: string | undefined; value: any };
}

/**
 * Checks the names an expression uses (cel-go's checker: every identifier declared, every
 * function known, `variables.X` one of the policy's) and wraps every comprehension in the cost
 * hooks. Returns the first error, as cel-go reports it.
 */
function checkAndInstrument(root: ExprNode, positions: Record<string, number>, source: string, opts: CompileOptions) {
  let nextId = 1n << 40n;
  let usesOldSelf = false;
  const usesVariables = new Set<string>();
  const declared = new Set(opts.variables);
  const pos = (e: ExprNode) => positions[String(e.id)] ?? 0;
  const wrap = (fn: string, inner: ExprNode): ExprNode => ({
    $typeName: 'cel.expr.Expr', id: nextId++, exprKind: { case: 'callExpr', value: { $typeName: 'cel.expr.Expr.Call', function: fn, args: [inner] } },
  } as unknown as ExprNode);
  const visit = (e: ExprNode | undefined, scope: ReadonlySet<string>): string | undefined => {
    if (!e) return undefined;
    const v = e.exprKind.value;
    switch (e.exprKind.case) {
      case 'identExpr': {
        const name: string = v.name;
        if (scope.has(name)) return undefined;
        if (!declared.has(name)) return celError(source, pos(e), `undeclared reference to '${name}' (in container '')`);
        if (name === 'oldSelf') usesOldSelf = true;
        return undefined;
      }
      case 'selectExpr': {
        const op: ExprNode | undefined = v.operand;
        if (op?.exprKind.case === 'identExpr' && op.exprKind.value.name === 'variables' && !scope.has('variables') && opts.variableNames) {
          if (!opts.variableNames.includes(v.field)) return celError(source, pos(e), `undefined field '${v.field}'`);
          usesVariables.add(v.field);
        }
        return visit(op, scope);
      }
      case 'callExpr': {
        const fn: string = v.function;
        if (!fn.startsWith('_') && !fn.startsWith('@') && !MACROS.has(fn) && !env.funcs.find(fn)) {
          const at = v.target ? source.indexOf('(', pos(e)) : source.indexOf('(', pos(e));
          return celError(source, at < 0 ? pos(e) : at, `undeclared reference to '${fn}' (in container '')`);
        }
        return visit(v.target, scope) ?? v.args.reduce((err: string | undefined, a: ExprNode) => err ?? visit(a, scope), undefined);
      }
      case 'listExpr':
        return v.elements.reduce((err: string | undefined, a: ExprNode) => err ?? visit(a, scope), undefined);
      case 'structExpr':
        return v.entries.reduce((err: string | undefined, en: any) => err ?? (en.keyKind?.case === 'mapKey' ? visit(en.keyKind.value, scope) : undefined) ?? visit(en.value, scope), undefined);
      case 'comprehensionExpr': {
        const inner = new Set(scope);
        inner.add(v.iterVar);
        if (v.iterVar2) inner.add(v.iterVar2);
        inner.add(v.accuVar);
        const err = visit(v.iterRange, scope) ?? visit(v.accuInit, scope) ?? visit(v.loopCondition, inner) ?? visit(v.loopStep, inner) ?? visit(v.result, inner);
        if (err) return err;
        v.iterRange = wrap(RANGE, v.iterRange);
        v.loopStep = wrap(STEP, v.loopStep);
        return undefined;
      }
      default:
        return undefined;
    }
  };
  const error = visit(root, new Set());
  return { error, usesOldSelf, usesVariables };
}

/** What kube-apiserver's compile error for a parse failure says: @bufbuild/cel's reason, in cel-go's layout. */
function syntaxError(source: string, e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const m = /^<input>:(\d+):(\d+): (.*)$/s.exec(msg);
  if (!m) return `ERROR: <input>:1:1: Syntax error: ${msg}`;
  const lines = source.split('\n');
  let offset = 0;
  for (let i = 0; i < Number(m[1]) - 1 && i < lines.length; i++) offset += lines[i].length + 1;
  return celError(source, offset + Number(m[2]) - 1, `Syntax error: ${m[3]}`);
}

const cache = new Map<string, Compiled>();

/** Compiles `source` for a context (cached by source and declarations: policies recompile on every write). */
export function compile(source: string, opts: CompileOptions): Compiled {
  const key = `${opts.variables.join(',')}|${opts.variableNames?.join(',') ?? '-'}|${source}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const out = compileUncached(source, opts);
  if (cache.size > 2048) cache.clear();
  cache.set(key, out);
  return out;
}

function compileUncached(source: string, opts: CompileOptions): Compiled {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(source);
  } catch (e) {
    return { ok: false, error: syntaxError(source, e) };
  }
  const positions = parsed.sourceInfo?.positions ?? {};
  const { error, usesOldSelf, usesVariables } = checkAndInstrument(parsed.expr as unknown as ExprNode, positions as Record<string, number>, source, opts);
  if (error) return { ok: false, error };
  let fn: (ctx: Record<string, CelInput>) => CelValue | Error;
  try {
    fn = plan(env, parsed) as unknown as typeof fn;
  } catch (e) {
    return { ok: false, error: syntaxError(source, e) };
  }
  const program: Program = {
    source, usesOldSelf, usesVariables,
    run(bindings, limit = PER_CALL_LIMIT) {
      const r = metered(limit, () => fn(bindings));
      if (r.exceeded) return { ok: false, error: COST_EXCEEDED, costExceeded: true, cost: r.cost };
      if (isCelError(r.value)) return { ok: false, error: goMessage(r.value.message), costExceeded: false, cost: r.cost };
      return { ok: true, value: r.value as CelValue, cost: r.cost };
    },
  };
  return { ok: true, program };
}

/** @bufbuild/cel's runtime errors in cel-go's words where they differ. */
function goMessage(m: string): string {
  const field = /^field not found: (.*)$/.exec(m);
  if (field) return `no such key: ${field[1]}`;
  return m;
}
