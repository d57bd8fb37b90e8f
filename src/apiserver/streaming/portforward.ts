// port-forward: the kubelet's two protocols and kube-apiserver's tunnel.
//
//   SPDY/3.1, portforward.k8s.io   per connection a pair of streams (streamType error and
//                                  data, headers port and requestID); the error stream
//                                  carries the reason a forward failed
//   WebSocket v4.channel.k8s.io    ?ports=a,b: channels 2i (data) and 2i+1 (error) per port,
//   (and base64, none)             each starting with the port as 2 bytes little-endian
//   WebSocket SPDY/3.1+portforward.k8s.io
//                                  kubectl 1.31+: the SPDY session above, its bytes carried
//                                  in binary WebSocket messages (client-go's tunneling dialer)
import type http from 'node:http';
import { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { errors, StatusError } from '../status.js';
import { V4, V4_BASE64, WsChannels } from './channels.js';
import { SpdySession, type SpdyStream } from './spdy.js';
import { acceptSpdy, acceptWebSocket, isSpdyRequest, isWebSocketRequest, negotiate, plainError, streamProtocols, wsProtocols, type Upgrade } from './upgrade.js';

export const PORTFORWARD_PROTOCOL = 'portforward.k8s.io';
/** The WebSocket subprotocol prefix of a SPDY tunnel (k8s.io/apimachinery/pkg/util/portforward). */
export const TUNNEL_PREFIX = 'SPDY/3.1+';
const WS_PROTOCOLS = ['', V4, V4_BASE64];
const PAIR_TIMEOUT_MS = 30_000;

export interface ForwardTarget {
  /** Connects to the pod's port; rejects with the runtime's reason. */
  connect(port: number): Promise<Duplex>;
  /** The pod as the kubelet names it in errors (the sandbox ID). */
  podName: string;
}

/** The kubelet's wording of a failed forward (cri/streaming/portforward). */
export const forwardError = (port: number, pod: string, reason: string) => `error forwarding port ${port} to pod ${pod}, uid : ${reason}`;

/** Parses ?ports= (PodPortForwardOptions; the kubelet's NewV4Options checks). */
export function parsePorts(q: URLSearchParams): number[] {
  const raw = q.getAll('ports');
  const ports: number[] = [];
  for (const s of raw) {
    if (!s) throw errors.badRequest('query parameter "port" cannot be empty');
    for (const p of s.split(',')) {
      if (!/^[0-9]+$/.test(p) || Number(p) > 65535) throw errors.badRequest(`unable to parse "${s}" as a port: strconv.ParseUint: parsing "${p}": ${/^[0-9]+$/.test(p) ? 'value out of range' : 'invalid syntax'}`);
      if (Number(p) < 1) throw errors.badRequest(`port "${s}" must be > 0`);
      ports.push(Number(p));
    }
  }
  return ports;
}

export async function servePortForward(up: Upgrade, res: http.ServerResponse, query: URLSearchParams, target: ForwardTarget): Promise<void> {
  if (isWebSocketRequest(up.req)) {
    const requested = wsProtocols(up.req);
    const tunnel = requested.filter((p) => p.startsWith(TUNNEL_PREFIX) && p.endsWith('.k8s.io')).map((p) => p.slice(TUNNEL_PREFIX.length));
    if (tunnel.length) {
      const chosen = negotiate(tunnel, [PORTFORWARD_PROTOCOL]);
      if (!chosen) {
        return plainError(res, 403, `unable to upgrade: unable to negotiate protocol: client supports [${tunnel.join(' ')}], server accepts [${PORTFORWARD_PROTOCOL}]`, { 'x-accepted-stream-protocol-versions': PORTFORWARD_PROTOCOL });
      }
      const ws = await acceptWebSocket(up, TUNNEL_PREFIX + chosen);
      return serveSpdyForwards(new SpdySession(wsDuplex(ws), { server: true }), target);
    }
    const ports = parsePorts(query);
    if (!ports.length) throw errors.badRequest('query parameter "port" is required');
    const chosen = negotiate(requested.length ? requested : [''], WS_PROTOCOLS);
    if (chosen === undefined) {
      throw new StatusError(403, 'Forbidden', `requested protocol(s) are not supported: [${requested.join(' ')}]; supports [${WS_PROTOCOLS.join(' ')}]`);
    }
    const ws = await acceptWebSocket(up, chosen);
    return serveWsForwards(new WsChannels(ws, chosen, ports.map((_, i) => 2 * i)), ports, target);
  }
  if (isSpdyRequest(up.req)) {
    const offered = streamProtocols(up.req);
    if (!offered.length) return plainError(res, 400, 'unable to upgrade: X-Stream-Protocol-Version is required');
    const chosen = negotiate(offered, [PORTFORWARD_PROTOCOL]);
    if (!chosen) {
      return plainError(res, 403, `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${PORTFORWARD_PROTOCOL}]`, { 'x-accepted-stream-protocol-versions': PORTFORWARD_PROTOCOL });
    }
    return serveSpdyForwards(acceptSpdy(up, chosen), target);
  }
  throw errors.badRequest('Upgrade request required');
}

/** Copies both ways between a client stream and the pod's socket, half-closes passed on; resolves when both directions ended. */
function splice(client: Duplex, pod: Duplex): Promise<void> {
  return new Promise((resolve) => {
    let ends = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      pod.destroy();
      resolve();
    };
    const ended = () => { if (++ends === 2) finish(); };
    client.pipe(pod);
    pod.pipe(client, { end: false });
    pod.on('end', () => { if (!client.writableEnded) client.end(); ended(); });
    client.on('end', ended);
    pod.on('error', finish);
    pod.on('close', () => { if (!client.writableEnded) client.end(); finish(); });
    client.on('close', finish);
    client.on('error', finish);
  });
}

/** The kubelet's SPDY port-forward handler: streams paired by requestID, one forward per pair. */
export function serveSpdyForwards(session: SpdySession, target: ForwardTarget): Promise<void> {
  const pairs = new Map<string, { data?: SpdyStream; error?: SpdyStream; timer: NodeJS.Timeout }>();
  let anonymous = 0;
  const start = async (key: string) => {
    const p = pairs.get(key)!;
    clearTimeout(p.timer);
    pairs.delete(key);
    const data = p.data!;
    const error = p.error!;
    error.resume();
    const port = Number.parseInt(data.header('port') ?? '', 10);
    let reason: string | undefined;
    if (!(port > 0 && port <= 65535)) reason = `invalid port "${data.header('port') ?? ''}"`;
    else {
      try {
        const sock = await target.connect(port);
        await splice(data, sock);
      } catch (e) {
        reason = (e as Error).message;
      }
    }
    if (reason && !error.destroyed) error.write(forwardError(port || 0, target.podName, reason));
    if (!error.destroyed && !error.writableEnded) error.end();
    if (!data.destroyed && !data.writableEnded) data.end();
  };
  session.on('stream', (s: SpdyStream) => {
    s.reply();
    const type = s.header('streamtype');
    // Old clients send no requestID: an error stream then its data stream make a pair.
    const key = s.header('requestid') ?? `anon-${type === 'error' ? ++anonymous : anonymous}`;
    if (type !== 'data' && type !== 'error') {
      s.reset();
      return;
    }
    let p = pairs.get(key);
    if (!p) {
      const timer = setTimeout(() => {
        // The kubelet's "timed out waiting for streams": the half a pair that came is dropped.
        const q = pairs.get(key);
        pairs.delete(key);
        if (q?.error) { q.error.end(`timed out waiting for streams`); }
        q?.data?.reset();
      }, PAIR_TIMEOUT_MS);
      timer.unref();
      p = { timer };
      pairs.set(key, p);
    }
    if (p[type]) { s.reset(); return; }
    p[type] = s;
    if (p.data && p.error) void start(key);
  });
  return new Promise((resolve) => session.once('close', () => {
    for (const p of pairs.values()) clearTimeout(p.timer);
    pairs.clear();
    resolve();
  }));
}

/** The kubelet's WebSocket port-forward: one forward per requested port, for the life of the connection. */
async function serveWsForwards(ch: WsChannels, ports: number[], target: ForwardTarget): Promise<void> {
  const portBytes = (port: number) => { const b = Buffer.alloc(2); b.writeUInt16LE(port, 0); return b; };
  const gone = new Promise<void>((r) => ch.ws.once('close', () => r()));
  await Promise.all(ports.map(async (port, i) => {
    ch.send(2 * i, portBytes(port));
    ch.send(2 * i + 1, portBytes(port));
    let sock: Duplex;
    try {
      sock = await target.connect(port);
    } catch (e) {
      ch.send(2 * i + 1, Buffer.from(forwardError(port, target.podName, (e as Error).message)));
      return;
    }
    const input = ch.input(2 * i)!;
    const out = ch.writer(2 * i);
    await Promise.race([splice(Duplex.from({ readable: input, writable: out }), sock), gone]);
    sock.destroy();
  }));
  ch.close();
}

/** A WebSocket as a byte stream: binary messages in, binary messages out (client-go's TunnelingConnection). */
export function wsDuplex(ws: WebSocket): Duplex {
  const d = new Duplex({
    read() { ws.resume(); },
    write(chunk: Buffer, _enc, cb) {
      if (ws.readyState !== ws.OPEN) return cb(new Error('websocket closed'));
      ws.send(chunk, { binary: true }, (err) => cb(err ?? null));
    },
    final(cb) { if (ws.readyState === ws.OPEN) ws.close(1000); cb(); },
    destroy(err, cb) { ws.terminate(); cb(err); },
  });
  ws.on('message', (data: Buffer) => { if (!d.push(data)) ws.pause(); });
  ws.on('close', () => { d.push(null); d.destroy(); });
  ws.on('error', () => d.destroy());
  return d;
}
