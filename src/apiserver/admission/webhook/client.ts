// Calling a webhook (admission or CRD conversion) as kube-apiserver's
// webhook client does (k8s.io/apiserver/pkg/util/webhook, client-go's REST
// client): a POST of JSON over HTTPS to `clientConfig.url`, or to a Service
// by its name `NAME.NAMESPACE.svc` (the certificate is checked for that
// name), with `?timeout=Ns` and the caBundle as the only trusted CA. Every
// failure is told as Go's net/http tells it: `Post "URL": reason`.
import https from 'node:https';
import type { KubeObject } from '../../../api/types.js';

/** admissionregistration's WebhookClientConfig (and apiextensions' for conversion). */
export interface ClientConfig {
  url?: string;
  service?: { namespace?: string; name?: string; port?: number; path?: string };
  caBundle?: string;
}

/** Where a Service's port is served from this machine, or why it cannot be reached (a dial error's text). */
export type ServiceTarget = { host: string; port: number } | { error: string };

/** Resolves `service.namespace/name:port` as kube-apiserver's ClusterIP service resolver and kube-proxy would. */
export type ServiceResolver = (namespace: string, name: string, port: number) => Promise<ServiceTarget>;

/** A failure to talk to the webhook (not a refusal by it): kube's ErrCallingWebhook reason. */
export class CallError extends Error {}

/** Go's Duration.String for whole seconds, as the `timeout` parameter carries it. */
const goSeconds = (s: number) => `${s}s`;

/** The URL kube-apiserver posts to, with its `timeout` parameter. */
export function webhookURL(cc: ClientConfig, timeoutSeconds: number): URL {
  let u: URL;
  if (cc.url) u = new URL(cc.url);
  else {
    const s = cc.service ?? {};
    u = new URL(`https://${s.name}.${s.namespace}.svc:${s.port ?? 443}${s.path ?? ''}`);
  }
  u.searchParams.set('timeout', goSeconds(timeoutSeconds));
  return u;
}

/** Go's text for a socket or TLS error of Node. */
function dialError(e: NodeJS.ErrnoException & { cert?: { subjectaltname?: string } }, host: string, port: number): string {
  switch (e.code) {
    case 'ECONNREFUSED': return `dial tcp ${host}:${port}: connect: connection refused`;
    case 'ECONNRESET': return `read tcp ${host}:${port}: read: connection reset by peer`;
    case 'ENOTFOUND': case 'EAI_AGAIN': return `dial tcp: lookup ${host}: no such host`;
    case 'EHOSTUNREACH': return `dial tcp ${host}:${port}: connect: no route to host`;
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE': case 'SELF_SIGNED_CERT_IN_CHAIN': case 'DEPTH_ZERO_SELF_SIGNED_CERT': case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
    case 'ERR_TLS_CERT_ALTNAME_INVALID': {
      const names = (e.cert?.subjectaltname ?? '').split(', ').map((n) => n.replace(/^(DNS|IP Address):/, '')).filter(Boolean);
      return `tls: failed to verify certificate: x509: certificate is valid for ${names.join(', ') || 'other names'}, not ${host}`;
    }
    case 'CERT_HAS_EXPIRED': return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
    case 'EPROTO': return 'tls: first record does not look like a TLS handshake';
    default: return e.message;
  }
}

/** What client-go says of an answer that is not a 2xx (rest.Result.Error): the Status's message, else its generic words. */
function statusError(code: number, body: string): string {
  try {
    const s = JSON.parse(body);
    if (s && typeof s === 'object' && s.kind === 'Status' && typeof s.message === 'string' && s.message) return s.message;
  } catch { /* not a Status */ }
  const shown = body.length > 0 ? body.slice(0, 256) : '';
  switch (code) {
    case 400: return 'the server rejected our request for an unknown reason';
    case 401: return 'Unauthorized';
    case 403: return 'Forbidden';
    case 404: return 'the server could not find the requested resource';
    case 405: return 'the server does not allow this method on the requested resource';
    case 429: return 'the server has received too many requests and has asked us to try again later';
    case 500: return shown ? `an error on the server (${JSON.stringify(shown)}) has prevented the request from succeeding` : 'an error on the server has prevented the request from succeeding';
    case 503: return 'the server is currently unable to handle the request';
    case 504: return 'the server was unable to return a response in the time allotted, but may still be processing the request';
    default: return `the server responded with the status code ${code} but did not return more information`;
  }
}

/** Go's encoding/json error for a body that is not JSON (client-go: "couldn't get version/kind; json parse error: …"). */
function jsonError(body: string): string {
  const t = body.trimStart();
  if (t === '') return 'unexpected end of JSON input';
  const c = t[0];
  if (!'{["-0123456789tfn'.includes(c)) return `invalid character '${c}' looking for beginning of value`;
  return 'unexpected end of JSON input';
}

/**
 * POSTs `payload` and returns the decoded JSON answer; throws CallError with kube's reason
 * (`failed to call webhook: Post "…": …`, `couldn't get version/kind…`). `timeoutSeconds` bounds
 * the whole exchange, as the request context's deadline does.
 */
export async function callWebhook(cc: ClientConfig, payload: unknown, timeoutSeconds: number, resolve: ServiceResolver): Promise<KubeObject> {
  const url = webhookURL(cc, timeoutSeconds);
  // Go prints the URL as configured (a service's with its port, :443 too), where Node's URL drops a default port.
  const shown = cc.url ? `${cc.url}${url.search}`
    : `https://${cc.service?.name}.${cc.service?.namespace}.svc:${cc.service?.port ?? 443}${cc.service?.path ?? ''}${url.search}`;
  const post = (why: string) => new CallError(`failed to call webhook: Post "${shown}": ${why}`);
  let host = url.hostname.replace(/^\[|\]$/g, '');
  let port = Number(url.port || 443);
  const servername = host;
  if (!cc.url && cc.service) {
    const t = await resolve(cc.service.namespace ?? '', cc.service.name ?? '', cc.service.port ?? 443);
    if ('error' in t) throw post(t.error);
    host = t.host;
    port = t.port;
  }
  // nodeless talks to webhooks on this machine only (a test's server, a process-runtime pod): any
  // other address is never dialled, and the call fails as an unroutable one would (docs/admission.md).
  if (!isLoopback(host)) throw post(`dial tcp ${host.includes(':') ? `[${host}]` : host}:${port}: connect: network is unreachable`);
  let ca: string | undefined;
  if (cc.caBundle) {
    ca = Buffer.from(cc.caBundle, 'base64').toString('utf8');
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new CallError('failed to call webhook: unable to load root certificates: unable to parse bytes as PEM block');
  }
  const body = Buffer.from(JSON.stringify(payload));
  const answer = await new Promise<{ code: number; text: string }>((resolveP, reject) => {
    const req = https.request({
      host, port, method: 'POST', path: `${url.pathname}${url.search}`,
      // The certificate is checked for the URL's host (NAME.NAMESPACE.svc for a Service), whatever address was dialled.
      servername: /^[\d.]+$|:/.test(servername) ? undefined : servername,
      ...(ca ? { ca } : {}),
      headers: { 'content-type': 'application/json', accept: 'application/json, */*', 'content-length': body.length, 'user-agent': 'kube-apiserver-admission', host: url.host },
      agent: false,
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        // A webhook's answer is bounded as kube-apiserver bounds request bodies (3 MiB): more is not read.
        if (size > 3 * 1024 * 1024) { req.destroy(new Error('response body too large')); return; }
        chunks.push(c);
      });
      res.on('end', () => resolveP({ code: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e) => reject(post(e.message)));
    });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error('context deadline exceeded'), { code: 'ETIMEDOUT_CTX' })), timeoutSeconds * 1000);
    req.on('close', () => clearTimeout(timer));
    req.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(post(e.code === 'ETIMEDOUT_CTX' ? 'context deadline exceeded' : dialError(e, e.code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? servername : host, port)));
    });
    req.end(body);
  });
  if (answer.code < 200 || answer.code > 299) throw new CallError(`failed to call webhook: ${statusError(answer.code, answer.text)}`);
  let decoded: unknown;
  try {
    decoded = JSON.parse(answer.text);
  } catch {
    throw new CallError(`failed to call webhook: couldn't get version/kind; json parse error: ${jsonError(answer.text)}`);
  }
  if (!decoded || typeof decoded !== 'object' || Array.isArray(decoded)) {
    throw new CallError(`failed to call webhook: couldn't get version/kind; json parse error: json: cannot unmarshal ${Array.isArray(decoded) ? 'array' : typeof decoded} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`);
  }
  return decoded as KubeObject;
}

/** An address of this machine's loopback interface (127.0.0.0/8, ::1, localhost). */
function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\./.test(h);
}

/** GroupVersionKind.String() of what a webhook answered: `group/version, Kind=kind`. */
export function gvkString(o: { apiVersion?: unknown; kind?: unknown }): string {
  const av = typeof o.apiVersion === 'string' ? o.apiVersion : '';
  const kind = typeof o.kind === 'string' ? o.kind : '';
  const [group, version] = av.includes('/') ? [av.slice(0, av.indexOf('/')), av.slice(av.indexOf('/') + 1)] : ['', av];
  return `${group}/${version}, Kind=${kind}`;
}
