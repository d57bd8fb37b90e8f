// A subset of Go's text/template, enough for kwok's Stage templates
// (docs/stages.md): actions with `{{- -}}` trimming, pipelines with `|`,
// variables (`$x := …`, `$x = …`, `$i, $v := range …`), field chains on `.`,
// `$` and variables, parenthesised pipelines, string/number/bool/nil literals,
// if/else if/else, range (with else, break, continue), with/else,
// define/template, comments. Functions are the caller's (kwok's Now, Quote,
// YAML, NodeIP, …) plus Go's builtins (and, or, not, eq, ne, lt, le, gt, ge,
// len, index, print, printf) and the few sprig ones kwok's files use (add1,
// dict, …). Data is JSON-like (objects, arrays, scalars); a missing field is
// nil and prints as nothing (Go would print "<no value>", which no status wants).

export type Func = (...args: any[]) => unknown;

export class TemplateError extends Error {}

type Expr =
  | { t: 'field'; base: Expr | null; path: string[] } // base null: the dot
  | { t: 'var'; name: string; path: string[] }
  | { t: 'lit'; v: unknown }
  | { t: 'ident'; name: string }
  | { t: 'pipe'; p: Pipe; path: string[] };
interface Cmd { args: Expr[] }
interface Pipe { decl: string[]; assign: boolean; cmds: Cmd[] }
type Node =
  | { t: 'text'; s: string }
  | { t: 'action'; p: Pipe }
  | { t: 'if' | 'with'; p: Pipe; body: Node[]; els: Node[] }
  | { t: 'range'; p: Pipe; body: Node[]; els: Node[] }
  | { t: 'template'; name: string; p?: Pipe }
  | { t: 'break' | 'continue' };

// ---- lexing of one action's inside ----
type Tok = { k: 'str' | 'num' | 'ident' | 'var' | 'field' | 'op'; v: string };

function lexAction(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) { i++; continue; }
    if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      if (j >= src.length) throw new TemplateError('unterminated quoted string');
      out.push({ k: 'str', v: JSON.parse(src.slice(i, j + 1)) });
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0) throw new TemplateError('unterminated raw quoted string');
      out.push({ k: 'str', v: src.slice(i + 1, j) });
      i = j + 1;
      continue;
    }
    if (c === '(' || c === ')' || c === '|' || c === ',') { out.push({ k: 'op', v: c }); i++; continue; }
    if (c === ':' && src[i + 1] === '=') { out.push({ k: 'op', v: ':=' }); i += 2; continue; }
    if (c === '=') { out.push({ k: 'op', v: '=' }); i++; continue; }
    const m = /^(\$[A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*|\.[A-Za-z0-9_.]*|-?\d+(\.\d+)?|[A-Za-z_][A-Za-z0-9_]*)/.exec(src.slice(i));
    if (!m) throw new TemplateError(`unexpected "${c}" in action`);
    const w = m[0];
    out.push({ k: w[0] === '$' ? 'var' : w[0] === '.' ? 'field' : /^-?\d/.test(w) ? 'num' : 'ident', v: w });
    i += w.length;
  }
  return out;
}

const splitPath = (s: string): string[] => s.split('.').filter(Boolean);

function parsePipe(toks: Tok[], pos: { i: number }, stopAtParen: boolean): Pipe {
  const decl: string[] = [];
  let assign = false;
  // `$x :=`, `$x =`, `$i, $v :=`
  const save = pos.i;
  const vars: string[] = [];
  while (toks[pos.i]?.k === 'var' && !toks[pos.i].v.includes('.')) {
    vars.push(toks[pos.i].v);
    pos.i++;
    if (toks[pos.i]?.v === ',') { pos.i++; continue; }
    break;
  }
  const op = toks[pos.i];
  if (vars.length && op?.k === 'op' && (op.v === ':=' || op.v === '=')) { decl.push(...vars); assign = op.v === '='; pos.i++; } else pos.i = save;
  const cmds: Cmd[] = [];
  let args: Expr[] = [];
  while (pos.i < toks.length) {
    const t = toks[pos.i];
    if (t.k === 'op' && t.v === ')') { if (!stopAtParen) throw new TemplateError('unexpected )'); break; }
    if (t.k === 'op' && t.v === '|') { if (!args.length) throw new TemplateError('missing command before |'); cmds.push({ args }); args = []; pos.i++; continue; }
    args.push(parseOperand(toks, pos));
  }
  if (args.length) cmds.push({ args });
  if (!cmds.length && !decl.length) throw new TemplateError('missing value for command');
  return { decl, assign, cmds };
}

function parseOperand(toks: Tok[], pos: { i: number }): Expr {
  const t = toks[pos.i++];
  switch (t.k) {
    case 'str': return { t: 'lit', v: t.v };
    case 'num': return { t: 'lit', v: Number(t.v) };
    case 'field': return { t: 'field', base: null, path: splitPath(t.v) };
    case 'var': {
      const [name, ...rest] = t.v.split('.');
      return { t: 'var', name, path: rest.filter(Boolean) };
    }
    case 'ident':
      if (t.v === 'true' || t.v === 'false') return { t: 'lit', v: t.v === 'true' };
      if (t.v === 'nil') return { t: 'lit', v: null };
      return { t: 'ident', name: t.v };
    case 'op':
      if (t.v === '(') {
        const p = parsePipe(toks, pos, true);
        if (toks[pos.i]?.v !== ')') throw new TemplateError('unclosed left paren');
        pos.i++;
        // `(…).field`
        const next = toks[pos.i];
        let path: string[] = [];
        if (next?.k === 'field' && next.v !== '.') { path = splitPath(next.v); pos.i++; }
        return { t: 'pipe', p, path };
      }
  }
  throw new TemplateError(`unexpected "${t.v}" in operand`);
}

// ---- the template's structure ----
interface Raw { kind: 'text' | 'action'; s: string }

function scan(src: string): Raw[] {
  const out: Raw[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) { out.push({ kind: 'text', s: src.slice(i) }); break; }
    let text = src.slice(i, open);
    let inner0 = open + 2;
    if (src[inner0] === '-' && /\s/.test(src[inner0 + 1] ?? '')) { text = text.replace(/\s+$/, ''); inner0 += 1; }
    if (text) out.push({ kind: 'text', s: text });
    // The action ends at the first `}}` outside a string.
    let j = inner0;
    let quote = '';
    while (j < src.length) {
      const c = src[j];
      if (quote) { if (c === '\\' && quote === '"') j++; else if (c === quote) quote = ''; } else if (c === '"' || c === '`') quote = c; else if (c === '}' && src[j + 1] === '}') break;
      j++;
    }
    if (j >= src.length) throw new TemplateError('unclosed action');
    let inner = src.slice(inner0, j);
    let after = j + 2;
    if (/\s-$/.test(inner)) {
      inner = inner.slice(0, -1);
      while (after < src.length && /\s/.test(src[after])) after++;
    }
    out.push({ kind: 'action', s: inner.trim() });
    i = after;
  }
  return out;
}

interface Parsed { nodes: Node[]; defines: Map<string, Node[]> }

function parse(src: string): Parsed {
  const raws = scan(src);
  const defines = new Map<string, Node[]>();
  let i = 0;
  // Returns the nodes up to a closing keyword (end / else …), and that keyword's action.
  const list = (top: boolean): { nodes: Node[]; close?: string } => {
    const nodes: Node[] = [];
    while (i < raws.length) {
      const r = raws[i++];
      if (r.kind === 'text') { nodes.push({ t: 'text', s: r.s }); continue; }
      const a = r.s;
      if (a.startsWith('/*')) continue;
      const word = /^[a-z]+/.exec(a)?.[0] ?? '';
      const rest = a.slice(word.length);
      if (word === 'end' || word === 'else') {
        if (top) throw new TemplateError(`unexpected {{${word}}}`);
        return { nodes, close: a };
      }
      if (word === 'if' || word === 'with' || word === 'range') nodes.push(block(word, rest));
      else if (word === 'define') {
        const name = lexAction(rest)[0];
        if (name?.k !== 'str') throw new TemplateError('define needs a quoted name');
        const body = list(false);
        if (body.close !== 'end') throw new TemplateError('define not closed by {{end}}');
        defines.set(name.v, body.nodes);
      } else if (word === 'template' || word === 'block') {
        const toks = lexAction(rest);
        if (toks[0]?.k !== 'str') throw new TemplateError('template needs a quoted name');
        const pos = { i: 1 };
        nodes.push({ t: 'template', name: toks[0].v, p: toks.length > 1 ? parsePipe(toks, pos, false) : undefined });
      } else if ((word === 'break' || word === 'continue') && !rest.trim()) nodes.push({ t: word });
      else nodes.push({ t: 'action', p: parsePipe(lexAction(a), { i: 0 }, false) });
    }
    if (!top) throw new TemplateError('unexpected EOF: an {{if}}, {{range}}, {{with}} or {{define}} is not closed by {{end}}');
    return { nodes };
  };
  const block = (word: 'if' | 'with' | 'range', rest: string): Node => {
    const p = parsePipe(lexAction(rest), { i: 0 }, false);
    const body = list(false);
    let els: Node[] = [];
    if (body.close && body.close !== 'end') {
      const elseRest = body.close.slice(4).trim();
      if (/^(if|with)\b/.test(elseRest)) {
        // `{{else if …}}`: a nested block that shares our {{end}}.
        const w = /^(if|with)/.exec(elseRest)![0] as 'if' | 'with';
        els = [block(w, elseRest.slice(w.length))];
      } else {
        const e = list(false);
        if (e.close !== 'end') throw new TemplateError('expected {{end}}');
        els = e.nodes;
      }
    }
    return { t: word, p, body: body.nodes, els };
  };
  const nodes = list(true).nodes;
  return { nodes, defines };
}

// ---- evaluation ----
const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  return true;
}

function walk(v: unknown, path: string[]): unknown {
  for (const k of path) {
    if (!isMap(v) || !Object.prototype.hasOwnProperty.call(v, k)) return undefined;
    v = v[k];
  }
  return v;
}

function printValue(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function* count(n: number): Generator<[number, number]> {
  for (let i = 0; i < n; i++) yield [i, i];
}

/** A RangeError (the stack, a string's length) from a user's template, as a TemplateError saying so. */
function bounded<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof RangeError) throw new TemplateError(`template too large or too deeply nested (${e.message})`);
    throw e;
  }
}

const BREAK = Symbol('break');
const CONTINUE = Symbol('continue');

const eq = (a: unknown, ...bs: unknown[]): boolean => bs.some((b) => (a ?? null) === (b ?? null) || (typeof a === 'object' && JSON.stringify(a) === JSON.stringify(b)));
const cmp = (a: any, b: any): number => (typeof a === 'string' || typeof b === 'string' ? String(a).localeCompare(String(b)) : Number(a) - Number(b));

function sprintf(format: string, ...args: unknown[]): string {
  let n = 0;
  return String(format).replace(/%([-+ #0]*\d*(?:\.\d+)?)([svdqtf%])/g, (_m, _f, verb) => {
    if (verb === '%') return '%';
    const a = args[n++];
    if (verb === 'q') return JSON.stringify(printValue(a));
    if (verb === 'd') return String(Math.trunc(Number(a)));
    return printValue(a);
  });
}

const BUILTINS: Record<string, Func> = {
  and: (...a) => { for (const x of a) if (!truthy(x)) return x; return a[a.length - 1]; },
  or: (...a) => { for (const x of a) if (truthy(x)) return x; return a[a.length - 1]; },
  not: (a) => !truthy(a),
  eq, ne: (a, b) => !eq(a, b),
  lt: (a, b) => cmp(a, b) < 0, le: (a, b) => cmp(a, b) <= 0, gt: (a, b) => cmp(a, b) > 0, ge: (a, b) => cmp(a, b) >= 0,
  len: (a) => (typeof a === 'string' || Array.isArray(a) ? a.length : isMap(a) ? Object.keys(a).length : 0),
  index: (a, ...ks) => { let v: any = a; for (const k of ks) v = Array.isArray(v) ? v[Number(k)] : isMap(v) && Object.prototype.hasOwnProperty.call(v, String(k)) ? v[String(k)] : undefined; return v; },
  print: (...a) => a.map(printValue).join(''),
  println: (...a) => `${a.map(printValue).join(' ')}\n`,
  printf: (f, ...a) => sprintf(f, ...a),
  // sprig's, as kwok registers them.
  add1: (a) => Number(a ?? 0) + 1,
  add: (...a) => a.reduce((s: number, x) => s + Number(x ?? 0), 0),
  sub: (a, b) => Number(a ?? 0) - Number(b ?? 0),
  dict: (...a) => { const o: Record<string, unknown> = Object.create(null); for (let i = 0; i + 1 < a.length; i += 2) { const k = String(a[i]); if (k !== '__proto__') o[k] = a[i + 1]; } return o; },
  list: (...a) => a,
  default: (d, v) => (truthy(v) ? v : d),
  quote: (...a) => a.map((x) => JSON.stringify(printValue(x))).join(' '),
  toJson: (a) => JSON.stringify(a ?? null),
  empty: (a) => !truthy(a),
};

interface Scope { vars: Map<string, unknown>[] }

// A template is the user's (a Stage's): bounds on what one execution may cost, so that a loop without
// end, a `range 100000000`, a string doubled in a loop or a template calling itself fails with a
// TemplateError instead of hanging the controller or exhausting the process's memory or stack.
const MAX_STEPS = 1_000_000;
const MAX_TEXT = 4_000_000;
const MAX_DEPTH = 1000;
const tooLarge = () => new TemplateError('template too large');

class Exec {
  out = '';
  steps = 0;
  depth = 0;
  constructor(private parsed: Parsed, private funcs: Record<string, Func>) {}

  private lookup(s: Scope, name: string): unknown {
    for (let i = s.vars.length - 1; i >= 0; i--) if (s.vars[i].has(name)) return s.vars[i].get(name);
    throw new TemplateError(`undefined variable "${name}"`);
  }
  private setVar(s: Scope, name: string, v: unknown, assign: boolean): void {
    if (assign) {
      for (let i = s.vars.length - 1; i >= 0; i--) if (s.vars[i].has(name)) { s.vars[i].set(name, v); return; }
      throw new TemplateError(`undefined variable "${name}"`);
    }
    s.vars[s.vars.length - 1].set(name, v);
  }

  private fn(name: string): Func {
    const f = Object.prototype.hasOwnProperty.call(this.funcs, name) ? this.funcs[name] : Object.prototype.hasOwnProperty.call(BUILTINS, name) ? BUILTINS[name] : undefined;
    if (!f) throw new TemplateError(`function "${name}" not defined`);
    return f;
  }

  private expr(e: Expr, dot: unknown, s: Scope): unknown {
    switch (e.t) {
      case 'lit': return e.v;
      case 'field': return walk(dot, e.path);
      case 'var': return walk(this.lookup(s, e.name), e.path);
      case 'pipe': return walk(this.pipe(e.p, dot, s), e.path);
      case 'ident': return this.fn(e.name)();
    }
  }

  pipe(p: Pipe, dot: unknown, s: Scope): unknown {
    let v: unknown;
    let first = true;
    for (const c of p.cmds) {
      const [head, ...rest] = c.args;
      if (head.t === 'ident') {
        const args = rest.map((a) => this.expr(a, dot, s));
        if (!first) args.push(v);
        v = this.fn(head.name)(...args);
        if (typeof v === 'string' && v.length > MAX_TEXT) throw tooLarge();
      } else {
        if (rest.length || !first) throw new TemplateError(`can't give argument to non-function ${head.t === 'field' ? `.${head.path.join('.')}` : 'value'}`);
        v = this.expr(head, dot, s);
      }
      first = false;
    }
    for (const d of p.decl) this.setVar(s, d, v, p.assign);
    return v;
  }

  run(nodes: Node[], dot: unknown, s: Scope): typeof BREAK | typeof CONTINUE | undefined {
    for (const n of nodes) {
      // A template is the user's: a loop without end must not hang the controller.
      if (++this.steps > MAX_STEPS || this.out.length > MAX_TEXT) throw tooLarge();
      switch (n.t) {
        case 'text': this.out += n.s; break;
        case 'action': { const v = this.pipe(n.p, dot, s); if (!n.p.decl.length) this.out += printValue(v); break; }
        case 'if': case 'with': {
          s.vars.push(new Map());
          const v = this.pipe(n.p, dot, s);
          const r = truthy(v) ? this.run(n.body, n.t === 'with' ? v : dot, s) : this.run(n.els, dot, s);
          s.vars.pop();
          if (r) return r;
          break;
        }
        case 'range': {
          s.vars.push(new Map());
          const decl = n.p.decl;
          const v = this.pipe({ ...n.p, decl: [] }, dot, s);
          // An integer counts (Go 1.22); it is not made into a list first, and a count past the step budget fails at once.
          if (typeof v === 'number' && !Number.isInteger(v)) throw new TemplateError(`range can't iterate over ${v}`);
          if (typeof v === 'number' && v > MAX_STEPS - this.steps) throw tooLarge();
          const items: [unknown, unknown][] | Generator<[number, number]> = Array.isArray(v) ? v.map((x, i) => [i, x])
            : isMap(v) ? Object.keys(v).sort().map((k) => [k, v[k]]) : typeof v === 'number' ? count(v) : [];
          if (Array.isArray(items) ? !items.length : !(Number(v) > 0)) { const r = this.run(n.els, dot, s); s.vars.pop(); if (r) return r; break; }
          for (const [k, x] of items) {
            if (++this.steps > MAX_STEPS) throw tooLarge();
            if (decl.length === 1) s.vars[s.vars.length - 1].set(decl[0], x);
            if (decl.length === 2) { s.vars[s.vars.length - 1].set(decl[0], k); s.vars[s.vars.length - 1].set(decl[1], x); }
            const r = this.run(n.body, x, s);
            if (r === BREAK) break;
          }
          s.vars.pop();
          break;
        }
        case 'template': {
          const body = this.parsed.defines.get(n.name);
          if (!body) throw new TemplateError(`no such template "${n.name}"`);
          const v = n.p ? this.pipe(n.p, dot, s) : undefined;
          if (++this.depth > MAX_DEPTH) throw new TemplateError(`exceeded maximum template depth (${MAX_DEPTH})`);
          this.run(body, v, { vars: [new Map([['$', v]])] });
          this.depth--;
          break;
        }
        case 'break': return BREAK;
        case 'continue': return CONTINUE;
      }
    }
    return undefined;
  }
}

/** A parsed template: parse once (errors say what is wrong), execute on each object. */
export class GoTemplate {
  private parsed: Parsed;
  constructor(src: string) { this.parsed = bounded(() => parse(src)); }
  execute(data: unknown, funcs: Record<string, Func> = {}): string {
    const x = new Exec(this.parsed, funcs);
    bounded(() => x.run(this.parsed.nodes, data, { vars: [new Map([['$', data]])] }));
    return x.out;
  }
}
