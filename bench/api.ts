// bench/api: GET-by-name throughput and latency of the API server, against a
// bare Node HTTPS server answering the same bytes in the same run (the ratio
// is the figure), plus pod creates per second.
//   npx tsx bench/api.ts [--seconds 5] [--concurrency 32]
import https from 'node:https';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { raw, startCli } from '../test/helpers/nodeless.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const SECONDS = arg('seconds', 5);
const CONCURRENCY = arg('concurrency', 32);

interface Result { requests: number; rps: number; p50: number; p99: number; errors: number }

async function load(url: string, ca: string, token: string | undefined, method: string, bodyFor?: (i: number) => string): Promise<Result> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: CONCURRENCY, ca });
  const lat: number[] = [];
  let errors = 0;
  let i = 0;
  const end = Date.now() + SECONDS * 1000;
  const one = () => new Promise<void>((resolve) => {
    const body = bodyFor?.(i++);
    const t0 = process.hrtime.bigint();
    const req = https.request(url, { method, agent, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      res.resume();
      res.on('end', () => {
        if ((res.statusCode ?? 500) >= 300) errors++;
        lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
        resolve();
      });
    });
    req.on('error', () => { errors++; resolve(); });
    if (body) req.write(body);
    req.end();
  });
  const worker = async () => { while (Date.now() < end) await one(); };
  const t0 = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const secs = (Date.now() - t0) / 1000;
  agent.destroy();
  lat.sort((a, b) => a - b);
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] ?? 0;
  return { requests: lat.length, rps: lat.length / secs, p50: pct(0.5), p99: pct(0.99), errors };
}

/**
 * wrk (C, epoll) as the load generator when it is installed: a Node client
 * would spend most of the 2 cores on its own TLS and starve the servers.
 */
const WRK = !process.argv.includes('--node-client') && spawnSync('wrk', ['--version']).status !== null && spawnSync('sh', ['-c', 'command -v wrk']).status === 0;

function loadWrk(url: string, home: string, token: string | undefined, method: string, body?: string): Result {
  const script = path.join(home, `wrk-${method}.lua`);
  fs.writeFileSync(script, [
    `wrk.method = "${method}"`,
    ...(token ? [`wrk.headers["Authorization"] = "Bearer ${token}"`] : []),
    ...(body ? [`wrk.headers["Content-Type"] = "application/json"`, `wrk.body = ${JSON.stringify(body)}`] : []),
  ].join('\n'));
  const r = spawnSync('wrk', ['-t', '2', '-c', String(CONCURRENCY), '-d', `${SECONDS}s`, '--latency', '-s', script, url], { encoding: 'utf8' });
  const out = r.stdout;
  const ms = (re: RegExp) => {
    const m = re.exec(out);
    if (!m) return 0;
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  return {
    requests, rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
    p50: ms(/50%\s+([\d.]+)(us|ms|s)/), p99: ms(/99%\s+([\d.]+)(us|ms|s)/),
    errors: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) + Number(/Socket errors: connect (\d+)/.exec(out)?.[1] ?? 0),
  };
}

/** A bare HTTPS server in its own process, answering `bytes` to every request. */
async function baseline(home: string, bytes: string): Promise<{ url: string; stop: () => void }> {
  const file = path.join(home, 'baseline-body.json');
  fs.writeFileSync(file, bytes);
  const script = `
    const https = require('node:https'); const fs = require('node:fs');
    const body = fs.readFileSync(${JSON.stringify(file)});
    const s = https.createServer({ cert: fs.readFileSync(${JSON.stringify(path.join(home, 'pki', 'server.crt'))}), key: fs.readFileSync(${JSON.stringify(path.join(home, 'pki', 'server.key'))}) },
      (req, res) => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }); res.end(body); });
    s.keepAliveTimeout = 65000;
    s.listen(0, '127.0.0.1', () => console.log('port ' + s.address().port));`;
  const p = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => p.stdout!.on('data', (d) => { const m = /port (\d+)/.exec(String(d)); if (m) resolve(Number(m[1])); }));
  return { url: `https://127.0.0.1:${port}`, stop: () => p.kill() };
}

const fmt = (r: Result) => `${r.rps.toFixed(0).padStart(7)} req/s   p50 ${r.p50.toFixed(2)} ms   p99 ${r.p99.toFixed(2)} ms   (${r.requests} requests, ${r.errors} errors)`;

const n = await startCli();
try {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bench', labels: { app: 'bench' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.25', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] } };
  await raw(n, 'POST', '/api/v1/namespaces/default/pods', JSON.stringify(pod));
  const podUrl = `${n.url}/api/v1/namespaces/default/pods/bench`;
  const bytes = (await raw(n, 'GET', '/api/v1/namespaces/default/pods/bench')).body;
  const base = await baseline(n.home, bytes);
  console.log(`GET by name, ${CONCURRENCY} concurrent keep-alive connections, ${SECONDS}s each, ${bytes.length}-byte pod, load from ${WRK ? 'wrk' : 'a Node client (install wrk for steadier figures)'}`);
  const get = (url: string, token?: string) => (WRK ? Promise.resolve(loadWrk(url, n.home, token, 'GET')) : load(url, n.ca, token, 'GET'));
  await get(podUrl, n.token); // warm-up
  const bare = await get(`${base.url}/`);
  const ours = await get(podUrl, n.token);
  base.stop();
  console.log(`  bare node https: ${fmt(bare)}`);
  console.log(`  nodeless:        ${fmt(ours)}`);
  console.log(`  ratio nodeless/bare: ${(ours.rps / bare.rps).toFixed(2)} (target >= 0.5)`);
  // The serverless pod quota (200 by default) would refuse most creates: raise it, as a user would.
  await raw(n, 'PUT', '/cloud/v1/quotas/pods-per-cluster', JSON.stringify({ value: 10_000_000, cluster: 'default' }));
  // So would the security group's 2,000 instances, counting pods admitted before their ENI is attached.
  await raw(n, 'PUT', '/cloud/v1/quotas/instances-per-security-group', JSON.stringify({ value: 10_000_000 }));
  const createUrl = `${n.url}/api/v1/namespaces/default/pods`;
  const creates = WRK
    ? loadWrk(createUrl, n.home, n.token, 'POST', JSON.stringify({ ...pod, metadata: { generateName: 'p-', labels: { app: 'bench' } } }))
    : await load(createUrl, n.ca, n.token, 'POST', (i) => JSON.stringify({ ...pod, metadata: { name: `p-${i}`, labels: { app: 'bench' } } }));
  console.log(`POST pods, full cluster (controllers, scheduler and kubelets react to every pod): ${fmt(creates).replace('req/s', 'creates/s')}`);
  // Stopped first: its controllers and kubelets are still working through those pods, and would
  // take the CPU the API server alone is measured with.
  await n.stop();
  // The API server alone, as the API issue measures it: `nodeless up --api-only`.
  const api = await startCli(undefined, ['--api-only']);
  try {
    await raw(api, 'PUT', '/cloud/v1/quotas/pods-per-cluster', JSON.stringify({ value: 10_000_000, cluster: 'default' }));
    await raw(api, 'PUT', '/cloud/v1/quotas/instances-per-security-group', JSON.stringify({ value: 10_000_000 }));
    const url = `${api.url}/api/v1/namespaces/default/pods`;
    const only = WRK
      ? loadWrk(url, api.home, api.token, 'POST', JSON.stringify({ ...pod, metadata: { generateName: 'p-', labels: { app: 'bench' } } }))
      : await load(url, api.ca, api.token, 'POST', (i) => JSON.stringify({ ...pod, metadata: { name: `p-${i}`, labels: { app: 'bench' } } }));
    console.log(`POST pods, API server only (--api-only):                                     ${fmt(only).replace('req/s', 'creates/s')} (target >= 2000/s)`);
  } finally {
    await api.stop();
  }
} finally {
  await n.stop();
}
