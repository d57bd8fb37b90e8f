// /healthz, /livez and /readyz as kube-apiserver answers them (k8s.io/apiserver
// pkg/server/healthz): "ok", or with ?verbose one line per check and
// "<endpoint> check passed"; a failing check makes it a 500 that lists every
// check, the failing one as "[-]etcd failed: reason withheld"; /readyz/etcd
// runs one check and gives its reason. docs/store.md says what "etcd" checks.
import type http from 'node:http';

export interface HealthCheck {
  name: string;
  /** The reason it fails, or undefined when it passes. */
  check(): Promise<string | undefined> | string | undefined;
}

const ping: HealthCheck = { name: 'ping', check: () => undefined };

function reply(res: http.ServerResponse, code: number, body: string): void {
  res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
  res.end(body);
}

/**
 * Answers `/<endpoint>` or `/<endpoint>/<check>`. `readiness` are the checks /readyz and /healthz
 * run besides ping; /livez runs ping alone: a process that cannot write would not be mended by
 * the restart a failing liveness probe asks for.
 */
export async function serveHealth(res: http.ServerResponse, path: string, query: URLSearchParams, readiness: HealthCheck[]): Promise<void> {
  const [endpoint, one] = path.split('/').filter(Boolean);
  const checks = endpoint === 'livez' ? [ping] : [ping, ...readiness];
  if (one !== undefined) {
    const c = checks.find((x) => x.name === one);
    if (!c) return reply(res, 404, '404 page not found\n');
    const why = await c.check();
    return why === undefined ? reply(res, 200, 'ok') : reply(res, 500, `internal server error: ${why}\n`);
  }
  const excluded = new Set(query.getAll('exclude'));
  let lines = '';
  let failed = false;
  for (const c of checks) {
    if (excluded.delete(c.name)) {
      lines += `[+]${c.name} excluded: ok\n`;
      continue;
    }
    const why = await c.check();
    if (why === undefined) lines += `[+]${c.name} ok\n`;
    else {
      lines += `[-]${c.name} failed: reason withheld\n`;
      failed = true;
    }
  }
  if (excluded.size > 0) lines += `warn: some health checks cannot be excluded: no matches for ${[...excluded].map((e) => JSON.stringify(e)).join(',')}\n`;
  if (failed) return reply(res, 500, `${lines}${endpoint} check failed\n`);
  if (!query.has('verbose')) return reply(res, 200, 'ok');
  reply(res, 200, `${lines}${endpoint} check passed\n`);
}
