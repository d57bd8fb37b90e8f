// What every `nodeless cloud …` command shares: the call to the running
// server's cloud API (/cloud/v1), -o table|json|yaml output, and the one
// error printer (`Code: message`, exit status 1). Its own file, so the
// command files import it and not each other.
import type { Command } from 'commander';
import YAML from 'yaml';
import { COLUMNS, formatTable } from '../cloud/columns.js';
import { CliError, connect, defaultHome, request } from './connect.js';

export interface CommonOpts {
  home: string;
  output: string;
}

/** A cloud error (or transport failure) to print as `Code: message`. */
export class CloudCliError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

export async function api(o: CommonOpts, method: string, path: string, body?: unknown): Promise<any> {
  const res = await request(connect(o.home), method, `/cloud/v1${path}`, body);
  if (res.status >= 200 && res.status < 300) return res.body;
  const code = typeof res.body?.code === 'string' ? res.body.code : `HTTP${res.status}`;
  const message = typeof res.body?.message === 'string' ? res.body.message : res.text.trim() || `request failed with status ${res.status}`;
  throw new CloudCliError(code, message);
}

function checkOutput(o: CommonOpts): 'table' | 'json' | 'yaml' {
  const f = o.output === 'yml' ? 'yaml' : o.output;
  if (f !== 'table' && f !== 'json' && f !== 'yaml') throw new CloudCliError('InvalidParameter', `-o must be table, json or yaml, got ${o.output}`);
  return f;
}

function render(format: 'json' | 'yaml', value: unknown): string {
  return format === 'json' ? JSON.stringify(value, null, 2) : YAML.stringify(value).trimEnd();
}

/** Prints a list: a table, or a JSON/YAML array of the objects. */
export function showList(o: CommonOpts, kind: string, rows: unknown[]): void {
  const f = checkOutput(o);
  if (f !== 'table') return console.log(render(f, rows));
  console.log(rows.length ? formatTable(COLUMNS[kind], rows) : `No ${kind} resources found.`);
}

/** Prints one object: as a one-row table, or JSON/YAML. */
export function showOne(o: CommonOpts, kind: string, obj: unknown): void {
  const f = checkOutput(o);
  console.log(f === 'table' ? formatTable(COLUMNS[kind], [obj]) : render(f, obj));
}

/** Prints the result of a create/delete/action: a short line, or the object as JSON/YAML. */
export function showDone(o: CommonOpts, obj: unknown, line: string): void {
  const f = checkOutput(o);
  console.log(f === 'table' ? line : render(f, obj));
}

function failure(e: unknown): void {
  if (e instanceof CloudCliError) console.error(`${e.code}: ${e.message}`);
  else if (e instanceof CliError) console.error(`error: ${e.message}`);
  else console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}

/** Adds --home and -o to a leaf command and wraps its action with the one error printer. */
export function leaf(parent: Command, spec: string, description: string, fn: (o: any, ...args: string[]) => Promise<void>): Command {
  const cmd = parent.command(spec).description(description)
    .option('--home <dir>', 'nodeless state directory', defaultHome())
    .option('-o, --output <format>', 'output format: table, json or yaml', 'table');
  cmd.action(async (...args: unknown[]) => {
    const positional = args.slice(0, cmd.registeredArguments.length) as string[];
    try {
      await fn(cmd.opts(), ...positional);
    } catch (e) {
      failure(e);
    }
  });
  return cmd;
}

/** The `?cluster=NAME` query of a `--cluster` flag (none without it). */
export const clusterQuery = (o: { cluster?: string }): string => (o.cluster ? `?cluster=${encodeURIComponent(o.cluster)}` : '');

/**
 * `--labels k=v,k2=v2` (eksctl's syntax) as an object for the cloud API; keys from the user go into a
 * prototype-free object first, so `__proto__=x` is a label like any other (the server refuses it).
 */
export function labelFlag(text: string | undefined): Record<string, string> | undefined {
  if (text === undefined) return undefined;
  const out: Record<string, string> = Object.create(null);
  for (const part of text.split(',').filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new CliError(`--labels takes key=value pairs separated by commas, got "${part}"`);
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return { ...out };
}
