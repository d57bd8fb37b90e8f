// Probes for the process runtime: exec (run the command in the container's
// environment, inside its namespaces when it has them), httpGet and tcpSocket against 127.0.0.1, with the kubelet's
// timeouts, periods and thresholds, and its Unhealthy event wording.
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { timerDelay } from '../util/timers.js';

export interface ProbeResult {
  ok: boolean;
  output: string;
}

export interface ProbeEnv {
  cwd: string;
  env: Record<string, string>;
  /** Named container ports → numbers. */
  ports: Record<string, number>;
  /** A container in namespaces: the argv that runs a command inside it (cwd and env are then its own). */
  wrap?: (argv: string[]) => string[];
}

const resolvePort = (p: unknown, env: ProbeEnv): number => (typeof p === 'number' ? p : /^\d+$/.test(String(p)) ? Number(p) : env.ports[String(p)] ?? 0);

function execProbe(cmd: string[], timeoutMs: number, env: ProbeEnv): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let out = '';
    let child;
    try {
      const argv = env.wrap ? env.wrap(cmd) : cmd;
      child = spawn(argv[0], argv.slice(1), { cwd: env.wrap ? '/' : env.cwd, env: env.env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      resolve({ ok: false, output: (e as Error).message });
      return;
    }
    const timer = setTimeout(() => { child.kill('SIGKILL'); resolve({ ok: false, output: `command ${JSON.stringify(cmd.join(' '))} timed out` }); }, timeoutMs);
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    child.on('error', (e) => { clearTimeout(timer); resolve({ ok: false, output: e.message }); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ ok: code === 0, output: out.trim() }); });
  });
}

function httpProbe(g: any, timeoutMs: number, env: ProbeEnv): Promise<ProbeResult> {
  const port = resolvePort(g.port, env);
  const url = `http://127.0.0.1:${port}${g.path ?? '/'}`;
  return new Promise((resolve) => {
    // Header names come from the pod spec: no prototype to write through.
    const headers: Record<string, string> = Object.assign(Object.create(null), { 'user-agent': 'kube-probe/1.32' });
    for (const h of g.httpHeaders ?? []) headers[h.name] = h.value;
    const req = http.get(url, { headers, timeout: timeoutMs }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve(code >= 200 && code < 400 ? { ok: true, output: '' } : { ok: false, output: `HTTP probe failed with statuscode: ${code}` });
    });
    req.on('timeout', () => { req.destroy(); resolve({ ok: false, output: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` }); });
    req.on('error', (e: any) => resolve({ ok: false, output: `Get "${url}": dial tcp 127.0.0.1:${port}: connect: ${e.code === 'ECONNREFUSED' ? 'connection refused' : e.message}` }));
  });
}

function tcpProbe(t: any, timeoutMs: number, env: ProbeEnv): Promise<ProbeResult> {
  const port = resolvePort(t.port, env);
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port, timeout: timeoutMs });
    s.on('connect', () => { s.destroy(); resolve({ ok: true, output: '' }); });
    s.on('timeout', () => { s.destroy(); resolve({ ok: false, output: `dial tcp 127.0.0.1:${port}: i/o timeout` }); });
    s.on('error', () => resolve({ ok: false, output: `dial tcp 127.0.0.1:${port}: connect: connection refused` }));
  });
}

export function runProbe(probe: any, env: ProbeEnv): Promise<ProbeResult> {
  const timeoutMs = timerDelay((probe.timeoutSeconds ?? 1) * 1000);
  if (probe.exec?.command?.length) return execProbe(probe.exec.command, timeoutMs, env);
  if (probe.httpGet) return httpProbe(probe.httpGet, timeoutMs, env);
  if (probe.tcpSocket) return tcpProbe(probe.tcpSocket, timeoutMs, env);
  return Promise.resolve({ ok: true, output: '' });
}

export type ProbeKind = 'Readiness' | 'Liveness' | 'Startup';

/** failed: one failed attempt (an Unhealthy event); success / threshold: the result flipped. */
export type ProbeEvent = { kind: 'failed'; output: string } | { kind: 'success' } | { kind: 'threshold' };

/**
 * Runs one probe every periodSeconds after initialDelaySeconds; reports each
 * flip past successThreshold / failureThreshold. Returns a stop function.
 */
export function startProber(kind: ProbeKind, probe: any, env: ProbeEnv, onEvent: (e: ProbeEvent) => void, gate: () => boolean = () => true): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let successes = 0;
  let failures = 0;
  let state: boolean | undefined;
  const period = timerDelay((probe.periodSeconds ?? 10) * 1000);
  const tick = async () => {
    if (stopped) return;
    if (gate()) {
      const r = await runProbe(probe, env);
      if (stopped) return;
      if (r.ok) { successes++; failures = 0; } else { failures++; successes = 0; }
      if (!r.ok) onEvent({ kind: 'failed', output: r.output });
      const flipOk = r.ok && successes >= (kind === 'Readiness' ? probe.successThreshold ?? 1 : 1) && state !== true;
      const flipBad = !r.ok && failures >= (probe.failureThreshold ?? 3) && state !== false;
      if (flipOk) { state = true; onEvent({ kind: 'success' }); }
      if (flipBad) { state = kind === 'Readiness' ? false : undefined; failures = 0; onEvent({ kind: 'threshold' }); }
    }
    timer = setTimeout(() => void tick(), period);
  };
  timer = setTimeout(() => void tick(), timerDelay((probe.initialDelaySeconds ?? 0) * 1000));
  return () => { stopped = true; if (timer) clearTimeout(timer); };
}
