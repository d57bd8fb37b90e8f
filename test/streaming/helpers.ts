// Shared by the streaming tests: process pods, counting what nodeless holds
// (child processes, sockets), kubectl running in the background.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Running } from '../helpers/nodeless.js';
import { kc, waitFor } from '../helpers/nodeless.js';

/** Every process below `pid` (not `pid` itself). */
export function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* gone */ }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) for (const [c, p] of parent) if (p === out[i]) out.push(c);
  return out.slice(1);
}

/** Open sockets of a process (its fds that are sockets). */
export function socketCount(pid: number): number {
  let n = 0;
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try { if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) n++; } catch { /* closed meanwhile */ }
  }
  return n;
}

/** What nodeless holds now: its child processes and open sockets. */
export const holdings = (n: Running) => ({ procs: descendants(n.proc.pid!).length, sockets: socketCount(n.proc.pid!) });

/** Waits until nodeless holds no more than `base` (sessions that ended have let go of everything). */
export async function noLeaks(n: Running, base: { procs: number; sockets: number }, what: string): Promise<void> {
  await waitFor(`${what}: back to ${base.procs} child processes and ${base.sockets} sockets`, () => {
    const h = holdings(n);
    return h.procs <= base.procs && h.sockets <= base.sockets;
  }, 30_000);
}

/** A port nothing listens on now. */
export const freePort = () => new Promise<number>((resolve, reject) => {
  const s = net.createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
});

/** A process-runtime pod manifest (JSON). */
export function processPod(name: string, containers: any[], extra: { labels?: Record<string, string>; spec?: any } = {}): string {
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, labels: extra.labels ?? { app: name }, annotations: { 'nodeless.dev/runtime': 'process' } },
    spec: { terminationGracePeriodSeconds: 1, restartPolicy: 'Never', ...(extra.spec ?? {}), containers },
  });
}

/** An echo server on 127.0.0.1:port in node (this test's node binary). */
export const echoServer = (port: number) => [process.execPath, '-e',
  `require('net').createServer((s) => { s.on('error', () => {}); s.pipe(s); }).listen(${port}, '127.0.0.1', () => console.log('listening'))`];

export const running = (n: Running, name: string) => waitFor(`${name} running`, () => {
  const p = JSON.parse(kc(n, ['get', 'pod', name, '-o', 'json']));
  return p.status?.phase === 'Running' && (p.status.containerStatuses ?? []).every((c: any) => c.state?.running || c.state?.terminated) && p;
}, 60_000);

/** kubectl in the background; `out()` is what it printed so far. */
export function kubectlBg(n: Running, args: string[], env: Record<string, string> = {}): { proc: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const proc = spawn('kubectl', args, {
    env: { ...process.env, KUBECONFIG: n.kubeconfig, HOME: n.home, KUBECACHEDIR: path.join(n.home, 'kubecache'), ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
  return { proc, out: () => out, exited };
}

/** Starts `kubectl port-forward TARGET 0:PORT` and resolves with the local port once it listens. */
export async function portForward(n: Running, target: string, port: number | string, env: Record<string, string> = {}) {
  const bg = kubectlBg(n, ['port-forward', target, `0:${port}`], env);
  const local = await waitFor(`port-forward ${target} listening`, () => {
    if (bg.proc.exitCode !== null) throw new Error(`kubectl port-forward exited: ${bg.out()}`);
    const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(bg.out());
    return m ? Number(m[1]) : undefined;
  }, 30_000, 50);
  return { ...bg, local, stop: () => { bg.proc.kill('SIGTERM'); return bg.exited; } };
}
