// A whole nodeless in the test's process, its controllers on a FakeClock,
// driven by the real kubectl and nodeless CLI run asynchronously (a
// synchronous child would block the event loop the server answers on).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startNodeless, type Nodeless, type NodelessOptions } from '../../src/nodeless.js';
import { FakeClock } from '../../src/util/clock.js';
import { waitFor } from '../helpers/nodeless.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

export interface Result { code: number; stdout: string; stderr: string }

function run(cmd: string, args: string[], env: Record<string, string>, input?: string): Promise<Result> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', (e) => resolve({ code: -1, stdout, stderr: stderr + String(e) }));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    p.stdin.end(input ?? '');
  });
}

export interface Harness {
  n: Nodeless;
  clock: FakeClock;
  kubectl(args: string[], input?: string): Promise<Result>;
  /** kubectl that must succeed: its stdout. */
  kc(args: string[], input?: string): Promise<string>;
  nodeless(args: string[]): Promise<Result>;
  /** An HTTPS request with the admin token. */
  fetch(method: string, p: string, body?: unknown): Promise<{ status: number; headers: Headers; body: any; text: string }>;
  close(): Promise<void>;
}

export async function startHarness(opts: Partial<NodelessOptions> = {}): Promise<Harness> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-faults-'));
  const clock = new FakeClock(Date.now());
  const n = await startNodeless({ home, port: 0, controllerClock: clock, idleCompaction: false, ...opts });
  const kenv = { KUBECONFIG: n.kubeconfigPath, HOME: home, KUBECACHEDIR: path.join(home, 'kubecache') };
  const h: Harness = {
    n, clock,
    kubectl: (args, input) => run('kubectl', args, kenv, input),
    async kc(args, input) {
      const res = await h.kubectl(args, input);
      if (res.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${res.code}):\n${res.stderr}${res.stdout}`);
      return res.stdout;
    },
    nodeless: (args) => run(process.execPath, [path.join(ROOT, 'bin', 'nodeless.js'), ...args, '--home', home], {}),
    async fetch(method, p, body) {
      const { default: https } = await import('node:https');
      return new Promise((resolve, reject) => {
        const data = body === undefined ? undefined : JSON.stringify(body);
        const req = https.request(new URL(p, n.url), {
          method, ca: n.caCert, headers: { authorization: `Bearer ${n.token}`, ...(data ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(data)) } : {}) },
        }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: any;
            try { parsed = JSON.parse(text); } catch { parsed = undefined; }
            resolve({ status: res.statusCode ?? 0, headers: new Headers(res.headers as Record<string, string>), body: parsed, text });
          });
        });
        req.on('error', reject);
        req.end(data);
      });
    },
    async close() {
      await n.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
  return h;
}

/**
 * Waits until `ready` holds for what the API answers at `path` (one in-process GET per look: a kubectl per look
 * costs ~50 ms of CPU), and then until `shown` (what kubectl shows) holds too.
 */
export function until(h: Harness, what: string, path: string, ready: (o: any) => unknown, shown: () => Promise<unknown> = async () => true, timeoutMs = 120_000) {
  return waitFor(what, async () => {
    const res = await h.fetch('GET', path);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text}`);
    return !!ready(res.body) && shown();
  }, timeoutMs);
}
