// The HTTPS front door: authentication, health and version endpoints,
// discovery, OpenAPI, the cloud API, and resource paths of every cluster.
// The default cluster is served at the root; cluster NAME at /clusters/NAME.
import https from 'node:https';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import net, { type AddressInfo } from 'node:net';
import type { Catalog } from '../api/catalog.js';
import type { Registry } from './registry.js';
import { errors, StatusError } from './status.js';
import { readBody, sendError, sendJson } from './http.js';
import { aggregatedDiscovery, aggregatedVersion, apiGroup, apiGroupList, apiResourceList, apiVersions, KUBE_VERSION } from './discovery.js';
import { createHash } from 'node:crypto';
import { handleResource } from './handlers.js';
import { scrape, type ApiMetrics } from './metrics.js';
import { queryBool } from './params.js';
import { logger } from '../util/log.js';

const log = logger('apiserver');
import { isHealthPath, ping, serveHealth, type HealthCheck } from './health.js';
import type { Subresources } from './subresources.js';
import { openapiV2, openapiV3GroupVersion, openapiV3Root } from '../api/openapi/index.js';
import { serveOpenAPIv2 } from './openapiv2.js';
import type { Upgrade } from './streaming/upgrade.js';
import { authenticateRequest, StaticTokenAuthenticator, type TokenAuthenticator } from './auth/authenticator.js';
import { ADMIN_USER, type UserInfo } from './auth/user.js';
import { attributesOf, requestInfo, RequestInfoError } from './auth/requestinfo.js';
import { impersonate, wantsImpersonation } from './auth/impersonation.js';
import type { AuthorizationResult } from './auth/authorizer.js';
import type { ApiFaults } from './faults.js';

/** The upgrade (socket and early bytes) of a request that came through the server's 'upgrade' event. */
const UPGRADE = Symbol('nodeless.upgrade');

export interface ClusterApi {
  name: string;
  registry: Registry;
  catalog: Catalog;
  subresources: Subresources;
  /** This cluster's API server metrics (metrics.ts): /metrics, /clusters/NAME/metrics. */
  metrics?: ApiMetrics;
  /** Injected API server faults (faults.ts; docs/faults.md). */
  apiFaults?: ApiFaults;
}

/** The service account issuer: its name, and the key set that verifies its tokens. */
export interface IssuerDiscovery {
  issuer: string;
  jwks(): Promise<unknown>;
}

/** Something mounted beside Kubernetes (the cloud API, metrics, the console); `user` is who asks (./auth). */
export type ExtraRoute = (req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: () => Promise<Buffer>, user: UserInfo) => Promise<boolean>;

export interface ApiServerOptions {
  host: string;
  port: number;
  /** What /livez, /readyz and /healthz check besides ping, log and shutdown (health.ts), in order. */
  health?: HealthCheck[];
  cert: string;
  key: string;
  token: string;
  /**
   * Who a bearer token is (./auth/authenticator.ts) where no cluster's registry says
   * (`registry.authenticator`: the administrator's token and that cluster's ServiceAccount
   * tokens); by default `token` is the administrator's.
   */
  authenticator?: TokenAuthenticator;
  /** The CA client certificates must be signed by (--client-ca-file): the cluster CA. Without it no certificate is asked for. */
  clientCA?: string;
  /** The service account issuer discovery documents (/.well-known/openid-configuration, /openid/v1/jwks). */
  serviceAccountIssuer?: IssuerDiscovery;
  clusters: Map<string, ClusterApi>;
  routes?: ExtraRoute[];
  /** How long a request body may take to arrive (kube-apiserver's --request-timeout, default 60s). */
  requestTimeoutMs?: number;
  /** EKS clusters' endpoint access (public CIDRs, the private endpoint); none: every cluster is open. */
  endpointAccess?: EndpointAccessPolicy;
}

/**
 * An EKS cluster's endpoint access (docs/aws/endpoint-access.md), as the API server enforces it: the public
 * endpoint (this server's /clusters/NAME, and the cluster's in-cluster listener) admits a connection whose
 * source address is in publicAccessCidrs; the private one listens on a loopback address of its own and
 * admits only a connection whose process stands inside the cluster's VPC.
 */
export interface EndpointAccessPolicy {
  /** The cluster's access; undefined: served to everyone (not an EKS cluster). */
  access(cluster: string): { public: boolean; private: boolean; publicAccessCidrs: string[] } | undefined;
  /** The loopback address the cluster's private endpoint listens on (asked when it opens, not per request). */
  privateAddress?(cluster: string): string | undefined;
  /** The serving certificate of the cluster's private endpoint at `address` (its names and addresses). */
  certificate?(cluster: string, address: string): Promise<{ cert: string; key: string }>;
  /** Undefined when the process at the other end of `socket` stands inside the cluster's VPC, else why not. */
  inside(cluster: string, socket: import('node:net').Socket): Promise<string | undefined>;
}

/** Whether an IPv4 (or IPv4-mapped IPv6) address lies in one of `cidrs` (a.b.c.d/n). */
export function addressIn(address: string | undefined, cidrs: string[]): boolean {
  const ip = toInt((address ?? '').replace(/^::ffff:/, ''));
  if (ip === undefined) return address === '::1' && cidrs.some((c) => c === '0.0.0.0/0');
  // Public access open to all (EKS's default) is asked on every request: no CIDR parsing for it.
  if (cidrs.length === 1 && cidrs[0] === '0.0.0.0/0') return true;
  return cidrs.some((c) => {
    const [a, p] = c.split('/');
    const base = toInt(a);
    const prefix = Number(p);
    if (base === undefined || !(prefix >= 0 && prefix <= 32)) return false;
    const size = 2 ** (32 - prefix);
    return Math.floor(ip / size) === Math.floor(base / size);
  });
}

function toInt(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const o = m.slice(1).map(Number);
  return o.some((x) => x > 255) ? undefined : ((o[0] * 256 + o[1]) * 256 + o[2]) * 256 + o[3];
}

/** A host and port an in-cluster client dials (KUBERNETES_SERVICE_HOST/PORT). */
export interface ClusterEndpoint {
  host: string;
  port: number;
}

export class ApiServer {
  private server: https.Server;
  /** The listeners of clusters other than the default one, for their in-cluster clients (clusterEndpoint). */
  private clusterServers = new Map<string, Promise<https.Server>>();
  /** EKS clusters' private endpoints: a listener on a loopback address of its own, while private access is on. */
  private privateServers = new Map<string, { server: net.Server; address: string; ready: Promise<void> }>();
  private readonly authn: TokenAuthenticator;
  url = '';
  private shuttingDown = false;
  /** The health checks in kube-apiserver's order: ping, log, the assembly's, shutdown (readyz only). */
  private readonly checks: HealthCheck[];

  constructor(private opts: ApiServerOptions) {
    this.authn = opts.authenticator ?? new StaticTokenAuthenticator(opts.token, ADMIN_USER);
    this.server = this.makeServer();
    this.checks = [
      ping,
      // kube-apiserver's "log" check asks whether klog still flushes; here, whether stderr still takes writes.
      { name: 'log', check: () => (process.stderr.destroyed || process.stderr.writableEnded ? 'the log stream (stderr) is closed' : undefined) },
      ...(opts.health ?? []),
      { name: 'shutdown', endpoints: ['readyz'], check: () => (this.shuttingDown ? 'process is shutting down' : undefined) },
    ];
  }

  /** An HTTPS server answering as this one; with `cluster`, every request is that cluster's (no /clusters/NAME prefix). */
  private makeServer(cluster?: string, privateEndpoint = false, serving?: { cert: string; key: string }): https.Server {
    const opts = this.opts;
    // A client certificate is asked for but not required (kube-apiserver's RequestClientCert): one the
    // CA did not sign still lets the TLS handshake finish, and the request is then refused with a 401.
    const clientAuth = opts.clientCA ? { requestCert: true, rejectUnauthorized: false, ca: opts.clientCA } : {};
    const server = https.createServer({ cert: serving?.cert ?? opts.cert, key: serving?.key ?? opts.key, ...clientAuth }, (req, res) => {
      if (log.isLevelEnabled('debug')) logRequest(req, res);
      // sendError never throws, so no request can end in an unhandled rejection.
      this.handle(req, res, cluster, privateEndpoint).catch((e) => sendError(res, e, (err) => log.error({ err }, 'request failed')));
    });
    server.keepAliveTimeout = 65_000;
    // Upgrade requests (exec, attach, port-forward; a WebSocket watch) take the same path as any
    // other: a response written on their socket answers those that are refused or not streams.
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      const res = new http.ServerResponse(req);
      res.assignSocket(socket as import('node:net').Socket);
      res.once('finish', () => { socket.end(); setTimeout(() => socket.destroy(), 5_000).unref(); });
      socket.on('error', () => socket.destroy());
      const up: Upgrade = { req, socket, head };
      (req as any)[UPGRADE] = up;
      this.handle(req, res, cluster, privateEndpoint).catch((e) => {
        // Once the connection was taken over, an error cannot be an HTTP answer: it is closed.
        if (up.taken) socket.destroy();
        else sendError(res, e, (err) => log.error({ err }, 'request failed'));
      });
    });
    return server;
  }

  /**
   * Where cluster NAME's in-cluster clients reach its API (docs/auth.md, "In-cluster clients"): they
   * know a host and a port only (KUBERNETES_SERVICE_HOST/PORT, no path), so the default cluster is
   * this server's address and any other, served here at /clusters/NAME, gets a listener of its own
   * on the same host (port chosen by the system, made on first use) that answers as that cluster.
   */
  async clusterEndpoint(name: string): Promise<ClusterEndpoint | undefined> {
    if (!this.url) return undefined;
    // Inside the VPC an EKS cluster with private access is reached on its private endpoint (docs/aws/endpoint-access.md).
    const priv = this.privateServers.get(name);
    if (priv) {
      await priv.ready;
      const a = priv.server.address() as AddressInfo | null;
      if (a) return { host: a.address, port: a.port };
    }
    const server = name === 'default' ? this.server : await this.clusterServer(name);
    const a = server.address() as AddressInfo;
    // A server on every address is reached on the loopback one.
    const host = a.address === '0.0.0.0' ? '127.0.0.1' : a.address === '::' ? '::1' : a.address;
    return { host, port: a.port };
  }

  private clusterServer(name: string): Promise<https.Server> {
    let p = this.clusterServers.get(name);
    if (!p) {
      const server = this.makeServer(name);
      p = new Promise<https.Server>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, (this.server.address() as AddressInfo).address, () => { server.off('error', reject); resolve(server); });
      });
      this.clusterServers.set(name, p);
      p.catch(() => this.clusterServers.delete(name));
    }
    return p;
  }

  /**
   * Opens or closes each cluster's private endpoint to match its access (after a start and every change):
   * while private access is on it listens on its own loopback address, and a connection is handed to the
   * cluster's HTTPS server only once the policy says its process stands inside the VPC; off, nothing
   * listens there and a client's connection is refused.
   */
  syncPrivateEndpoints(): Promise<void> {
    // One at a time: two changes close together must not open a cluster's endpoint twice.
    this.syncing = this.syncing.then(() => this.syncPrivate(), () => this.syncPrivate());
    return this.syncing;
  }

  private syncing: Promise<void> = Promise.resolve();

  private async syncPrivate(): Promise<void> {
    const policy = this.opts.endpointAccess;
    if (!policy || !this.url) return;
    for (const name of this.opts.clusters.keys()) {
      const want = policy.access(name);
      const have = this.privateServers.get(name);
      const address = want?.private ? policy.privateAddress?.(name) ?? '127.0.0.1' : undefined;
      if (have && have.address === address) continue;
      if (have) {
        this.privateServers.delete(name);
        await new Promise<void>((resolve) => have.server.close(() => resolve()));
      }
      if (!address) continue;
      const serving = await policy.certificate?.(name, address).catch((err) => { log.error({ err }, `cluster ${name}'s private endpoint certificate`); return undefined; });
      const tls = this.makeServer(name, true, serving);
      const server = net.createServer({ pauseOnConnect: true }, (socket) => {
        socket.on('error', () => socket.destroy());
        policy.inside(name, socket).then((why) => {
          if (why === undefined) {
            tls.emit('connection', socket);
            socket.resume();
          } else {
            log.warn(`connection from ${socket.remoteAddress}:${socket.remotePort} to cluster ${name}'s private endpoint refused: ${why}`);
            socket.destroy();
          }
        }, () => socket.destroy());
      });
      const ready = new Promise<void>((resolve) => {
        server.once('error', (err) => { log.error({ err }, `cluster ${name}'s private endpoint cannot listen on ${address}`); resolve(); });
        server.listen(0, address, () => resolve());
      });
      this.privateServers.set(name, { server, address, ready });
      await ready;
    }
  }

  /** Where cluster `name`'s private endpoint listens, while it does. */
  privateEndpoint(name: string): ClusterEndpoint | undefined {
    const a = this.privateServers.get(name)?.server.address() as AddressInfo | null | undefined;
    return a ? { host: a.address, port: a.port } : undefined;
  }

  /** Why a connection may not use cluster `name`'s public endpoint (EKS access), or undefined. */
  private publicRefusal(name: string, socket: net.Socket): string | undefined {
    const access = this.opts.endpointAccess?.access(name);
    if (!access) return undefined;
    if (!access.public) return `public access to cluster ${name}'s endpoint is off (endpointPublicAccess=false): reach it from inside its VPC (nodeless vpc shell)`;
    if (!addressIn(socket.remoteAddress, access.publicAccessCidrs)) {
      return `source address ${socket.remoteAddress} is not in cluster ${name}'s publicAccessCidrs [${access.publicAccessCidrs.join(',')}]`;
    }
    return undefined;
  }

  listen(): Promise<string> {
    return new Promise((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException) => reject(e);
      this.server.once('error', onError);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', onError);
        const a = this.server.address() as AddressInfo;
        const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
        this.url = `https://${host}:${a.port}`;
        resolve(this.url);
      });
    });
  }

  async close(): Promise<void> {
    this.shuttingDown = true;
    const servers: net.Server[] = [this.server, ...(await Promise.allSettled(this.clusterServers.values())).flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))];
    for (const p of this.privateServers.values()) servers.push(p.server);
    this.privateServers.clear();
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => {
      server.close(() => resolve());
      if (server instanceof https.Server) server.closeAllConnections();
    })));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, only?: string, privateEndpoint = false): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'https://localhost');
    } catch {
      throw errors.badRequest(`invalid request URI ${JSON.stringify(req.url)}`);
    }
    let path = url.pathname;
    // An EKS cluster's public endpoint admits its publicAccessCidrs only, and nobody while public access is off:
    // refused as the network would, before any answer (the cloud API is the provider's, not the cluster's).
    if (this.opts.endpointAccess && !privateEndpoint) {
      const target = only ?? /^\/clusters\/([^/]+)/.exec(path)?.[1] ?? (path === '/cloud' || path.startsWith('/cloud/') ? undefined : 'default');
      let why = target === undefined ? undefined : this.publicRefusal(target, req.socket);
      // Inside the VPC the endpoint's name resolves to the private endpoint: a process there is not refused
      // for the public endpoint's rules while private access is on.
      if (why && target !== undefined && this.opts.endpointAccess.access(target)?.private && (await this.opts.endpointAccess.inside(target, req.socket)) === undefined) why = undefined;
      if (why) {
        log.warn(`connection from ${req.socket.remoteAddress}:${req.socket.remotePort} refused: ${why}`);
        req.socket.destroy();
        return;
      }
    }
    // Served without a token, as kube-apiserver's system:public-info-viewer role allows.
    if (path === '/version') return sendJson(res, 200, KUBE_VERSION);
    if (isHealthPath(path)) return serveHealth(res, path, url.searchParams, this.checks);
    // The addressed cluster's authenticator knows its ServiceAccounts; elsewhere (the cloud API, a cluster
    // that does not exist) the default cluster's answers.
    const named = only ?? /^\/clusters\/([^/]+)/.exec(path)?.[1];
    const authn = (named !== undefined ? this.opts.clusters.get(named) : undefined)?.registry.authenticator
      ?? this.opts.clusters.get('default')?.registry.authenticator ?? this.authn;
    const authResult = await authenticateRequest(authn, { authorization: req.headers.authorization, socket: req.socket });
    if (!authResult?.ok) {
      if (authResult) log.warn({ URI: req.url }, `Unable to authenticate the request: ${authResult.error}`);
      if (path.startsWith('/cloud/')) return sendJson(res, 401, { code: 'Unauthorized', message: 'missing or invalid bearer token: use the token in the nodeless home (token file or kubeconfig)' });
      throw errors.unauthorized();
    }
    const authenticated = authResult.response.user;
    let cluster: ClusterApi | undefined;
    if (only !== undefined) {
      // A cluster's own listener serves that cluster only: no cloud API, no /clusters/NAME prefix.
      cluster = this.opts.clusters.get(only);
      if (!cluster) throw new StatusError(404, 'NotFound', `cluster "${only}" not found`);
    } else {
      cluster = this.opts.clusters.get('default');
      const m = /^\/clusters\/([^/]+)(\/.*)?$/.exec(path);
      if (m) {
        cluster = this.opts.clusters.get(m[1]);
        if (!cluster) throw new StatusError(404, 'NotFound', `cluster "${m[1]}" not found`);
        path = m[2] ?? '/';
      }
    }
    // Impersonation (--as) is authorized by the roles of the cluster the request is for (the
    // default cluster's for what is mounted beside Kubernetes).
    let user = authenticated;
    if (wantsImpersonation(req.headers)) {
      const authz = cluster ?? this.opts.clusters.values().next().value;
      if (!authz) throw errors.forbidden({ plural: 'users', group: '' }, req.headers['impersonate-user'] as string ?? '', 'no cluster to authorize impersonation');
      user = await impersonate(req.headersDistinct, authenticated, (a) => authz.registry.authorizer.authorize(a) as Promise<AuthorizationResult>);
    }
    let bodyPromise: Promise<Buffer> | undefined;
    const body = () => (bodyPromise ??= readBody(req, this.opts.requestTimeoutMs));
    if (only === undefined) for (const route of this.opts.routes ?? []) if (await route(req, res, url, body, user)) return;
    if (!cluster) throw errors.notFoundPath(path);
    return this.route(cluster, req, res, path, url, body, user);
  }

  /**
   * Service account issuer discovery (pkg/routes/openidmetadata.go): the OIDC provider configuration
   * and the key set that verifies the cluster's tokens, so a relying party (a cloud's workload identity,
   * Vault) can check them. The JWKS URI is this server's address, as kube-apiserver derives it from its
   * external address when --service-account-jwks-uri is not set.
   */
  private async serveIssuerDiscovery(c: ClusterApi, req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    const disc = this.opts.serviceAccountIssuer;
    if (!disc) throw errors.notFoundPath(path);
    if (req.method !== 'GET' && req.method !== 'HEAD') throw errors.methodNotAllowed(`${req.method} ${path}`);
    const headers = { 'cache-control': 'public, max-age=3600' };
    if (path === '/openid/v1/jwks') {
      const body = JSON.stringify(await disc.jwks());
      res.writeHead(200, { ...headers, 'content-type': 'application/jwk-set+json', 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    const base = c.name === 'default' ? this.url : `${this.url}/clusters/${c.name}`;
    const body = JSON.stringify({
      issuer: disc.issuer, jwks_uri: `${base}/openid/v1/jwks`, response_types_supported: ['id_token'],
      subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'],
    });
    res.writeHead(200, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private async route(c: ClusterApi, req: http.IncomingMessage, res: http.ServerResponse, path: string, url: URL, body: () => Promise<Buffer>, user: UserInfo): Promise<void> {
    const parts = path.split('/').filter(Boolean).map(decodeSegment);
    const method = req.method ?? 'GET';
    // Every request is authorized on what its method and path ask (kube's RequestInfo), before any handler.
    let info;
    try {
      info = requestInfo(method, path.split('/').map((seg) => (seg ? decodeSegment(seg) : seg)).join('/') || '/', url.searchParams);
    } catch (e) {
      if (e instanceof RequestInfoError) throw errors.badRequest(e.message);
      throw e;
    }
    await c.registry.authorize(attributesOf(user, info));
    const host = req.headers.host ?? '127.0.0.1';
    if (parts.length === 0) {
      return sendJson(res, 200, { paths: ['/.well-known/openid-configuration', '/api', '/api/v1', '/apis', ...c.catalog.groups().flatMap((g) => g.versions.map((v) => `/apis/${g.name}/${v}`)), '/healthz', '/livez', '/metrics', '/openapi/v2', '/openapi/v3', '/openid/v1/jwks', '/readyz', '/version'] });
    }
    if (parts[0] === 'version') return sendJson(res, 200, KUBE_VERSION);
    if (path === '/.well-known/openid-configuration' || path === '/openid/v1/jwks') return this.serveIssuerDiscovery(c, req, res, path);
    if (parts[0] === 'metrics' && parts.length === 1) return serveMetrics(c, method, res);
    if (parts[0] === 'openapi') {
      if (parts[1] === 'v2' && parts.length === 2) return serveOpenAPIv2(req, res, openapiV2(c.catalog.all(), undefined, c.registry.deleteReturnsObject));
      if (parts[1] === 'v3' && parts.length === 2) return sendJson(res, 200, openapiV3Root(c.catalog.all(), undefined, c.registry.deleteReturnsObject));
      if (parts[1] === 'v3') {
        const doc = openapiV3GroupVersion(parts.slice(2).join('/'), c.catalog.all(), undefined, c.registry.deleteReturnsObject);
        if (!doc) throw errors.notFoundPath(path);
        return sendJson(res, 200, doc, { 'cache-control': url.searchParams.has('hash') ? 'public, immutable' : 'no-cache, private' });
      }
      throw errors.notFoundPath(path);
    }
    let group: string;
    let version: string;
    let rest: string[];
    if ((parts[0] === 'api' || parts[0] === 'apis') && parts.length === 1) {
      const aggregated = aggregatedVersion(req.headers.accept);
      if (aggregated) return sendDiscovery(req, res, aggregatedDiscovery(c.catalog, parts[0] === 'api', aggregated), aggregated);
    }
    if (parts[0] === 'api') {
      if (parts.length === 1) return sendJson(res, 200, apiVersions(host));
      group = '';
      version = parts[1];
      rest = parts.slice(2);
      if (version !== 'v1') throw errors.notFoundPath(path);
    } else if (parts[0] === 'apis') {
      if (parts.length === 1) return sendJson(res, 200, apiGroupList(c.catalog));
      group = parts[1];
      if (parts.length === 2) {
        const g = apiGroup(c.catalog, group);
        if (!g) throw errors.notFoundPath(path);
        return sendJson(res, 200, g);
      }
      version = parts[2];
      rest = parts.slice(3);
    } else throw errors.notFoundPath(path);
    const gv = group ? `${group}/${version}` : version;
    if (rest.length === 0) {
      const types = c.catalog.groupVersion(group, version);
      if (types.length === 0) throw errors.notFoundPath(path);
      return sendJson(res, 200, apiResourceList(gv, types));
    }
    // namespaces/NS/RESOURCE/... is a namespaced path unless it addresses the namespace itself.
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3 && c.catalog.lookup(group, version, rest[2])?.namespaced) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const rt = c.catalog.lookup(group, version, rest[0]);
    if (!rt) throw errors.notFoundPath(path);
    if (rt.namespaced && !namespace && rest.length > 1) throw errors.notFoundPath(path);
    const [, name, subresource, ...tail] = rest;
    // Counted in the cluster's metrics once the answer is sent (or the client is gone).
    const done = c.metrics?.begin({
      method, group, version, resource: rt.plural, subresource: subresource ?? '', namespace, name,
      watch: queryBool(url.searchParams, 'watch') === true, contentType: req.headers['content-type'], dryRun: url.searchParams.getAll('dryRun'),
    });
    if (done) {
      // A stream that took its socket over (exec, attach, port-forward) answered 101 on it and ends with the socket.
      const upgrade: Upgrade | undefined = (req as any)[UPGRADE];
      const end = () => done(upgrade && !res.headersSent ? 101 : res.statusCode, Number(res.getHeader('content-length') ?? 0));
      res.once('close', end);
      upgrade?.socket.once('close', end);
    }
    // An injected fault may answer first (apiserver-errors; docs/faults.md).
    if (c.apiFaults?.applies(info.verb) && await c.apiFaults.intercept(info.verb, group, rt.plural, res)) return;
    return handleResource(c.registry, c.subresources, {
      rt, namespace, name, subresource, rest: tail.length ? '/' + tail.join('/') : subresource === 'proxy' && path.endsWith('/') ? '/' : undefined,
      method, query: url.searchParams, headers: req.headers, body: method === 'GET' || (req as any)[UPGRADE] ? Buffer.alloc(0) : await body(),
      upgrade: (req as any)[UPGRADE], metrics: c.metrics, user,
    }, res);
  }
}

/**
 * One debug line per request once it is answered, with kube-apiserver's httplog fields
 * ("HTTP" verb URI latency userAgent srcIP resp): `--log-level debug` shows every request.
 */
function logRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
  const start = performance.now();
  const srcIP = req.socket.remoteAddress;
  res.once('close', () => log.debug({
    verb: req.method, URI: req.url, latency: `${(performance.now() - start).toFixed(3)}ms`,
    userAgent: req.headers['user-agent'], srcIP, resp: res.statusCode,
  }, 'HTTP'));
}

/** GET /metrics: the cluster's metrics and the process's, in Prometheus' text format (a token is needed, as on Kubernetes). */
async function serveMetrics(c: ClusterApi, method: string, res: http.ServerResponse): Promise<void> {
  if (method !== 'GET' && method !== 'HEAD') throw errors.methodNotAllowed(`${method} /metrics`);
  if (!c.metrics) throw errors.notFoundPath('/metrics');
  const { contentType, text } = await scrape(c.metrics);
  res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(method === 'HEAD' ? undefined : text);
}

/**
 * An aggregated discovery document as kube-apiserver serves it: its own content type, an ETag
 * of the body (If-None-Match answers 304), and Vary: Accept since the same path answers
 * legacy discovery to other Accept headers.
 */
function sendDiscovery(req: http.IncomingMessage, res: http.ServerResponse, doc: object, version: string): void {
  const body = JSON.stringify(doc);
  const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 32).toUpperCase()}"`;
  const headers = { etag, vary: 'Accept', 'x-varied-accept': req.headers.accept ?? '' };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  sendJson(res, 200, body, { ...headers, 'content-type': `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList` });
}

// Go's net/http refuses such a request line with a plain 400; a Status says why.
function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    const bad = /%(?![0-9a-fA-F]{2})[\s\S]{0,2}/.exec(s)?.[0] ?? s;
    throw errors.badRequest(`invalid URL escape ${JSON.stringify(bad)}`);
  }
}
