// The admission tests' PKI (a CA, what a webhook's caBundle names, and a
// server certificate for 127.0.0.1) and their webhook server (./webhook-server.ts).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import { Worker } from 'node:worker_threads';
import os from 'node:os';
import path from 'node:path';

export interface Pki {
  caPem: string;
  /** The CA, base64: a webhook's caBundle. */
  caBundle: string;
  key: string;
  cert: string;
}

/** A CA and a server certificate for 127.0.0.1 and the given DNS names (openssl, as an operator would make them). */
export function makePki(dnsNames: string[] = []): Pki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-pki-'));
  const f = (n: string) => path.join(dir, n);
  const quiet = { stdio: 'ignore' as const };
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2', '-subj', '/CN=webhook-test-ca'], quiet);
  execFileSync('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('tls.key'), '-out', f('tls.csr'), '-subj', '/CN=webhook'], quiet);
  const san = ['IP:127.0.0.1', ...dnsNames.map((d) => `DNS:${d}`)].join(',');
  fs.writeFileSync(f('ext.cnf'), `subjectAltName=${san}\n`);
  execFileSync('openssl', ['x509', '-req', '-in', f('tls.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('tls.crt'), '-days', '2', '-extfile', f('ext.cnf')], quiet);
  const caPem = fs.readFileSync(f('ca.crt'), 'utf8');
  const out = { caPem, caBundle: Buffer.from(caPem).toString('base64'), key: fs.readFileSync(f('tls.key'), 'utf8'), cert: fs.readFileSync(f('tls.crt'), 'utf8') };
  fs.rmSync(dir, { recursive: true, force: true });
  return out;
}

export interface WebhookServer {
  url: string;
  port: number;
  /** Every review received, with the path it came to (the webhook server's GET /_seen). */
  seen(): Promise<{ path: string; body: any }[]>;
  /** Calls per path (GET /_calls). */
  calls(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/**
 * The test webhook server (./webhook-server.ts) on 127.0.0.1 (port 0), in a thread of its own:
 * kubectl runs synchronously in the test's thread.
 */
export async function startWebhookServer(pki: Pki): Promise<WebhookServer> {
  // A worker does not inherit the test runner's tsx loader: it registers it itself (as src/store/sqlite.ts's writer does).
  const entry = new URL('./webhook-server.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  const worker = new Worker(boot, { eval: true, workerData: { key: pki.key, cert: pki.cert } });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (m) => resolve(m.port));
    worker.once('error', reject);
  });
  const url = `https://127.0.0.1:${port}`;
  const get = (p: string) => new Promise<any>((resolve, reject) => {
    https.get(`${url}${p}`, { ca: pki.caPem }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
    }).on('error', reject);
  });
  return {
    url, port,
    seen: () => get('/_seen'),
    calls: () => get('/_calls'),
    close: () => new Promise<void>((r) => { worker.once('exit', () => r()); worker.postMessage('close'); }),
  };
}
