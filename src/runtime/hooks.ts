// Lifecycle hook handlers (postStart, preStop) as the kubelet's handler
// runner runs them (pkg/kubelet/lifecycle/handlers.go): exec in the
// container, httpGet (the response's status is not looked at, only whether
// the request went through), sleep. What comes back is the kubelet's
// message for a failed handler, or undefined. docs/lifecycle-hooks.md.
import { spawn } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import { timerDelay } from '../util/timers.js';
import type { ProbeEnv } from './probes.js';

export interface HookTarget {
  /** format.Pod: name_namespace(uid). */
  pod: string;
  container: string;
  /** The address the request names (the pod IP where the handler gives no host); the connection goes to this machine. */
  podIP: string;
}

/** Go's %v of a []string: [a b c]. */
const goList = (a: string[]) => `[${a.join(' ')}]`;

function execHook(cmd: string[], env: ProbeEnv, signal: AbortSignal): Promise<{ code: number | null; output: string; stderr: string; error?: string }> {
  return new Promise((resolve) => {
    let output = '';
    let stderr = '';
    let child;
    try {
      const argv = env.wrap ? env.wrap(cmd) : cmd;
      child = spawn(argv[0], argv.slice(1), { cwd: env.wrap ? '/' : env.cwd, env: env.env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      resolve({ code: null, output: '', stderr: '', error: (e as Error).message });
      return;
    }
    const abort = () => child.kill('SIGKILL');
    signal.addEventListener('abort', abort, { once: true });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => { output += d; stderr += d; });
    child.on('error', (e) => { signal.removeEventListener('abort', abort); resolve({ code: null, output, stderr, error: e.message }); });
    child.on('close', (code) => { signal.removeEventListener('abort', abort); resolve({ code, output, stderr }); });
  });
}

function httpHook(g: any, env: ProbeEnv, t: HookTarget, signal: AbortSignal): Promise<string | undefined> {
  const { url, host, port, path: p, scheme } = httpTarget(g, t.podIP, env.ports);
  // Process pods listen on this machine's network: the pod's own address is reached here.
  const connectTo = g.host ? host : '127.0.0.1';
  return new Promise((resolve) => {
    const headers: Record<string, string> = Object.assign(Object.create(null), { 'user-agent': 'kube-lifecycle/1.32' });
    for (const h of g.httpHeaders ?? []) if (h?.name && !['__proto__', 'constructor', 'prototype'].includes(h.name)) headers[h.name] = String(h.value ?? '');
    const req = (scheme === 'https' ? https : http).get({ host: connectTo, port, path: p || '/', headers, signal, rejectUnauthorized: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(undefined));
      res.on('error', () => resolve(undefined));
    });
    req.on('error', (e: any) => {
      const why = e.code === 'ECONNREFUSED' ? 'connect: connection refused' : e.name === 'AbortError' ? 'context canceled' : e.message;
      resolve(`Get "${url}": dial tcp ${host}:${port}: ${why}`);
    });
  });
}

const whoseOf = (t: Pick<HookTarget, 'pod' | 'container'>) => `for Container ${JSON.stringify(t.container)} in Pod ${JSON.stringify(t.pod)}`;

/** The URL an httpGet handler asks for, and the host:port it dials (the named port resolved through `ports`). */
function httpTarget(g: any, podIP: string, ports: Record<string, number>): { url: string; host: string; port: number; path: string; scheme: string } {
  const port = typeof g.port === 'number' ? g.port : /^\d+$/.test(String(g.port)) ? Number(g.port) : ports[String(g.port)] ?? 0;
  const scheme = String(g.scheme ?? 'HTTP').toLowerCase() === 'https' ? 'https' : 'http';
  const host = g.host ? String(g.host) : podIP;
  let path = String(g.path ?? '');
  if (path && !path.startsWith('/')) path = `/${path}`;
  return { url: `${scheme}://${host}:${port}${path}`, host, port, path, scheme };
}

/**
 * What the kubelet reports for a handler that failed, without running it: the simulated runtime's
 * `post-start=fail` / `pre-stop=fail` (an exec command that exits 1 with no output, an httpGet
 * whose port refuses the connection, a sleep cut short).
 */
export function simulatedHookFailure(handler: any, t: HookTarget, ports: Record<string, number> = {}): string {
  const whose = whoseOf(t);
  if (handler?.exec?.command?.length) {
    const cmd: string[] = handler.exec.command.map(String);
    return `Exec lifecycle hook (${goList(cmd)}) ${whose} failed - error: command '${cmd.join(' ')}' exited with 1: , message: ""`;
  }
  if (handler?.httpGet) {
    const h = httpTarget(handler.httpGet, t.podIP, ports);
    return `HTTP lifecycle hook (${handler.httpGet.path ?? ''}) ${whose} failed - error: Get "${h.url}": dial tcp ${h.host}:${h.port}: connect: connection refused`;
  }
  if (handler?.sleep) return `Sleep lifecycle hook (${Number(handler.sleep.seconds ?? 0)}) ${whose} failed - error: container terminated before sleep hook finished`;
  return `Cannot run handler: invalid handler: ${JSON.stringify(handler)}`;
}

/**
 * Runs one handler; the kubelet's failure message, or undefined when it succeeded. `signal` ends it early
 * (the grace period ran out, or the container is gone).
 */
export async function runHandler(handler: any, env: ProbeEnv, t: HookTarget, signal: AbortSignal): Promise<string | undefined> {
  const whose = whoseOf(t);
  if (handler?.exec?.command?.length) {
    const cmd: string[] = handler.exec.command.map(String);
    const r = await execHook(cmd, env, signal);
    if (r.code === 0) return undefined;
    // The CRI's ExecSync error: the command, its exit code and its stderr.
    const err = r.error ?? `command '${cmd.join(' ')}' exited with ${r.code ?? 137}: ${r.stderr}`;
    return `Exec lifecycle hook (${goList(cmd)}) ${whose} failed - error: ${err}, message: ${JSON.stringify(r.output)}`;
  }
  if (handler?.httpGet) {
    const err = await httpHook(handler.httpGet, env, t, signal);
    return err === undefined ? undefined : `HTTP lifecycle hook (${handler.httpGet.path ?? ''}) ${whose} failed - error: ${err}`;
  }
  if (handler?.sleep) {
    const seconds = Number(handler.sleep.seconds ?? 0);
    const done = await new Promise<boolean>((resolve) => {
      if (signal.aborted) { resolve(false); return; }
      const timer = setTimeout(() => resolve(true), timerDelay(seconds * 1000));
      signal.addEventListener('abort', () => { clearTimeout(timer); resolve(false); }, { once: true });
    });
    return done ? undefined : `Sleep lifecycle hook (${seconds}) ${whose} failed - error: container terminated before sleep hook finished`;
  }
  return `Cannot run handler: invalid handler: ${JSON.stringify(handler)}`;
}
