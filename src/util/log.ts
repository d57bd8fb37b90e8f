// nodeless' logs: one pino logger for the process, a child per component
// (`component: "scheduler"`, "apiserver", "kubelet node-1"…), written to
// stderr as JSON lines (`--log-format json`) or as compact human lines
// (`--log-format text`, the default: "scheduler: message"), at the level
// `nodeless up --log-level` sets (default info). docs/observability.md.
import pino from 'pino';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'text' | 'json';
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];
export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];

export type Logger = pino.Logger;

/** Where lines go: stderr, unless a test or an embedder gives another sink. */
export interface LogSink {
  write(line: string): void;
}

const stderr: LogSink = { write: (line) => process.stderr.write(line) };

/** Fields every JSON line has, which the text line shows otherwise or not at all. */
const FRAME = new Set(['level', 'time', 'pid', 'hostname', 'component', 'msg', 'err']);

/**
 * One JSON line as a human line, as nodeless' messages have always read: `<component>: <msg>`,
 * then the other fields as key=value, then the error: `apiserver: request failed: Error: boom`
 * with its stack on the lines below.
 */
export function textLine(json: string): string {
  let o: Record<string, any>;
  try {
    o = JSON.parse(json);
  } catch {
    return json;
  }
  let line = `${o.component ?? 'nodeless'}: ${o.msg ?? ''}`;
  for (const [k, v] of Object.entries(o)) {
    if (FRAME.has(k) || v === undefined) continue;
    line += ` ${k}=${typeof v === 'string' && !/[\s"=]/.test(v) ? v : JSON.stringify(v)}`;
  }
  const err = o.err;
  if (err) line += `: ${err.stack ?? `${err.type ?? 'Error'}: ${err.message}`}`;
  return line + '\n';
}

let root = build('info', 'text', stderr);
/** The children made so far, rebuilt from the new root when the configuration changes. */
const children = new Map<string, Logger>();

function build(level: LogLevel, format: LogFormat, sink: LogSink): Logger {
  const dest = format === 'json' ? sink : { write: (line: string) => sink.write(textLine(line)) };
  // No pid or hostname in every line: one process, one machine.
  return pino({ level, base: undefined, timestamp: format === 'json' ? pino.stdTimeFunctions.isoTime : false }, dest);
}

/** Sets the level and format (nodeless up's --log-level and --log-format) for every logger, made or to be made. */
export function configureLogging(opts: { level?: LogLevel; format?: LogFormat; sink?: LogSink }): void {
  root = build(opts.level ?? 'info', opts.format ?? 'text', opts.sink ?? stderr);
  for (const name of children.keys()) children.set(name, root.child({ component: name }));
}

/**
 * The logger of one component. It follows configureLogging even when taken before it
 * (a module-level `const log = logger('x')`): each call goes to the current child.
 */
export function logger(component: string): Logger {
  let child = children.get(component);
  if (!child) {
    child = root.child({ component });
    children.set(component, child);
  }
  return new Proxy(child, {
    get: (_target, prop) => {
      const current = children.get(component)!;
      const v = Reflect.get(current, prop, current);
      return typeof v === 'function' ? v.bind(current) : v;
    },
  });
}
