// The pod and service proxy (`…/pods/NAME:PORT/proxy/PATH`,
// `…/services/NAME:PORT/proxy/PATH`, what `kubectl proxy` exposes): the request
// is passed on to the real port and the answer streamed back, as
// k8s.io/apimachinery's UpgradeAwareHandler does (hop-by-hop headers and the
// caller's credentials stay here, a redirect to a path of the backend is
// rewritten under the proxy path; a backend that cannot be reached is a 503
// "error trying to reach service").
import http from 'node:http';
import https from 'node:https';
import { StatusError } from './status.js';

export interface ProxyTarget {
  scheme: 'http' | 'https';
  host: string;
  port: number;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'authorization', 'host', 'content-length']);

/** `scheme:name:port`, `name:port`, `name` (utilnet.SplitSchemeNamePort); undefined when malformed. */
export function splitSchemeNamePort(id: string): { scheme: 'http' | 'https' | ''; name: string; port: string } | undefined {
  const parts = id.split(':');
  let scheme = '';
  let name: string;
  let port = '';
  if (parts.length === 1) name = parts[0];
  else if (parts.length === 2) [name, port] = parts;
  else if (parts.length === 3) [scheme, name, port] = parts;
  else return undefined;
  if (!name || (scheme && scheme !== 'http' && scheme !== 'https')) return undefined;
  return { scheme: scheme as 'http' | 'https' | '', name, port };
}

/**
 * Sends the request on to `target` and streams the answer back. `prefix` is
 * the proxy path the client used (…/proxy), for Location headers.
 */
export function proxyHttp(target: ProxyTarget, method: string, path: string, query: URLSearchParams, headers: http.IncomingHttpHeaders, body: Buffer, res: http.ServerResponse, prefix: string): Promise<void> {
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) out[k] = v;
  if (body.length) out['content-length'] = body.length;
  const qs = query.toString();
  const lib = target.scheme === 'https' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request({
      host: target.host, port: target.port, method, path: (path.startsWith('/') ? path : `/${path}`) + (qs ? `?${qs}` : ''), headers: out,
      // Like kube-apiserver reaching a pod over https: the pod's certificate is not checked.
      ...(target.scheme === 'https' ? { rejectUnauthorized: false } : {}),
    }, (up) => {
      const back: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(up.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) back[k] = v;
      if (up.headers['content-length'] !== undefined) back['content-length'] = up.headers['content-length'];
      const loc = up.headers.location;
      if (typeof loc === 'string' && loc.startsWith('/') && !loc.startsWith('//')) back.location = prefix + loc;
      res.writeHead(up.statusCode ?? 502, back);
      up.pipe(res);
      up.on('end', () => resolve());
      up.on('error', () => { res.destroy(); resolve(); });
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (res.headersSent) { res.destroy(); return resolve(); }
      reject(new StatusError(503, 'ServiceUnavailable', `error trying to reach service: ${dialError(target, e)}`));
    });
    res.on('close', () => req.destroy());
    req.end(body);
  });
}

function dialError(t: ProxyTarget, e: NodeJS.ErrnoException): string {
  const why = e.code === 'ECONNREFUSED' ? 'connection refused' : e.code === 'ECONNRESET' ? 'connection reset by peer' : e.message;
  return `dial tcp ${t.host}:${t.port}: connect: ${why}`;
}
