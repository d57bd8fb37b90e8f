// SPDY/3.1 framing and sessions, as the Kubernetes clients speak it
// (k8s.io/apimachinery/pkg/util/httpstream/spdy over github.com/moby/spdystream):
// `kubectl exec`/`attach`/`port-forward` over an HTTP Upgrade to SPDY/3.1, and
// kubectl's port-forward tunnelled through a WebSocket (portforward.ts). There
// is no maintained Node library for SPDY/3.1, so this is written from the
// protocol draft (docs/streaming.md lists the sources).
//
// What is implemented: frames (SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS,
// PING, GOAWAY, HEADERS, WINDOW_UPDATE, data), the name/value header block
// compressed with one zlib context per direction and the SPDY/3 dictionary,
// streams as Node Duplexes with half-close (FIN) and reset. Flow control
// windows are not enforced in either direction, as spdystream does not
// enforce them (it ignores WINDOW_UPDATE): back-pressure is TCP's, the
// transport is paused while a stream's reader is full.
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import zlib from 'node:zlib';

// The SPDY/3 header compression dictionary (draft 3, 2.6.10.1): length-prefixed
// words, then a run of raw text. It must be byte-exact: zlib checks its adler32.
const DICT_WORDS = [
  'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding', 'accept-language',
  'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection', 'content-base', 'content-encoding',
  'content-language', 'content-length', 'content-location', 'content-md5', 'content-range', 'content-type', 'date', 'etag',
  'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since',
  'last-modified', 'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer',
  'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via', 'warning',
  'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url', 'public', 'set-cookie', 'keep-alive', 'origin',
];
const DICT_TAIL =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized' +
  '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,text/javascript,' +
  'publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

export const SPDY3_DICTIONARY: Buffer = Buffer.concat([
  ...DICT_WORDS.map((w) => {
    const b = Buffer.alloc(4 + w.length);
    b.writeUInt32BE(w.length, 0);
    b.write(w, 4, 'latin1');
    return b;
  }),
  Buffer.from(DICT_TAIL, 'latin1'),
]);

export const SPDY_VERSION = 3;
export const FrameType = { SynStream: 1, SynReply: 2, RstStream: 3, Settings: 4, Ping: 6, GoAway: 7, Headers: 8, WindowUpdate: 9 } as const;
export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;
/** RST_STREAM status codes. */
export const RstStatus = { ProtocolError: 1, InvalidStream: 2, RefusedStream: 3, UnsupportedVersion: 4, Cancel: 5, InternalError: 6, FlowControlError: 7, StreamInUse: 8, StreamAlreadyClosed: 9, FrameTooLarge: 11 } as const;
export const GoAwayStatus = { OK: 0, ProtocolError: 1, InternalError: 2 } as const;

/** The largest payload a frame's 24-bit length holds. */
export const MAX_FRAME_LENGTH = 0xffffff;
/** Data frames this side writes are cut at this size (spdystream writes what io.Copy hands it, 32 KiB). */
const DATA_CHUNK = 64 * 1024;
/** A decompressed header block larger than this is refused (a zlib bomb is hostile input like any other). */
const MAX_HEADER_BLOCK = 256 * 1024;
/** Control frames carry a few headers at most: a larger one is a protocol error. */
const MAX_CONTROL_FRAME = 1024 * 1024;

/** Header names are lowercase in SPDY/3; a name may carry several values. */
export type SpdyHeaders = Map<string, string[]>;

export interface ControlFrame { control: true; type: number; flags: number; payload: Buffer }
export interface DataFrame { control: false; streamId: number; flags: number; payload: Buffer }
export type Frame = ControlFrame | DataFrame;

export class SpdyProtocolError extends Error {}

/** Cuts frames off a byte stream; `push` returns the complete frames and keeps the rest. */
export class FrameParser {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Frame[] = [];
    while (this.buf.length >= 8) {
      const len = this.buf.readUIntBE(5, 3);
      if (this.buf[0] & 0x80 && len > MAX_CONTROL_FRAME) throw new SpdyProtocolError(`control frame of ${len} bytes`);
      if (this.buf.length < 8 + len) break;
      const payload = this.buf.subarray(8, 8 + len);
      const flags = this.buf[4];
      if (this.buf[0] & 0x80) {
        const version = this.buf.readUInt16BE(0) & 0x7fff;
        if (version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${version}`);
        out.push({ control: true, type: this.buf.readUInt16BE(2), flags, payload });
      } else {
        out.push({ control: false, streamId: this.buf.readUInt32BE(0) & 0x7fffffff, flags, payload });
      }
      this.buf = this.buf.subarray(8 + len);
    }
    return out;
  }
}

export function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME_LENGTH) throw new SpdyProtocolError('frame too large');
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  h.writeUInt16BE(type, 2);
  h[4] = flags;
  h.writeUIntBE(payload.length, 5, 3);
  return Buffer.concat([h, payload]);
}

export function dataFrame(streamId: number, flags: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(streamId & 0x7fffffff, 0);
  h[4] = flags;
  h.writeUIntBE(payload.length, 5, 3);
  return Buffer.concat([h, payload]);
}

/** The uncompressed name/value block: count, then each name and its NUL-joined values, 32-bit lengths. */
export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const parts: Buffer[] = [];
  const n = Buffer.alloc(4);
  n.writeUInt32BE(headers.size, 0);
  parts.push(n);
  for (const [name, values] of headers) {
    for (const s of [name.toLowerCase(), values.join('\0')]) {
      const b = Buffer.from(s, 'utf8');
      const l = Buffer.alloc(4);
      l.writeUInt32BE(b.length, 0);
      parts.push(l, b);
    }
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  const h: SpdyHeaders = new Map();
  let off = 0;
  const u32 = () => {
    if (off + 4 > block.length) throw new SpdyProtocolError('truncated header block');
    const v = block.readUInt32BE(off);
    off += 4;
    return v;
  };
  const str = () => {
    const len = u32();
    if (off + len > block.length) throw new SpdyProtocolError('truncated header block');
    const s = block.toString('utf8', off, off + len);
    off += len;
    return s;
  };
  const count = u32();
  for (let i = 0; i < count; i++) {
    const name = str();
    const value = str();
    // spdystream refuses names that are not lowercase, and duplicates.
    if (!name || name !== name.toLowerCase()) throw new SpdyProtocolError('header was not lowercased');
    if (h.has(name)) throw new SpdyProtocolError('multiple headers with same name');
    h.set(name, value.split('\0'));
  }
  return h;
}

/**
 * One direction's header compression: a single zlib stream for the whole
 * session, flushed (Z_SYNC_FLUSH) after each block. Calls are serialized by
 * the session, so blocks come out in the order the frames are written.
 */
class HeaderZlib {
  private z: zlib.Deflate | zlib.Inflate;
  private chunks: Buffer[] = [];
  private size = 0;
  private failed?: Error;

  constructor(kind: 'deflate' | 'inflate') {
    this.z = kind === 'deflate' ? zlib.createDeflate({ dictionary: SPDY3_DICTIONARY }) : zlib.createInflate({ dictionary: SPDY3_DICTIONARY });
    // Past the limit nothing more is kept: the block is refused when the flush completes.
    this.z.on('data', (c: Buffer) => { this.size += c.length; if (this.size <= MAX_HEADER_BLOCK) this.chunks.push(c); });
    this.z.on('error', (e) => { this.failed = e; });
  }

  run(input: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.failed) return reject(this.failed);
      // A stream zlib cannot read fails at once (the flush would never call back).
      const onError = (e: Error) => reject(new SpdyProtocolError(`header block: ${e.message}`));
      this.z.once('error', onError);
      this.z.write(input);
      this.z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        this.z.off('error', onError);
        const size = this.size;
        const out = size <= MAX_HEADER_BLOCK ? Buffer.concat(this.chunks, size) : undefined;
        this.chunks = [];
        this.size = 0;
        if (this.failed) reject(new SpdyProtocolError(`header block: ${this.failed.message}`));
        else if (!out) reject(new SpdyProtocolError('header block too large'));
        else resolve(out);
      });
    });
  }

  close(): void {
    this.z.removeAllListeners('data');
    this.z.on('error', () => undefined);
    this.z.close();
  }
}

/** One SPDY stream: readable is what the peer sends, writable what this side sends (end() = FIN). */
export class SpdyStream extends Duplex {
  /** The peer sent FIN or RST. */
  remoteClosed = false;
  /** This side sent FIN or RST. */
  localClosed = false;
  wasReset = false;
  private replied = false;

  constructor(private session: SpdySession, readonly id: number, readonly headers: SpdyHeaders) {
    super({ allowHalfOpen: true });
  }

  header(name: string): string | undefined {
    return this.headers.get(name.toLowerCase())?.[0];
  }

  /** SYN_REPLY; `fin` rejects the stream (kubelet replies with FIN to streams it refuses). */
  reply(headers: SpdyHeaders = new Map(), fin = false): void {
    if (this.replied) return;
    this.replied = true;
    if (fin) this.localClosed = true;
    this.session.sendReply(this.id, headers, fin);
  }

  /** RST_STREAM: both directions are done, nothing more is read or written. */
  reset(status: number = RstStatus.Cancel): void {
    if (this.wasReset) return;
    this.wasReset = true;
    if (!this.localClosed || !this.remoteClosed) this.session.sendRst(this.id, status);
    this.localClosed = this.remoteClosed = true;
    this.session.forget(this);
    this.destroy();
  }

  /** @internal */ onData(payload: Buffer, fin: boolean): boolean {
    if (this.remoteClosed) return true;
    let more = true;
    if (payload.length) more = this.push(payload);
    if (fin) this.onFin();
    return more;
  }

  /** @internal */ onFin(): void {
    if (this.remoteClosed) return;
    this.remoteClosed = true;
    this.push(null);
    if (this.localClosed) this.session.forget(this);
  }

  /** @internal */ onRst(): void {
    this.wasReset = true;
    this.remoteClosed = this.localClosed = true;
    this.session.forget(this);
    this.emit('reset');
    this.destroy();
  }

  override _read(): void {
    this.session.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.localClosed) return cb();
    this.session.sendData(this.id, chunk, false).then(() => cb(), (e) => cb(e));
  }

  override _final(cb: (e?: Error | null) => void): void {
    if (this.localClosed) return cb();
    this.localClosed = true;
    this.session.sendData(this.id, Buffer.alloc(0), true).then(() => {
      if (this.remoteClosed) this.session.forget(this);
      cb();
    }, (e) => cb(e));
  }

  override _destroy(err: Error | null, cb: (e: Error | null) => void): void {
    this.session.forget(this);
    cb(err);
  }
}

export interface SpdySessionOptions {
  /** The server's streams and pings are even, the client's odd. */
  server: boolean;
}

/**
 * A SPDY/3.1 session over a byte stream (a TLS socket after the upgrade, or
 * a WebSocket tunnel). Emits 'stream' for each stream the peer opens (reply
 * to it with stream.reply()), and 'close' once the transport is gone.
 */
export class SpdySession extends EventEmitter {
  private parser = new FrameParser();
  private inflate = new HeaderZlib('inflate');
  private deflate = new HeaderZlib('deflate');
  private streams = new Map<number, SpdyStream>();
  private nextId: number;
  private lastPeerId = 0;
  private queue: Frame[] = [];
  private working = false;
  /** Outgoing frames in order (header blocks are compressed in the order they are sent). */
  private out: Promise<void> = Promise.resolve();
  private pausedBy = 0;
  goneAway = false;
  private sentGoAway = false;
  closed = false;

  constructor(readonly transport: Duplex, private opts: SpdySessionOptions) {
    super();
    this.nextId = opts.server ? 2 : 1;
    transport.on('data', (chunk: Buffer) => this.onBytes(chunk));
    transport.on('end', () => this.destroy());
    transport.on('close', () => this.destroy());
    transport.on('error', () => this.destroy());
    // A transport someone paused (to read an HTTP head off it) flows again: the session reads it now.
    transport.resume();
  }

  get streamCount(): number {
    return this.streams.size;
  }

  private onBytes(chunk: Buffer): void {
    if (this.closed) return;
    try {
      for (const f of this.parser.push(chunk)) this.queue.push(f);
    } catch (e) {
      return this.protocolError(e as Error);
    }
    // Many frames waiting (a reader that is slow to take data): stop reading the transport.
    if (this.queue.length > 64) this.pause();
    void this.work();
  }

  private pause(): void {
    if (!this.pausedBy++) this.transport.pause();
  }

  /** @internal a stream's reader wants more, or the frame queue drained. */
  resume(): void {
    if (this.pausedBy === 0) return;
    this.pausedBy = 0;
    this.transport.resume();
    void this.work();
  }

  private async work(): Promise<void> {
    if (this.working) return;
    this.working = true;
    try {
      while (this.queue.length && !this.closed) {
        const f = this.queue.shift()!;
        const more = f.control ? await this.onControl(f) : this.onDataFrame(f);
        if (!more) { this.pause(); break; }
      }
      if (!this.queue.length && this.pausedBy && this.readersWant()) this.resume();
    } catch (e) {
      this.protocolError(e as Error);
    } finally {
      this.working = false;
    }
  }

  private readersWant(): boolean {
    for (const s of this.streams.values()) if (s.readableLength >= s.readableHighWaterMark) return false;
    return true;
  }

  private onDataFrame(f: DataFrame): boolean {
    const s = this.streams.get(f.streamId);
    // Data for a stream that is gone: dropped, as spdystream does.
    if (!s) return true;
    return s.onData(f.payload, (f.flags & FLAG_FIN) !== 0);
  }

  private async onControl(f: ControlFrame): Promise<boolean> {
    const p = f.payload;
    const need = (n: number) => { if (p.length < n) throw new SpdyProtocolError(`short control frame type ${f.type}`); };
    switch (f.type) {
      case FrameType.SynStream: {
        need(10);
        const id = p.readUInt32BE(0) & 0x7fffffff;
        const headers = decodeHeaderBlock(await this.inflate.run(p.subarray(10)));
        const peerParity = this.opts.server ? 1 : 0;
        if (this.goneAway) return true;
        if (id === 0 || id % 2 !== peerParity || id <= this.lastPeerId || this.streams.has(id)) {
          this.sendRst(id, RstStatus.ProtocolError);
          return true;
        }
        this.lastPeerId = id;
        const s = new SpdyStream(this, id, headers);
        this.streams.set(id, s);
        if (f.flags & FLAG_FIN) s.onFin();
        if (f.flags & FLAG_UNIDIRECTIONAL) s.localClosed = true;
        this.emit('stream', s);
        return true;
      }
      case FrameType.SynReply: {
        need(4);
        const id = p.readUInt32BE(0) & 0x7fffffff;
        const headers = decodeHeaderBlock(await this.inflate.run(p.subarray(4)));
        const s = this.streams.get(id);
        if (s) {
          s.emit('reply', headers);
          if (f.flags & FLAG_FIN) s.onFin();
        }
        return true;
      }
      case FrameType.Headers: {
        need(4);
        const id = p.readUInt32BE(0) & 0x7fffffff;
        const headers = decodeHeaderBlock(await this.inflate.run(p.subarray(4)));
        const s = this.streams.get(id);
        if (s) {
          s.emit('headers', headers);
          if (f.flags & FLAG_FIN) s.onFin();
        }
        return true;
      }
      case FrameType.RstStream: {
        need(8);
        this.streams.get(p.readUInt32BE(0) & 0x7fffffff)?.onRst();
        return true;
      }
      case FrameType.Ping: {
        need(4);
        const id = p.readUInt32BE(0);
        // The peer's ping (its parity) is echoed; an answer to ours is noted.
        if (id % 2 !== (this.opts.server ? 0 : 1)) this.enqueue(async () => controlFrame(FrameType.Ping, 0, p.subarray(0, 4)));
        else this.emit('pong', id);
        return true;
      }
      case FrameType.GoAway: {
        this.goneAway = true;
        this.emit('goaway');
        if (!this.streams.size) this.close();
        return true;
      }
      // SETTINGS and WINDOW_UPDATE: no flow control is enforced (see the top of this file); unknown types are ignored, as the draft says.
      default:
        return true;
    }
  }

  private protocolError(e: Error): void {
    if (this.closed) return;
    this.emit('protocolError', e);
    const p = Buffer.alloc(8);
    p.writeUInt32BE(this.lastPeerId, 0);
    p.writeUInt32BE(GoAwayStatus.ProtocolError, 4);
    this.enqueue(async () => controlFrame(FrameType.GoAway, 0, p));
    void this.out.then(() => this.destroy());
  }

  private enqueue(build: () => Promise<Buffer | undefined>): Promise<void> {
    const next = this.out.then(async () => {
      if (this.closed) return;
      const buf = await build();
      if (!buf || this.closed || this.transport.destroyed) return;
      if (!this.transport.write(buf)) {
        await new Promise<void>((r) => {
          const done = () => { this.transport.off('drain', done); this.transport.off('close', done); r(); };
          this.transport.on('drain', done);
          this.transport.on('close', done);
        });
      }
    });
    // A failed build (a header block that cannot be compressed) fails the session, not later frames.
    this.out = next.catch((e) => this.protocolError(e as Error));
    return next;
  }

  /** @internal */ sendReply(id: number, headers: SpdyHeaders, fin: boolean): void {
    void this.enqueue(async () => {
      const idb = Buffer.alloc(4);
      idb.writeUInt32BE(id, 0);
      return controlFrame(FrameType.SynReply, fin ? FLAG_FIN : 0, Buffer.concat([idb, await this.deflate.run(encodeHeaderBlock(headers))]));
    }).catch(() => undefined);
  }

  /** @internal */ sendRst(id: number, status: number): void {
    const p = Buffer.alloc(8);
    p.writeUInt32BE(id, 0);
    p.writeUInt32BE(status, 4);
    void this.enqueue(async () => controlFrame(FrameType.RstStream, 0, p)).catch(() => undefined);
  }

  /** @internal */ async sendData(id: number, data: Buffer, fin: boolean): Promise<void> {
    if (this.closed) throw new Error('spdy session closed');
    if (!data.length) return this.enqueue(async () => dataFrame(id, fin ? FLAG_FIN : 0, data));
    for (let off = 0; off < data.length; off += DATA_CHUNK) {
      const last = off + DATA_CHUNK >= data.length;
      await this.enqueue(async () => dataFrame(id, fin && last ? FLAG_FIN : 0, data.subarray(off, off + DATA_CHUNK)));
    }
  }

  /** Opens a stream (clients; the tests use it to speak to the server). */
  createStream(headers: SpdyHeaders, fin = false): SpdyStream {
    const id = this.nextId;
    this.nextId += 2;
    const s = new SpdyStream(this, id, headers);
    this.streams.set(id, s);
    if (fin) s.localClosed = true;
    void this.enqueue(async () => {
      const p = Buffer.alloc(10);
      p.writeUInt32BE(id, 0);
      return controlFrame(FrameType.SynStream, fin ? FLAG_FIN : 0, Buffer.concat([p, await this.deflate.run(encodeHeaderBlock(headers))]));
    }).catch(() => undefined);
    return s;
  }

  ping(id: number): void {
    const p = Buffer.alloc(4);
    p.writeUInt32BE(id, 0);
    void this.enqueue(async () => controlFrame(FrameType.Ping, 0, p)).catch(() => undefined);
  }

  /** @internal */ forget(s: SpdyStream): void {
    if (this.streams.get(s.id) !== s) return;
    this.streams.delete(s.id);
    // The peer said GOAWAY and every stream is done: the connection can go.
    if (this.goneAway && !this.sentGoAway && !this.streams.size) this.close();
    else if (this.pausedBy) this.resume();
  }

  /**
   * GOAWAY: no new streams. The peer closes the connection once it has read
   * what was sent (ending it here could lose frames spdystream has read but
   * not yet handed to its streams).
   */
  goAway(): void {
    if (this.closed || this.sentGoAway) return;
    this.sentGoAway = true;
    this.goneAway = true;
    const p = Buffer.alloc(8);
    p.writeUInt32BE(this.lastPeerId, 0);
    p.writeUInt32BE(GoAwayStatus.OK, 4);
    void this.enqueue(async () => controlFrame(FrameType.GoAway, 0, p)).catch(() => undefined);
  }

  /** GOAWAY, then the transport is ended once what was queued is written. */
  close(): void {
    if (this.closed) return;
    this.goAway();
    void this.out.then(() => { if (!this.transport.destroyed) this.transport.end(); });
  }

  /** The transport is gone (or must go): every stream ends. */
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.streams.values()]) {
      s.remoteClosed = s.localClosed = true;
      s.destroy();
    }
    this.streams.clear();
    this.queue = [];
    this.inflate.close();
    this.deflate.close();
    if (!this.transport.destroyed) this.transport.destroy();
    this.emit('close');
  }
}

/** A plain header map from `name: value` pairs. */
export function spdyHeaders(h: Record<string, string>): SpdyHeaders {
  return new Map(Object.entries(h).map(([k, v]) => [k.toLowerCase(), [v]]));
}
