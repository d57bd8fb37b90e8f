// `nodeless scenario run FILE`: a game day as a file (docs/scenarios.md). A
// YAML timeline of steps (apply manifests, delete objects, run nodeless
// commands, inject and clear Faults, wait) and expectations (a condition holds
// on an object, an event appears, doctor reports a check, a jsonpath equals),
// run against a running nodeless through its APIs; a readable report, and
// exit 1 when an expectation fails. A file with an error names its line.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import YAML, { isMap, isScalar, isSeq, LineCounter, type Node as YamlNode, type Pair } from 'yaml';
import { parseGoDuration } from '../api/duration.js';
import { timerDelay } from '../util/timers.js';
import { evaluateJSONPath, parseJSONPath } from '../api/printers/jsonpath.js';
import { diagnose } from '../clouds/doctor.js';
import { CloudCliError, leaf } from './common.js';
import { connect, request, type Connection } from './connect.js';
import { gather } from './doctor.js';

export class ScenarioError extends Error {}

type Expectation =
  | { t: 'condition'; object: string; namespace?: string; type: string; status: string; reason?: string }
  | { t: 'event'; object?: string; namespace?: string; reason: string; message?: string; type?: string }
  | { t: 'doctor'; check: string; severity?: string; object?: string }
  | { t: 'jsonpath'; object: string; namespace?: string; path: string; equals?: string; matches?: string }
  | { t: 'nodeless'; args: string[]; exit: number; output?: string };

type Step = { line: number; text: string } & (
  | { t: 'apply'; docs: any[] }
  | { t: 'delete'; object: string; namespace?: string }
  | { t: 'nodeless'; args: string[]; save?: string | Record<string, string>; mayFail: boolean }
  | { t: 'fault-inject'; name: string; spec: Record<string, unknown> }
  | { t: 'fault-clear'; name: string }
  | { t: 'sleep'; ms: number }
  | { t: 'expect'; e: Expectation; withinMs: number; not: boolean; wait: boolean; save?: string });

export interface Scenario { name: string; file: string; steps: Step[] }

export interface StepResult { line: number; step: string; ok: boolean; expectation: boolean; ms: number; detail?: string }

const DEFAULT_WITHIN_MS = 60_000;
const STEP_KEYS = ['apply', 'delete', 'nodeless', 'fault', 'wait', 'expect'];

// ---- parsing, with lines ----

interface Ctx { file: string; dir: string; lc: LineCounter; doc: YAML.Document }

function lineOf(c: Ctx, n: YamlNode | Pair | null | undefined): number {
  const range = (n as any)?.range ?? (n as any)?.key?.range;
  return range ? c.lc.linePos(range[0]).line : 0;
}
const fail = (c: Ctx, n: YamlNode | Pair | null | undefined, msg: string): never => { throw new ScenarioError(`${c.file}:${lineOf(c, n)}: ${msg}`); };

function get(m: YamlNode | null | undefined, key: string): YamlNode | undefined {
  return isMap(m) ? (m.items.find((p) => isScalar(p.key) && p.key.value === key)?.value as YamlNode | undefined) : undefined;
}
function str(c: Ctx, m: YamlNode, key: string, required: true): string;
function str(c: Ctx, m: YamlNode, key: string, required?: false): string | undefined;
function str(c: Ctx, m: YamlNode, key: string, required = false): string | undefined {
  const v = get(m, key);
  if (v === undefined || (isScalar(v) && v.value === null)) { if (required) fail(c, m, `${key} is required`); return undefined; }
  if (!isScalar(v) || typeof v.value === 'object') return fail(c, v, `${key} must be a string`);
  return String(v.value);
}
function only(c: Ctx, m: YamlNode, allowed: string[], what: string): void {
  if (!isMap(m)) fail(c, m, `${what} must be a map`);
  for (const p of (m as any).items as Pair[]) {
    const k = isScalar(p.key) ? String(p.key.value) : '';
    if (!allowed.includes(k)) fail(c, p, `${what}: unknown field "${k}" (fields: ${allowed.join(', ')})`);
  }
}
function duration(c: Ctx, n: YamlNode, v: string): number {
  const ms = parseGoDuration(v);
  if (ms === undefined || ms < 0) fail(c, n, `"${v}" is not a duration such as 30s, 5m or 1h`);
  return ms!;
}
/**
 * A node's value with its aliases resolved against the file's anchors (a node's own toJSON leaves an
 * alias as {source: NAME}), within the yaml library's alias budget: a "billion laughs" file is refused.
 */
function js(c: Ctx, n: YamlNode): unknown {
  try { return n.toJS(c.doc); } catch (e) { return fail(c, n, (e as Error).message); }
}
/**
 * A nodeless command's arguments. The runner waits for the command: `scenario run` (this file again:
 * without end) or `up` (a server) would never answer, so they are refused.
 */
function commandArgs(c: Ctx, n: YamlNode): string[] {
  const args = (n as any).items.map((x: any) => String(x.value));
  if (args[0] === 'scenario' || args[0] === 'up') fail(c, n, `a step cannot run \`nodeless ${args[0]}\`: it would not return`);
  return args;
}
/** A regular expression's source, checked now (it is compiled once the step's ${VARS} are substituted). */
function regex(c: Ctx, n: YamlNode, v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  try { new RegExp(v.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*\}/g, 'x')); } catch (e) { return fail(c, n, `not a regular expression: ${(e as Error).message}`); }
  return v;
}
function objectRef(c: Ctx, n: YamlNode, v: string | undefined): string | undefined {
  if (v !== undefined && !/^[A-Za-z0-9.-]+\/[A-Za-z0-9.*_-]+$/.test(v)) fail(c, n, `object "${v}" must be KIND/NAME, e.g. deploy/web`);
  return v;
}

function parseExpectation(c: Ctx, n: YamlNode): { e: Expectation; withinMs: number; not: boolean; save?: string } {
  const kinds = ['condition', 'event', 'doctor', 'jsonpath', 'nodeless'];
  if (!isMap(n)) fail(c, n, `an expectation is a map with one of ${kinds.join(', ')}`);
  const which = kinds.filter((k) => get(n, k) !== undefined);
  if (which.length !== 1) fail(c, n, `an expectation needs exactly one of ${kinds.join(', ')}`);
  only(c, n, [...kinds, 'within', 'not', 'save'], 'expectation');
  // save: NAME keeps what a jsonpath expectation read, for later steps (a pod's node, an address).
  const save = str(c, n, 'save');
  if (save !== undefined && (which[0] !== 'jsonpath' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(save))) fail(c, get(n, 'save'), 'save: NAME is for a jsonpath expectation, NAME a letter then letters, digits or _');
  const within = str(c, n, 'within');
  const withinMs = within === undefined ? DEFAULT_WITHIN_MS : duration(c, get(n, 'within')!, within);
  const notNode = get(n, 'not');
  const not = isScalar(notNode) && notNode.value === true;
  const b = get(n, which[0])!;
  const ns = () => str(c, b, 'namespace');
  switch (which[0]) {
    case 'condition':
      only(c, b, ['object', 'namespace', 'type', 'status', 'reason'], 'condition');
      return { e: { t: 'condition', object: objectRef(c, b, str(c, b, 'object', true))!, namespace: ns(), type: str(c, b, 'type', true), status: str(c, b, 'status') ?? 'True', reason: str(c, b, 'reason') }, withinMs, not };
    case 'event':
      only(c, b, ['object', 'namespace', 'reason', 'message', 'type'], 'event');
      return { e: { t: 'event', object: objectRef(c, b, str(c, b, 'object')), namespace: ns(), reason: str(c, b, 'reason', true), message: regex(c, b, str(c, b, 'message')), type: str(c, b, 'type') }, withinMs, not };
    case 'doctor':
      only(c, b, ['check', 'severity', 'object'], 'doctor');
      return { e: { t: 'doctor', check: str(c, b, 'check', true), severity: str(c, b, 'severity'), object: str(c, b, 'object') }, withinMs, not };
    case 'nodeless': {
      // A command's answer: `nodeless net egress POD`, `nodeless net ingress EIP:PORT`, …
      only(c, b, ['args', 'exit', 'output'], 'nodeless');
      const args = get(b, 'args');
      if (!isSeq(args) || !args.items.length || !args.items.every((x) => isScalar(x))) fail(c, args ?? b, 'args is the command\'s arguments as a list, e.g. [net, egress, web]');
      const exit = get(b, 'exit');
      if (exit !== undefined && !(isScalar(exit) && Number.isInteger(exit.value))) fail(c, exit, 'exit must be an integer');
      return { e: { t: 'nodeless', args: commandArgs(c, args!), exit: exit ? Number((exit as any).value) : 0, output: regex(c, b, str(c, b, 'output')) }, withinMs, not };
    }
    default: {
      only(c, b, ['object', 'namespace', 'path', 'equals', 'matches'], 'jsonpath');
      const p = str(c, b, 'path', true);
      try { parseJSONPath(p.replace(/^\{(.*)\}$/s, '$1')); } catch (e) { fail(c, get(b, 'path'), `path ${p}: ${(e as Error).message}`); }
      if (get(b, 'equals') === undefined && get(b, 'matches') === undefined) fail(c, b, 'jsonpath needs equals or matches');
      return { e: { t: 'jsonpath', object: objectRef(c, b, str(c, b, 'object', true))!, namespace: ns(), path: p, equals: str(c, b, 'equals'), matches: regex(c, b, str(c, b, 'matches')) }, withinMs, not, save };
    }
  }
}

function describeExpect(e: Expectation, not: boolean): string {
  const neg = not ? 'no ' : '';
  switch (e.t) {
    case 'condition': return `${e.object} has ${not ? 'not ' : ''}condition ${e.type}=${e.status}${e.reason ? ` (${e.reason})` : ''}`;
    case 'event': return `${neg}event ${e.reason}${e.object ? ` on ${e.object}` : ''}${e.message ? ` matching /${e.message}/` : ''}`;
    case 'doctor': return `doctor reports ${neg}${e.severity ? `${e.severity} ` : ''}${e.check}${e.object ? ` on ${e.object}` : ''}`;
    case 'jsonpath': return `${e.object} ${e.path} ${not ? 'is not' : 'is'} ${e.equals !== undefined ? JSON.stringify(e.equals) : `/${e.matches}/`}`;
    case 'nodeless': return `\`nodeless ${e.args.join(' ')}\` ${not ? 'does not exit' : 'exits'} ${e.exit}${e.output ? ` printing /${e.output}/` : ''}`;
  }
}

function parseStep(c: Ctx, n: YamlNode): Step {
  if (!isMap(n)) return fail(c, n, `a step is a map with one of ${STEP_KEYS.join(', ')}`);
  const keys = n.items.map((p) => (isScalar(p.key) ? String(p.key.value) : ''));
  const which = keys.filter((k) => STEP_KEYS.includes(k));
  if (which.length !== 1) fail(c, n, `a step needs exactly one of ${STEP_KEYS.join(', ')}${which.length ? ` (got ${which.join(', ')})` : ''}`);
  const line = lineOf(c, n);
  const v = get(n, which[0])!;
  switch (which[0]) {
    case 'apply': {
      only(c, n, ['apply'], 'apply step');
      // Inline manifests (a string of YAML documents or a map), or {file: PATH} relative to the scenario.
      let text: string;
      let label: string;
      if (isScalar(v) && typeof v.value === 'string') { text = v.value; label = 'inline'; } else if (isMap(v) && get(v, 'file')) {
        const f = str(c, v, 'file', true);
        try { text = fs.readFileSync(path.resolve(c.dir, f), 'utf8'); } catch (e) { return fail(c, v, `apply: cannot read ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); }
        label = f;
      } else if (isMap(v)) { text = YAML.stringify(js(c, v)); label = 'inline'; } else return fail(c, v, 'apply takes manifests (a YAML string or map) or {file: PATH}');
      let docs: any[];
      try { docs = YAML.parseAllDocuments(text).map((d) => { if (d.errors.length) throw d.errors[0]; return d.toJSON(); }).filter((d) => d); } catch (e) { return fail(c, v, `apply: the manifests are not YAML: ${(e as Error).message}`); }
      for (const d of docs) if (!d?.apiVersion || !d?.kind || !d?.metadata?.name) fail(c, v, `apply: every manifest needs apiVersion, kind and metadata.name (${label})`);
      return { t: 'apply', line, docs, text: `apply ${docs.map((d) => `${d.kind.toLowerCase()}/${d.metadata.name}`).join(', ')}` };
    }
    case 'delete': {
      only(c, n, ['delete', 'namespace'], 'delete step');
      const object = objectRef(c, v, isScalar(v) ? String(v.value) : fail(c, v, 'delete takes KIND/NAME'))!;
      return { t: 'delete', line, object, namespace: str(c, n, 'namespace'), text: `delete ${object}` };
    }
    case 'nodeless': {
      only(c, n, ['nodeless', 'save', 'mayFail'], 'nodeless step');
      if (!isSeq(v) || !v.items.every((x) => isScalar(x))) fail(c, v, 'nodeless takes the command\'s arguments as a list, e.g. [cloud, subnet, list]');
      const args = commandArgs(c, v);
      const s = get(n, 'save');
      const save = s === undefined ? undefined : isScalar(s) ? String(s.value) : isMap(s) ? js(c, s) as Record<string, string> : fail(c, s, 'save is a NAME, or {NAME: JSONPATH} over the JSON output');
      const mf = get(n, 'mayFail');
      return { t: 'nodeless', line, args, save, mayFail: isScalar(mf) && mf.value === true, text: `nodeless ${args.join(' ')}` };
    }
    case 'fault': {
      only(c, n, ['fault'], 'fault step');
      if (!isMap(v)) fail(c, v, 'fault takes {inject: KIND, target?, for?, parameters?, name?} or {clear: NAME}');
      if (get(v, 'clear') !== undefined) {
        only(c, v, ['clear'], 'fault');
        const name = str(c, v, 'clear', true);
        return { t: 'fault-clear', line, name, text: `fault clear ${name}` };
      }
      only(c, v, ['inject', 'target', 'for', 'parameters', 'name'], 'fault');
      const kind = str(c, v, 'inject', true);
      const spec: Record<string, unknown> = { kind };
      const target = str(c, v, 'target');
      if (target !== undefined) spec.target = target;
      const f = str(c, v, 'for');
      if (f !== undefined) { duration(c, get(v, 'for')!, f); spec.for = f; }
      const params = get(v, 'parameters');
      if (params !== undefined) spec.parameters = isMap(params) ? js(c, params) : fail(c, params, 'parameters is a map of strings');
      const name = str(c, v, 'name') ?? `scenario-${kind}-${line}`;
      return { t: 'fault-inject', line, name, spec, text: `fault inject ${kind}${target ? ` --target ${target}` : ''}${f ? ` --for ${f}` : ''} (${name})` };
    }
    case 'wait': {
      only(c, n, ['wait'], 'wait step');
      if (isScalar(v)) { const ms = duration(c, v, String(v.value)); return { t: 'sleep', line, ms, text: `wait ${v.value}` }; }
      const x = parseExpectation(c, v);
      return { t: 'expect', line, ...x, wait: true, text: `wait until ${describeExpect(x.e, x.not)}` };
    }
    default: {
      only(c, n, ['expect'], 'expect step');
      const x = parseExpectation(c, v);
      return { t: 'expect', line, ...x, wait: false, text: `expect ${describeExpect(x.e, x.not)}` };
    }
  }
}

/** Parses a scenario file; a ScenarioError names the file and line of what is wrong. */
export function parseScenario(text: string, file: string): Scenario {
  const lc = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw new ScenarioError(`${file}:${e.linePos?.[0]?.line ?? lc.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`);
  }
  const c: Ctx = { file, dir: path.dirname(path.resolve(file)), lc, doc };
  const root = doc.contents as YamlNode | null;
  if (!isMap(root)) fail(c, root, 'a scenario is a map with name and steps');
  only(c, root!, ['name', 'description', 'source', 'steps'], 'scenario');
  const steps = get(root, 'steps');
  if (!isSeq(steps) || !steps.items.length) fail(c, steps ?? root, 'steps must be a non-empty list');
  return { name: str(c, root!, 'name') ?? path.basename(file), file, steps: (steps as any).items.map((s: YamlNode) => parseStep(c, s)) };
}

// ---- running ----

interface ApiResource { group: string; version: string; plural: string; kind: string; namespaced: boolean; names: string[] }

class Kube {
  private resources?: ApiResource[];
  constructor(private conn: Connection, private prefix: string) {}

  async call(method: string, p: string, body?: unknown, contentType?: string) {
    return request(this.conn, method, `${this.prefix}${p}`, body, contentType);
  }

  private async discover(): Promise<ApiResource[]> {
    if (this.resources) return this.resources;
    const out: ApiResource[] = [];
    const add = (group: string, version: string, list: any) => {
      for (const r of list?.resources ?? []) {
        if (String(r.name).includes('/')) continue;
        out.push({ group, version, plural: r.name, kind: r.kind, namespaced: r.namespaced, names: [r.name, r.singularName, r.kind.toLowerCase(), ...(r.shortNames ?? [])].filter(Boolean).map((x: string) => x.toLowerCase()) });
      }
    };
    add('', 'v1', (await this.call('GET', '/api/v1')).body);
    const groups = (await this.call('GET', '/apis')).body?.groups ?? [];
    await Promise.all(groups.map(async (g: any) => {
      const v = g.preferredVersion?.version ?? g.versions?.[0]?.version;
      const res = await this.call('GET', `/apis/${g.name}/${v}`);
      if (res.status === 200) add(g.name, v, res.body);
    }));
    this.resources = out;
    return out;
  }

  /** KIND/NAME as kubectl reads it (a short name, the singular or plural, `kind.group`). */
  async resolve(ref: string): Promise<{ r: ApiResource; name: string }> {
    const [kind, name] = ref.split('/');
    const [k, ...g] = kind.toLowerCase().split('.');
    const group = g.join('.');
    const r = (await this.discover()).find((x) => x.names.includes(k) && (!group || x.group === group));
    if (!r) throw new Error(`the server doesn't have a resource type "${kind}"`);
    return { r, name };
  }

  async byKind(apiVersion: string, kind: string): Promise<ApiResource> {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    const r = (await this.discover()).find((x) => x.group === group && x.kind === kind) ;
    if (!r) throw new Error(`no matches for kind "${kind}" in version "${apiVersion}"`);
    return { ...r, version };
  }

  url(r: ApiResource, ns: string | undefined, name?: string): string {
    const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
    return `${base}${r.namespaced ? `/namespaces/${encodeURIComponent(ns ?? 'default')}` : ''}/${r.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
  }

  async get(ref: string, ns?: string): Promise<any | undefined> {
    const { r, name } = await this.resolve(ref);
    const res = await this.call('GET', this.url(r, ns, name));
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(res.body?.message ?? `GET ${ref}: HTTP ${res.status}`);
    return res.body;
  }
}

/** A wait of any length: setTimeout fires at once, with a warning, past its maximum (util/timers.ts). */
const sleep = async (ms: number): Promise<void> => {
  const until = Date.now() + ms;
  do await new Promise((r) => setTimeout(r, timerDelay(until - Date.now()))); while (Date.now() < until);
};
const problem = (res: { status: number; body: any; text: string }) => `${res.body?.message ?? (res.text.trim() || `HTTP ${res.status}`)}`;

export interface RunOptions { home: string; cluster: string; failFast?: boolean; pollMs?: number; onStep?: (r: StepResult) => void }

/** Substitutes ${NAME} with what earlier steps saved. */
function subst(v: unknown, vars: Map<string, string>): any {
  if (typeof v === 'string') return v.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (m, k) => vars.get(k) ?? m);
  if (Array.isArray(v)) return v.map((x) => subst(x, vars));
  if (v && typeof v === 'object') { const o: Record<string, unknown> = {}; for (const [k, x] of Object.entries(v)) if (k !== '__proto__') o[k] = subst(x, vars); return o; }
  return v;
}

export async function runScenario(s: Scenario, o: RunOptions): Promise<StepResult[]> {
  const conn = connect(o.home);
  const prefix = o.cluster === 'default' ? '' : `/clusters/${encodeURIComponent(o.cluster)}`;
  const kube = new Kube(conn, prefix);
  // SCENARIO_DIR: the file's directory, so a `nodeless` step can name files beside it (`-f ${SCENARIO_DIR}/x.yaml`).
  const vars = new Map<string, string>([['SCENARIO_DIR', path.dirname(path.resolve(s.file))]]);
  const results: StepResult[] = [];
  const poll = o.pollMs ?? 500;
  /** This nodeless command, against the same home. */
  const cli = (args: string[]) => spawnSync(process.execPath, [...process.execArgv, process.argv[1], ...args, '--home', o.home], { encoding: 'utf8', timeout: 120_000 });

  /** What the last jsonpath look read (for an expectation's save). */
  let lastRead = '';
  /** One look: undefined when the expectation holds, else what was seen instead. */
  const look = async (e: Expectation): Promise<string | undefined> => {
    switch (e.t) {
      case 'condition': {
        const obj = await kube.get(e.object, e.namespace);
        if (!obj) return `${e.object} not found`;
        const cond = (obj.status?.conditions ?? []).find((x: any) => x?.type === e.type);
        if (cond?.status === e.status && (!e.reason || cond.reason === e.reason)) return undefined;
        return cond ? `${e.type}=${cond.status}${cond.reason ? ` (${cond.reason}${cond.message ? `: ${cond.message}` : ''})` : ''}` : `no condition ${e.type}`;
      }
      case 'event': {
        const ns = e.namespace ?? 'default';
        const res = await kube.call('GET', `/api/v1/namespaces/${encodeURIComponent(ns)}/events?fieldSelector=${encodeURIComponent(`reason=${e.reason}`)}`);
        if (res.status !== 200) return problem(res);
        let want: { kind?: string; name?: RegExp } = {};
        if (e.object) {
          const [k, name] = e.object.split('/');
          const kind = (await kube.resolve(`${k}/x`)).r.kind;
          want = { kind, name: new RegExp(`^${name.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`) };
        }
        const hits = (res.body.items ?? []).filter((ev: any) => (!want.kind || ev.involvedObject?.kind === want.kind) && (!want.name || want.name.test(ev.involvedObject?.name ?? ''))
          && (!e.type || ev.type === e.type));
        if (hits.some((ev: any) => !e.message || new RegExp(e.message).test(ev.message ?? ''))) return undefined;
        return hits.length ? `${hits.length} ${e.reason} event(s), none matching: ${hits.slice(0, 2).map((ev: any) => JSON.stringify(ev.message)).join(', ')}` : `no ${e.reason} event`;
      }
      case 'doctor': {
        const findings = diagnose(await gather({ home: o.home }, o.cluster));
        const hit = findings.find((f) => f.check === e.check && (!e.severity || f.severity === e.severity) && (!e.object || f.objects.includes(e.object)));
        if (hit) return undefined;
        const same = findings.filter((f) => f.check === e.check);
        return same.length ? `doctor's ${e.check} findings: ${same.map((f) => `${f.severity} ${f.objects.join(' ')}`).join('; ')}` : `doctor reports no ${e.check} finding`;
      }
      case 'nodeless': {
        const res = cli(e.args);
        const out = `${res.stdout ?? ''}${res.stderr ?? ''}`.trim();
        if (res.status === e.exit && (!e.output || new RegExp(e.output).test(out))) return undefined;
        return `exit ${res.status}: ${out.split('\n').slice(0, 3).join(' | ')}`;
      }
      case 'jsonpath': {
        const obj = await kube.get(e.object, e.namespace);
        if (!obj) return `${e.object} not found`;
        const got = evaluateJSONPath(parseJSONPath(e.path.replace(/^\{(.*)\}$/s, '$1')), obj).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(' ');
        const ok = e.equals !== undefined ? got === e.equals : new RegExp(e.matches!).test(got);
        lastRead = got;
        return ok ? undefined : `${e.path} is ${JSON.stringify(got)}`;
      }
    }
  };

  const act = async (st: Step): Promise<string | undefined> => {
    switch (st.t) {
      case 'apply': {
        for (const doc of subst(st.docs, vars)) {
          const r = await kube.byKind(doc.apiVersion, doc.kind);
          const res = await kube.call('PATCH', `${kube.url(r, doc.metadata.namespace, doc.metadata.name)}?fieldManager=nodeless-scenario&force=true`, doc, 'application/apply-patch+yaml');
          if (res.status >= 300) return `${doc.kind.toLowerCase()}/${doc.metadata.name}: ${problem(res)}`;
        }
        return undefined;
      }
      case 'delete': {
        const { r, name } = await kube.resolve(subst(st.object, vars));
        const res = await kube.call('DELETE', kube.url(r, st.namespace, name));
        if (res.status >= 300) return problem(res);
        // As `kubectl delete` (--wait=true): the step ends when the object is gone (finalizers, grace period).
        const deadline = Date.now() + DEFAULT_WITHIN_MS * 2;
        while ((await kube.call('GET', kube.url(r, st.namespace, name))).status !== 404) {
          if (Date.now() > deadline) return `still there after ${DEFAULT_WITHIN_MS * 2 / 1000}s`;
          await sleep(poll);
        }
        return undefined;
      }
      case 'nodeless': {
        const args = subst(st.args, vars) as string[];
        const res = cli(args);
        if (res.status !== 0 && !st.mayFail) return `exit ${res.status}: ${(res.stderr || res.stdout).trim()}`;
        const out = (res.stdout ?? '').trim();
        if (typeof st.save === 'string') vars.set(st.save, out);
        else if (st.save) {
          let json: unknown;
          try { json = JSON.parse(out); } catch { return 'save with jsonpaths needs JSON output (add -o json)'; }
          for (const [k, p] of Object.entries(st.save)) vars.set(k, evaluateJSONPath(parseJSONPath(subst(String(p), vars).replace(/^\{(.*)\}$/s, '$1')), json).map(String).join(' '));
        }
        return undefined;
      }
      case 'fault-inject': {
        const body = { apiVersion: 'nodeless.dev/v1alpha1', kind: 'Fault', metadata: { name: st.name }, spec: subst(st.spec, vars) };
        const res = await kube.call('POST', '/apis/nodeless.dev/v1alpha1/faults', body);
        if (res.status === 404 && res.body?.details?.kind !== 'faults') return `this nodeless serves no Fault kind (nodeless.dev/v1alpha1): ${problem(res)}`;
        if (res.status >= 300) return problem(res);
        // As `nodeless fault inject`: the step ends once the effect is in place (docs/faults.md, Lifecycle).
        const deadline = Date.now() + DEFAULT_WITHIN_MS;
        for (;;) {
          const f = (await kube.call('GET', `/apis/nodeless.dev/v1alpha1/faults/${encodeURIComponent(st.name)}`)).body;
          if (f?.status?.phase === 'Active') return undefined;
          if (f?.status?.phase === 'Failed') return `the fault failed: ${f.status.message ?? ''}`;
          if (Date.now() > deadline) return `not Active after ${DEFAULT_WITHIN_MS / 1000}s (phase ${f?.status?.phase ?? 'none'})`;
          await sleep(poll);
        }
      }
      case 'fault-clear': {
        const url = `/apis/nodeless.dev/v1alpha1/faults/${encodeURIComponent(subst(st.name, vars))}`;
        const res = await kube.call('DELETE', url);
        if (res.status >= 300) return problem(res);
        // As `nodeless fault clear`: the step ends once the Fault, and so its effect, is gone.
        const deadline = Date.now() + DEFAULT_WITHIN_MS;
        while ((await kube.call('GET', url)).status !== 404) {
          if (Date.now() > deadline) return `the fault is still there after ${DEFAULT_WITHIN_MS / 1000}s`;
          await sleep(poll);
        }
        return undefined;
      }
      case 'sleep': await sleep(st.ms); return undefined;
      default: return undefined;
    }
  };

  let stop = false;
  for (const st of s.steps) {
    if (stop) break;
    const t0 = Date.now();
    let detail: string | undefined;
    if (st.t === 'expect') {
      const e = subst(st.e, vars) as Expectation;
      const deadline = Date.now() + st.withinMs;
      for (;;) {
        let seen: string | undefined;
        try { seen = await look(e); } catch (err) { seen = (err as Error).message; }
        const holds = st.not ? seen !== undefined : seen === undefined;
        if (holds) { detail = undefined; if (st.save) vars.set(st.save, lastRead); break; }
        detail = st.not ? 'it does' : seen;
        if (Date.now() >= deadline) { detail = `not within ${st.withinMs / 1000}s: ${detail}`; break; }
        await sleep(Math.min(poll, Math.max(0, deadline - Date.now())));
      }
    } else {
      try { detail = await act(st); } catch (err) { detail = (err as Error).message; }
    }
    const r: StepResult = { line: st.line, step: st.text, ok: detail === undefined, expectation: st.t === 'expect', ms: Date.now() - t0, ...(detail !== undefined ? { detail } : {}) };
    results.push(r);
    o.onStep?.(r);
    // An action that failed leaves the rest of the timeline meaningless; a failed expectation does not.
    if (!r.ok && (!r.expectation || o.failFast)) stop = true;
  }
  return results;
}

export function formatResult(r: StepResult): string {
  return `${r.ok ? 'PASS' : 'FAIL'}  line ${String(r.line).padEnd(4)} ${r.step}  (${(r.ms / 1000).toFixed(1)}s)${r.detail ? `\n      ${r.detail}` : ''}`;
}

export function registerScenarioCommand(program: Command): void {
  const scenario = program.command('scenario').description('game days as files: a timeline of steps and expectations (docs/scenarios.md)');
  leaf(scenario, 'run <file>', 'run a scenario against the running nodeless; exit 1 when an expectation fails', async (o, file: string) => {
    if (o.output !== 'table' && o.output !== 'json') throw new CloudCliError('InvalidParameter', `-o must be table or json, got ${o.output}`);
    let text: string;
    try { text = fs.readFileSync(file, 'utf8'); } catch (e) { throw new CloudCliError('InvalidParameter', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); }
    let s: Scenario;
    try { s = parseScenario(text, file); } catch (e) { if (e instanceof ScenarioError) throw new CloudCliError('InvalidScenario', e.message); throw e; }
    const table = o.output === 'table';
    if (table) console.log(`scenario: ${s.name} (${file}, cluster ${o.cluster})`);
    const results = await runScenario(s, { home: o.home, cluster: o.cluster, failFast: o.failFast, onStep: table ? (r) => console.log(formatResult(r)) : undefined });
    const failed = results.filter((r) => !r.ok);
    const expectations = results.filter((r) => r.expectation);
    const skipped = s.steps.length - results.length;
    if (table) {
      console.log(`${failed.length ? 'FAILED' : 'PASSED'}: ${expectations.filter((r) => r.ok).length} of ${expectations.length} expectations held${failed.some((r) => !r.expectation) ? ', a step failed' : ''}${skipped ? `, ${skipped} step(s) not run` : ''}`);
    } else {
      console.log(JSON.stringify({ scenario: s.name, file, cluster: o.cluster, passed: !failed.length, steps: results, notRun: skipped }, null, 2));
    }
    if (failed.length) process.exitCode = 1;
  }).option('--cluster <name>', 'cluster', 'default').option('--fail-fast', 'stop at the first failed expectation');
}
