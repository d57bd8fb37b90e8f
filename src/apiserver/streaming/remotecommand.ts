// exec and attach: the remotecommand protocols of the kubelet and of
// kube-apiserver's WebSocket stream translator, over WebSocket or SPDY/3.1.
//
//   WebSocket v5.channel.k8s.io       kube-apiserver's translator (1.30+): stdin CLOSE signal,
//                                     the outcome as a Status on channel 3
//   WebSocket v4.channel.k8s.io,      the kubelet's: channels 0-4, Status on channel 3 (v4),
//     v4.base64…, channel.k8s.io,     plain error text (older), base64 variants as text
//     base64.channel.k8s.io, none
//   SPDY v4/v3/v2/channel.k8s.io      one SPDY stream per channel (header streamType),
//                                     resize from v3, Status from v4
//
// The wording of every outcome is the kubelet's (and containerd's), and the
// translator's wrapping for v5: docs/streaming.md.
import type http from 'node:http';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import type { StatusBody } from '../status.js';
import { JsonObjects, STREAM_CLOSE, V1, V1_BASE64, V4, V4_BASE64, V5, WsChannels } from './channels.js';
import type { SpdySession, SpdyStream } from './spdy.js';
import type { StreamIO, TerminalSize } from './types.js';
import { acceptSpdy, acceptWebSocket, isSpdyRequest, isWebSocketRequest, negotiate, plainError, streamProtocols, wsProtocols, type Upgrade } from './upgrade.js';
import { errors, StatusError } from '../status.js';

/** WebSocket subprotocols the kubelet's remotecommand server accepts ('' = none asked). */
export const KUBELET_WS_PROTOCOLS = ['', V1, V1_BASE64, V4, V4_BASE64];
/** SPDY protocol versions (remotecommand.SupportedStreamingProtocols). */
export const SPDY_PROTOCOLS = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];

export interface RemoteCommandParams {
  kind: 'exec' | 'attach';
  container: string;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** What the session ended with, before it is worded for the protocol. */
export type Outcome = { kind: 'success' } | { kind: 'exit'; code: number } | { kind: 'error'; message: string };

/** metav1.Status as the kubelet marshals it on the error channel (no kind/apiVersion). */
type ChannelStatus = Omit<StatusBody, 'kind' | 'apiVersion' | 'code' | 'message' | 'reason'> & { message?: string; reason?: string; code?: number };

const SUCCESS: ChannelStatus = { metadata: {}, status: 'Success' };

function internalError(message: string): ChannelStatus {
  return { metadata: {}, status: 'Failure', message: `Internal error occurred: ${message}`, reason: 'InternalError', details: { causes: [{ message }] }, code: 500 };
}

function exitStatus(code: number, message: string): ChannelStatus {
  return { metadata: {}, status: 'Failure', message, reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: String(code) }] } };
}

/**
 * The Status the kubelet writes for an outcome (v4), and what kube-apiserver's
 * translator makes of it for v5: client-go's v4 decoder turns it back into an
 * error (an exit code becomes "command terminated with exit code N"), which the
 * translator wraps again.
 */
export function outcomeStatus(o: Outcome, p: RemoteCommandParams, translated: boolean): ChannelStatus {
  if (o.kind === 'success') return SUCCESS;
  if (o.kind === 'exit') {
    // containerd's CodeExitError: "error executing command [sh -c exit 3], exit code 3".
    const kubelet = `command terminated with non-zero exit code: error executing command [${p.command.join(' ')}], exit code ${o.code}`;
    return exitStatus(o.code, translated ? `command terminated with non-zero exit code: command terminated with exit code ${o.code}` : kubelet);
  }
  const kubelet = internalError(o.message);
  return translated ? internalError(kubelet.message!) : kubelet;
}

/** Error-channel bytes for a protocol: a Status (v4, v5) or, before v4, a failure's message alone. */
function statusBytes(protocol: string, status: ChannelStatus): Buffer | undefined {
  // V4 is also the SPDY v4 protocol's name.
  if (protocol === V5 || protocol === V4 || protocol === V4_BASE64) return Buffer.from(JSON.stringify(status));
  return status.status === 'Success' ? undefined : Buffer.from(status.message ?? '');
}

/** The session's channels once the connection is upgraded, whatever the protocol. */
interface Channels {
  protocol: string;
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  resize?: Readable;
  /** Reports the outcome on the error channel and ends the connection. */
  finish(status: ChannelStatus): void;
  /** Resolves when the client has gone (or the session ended). */
  gone: Promise<void>;
}

export interface RemoteCommandRun {
  /** Starts the command / attach; resolves with the outcome. */
  run(io: StreamIO): Promise<Outcome>;
  /** The container has no running instance: kube answers "container not found" (the kubelet's words). */
  notRunning: boolean;
  /**
   * What the kubelet refuses before looking for the container (no stream asked for):
   * its plain-text 400, which clients report as "unable to upgrade connection: …".
   */
  refused?: string;
}

/**
 * Serves one exec/attach request that asked for an upgrade. Validation of the
 * pod and container happened before (400s as Status); what remains are the
 * kubelet's and the translator's answers and the session itself.
 */
export async function serveRemoteCommand(up: Upgrade, res: http.ServerResponse, p: RemoteCommandParams, target: RemoteCommandRun): Promise<void> {
  // The kubelet's own refusals, in its order: the options, then the container.
  const kubelet = target.refused !== undefined ? { code: 400, text: target.refused } : target.notRunning ? { code: 500, text: `container not found ("${p.container}")` } : undefined;
  let channels: Channels;
  if (isWebSocketRequest(up.req)) {
    const requested = wsProtocols(up.req);
    // kube-apiserver translates v5 itself; everything else is proxied to the kubelet.
    const translated = requested.includes(V5);
    const allowed = translated ? [V5] : KUBELET_WS_PROTOCOLS;
    const chosen = negotiate(requested.length ? requested : [''], allowed);
    if (!translated && kubelet) return plainError(res, kubelet.code, kubelet.text);
    if (chosen === undefined) {
      // x/net/websocket refuses the handshake with 403.
      throw new StatusError(403, 'Forbidden', `requested protocol(s) are not supported: [${requested.join(' ')}]; supports [${allowed.join(' ')}]`);
    }
    const ws = await acceptWebSocket(up, chosen);
    channels = wsChannels(new WsChannels(ws, chosen, p.stdin ? [0, 4] : [4]), p);
    if (translated && kubelet) {
      // The translator upgraded first, then its SPDY request to the kubelet failed.
      channels.finish(internalError(`unable to upgrade connection: ${kubelet.text}`));
      return;
    }
  } else if (isSpdyRequest(up.req)) {
    if (kubelet) return plainError(res, kubelet.code, kubelet.text);
    const offered = streamProtocols(up.req);
    if (!offered.length) return plainError(res, 400, 'unable to upgrade: X-Stream-Protocol-Version is required');
    const chosen = negotiate(offered, SPDY_PROTOCOLS);
    if (!chosen) {
      return plainError(res, 403, `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${SPDY_PROTOCOLS.join(' ')}]`, { 'x-accepted-stream-protocol-versions': SPDY_PROTOCOLS });
    }
    const session = acceptSpdy(up, chosen);
    const got = await spdyChannels(session, chosen, p);
    if (!got) return;
    channels = got;
  } else {
    throw errors.badRequest('Upgrade request required');
  }
  await runSession(channels, p, target);
}

async function runSession(ch: Channels, p: RemoteCommandParams, target: RemoteCommandRun): Promise<void> {
  const abort = new AbortController();
  void ch.gone.then(() => abort.abort());
  const io = orderedIO(ch, p, abort.signal);
  let outcome: Outcome;
  try {
    outcome = await target.run(io);
  } catch (e) {
    outcome = { kind: 'error', message: (e as Error).message };
  }
  if (abort.signal.aborted) return;
  // Everything the command wrote is out before the outcome (a Writable's end waits for its writes).
  await Promise.all([ch.stdout, ch.stderr].map((w) => (w && !w.writableFinished ? new Promise<void>((r) => { w.end(() => r()); }) : undefined)));
  ch.finish(outcomeStatus(outcome, p, ch.protocol === V5));
}

/**
 * The StreamIO a runtime gets: resizes are applied in order, and stdin that
 * arrived after a resize is handed on only once the resize was applied.
 */
function orderedIO(ch: Channels, p: RemoteCommandParams, signal: AbortSignal): StreamIO {
  let chain: Promise<void> = Promise.resolve();
  let handler: ((s: TerminalSize) => Promise<void> | void) | undefined;
  // A resize that comes before the runtime took its handler (the command is still starting) holds
  // what follows it until then: the first size is set before the first keystroke reaches the program.
  let registered!: () => void;
  const ready = new Promise<void>((r) => (registered = r));
  signal.addEventListener('abort', () => registered(), { once: true });
  const later = (f: () => Promise<void> | void) => { chain = chain.then(f).catch(() => undefined); };
  if (ch.resize && p.tty) {
    const objects = new JsonObjects((v: any) => {
      const size = { width: Number(v?.Width ?? v?.width) || 0, height: Number(v?.Height ?? v?.height) || 0 };
      later(async () => { await ready; await handler?.(size); });
    });
    ch.resize.setEncoding('utf8');
    ch.resize.on('data', (t: string) => objects.push(t));
  }
  let stdin: PassThrough | undefined;
  if (ch.stdin) {
    const src = ch.stdin;
    const out = new PassThrough();
    stdin = out;
    src.on('data', (d: Buffer) => {
      src.pause();
      later(() => new Promise<void>((r) => { if (out.write(d)) r(); else out.once('drain', () => r()); }));
      later(() => { src.resume(); });
    });
    src.on('end', () => later(() => { out.end(); }));
  }
  return {
    stdin, stdout: ch.stdout, stderr: p.tty ? undefined : ch.stderr, tty: p.tty, signal,
    onResize(cb) {
      handler = cb;
      registered();
    },
  };
}

function wsChannels(c: WsChannels, p: RemoteCommandParams): Channels {
  const stdout = p.stdout ? c.writer(1) : undefined;
  const stderr = p.stderr && !p.tty ? c.writer(2) : undefined;
  // An empty message on the lowest writable channel tells the client the connection is established.
  c.send(p.stdout ? 1 : p.stderr ? 2 : 3, Buffer.alloc(0));
  const gone = new Promise<void>((r) => c.ws.once('close', () => r()));
  return {
    protocol: c.protocol,
    stdin: p.stdin ? c.input(0) : undefined,
    resize: c.input(4),
    stdout, stderr, gone,
    finish(status) {
      const bytes = statusBytes(c.protocol, status);
      if (bytes) c.send(3, bytes);
      c.close();
    },
  };
}

/** How long the kubelet waits for the client to open its streams (DefaultStreamCreationTimeout). */
export const STREAM_CREATION_TIMEOUT_MS = 30_000;

/** Waits for the client's SPDY streams (error, stdin, stdout, stderr, resize as asked). */
function spdyChannels(session: SpdySession, protocol: string, p: RemoteCommandParams): Promise<Channels | undefined> {
  const resizable = protocol === 'v4.channel.k8s.io' || protocol === 'v3.channel.k8s.io';
  const stderrWanted = p.stderr && !p.tty;
  const expected = 1 + (p.stdin ? 1 : 0) + (p.stdout ? 1 : 0) + (stderrWanted ? 1 : 0) + (p.tty && resizable ? 1 : 0);
  const got = new Map<string, SpdyStream>();
  const gone = new Promise<void>((r) => session.once('close', () => r()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      // The kubelet gives up ("timed out waiting for client to create streams") and closes the connection.
      session.off('stream', onStream);
      session.close();
      resolve(undefined);
    }, STREAM_CREATION_TIMEOUT_MS);
    timer.unref();
    void gone.then(() => { clearTimeout(timer); resolve(undefined); });
    const onStream = (s: SpdyStream) => {
      s.reply();
      const type = s.header('streamtype') ?? '';
      if (!['error', 'stdin', 'stdout', 'stderr', 'resize'].includes(type) || got.has(type)) return;
      // Nothing is read from the streams the server writes; their input is discarded.
      if (type !== 'stdin' && type !== 'resize') s.resume();
      got.set(type, s);
      if (got.size < expected) return;
      clearTimeout(timer);
      session.off('stream', onStream);
      const err = got.get('error');
      resolve({
        protocol,
        stdin: got.get('stdin'),
        stdout: got.get('stdout'),
        stderr: got.get('stderr'),
        resize: got.get('resize'),
        gone,
        finish(status) {
          const bytes = statusBytes(protocol, status);
          if (err) {
            if (bytes) err.write(bytes);
            err.end();
          }
          for (const t of ['stdout', 'stderr'] as const) { const s = got.get(t); if (s && !s.writableEnded) s.end(); }
          // The client closes the connection once it has read everything (the kubelet waits for that
          // too); one that never does is cut off after a minute.
          session.goAway();
          setTimeout(() => session.destroy(), 60_000).unref();
        },
      });
    };
    session.on('stream', onStream);
  });
}

export { STREAM_CLOSE };
