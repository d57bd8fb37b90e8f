// The subset of Kubernetes JSONPath that CRD additionalPrinterColumns use:
// `.a.b`, `['a.b']`, `[0]`, `[-1]`, `[*]`, `.*` and filters such as
// `[?(@.type=="Ready")]` (== and !=). Missing keys yield no results, like the
// API server's evaluator with AllowMissingKeys. Keys name own data only
// (`.constructor` finds a field called constructor, never a prototype's).

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'all' }
  | { kind: 'filter'; path: string[]; op: '==' | '!=' | 'exists'; value?: unknown };

export class JSONPathError extends Error {}

function parseLiteral(s: string): unknown {
  const t = s.trim();
  if ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'"))) return t.slice(1, -1);
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (t === 'null') return null;
  if (t !== '' && !Number.isNaN(Number(t))) return Number(t);
  throw new JSONPathError(`unrecognized literal ${t}`);
}

function parseFilter(expr: string): Step {
  const m = /^\s*@((?:\.[^.=!<>\s]+)*)\s*(?:(==|!=)\s*(.+?))?\s*$/.exec(expr);
  if (!m) throw new JSONPathError(`unsupported filter ${expr}`);
  const path = m[1] ? m[1].slice(1).split('.') : [];
  if (!m[2]) return { kind: 'filter', path, op: 'exists' };
  return { kind: 'filter', path, op: m[2] as '==' | '!=', value: parseLiteral(m[3]!) };
}

/** Parse a path like `.status.conditions[?(@.type=="Ready")].status` (braces optional). */
export function parseJSONPath(src: string): Step[] {
  let s = src.trim();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1).trim();
  if (s.startsWith('$')) s = s.slice(1);
  const steps: Step[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '.') {
      i++;
      if (s[i] === '*') { steps.push({ kind: 'all' }); i++; continue; }
      let name = '';
      // A backslash escapes a dot inside a key (`.labels.app\.kubernetes\.io/name`).
      while (i < s.length && s[i] !== '.' && s[i] !== '[') {
        if (s[i] === '\\' && i + 1 < s.length) i++;
        name += s[i++];
      }
      if (name) steps.push({ kind: 'field', name });
    } else if (c === '[') {
      const close = s[i + 1] === '?' ? s.indexOf(')]', i) + 1 : s.indexOf(']', i);
      if (close <= 0) throw new JSONPathError(`unterminated [ in ${src}`);
      const inner = s.slice(i + 1, close).trim();
      i = close + 1;
      if (inner === '*') steps.push({ kind: 'all' });
      else if (inner.startsWith('?(') && inner.endsWith(')')) steps.push(parseFilter(inner.slice(2, -1)));
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else if (/^(['"]).*\1$/.test(inner)) steps.push({ kind: 'field', name: inner.slice(1, -1) });
      else throw new JSONPathError(`unsupported subscript [${inner}] in ${src}`);
    } else {
      throw new JSONPathError(`unexpected ${c} in ${src}`);
    }
  }
  return steps;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function get(v: unknown, path: string[]): { found: boolean; value?: unknown } {
  let cur = v;
  for (const p of path) {
    if (!isObject(cur) || !Object.prototype.hasOwnProperty.call(cur, p)) return { found: false };
    cur = cur[p];
  }
  return { found: true, value: cur };
}

/** All values the path selects, in document order. */
export function evaluateJSONPath(steps: Step[], root: unknown): unknown[] {
  let cur: unknown[] = [root];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      switch (step.kind) {
        case 'field':
          if (isObject(v) && Object.prototype.hasOwnProperty.call(v, step.name)) next.push(v[step.name]);
          break;
        case 'index':
          if (Array.isArray(v)) {
            const idx = step.index < 0 ? v.length + step.index : step.index;
            if (idx >= 0 && idx < v.length) next.push(v[idx]);
          }
          break;
        case 'all':
          if (Array.isArray(v)) next.push(...v);
          else if (isObject(v)) next.push(...Object.keys(v).sort().map((k) => v[k]));
          break;
        case 'filter':
          if (!Array.isArray(v)) break;
          for (const item of v) {
            const r = get(item, step.path);
            if (step.op === 'exists' ? r.found : r.found && ((r.value === step.value) === (step.op === '=='))) next.push(item);
          }
          break;
      }
    }
    cur = next;
  }
  return cur;
}
