// `nodeless fault inject|list|clear|kinds`: Fault objects (nodeless.dev/v1alpha1)
// made, listed and deleted through the cluster's Kubernetes API, so a fault
// injected here is the same object `kubectl apply -f fault.yaml` makes
// (docs/faults.md). inject and clear wait until the effect is in place or gone.
import type { Command } from 'commander';
import YAML from 'yaml';
import { FAULT_API_VERSION, FAULT_KIND_NAMES, FAULT_KINDS, isFaultKind, kindDef } from '../api/faults.js';
import { CloudCliError, leaf } from './common.js';
import { connect, request } from './connect.js';

const PATH = `/apis/${FAULT_API_VERSION}/faults`;
/** How long inject and clear wait for the controller. */
const WAIT_MS = 60_000;

interface Opts { home: string; output: string; cluster: string }

async function kube(o: Opts, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const prefix = o.cluster === 'default' ? '' : `/clusters/${encodeURIComponent(o.cluster)}`;
  const res = await request(connect(o.home), method, `${prefix}${path}`, body);
  return { status: res.status, body: res.body ?? {} };
}

function fail(res: { status: number; body: any }): never {
  const causes: any[] = res.body?.details?.causes ?? [];
  const why = causes.length ? causes.map((c) => `${c.field}: ${c.message}`).join('; ') : res.body?.message ?? `HTTP ${res.status}`;
  throw new CloudCliError(res.body?.reason || `HTTP${res.status}`, why);
}

const describe = (f: any) => `${f.spec?.kind}${f.spec?.target ? ` on ${f.spec.target}` : ''}`;

function render(o: Opts, value: unknown): boolean {
  if (o.output === 'json') console.log(JSON.stringify(value, null, 2));
  else if (o.output === 'yaml' || o.output === 'yml') console.log(YAML.stringify(value).trimEnd());
  else if (o.output === 'table') return false;
  else throw new CloudCliError('InvalidParameter', `-o must be table, json or yaml, got ${o.output}`);
  return true;
}

/** `key=value` words as parameters; `__proto__` and the like are kept as plain keys and refused by validation. */
function parameters(words: string[]): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const w of words) {
    const i = w.indexOf('=');
    if (i <= 0) throw new CloudCliError('InvalidParameter', `parameter ${JSON.stringify(w)} is not KEY=VALUE`);
    out[w.slice(0, i)] = w.slice(i + 1);
  }
  return out;
}

async function poll<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new CloudCliError('Timeout', `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function table(items: any[]): string {
  const rows = [['ID', 'KIND', 'TARGET', 'PHASE', 'FOR', 'STARTED', 'ENDS'],
    ...items.map((f) => [f.metadata.name, f.spec?.kind ?? '', f.spec?.target || '-', f.status?.phase ?? 'Pending', f.spec?.for ?? '-', f.status?.startTime ?? '-', f.status?.endTime ?? '-'])];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => String(c).padEnd(widths[i])).join('   ').trimEnd()).join('\n');
}

export function registerFaultCommands(program: Command): void {
  const fault = program.command('fault').description('inject, list and clear faults (docs/faults.md): Fault objects of nodeless.dev/v1alpha1');

  leaf(fault, 'inject <kind> [params...]', `inject a fault: ${FAULT_KIND_NAMES.join(', ')}; params as KEY=VALUE`, async (o: Opts & { target?: string; for?: string; name?: string }, kind: string, ...rest: unknown[]) => {
    if (!isFaultKind(kind)) throw new CloudCliError('InvalidParameter', `unknown fault kind ${JSON.stringify(kind)}; valid kinds: ${FAULT_KIND_NAMES.join(', ')}`);
    const words = (Array.isArray(rest[0]) ? rest[0] : []) as string[];
    const params = parameters(words);
    const obj = {
      apiVersion: FAULT_API_VERSION, kind: 'Fault',
      metadata: o.name ? { name: o.name } : { generateName: `${kind}-` },
      spec: { kind, ...(o.target ? { target: o.target } : {}), ...(o.for ? { for: o.for } : {}), ...(Object.keys(params).length ? { parameters: { ...params } } : {}) },
    };
    const res = await kube(o, 'POST', PATH, obj);
    if (res.status !== 201) fail(res);
    const name = res.body.metadata.name;
    const f = await poll(`fault ${name} to become active`, async () => {
      const r = await kube(o, 'GET', `${PATH}/${encodeURIComponent(name)}`);
      return r.status === 200 && r.body.status?.phase && r.body.status.phase !== 'Pending' ? r.body : undefined;
    });
    if (f.status.phase === 'Failed') throw new CloudCliError('InjectFailed', `fault ${name} (${describe(f)}): ${f.status.message}`);
    if (!render(o, f)) console.log(`fault ${name} injected: ${describe(f)}${f.status.endTime ? ` until ${f.status.endTime}` : ' until cleared'}`);
  }).option('--target <target>', 'what the fault hits (a zone, a node, NAMESPACE/POD, a subnet, a resource: see `nodeless fault kinds`)')
    .option('--for <duration>', 'how long the fault lasts (5m, 30s); default: until cleared')
    .option('--name <id>', 'the Fault\'s name (default: KIND-xxxxx)')
    .option('--cluster <name>', 'cluster', 'default');

  leaf(fault, 'list', 'list the cluster\'s faults, active and ended', async (o: Opts) => {
    const res = await kube(o, 'GET', PATH);
    if (res.status !== 200) fail(res);
    const items: any[] = res.body.items ?? [];
    if (render(o, items)) return;
    console.log(items.length ? table(items) : 'No faults.');
  }).option('--cluster <name>', 'cluster', 'default');

  leaf(fault, 'clear [id]', 'clear a fault (default: every active one); waits until its effect is gone', async (o: Opts, id?: string) => {
    let names: string[];
    if (id) {
      const r = await kube(o, 'GET', `${PATH}/${encodeURIComponent(id)}`);
      if (r.status === 404) throw new CloudCliError('NotFound', `fault ${JSON.stringify(id)} not found; nothing cleared`);
      if (r.status !== 200) fail(r);
      names = [id];
    } else {
      const r = await kube(o, 'GET', PATH);
      if (r.status !== 200) fail(r);
      names = (r.body.items ?? []).filter((f: any) => f.status?.phase !== 'Expired' && !f.metadata.deletionTimestamp).map((f: any) => f.metadata.name);
      if (!names.length) {
        console.log('No active faults; nothing cleared.');
        return;
      }
    }
    for (const name of names) {
      const r = await kube(o, 'DELETE', `${PATH}/${encodeURIComponent(name)}`);
      if (r.status !== 200 && r.status !== 202 && r.status !== 404) fail(r);
    }
    for (const name of names) {
      await poll(`fault ${name} to be cleared`, async () => ((await kube(o, 'GET', `${PATH}/${encodeURIComponent(name)}`)).status === 404 ? true : undefined));
      if (o.output === 'table') console.log(`fault ${name} cleared`);
    }
    render(o, names);
  }).option('--cluster <name>', 'cluster', 'default');

  leaf(fault, 'kinds', 'the kinds of fault, their targets and parameters', async (o: Opts) => {
    if (render(o, FAULT_KINDS)) return;
    for (const k of FAULT_KIND_NAMES) {
      const d = kindDef(k);
      console.log(`${k}: ${d.summary}${d.unavailable ? ` (not available: ${d.unavailable})` : ''}`);
      if (d.target) console.log(`  --target: ${d.target.help}${d.target.required ? ' (required)' : ''}`);
      for (const [p, def] of Object.entries(d.params)) console.log(`  ${p}=…: ${def.help}`);
    }
  });
}
