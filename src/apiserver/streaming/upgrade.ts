// Taking over a connection for a stream: the WebSocket handshake (the `ws`
// package) or the SPDY/3.1 upgrade (101 Switching Protocols, then spdy.ts on
// the raw socket), and kube's answers when an upgrade is refused.
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { SpdySession } from './spdy.js';

/** The connection of a request that asked for an Upgrade (the server's 'upgrade' event). */
export interface Upgrade {
  req: http.IncomingMessage;
  socket: Duplex;
  head: Buffer;
  /** The connection speaks WebSocket or SPDY now: an error can no longer be an HTTP answer. */
  taken?: boolean;
}

export const HEADER_PROTOCOL_VERSION = 'x-stream-protocol-version';

/** wsstream.IsWebSocketRequest: Upgrade: websocket and a Connection header naming upgrade. */
export function isWebSocketRequest(req: http.IncomingMessage): boolean {
  return String(req.headers.upgrade ?? '').toLowerCase() === 'websocket' && /(^|,)\s*upgrade\s*($|,)/i.test(String(req.headers.connection ?? ''));
}

/** httpstream.IsUpgradeRequest: any Connection header containing "upgrade". */
export function isUpgradeRequest(req: http.IncomingMessage): boolean {
  return /upgrade/i.test(String(req.headers.connection ?? ''));
}

/** The subprotocols a WebSocket client asked for, in its order. */
export function wsProtocols(req: http.IncomingMessage): string[] {
  return String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/** The X-Stream-Protocol-Version values a SPDY client offers, comma lists split (httpstream.Handshake). */
export function streamProtocols(req: http.IncomingMessage): string[] {
  const raw = req.headersDistinct?.[HEADER_PROTOCOL_VERSION] ?? [];
  return raw.flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
}

/** httpstream's negotiateProtocol: the client's first protocol the server also speaks. */
export function negotiate(client: string[], server: string[]): string | undefined {
  return client.find((p) => server.includes(p));
}

// One handshake engine for all WebSocket streams; the subprotocol is chosen
// per request before the handshake (kept on the request for handleProtocols).
const CHOSEN = Symbol('nodeless.wsProtocol');
const wss = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  // A frame bigger than this from a client is a protocol error (wsstream reads whole messages too).
  maxPayload: 32 * 1024 * 1024,
  handleProtocols: (_protocols, req) => (req as any)[CHOSEN] || false,
});

/** Completes the WebSocket handshake with `protocol` ('' = none). Rejects if the handshake is malformed (ws answered 400). */
export function acceptWebSocket(up: Upgrade, protocol: string): Promise<WebSocket> {
  (up.req as any)[CHOSEN] = protocol;
  up.taken = true;
  return new Promise((resolve, reject) => {
    // ws answers a malformed handshake itself (400) and destroys the socket without calling back.
    const onClose = () => reject(new Error('websocket handshake failed'));
    up.socket.once('close', onClose);
    wss.handleUpgrade(up.req, up.socket, up.head, (ws) => {
      up.socket.off('close', onClose);
      resolve(ws);
    });
  });
}

/** 101 Switching Protocols to SPDY/3.1 (spdy.responseUpgrader), then a server session on the socket. */
export function acceptSpdy(up: Upgrade, protocol: string): SpdySession {
  up.taken = true;
  up.socket.write(
    'HTTP/1.1 101 Switching Protocols\r\n' +
    'Connection: Upgrade\r\n' +
    'Upgrade: SPDY/3.1\r\n' +
    `X-Stream-Protocol-Version: ${protocol}\r\n` +
    '\r\n',
  );
  const session = new SpdySession(up.socket, { server: true });
  if (up.head.length) up.socket.unshift(up.head);
  return session;
}

/** Whether the request asks for SPDY/3.1 (spdy.responseUpgrader's check). */
export function isSpdyRequest(req: http.IncomingMessage): boolean {
  return isUpgradeRequest(req) && String(req.headers.upgrade ?? '').toLowerCase().includes('spdy/3.1');
}

/** A plain-text answer on a connection that will not be upgraded (the kubelet's http.Error). */
export function plainError(res: http.ServerResponse, code: number, text: string, headers: Record<string, string | string[]> = {}): void {
  if (res.headersSent) return;
  const body = text + '\n';
  res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', 'content-length': Buffer.byteLength(body), connection: 'close', ...headers });
  res.end(body);
}
