// Decoding JSON and YAML that comes from outside the process (request bodies,
// annotations, manifests) into plain JSON values, refusing what would hurt the
// code that handles them afterwards: nesting deeper than MAX_DEPTH (recursive
// walks would overflow the stack), YAML aliases that form a cycle or expand
// far beyond the text they came from ("billion laughs"), and YAML values JSON
// cannot hold. See docs/hardening.md for the limits and where they come from.
import { setOwn } from './own.js';
import { Composer, isAlias, isMap, isPair, isScalar, isSeq, Lexer, LineCounter, Parser, visit, type CST, type Document, type Node as YamlNode, type YAMLError } from 'yaml';

/**
 * Deepest nesting of objects and arrays accepted. kube-apiserver's decoders
 * stop at 10000 (Go's encoding/json "exceeded max depth", yaml.v3 "exceeded max
 * depth of 10000"); JavaScript's stack is smaller: the yaml library spends about
 * a dozen frames per level and overflows near 800, and the patch, managedFields
 * and validation walks recurse a few frames per level. 500 is far beyond any
 * real object and leaves the stack half free.
 */
export const MAX_DEPTH = 500;

/** A body that does not decode; `message` says why, in the decoder's words. */
export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

export const depthMessage = `exceeded max depth of ${MAX_DEPTH}`;

/**
 * The deepest nesting in JSON text, scanned without recursion and without
 * building anything, stopping as soon as it passes `limit`.
 */
export function jsonTextDepth(text: string, limit = MAX_DEPTH): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max && (max = depth) > limit) return max;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** JSON.parse, refusing nesting deeper than MAX_DEPTH. Keys such as `__proto__` are own data keys (as JSON.parse makes them). */
export function parseJson(text: string): unknown {
  if (jsonTextDepth(text) > MAX_DEPTH) throw new DecodeError(depthMessage);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DecodeError((e as Error).message);
  }
}

/** The deepest nesting of a JSON value, walked with an explicit stack (safe on any input). */
export function valueDepth(v: unknown, limit = MAX_DEPTH): number {
  let max = 0;
  const stack: [unknown, number][] = [[v, 0]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (typeof x !== 'object' || x === null) continue;
    if (d + 1 > max && (max = d + 1) > limit) return max;
    for (const c of Array.isArray(x) ? x : Object.values(x)) if (typeof c === 'object' && c !== null) stack.push([c, d + 1]);
  }
  return max;
}

export interface YamlOptions {
  /** How many bytes of JSON aliases may add when expanded (the request body limit for requests). */
  maxAliasBytes: number;
}

/**
 * Every document of a YAML stream as a plain JSON value (empty documents are
 * skipped). Errors are DecodeErrors with go-yaml's wording where it has one.
 */
export function parseYamlDocuments(text: string, opts: YamlOptions): unknown[] {
  const lines = new LineCounter();
  let docs: Document.Parsed[];
  try {
    // The yaml library composes documents recursively, and a stack overflow
    // inside it can abort the whole process (V8 fails fatally when a regular
    // expression is compiled with the stack exhausted). So the nesting is
    // measured on the library's flat token stream first, and on its concrete
    // syntax tree (built without recursion), before anything recursive runs.
    if (lexicalDepth(text) > MAX_DEPTH) throw new DecodeError(depthMessage);
    const tokens = Array.from(new Parser(lines.addNewLine).parse(text));
    if (cstDepth(tokens) > MAX_DEPTH) throw new DecodeError(depthMessage);
    // logLevel 'error': unknown tags are kept as their plain value, without a process warning per request.
    docs = Array.from(new Composer({ uniqueKeys: true, logLevel: 'error' }).compose(tokens)) as Document.Parsed[];
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    throw new DecodeError(yamlMessage(e, lines));
  }
  const out: unknown[] = [];
  for (const doc of docs) {
    if (doc.errors.length) throw new DecodeError(yamlMessage(doc.errors[0], lines));
    if (doc.contents === null) continue;
    out.push(new YamlToJson(doc, opts.maxAliasBytes).convert());
  }
  return out;
}

// A lower bound of the nesting, from the lexer's flat token stream: flow
// collections ([...] and {...}; brackets inside quoted or block scalars are not
// tokens of their own), and block collections opened on one line ("- - - x",
// "? ? x"). The parser is slow on very deep nesting of these two kinds (other
// nesting needs a deeper indentation per level, so it cannot get deep in a
// bounded body), so this runs first when the text has enough of their characters.
function lexicalDepth(text: string): number {
  let marks = 0;
  for (let i = 0; i < text.length && marks <= MAX_DEPTH; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b || c === 0x2d || c === 0x3f) marks++; // [ { - ?
  }
  if (marks <= MAX_DEPTH) return 0;
  let flow = 0;
  let onLine = 0;
  for (const t of new Lexer().lex(text)) {
    if (t === '[' || t === '{') flow++;
    else if (t === ']' || t === '}') flow--;
    else if (t === '-' || t === '?') onLine++;
    else if (t === '\n' || t === '\r\n') onLine = 0;
    if (flow > MAX_DEPTH || onLine > MAX_DEPTH) return Math.max(flow, onLine);
  }
  return 0;
}

// Nesting of collections in the concrete syntax tree, walked with an explicit stack.
function cstDepth(tokens: CST.Token[]): number {
  let max = 0;
  const stack: [CST.Token, number][] = tokens.map((t) => [t, 0]);
  while (stack.length) {
    const [t, d] = stack.pop()!;
    const collection = t.type === 'block-map' || t.type === 'block-seq' || t.type === 'flow-collection';
    const depth = collection ? d + 1 : d;
    if (depth > max && (max = depth) > MAX_DEPTH) return max;
    if (t.type === 'document' && t.value) stack.push([t.value, depth]);
    if (collection) {
      for (const it of t.items) {
        if (it.key) stack.push([it.key, depth]);
        if (it.value) stack.push([it.value, depth]);
      }
    }
  }
  return max;
}

/** A single YAML document (an empty text is null); more than one is an error. */
export function parseYaml(text: string, opts: YamlOptions): unknown {
  const docs = parseYamlDocuments(text, opts);
  if (docs.length > 1) throw new DecodeError(`expected one YAML document, got ${docs.length}`);
  return docs.length ? docs[0] : null;
}

function yamlMessage(e: unknown, lines: LineCounter): string {
  const message = String((e as Error)?.message ?? e).split('\n')[0];
  const pos = (e as YAMLError)?.pos?.[0];
  if (pos === undefined) return `yaml: ${message}`;
  const { line, col } = lines.linePos(pos);
  return `yaml: line ${line}, column ${col}: ${message}`;
}

// Converts the parsed document itself rather than the library's toJS(): aliases
// become copies (no shared or circular objects downstream), their expansion is
// metered, and every value is plain JSON.
class YamlToJson {
  private readonly targets = new Map<YamlNode, YamlNode | undefined>();
  private readonly path = new Set<YamlNode>();
  private aliasDepth = 0;
  private aliasBytes = 0;

  constructor(private readonly doc: Document.Parsed, private readonly maxAliasBytes: number) {
    // An alias refers to the last node with its anchor before it, in document order.
    const current = new Map<string, YamlNode>();
    visit(doc, {
      Node: (_k, node) => {
        if (isAlias(node)) this.targets.set(node, current.get(node.source));
        else if (node.anchor) current.set(node.anchor, node);
      },
    });
  }

  convert(): unknown {
    return this.value(this.doc.contents, 0);
  }

  private charge(bytes: number): void {
    if (this.aliasDepth > 0 && (this.aliasBytes += bytes) > this.maxAliasBytes) throw new DecodeError('yaml: document contains excessive aliasing');
  }

  private value(node: unknown, depth: number): unknown {
    if (node === null || node === undefined) {
      this.charge(4);
      return null;
    }
    if (isAlias(node)) {
      const target = this.targets.get(node);
      if (!target) throw new DecodeError(`yaml: unknown anchor '${node.source}' referenced`);
      if (this.path.has(target)) throw new DecodeError(`yaml: anchor '${node.source}' value contains itself`);
      this.aliasDepth++;
      try {
        return this.value(target, depth);
      } finally {
        this.aliasDepth--;
      }
    }
    if (isScalar(node)) return this.scalar(node.value);
    if (isMap(node) || isSeq(node)) {
      if (depth >= MAX_DEPTH) throw new DecodeError(depthMessage);
      this.path.add(node);
      try {
        if (isSeq(node)) {
          this.charge(2);
          const out: unknown[] = [];
          for (const item of node.items) out.push(isPair(item) ? this.pairs([item], depth + 1) : this.value(item, depth + 1));
          return out;
        }
        return this.pairs(node.items, depth);
      } finally {
        this.path.delete(node);
      }
    }
    throw new DecodeError('yaml: unsupported node');
  }

  // A mapping; also a pair in a sequence (!!omap, !!pairs), as a one-key mapping.
  private pairs(items: { key: unknown; value: unknown }[], depth: number): Record<string, unknown> {
    this.charge(2);
    const out: Record<string, unknown> = {};
    for (const pair of items) {
      if (isScalar(pair.key) && pair.key.type === 'PLAIN' && pair.key.value === '<<') {
        this.merge(out, this.value(pair.value, depth + 1));
        continue;
      }
      const key = this.key(pair.key);
      this.charge(key.length + 3);
      setOwn(out, key, this.value(pair.value, depth + 1));
    }
    return out;
  }

  // A merge key (`<<: *base`, or `<<: [*a, *b]`), as Kubernetes' YAML decoding (go-yaml) reads it:
  // the merged mappings' entries are set where the key appears, so keys after it override them, and
  // of several mappings the first wins. A plain `<<` only: a quoted one is an ordinary key.
  private merge(out: Record<string, unknown>, v: unknown): void {
    const isMapping = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);
    const maps = isMapping(v) ? [v] : Array.isArray(v) && v.every(isMapping) ? [...v].reverse() : undefined;
    if (!maps) throw new DecodeError('yaml: map merge requires map or sequence of maps as the value');
    for (const m of maps) for (const k of Object.keys(m)) setOwn(out, k, m[k]);
  }

  private scalar(v: unknown): unknown {
    if (typeof v === 'string') {
      this.charge(v.length + 2);
      return v;
    }
    if (typeof v === 'number') {
      // JSON has no Infinity or NaN; Kubernetes' YAML-to-JSON conversion fails on them too.
      if (!Number.isFinite(v)) throw new DecodeError(`json: unsupported value: ${v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN'}`);
      this.charge(8);
      return v;
    }
    if (typeof v === 'bigint') return this.scalar(Number(v));
    if (typeof v === 'boolean' || v === null || v === undefined) {
      this.charge(5);
      return v ?? null;
    }
    // !!binary: the decoded bytes as a string, as go-yaml gives them.
    if (v instanceof Uint8Array) return this.scalar(Buffer.from(v).toString('utf8'));
    // !!timestamp: RFC 3339 text, as a metav1.Time would print.
    if (v instanceof Date) return this.scalar(Number.isNaN(v.getTime()) ? String(v) : v.toISOString().replace('.000Z', 'Z'));
    return this.scalar(String(v));
  }

  // JSON keys are strings: scalars become their text; collections cannot be keys
  // (sigs.k8s.io/yaml: "unsupported map key").
  private key(node: unknown): string {
    let n = node;
    if (isAlias(n)) n = this.targets.get(n);
    if (isScalar(n) && (typeof n.value === 'string' || typeof n.value === 'number' || typeof n.value === 'boolean')) return String(n.value);
    throw new DecodeError(`yaml: unsupported map key: ${isScalar(n) ? String(n.value) : isSeq(n) ? 'a sequence' : isMap(n) ? 'a mapping' : 'empty'}`);
  }
}
