// /healthz, /livez and /readyz as kube-apiserver answers them (k8s.io/apiserver
// pkg/server/healthz): "ok", or with ?verbose one line per check and
// "<endpoint> check passed"; a failing check makes it a 500 that lists every
// check, the failing one as "[-]etcd failed: reason withheld"; /readyz/etcd
// (or /livez/poststarthook/NAME) runs one check and gives its reason.
// docs/observability.md lists the checks; docs/store.md says what "etcd" checks.
import type http from 'node:http';

export type HealthEndpoint = 'livez' | 'readyz' | 'healthz';

export interface HealthCheck {
  name: string;
  /** The reason it fails, or undefined when it passes. */
  check(): Promise<string | undefined> | string | undefined;
  /** The endpoints that run it (default: all three, as kube-apiserver's AddHealthChecks). */
  endpoints?: HealthEndpoint[];
}

/** The check every endpoint runs first: the server answers. */
export const ping: HealthCheck = { name: 'ping', check: () => undefined };

/**
 * A post-start hook as kube-apiserver reports it (`poststarthook/<name>`): failing until the start-up
 * step it names has run, then passing.
 */
export function postStartHook(name: string): HealthCheck & { done(): void } {
  let finished = false;
  return {
    name: `poststarthook/${name}`,
    check: () => (finished ? undefined : 'not finished'),
    done: () => { finished = true; },
  };
}

function reply(res: http.ServerResponse, code: number, body: string): void {
  res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
  res.end(body);
}

/** Whether `path` is one of the health endpoints or a check below one. */
export function isHealthPath(path: string): boolean {
  return /^\/(healthz|livez|readyz)(\/.*)?$/.test(path);
}

/**
 * Answers `/<endpoint>` or `/<endpoint>/<check>` from `checks`, in their order, each on the
 * endpoints it names. An unknown check is a plain 404, as Go's mux answers.
 */
export async function serveHealth(res: http.ServerResponse, path: string, query: URLSearchParams, checks: HealthCheck[]): Promise<void> {
  const [, endpoint, rest] = /^\/(healthz|livez|readyz)(?:\/(.*))?$/.exec(path) ?? [];
  const mine = checks.filter((c) => (c.endpoints ?? ['livez', 'readyz', 'healthz']).includes(endpoint as HealthEndpoint));
  if (rest) {
    const c = mine.find((x) => x.name === rest);
    if (!c) return reply(res, 404, '404 page not found\n');
    const why = await runCheck(c);
    return why === undefined ? reply(res, 200, 'ok') : reply(res, 500, `internal server error: ${why}\n`);
  }
  const excluded = new Set(query.getAll('exclude'));
  let lines = '';
  let failed = false;
  for (const c of mine) {
    if (excluded.delete(c.name)) {
      lines += `[+]${c.name} excluded: ok\n`;
      continue;
    }
    const why = await runCheck(c);
    if (why === undefined) lines += `[+]${c.name} ok\n`;
    else {
      lines += `[-]${c.name} failed: reason withheld\n`;
      failed = true;
    }
  }
  if (excluded.size > 0) lines += `warn: some health checks cannot be excluded: no matches for ${[...excluded].sort().map((e) => JSON.stringify(e)).join(',')}\n`;
  if (failed) return reply(res, 500, `${lines}${endpoint} check failed\n`);
  if (!query.has('verbose')) return reply(res, 200, 'ok');
  reply(res, 200, `${lines}${endpoint} check passed\n`);
}

/** A check that throws fails with its message rather than taking the endpoint down. */
async function runCheck(c: HealthCheck): Promise<string | undefined> {
  try {
    return await c.check();
  } catch (e) {
    return (e as Error)?.message ?? String(e);
  }
}
