// The WebSocket channel protocols of k8s.io/apimachinery's wsstream: every
// message starts with a channel number (a byte; in the base64 protocols the
// digit '0'+n, the rest base64), the error channel carries the outcome, and
// v5.channel.k8s.io adds a CLOSE signal (255, channel) so a client can end
// stdin without closing the connection. docs/streaming.md has the details.
import { PassThrough, Writable } from 'node:stream';
import type { WebSocket } from 'ws';

export const V5 = 'v5.channel.k8s.io';
export const V4 = 'v4.channel.k8s.io';
export const V4_BASE64 = 'v4.base64.channel.k8s.io';
export const V1 = 'channel.k8s.io';
export const V1_BASE64 = 'base64.channel.k8s.io';
/** remotecommand's StreamClose signal (k8s.io/apimachinery/pkg/util/remotecommand). */
export const STREAM_CLOSE = 255;

export const isBase64Protocol = (p: string) => p === V1_BASE64 || p === V4_BASE64;

/** Incremental reader of concatenated JSON objects (a json.Decoder over the resize channel). */
export class JsonObjects {
  private text = '';
  constructor(private onObject: (v: unknown) => void, private limit = 64 * 1024) {}

  push(chunk: string): void {
    this.text += chunk;
    for (;;) {
      const start = this.text.search(/\S/);
      if (start < 0) { this.text = ''; return; }
      const end = objectEnd(this.text, start);
      if (end < 0) {
        // Garbage or an object that never ends: dropped rather than kept growing.
        if (this.text.length > this.limit || this.text[start] !== '{') this.text = '';
        return;
      }
      const piece = this.text.slice(start, end);
      this.text = this.text.slice(end);
      try { this.onObject(JSON.parse(piece)); } catch { /* not JSON: skipped */ }
    }
  }
}

/** Index just past the object that starts at `start`, or -1 while it is incomplete. */
function objectEnd(s: string, start: number): number {
  if (s[start] !== '{') return -1;
  let depth = 0;
  let inStr = false;
  for (let i = start; i < s.length; i++) {
    const c = s[i];
    if (inStr) {
      if (c === '\\') i++;
      else if (c === '"') inStr = false;
    } else if (c === '"') inStr = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  return -1;
}

/**
 * A WebSocket carrying numbered channels. Incoming data is routed by channel
 * number; `writer(n)` gives a Writable that sends on channel n, each write
 * calling back once the frame is handed to the socket (back-pressure).
 */
export class WsChannels {
  private readonly base64: boolean;
  private readonly supportsClose: boolean;
  private readonly inputs = new Map<number, PassThrough>();
  closed = false;

  constructor(readonly ws: WebSocket, readonly protocol: string, readable: number[]) {
    this.base64 = isBase64Protocol(protocol);
    this.supportsClose = protocol === V5;
    for (const n of readable) this.inputs.set(n, new PassThrough());
    ws.on('message', (data: Buffer, isBinary: boolean) => this.onMessage(Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer), isBinary));
    ws.on('close', () => this.onClose());
    ws.on('error', () => this.onClose());
  }

  /** What the client sends on channel n (ends at CLOSE or when the connection goes). */
  input(n: number): PassThrough | undefined {
    return this.inputs.get(n);
  }

  private onMessage(data: Buffer, _isBinary: boolean): void {
    if (!data.length) return;
    if (this.supportsClose && data[0] === STREAM_CLOSE) {
      // wsstream: a CLOSE is exactly one channel byte; anything else ends the connection.
      if (data.length !== 2) { this.ws.close(1002, 'stream close signal must name one channel'); return; }
      this.inputs.get(data[1])?.end();
      return;
    }
    let channel = data[0];
    let payload = data.subarray(1);
    if (this.base64) {
      channel -= 48;
      payload = Buffer.from(payload.toString('latin1'), 'base64');
    }
    const input = this.inputs.get(channel);
    // A frame for a channel that does not read (or is closed) is dropped, as wsstream does.
    if (!input || input.writableEnded) return;
    if (!input.write(payload)) {
      // Reading stops until the consumer takes what it has.
      this.ws.pause();
      input.once('drain', () => { if (!this.closed) this.ws.resume(); });
    }
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const i of this.inputs.values()) i.end();
  }

  /** Sends `data` on channel n. */
  send(n: number, data: Buffer, cb?: (err?: Error) => void): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) { cb?.(new Error('connection closed')); return; }
    const frame = this.base64 ? String.fromCharCode(48 + n) + data.toString('base64') : Buffer.concat([Buffer.from([n]), data]);
    this.ws.send(frame, { binary: !this.base64 }, (err) => cb?.(err ?? undefined));
  }

  writer(n: number): Writable {
    return new Writable({
      write: (chunk: Buffer, _enc, cb) => this.send(n, chunk, () => cb()),
    });
  }

  /** Ends the connection with a normal close once everything sent before is out. */
  close(): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(1000);
    this.onClose();
  }
}
