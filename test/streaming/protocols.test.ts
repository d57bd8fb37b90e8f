// The streaming protocol modules on their own: SPDY/3.1 framing and sessions
// (two sessions talking over a socket pair), and the channel helpers.
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import {
  controlFrame, dataFrame, decodeHeaderBlock, encodeHeaderBlock, FrameParser, FrameType, SPDY3_DICTIONARY, SpdySession, spdyHeaders, SpdyProtocolError, type SpdyStream,
} from '../../src/apiserver/streaming/spdy.js';
import { JsonObjects } from '../../src/apiserver/streaming/channels.js';
import { outcomeStatus } from '../../src/apiserver/streaming/remotecommand.js';
import { parsePorts } from '../../src/apiserver/streaming/portforward.js';

async function socketPair(): Promise<[net.Socket, net.Socket, () => void]> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const accepted = once(server, 'connection');
  const client = net.connect(port, '127.0.0.1');
  const [srv] = (await accepted) as [net.Socket];
  return [client, srv, () => server.close()];
}

const read = (s: NodeJS.ReadableStream) => new Promise<Buffer>((resolve) => {
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  s.on('end', () => resolve(Buffer.concat(chunks)));
});

describe('SPDY/3.1', () => {
  it('has the 1423-byte SPDY/3 header dictionary', () => {
    assert.equal(SPDY3_DICTIONARY.length, 1423);
    assert.equal(SPDY3_DICTIONARY.subarray(0, 11).toString('latin1'), '\x00\x00\x00\x07options');
    assert.ok(SPDY3_DICTIONARY.toString('latin1').endsWith('utf-,*,enq=0.'));
  });

  it('cuts frames off a byte stream however the bytes arrive', () => {
    const frames = Buffer.concat([controlFrame(FrameType.Ping, 0, Buffer.from([0, 0, 0, 1])), dataFrame(3, 1, Buffer.from('hello'))]);
    const p = new FrameParser();
    const got = [];
    for (const b of frames) got.push(...p.push(Buffer.from([b])));
    assert.equal(got.length, 2);
    assert.deepEqual(got[0], { control: true, type: FrameType.Ping, flags: 0, payload: Buffer.from([0, 0, 0, 1]) });
    assert.equal(got[1].control, false);
    assert.equal((got[1] as any).streamId, 3);
    assert.equal(got[1].payload.toString(), 'hello');
    const bad = Buffer.from(controlFrame(FrameType.Ping, 0, Buffer.alloc(4)));
    bad.writeUInt16BE(0x8002, 0);
    assert.throws(() => new FrameParser().push(bad), SpdyProtocolError);
  });

  it('encodes name/value blocks and refuses what spdystream refuses', () => {
    const h = new Map([['streamtype', ['data']], ['port', ['80']], ['x', ['a', 'b']]]);
    assert.deepEqual(decodeHeaderBlock(encodeHeaderBlock(h)), h);
    const upper = encodeHeaderBlock(new Map([['Port', ['80']]]));
    upper.write('Port', 8); // encodeHeaderBlock lowercases; put the capital back
    assert.throws(() => decodeHeaderBlock(upper), /not lowercased/);
    assert.throws(() => decodeHeaderBlock(Buffer.from([0, 0, 0, 5, 0, 0])), /truncated/);
  });

  it('carries streams both ways with compressed headers, half-close, reset and ping', async () => {
    const [c, s, stop] = await socketPair();
    const client = new SpdySession(c, { server: false });
    const server = new SpdySession(s, { server: true });
    const seen: SpdyStream[] = [];
    server.on('stream', (st: SpdyStream) => {
      seen.push(st);
      st.reply(spdyHeaders({ accepted: st.header('streamtype')! }));
      if (st.header('streamtype') === 'echo') st.pipe(st);
    });
    // Several streams share one compression context each way: each header block must decode in order.
    const streams = ['echo', 'echo', 'echo'].map((t, i) => client.createStream(spdyHeaders({ streamtype: t, requestid: String(i) })));
    const replies = streams.map((st) => once(st, 'reply'));
    const big = Buffer.alloc(300_000, 7);
    const echoed = streams.map((st) => read(st));
    for (const st of streams) st.end(big);
    assert.deepEqual((await Promise.all(echoed)).map((b) => b.equals(big)), [true, true, true]);
    const [reply] = (await replies[0]) as [Map<string, string[]>];
    assert.deepEqual(reply.get('accepted'), ['echo']);
    assert.deepEqual(seen.map((x) => x.header('requestid')), ['0', '1', '2']);
    assert.deepEqual(seen.map((x) => x.id), [1, 3, 5]);

    // A reset ends the stream on the other side at once.
    const r = client.createStream(spdyHeaders({ streamtype: 'hold' }));
    await once(r, 'reply');
    const held = seen[seen.length - 1];
    const reset = once(held, 'reset');
    r.reset();
    await reset;
    assert.equal(held.destroyed, true);

    // The client's ping (odd) is echoed.
    const pong = once(client, 'pong');
    client.ping(1);
    assert.deepEqual(await pong, [1]);

    // GOAWAY from the client: the server ends the connection once its streams are done.
    const closed = once(server, 'close');
    client.close();
    await closed;
    stop();
  });

  it('answers garbage with GOAWAY and closes', async () => {
    const [c, s, stop] = await socketPair();
    const server = new SpdySession(s, { server: true });
    const errored = once(server, 'protocolError');
    const frames: Buffer[] = [];
    c.on('data', (d) => frames.push(d));
    // A SYN_STREAM whose header block is not zlib.
    const p = Buffer.alloc(10 + 8, 0xff);
    p.writeUInt32BE(1, 0);
    c.write(controlFrame(FrameType.SynStream, 0, p));
    await errored;
    await once(c, 'close');
    const got = new FrameParser().push(Buffer.concat(frames));
    assert.equal(got[0].control && got[0].type, FrameType.GoAway);
    assert.equal(got[0].payload.readUInt32BE(4), 1, 'GOAWAY PROTOCOL_ERROR');
    stop();
  });
});

describe('channel helpers', () => {
  it('reads concatenated JSON objects split anywhere (the resize channel)', () => {
    const out: unknown[] = [];
    const j = new JsonObjects((v) => out.push(v));
    const text = '{"Width":80,"Height":24}{"Width":100,\n"Height":40} {"Width":"}{","Height":1}';
    for (const ch of text) j.push(ch);
    assert.deepEqual(out, [{ Width: 80, Height: 24 }, { Width: 100, Height: 40 }, { Width: '}{', Height: 1 }]);
    j.push('not json at all');
    j.push('{"Width":1,"Height":2}');
    assert.deepEqual(out.at(-1), { Width: 1, Height: 2 });
  });

  it('words outcomes as the kubelet (v4) and kube-apiserver\'s translator (v5) do', () => {
    const p = { kind: 'exec' as const, container: 'app', command: ['sh', '-c', 'exit 3'], stdin: false, stdout: true, stderr: true, tty: false };
    assert.deepEqual(outcomeStatus({ kind: 'exit', code: 3 }, p, false), {
      metadata: {}, status: 'Failure', message: 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3',
      reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
    assert.equal(outcomeStatus({ kind: 'exit', code: 3 }, p, true).message, 'command terminated with non-zero exit code: command terminated with exit code 3');
    assert.deepEqual(outcomeStatus({ kind: 'success' }, p, true), { metadata: {}, status: 'Success' });
    assert.equal(outcomeStatus({ kind: 'error', message: 'boom' }, p, true).message, 'Internal error occurred: Internal error occurred: boom');
  });

  it('parses ?ports as the kubelet does', () => {
    assert.deepEqual(parsePorts(new URLSearchParams('ports=80,443&ports=8080')), [80, 443, 8080]);
    assert.throws(() => parsePorts(new URLSearchParams('ports=0')), /must be > 0/);
    assert.throws(() => parsePorts(new URLSearchParams('ports=http')), /unable to parse "http" as a port/);
    assert.throws(() => parsePorts(new URLSearchParams('ports=70000')), /value out of range/);
  });
});
