// The jq subset kwok's Stage selectors and `durationFrom` use (docs/stages.md):
// paths (`.a.b`, `.a["k/x"]`, `.a[0]`, `.a.[]`, `.a[]`), pipes, and
// `select(PATH == LITERAL)` / `!=`. A query yields a stream of values, as jq;
// iterating or indexing what is not there yields nothing (kwok's
// `.status.containerStatuses.[]…` must mean "none" on a pod without statuses).

export class JqError extends Error {}

type Step = { t: 'key'; k: string } | { t: 'idx'; i: number } | { t: 'iter' };
type Filter = { t: 'path'; steps: Step[] } | { t: 'select'; left: Step[]; op: '==' | '!='; right: unknown };

function parsePath(src: string): Step[] {
  const s = src.trim();
  if (!s.startsWith('.')) throw new JqError(`expected a path starting with ".", got "${s}"`);
  const steps: Step[] = [];
  let i = 0;
  while (i < s.length) {
    if (s[i] === '.') {
      i++;
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i));
      if (m) { steps.push({ t: 'key', k: m[0] }); i += m[0].length; }
      continue;
    }
    if (s[i] === '[') {
      const close = s.indexOf(']', i);
      if (close < 0) throw new JqError(`unclosed [ in "${s}"`);
      const inner = s.slice(i + 1, close).trim();
      if (inner === '') steps.push({ t: 'iter' });
      else if (/^-?\d+$/.test(inner)) steps.push({ t: 'idx', i: Number(inner) });
      else if (/^"(?:[^"\\]|\\.)*"$/.test(inner)) steps.push({ t: 'key', k: JSON.parse(inner) });
      else throw new JqError(`unsupported index [${inner}] in "${s}"`);
      i = close + 1;
      continue;
    }
    if (/\s/.test(s[i])) { i++; continue; }
    throw new JqError(`unexpected "${s[i]}" in path "${s}"`);
  }
  return steps;
}

function splitTop(s: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = false;
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) { if (c === '\\') { cur += c + s[++i]; continue; } if (c === '"') quote = false; } else if (c === '"') quote = true;
    else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (depth === 0 && s.startsWith(sep, i)) { out.push(cur); cur = ''; i += sep.length - 1; continue; }
    cur += c;
  }
  out.push(cur);
  return out;
}

function parseLiteral(s: string): unknown {
  const t = s.trim();
  try { return JSON.parse(t); } catch { throw new JqError(`expected a literal (a quoted string, number, true, false or null), got "${t}"`); }
}

function parseFilter(src: string): Filter {
  const s = src.trim();
  const m = /^select\s*\((.*)\)$/s.exec(s);
  if (m) {
    for (const op of ['==', '!='] as const) {
      const parts = splitTop(m[1], op);
      if (parts.length === 2) return { t: 'select', left: parsePath(parts[0]), op, right: parseLiteral(parts[1]) };
    }
    throw new JqError(`select() supports PATH == VALUE and PATH != VALUE, got "${m[1].trim()}"`);
  }
  return { t: 'path', steps: parsePath(s) };
}

function apply(steps: Step[], input: unknown[]): unknown[] {
  let cur = input;
  for (const st of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      if (st.t === 'iter') {
        if (Array.isArray(v)) next.push(...v);
        else if (v && typeof v === 'object') next.push(...Object.values(v));
      } else if (st.t === 'idx') {
        next.push(Array.isArray(v) ? v[st.i < 0 ? v.length + st.i : st.i] : undefined);
      } else {
        next.push(v && typeof v === 'object' && !Array.isArray(v) && Object.prototype.hasOwnProperty.call(v, st.k) ? (v as any)[st.k] : undefined);
      }
    }
    cur = next;
  }
  return cur;
}

/** A compiled query: `new JqQuery(src)` throws a JqError saying what is wrong. */
export class JqQuery {
  private filters: Filter[];
  constructor(readonly src: string) {
    if (typeof src !== 'string' || !src.trim()) throw new JqError('the expression is empty');
    this.filters = splitTop(src, '|').map(parseFilter);
  }
  /** The stream of values, null/missing ones included as undefined. */
  run(obj: unknown): unknown[] {
    let cur: unknown[] = [obj];
    for (const f of this.filters) {
      if (f.t === 'path') cur = apply(f.steps, cur);
      else cur = cur.filter((v) => { const l = apply(f.left, [v]); const hit = l.some((x) => JSON.stringify(x ?? null) === JSON.stringify(f.right)); return f.op === '==' ? hit : !hit; });
    }
    return cur;
  }
  /** The values that are there (not null). */
  values(obj: unknown): unknown[] {
    return this.run(obj).filter((v) => v !== undefined && v !== null);
  }
}

/** How a selector's `values` compare with a query's results: strings as they are, the rest as JSON. */
export const asText = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
